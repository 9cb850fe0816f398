/* api-util.c - answers and request helpers shared by lethe-api's handlers. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "util.h"

#define PARAM_MAX 256
#define QUERY_MAX 2048

int api_json(struct api_resp *resp, int status, const char *json)
{
	free(resp->body);
	resp->status = status;
	resp->body = xstrdup(json);
	return 0;
}

int api_json_obj(struct api_resp *resp, int status, struct json_object *o)
{
	api_json(resp, status, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return 0;
}

int api_error(struct api_resp *resp, int status, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	return api_json_obj(resp, status, o);
}

int api_query_json(struct api_req *req, struct api_resp *resp, const char *notfound,
		   const char *sql, int n, const char *const *params)
{
	PGresult *res;
	int r = db_exec(req->db, &res, sql, n, params);

	if (r < 0)
		return r;
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
		api_error(resp, 404, notfound);
	else
		api_json(resp, 200, PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* Decode one www-form value of n bytes into buf; NULL when too long or bad. */
static const char *form_decode(const char *v, size_t n, char *buf, size_t len)
{
	return percent_decode(v, n, buf, len, PCT_FORM) < 0 ? NULL : buf;
}

const char *api_param(struct api_req *req, const char *name, char *buf, size_t len)
{
	const char *p = req->query;
	size_t nl = strlen(name);

	while (p && *p) {
		size_t seg = strcspn(p, "&");

		if (seg > nl && !strncmp(p, name, nl) && p[nl] == '=')
			return form_decode(p + nl + 1, seg - nl - 1, buf, len < PARAM_MAX ? len : PARAM_MAX);
		p += seg;
		if (*p == '&')
			p++;
	}
	return NULL;
}

const char *api_body_str(struct api_req *req, const char *name)
{
	struct json_object *v;

	if (!req->body || !json_object_object_get_ex(req->body, name, &v)
	    || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void api_id_text(const struct api_req *req, int i, char buf[24])
{
	i64s(req->id[i], buf);
}

void api_bytea(const unsigned char hash[32], char out[67])
{
	out[0] = '\\';
	out[1] = 'x';
	hex_encode(hash, 32, out + 2);
}

int api_param_int(struct api_req *req, const char *name, int64_t min, int64_t max, char buf[24],
		  const char **out)
{
	char raw[32];
	const char *v = api_param(req, name, raw, sizeof(raw));
	int64_t n;

	*out = NULL;
	if (!v)
		return 0;
	if (parse_i64(v, min, max, &n) < 0)
		return -1;
	i64s(n, buf);
	*out = buf;
	return 0;
}

int api_query_valid(const char *query)
{
	char buf[PARAM_MAX];
	const char *p = query;

	if (strlen(query) > QUERY_MAX)
		return 0;
	while (*p) {
		size_t seg = strcspn(p, "&"), name = strcspn(p, "=");

		if (name >= seg || !form_decode(p + name + 1, seg - name - 1, buf, sizeof(buf)))
			return 0;
		p += seg;
		if (*p == '&')
			p++;
	}
	return 1;
}

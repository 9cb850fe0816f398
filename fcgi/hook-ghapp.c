/*
 * hook-ghapp.c - POST /hooks/github-app: installation events of the
 * GitHub App, verified and recorded for lethe-drain; see hook-ghapp.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "fcgi-http.h"
#include "ghinstall.h"
#include "hook-ghapp.h"
#include "log.h"
#include "util.h"
#include "webhook.h"

static void ghapp_respond(FCGX_Request *fcgi, int status, const char *delivery,
			  const char *json)
{
	if (status >= 400)
		log_notice("refused github-app delivery: delivery=%.128s status=%d reason=%s",
			   delivery ? delivery : "-", status, json);
	fcgi_http_answer(fcgi->out, status, NULL, json);
}

static const char *ghapp_param(const char *name, void *arg)
{
	return FCGX_GetParam(name, ((FCGX_Request *)arg)->envp);
}

/* Verified but unusable (-EPROTO, -EBADMSG, -EFBIG) is 202: 4xx is for what did not verify. */
static int ghapp_status(int r)
{
	switch (r) {
	case -EACCES: return 401;
	case -EBADMSG:
	case -EPROTO:
	case -EFBIG: return 202;
	case -ENOENT: return 404;
	default: return 503;
	}
}

static void ghapp_record(const struct hook_ghapp *g, FCGX_Request *fcgi,
			 const struct webhook_headers *hd, const char *body, size_t len)
{
	const char *app = FCGX_GetParam("HTTP_X_GITHUB_HOOK_INSTALLATION_TARGET_ID", fcgi->envp);
	const char *status;
	struct ghinstall_result res;
	char why[160], *json;
	int r;

	pthread_mutex_lock(g->hg_db_lock);
	r = ghinstall_record(g->hg_db, g->hg_kr, app, hd, body, len, &res, why, sizeof(why));
	pthread_mutex_unlock(g->hg_db_lock);
	if (r < 0 && ghapp_status(r) == 202) {
		log_warning("github-app delivery %.128s verified but not recorded: %s",
			    hd->delivery ? hd->delivery : "-", why);
		json = xasprintf("{\"status\":\"not applied\",\"reason\":\"%s\"}", why);
	} else if (r < 0) {
		json = xasprintf("{\"error\":\"%s\"}", why);
	}
	if (r < 0) {
		ghapp_respond(fcgi, ghapp_status(r), hd->delivery, json);
		free(json);
		return;
	}
	status = res.gi_ignored ? "ignored" : res.gi_duplicate ? "duplicate" : "queued";
	log_field(LOG_F_ORG, res.gi_org_id);
	log_info("github-app delivery %.128s: %s (integration %lld, event %lld)", hd->delivery,
		 status, (long long)res.gi_integration_id, (long long)res.gi_event_id);
	log_field(LOG_F_ORG, 0);
	if (res.gi_ignored)
		json = xstrdup("{\"status\":\"ignored\"}");
	else
		json = xasprintf("{\"status\":\"%s\",\"event\":%lld}", status,
				 (long long)res.gi_event_id);
	ghapp_respond(fcgi, res.gi_duplicate ? 200 : 202, hd->delivery, json);
	free(json);
}

void hook_ghapp(const struct hook_ghapp *g, FCGX_Request *fcgi)
{
	const char *method = FCGX_GetParam("REQUEST_METHOD", fcgi->envp);
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", fcgi->envp);
	const char *ct = FCGX_GetParam("CONTENT_TYPE", fcgi->envp);
	struct webhook_headers hd;
	int64_t len = 0;
	char *body;
	int r;

	webhook_headers_get(WH_GITHUB, ghapp_param, fcgi, &hd);
	if (!method || strcmp(method, "POST"))
		return ghapp_respond(fcgi, 405, hd.delivery, "{\"error\":\"method not allowed\"}");
	r = fcgi_http_length(cl, g->hg_max_body < GHINSTALL_BODY_MAX ? g->hg_max_body
			     : GHINSTALL_BODY_MAX, &len);
	if (r == -EINVAL)
		return ghapp_respond(fcgi, 400, hd.delivery, "{\"error\":\"bad content length\"}");
	if (r < 0)
		return ghapp_respond(fcgi, 413, hd.delivery, "{\"error\":\"payload too large\"}");
	if (!ct || strncasecmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';'))
		return ghapp_respond(fcgi, 415, hd.delivery,
				     "{\"error\":\"content type must be application/json\"}");
	if (fcgi_http_read(fcgi->in, (size_t)len, &body) < 0)
		return ghapp_respond(fcgi, 400, hd.delivery,
				     "{\"error\":\"body shorter than its content length\"}");
	ghapp_record(g, fcgi, &hd, body, (size_t)len);
	free(body);
}

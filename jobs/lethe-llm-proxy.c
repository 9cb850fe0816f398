/*
 * lethe-llm-proxy - the fix sandbox's only way out: one Unix socket on
 * which it forwards "POST <path of fix_model_url>" to fix_model_url, with
 * the model API key added, within the fix's limits.
 *
 * The key is read from fix_model_key_file, sealed under the master key
 * (--seal-key writes that file), and held in locked memory only; the
 * keyring is dropped once it is open.  Nothing of the sandbox's request
 * but its JSON body is forwarded: its headers (an Authorization among
 * them) are dropped, any other method, path or host is refused, and each
 * answer goes back as JSON the proxy wrote itself.  Each request, refused
 * or forwarded, is a row of fix_requests (model, token counts, bytes,
 * status, attempts) and one log line; bodies are never logged or stored.
 * Temporary failures of the endpoint (429, 5xx) are retried honouring
 * Retry-After (lib/vcs/http.c).  The proxy exits when the fix's wall time is
 * over or on SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "config.h"
#include "db.h"
#include "http.h"
#include "keys.h"
#include "llmproxy.h"
#include "log.h"
#include "util.h"

#define KEY_PURPOSE   "model-key"
#define BODY_MAX      (8u << 20)	/* bytes of one request or answer */
#define JSON_DEPTH    64
#define IO_TIMEOUT_S  60

#define USAGE \
	"usage: lethe-llm-proxy --socket PATH --fix ID [--socket-uid UID]\n" \
	"       lethe-llm-proxy --seal-key FILE   (the key on standard input)\n"

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	stopping = sig;
}

struct proxy {
	const struct config *cfg;
	struct db *db;
	struct http_client http;
	char *url, *path;
	const char *model;	/* "" : the sandbox's */
	struct secbuf key;	/* NUL-terminated */
	int64_t fix_id, org_id;
	struct llm_limits limits;
	struct llm_spent spent;
};

/* What one request came to, as fix_requests records it. */
struct outcome {
	const char *kind;	/* answered, refused, limit, failed */
	char reason[200];
	char model[200];
	int status;
	long upstream;
	int attempts;
	int64_t prompt, completion, bytes_in, bytes_out, started_ms;
};

static int64_t mono_ms(void)
{
	return mono_usec() / 1000;
}

static void record(struct proxy *p, const struct outcome *o)
{
	char fix[24], org[24], st[16], up[24], att[16], pt[24], ct[24], bi[24], bo[24], ms[24];
	int r;

	i64s(p->fix_id, fix);
	i64s(p->org_id, org);
	snprintf(st, sizeof(st), "%d", o->status);
	snprintf(up, sizeof(up), "%ld", o->upstream);
	snprintf(att, sizeof(att), "%d", o->attempts);
	i64s(o->prompt, pt);
	i64s(o->completion, ct);
	i64s(o->bytes_in, bi);
	i64s(o->bytes_out, bo);
	i64s(mono_ms() - o->started_ms, ms);
	r = DB_QUERY(p->db, NULL,
		     "INSERT INTO lethe.fix_requests (org_id, fix_id, outcome, reason, model, status, "
		     "upstream_status, attempts, prompt_tokens, completion_tokens, bytes_in, bytes_out, "
		     "duration_ms) VALUES ($1, $2, $3, $4, $5, $6, nullif($7, '0')::integer, $8, $9, "
		     "$10, $11, $12, $13)",
		     org, fix, o->kind, o->reason[0] ? o->reason : NULL,
		     o->model[0] ? o->model : NULL, st, up, att, pt, ct, bi, bo, ms);
	log_info("model request of fix %lld: %s %d (%s%s%s), upstream %ld, %d attempts, "
		 "%lld+%lld tokens, %lld bytes in, %lld out", (long long)p->fix_id, o->kind, o->status,
		 o->model[0] ? o->model : "no model", o->reason[0] ? ": " : "", o->reason, o->upstream,
		 o->attempts, (long long)o->prompt, (long long)o->completion, (long long)o->bytes_in,
		 (long long)o->bytes_out);
	if (r < 0) {
		log_err("unable to record a model request of fix %lld: %s; stopping",
			(long long)p->fix_id, db_error(p->db));
		stopping = SIGTERM;	/* every request is recorded, or none goes */
	}
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	default: return "Error";
	}
}

static int respond(int fd, int status, const char *body, int close_after)
{
	size_t len = strlen(body);
	char *head = xasprintf("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			       "Content-Length: %zu\r\nConnection: %s\r\n\r\n", status,
			       status_text(status), len, close_after ? "close" : "keep-alive");
	int r = write_all(fd, head, strlen(head));

	free(head);
	return r < 0 ? r : write_all(fd, body, len);
}

/* An OpenAI-style error object naming the proxy; the outcome is recorded. */
static int refuse(struct proxy *p, int fd, struct outcome *o, int close_after)
{
	json_object *err = json_object_new_object(), *e = json_object_new_object();
	char *msg = xasprintf("lethe-llm-proxy: %s", o->reason);
	const char *body;
	int r;

	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(e, "type", json_object_new_string(
				       !strcmp(o->kind, "limit") ? "lethe_limit" :
				       !strcmp(o->kind, "failed") ? "lethe_upstream" : "lethe_refused"));
	json_object_object_add(e, "param", NULL);
	json_object_object_add(e, "code", NULL);
	json_object_object_add(err, "error", e);
	body = json_object_to_json_string_ext(err, JSON_C_TO_STRING_PLAIN);
	o->bytes_out = (int64_t)strlen(body);
	r = respond(fd, o->status, body, close_after);
	record(p, o);
	json_object_put(err);
	free(msg);
	return r;
}

/* Read up to the end of the request head into buf; its length, 0 on EOF, <0 on error. */
static ssize_t read_head(int fd, char *buf, size_t size, size_t *have)
{
	char *end;

	while (!(end = memmem(buf, *have, "\r\n\r\n", 4))) {
		ssize_t k;

		if (*have == size)
			return -E2BIG;
		k = read(fd, buf + *have, size - *have);
		if (k < 0 && errno == EINTR && !stopping)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : (*have ? -EPIPE : 0);
		*have += (size_t)k;
	}
	return end + 4 - buf;
}

static int read_body(int fd, char *body, size_t len, const char *pre, size_t prelen)
{
	size_t got = prelen < len ? prelen : len;

	memcpy(body, pre, got);
	while (got < len) {
		ssize_t k = read(fd, body + got, len - got);

		if (k < 0 && errno == EINTR && !stopping)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EPIPE;
		got += (size_t)k;
	}
	return 0;
}

/* The sandbox's body as a chat request: a JSON object with messages. */
static json_object *chat_request(const struct proxy *p, const char *body, size_t len,
				 char *why, size_t whylen)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	json_object *rq = tok ? json_tokener_parse_ex(tok, body, (int)len) : NULL, *msgs;

	if (!rq || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len || !json_object_is_type(rq, json_type_object)) {
		snprintf(why, whylen, "the body is not a JSON object");
		json_object_put(rq);
		rq = NULL;
	} else if (!json_object_object_get_ex(rq, "messages", &msgs) ||
		   !json_object_is_type(msgs, json_type_array)) {
		snprintf(why, whylen, "the body holds no messages");
		json_object_put(rq);
		rq = NULL;
	} else if (*p->model) {
		json_object_object_add(rq, "model", json_object_new_string(p->model));
	}
	json_tokener_free(tok);
	return rq;
}

static int forward(struct proxy *p, int fd, json_object *rq, struct outcome *o, int close_after)
{
	struct http_client c = p->http;
	struct http_req hr = { .rq_method = "POST", .rq_url = p->url, .rq_auth_scheme = "Bearer",
			       .rq_auth = (const char *)p->key.data, .rq_body = rq };
	struct http_resp rs;
	int64_t left = p->limits.bytes - p->spent.bytes - o->bytes_in;
	int64_t wall = p->limits.wall_ms - (mono_ms() - p->spent.started_ms);
	const char *model, *answer;
	int r;

	c.hc_max_body = left < (int64_t)BODY_MAX ? (size_t)(left > 0 ? left : 1) : BODY_MAX;
	if (wall / 1000 < c.hc_timeout)
		c.hc_timeout = wall / 1000 > 0 ? wall / 1000 : 1;
	r = http_request(&c, &hr, &rs);
	p->spent.requests++;
	o->upstream = rs.rs_status;
	o->attempts = rs.rs_attempts;
	if (r == 0 && json_object_is_type(rs.rs_json, json_type_object)) {
		model = llm_answer_counts(rs.rs_json, &o->prompt, &o->completion);
		snprintf(o->model, sizeof(o->model), "%s", model ? model : "");
		answer = json_object_to_json_string_ext(rs.rs_json, JSON_C_TO_STRING_PLAIN);
		o->kind = "answered";
		o->status = 200;
		o->bytes_out = (int64_t)strlen(answer);
		p->spent.tokens += o->prompt + o->completion;
		p->spent.bytes += o->bytes_in + o->bytes_out;
		r = respond(fd, 200, answer, close_after);
		record(p, o);
		http_resp_release(&rs);
		return r;
	}
	http_resp_release(&rs);
	p->spent.bytes += o->bytes_in;
	o->kind = "failed";
	o->status = 502;
	if (r == -EFBIG)
		snprintf(o->reason, sizeof(o->reason), "the model's answer passes the fix's byte limit");
	else if (rs.rs_status)
		snprintf(o->reason, sizeof(o->reason), "the model endpoint answered %ld after %d "
			 "attempts", rs.rs_status, rs.rs_attempts);
	else
		snprintf(o->reason, sizeof(o->reason), "the model endpoint could not be reached "
			 "(%s)", strerror(-r));
	return refuse(p, fd, o, close_after);
}

/* One request of the connection; 1 to read the next, 0 to close, <0 on error. */
static int serve_request(struct proxy *p, int fd, char *buf, size_t *have)
{
	struct outcome o = { .kind = "refused", .started_ms = mono_ms() };
	struct llm_head h;
	ssize_t headlen = read_head(fd, buf, LLM_HEAD_MAX, have);
	const char *limit;
	json_object *rq;
	char *body;
	int status, r;

	if (headlen <= 0) {
		if (headlen == -E2BIG) {
			o.status = 400;
			snprintf(o.reason, sizeof(o.reason), "request head longer than %d bytes",
				 LLM_HEAD_MAX);
			refuse(p, fd, &o, 1);
		}
		return (int)headlen;
	}
	status = llm_head_parse(buf, (size_t)headlen, p->path, &h, o.reason, sizeof(o.reason));
	if (status) {
		o.status = status;
		refuse(p, fd, &o, 1);
		return 0;
	}
	o.bytes_in = (int64_t)h.content_length;
	limit = llm_limit_reached(&p->limits, &p->spent, mono_ms(), h.content_length);
	if (limit || h.content_length > BODY_MAX) {
		o.kind = limit ? "limit" : "refused";
		o.status = limit ? 403 : 413;
		if (limit)
			snprintf(o.reason, sizeof(o.reason), "the fix's %s limit is reached", limit);
		else
			snprintf(o.reason, sizeof(o.reason), "a body larger than %u bytes", BODY_MAX);
		refuse(p, fd, &o, 1);
		return 0;
	}
	body = xmalloc(h.content_length + 1);
	r = read_body(fd, body, h.content_length, buf + headlen, *have - (size_t)headlen);
	if (r == 0) {
		size_t used = (size_t)headlen + h.content_length;

		*have = *have > used ? *have - used : 0;
		memmove(buf, buf + (*have ? used : 0), *have);
		rq = chat_request(p, body, h.content_length, o.reason, sizeof(o.reason));
		if (rq) {
			r = forward(p, fd, rq, &o, h.close);
			json_object_put(rq);
		} else {
			o.status = 400;
			r = refuse(p, fd, &o, h.close);
		}
	}
	OPENSSL_cleanse(body, h.content_length);
	free(body);
	return r < 0 ? r : !h.close;
}

static void serve_connection(struct proxy *p, int fd)
{
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	char *buf = xmalloc(LLM_HEAD_MAX);
	size_t have = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (!stopping && serve_request(p, fd, buf, &have) > 0)
		;
	OPENSSL_cleanse(buf, LLM_HEAD_MAX);
	free(buf);
}

static int listen_on(const char *path, long uid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		fatalx(EXIT_USAGE, "socket path '%s' is too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal(EXIT_TEMPFAIL, "unable to make a socket");
	umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fatal(EXIT_TEMPFAIL, "unable to bind '%s'", path);
	if (uid >= 0 && chown(path, (uid_t)uid, (gid_t)-1) < 0)
		fatal(EXIT_TEMPFAIL, "unable to give '%s' to uid %ld", path, uid);
	if (listen(fd, 4) < 0)
		fatal(EXIT_TEMPFAIL, "unable to listen on '%s'", path);
	return fd;
}

/* The API key from its sealed file into p->key (NUL-terminated, locked). */
static void key_open(struct proxy *p, const struct keyring *kr)
{
	const char *file = config_v(p->cfg)->fix_model_key_file;
	struct secbuf plain = { 0 };
	char *text = NULL;
	size_t len;
	int r = read_file(file, 2 * SEALED_FILE_MAX + 256, &text, &len);

	if (r < 0)
		fatalx(EXIT_PERMFAIL, "unable to read the model key file '%s': %s", file, strerror(-r));
	r = keys_master_open(kr, KEY_PURPOSE, text, &plain);
	free(text);
	if (r < 0)
		fatalx(EXIT_PERMFAIL, "the model key file '%s' does not open under the master key: %s",
		       file, r == -ENOKEY ? "its master key version is gone" : "not sealed by "
		       "lethe-llm-proxy --seal-key, or changed");
	for (size_t i = 0; i < plain.len; i++)
		if (plain.data[i] < 0x21 || plain.data[i] > 0x7e) {
			secbuf_release(&plain);
			fatalx(EXIT_PERMFAIL, "the model key in '%s' holds a blank or control "
			       "character", file);
		}
	if (plain.len == 0 || secbuf_alloc(&p->key, plain.len + 1) < 0) {
		secbuf_release(&plain);
		fatalx(EXIT_PERMFAIL, "the model key in '%s' is empty or cannot be locked in memory",
		       file);
	}
	memcpy(p->key.data, plain.data, plain.len);
	secbuf_release(&plain);
}

static void fix_find(struct proxy *p)
{
	PGresult *res = NULL;
	char id[24];

	i64s(p->fix_id, id);
	if (DB_QUERY(p->db, &res, "SELECT org_id FROM lethe.fixes WHERE id = $1", id) < 0)
		fatalx(EXIT_TEMPFAIL, "unable to look fix %s up: %s", id, db_error(p->db));
	if (PQntuples(res) != 1)
		fatalx(EXIT_PERMFAIL, "no fix %s", id);
	p->org_id = db_int(res, 0, 0);
	PQclear(res);
	log_field(LOG_F_ORG, p->org_id);
}

static int seal_key(const struct keyring *kr, const char *file)
{
	struct secbuf in = { 0 };
	size_t len = 0;
	ssize_t k;
	char *line = NULL;
	int r = secbuf_alloc(&in, SEALED_FILE_MAX + 2);

	if (r < 0)
		fatalx(EXIT_TEMPFAIL, "unable to lock memory for the key");
	while (len < in.len && (k = read(STDIN_FILENO, in.data + len, in.len - len)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			fatal(EXIT_TEMPFAIL, "unable to read the key from standard input");
		len += (size_t)k;
	}
	while (len && (in.data[len - 1] == '\n' || in.data[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < len; i++)
		if (in.data[i] < 0x21 || in.data[i] > 0x7e)
			fatalx(EXIT_PERMFAIL, "refusing the key: a blank or control character in it");
	if (len == 0 || len > SEALED_FILE_MAX)
		fatalx(EXIT_PERMFAIL, "refusing the key: want 1 to %d bytes on standard input",
		       SEALED_FILE_MAX);
	r = keys_master_seal(kr, KEY_PURPOSE, in.data, len, &line);
	secbuf_release(&in);
	if (r < 0)
		fatalx(EXIT_TEMPFAIL, "unable to seal the key: %s", strerror(-r));
	r = write_file_atomic(file, line, strlen(line), 0600);
	free(line);
	if (r < 0)
		fatalx(EXIT_TEMPFAIL, "unable to write '%s': %s", file, strerror(-r));
	printf("sealed the model key into %s\n", file);
	return EXIT_OK;
}

static void limits_load(struct proxy *p)
{
	p->limits.requests = config_v(p->cfg)->fix_max_requests;
	p->limits.tokens = config_v(p->cfg)->fix_max_tokens;
	p->limits.bytes = config_v(p->cfg)->fix_max_bytes;
	p->limits.wall_ms = config_v(p->cfg)->fix_wall * 1000;
	p->spent.started_ms = mono_ms();
	http_client_configure(&p->http, p->cfg);
	p->http.hc_timeout = (long)config_v(p->cfg)->fix_request_timeout;
	p->http.hc_user_agent = "lethe-llm-proxy";
}

static int serve(struct proxy *p, const char *socket_path, long uid)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int lfd = listen_on(socket_path, uid);

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("forwarding %s for fix %lld on %s", p->path, (long long)p->fix_id, socket_path);
	while (!stopping) {
		int64_t left = p->limits.wall_ms - (mono_ms() - p->spent.started_ms);
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		int n, fd;

		if (left <= 0) {
			log_notice("fix %lld: wall time over, stopping", (long long)p->fix_id);
			break;
		}
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve_connection(p, fd);
		close(fd);
	}
	close(lfd);
	unlink(socket_path);
	log_info("fix %lld: %lld model requests, %lld tokens, %lld bytes", (long long)p->fix_id,
		 (long long)p->spent.requests, (long long)p->spent.tokens,
		 (long long)p->spent.bytes);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "fix", required_argument, NULL, 'f' },
		{ "socket-uid", required_argument, NULL, 'u' },
		{ "seal-key", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket_path = NULL, *seal = NULL;
	struct proxy p = { 0 };
	struct config *cfg = NULL;
	struct keyring *kr = NULL;
	int64_t fix = 0, uid = -1;
	char why[512];
	int c, status;

	std_options(argc, argv, USAGE);
	log_init("lethe-llm-proxy");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if ((c == 'f' && parse_i64(optarg, 1, INT64_MAX, &fix) < 0) ||
		    (c == 'u' && parse_i64(optarg, 0, INT32_MAX, &uid) < 0) || c == '?') {
			fputs(USAGE, stderr);
			return EXIT_USAGE;
		}
		if (c == 's')
			socket_path = optarg;
		else if (c == 'k')
			seal = optarg;
	}
	if (optind != argc || (seal ? socket_path || fix : !socket_path || !fix)) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	cfg = config_start();
	if (keyring_load(cfg, &kr, why, sizeof(why)) < 0)
		fatalx(EXIT_PERMFAIL, "%s", why);
	if (seal) {
		status = seal_key(kr, seal);
		keyring_free(kr);
		config_free(cfg);
		return status;
	}
	p.cfg = cfg;
	p.fix_id = fix;
	p.url = xstrdup(config_v(cfg)->fix_model_url);
	p.path = llm_url_path(p.url);
	if (!p.path)
		fatalx(EXIT_PERMFAIL, "fix_model_url is not an http(s) URL with a path (and no "
		       "query or user)");	/* not named: a query or user may hold a key */
	p.model = config_v(cfg)->fix_model;
	key_open(&p, kr);
	keyring_free(kr);
	limits_load(&p);
	if (db_open(cfg, DB_ROLE_LLM_PROXY, &p.db) < 0)
		fatalx(EXIT_TEMPFAIL, "unable to reach the database: %s", db_error(p.db));
	fix_find(&p);
	status = serve(&p, socket_path, (long)uid);
	secbuf_release(&p.key);
	db_free(p.db);
	free(p.url);
	free(p.path);
	config_free(cfg);
	return status;
}

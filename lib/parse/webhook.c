/* webhook.c - per-VCS header facts, signature checks and payload extraction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "util.h"
#include "webhook.h"

static const char *const provider_names[WH__MAX] = {
	[WH_GITHUB] = "github", [WH_GITLAB] = "gitlab", [WH_BITBUCKET] = "bitbucket",
	[WH_BITBUCKET_DC] = "bitbucket-dc", [WH_GITEA] = "gitea",
};

int webhook_provider_parse(const char *name, enum webhook_provider *out)
{
	for (int i = 0; i < WH__MAX; i++)
		if (strcmp(name, provider_names[i]) == 0) {
			*out = (enum webhook_provider)i;
			return 0;
		}
	return -ENOENT;
}

const char *webhook_provider_name(enum webhook_provider p)
{
	return p < WH__MAX ? provider_names[p] : "unknown";
}

/*
 * Header facts (../shared/corpus/webhooks/HEADERS.md), as CGI variables,
 * first present and non-empty wins.  Gitea and Forgejo also send GitHub's
 * headers; routing by provider in the URL means those are never consulted.
 */
struct header_facts {
	const char *event[3];
	const char *delivery[4];
	const char *signature[3];
};

static const struct header_facts facts[WH__MAX] = {
	[WH_GITHUB] = { { "HTTP_X_GITHUB_EVENT" }, { "HTTP_X_GITHUB_DELIVERY" },
			{ "HTTP_X_HUB_SIGNATURE_256" } },
	[WH_GITLAB] = { { "HTTP_X_GITLAB_EVENT" },
			{ "HTTP_IDEMPOTENCY_KEY", "HTTP_WEBHOOK_ID", "HTTP_X_GITLAB_EVENT_UUID" },
			{ "HTTP_X_GITLAB_TOKEN" } },
	[WH_BITBUCKET] = { { "HTTP_X_EVENT_KEY" }, { "HTTP_X_REQUEST_UUID" },
			   { "HTTP_X_HUB_SIGNATURE" } },
	[WH_BITBUCKET_DC] = { { "HTTP_X_EVENT_KEY" }, { "HTTP_X_REQUEST_ID" },
			      { "HTTP_X_HUB_SIGNATURE" } },
	[WH_GITEA] = { { "HTTP_X_FORGEJO_EVENT", "HTTP_X_GITEA_EVENT" },
		       { "HTTP_X_FORGEJO_DELIVERY", "HTTP_X_GITEA_DELIVERY" },
		       { "HTTP_X_FORGEJO_SIGNATURE", "HTTP_X_GITEA_SIGNATURE" } },
};

static const char *first_of(const char *const *names, size_t n,
			    const char *(*get)(const char *, void *), void *arg)
{
	const char *v;

	for (size_t i = 0; i < n && names[i]; i++)
		if ((v = get(names[i], arg)) && *v)
			return v;
	return NULL;
}

void webhook_headers_get(enum webhook_provider p, const char *(*get)(const char *name, void *arg),
			 void *arg, struct webhook_headers *h)
{
	const struct header_facts *f = &facts[p];

	memset(h, 0, sizeof(*h));
	h->event = first_of(f->event, ARRAY_SIZE(f->event), get, arg);
	h->delivery = first_of(f->delivery, ARRAY_SIZE(f->delivery), get, arg);
	h->signature = first_of(f->signature, ARRAY_SIZE(f->signature), get, arg);
	if (p == WH_GITLAB) {
		h->sw_id = get("HTTP_WEBHOOK_ID", arg);
		h->sw_timestamp = get("HTTP_WEBHOOK_TIMESTAMP", arg);
		h->sw_signature = get("HTTP_WEBHOOK_SIGNATURE", arg);
	}
}

const char *webhook_verify_reason(int err)
{
	switch (err) {
	case 0: return "verified";
	case -ENOMSG: return "missing signature";
	case -EBADMSG: return "malformed signature";
	case -EACCES: return "bad signature";
	case -ETIME: return "signature timestamp out of tolerance";
	case -ENOKEY: return "no usable webhook secret configured";
	default: return "signature not verified";
	}
}

int webhook_sig_parse(const char *header, const char *prefix, unsigned char mac[32])
{
	size_t plen = prefix ? strlen(prefix) : 0;

	if (!header || !*header)
		return -ENOMSG;
	if (plen) {
		if (strncmp(header, prefix, plen) != 0)
			return -EBADMSG;
		header += plen;
		if (!*header)
			return -ENOMSG;
	}
	if (strlen(header) != 64)
		return -EBADMSG;
	return hex_decode(header, mac, 32) < 0 ? -EBADMSG : 0;
}

static int hmac_sha256(const void *key, size_t keylen, const void *d1, size_t n1,
		       const void *d2, size_t n2, unsigned char out[32])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t got = 0;
	int r = -EIO;

	if (!ctx || !EVP_MAC_init(ctx, key, keylen, params))
		goto out;
	if (!EVP_MAC_update(ctx, d1, n1) || (n2 && !EVP_MAC_update(ctx, d2, n2)))
		goto out;
	if (EVP_MAC_final(ctx, out, &got, 32) && got == 32)
		r = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

static int verify_hmac(const char *header, const char *prefix, const unsigned char *secret,
		       size_t secretlen, const void *body, size_t len)
{
	unsigned char want[32], got[32];
	int r = webhook_sig_parse(header, prefix, want);

	if (r < 0)
		return r;
	if (hmac_sha256(secret, secretlen, body, len, NULL, 0, got) < 0)
		return -EIO;
	r = CRYPTO_memcmp(want, got, 32) == 0 ? 0 : -EACCES;
	OPENSSL_cleanse(got, sizeof(got));
	return r;
}

/* Equal-length digests hide the token's length from the comparison. */
static int verify_token(const char *token, const unsigned char *secret, size_t secretlen)
{
	unsigned char a[32], b[32];
	int r;

	if (!token || !*token)
		return -ENOMSG;
	SHA256((const unsigned char *)token, strlen(token), a);
	SHA256(secret, secretlen, b);
	r = CRYPTO_memcmp(a, b, 32) == 0 ? 0 : -EACCES;
	OPENSSL_cleanse(b, sizeof(b));
	return r;
}

int webhook_sw_match(const char *header, const unsigned char mac[32])
{
	char want[45];
	const char *p = header;
	int found = 0;

	EVP_EncodeBlock((unsigned char *)want, mac, 32);	/* 44 characters */
	while (p && *p) {
		size_t n = strcspn(p, " ");

		if (n == 47 && strncmp(p, "v1,", 3) == 0)
			found |= CRYPTO_memcmp(p + 3, want, 44) == 0;
		p += n;
		p += strspn(p, " ");
	}
	return found;
}

/* "whsec_<base64>" -> key bytes; -ENOKEY when it does not decode. */
static int sw_key(const unsigned char *secret, size_t secretlen, unsigned char *key, size_t *keylen)
{
	size_t b64len = secretlen - 6;
	int n;

	if (b64len == 0 || b64len > 88 || b64len % 4)
		return -ENOKEY;
	n = EVP_DecodeBlock(key, secret + 6, (int)b64len);
	if (n < 0)
		return -ENOKEY;
	n -= (secret[secretlen - 1] == '=') + (secret[secretlen - 2] == '=');
	*keylen = (size_t)n;
	return n >= 16 ? 0 : -ENOKEY;
}

static int verify_standard(const struct webhook_headers *h, const unsigned char *secret,
			   size_t secretlen, const void *body, size_t len, int64_t now,
			   int64_t tolerance)
{
	unsigned char key[72], mac[32];
	size_t keylen = 0;
	int64_t ts;
	char *prefix = NULL;
	int r;

	if (!h->sw_signature || !*h->sw_signature || !h->sw_id || !*h->sw_id || !h->sw_timestamp)
		return -ENOMSG;
	if (parse_i64(h->sw_timestamp, 0, INT64_MAX / 2, &ts) < 0 || strlen(h->sw_id) > 256)
		return -EBADMSG;
	if (ts < now - tolerance || ts > now + tolerance)
		return -ETIME;
	r = sw_key(secret, secretlen, key, &keylen);
	if (r < 0)
		goto out;
	prefix = xasprintf("%s.%s.", h->sw_id, h->sw_timestamp);
	r = hmac_sha256(key, keylen, prefix, strlen(prefix), body, len, mac);
	if (r == 0)
		r = webhook_sw_match(h->sw_signature, mac) ? 0 : -EACCES;
out:
	OPENSSL_cleanse(key, sizeof(key));
	free(prefix);
	return r;
}

/* -- reading installation.id before verification ------------------------ */

/* Past the string at p (at its opening quote), or NULL. */
static const char *peek_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

static const char *peek_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Past the JSON value at p, nested at most WEBHOOK_JSON_DEPTH deep, or NULL. */
static const char *peek_value(const char *p, const char *end)
{
	int depth = 0;

	if (p < end && *p != '{' && *p != '[' && *p != '"') {	/* a number or a literal */
		while (p < end && !strchr(",}] \t\n\r", *p))
			p++;
		return p < end ? p : NULL;
	}
	while (p && p < end) {
		if (*p == '"') {
			p = peek_string(p, end);
		} else {
			depth += (*p == '{' || *p == '[') - (*p == '}' || *p == ']');
			if (depth < 0 || depth > WEBHOOK_JSON_DEPTH)
				return NULL;
			p++;
		}
		if (!depth)
			return p;
	}
	return NULL;
}

/*
 * The member named key (compared as sent, escapes and all) of the object at
 * p: where its value starts, or NULL.  The first such member counts.
 */
static const char *peek_member(const char *p, const char *end, const char *key)
{
	size_t kl = strlen(key);

	p = peek_ws(p, end);
	if (p >= end || *p != '{')
		return NULL;
	for (p = peek_ws(p + 1, end); p < end && *p == '"'; p = peek_ws(p + 1, end)) {
		const char *k = p + 1, *v;

		p = peek_string(p, end);
		if (!p)
			return NULL;
		v = peek_ws(p, end);
		if (v >= end || *v != ':')
			return NULL;
		v = peek_ws(v + 1, end);
		if ((size_t)(p - 1 - k) == kl && !memcmp(k, key, kl))
			return v;
		p = peek_value(v, end);
		if (!p)
			return NULL;
		p = peek_ws(p, end);
		if (p >= end || *p != ',')
			return NULL;
	}
	return NULL;
}

int webhook_peek_installation(const void *data, size_t len, char *out, size_t outlen)
{
	const char *body = data, *end = body + len, *v = peek_member(body, end, "installation");
	size_t n = 0;

	v = v ? peek_member(v, end, "id") : NULL;
	while (v && v + n < end && n < outlen - 1 && v[n] >= '0' && v[n] <= '9')
		n++;
	if (!n || (v + n < end && v[n] >= '0' && v[n] <= '9'))
		return -ENOENT;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

int webhook_id_signed(enum webhook_provider p, const unsigned char *secret, size_t secretlen)
{
	return p == WH_GITLAB && secretlen > 6 && memcmp(secret, "whsec_", 6) == 0;
}

#define DIGEST_PREFIX "lethe delivery digest\n"

int webhook_digest(const unsigned char *secret, size_t secretlen, const void *signed_data,
		   size_t signed_len, char hex[WEBHOOK_DIGEST_HEX + 1])
{
	unsigned char mac[32];
	int r = hmac_sha256(secret, secretlen, DIGEST_PREFIX, strlen(DIGEST_PREFIX), signed_data,
			    signed_len, mac);

	if (r == 0)
		hex_encode(mac, sizeof(mac), hex);
	return r;
}

int webhook_verify(enum webhook_provider p, const struct webhook_headers *h,
		   const unsigned char *secret, size_t secretlen,
		   const void *body, size_t bodylen, int64_t now, int64_t tolerance)
{
	if (!secret || secretlen == 0)
		return -ENOKEY;
	switch (p) {
	case WH_GITHUB:
		return verify_hmac(h->signature, "sha256=", secret, secretlen, body, bodylen);
	case WH_BITBUCKET:
	case WH_BITBUCKET_DC:
		return verify_hmac(h->signature, "sha256=", secret, secretlen, body, bodylen);
	case WH_GITEA:
		return verify_hmac(h->signature, NULL, secret, secretlen, body, bodylen);
	case WH_GITLAB:
		if (webhook_id_signed(p, secret, secretlen))
			return verify_standard(h, secret, secretlen, body, bodylen, now, tolerance);
		return verify_token(h->signature, secret, secretlen);
	default:
		return -EINVAL;
	}
}

int webhook_form_payload(const char *body, size_t len, char **out, size_t *outlen)
{
	const char *p = body, *end = body + len;

	*out = NULL;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		size_t n = (size_t)((amp ? amp : end) - p);

		if (n >= 8 && memcmp(p, "payload=", 8) == 0) {
			char *buf = xmalloc(n - 8 + 1);
			ssize_t r = percent_decode(p + 8, n - 8, buf, n - 8 + 1, PCT_FORM);

			if (r < 0) {
				free(buf);
				return (int)r;
			}
			*out = buf;
			*outlen = (size_t)r;
			return 0;
		}
		p += n + 1;
	}
	return -ENOENT;
}

int webhook_signed_bytes(enum webhook_provider p, int form, const char *body, size_t len,
			 const char **signed_data, size_t *signed_len, char **owned)
{
	int r;

	*owned = NULL;
	*signed_data = body;
	*signed_len = len;
	if (!form)
		return 0;
	if (p != WH_GITHUB && p != WH_GITEA)
		return -EPROTONOSUPPORT;
	if (p == WH_GITHUB)	/* GitHub signs the form as sent */
		return 0;
	r = webhook_form_payload(body, len, owned, signed_len);	/* Gitea signs the JSON */
	if (r == 0)
		*signed_data = *owned;
	return r;
}

int webhook_json_bytes(int form, const char *body, size_t len, char **owned,
		       const char **json, size_t *json_len)
{
	int r;

	*json = body;
	*json_len = len;
	if (!form)
		return 0;
	if (!*owned) {
		r = webhook_form_payload(body, len, owned, json_len);
		if (r < 0)
			return r;
	} else {
		*json_len = strlen(*owned);
	}
	*json = *owned;
	return 0;
}

/* Extraction: a dotted path into the parsed payload. */
static struct json_object *jget(struct json_object *o, const char *path)
{
	char key[64];

	while (o && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return json_object_is_type(o, json_type_null) ? NULL : o;
}

/* Copy a string (or integer) at path into dst; "" when absent. */
static int jcopy(struct json_object *root, const char *path, char *dst, size_t size)
{
	struct json_object *o = jget(root, path);
	const char *s;
	size_t n;

	dst[0] = '\0';
	if (!o)
		return -ENOENT;
	if (!json_object_is_type(o, json_type_string) && !json_object_is_type(o, json_type_int))
		return -EBADMSG;
	s = json_object_get_string(o);
	n = strlen(s);
	if (n >= size)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -EBADMSG;
	memcpy(dst, s, n + 1);
	return 0;
}

static int64_t jint(struct json_object *root, const char *path)
{
	struct json_object *o = jget(root, path);

	if (!o || !json_object_is_type(o, json_type_int))
		return 0;
	return json_object_get_int64(o);
}

static int jbool(struct json_object *root, const char *path)
{
	struct json_object *o = jget(root, path);

	return o && json_object_is_type(o, json_type_boolean) && json_object_get_boolean(o);
}

static int is_zero_sha(const char *s)
{
	return *s && s[strspn(s, "0")] == '\0';
}

static int sha_normalize(char *s)
{
	size_t n = strlen(s);

	if (n < 7 || n > WEBHOOK_SHA_MAX)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (hex_digit(s[i]) < 0)
			return -EBADMSG;
		s[i] |= 0x20;	/* hex digits only: lower case */
	}
	return 0;
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static void set_branch_from_ref(struct webhook_event *ev)
{
	const char *b = ev->ref;

	if (strncmp(b, "refs/heads/", 11) == 0)
		b += 11;
	snprintf(ev->branch, sizeof(ev->branch), "%s", b);
}

/* The branch as a full ref. */
static void branch_ref(struct webhook_event *ev)
{
	if (ev->branch[0])
		snprintf(ev->ref, sizeof(ev->ref), "refs/heads/%.*s", WEBHOOK_REF_MAX - 11, ev->branch);
}

/*
 * A pull request: its source branch as a full ref, unless the payload gave
 * one, then the branch it targets (base, at key) in branch.  The scan is
 * filed under the pull request, never under a branch name the payload's
 * author chose, and compared with the target branch.
 */
static void pull_branches(struct json_object *j, struct webhook_event *ev, const char *base)
{
	if (!ev->ref[0])
		branch_ref(ev);
	ev->branch[0] = '\0';
	jcopy(j, base, ev->branch, sizeof(ev->branch));
}

/* A push of refs/heads/... to a real commit scans; tags and deletions do not. */
static void push_outcome(struct webhook_event *ev, int deleted)
{
	if (strncmp(ev->ref, "refs/heads/", 11) == 0 && !deleted && !is_zero_sha(ev->sha)) {
		ev->outcome = WE_SCAN;
		set_branch_from_ref(ev);
	}
}

/* GitHub, and Gitea/Forgejo which copy its payloads. */
static int extract_hublike(struct json_object *j, struct webhook_event *ev, const char *sync)
{
	static const char *const removal[] = { "deleted", "archived", "transferred", NULL };
	static const char *const recorded[] = { "ping", "installation",
						"installation_repositories", NULL };
	const char *pr_actions[] = { "opened", "reopened", sync, NULL };

	jcopy(j, "action", ev->action, sizeof(ev->action));
	jcopy(j, "repository.full_name", ev->repo, sizeof(ev->repo));
	if (strcmp(ev->event, "push") == 0) {
		jcopy(j, "ref", ev->ref, sizeof(ev->ref));
		jcopy(j, "after", ev->sha, sizeof(ev->sha));
		push_outcome(ev, jbool(j, "deleted"));
	} else if (strcmp(ev->event, "pull_request") == 0) {
		jcopy(j, "pull_request.head.sha", ev->sha, sizeof(ev->sha));
		jcopy(j, "pull_request.head.ref", ev->branch, sizeof(ev->branch));
		pull_branches(j, ev, "pull_request.base.ref");
		ev->pr = jint(j, "number");
		if (in_list(ev->action, pr_actions))
			ev->outcome = WE_SCAN;
	} else if (in_list(ev->event, recorded) ||
		   (strcmp(ev->event, "repository") == 0 && in_list(ev->action, removal))) {
		ev->outcome = WE_RECORD;
	}
	return 0;
}

static int extract_gitlab(struct json_object *j, struct webhook_event *ev)
{
	jcopy(j, "project.path_with_namespace", ev->repo, sizeof(ev->repo));
	if (strcmp(ev->event, "Push Hook") == 0) {
		jcopy(j, "ref", ev->ref, sizeof(ev->ref));
		jcopy(j, "after", ev->sha, sizeof(ev->sha));
		push_outcome(ev, 0);
	} else if (strcmp(ev->event, "Tag Push Hook") == 0) {
		jcopy(j, "ref", ev->ref, sizeof(ev->ref));
	} else if (strcmp(ev->event, "Merge Request Hook") == 0) {
		jcopy(j, "object_attributes.action", ev->action, sizeof(ev->action));
		jcopy(j, "object_attributes.last_commit.id", ev->sha, sizeof(ev->sha));
		jcopy(j, "object_attributes.source_branch", ev->branch, sizeof(ev->branch));
		pull_branches(j, ev, "object_attributes.target_branch");
		ev->pr = jint(j, "object_attributes.iid");
		if (!strcmp(ev->action, "open") || !strcmp(ev->action, "reopen") ||
		    (!strcmp(ev->action, "update") && jget(j, "object_attributes.oldrev")))
			ev->outcome = WE_SCAN;
	} else if (strcmp(ev->event, "System Hook") == 0) {
		jcopy(j, "event_name", ev->action, sizeof(ev->action));
		if (!strcmp(ev->action, "project_destroy"))
			ev->outcome = WE_RECORD;
	}
	return 0;
}

/*
 * One more branch tip of a push, to scan: the first into ev itself, the
 * next WEBHOOK_TIPS_MAX - 1 into ev->more; any further are not scanned.
 */
static void push_tip(struct webhook_event *ev, const char *ref, const char *branch, const char *sha)
{
	char *r = ev->ref, *b = ev->branch, *h = ev->sha;

	if (ev->outcome == WE_SCAN) {
		if (ev->nmore == WEBHOOK_TIPS_MAX - 1)
			return;
		r = ev->more[ev->nmore].ref;
		b = ev->more[ev->nmore].branch;
		h = ev->more[ev->nmore].sha;
		ev->nmore++;
	}
	snprintf(r, WEBHOOK_REF_MAX + 1, "%s", ref);
	snprintf(b, WEBHOOK_REF_MAX + 1, "%s", branch);
	snprintf(h, WEBHOOK_SHA_MAX + 1, "%s", sha);
	ev->outcome = WE_SCAN;
}

/* The changes of a Bitbucket push: push.changes (Cloud) or changes (Data Center). */
static size_t push_changes(struct json_object *j, const char *path, struct json_object **changes)
{
	*changes = jget(j, path);
	return *changes && json_object_is_type(*changes, json_type_array) ?
		json_object_array_length(*changes) : 0;
}

/* Each branch that a Bitbucket Cloud push moved to a commit (new is null for a deletion). */
static void bitbucket_push(struct json_object *j, struct webhook_event *ev)
{
	struct json_object *changes;
	size_t n = push_changes(j, "push.changes", &changes);

	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(changes, i);
		char type[16], sha[WEBHOOK_SHA_MAX + 1], name[WEBHOOK_REF_MAX + 1];
		char ref[WEBHOOK_REF_MAX + 1];

		if (jcopy(c, "new.type", type, sizeof(type)) < 0 || strcmp(type, "branch"))
			continue;
		jcopy(c, "new.target.hash", sha, sizeof(sha));
		jcopy(c, "new.name", name, sizeof(name));
		snprintf(ref, sizeof(ref), "%s%.*s", name[0] ? "refs/heads/" : "",
			 WEBHOOK_REF_MAX - 11, name);
		push_tip(ev, ref, name, sha);
	}
}

static int extract_bitbucket(struct json_object *j, struct webhook_event *ev)
{
	jcopy(j, "repository.full_name", ev->repo, sizeof(ev->repo));
	if (strcmp(ev->event, "repo:push") == 0) {
		bitbucket_push(j, ev);
	} else if (strncmp(ev->event, "pullrequest:", 12) == 0) {
		jcopy(j, "pullrequest.source.commit.hash", ev->sha, sizeof(ev->sha));
		jcopy(j, "pullrequest.source.branch.name", ev->branch, sizeof(ev->branch));
		pull_branches(j, ev, "pullrequest.destination.branch.name");
		ev->pr = jint(j, "pullrequest.id");
		if (!strcmp(ev->event, "pullrequest:created") || !strcmp(ev->event, "pullrequest:updated"))
			ev->outcome = WE_SCAN;
	}
	return 0;
}

static void dc_repo(struct json_object *r, struct webhook_event *ev)
{
	char key[128], slug[128];

	if (jcopy(r, "project.key", key, sizeof(key)) == 0 && jcopy(r, "slug", slug, sizeof(slug)) == 0)
		snprintf(ev->repo, sizeof(ev->repo), "%s/%s", key, slug);
}

/*
 * Each branch that a Data Center push added or updated; without one, the
 * first ref it changed is kept for the record.
 */
static void dc_push(struct json_object *j, struct webhook_event *ev)
{
	struct json_object *changes;
	size_t n = push_changes(j, "changes", &changes);

	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(changes, i);
		char type[16], reftype[16], ref[WEBHOOK_REF_MAX + 1], sha[WEBHOOK_SHA_MAX + 1];

		jcopy(c, "type", type, sizeof(type));
		jcopy(c, "ref.type", reftype, sizeof(reftype));
		jcopy(c, "refId", ref, sizeof(ref));
		jcopy(c, "toHash", sha, sizeof(sha));
		if (!ev->ref[0])
			memcpy(ev->ref, ref, sizeof(ref));
		if (strcmp(type, "DELETE") == 0 || strcmp(reftype, "BRANCH") ||
		    strncmp(ref, "refs/heads/", 11) || is_zero_sha(sha))
			continue;
		push_tip(ev, ref, ref + 11, sha);
	}
}

static int extract_bitbucket_dc(struct json_object *j, struct webhook_event *ev)
{
	if (strcmp(ev->event, "repo:refs_changed") == 0) {
		dc_repo(jget(j, "repository"), ev);
		dc_push(j, ev);
	} else if (strncmp(ev->event, "pr:", 3) == 0) {
		dc_repo(jget(j, "pullRequest.toRef.repository"), ev);
		jcopy(j, "pullRequest.fromRef.latestCommit", ev->sha, sizeof(ev->sha));
		jcopy(j, "pullRequest.fromRef.id", ev->ref, sizeof(ev->ref));
		pull_branches(j, ev, "pullRequest.toRef.displayId");
		ev->pr = jint(j, "pullRequest.id");
		if (!strcmp(ev->event, "pr:opened") || !strcmp(ev->event, "pr:from_ref_updated"))
			ev->outcome = WE_SCAN;
	} else if (strcmp(ev->event, "diagnostics:ping") == 0) {
		ev->outcome = WE_RECORD;
	} else {
		dc_repo(jget(j, "repository"), ev);
	}
	return 0;
}

static struct json_object *json_parse_limited(const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(WEBHOOK_JSON_DEPTH);
	struct json_object *o;

	if (!tok || len > INT32_MAX)
		goto fail;
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o && json_tokener_get_error(tok) == json_tokener_success) {
		size_t used = json_tokener_get_parse_end(tok);

		while (used < len && strchr(" \t\r\n", s[used]) && s[used])
			used++;
		if (used == len) {
			json_tokener_free(tok);
			return o;
		}
	}
	json_object_put(o);
fail:
	json_tokener_free(tok);
	return NULL;
}

/*
 * A scan needs a repository, a commit and a ref; anything else is kept
 * loosely.  An incomplete scan event keeps what is valid of it.
 */
static int tip_bad(char *sha, const char *ref, const char *branch)
{
	return !sha[0] || sha_normalize(sha) < 0 || is_zero_sha(sha) || !ref[0] || !branch[0];
}

static int event_check(struct webhook_event *ev)
{
	int bad_sha = ev->sha[0] && sha_normalize(ev->sha) < 0;
	int bad_pr = ev->pr < 0 || ev->pr > INT32_MAX, bad_more = 0;

	for (int i = 0; i < ev->nmore; i++)
		bad_more |= tip_bad(ev->more[i].sha, ev->more[i].ref, ev->more[i].branch);

	if (bad_sha)
		ev->sha[0] = '\0';
	if (bad_pr)
		ev->pr = 0;
	if (ev->outcome != WE_SCAN)
		return 0;
	if (bad_sha || bad_pr || bad_more || !ev->sha[0] || is_zero_sha(ev->sha) || !ev->repo[0] ||
	    !ev->ref[0] || !ev->branch[0]) {
		ev->outcome = WE_INCOMPLETE;
		ev->nmore = 0;
		return -ENODATA;
	}
	return 0;
}

int webhook_extract(enum webhook_provider p, const char *event_header, const char *json,
		    size_t len, struct webhook_event *ev)
{
	struct json_object *j;
	int r;

	memset(ev, 0, sizeof(*ev));
	ev->outcome = WE_INCOMPLETE;
	if (!event_header || !*event_header || strlen(event_header) > WEBHOOK_EVENT_MAX)
		return -EINVAL;
	strcpy(ev->event, event_header);
	ev->outcome = WE_UNPARSABLE;
	j = json_parse_limited(json, len);
	if (!j || !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		return -EBADMSG;
	}
	ev->outcome = WE_IGNORE;
	switch (p) {
	case WH_GITHUB: r = extract_hublike(j, ev, "synchronize"); break;
	case WH_GITEA: r = extract_hublike(j, ev, "synchronized"); break;
	case WH_GITLAB: r = extract_gitlab(j, ev); break;
	case WH_BITBUCKET: r = extract_bitbucket(j, ev); break;
	case WH_BITBUCKET_DC: r = extract_bitbucket_dc(j, ev); break;
	default: r = -EINVAL; break;
	}
	json_object_put(j);
	return r < 0 ? r : event_check(ev);
}

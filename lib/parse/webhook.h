/*
 * webhook.h - what each VCS sends, how it signs it, and what Lethe keeps.
 *
 * Order of use (DESIGN.md invariant 1): webhook_headers_get() collects the
 * provider's headers, webhook_verify() checks the signature or token over
 * the bytes the VCS signed (webhook_signed_bytes() picks them, decoding a
 * form-encoded `payload=` field where the VCS signed the JSON inside it),
 * and only then webhook_extract() parses the JSON, under depth and size
 * limits, into a struct webhook_event: metadata only, never the body.
 *
 * Everything here is pure (no I/O, no allocation that outlives a call
 * except where documented), so that the fuzz targets reach all of it.
 */
#ifndef LETHE_WEBHOOK_H
#define LETHE_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

enum webhook_provider { WH_GITHUB, WH_GITLAB, WH_BITBUCKET, WH_BITBUCKET_DC, WH_GITEA, WH__MAX };

/* "github", "gitlab", "bitbucket", "bitbucket-dc", "gitea"; -ENOENT otherwise. */
int webhook_provider_parse(const char *name, enum webhook_provider *out);
const char *webhook_provider_name(enum webhook_provider p);

/* The request headers that matter, as found (NULL when absent). */
struct webhook_headers {
	const char *event;		/* X-GitHub-Event, X-Gitlab-Event, X-Event-Key, ... */
	const char *delivery;		/* the delivery id the VCS reuses on retries */
	const char *signature;		/* HMAC header, or X-Gitlab-Token for GitLab */
	const char *sw_id;		/* Standard Webhooks (GitLab 19+): webhook-id */
	const char *sw_timestamp;	/* webhook-timestamp */
	const char *sw_signature;	/* webhook-signature */
};

/*
 * Look headers up through get(name, arg), name being the CGI variable
 * ("HTTP_X_GITHUB_EVENT").  Provider-specific precedence: Forgejo before
 * Gitea, GitLab's Idempotency-Key before webhook-id.
 */
void webhook_headers_get(enum webhook_provider p, const char *(*get)(const char *name, void *arg),
			 void *arg, struct webhook_headers *h);

/* Limits on what is kept from a delivery. */
#define WEBHOOK_DELIVERY_MAX 128
#define WEBHOOK_EVENT_MAX    64
#define WEBHOOK_REPO_MAX     255
#define WEBHOOK_REF_MAX      255
#define WEBHOOK_SHA_MAX      64
#define WEBHOOK_JSON_DEPTH   64
#define WEBHOOK_TIPS_MAX     32	/* branch tips of one push that get a job each */

/* Verification outcomes, all refused with 401 except 0. */
#define WEBHOOK_OK 0
/* -ENOMSG: signature header missing or empty ("sha256=" counts as empty)
 * -EBADMSG: malformed signature header
 * -EACCES: signature or token does not match
 * -ETIME: Standard Webhooks timestamp outside the tolerance
 * -ENOKEY: no secret configured, or an unusable signing token */
const char *webhook_verify_reason(int err);

/*
 * Verify headers against body with secret (secretlen bytes).  For GitLab a
 * secret starting with "whsec_" is a Standard Webhooks signing token (the
 * webhook-signature header is then required, with its timestamp within
 * tolerance seconds of now); any other secret is compared with
 * X-Gitlab-Token.  Constant time in the secret and the signature.
 */
int webhook_verify(enum webhook_provider p, const struct webhook_headers *h,
		   const unsigned char *secret, size_t secretlen,
		   const void *body, size_t bodylen, int64_t now, int64_t tolerance);

/*
 * The digits of installation.id in a body not yet verified (a GitHub App
 * delivery), into out: only to pick the one integration whose secret must
 * verify it, so nothing is parsed.  A scanner that skips JSON values
 * (strings with their escapes, nesting at most WEBHOOK_JSON_DEPTH deep)
 * takes the first top-level member named exactly "installation", then its
 * first member "id", a number of at most outlen - 1 digits.  The caller
 * checks, once the body is verified and parsed, that the event names the
 * same installation.  -ENOENT when there is no such id.
 */
int webhook_peek_installation(const void *body, size_t len, char *out, size_t outlen);

/*
 * 1 when the delivery id is signed: Standard Webhooks (a GitLab secret
 * starting with "whsec_"), whose webhook-id is then the delivery id.  The
 * other ids (X-GitHub-Delivery, Idempotency-Key, ...) lie outside the
 * signature.
 */
int webhook_id_signed(enum webhook_provider p, const unsigned char *secret, size_t secretlen);

/*
 * What recognises a replay whose id is not signed: HMAC-SHA256 under the
 * hook's secret of a Lethe-only prefix and the signed bytes, as 64 hex
 * digits.  Keyed, so that it confirms no guess about a body, and not the
 * VCS's own signature of it.
 */
#define WEBHOOK_DIGEST_HEX 64
int webhook_digest(const unsigned char *secret, size_t secretlen, const void *signed_data,
		   size_t signed_len, char hex[WEBHOOK_DIGEST_HEX + 1]);

/*
 * Parse "sha256=<64 hex>" (prefix NULL: bare hex) into mac[32].
 * -ENOMSG when empty, -EBADMSG when malformed.
 */
int webhook_sig_parse(const char *header, const char *prefix, unsigned char mac[32]);

/* Does the Standard Webhooks header (space-separated "v1,<base64>") hold mac? */
int webhook_sw_match(const char *header, const unsigned char mac[32]);

/*
 * Find the `payload` field of an application/x-www-form-urlencoded body and
 * percent-decode it into a new buffer (*out, NUL-terminated, caller frees).
 * -ENOENT without such a field, -EINVAL on a bad escape.
 */
int webhook_form_payload(const char *body, size_t len, char **out, size_t *outlen);

/*
 * The bytes the VCS signed, given the content type (form: 1 for
 * application/x-www-form-urlencoded): GitHub signs the body as sent, Gitea
 * and Forgejo the JSON inside `payload=`, which is then decoded into
 * *owned (caller frees).  -EPROTONOSUPPORT: this VCS sends no forms.
 */
int webhook_signed_bytes(enum webhook_provider p, int form, const char *body, size_t len,
			 const char **signed_data, size_t *signed_len, char **owned);
/*
 * After verification: the JSON to parse, decoding the form now if
 * webhook_signed_bytes() did not already (*owned, caller frees).
 */
int webhook_json_bytes(int form, const char *body, size_t len, char **owned,
		       const char **json, size_t *json_len);

/* What Lethe does with a delivery. */
enum webhook_outcome {
	WE_IGNORE,	/* recorded as ignored */
	WE_RECORD,	/* recorded: ping, installation, repository removal */
	WE_SCAN,	/* a scan job (queued, or absorbed by a queued one) */
	WE_UNPARSABLE,	/* verified, but not JSON (or no form payload): recorded */
	WE_INCOMPLETE,	/* verified, but no event header, or a scan event missing a part */
};

/* A branch a push moved, and the commit it now points at. */
struct webhook_tip {
	char ref[WEBHOOK_REF_MAX + 1];
	char branch[WEBHOOK_REF_MAX + 1];
	char sha[WEBHOOK_SHA_MAX + 1];
};

struct webhook_event {
	enum webhook_outcome outcome;
	char event[WEBHOOK_EVENT_MAX + 1];
	char action[WEBHOOK_EVENT_MAX + 1];	/* "" when none */
	char repo[WEBHOOK_REPO_MAX + 1];	/* "" when the payload names none */
	char ref[WEBHOOK_REF_MAX + 1];		/* refs/heads/..., "" when none */
	char branch[WEBHOOK_REF_MAX + 1];	/* a push's branch; a pull request's target */
	char sha[WEBHOOK_SHA_MAX + 1];		/* lower-case hex, "" when none */
	int64_t pr;				/* 0 when none */
	/* A push of several branches (Bitbucket): the tips after the first. */
	struct webhook_tip more[WEBHOOK_TIPS_MAX - 1];
	int nmore;
};

/*
 * Parse json (len bytes, after verification) for the given event header
 * and fill ev.  On failure ev still holds what can be recorded, its
 * outcome saying why nothing more: -EBADMSG (WE_UNPARSABLE): not JSON or
 * too deep.  -EINVAL (WE_INCOMPLETE): no event header.  -ENODATA
 * (WE_INCOMPLETE): a scan event missing its repository, commit or ref;
 * ev keeps what was valid.
 */
int webhook_extract(enum webhook_provider p, const char *event_header, const char *json,
		    size_t len, struct webhook_event *ev);

#endif

/*
 * github_test - the GitHub App JWT (checked against the RFC 7515 A.2 RS256
 * vectors) and installation tokens from the stand-in GitHub API.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "github.h"
#include "standin.h"
#include "tap.h"
#include "corpus.h"

#define APP_ID "4242"
#define INST   "77"

/* The corpus file's text (caller frees), NULL if absent; frees path. */
static char *slurp(char *path)
{
	char *txt = NULL;

	if (path && read_file(path, 1 << 20, &txt, NULL) < 0)
		txt = NULL;
	free(path);
	return txt;
}

static void app_set_key(struct github_app *app, const char *pem)
{
	secbuf_release(&app->ga_key);
	secbuf_alloc(&app->ga_key, strlen(pem) + 1);
	memcpy(app->ga_key.data, pem, strlen(pem));
}

/* RS256 verification with OpenSSL alone, independent of libjwt. */
static int rs256_verify(const char *pub_pem, const char *compact)
{
	const char *dot = strrchr(compact, '.');
	BIO *bio = BIO_new_mem_buf(pub_pem, -1);
	EVP_PKEY *pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[1024];
	char b64[1400];
	size_t n = strlen(dot + 1), i;
	int len, okv = 0;

	if (!pk || n + 4 > sizeof(b64))
		goto out;
	for (i = 0; i < n; i++)
		b64[i] = dot[1 + i] == '-' ? '+' : dot[1 + i] == '_' ? '/' : dot[1 + i];
	while (i % 4)
		b64[i++] = '=';
	len = EVP_DecodeBlock(sig, (unsigned char *)b64, (int)i);
	len -= (b64[i - 1] == '=') + (b64[i - 2] == '=');
	okv = len > 0 && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	      EVP_DigestVerify(md, sig, (size_t)len, (const unsigned char *)compact,
			       (size_t)(dot - compact)) == 1;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return okv;
}

static void test_vectors(void)
{
	char *vec = slurp(corpus_file("jwt/rfc7515-A2-rs256.json"));
	char *pub = slurp(corpus_file("jwt/rfc7515-A2-rsa-public.spki.pem"));
	char *priv1 = slurp(corpus_file("jwt/rfc7515-A2-rsa-private.pkcs1.pem"));
	char *priv8 = slurp(corpus_file("jwt/rfc7515-A2-rsa-private.pkcs8.pem"));
	json_object *j = vec ? json_tokener_parse(vec) : NULL, *c;
	struct github_app app = { .ga_app_id = APP_ID };
	char *privs[] = { priv1, priv8 }, *compact, *tampered;
	jwt_t *d = NULL;

	if (!j || !pub || !priv1 || !priv8 || !json_object_object_get_ex(j, "compact", &c)) {
		skip(12, "the RFC 7515 A.2 vectors are not in the corpus");
		goto out;
	}
	compact = (char *)json_object_get_string(c);
	ok(rs256_verify(pub, compact), "the A.2 vector verifies with OpenSSL");
	ok(jwt_decode(&d, compact, (unsigned char *)pub, (int)strlen(pub)) == 0 &&
	   jwt_get_alg(d) == JWT_ALG_RS256, "the A.2 vector verifies with libjwt as RS256");
	jwt_free(d);
	d = NULL;
	tampered = xstrdup(compact);
	tampered[strlen(tampered) - 5] ^= 1;
	ok(!rs256_verify(pub, tampered) && jwt_decode(&d, tampered, (unsigned char *)pub,
	   (int)strlen(pub)) != 0, "a tampered A.2 signature is refused by both");
	jwt_free(d);
	d = NULL;
	free(tampered);

	for (int k = 0; k < 2; k++) {
		char *mine = NULL;
		time_t now = time(NULL);

		app_set_key(&app, privs[k]);
		ok(github_app_jwt(&app, now, &mine) == 0 && rs256_verify(pub, mine),
		   "an App JWT signed with the A.2 %s key verifies with OpenSSL",
		   k ? "PKCS#8" : "PKCS#1");
		ok(mine && jwt_decode(&d, mine, (unsigned char *)pub, (int)strlen(pub)) == 0 &&
		   jwt_get_alg(d) == JWT_ALG_RS256, "its header names RS256");
		ok(d && jwt_get_grant_int(d, "iat") == now - 60 &&
		   jwt_get_grant_int(d, "exp") == now + 540,
		   "iat is 60 s in the past, exp 10 minutes after it");
		ok(d && jwt_get_grant(d, "iss") && !strcmp(jwt_get_grant(d, "iss"), APP_ID),
		   "iss is the app id");
		jwt_free(d);
		d = NULL;
		github_jwt_free(mine);
	}
	app_set_key(&app, pub);
	{
		char *mine = NULL;

		ok(github_app_jwt(&app, time(NULL), &mine) < 0 && !mine,
		   "a public key does not sign");
	}
out:
	secbuf_release(&app.ga_key);
	json_object_put(j);
	free(vec);
	free(pub);
	free(priv1);
	free(priv8);
}

/* A fresh RSA key pair as PEM strings. */
static void gen_key(char **priv, char **pub)
{
	EVP_PKEY *pk = EVP_RSA_gen(2048);
	BIO *b1 = BIO_new(BIO_s_mem()), *b2 = BIO_new(BIO_s_mem());
	char *p;
	long n;

	PEM_write_bio_PrivateKey(b1, pk, NULL, NULL, 0, NULL, NULL);
	PEM_write_bio_PUBKEY(b2, pk);
	n = BIO_get_mem_data(b1, &p);
	*priv = xstrndup(p, (size_t)n);
	n = BIO_get_mem_data(b2, &p);
	*pub = xstrndup(p, (size_t)n);
	BIO_free(b1);
	BIO_free(b2);
	EVP_PKEY_free(pk);
}

static int post_check(const struct http_client *hc, const char *url, const struct github_token *t,
		      long *status)
{
	struct http_req rq = { .rq_method = "POST", .rq_url = url, .rq_auth_scheme = "Bearer",
			       .rq_auth = (const char *)t->gt_token.data };
	struct http_resp rs;
	int r;

	rq.rq_body = json_tokener_parse("{\"name\": \"lethe\", \"head_sha\": "
					"\"0123456789abcdef0123456789abcdef01234567\"}");
	r = http_request(hc, &rq, &rs);
	*status = rs.rs_status;
	http_resp_release(&rs);
	json_object_put(rq.rq_body);
	return r;
}

static void test_tokens(const struct standin *s, const char *priv, const char *other_priv)
{
	struct github_app app = { .ga_app_id = APP_ID, .ga_installation_id = INST };
	struct github_token clone, rep, bad;
	struct http_client hc;
	char *checks = xasprintf("%s/repos/acme/app/check-runs", s->url);
	long status;
	int r;

	http_client_init(&hc);
	hc.hc_backoff_ms = 10;
	app.ga_api_url = (char *)s->url;
	app_set_key(&app, priv);

	r = github_token_get(&hc, &app, "acme/app", GITHUB_CLONE, &clone);
	ok(r == 0 && clone.gt_token.data && clone.gt_expires <= time(NULL) + 3600,
	   "a clone token is issued, expiring within the hour (r=%d)", r);
	ok(standin_count(s, "\"issued\": {\"token_id\": 1001, \"repositories\": [\"app\"], "
			 "\"permissions\": {\"contents\": \"read\"}}") == 1,
	   "it was asked for one repository and contents: read only");
	r = github_token_get(&hc, &app, "acme/app", GITHUB_CHECKS, &rep);
	ok(r == 0 && standin_count(s, "\"issued\": {\"token_id\": 1002, \"repositories\": [\"app\"], "
				    "\"permissions\": {\"checks\": \"write\"}}") == 1,
	   "a separate reporting token has checks: write only (r=%d)", r);
	ok(clone.gt_token.data && rep.gt_token.data &&
	   strcmp((char *)clone.gt_token.data, (char *)rep.gt_token.data),
	   "the two tokens differ");
	ok(standin_count(s, "\"jwt\": {\"iss\": \"" APP_ID "\"") == 2,
	   "both were requested with an App JWT the stand-in verified");

	r = post_check(&hc, checks, &clone, &status);
	ok(r == -EACCES && status == 403, "the clone token cannot create a check run (%ld)", status);
	r = post_check(&hc, checks, &rep, &status);
	ok(r == 0 && status == 201, "the reporting token can (%ld)", status);

	ok(github_token_get(&hc, &app, "acme/app", GITHUB_CLONE | GITHUB_CHECKS, &bad) == -EINVAL,
	   "a clone token with a write scope is never asked for");
	r = github_token_get(&hc, &app, "acme/elsewhere", GITHUB_CLONE, &bad);
	ok(r == -EPROTO, "a repository outside the installation is a permanent error (r=%d)", r);
	ok(github_token_get(&hc, &app, "acme/app", GITHUB_FIX | GITHUB_COMMENTS, &bad) == -EINVAL &&
	   github_token_get(&hc, &app, "acme/app", GITHUB_FIX | GITHUB_CLONE, &bad) == -EINVAL,
	   "a fix token is asked for alone");
	r = github_token_get(&hc, &app, "acme/app", GITHUB_FIX, &bad);
	ok(r == -EPROTO && !bad.gt_token.data,
	   "a fix token is refused by an installation that may not write contents (r=%d)", r);
	ok(standin_count(s, "\"permissions\": {\"contents\": \"write\", \"pull_requests\": \"write\"}") == 1,
	   "it was asked for contents and pull_requests write");

	app_set_key(&app, other_priv);
	r = github_token_get(&hc, &app, "acme/app", GITHUB_CLONE, &bad);
	ok(r == -EACCES && http_error_permanent(r) && !bad.gt_token.data,
	   "a wrong app key is a permanent error: access refused (r=%d)", r);
	github_token_release(&clone);
	github_token_release(&rep);
	secbuf_release(&app.ga_key);
	free(checks);
}

int main(void)
{
	struct standin s = { 0 };
	char *priv, *pub, *other_priv, *other_pub, *cfg;

	plan(12 + 13);
	test_vectors();
	gen_key(&priv, &pub);
	gen_key(&other_priv, &other_pub);
	cfg = xasprintf("{\"apps\": {\"" APP_ID "\": {\"public_key\": \"app.pub\"}}, "
			"\"installations\": {\"" INST "\": {\"app_id\": \"" APP_ID "\", "
			"\"account\": \"acme\", \"repositories\": [\"app\", \"web\"], "
			"\"permissions\": {\"contents\": \"read\", \"checks\": \"write\", "
			"\"statuses\": \"write\", \"pull_requests\": \"write\", "
			"\"metadata\": \"read\"}}}}");
	if (standin_start(&s, cfg) == 0) {
		/* The stand-in reads the public key file at each request. */
		char *path = xasprintf("%s/app.pub", s.dir);

		write_file_atomic(path, pub, strlen(pub), 0600);
		free(path);
		test_tokens(&s, priv, other_priv);
	} else {
		skip(10, "the stand-in VCS API needs /usr/bin/python3");
	}
	standin_stop(&s);
	free(cfg);
	free(priv);
	free(pub);
	free(other_priv);
	free(other_pub);
	return tap_exit();
}

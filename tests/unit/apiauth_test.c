/* apiauth_test.c - access tokens: the JWT corpus attack cases and round trips. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "apiauth.h"
#include "corpus.h"
#include "util.h"

static int n_test;

static void ok(int cond, const char *what)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++n_test, what);
}

static void corpus_cases(const unsigned char *a1key, size_t a1len)
{
	char *path = corpus_file("jwt/attack-cases-derived.json");
	struct json_object *doc = path ? json_object_from_file(path) : NULL, *cases;
	size_t i;

	if (!doc || !json_object_object_get_ex(doc, "cases", &cases)) {
		printf("ok %d # SKIP no readable JWT attack cases in the corpus (set CORPUS)\n", ++n_test);
		json_object_put(doc);
		free(path);
		return;
	}
	for (i = 0; i < json_object_array_length(cases); i++) {
		struct json_object *c = json_object_array_get_idx(cases, i), *id, *compact, *exp;
		char *what;
		int r;

		json_object_object_get_ex(c, "id", &id);
		json_object_object_get_ex(c, "compact", &compact);
		json_object_object_get_ex(c, "expected", &exp);
		r = apiauth_verify_hs256(json_object_get_string(compact), a1key, a1len, 1300819379, NULL);
		if (!strcmp(json_object_get_string(id), "valid-A1-hs256")) {
			ok(r == 0, "valid-A1-hs256 accepted with a clock before exp");
			r = apiauth_verify_hs256(json_object_get_string(compact), a1key, a1len,
						 time(NULL), NULL);
			ok(r == -ETIME, "valid-A1-hs256 refused as expired with the real clock");
			continue;
		}
		what = xasprintf("%s refused by the pinned HS256 verifier", json_object_get_string(id));
		ok(r < 0, what);
		free(what);
	}
	json_object_put(doc);
	free(path);
}

static void round_trips(void)
{
	unsigned char key[32], other[32];
	struct apiauth_claims c = { .user_id = 7, .org_id = 3, .role = "admin" }, got;
	int64_t now = time(NULL);
	char *tok = NULL, *bad;

	memset(key, 0x5a, sizeof(key));
	memset(other, 0x5b, sizeof(other));
	c.iat = c.nbf = now;
	c.exp = now + 3600;
	ok(apiauth_sign(key, sizeof(key), &c, &tok) == 0, "an access token is signed");
	ok(apiauth_verify(tok, key, sizeof(key), now, &got) == 0 && got.user_id == 7
	   && got.org_id == 3 && !strcmp(got.role, "admin"), "it verifies and gives back its claims");
	ok(apiauth_verify(tok, other, sizeof(other), now, &got) == -EPERM, "another key is refused");
	ok(apiauth_verify(tok, key, sizeof(key), now + 3600, &got) == -ETIME, "it expires at exp");
	ok(apiauth_verify(tok, key, 0, now, &got) == -EPERM, "an empty key verifies nothing");
	bad = xstrdup(tok);
	bad[strchr(bad, '.') - bad + 3] ^= 1;
	ok(apiauth_verify(bad, key, sizeof(key), now, &got) < 0, "a tampered payload is refused");
	free(bad);
	free(tok);
	c.nbf = now + 600;
	ok(apiauth_sign(key, sizeof(key), &c, &tok) == 0
	   && apiauth_verify(tok, key, sizeof(key), now, &got) == -ETIME, "a token not yet valid is refused");
	free(tok);
	c.nbf = now;
	c.exp = now + 5 * 3600;
	ok(apiauth_sign(key, sizeof(key), &c, &tok) == 0
	   && apiauth_verify(tok, key, sizeof(key), now, &got) < 0, "a lifetime over four hours is refused");
	free(tok);
}

static void key_files(void)
{
	char dir[] = "/tmp/apiauth-test-XXXXXX", *path, why[256];
	struct apiauth_keys k1, k2;
	FILE *f;

	if (!mkdtemp(dir))
		return;
	path = xasprintf("%s/master.key", dir);
	f = fopen(path, "w");
	fprintf(f, "v1 %064x\nv2 %s\n", 1, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	fclose(f);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	chmod(path, 0644);
	ok(apiauth_keys_load(NULL, &k1, why, sizeof(why)) == -EPERM && strstr(why, "master.key"),
	   "a master key readable by others is refused, naming the file");
	chmod(path, 0600);
	ok(apiauth_keys_load(NULL, &k1, why, sizeof(why)) == 0 && k1.n == 2,
	   "a private master key file gives a key per version");
	f = fopen(path, "w");
	fprintf(f, "v2 %s\n", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	fclose(f);
	ok(apiauth_keys_load(NULL, &k2, why, sizeof(why)) == 0 && !memcmp(k1.key[0], k2.key[0], 32)
	   && memcmp(k1.key[1], k2.key[0], 32), "the signing key follows the highest version, whatever the order");
	f = fopen(path, "w");
	fprintf(f, "v1 %.63s\n", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
	fclose(f);
	ok(apiauth_keys_load(NULL, &k2, why, sizeof(why)) == -EINVAL, "a malformed line is refused");
	apiauth_keys_release(&k1);
	unlink(path);
	rmdir(dir);
	free(path);
	unsetenv("CREDENTIALS_DIRECTORY");
}

int main(void)
{
	unsigned char a1[64];

	hex_decode("0323354b2b0fa5bc837e0665777ba68f5ab328e6f054c928a90f84b2d2502ebfd3fb5a92d2"
		   "0647ef968ab4c377623d223d2e2172052e4f08c0cd9af567d080a3", a1, sizeof(a1));
	corpus_cases(a1, sizeof(a1));
	round_trips();
	key_files();
	printf("1..%d\n", n_test);
	return 0;
}

/* anchor.c - audit chain checkpoints in a file of MACed lines. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "anchor.h"
#include "crypto.h"
#include "util.h"

/* The text a MAC covers, into buf. */
static void anchor_text(const struct anchor *a, char *buf, size_t len)
{
	char hash[65];

	hex_encode(a->hash, 32, hash);
	snprintf(buf, len, ANCHOR_TAG " %d %lld %s %lld", a->version, (long long)a->id, hash,
		 (long long)a->time);
}

static int anchor_mac(const struct keyring *kr, const struct anchor *a, unsigned char mac[32])
{
	unsigned char key[CRYPTO_KEY_LEN];
	char text[ANCHOR_LINE_MAX];
	int r = keyring_derive(kr, a->version, ANCHOR_LABEL, key, NULL);

	if (r == 0) {
		anchor_text(a, text, sizeof(text));
		r = crypto_hmac_sha256(key, sizeof(key), text, strlen(text), mac);
	}
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

/* The five fields of a line's text; -EINVAL unless exactly as anchor_text() writes them. */
static int anchor_fields(char *text, struct anchor *a)
{
	char *f[5], *save = NULL, again[ANCHOR_LINE_MAX];
	int64_t v;
	int n = 0;

	strcpy(again, text);
	for (char *t = strtok_r(again, " ", &save); t; t = strtok_r(NULL, " ", &save))
		if (n < 5)
			f[n++] = t;
		else
			return -EINVAL;
	if (n != 5 || strcmp(f[0], ANCHOR_TAG) || parse_i64(f[1], 1, INT32_MAX, &v) < 0)
		return -EINVAL;
	a->version = (int)v;
	if (parse_i64(f[2], 1, INT64_MAX, &a->id) < 0 || strlen(f[3]) != 64 ||
	    hex_decode(f[3], a->hash, 32) < 0 || parse_i64(f[4], 0, INT64_MAX, &a->time) < 0)
		return -EINVAL;
	anchor_text(a, again, sizeof(again));
	return strcmp(again, text) ? -EINVAL : 0;
}

/*
 * One line (without its newline): 0 and *a when its MAC verifies, 1 when
 * its master version is gone, -EBADMSG with why when malformed or forged.
 */
static int anchor_parse(const struct keyring *kr, char *line, struct anchor *a, char *why,
			size_t whylen)
{
	char *sp = strrchr(line, ' ');
	unsigned char mac[32], want[32];
	int r;

	if (!sp || strlen(sp + 1) != 64 || hex_decode(sp + 1, mac, 32) < 0)
		goto malformed;
	*sp = '\0';
	if (anchor_fields(line, a) < 0)
		goto malformed;
	r = anchor_mac(kr, a, want);
	if (r == -ENOKEY)
		return 1;
	if (r < 0 || CRYPTO_memcmp(mac, want, 32) != 0) {
		snprintf(why, whylen, "its MAC does not verify under master key version %d (forged "
			 "or altered)", a->version);
		return -EBADMSG;
	}
	return 0;
malformed:
	snprintf(why, whylen, "not a line '" ANCHOR_TAG " VERSION ID HASH TIME MAC'");
	return -EBADMSG;
}

/* Every line of path, checked; the good ones to *list (caller frees). */
static int anchor_read(const char *path, const struct keyring *kr, struct anchor **list,
		       size_t *n, struct anchor_check *chk)
{
	char line[ANCHOR_LINE_MAX + 2], why[128];
	FILE *f = fopen(path, "re");
	size_t cap = 0;
	int r = 0;

	*list = NULL;
	*n = 0;
	if (!f) {
		r = -errno;
		snprintf(chk->why, sizeof(chk->why), "unable to read '%s': %s", path, strerror(-r));
		return r;
	}
	for (int64_t no = 1; r == 0 && fgets(line, sizeof(line), f); no++) {
		struct anchor a = { .line = no };
		size_t len = strlen(line);

		if (no > ANCHOR_MAX || len == 0 || line[len - 1] != '\n') {
			snprintf(why, sizeof(why), "%s", no > ANCHOR_MAX ? "too many lines" :
				 "too long or not ended by a newline (a torn write?)");
			r = -EBADMSG;
		} else {
			line[len - 1] = '\0';
			r = anchor_parse(kr, line, &a, why, sizeof(why));
		}
		if (r < 0) {
			chk->bad_line = no;
			snprintf(chk->why, sizeof(chk->why), "anchor '%s' line %lld: %s", path,
				 (long long)no, why);
		} else if (r == 1) {
			chk->unverifiable++;
			r = 0;
		} else {
			if (*n == cap)
				*list = xrealloc(*list, (cap = cap ? 2 * cap : 64) * sizeof(**list));
			(*list)[(*n)++] = a;
			if (a.time >= chk->newest.time)
				chk->newest = a;
		}
	}
	if (r == 0 && ferror(f)) {
		r = -EIO;
		snprintf(chk->why, sizeof(chk->why), "unable to read '%s'", path);
	}
	fclose(f);
	chk->anchors = (int64_t)*n;
	return r;
}

static int by_id(const void *x, const void *y)
{
	const struct anchor *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id ? 1 : a->line < b->line ? -1 : a->line > b->line;
}

/* Anchor a against the stored chain; -EBADMSG with why when it breaks. */
static int anchor_match(struct db *db, const struct anchor *a, int64_t last_good,
			struct anchor_check *chk)
{
	char id[24], stored[65];
	PGresult *res;
	int r;

	i64s(a->id, id);
	r = DB_QUERY(db, &res, "SELECT (SELECT encode(hash, 'hex') FROM lethe.audit_events WHERE id = $1), "
		     "(SELECT coalesce(max(id), 0) FROM lethe.audit_events WHERE id < $1)", id);
	if (r < 0) {
		snprintf(chk->why, sizeof(chk->why), "reading the audit log: %s", db_error(db));
		return r;
	}
	hex_encode(a->hash, 32, stored);
	chk->bad_id = a->id;
	if (!db_value(res, 0, 0)) {
		snprintf(chk->why, sizeof(chk->why), "missing, though anchored (line %lld, time %lld): "
			 "the newest event before it is %lld, so events were removed",
			 (long long)a->line, (long long)a->time, (long long)db_int(res, 0, 1));
		r = -EBADMSG;
	} else if (strcmp(db_value(res, 0, 0), stored)) {
		snprintf(chk->why, sizeof(chk->why), "its hash is not the one anchored (line %lld, time "
			 "%lld): the chain was rewritten at or before this event, after event %lld "
			 "(the last anchored event that still matches)", (long long)a->line,
			 (long long)a->time, (long long)last_good);
		r = -EBADMSG;
	} else {
		chk->bad_id = 0;
	}
	PQclear(res);
	return r;
}

int anchor_verify(struct db *db, const struct keyring *kr, const char *path,
		  struct anchor_check *chk)
{
	int64_t org = chk->chain.org_id, last_good = 0;
	struct anchor *list = NULL;
	size_t n = 0;
	int r;

	memset(chk, 0, sizeof(*chk));
	chk->chain.org_id = org;	/* the one input */
	r = audit_verify(db, &chk->chain);
	if (r < 0) {
		chk->bad_id = chk->chain.bad_id;
		if (r == -EBADMSG)
			snprintf(chk->why, sizeof(chk->why), "%s", chk->chain.why);
		else
			snprintf(chk->why, sizeof(chk->why), "reading the audit log: %s", db_error(db));
		return r;
	}
	r = anchor_read(path, kr, &list, &n, chk);
	if (r == -ENOENT) {
		chk->why[0] = '\0';
		return 0;	/* no anchor yet */
	}
	qsort(list, n, sizeof(*list), by_id);
	for (size_t i = 0; r == 0 && i < n; i++)
		if ((r = anchor_match(db, &list[i], last_good, chk)) == 0)
			last_good = list[i].id;
	free(list);
	return r;
}

/* Append line to path and make it durable: the file, then its directory. */
static int append_durable(const char *path, const char *line, char *why, size_t whylen)
{
	_cleanup_free_ char *copy = xstrdup(path);
	size_t len = strlen(line);
	ssize_t w;
	int fd, dfd, r = 0;

	/* One write of a short line: appends from two writers never interleave. */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		r = -errno;
	else if ((w = write(fd, line, len)) != (ssize_t)len)
		r = w < 0 ? -errno : -EIO;
	else if (fsync(fd) < 0)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r == 0) {
		dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) < 0)
			r = -errno;
		if (dfd >= 0)
			close(dfd);
	}
	if (r < 0)
		snprintf(why, whylen, "unable to append to '%s': %s", path, strerror(-r));
	return r;
}

int anchor_checkpoint(struct db *db, const struct keyring *kr, const char *path, int64_t now,
		      struct anchor_check *chk)
{
	struct anchor a = { .id = 0 };
	char text[ANCHOR_LINE_MAX], mac[65];
	unsigned char m[32];
	int r = anchor_verify(db, kr, path, chk);

	if (r < 0)
		return r;
	if (chk->chain.head_id == 0) {
		snprintf(chk->why, sizeof(chk->why), "the audit log is empty: nothing to anchor");
		return -ENODATA;
	}
	a.version = keyring_current(kr);
	a.id = chk->chain.head_id;
	memcpy(a.hash, chk->chain.head, 32);
	a.time = now;
	if ((r = anchor_mac(kr, &a, m)) < 0) {
		snprintf(chk->why, sizeof(chk->why), "unable to compute the anchor's MAC: %s",
			 strerror(-r));
		return r;
	}
	anchor_text(&a, text, sizeof(text));
	hex_encode(m, 32, mac);
	_cleanup_free_ char *line = xasprintf("%s %s\n", text, mac);
	r = append_durable(path, line, chk->why, sizeof(chk->why));
	if (r == 0) {
		chk->newest = a;
		chk->anchors++;
	}
	return r;
}

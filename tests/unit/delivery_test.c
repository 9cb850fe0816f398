/*
 * delivery_test.c - what a delivery may be called, and its spool: a
 * delivery written during an outage reads back as it was, metadata only;
 * a damaged or foreign file is refused, a temporary one is not an entry.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "delivery.h"
#include "tap.h"
#include "util.h"

static void test_ids(void)
{
	char longest[WEBHOOK_DELIVERY_MAX + 2];

	memset(longest, 'a', sizeof(longest));
	longest[WEBHOOK_DELIVERY_MAX] = '\0';
	ok(delivery_id_valid("72d3162e-cc78-11e3-81ab-4c9367dc0958") && delivery_id_valid(longest),
	   "a GitHub GUID and a %d-character id are valid", WEBHOOK_DELIVERY_MAX);
	longest[WEBHOOK_DELIVERY_MAX] = 'a';
	longest[WEBHOOK_DELIVERY_MAX + 1] = '\0';
	ok(!delivery_id_valid(longest), "one character more is not");
	ok(!delivery_id_valid("") && !delivery_id_valid(NULL), "nor an empty or missing id");
	ok(!delivery_id_valid("a b") && !delivery_id_valid("a\nb") && !delivery_id_valid("a\x7f") &&
	   !delivery_id_valid("caf\xc3\xa9"), "nor one with a space, a control character or a non-ASCII byte");
}

/* The one entry of dir that spool_is_entry takes, copied into name; how many there are. */
static int entries(const char *dir, char *name, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (spool_is_entry(e->d_name) && ++n == 1)
			snprintf(name, size, "%s", e->d_name);
	if (d)
		closedir(d);
	return n;
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);

	if (write_file_atomic(path, text, strlen(text), 0640) < 0)
		abort();
	free(path);
}

static void test_spool(void)
{
	char top[] = "/tmp/lethe-delivery-test.XXXXXX", name[256] = "", *dir = NULL, *path, *text = NULL;
	struct delivery d = { .org_id = 7, .repository_id = 9, .provider = WH_GITLAB, .received_usec = 1700000000123456,
			      .ev = { .outcome = WE_SCAN, .event = "Push Hook", .ref = "refs/heads/main",
				      .branch = "main", .repo = "group/project", .pr = 0 } }, back;
	size_t len = 0;
	int r;

	snprintf(d.id, sizeof(d.id), "%s", "ab1e0000-0000-4000-8000-000000000001");
	memset(d.ev.sha, 'c', 40);
	memset(d.digest, 'd', WEBHOOK_DIGEST_HEX);
	if (!mkdtemp(top))
		abort();
	ok(spool_open_dir(top, &dir) == 0 && access(dir, W_OK) == 0, "the spool directory is created");
	ok(spool_write(dir, &d) == 0 && entries(dir, name, sizeof(name)) == 1, "a delivery is spooled as one file");
	ok(spool_read(dir, name, &back) == 0, "and reads back");
	ok(back.org_id == 7 && back.repository_id == 9 && back.provider == WH_GITLAB && back.spooled &&
	   back.received_usec == d.received_usec && back.ev.outcome == WE_SCAN && strcmp(back.id, d.id) == 0 &&
	   strcmp(back.ev.event, "Push Hook") == 0 && strcmp(back.ev.ref, d.ev.ref) == 0 &&
	   strcmp(back.ev.branch, "main") == 0 && strcmp(back.ev.sha, d.ev.sha) == 0 &&
	   strcmp(back.digest, d.digest) == 0 && strcmp(back.ev.repo, "group/project") == 0,
	   "as it was written, spooled");
	path = xasprintf("%s/%s", dir, name);
	r = read_file(path, 4096, &text, &len);
	ok(r == 0 && len < 1024 && strchr(text, '\n') == text + len - 1,
	   "it is one short line of metadata (%zu bytes)", len);
	free(text);
	free(path);

	write_text(dir, "1-1-1.json", "{\"version\": 1, \"org_id\": 7}");
	ok(spool_read(dir, "1-1-1.json", &back) == -EBADMSG, "a file missing its fields is -EBADMSG");
	write_text(dir, "1-1-2.json", "not json");
	ok(spool_read(dir, "1-1-2.json", &back) == -EBADMSG, "so is one that is not JSON");
	write_text(dir, "1-1-3.json", "{\"version\": 1, \"org_id\": 7, \"repository_id\": 9, \"provider\": \"svn\", "
		   "\"delivery_id\": \"x\", \"outcome\": 2, \"event\": \"push\", \"action\": \"\", \"repo\": \"\", "
		   "\"ref\": \"\", \"branch\": \"\", \"sha\": \"\", \"pr\": 0, \"received_usec\": 1, \"digest\": \"\"}");
	ok(spool_read(dir, "1-1-3.json", &back) == -EBADMSG, "and one naming an unknown provider");
	ok(spool_read(dir, "no-such.json", &back) == -ENOENT, "a missing file is -ENOENT");
	ok(spool_is_entry("1-1-1.json") && !spool_is_entry(".1-1-1.json.tmp.5") && !spool_is_entry(".json") &&
	   !spool_is_entry("1-1-1.json~"), "temporary and other files are not entries");

	ok(spool_remove(dir, name) == 0 && spool_remove(dir, name) == 0 && entries(dir, name, sizeof(name)) == 3,
	   "a replayed file is removed, and removing it twice is harmless");
	for (const char *const *n = (const char *const[]){ "1-1-1.json", "1-1-2.json", "1-1-3.json", NULL }; *n; n++)
		spool_remove(dir, *n);
	rmdir(dir);
	rmdir(top);
	free(dir);
}

int main(void)
{
	test_ids();
	test_spool();
	return done_testing();
}

/* util_test.c - the shared helpers: number, duration and size parsing, hex, whole-file reads and atomic writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

struct num_case {
	const char *in;
	int want_r;
	int64_t want;
};

static void test_parse_i64(void)
{
	static const struct num_case cases[] = {
		{ "0", 0, 0 }, { "42", 0, 42 }, { "-7", 0, -7 }, { "100", 0, 100 },
		{ "101", -ERANGE, 0 }, { "-11", -ERANGE, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
		{ "", -EINVAL, 0 }, { "4x", -EINVAL, 0 }, { "x4", -EINVAL, 0 }, { "4 ", -EINVAL, 0 },
		{ " 4", -EINVAL, 0 }, { "+4", -EINVAL, 0 }, { "0x10", -EINVAL, 0 }, { "1e3", -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t v = -999;
		int r = parse_i64(cases[i].in, -10, 100, &v);

		ok(r == cases[i].want_r && (r < 0 ? v == -999 : v == cases[i].want),
		   "parse_i64(\"%s\", -10, 100) = %d (%lld)", cases[i].in, r, (long long)v);
	}
	ok(parse_i64(NULL, 0, 1, &(int64_t){ 0 }) == -EINVAL, "parse_i64(NULL) is -EINVAL");
}

static void test_units(void)
{
	static const struct num_case durations[] = {
		{ "90", 0, 90 }, { "90s", 0, 90 }, { "15m", 0, 900 }, { "2h", 0, 7200 }, { "3d", 0, 259200 },
		{ "0", 0, 0 }, { "2w", -EINVAL, 0 }, { "h", -EINVAL, 0 }, { "-1m", -ERANGE, 0 },
		{ "1.5h", -EINVAL, 0 }, { "", -EINVAL, 0 }, { "99999999999999999999999999999999s", -EINVAL, 0 },
	};
	static const struct num_case sizes[] = {
		{ "512", 0, 512 }, { "64k", 0, 65536 }, { "64K", 0, 65536 }, { "25M", 0, 26214400 },
		{ "2G", 0, 2147483648LL }, { "1T", -EINVAL, 0 }, { "25MB", -EINVAL, 0 }, { "9000000G", -ERANGE, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
		int64_t v = -1;
		int r = parse_duration(durations[i].in, &v);

		ok(r == durations[i].want_r && (r < 0 || v == durations[i].want),
		   "parse_duration(\"%s\") = %d (%lld s)", durations[i].in, r, (long long)v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		int64_t v = -1;
		int r = parse_size(sizes[i].in, &v);

		ok(r == sizes[i].want_r && (r < 0 || v == sizes[i].want),
		   "parse_size(\"%s\") = %d (%lld bytes)", sizes[i].in, r, (long long)v);
	}
}

static void test_hex(void)
{
	const unsigned char bytes[] = { 0x00, 0x7f, 0xa5, 0xff };
	unsigned char back[4] = { 0 };
	char out[9];

	hex_encode(bytes, sizeof(bytes), out);
	ok(strcmp(out, "007fa5ff") == 0, "hex_encode writes lowercase, NUL-terminated (%s)", out);
	ok(hex_decode("007FA5ff", back, 4) == 0 && memcmp(back, bytes, 4) == 0, "hex_decode takes either case");
	ok(hex_decode("007fa5f", back, 4) == -EINVAL, "an odd or short string is refused");
	ok(hex_decode("007fa5ffee", back, 4) == -EINVAL, "a longer string is refused, not cut");
	ok(hex_decode("007fa5fg", back, 4) == -EINVAL, "a non-hex digit is refused");
	ok(hex_digit('0') == 0 && hex_digit('f') == 15 && hex_digit('F') == 15 && hex_digit('g') == -1 &&
	   hex_digit(' ') == -1 && hex_digit(0x80) == -1, "hex_digit of 0, f, F, g, space and a high byte");
}

static void test_percent(void)
{
	static const struct {
		const char *in;
		int flags;
		ssize_t want;
		const char *out;
	} cases[] = {
		{ "a%20b", 0, 3, "a b" }, { "a+b", 0, 3, "a+b" }, { "a+b", PCT_FORM, 3, "a b" },
		{ "%2B%2b", PCT_FORM, 2, "++" }, { "caf%C3%A9", 0, 5, "caf\xc3\xa9" }, { "", 0, 0, "" },
		{ "100%", 0, -EINVAL, NULL }, { "%4", 0, -EINVAL, NULL }, { "%zz", 0, -EINVAL, NULL },
		{ "a%00b", 0, -EINVAL, NULL }, { "%%41", 0, -EINVAL, NULL },
		{ "abcdefgh", 0, -ENOBUFS, NULL },
	};
	char out[8];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ssize_t r = percent_decode(cases[i].in, strlen(cases[i].in), out, sizeof(out), cases[i].flags);

		ok(r == cases[i].want && (r < 0 || strcmp(out, cases[i].out) == 0),
		   "percent_decode(\"%s\"%s) = %zd", cases[i].in, cases[i].flags ? ", PCT_FORM" : "", r);
	}
	ok(percent_decode("a\0b", 3, out, sizeof(out), 0) == -EINVAL, "a raw NUL byte is refused");
	ok(percent_decode("abcdefg", 7, out, sizeof(out), 0) == 7 && strcmp(out, "abcdefg") == 0,
	   "the output fills its buffer exactly, with its NUL");
}

/* The number of entries of dir whose name starts with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static void test_files(void)
{
	char dir[] = "/tmp/lethe-util-test.XXXXXX";
	char *path, *got = NULL;
	size_t len = 0;
	struct stat st;

	if (!mkdtemp(dir))
		abort();
	path = xasprintf("%s/state", dir);
	ok(read_file(path, 100, &got, &len) == -ENOENT && !got, "reading a missing file is -ENOENT");
	ok(write_file_atomic(path, "one\0two", 7, 0640) == 0, "write_file_atomic writes a new file");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0640, "with the mode asked for (%o)",
	   (unsigned)(st.st_mode & 07777));
	ok(read_file(path, 7, &got, &len) == 0 && len == 7 && memcmp(got, "one\0two", 8) == 0,
	   "read_file returns every byte, NULs included, and a terminating NUL");
	free(got);
	got = NULL;
	ok(read_file(path, 6, &got, &len) == -EFBIG && !got, "a file over the limit is -EFBIG, nothing returned");
	ok(write_file_atomic(path, "three", 5, 0600) == 0 && read_file(path, 100, &got, &len) == 0 &&
	   strcmp(got, "three") == 0, "a second write replaces the whole file");
	free(got);
	ok(write_file_durable(path, "four", 4, 0600, WRITE_EXCL, NULL) == -EEXIST &&
	   read_file(path, 100, &got, &len) == 0 && strcmp(got, "three") == 0,
	   "WRITE_EXCL does not replace a file that exists (-EEXIST)");
	free(got);
	ok(count_prefixed(dir, ".") == 2 && count_prefixed(dir, "state") == 1,
	   "no temporary file is left beside it");
	free(path);
	path = xasprintf("%s/new", dir);
	ok(write_file_durable(path, "five", 4, 0400, WRITE_EXCL, NULL) == 0 && stat(path, &st) == 0 &&
	   (st.st_mode & 07777) == 0400 && st.st_size == 4, "WRITE_EXCL creates a new file whole");
	ok(count_prefixed(dir, ".") == 2, "and leaves no temporary file either");
	unlink(path);
	free(path);
	path = xasprintf("%s/no-such-dir/state", dir);
	ok(write_file_atomic(path, "x", 1, 0600) == -ENOENT, "a write into a missing directory is -ENOENT");
	free(path);
	path = xasprintf("%s/state", dir);
	unlink(path);
	free(path);
	rmdir(dir);
}

static void test_help(void)
{
	char *a[] = { "prog", "--once", "--help", NULL };
	char *b[] = { "prog", "-h", NULL };
	char *c[] = { "prog", "--", "--help", NULL };
	char *d[] = { "prog", "--helper", NULL };

	ok(wants_help(3, a) && wants_help(2, b), "--help and -h are asked for among other options");
	ok(!wants_help(3, c), "not after --");
	ok(!wants_help(2, d), "and not as part of a longer option");
}

int main(void)
{
	test_parse_i64();
	test_units();
	test_hex();
	test_percent();
	test_files();
	test_help();
	return done_testing();
}

/*
 * sarif_test.c - unit tests for lib/sarif (TAP).
 *
 * With "--parse FILE [--tool NAME]" it instead parses FILE with the default
 * limits (and NAME for runs that do not name their tool) and
 * prints sarif_write's document on stdout, each run's metadata ("meta
 * JSON") and "stripped N" on stderr, or
 * "refused: REASON" on stderr and exits 1 (used by t5002-sarif-corpus.sh).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sarif.h"
#include "tap.h"
#include "util.h"

#define RUN_HEAD "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"t\""

struct refusal {
	const char *name, *doc, *reason;
};

static const struct refusal refusals[] = {
	{ "syntax error", "{\"version\":\"2.1.0\",}", "invalid JSON" },
	{ "truncated", "{\"version\":\"2.1.0\",\"runs\":[", "invalid JSON" },
	{ "trailing data", "{\"version\":\"2.1.0\",\"runs\":[]} {}", "invalid JSON" },
	{ "top-level array", "[1,2]", "top level is not an object" },
	{ "no version", "{\"runs\":[]}", "no version" },
	{ "old version", "{\"version\":\"2.0.0\",\"runs\":[]}", "unsupported SARIF version" },
	{ "runs null", "{\"version\":\"2.1.0\",\"runs\":null}", "runs is not an array" },
	{ "run not object", "{\"version\":\"2.1.0\",\"runs\":[7]}", "run 0 is not an object" },
	{ "driver name empty",
	  "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"\"}}}]}",
	  "tool.driver.name missing" },
	{ "results 42", RUN_HEAD "}},\"results\":42}]}", "results is not an array" },
	{ "bad utf-8", "{\"version\":\"2.1.0\",\"runs\":[],\"x\":\"\xff\"}", "invalid JSON" },
	{ "comment", "{\"version\":\"2.1.0\",/*c*/\"runs\":[]}", "invalid JSON" },
};

static void test_refusals(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(refusals); i++) {
		struct sarif_log log;
		char why[256];
		int r = sarif_parse(refusals[i].doc, strlen(refusals[i].doc), NULL,
				    &log, why, sizeof(why));

		ok(r < 0 && strstr(why, refusals[i].reason) && !strchr(why, '\n'),
		   "refuses %s with a one-line reason", refusals[i].name);
		sarif_log_release(&log);
	}
}

static int parse_with(const char *doc, const struct sarif_limits *lim, char *why)
{
	struct sarif_log log;
	int r = sarif_parse(doc, strlen(doc), lim, &log, why, 256);

	sarif_log_release(&log);
	return r;
}

static void test_limits(void)
{
	struct sarif_limits lim;
	char why[256];
	_cleanup_free_ char *deep = xmalloc(200);
	const char *many = RUN_HEAD "}},\"results\":[{},{},{}]}]}";
	const char *runs = "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":"
			   "{\"name\":\"a\"}}},{\"tool\":{\"driver\":{\"name\":\"b\"}}}]}";

	sarif_limits_default(&lim);
	lim.max_depth = 8;
	snprintf(deep, 200, "{\"version\":\"2.1.0\",\"runs\":[],\"x\":%s}",
		 "[[[[[[[[[[1]]]]]]]]]]");
	ok(parse_with(deep, &lim, why) == -E2BIG && strstr(why, "nested deeper"),
	   "%s", "refuses JSON nested beyond the depth limit");
	sarif_limits_default(&lim);
	lim.max_bytes = 10;
	ok(parse_with(runs, &lim, why) == -EFBIG, "%s", "refuses a document over the size limit");
	sarif_limits_default(&lim);
	lim.max_results = 2;
	ok(parse_with(many, &lim, why) == -E2BIG && strstr(why, "3 results, limit 2"),
	   "%s", "refuses more results than the limit");
	sarif_limits_default(&lim);
	lim.max_runs = 1;
	ok(parse_with(runs, &lim, why) == -E2BIG, "%s", "refuses more runs than the limit");
	sarif_limits_default(&lim);
	lim.max_string = 1;
	ok(parse_with(runs, &lim, why) == -E2BIG && strstr(why, "longer than"),
	   "%s", "refuses strings over the length limit");
	ok(sarif_parse("{\"version\":\"2.1.0\",\"runs\":[]}\0x", 31, NULL,
		       &(struct sarif_log){0}, why, sizeof(why)) == -EINVAL,
	   "%s", "refuses a NUL byte in the document");
}

/* A result full of source text in every place SARIF allows it. */
static const char leaky[] =
	"{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"leaky\","
	"\"version\":\"1.2\",\"informationUri\":\"javascript:alert(1)\",\"rules\":[{\"id\":\"R1\",\"defaultConfiguration\":"
	"{\"level\":\"error\"},\"relationships\":[{\"target\":{\"id\":\"CWE-120\","
	"\"toolComponent\":{\"name\":\"CWE\"}}}]}]}},"
	"\"artifacts\":[{\"location\":{\"uri\":\"a.c\"},\"contents\":{\"text\":\"MARK_CONTENTS\"}}],"
	"\"results\":[{\"ruleIndex\":0,\"message\":{\"text\":\"bad copy\"},"
	"\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"./src/a%20b.c\"},"
	"\"region\":{\"startLine\":7,\"endLine\":3,\"startColumn\":2,"
	"\"snippet\":{\"text\":\"MARK_SNIPPET\"}},"
	"\"contextRegion\":{\"snippet\":{\"text\":\"MARK_CONTEXT\"}}}}],"
	"\"codeFlows\":[{\"message\":{\"text\":\"MARK_FLOW\"}}],"
	"\"fixes\":[{\"description\":{\"text\":\"MARK_FIX\"}}],"
	"\"properties\":{\"offender\":\"MARK_PROPERTY\"},"
	"\"partialFingerprints\":{\"lethe/v1\":"
	"\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
	"\"other\":\"MARK_FP\"}}]}]}";

static void test_strip(void)
{
	static const char *const marks[] = { "MARK_CONTENTS", "MARK_SNIPPET",
		"MARK_CONTEXT", "MARK_FLOW", "MARK_FIX", "MARK_PROPERTY", "MARK_FP" };
	struct sarif_log log;
	char why[256];
	int r = sarif_parse(leaky, strlen(leaky), NULL, &log, why, sizeof(why));
	struct sarif_result *res = r == 0 ? &log.runs[0].results[0] : NULL;
	_cleanup_free_ char *out = r == 0 ? sarif_write(&log) : NULL;
	bool clean = out != NULL;

	ok(r == 0 && log.nruns == 1 && log.runs[0].nresults == 1, "%s", "parses a leaky log");
	ok(log.stripped >= 5, "%s", "reports the source fields it dropped");
	ok(r == 0 && log.runs[0].info_uri == NULL, "%s", "drops an informationUri that is not http(s)");
	ok(res && strcmp(res->rule_id, "R1") == 0 && strcmp(res->level, "error") == 0,
	   "%s", "takes rule id by ruleIndex and level from the rule default");
	ok(res && strcmp(res->path, "src/a b.c") == 0 && res->start_line == 7 &&
	   res->end_line == 7 && res->start_column == 2,
	   "%s", "normalises the path and an inconsistent region");
	ok(res && res->cwe && strcmp(res->cwe, "CWE-120") == 0, "%s", "reads CWE from rule relationships");
	ok(res && res->fingerprint && res->fingerprint[0] == '0', "%s", "keeps the lethe/v1 fingerprint");
	for (size_t i = 0; out && i < ARRAY_SIZE(marks); i++)
		clean = clean && !strstr(out, marks[i]);
	ok(clean, "%s", "no source text survives into the written document");
	ok(out && strstr(out, "\"uri\":\"src/a%20b.c\"") &&
	   strstr(out, "external/cwe/cwe-120"), "%s", "writes an encoded uri and the CWE tag");
	sarif_log_release(&log);
}

static const char quoting[] =
	RUN_HEAD "}},\"results\":[{\"ruleId\":\"S1\",\"level\":\"bogus\","
	"\"message\":{\"text\":\"found key = 'SECRET_VALUE_1' here\"},"
	"\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"k.py\"},"
	"\"region\":{\"startLine\":2,\"snippet\":{\"text\":\"  key = 'SECRET_VALUE_1'\\n\"}}}}],"
	"\"properties\":{\"tags\":[\"security\",\"CWE-798\",\"external/cwe/cwe-259\"]}}]}]}";

static void test_quoting(void)
{
	struct sarif_log log;
	char why[256];
	int r = sarif_parse(quoting, strlen(quoting), NULL, &log, why, sizeof(why));
	struct sarif_result *res = r == 0 ? &log.runs[0].results[0] : NULL;

	ok(res && !strstr(res->message, "SECRET_VALUE_1") && log.stripped == 2,
	   "%s", "a message quoting its snippet is withheld and counted");
	ok(res && strcmp(res->level, "warning") == 0, "%s", "an unknown level becomes warning");
	ok(res && res->cwe && strcmp(res->cwe, "CWE-798,CWE-259") == 0,
	   "%s", "CWE ids come from plain and external/cwe tags");
	sarif_log_release(&log);
}

static void test_roundtrip(void)
{
	struct sarif_log log, back;
	struct sarif_run *run;
	struct sarif_result *res;
	_cleanup_free_ char *out = NULL;
	char why[256], big[3000];
	int r;

	sarif_log_init(&log);
	run = sarif_log_add_run(&log, "cppcheck", "2.10");
	run->info_uri = xstrdup("https://cppcheck.sourceforge.io/");
	res = sarif_run_add_result(run);
	res->rule_id = xstrdup("nullPointer");
	res->level = xstrdup("error");
	res->path = xstrdup("lib/x.c");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[999] = (char)0xc3;	/* a two-byte character across the cap */
	big[1000] = (char)0xa9;
	res->message = xstrdup(big);
	res->start_line = 4;
	sarif_run_fail(sarif_log_add_run(&log, "bandit", NULL), "timed out\nafter 5s");
	out = sarif_write(&log);
	r = sarif_parse(out, strlen(out), NULL, &back, why, sizeof(why));
	ok(r == 0 && back.nruns == 2 && back.stripped == 0, "%s", "the written document parses back cleanly");
	ok(r == 0 && back.runs[0].complete && !back.runs[1].complete &&
	   strcmp(back.runs[1].reason, "timed out after 5s") == 0,
	   "%s", "completeness and a one-line reason survive");
	res = r == 0 ? &back.runs[0].results[0] : NULL;
	ok(res && strcmp(res->message, "null pointer dereference") == 0 && res->end_line == 4 &&
	   strcmp(res->path, "lib/x.c") == 0 &&
	   strstr(out, "\"fullDescription\":{\"text\":\"null pointer dereference\"}"),
	   "%s", "a message comes back as the rule's text, which the rule descriptor holds");
	ok(r == 0 && strstr(back.runs[0].meta_json, "\"version\":\"2.10\"") &&
	   back.runs[0].info_uri && strcmp(back.runs[0].info_uri, log.runs[0].info_uri) == 0,
	   "%s", "driver metadata is kept");
	sarif_log_release(&back);
	sarif_log_release(&log);
}

struct pathcase {
	const char *uri, *base, *want;
};

/* artifactLocation.uri values: URI references, decoded once. */
static const struct pathcase uris[] = {
	{ "src/a.c", NULL, "src/a.c" },
	{ "./src//./a.c", NULL, "src/a.c" },
	{ "file:///workspace/src/a.c", "/workspace", "src/a.c" },
	{ "/workspace/src/a.c", "/workspace/", "src/a.c" },
	{ "deploy%23prod.sh", NULL, "deploy#prod.sh" },
	{ "100%25.sh", NULL, "100%.sh" },
	{ "%2541.py", NULL, "%41.py" },
	{ "%41.py", NULL, "A.py" },
	{ "a%5Cb%3Fc", NULL, "a\\b?c" },
	{ "a%0ab", NULL, "a\nb" },
	{ "caf%C3%A9.py", NULL, "caf\xc3\xa9.py" },
	{ "not a valid URI", NULL, NULL },
	{ "no file associated with this alert", NULL, NULL },
	{ "a\"b<c>.c", NULL, NULL },
	{ "/home/u/a.c", "/workspace", NULL },
	{ "file:///C:/a.c", NULL, NULL },
	{ "C:/a.c", NULL, NULL },
	{ "https://example.com/a.c", NULL, NULL },
	{ "src/../../etc/passwd", NULL, NULL },
	{ "src/%2e%2e/x", NULL, NULL },
	{ "a%00b", NULL, NULL },
	{ "a%zz", NULL, NULL },
	{ "100%.sh", NULL, NULL },
	{ "a.c?x=1", NULL, NULL },
	{ "deploy#prod.sh", NULL, NULL },
	{ "bad%FFutf8", NULL, NULL },
	{ "./", NULL, NULL },
};

/* File names as tools write them: taken as they are. */
static const struct pathcase files[] = {
	{ "deploy#prod.sh", NULL, "deploy#prod.sh" },
	{ "100%.sh", NULL, "100%.sh" },
	{ "%41.py", NULL, "%41.py" },
	{ "/workspace/a?b\\c", "/workspace", "a?b\\c" },
	{ "./x//y", NULL, "x/y" },
	{ "/etc/passwd", "/workspace", NULL },
	{ "x/../../y", NULL, NULL },
	{ "bad\xff", NULL, NULL },
};

static void test_paths_of(const struct pathcase *v, size_t n, const char *what,
			  int (*fn)(const char *, const char *, char **))
{
	for (size_t i = 0; i < n; i++) {
		char *out = NULL;
		int r = fn(v[i].uri, v[i].base, &out);
		bool good = v[i].want ? r == 0 && strcmp(out, v[i].want) == 0
				      : r < 0 && out == NULL;

		ok(good, "%s '%s' %s", what, v[i].uri, v[i].want ? "is kept" : "is refused");
		free(out);
	}
}

static bool no_file(const char *path, void *arg)
{
	(void)path, (void)arg;
	return false;
}

static bool listed(const char *path, void *arg)
{
	for (const char *const *v = arg; *v; v++)
		if (strcmp(*v, path) == 0)
			return true;
	return false;
}

#define RESULT_AT(uri) "{\"ruleId\":\"r\",\"message\":{\"text\":\"m\"},\"locations\":" \
	"[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"" uri "\"}}}]}"

static void test_paths(void)
{
	static const char doc[] = RUN_HEAD "}},\"results\":[" RESULT_AT("100%.sh") ","
		RESULT_AT("deploy#prod.sh") "," RESULT_AT("%41.py") "," RESULT_AT("/etc/passwd") ","
		RESULT_AT("ok.c") ",{\"ruleId\":\"r\",\"message\":{\"text\":\"m\"}}]}]}";
	static const char *const present[] = { "100%.sh", "deploy#prod.sh", "%41.py", "ok.c", NULL };
	struct sarif_limits lim;
	struct sarif_log log;
	char why[256];
	int r;

	test_paths_of(uris, ARRAY_SIZE(uris), "uri", sarif_uri_path);
	test_paths_of(files, ARRAY_SIZE(files), "file name", sarif_file_path);

	sarif_limits_default(&lim);
	lim.base = "/workspace";
	r = sarif_parse(doc, strlen(doc), &lim, &log, why, sizeof(why));
	if (r == 0 && log.nruns == 1)
		sarif_run_check_refused(&log.runs[0]);
	ok(r == 0 && log.nruns == 1 && log.runs[0].nresults == 2 && log.runs[0].refused == 4 &&
	   !log.runs[0].complete && log.runs[0].reason &&
	   strstr(log.runs[0].reason, "4 results refused"),
	   "results whose location cannot be stored are counted, and their run is then incomplete: %s",
	   r == 0 && log.nruns && log.runs[0].reason ? log.runs[0].reason : why);
	ok(r == 0 && log.nruns == 1 && log.runs[0].nresults == 2 &&
	   !strcmp(log.runs[0].results[0].path, "A.py") && !strcmp(log.runs[0].results[1].path, "ok.c"),
	   "a valid uri is decoded once");
	sarif_log_release(&log);

	lim.exists = listed;
	lim.exists_arg = (void *)present;
	r = sarif_parse(doc, strlen(doc), &lim, &log, why, sizeof(why));
	ok(r == 0 && log.nruns == 1 && log.runs[0].nresults == 4 && log.runs[0].refused == 2 &&
	   !strcmp(log.runs[0].results[0].path, "100%.sh") &&
	   !strcmp(log.runs[0].results[1].path, "deploy#prod.sh") &&
	   !strcmp(log.runs[0].results[2].path, "%41.py"),
	   "where the workspace is visible, unencoded file names that exist are taken as written");
	sarif_log_release(&log);

	lim.exists = no_file;
	r = sarif_parse(doc, strlen(doc), &lim, &log, why, sizeof(why));
	ok(r == 0 && log.nruns == 1 && log.runs[0].nresults == 2 && log.runs[0].refused == 4,
	   "a name that exists neither way is read as a URI");
	sarif_log_release(&log);
}

/* What a log of another tool may get wrong without losing the rest: a run
 * without a driver name takes the configured scanner's, a result that is not
 * an object or has location text that is no URI is refused and counted, and
 * the count is a notification of the run written back. */
static void test_tolerated(void)
{
	static const char nameless[] = "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":"
		"{\"name\":\"\"}},\"results\":[\"x\"," RESULT_AT("ok.c") ","
		RESULT_AT("no file associated with this alert") "]},"
		"{\"tool\":{\"driver\":{\"name\":null}},\"results\":[]}]}";
	struct sarif_limits lim;
	struct sarif_log log, back;
	char why[256], *out;
	int r;

	sarif_limits_default(&lim);
	lim.tool = "scanner-x";
	r = sarif_parse(nameless, strlen(nameless), &lim, &log, why, sizeof(why));
	ok(r == 0 && log.nruns == 2 && !strcmp(log.runs[0].tool, "scanner-x") &&
	   !strcmp(log.runs[1].tool, "scanner-x"),
	   "runs without a driver name take the configured scanner's: %s", r ? why : "");
	ok(r == 0 && log.nruns == 2 && log.runs[0].nresults == 1 && log.runs[0].refused == 2 &&
	   log.runs[0].complete && !strcmp(log.runs[0].results[0].path, "ok.c"),
	   "a result that is no object and one whose location is no URI are refused and counted, "
	   "the others kept");
	out = r == 0 ? sarif_write(&log) : xstrdup("");
	ok(strstr(out, "\"level\":\"warning\"") && strstr(out, "2 results refused"),
	   "the count of refused results is a notification of the run written back");
	r = sarif_parse(out, strlen(out), NULL, &back, why, sizeof(why));
	ok(r == 0 && back.nruns == 2 && back.runs[0].refused == 2 &&
	   strstr(back.runs[0].meta_json, "2 results refused"),
	   "and reads back with its count, in the run's metadata too");
	sarif_log_release(&back);
	free(out);
	sarif_log_release(&log);
	ok(sarif_parse(nameless, strlen(nameless), NULL, &log, why, sizeof(why)) < 0 &&
	   strstr(why, "tool.driver.name missing"),
	   "without a configured scanner such a run is still refused, saying why");
	sarif_log_release(&log);
}

#define KIND_RESULT(rule, extra) "{\"ruleId\":\"" rule "\",\"message\":{\"text\":\"m\"}" extra \
	",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"a.c\"}}}]}"

static void test_kinds(void)
{
	static const char doc[] = RUN_HEAD ",\"rules\":[{\"id\":\"R1\",\"defaultConfiguration\":"
		"{\"level\":\"error\"}},{\"id\":\"R2\",\"defaultConfiguration\":{\"level\":\"note\"}}]}},"
		"\"invocations\":[{\"executionSuccessful\":true,\"ruleConfigurationOverrides\":"
		"[{\"descriptor\":{\"index\":1},\"configuration\":{\"level\":\"warning\"}}]}],"
		"\"results\":["
		KIND_RESULT("R1", ",\"kind\":\"pass\"") "," KIND_RESULT("R1", ",\"kind\":\"notApplicable\"") ","
		KIND_RESULT("R1", ",\"kind\":\"informational\"") "," KIND_RESULT("R1", "") ","
		KIND_RESULT("R1", ",\"kind\":\"fail\",\"level\":\"note\"") ","
		KIND_RESULT("R1", ",\"kind\":\"review\",\"level\":\"error\"") ","
		KIND_RESULT("R2", "") "," KIND_RESULT("R3", "") ","
		KIND_RESULT("R3", ",\"rule\":{\"index\":0}") "]}]}";
	static const char *const want[] = { "error", "note", "none", "warning", "warning", "error" };
	struct sarif_log log;
	char why[256];
	int r = sarif_parse(doc, strlen(doc), NULL, &log, why, sizeof(why));
	const struct sarif_run *run = r == 0 && log.nruns == 1 ? &log.runs[0] : NULL;
	bool levels = run && run->nresults == ARRAY_SIZE(want);

	ok(run && run->nresults == ARRAY_SIZE(want) && run->complete && !run->refused,
	   "results of kind pass, notApplicable and informational are not findings (%zu kept)",
	   run ? run->nresults : 0);
	for (size_t i = 0; levels && i < ARRAY_SIZE(want); i++)
		levels = !strcmp(run->results[i].level, want[i]);
	ok(levels, "levels: the result's, else none for a kind other than fail, else the "
	   "invocation's override, else the rule's default, else warning");
	sarif_log_release(&log);
}

static int parse_file(const char *path, const char *tool)
{
	struct sarif_limits lim;
	struct sarif_log log;
	char *buf = NULL, why[256];
	size_t len;
	int r = read_file(path, 64u << 20, &buf, &len);

	if (r < 0) {
		fprintf(stderr, "unable to read '%s': %s\n", path, strerror(-r));
		return 2;
	}
	sarif_limits_default(&lim);
	lim.tool = tool;
	r = sarif_parse(buf, len, &lim, &log, why, sizeof(why));
	free(buf);
	if (r < 0) {
		fprintf(stderr, "refused: %s\n", why);
		sarif_log_release(&log);
		return 1;
	}
	buf = sarif_write(&log);
	printf("%s\n", buf);
	for (size_t i = 0; i < log.nruns; i++)
		fprintf(stderr, "meta %s\n", log.runs[i].meta_json);
	fprintf(stderr, "stripped %zu\n", log.stripped);
	free(buf);
	sarif_log_release(&log);
	return 0;
}

/* Lethe's own additions: suppressions, secret digests, facts. */
static const char lethe_doc[] = RUN_HEAD "}},\"properties\":{"
	"\"lethe/facts\":{\"dependencies\":[{\"ecosystem\":\"npm\",\"name\":\"a\",\"direct\":true,"
	"\"manifest\":\"package.json\",\"source\":\"int main(void)\",\"version\":7},"
	"{\"ecosystem\":\"pypi\",\"name\":\"b\",\"manifest\":\"pyproject.toml\","
	"\"constraint\":\"@ https://u:HOSTTOKEN@pkgs.example/b.tar.gz\"},42],"
	"\"workflows\":[{\"system\":\"gitlab-ci\",\"path\":\".gitlab-ci.yml\",\"kind\":\"job\","
	"\"value\":\"build\\u0000x\\nmore\",\"script\":\"make\"}],\"files\":[\"secret\"]}},"
	"\"results\":[{\"ruleId\":\"R1\",\"message\":{\"text\":\"m\"},"
	"\"suppressions\":[{\"kind\":\"external\"},{\"kind\":\"inSource\",\"justification\":\"why\\nnot\"}],"
	"\"properties\":{\"lethe/secret-sha256\":\"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" "\"}},"
	"{\"ruleId\":\"R2\",\"message\":{\"text\":\"m\"},\"suppressions\":[{\"kind\":\"external\"}],"
	"\"properties\":{\"lethe/secret-sha256\":\"hunter2\",\"lethe/secret-hash\":\""
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" "\"}}]}]}";

static void test_lethe_fields(void)
{
	struct sarif_log log, again;
	char why[256];
	char *out = NULL;
	int r = sarif_parse(lethe_doc, strlen(lethe_doc), NULL, &log, why, sizeof(why));
	const struct sarif_run *run = r == 0 && log.nruns == 1 ? &log.runs[0] : NULL;

	ok(run != NULL, "a run with Lethe's fields parses (%s)", r ? why : "ok");
	if (!run || run->nresults != 2) {
		sarif_log_release(&log);
		return;
	}
	ok(run->results[0].suppressed && !strcmp(run->results[0].suppress_reason, "why not"),
	   "an inSource suppression is kept with its reason, cleaned to one line");
	ok(!run->results[1].suppressed, "an external suppression is not an in-code one");
	ok(run->results[0].secret_sha256 && !run->results[1].secret_sha256,
	   "a secret digest is kept only when it is 64 hex digits");
	ok(!run->results[0].secret_hash && !run->results[1].secret_hash,
	   "a keyed hash never comes from the document (only the host sets one)");
	ok(run->facts_json && !strstr(run->facts_json, "int main") && !strstr(run->facts_json, "make") &&
	   !strstr(run->facts_json, "files") && !strstr(run->facts_json, "\"version\""),
	   "facts keep only whitelisted keys with string values: %s", run->facts_json);
	ok(run->facts_json && strstr(run->facts_json, "\"direct\":true") &&
	   strstr(run->facts_json, "\"value\":\"build\"}"),
	   "direct stays a boolean; a value ends at a NUL byte, with nothing after it");
	ok(run->facts_json && !strstr(run->facts_json, "HOSTTOKEN") &&
	   strstr(run->facts_json, "\"constraint\":\"@ https://pkgs.example/b.tar.gz\""),
	   "a URL in a fact loses its credentials on the host too");
	out = sarif_write(&log);
	r = sarif_parse(out, strlen(out), NULL, &again, why, sizeof(why));
	ok(r == 0 && again.nruns == 1 && again.runs[0].nresults == 2 &&
	   again.runs[0].results[0].suppressed && again.runs[0].facts_json &&
	   !strcmp(again.runs[0].facts_json, run->facts_json) &&
	   !strcmp(again.runs[0].results[0].secret_sha256, run->results[0].secret_sha256),
	   "the written document reads back the same");
	sarif_log_release(&again);
	free(out);
	sarif_log_release(&log);
}

static void test_runs(void)
{
	static const char doc[] = "{\"version\":\"2.1.0\",\"runs\":["
		"{\"tool\":{\"driver\":{\"name\":\"a\"}},\"automationDetails\":{\"id\":\"x/js/\"},"
		"\"results\":[" KIND_RESULT("R1", "") "]},"
		"{\"tool\":{\"driver\":{\"name\":\"a\"}},\"automationDetails\":{\"id\":\"x/py/\"},"
		"\"results\":[" KIND_RESULT("R2", "") "," KIND_RESULT("R3", "") "]}]}";
	struct sarif_log log, back;
	char why[256], *out;
	int r = sarif_parse(doc, strlen(doc), NULL, &log, why, sizeof(why));

	ok(r == 0 && log.nruns == 2 && log.runs[0].nresults == 1 && log.runs[1].nresults == 2 &&
	   !strcmp(log.runs[0].category, "x/js/") && !strcmp(log.runs[1].category, "x/py/") &&
	   strstr(log.runs[1].meta_json, "\"automationDetails\":{\"id\":\"x/py/\"}"),
	   "two runs of one driver stay two, each with its category, kept in its metadata");
	out = r == 0 ? sarif_write(&log) : xstrdup("");
	r = sarif_parse(out, strlen(out), NULL, &back, why, sizeof(why));
	ok(r == 0 && back.nruns == 2 && back.runs[1].category &&
	   !strcmp(back.runs[1].category, "x/py/"), "the writer keeps the categories");
	free(out);
	sarif_log_release(&back);
	sarif_log_release(&log);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--parse") == 0)
		return parse_file(argv[2], NULL);
	if (argc == 5 && strcmp(argv[1], "--parse") == 0 && strcmp(argv[3], "--tool") == 0)
		return parse_file(argv[2], argv[4]);
	test_refusals();
	test_limits();
	test_strip();
	test_quoting();
	test_roundtrip();
	test_paths();
	test_kinds();
	test_tolerated();
	test_runs();
	test_lethe_fields();
	return done_testing();
}

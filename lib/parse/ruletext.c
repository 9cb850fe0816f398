/*
 * ruletext.c - the text Lethe keeps of a scanner's result (ruletext.h).
 *
 * One entry per (tool, rule): text is the rule's fixed description; match,
 * when set, is the shape of the scanner's message for that rule and fmt
 * Lethe's wording of it, both with the same holes in the same order.  The
 * one kind of hole is "%n", a decimal number of at most 9 digits (with an
 * optional '-').  flawfinder's ids are its rule entries, one for a family
 * of functions; its message varies with the call, so only the entry's text
 * is kept.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ruletext.h"
#include "sarif.h"
#include "util.h"

#define HOLES 4
#define NUMBER_MAX 9

struct ruletext {
	const char *tool, *rule, *text;
	const char *match, *fmt;	/* NULL: the text alone */
};

#define RULE(t, r, x) { .tool = t, .rule = r, .text = x }
#define WF "lethe-workflows"
#define IMAGE_TEXT "image without a tag or digest, on :latest or on a tag that moves: what runs " \
	"changes under you"
#define SELF_HOSTED_TEXT "a self-hosted runner on a trigger anyone can fire runs strangers' code " \
	"on your machine"
#define PIPE_TEXT "a script pipes a download into a shell: what runs is whatever the server sends"
#define TLS_TEXT "TLS certificate verification is switched off: anyone on the path can change " \
	"what is downloaded"
/* the same rule and text under each system's prefix */
#define EVERY_SYSTEM(r, x) RULE(WF, "gha/" r, x), RULE(WF, "gitlab/" r, x), \
	RULE(WF, "bitbucket/" r, x)
#define CRED_URL_TEXT "a credential is written into a URL, where command lines, logs and " \
	".git/config keep it"

static const struct ruletext table[] = {
	/* cppcheck 2.10, --enable=warning,style,performance,portability */
	RULE("cppcheck", "arrayIndexOutOfBounds", "array accessed at an index past its end"),
	RULE("cppcheck", "arrayIndexOutOfBoundsCond", "array index may be past the array's end"),
	RULE("cppcheck", "bufferAccessOutOfBounds", "buffer accessed past its end"),
	RULE("cppcheck", "negativeIndex", "array accessed at a negative index"),
	RULE("cppcheck", "getsCalled", "gets() cannot limit what it reads: use fgets()"),
	RULE("cppcheck", "knownConditionTrueFalse", "condition with a value known in advance"),
	{ "cppcheck", "incorrectLogicOperator",
	  "comparisons joined so that the result never changes", NULL, NULL },
	RULE("cppcheck", "duplicateExpression", "the same expression on both sides of an operator"),
	RULE("cppcheck", "duplicateCondition", "an if condition repeats the previous one"),
	RULE("cppcheck", "oppositeInnerCondition", "inner condition contradicts the outer one"),
	{ "cppcheck", "identicalConditionAfterEarlyExit",
	  "condition repeated after an early exit is always false", NULL, NULL },
	RULE("cppcheck", "redundantCondition", "part of a condition is implied by another part"),
	RULE("cppcheck", "nullPointer", "null pointer dereference"),
	RULE("cppcheck", "nullPointerRedundantCheck", "pointer dereferenced, then checked for null"),
	RULE("cppcheck", "uninitvar", "variable used before it is given a value"),
	RULE("cppcheck", "legacyUninitvar", "variable used before it is given a value"),
	RULE("cppcheck", "memleak", "allocated memory is not freed"),
	RULE("cppcheck", "resourceLeak", "opened resource is not closed"),
	RULE("cppcheck", "doubleFree", "memory freed twice"),
	RULE("cppcheck", "zerodiv", "division by zero"),
	RULE("cppcheck", "missingReturn", "a path through a non-void function returns no value"),
	RULE("cppcheck", "unreadVariable", "value assigned to a variable is never read"),
	RULE("cppcheck", "unusedVariable", "variable declared but never used"),
	RULE("cppcheck", "unusedStructMember", "struct member never used"),
	RULE("cppcheck", "variableScope", "variable could be declared in a narrower scope"),
	RULE("cppcheck", "redundantAssignment", "variable assigned again before its value is read"),
	RULE("cppcheck", "constParameter", "parameter could be declared const"),
	RULE("cppcheck", "constParameterPointer", "pointer parameter could point to const"),
	RULE("cppcheck", "constVariable", "variable could be declared const"),
	RULE("cppcheck", "constVariablePointer", "pointer variable could point to const"),
	RULE("cppcheck", "cstyleCast", "C-style pointer cast"),
	RULE("cppcheck", "passedByValue", "parameter copied where a const reference would do"),
	RULE("cppcheck", "shadowVariable", "local variable hides an outer variable"),
	RULE("cppcheck", "shadowFunction", "local variable hides a function"),
	RULE("cppcheck", "clarifyCalculation", "operator precedence in a calculation is unclear"),
	RULE("cppcheck", "comparePointers", "pointers to different objects are compared"),
	RULE("cppcheck", "pointerSize", "size of a pointer used where the size of its data was meant"),
	{ "cppcheck", "sizeofwithsilentarraypointer",
	  "sizeof of an array parameter gives the size of a pointer", NULL, NULL },
	RULE("cppcheck", "integerOverflow", "signed integer overflow"),
	RULE("cppcheck", "signConversion", "a value that can be negative is made unsigned"),
	RULE("cppcheck", "useClosedFile", "file used after it was closed, or never opened"),
	RULE("cppcheck", "danglingLifetime", "pointer outlives the object it points to"),
	RULE("cppcheck", "returnDanglingLifetime", "returns a pointer to an object that goes away"),
	RULE("cppcheck", "uselessAssignmentArg", "assignment to a parameter has no effect outside"),
	RULE("cppcheck", "funcArgNamesDifferent", "parameter names differ from the declaration's"),
	RULE("cppcheck", "knownArgument", "an argument always has the same value"),
	RULE("cppcheck", "invalidFunctionArg", "argument outside the values the function accepts"),
	RULE("cppcheck", "ignoredReturnValue", "return value that must be used is ignored"),
	{ "cppcheck", "wrongPrintfScanfArgNum",
	  "format string and argument count do not agree", NULL, NULL },
	RULE("cppcheck", "syntaxError", "the file does not parse"),
	{ "cppcheck", "memsetZeroBytes", "memset() fills zero bytes",
	  "memset() called to fill %n bytes.", "memset() fills %n bytes" },
	{ "cppcheck", "moduloAlwaysTrueFalse", "comparison with a modulo result that never changes",
	  "Comparison of modulo result is predetermined, because it is always less than %n.",
	  "comparison with a modulo result that is always less than %n" },
	{ "cppcheck", "shiftTooManyBits", "shift by the value's width or more is undefined",
	  "Shifting %n-bit value by %n bits is undefined behaviour",
	  "shift of a %n-bit value by %n bits is undefined" },
	{ "cppcheck", "shiftTooManyBitsSigned", "shift into the sign bit is implementation-defined",
	  "Shifting signed %n-bit value by %n bits is implementation-defined behaviour",
	  "shift of a signed %n-bit value by %n bits is implementation-defined" },
	/* shellcheck */
	RULE("shellcheck", "SC1091", "sourced file was not checked"),
	RULE("shellcheck", "SC2002", "cat of one file into a pipe: redirect instead"),
	RULE("shellcheck", "SC2006", "legacy backticks: use $(...)"),
	RULE("shellcheck", "SC2012", "parsing ls output: use find or globs"),
	RULE("shellcheck", "SC2016", "expansion inside single quotes does not happen"),
	RULE("shellcheck", "SC2034", "variable assigned but never used"),
	RULE("shellcheck", "SC2035", "glob may expand to names that look like options"),
	RULE("shellcheck", "SC2044", "for loop over find output breaks on odd names"),
	RULE("shellcheck", "SC2045", "loop over ls output breaks on odd names: use a glob"),
	RULE("shellcheck", "SC2046", "unquoted command substitution is split into words"),
	RULE("shellcheck", "SC2059", "variable used as a printf format string"),
	RULE("shellcheck", "SC2064", "trap command expanded when set, not when run"),
	RULE("shellcheck", "SC2068", "unquoted array expansion is split again"),
	RULE("shellcheck", "SC2086", "unquoted expansion is split into words and globbed"),
	RULE("shellcheck", "SC2115", "rm with a path that may expand to /"),
	RULE("shellcheck", "SC2116", "useless echo in a command substitution"),
	RULE("shellcheck", "SC2128", "array expanded without an index gives its first element"),
	RULE("shellcheck", "SC2143", "grep output tested where grep -q would do"),
	RULE("shellcheck", "SC2148", "script without a shebang or shell directive"),
	RULE("shellcheck", "SC2154", "variable referenced but never assigned"),
	RULE("shellcheck", "SC2155", "declaration and assignment together hide the exit status"),
	RULE("shellcheck", "SC2162", "read without -r mangles backslashes"),
	RULE("shellcheck", "SC2164", "cd without a check that it succeeded"),
	RULE("shellcheck", "SC2166", "-a or -o in a test is ill-defined"),
	RULE("shellcheck", "SC2181", "exit status checked through $? instead of directly"),
	RULE("shellcheck", "SC2206", "unquoted expansion split into an array"),
	RULE("shellcheck", "SC2207", "command output split into an array"),
	/* bandit */
	RULE("bandit", "B101", "assert used; it is removed from optimised byte code"),
	RULE("bandit", "B102", "exec used"),
	RULE("bandit", "B103", "file permissions set too wide"),
	RULE("bandit", "B104", "binding to all network interfaces"),
	RULE("bandit", "B105", "possible password in a string literal"),
	RULE("bandit", "B106", "possible password passed as an argument"),
	RULE("bandit", "B107", "possible password as an argument default"),
	RULE("bandit", "B108", "predictable temporary file or directory"),
	RULE("bandit", "B110", "exception silently passed"),
	RULE("bandit", "B112", "exception silently continued"),
	RULE("bandit", "B201", "Flask application run with debug on"),
	RULE("bandit", "B301", "pickle deserialisation of untrusted data"),
	RULE("bandit", "B302", "marshal deserialisation of untrusted data"),
	RULE("bandit", "B303", "weak hash function (MD2, MD4, MD5 or SHA1)"),
	RULE("bandit", "B304", "insecure cipher or cipher mode"),
	RULE("bandit", "B306", "mktemp is racy"),
	RULE("bandit", "B307", "eval used: ast.literal_eval may do"),
	RULE("bandit", "B308", "mark_safe may open cross-site scripting"),
	RULE("bandit", "B310", "URL opened with a scheme that may be unexpected"),
	RULE("bandit", "B311", "standard pseudo-random generator used where security may matter"),
	RULE("bandit", "B312", "telnet used"),
	RULE("bandit", "B314", "XML parsed without protection against entity attacks"),
	RULE("bandit", "B320", "XML parsed without protection against entity attacks"),
	RULE("bandit", "B321", "FTP used"),
	RULE("bandit", "B323", "TLS context without certificate verification"),
	RULE("bandit", "B324", "weak hash function used"),
	RULE("bandit", "B403", "pickle imported"),
	RULE("bandit", "B404", "subprocess imported"),
	RULE("bandit", "B405", "XML module without protection against entity attacks imported"),
	RULE("bandit", "B410", "lxml imported"),
	RULE("bandit", "B413", "pyCrypto imported; it is unmaintained"),
	RULE("bandit", "B501", "request without certificate verification"),
	RULE("bandit", "B502", "insecure SSL or TLS version"),
	RULE("bandit", "B505", "cryptographic key too short"),
	RULE("bandit", "B506", "yaml.load can build arbitrary objects: use yaml.safe_load"),
	RULE("bandit", "B507", "SSH host key not verified"),
	RULE("bandit", "B602", "subprocess call with shell=True"),
	RULE("bandit", "B603", "subprocess call; check for untrusted input"),
	RULE("bandit", "B604", "call with shell=True"),
	RULE("bandit", "B605", "process started with a shell"),
	RULE("bandit", "B606", "process started without a shell"),
	RULE("bandit", "B607", "process started with a partial executable path"),
	RULE("bandit", "B608", "SQL query built from strings"),
	RULE("bandit", "B609", "wildcard in a command"),
	RULE("bandit", "B701", "Jinja2 autoescape off"),
	/* lethe-workflows (analyze/an-workflows.c): gha/ is GitHub Actions syntax
	 * (GitHub, Gitea, Forgejo), gitlab/ GitLab CI, bitbucket/ Bitbucket Pipelines */
	RULE(WF, "gha/unpinned-action",
	     "action not pinned to a full commit SHA: its owner can change what runs"),
	EVERY_SYSTEM("unpinned-image", IMAGE_TEXT),
	RULE(WF, "gitlab/unpinned-include", "configuration included from another project, a "
	     "component or a URL without a commit SHA: its owner can change what runs"),
	{ WF, "gha/privileged-trigger", "a trigger outsiders can fire (pull_request_target, "
	  "workflow_run, issue_comment, issues) runs with the repository's secrets and a write "
	  "token", NULL, NULL },
	{ WF, "gha/untrusted-checkout", "a privileged workflow checks out the untrusted head of a pull "
	  "request or run and then builds or runs it, with secrets and a write token", NULL, NULL },
	{ WF, "gha/untrusted-checkout-unused", "a privileged workflow checks out the untrusted head of "
	  "a pull request or run; nothing seen runs it, but any later step could", NULL, NULL },
	RULE(WF, "gha/expression-injection", "an attacker-controlled ${{ }} context is pasted into a "
	     "script; pass it through env: instead"),
	{ WF, "gha/expression-injection-indirect", "a step output or computed matrix value, which "
	  "may carry outsiders' text, is pasted into a script; pass it through env: instead", NULL, NULL },
	RULE(WF, "gha/untrusted-env-write", "outsiders' text is written to $GITHUB_ENV, $GITHUB_PATH "
	     "or $GITHUB_OUTPUT, where it sets variables of later steps"),
	RULE(WF, "gha/secret-in-script", "a secret is pasted into a script's text; pass it through env:"),
	RULE(WF, "gha/secret-in-env", "a secret is given to every step of the workflow through its env:"),
	RULE(WF, "gha/secrets-inherit", "secrets: inherit passes every secret to the called workflow"),
	RULE(WF, "gha/permissions-missing",
	     "no permissions: a job's token gets the repository's default scopes"),
	RULE(WF, "gha/permissions-write-all", "permissions: write-all gives the token every write scope"),
	RULE(WF, "gha/secrets-untrusted-trigger", "secrets are used by a workflow that untrusted pull "
	     "requests or runs can start"),
	RULE(WF, "gha/self-hosted-public", SELF_HOSTED_TEXT),
	RULE(WF, "bitbucket/self-hosted-public", SELF_HOSTED_TEXT),
	EVERY_SYSTEM("curl-pipe-shell", PIPE_TEXT),
	EVERY_SYSTEM("tls-verify-off", TLS_TEXT),
	EVERY_SYSTEM("credential-in-url", CRED_URL_TEXT),
	RULE(WF, "gitlab/debug-trace", "CI_DEBUG_TRACE or CI_DEBUG_SERVICES is set: the job log shows "
	     "every variable, secrets included"),
	{ WF, "gitlab/mr-protected-variables", "a job that runs merge-request code uses credential "
	  "variables: the merge request's author can read them", NULL, NULL },
	RULE(WF, "gitlab/include-missing", "a local include names a file that is not in the repository"),
	/* flawfinder 2.0.19 */
	RULE("flawfinder", "FF1001", "strcpy does not check the destination's size (CWE-120)"),
	RULE("flawfinder", "FF1002", "StrCpy does not check the destination's size (CWE-120)"),
	RULE("flawfinder", "FF1003", "lstrcpy does not check the destination's size (CWE-120)"),
	RULE("flawfinder", "FF1004", "memcpy-family copy without a size check (CWE-120)"),
	RULE("flawfinder", "FF1005", "strcat does not check the destination's size (CWE-120)"),
	RULE("flawfinder", "FF1008", "strncpy may not terminate the string (CWE-120)"),
	RULE("flawfinder", "FF1010", "strncat is easily given the wrong size (CWE-120)"),
	RULE("flawfinder", "FF1013", "fixed-size array may overflow (CWE-119, CWE-120)"),
	RULE("flawfinder", "FF1014", "gets cannot limit what it reads (CWE-120, CWE-20)"),
	RULE("flawfinder", "FF1015", "sprintf-family call: overflow or format risk (CWE-120, CWE-134)"),
	RULE("flawfinder", "FF1016", "printf with a format string that may be controlled (CWE-134)"),
	RULE("flawfinder", "FF1017", "fprintf with a format string that may be controlled (CWE-134)"),
	RULE("flawfinder", "FF1018", "syslog with a format string that may be controlled (CWE-134)"),
	RULE("flawfinder", "FF1019", "snprintf with a format string that may be controlled (CWE-134)"),
	RULE("flawfinder", "FF1020", "scanf %s without a width may overflow (CWE-120, CWE-20)"),
	RULE("flawfinder", "FF1021", "sscanf %s without a width may overflow (CWE-120, CWE-20)"),
	RULE("flawfinder", "FF1022", "strlen on a string that may not be terminated (CWE-126)"),
	RULE("flawfinder", "FF1026", "realpath may overflow its buffer (CWE-120, CWE-785)"),
	RULE("flawfinder", "FF1027", "getopt may overflow on old systems (CWE-120, CWE-20)"),
	RULE("flawfinder", "FF1029", "read into a buffer: check its bounds (CWE-120, CWE-20)"),
	RULE("flawfinder", "FF1030", "access then use is a race (CWE-362, CWE-367)"),
	RULE("flawfinder", "FF1031", "chown on a path is racy (CWE-362)"),
	RULE("flawfinder", "FF1033", "chmod on a path is racy (CWE-362)"),
	RULE("flawfinder", "FF1036", "tmpfile is unsafe on some systems (CWE-377)"),
	RULE("flawfinder", "FF1037", "tmpnam is racy (CWE-377)"),
	RULE("flawfinder", "FF1038", "mktemp is racy (CWE-377)"),
	RULE("flawfinder", "FF1040", "file opened by a path that may be redirected (CWE-362)"),
	RULE("flawfinder", "FF1041", "umask may be too permissive (CWE-732)"),
	RULE("flawfinder", "FF1043", "exec-family call is hard to use safely (CWE-78)"),
	RULE("flawfinder", "FF1044", "system runs a shell and is hard to use safely (CWE-78)"),
	RULE("flawfinder", "FF1047", "integer conversion without a range check (CWE-190)"),
	RULE("flawfinder", "FF1048", "pseudo-random generator not fit for security (CWE-327)"),
	RULE("flawfinder", "FF1049", "crypt is a weak password hash (CWE-327)"),
	RULE("flawfinder", "FF1052", "chroot is hard to use correctly (CWE-250, CWE-22)"),
	RULE("flawfinder", "FF1053", "environment variable is untrusted input (CWE-807, CWE-20)"),
	/* ESLint 9 with eslint-plugin-security 4.1 and @microsoft/eslint-plugin-sdl 1.1 */
	RULE("eslint", "security/detect-bidi-characters",
	     "bidirectional control character: the code reads otherwise than it runs"),
	RULE("eslint", "security/detect-buffer-noassert", "Buffer access with noAssert: offsets unchecked"),
	RULE("eslint", "security/detect-child-process",
	     "child_process with a command that is not a constant (command injection)"),
	RULE("eslint", "security/detect-disable-mustache-escape", "template escaping turned off"),
	RULE("eslint", "security/detect-eval-with-expression",
	     "eval of an expression that is not a constant (code injection)"),
	RULE("eslint", "security/detect-invisible-characters", "invisible character in the code"),
	RULE("eslint", "security/detect-new-buffer", "new Buffer of a size or content that is not a constant"),
	RULE("eslint", "security/detect-no-csrf-before-method-override",
	     "CSRF middleware before methodOverride: the check can be bypassed"),
	RULE("eslint", "security/detect-non-literal-fs-filename",
	     "file system call with a path that is not a constant (path traversal)"),
	RULE("eslint", "security/detect-non-literal-regexp",
	     "regular expression built at run time (regular expression denial of service)"),
	RULE("eslint", "security/detect-non-literal-require", "require of a module name that is not a constant"),
	RULE("eslint", "security/detect-object-injection",
	     "property chosen by a variable key (object injection, prototype pollution)"),
	RULE("eslint", "security/detect-possible-timing-attacks",
	     "secret compared in time that depends on its content (timing attack)"),
	RULE("eslint", "security/detect-pseudoRandomBytes", "crypto.pseudoRandomBytes is predictable"),
	RULE("eslint", "security/detect-unsafe-regex",
	     "regular expression that can take exponential time (regular expression denial of service)"),
	RULE("eslint", "@microsoft/sdl/no-angular-bypass-sanitizer",
	     "Angular sanitization bypassed (bypassSecurityTrust...)"),
	RULE("eslint", "@microsoft/sdl/no-angular-sanitization-trusted-urls",
	     "Angular list of trusted URLs widened"),
	RULE("eslint", "@microsoft/sdl/no-angularjs-bypass-sce",
	     "AngularJS strict contextual escaping turned off or bypassed"),
	RULE("eslint", "@microsoft/sdl/no-angularjs-enable-svg", "AngularJS sanitizer allows SVG"),
	RULE("eslint", "@microsoft/sdl/no-angularjs-sanitization-whitelist",
	     "AngularJS sanitization whitelist changed"),
	RULE("eslint", "@microsoft/sdl/no-cookies", "document.cookie used: prefer storage not sent with every request"),
	RULE("eslint", "@microsoft/sdl/no-document-domain", "document.domain set: the same-origin policy is relaxed"),
	RULE("eslint", "@microsoft/sdl/no-document-write",
	     "document.write writes markup into the page (cross-site scripting)"),
	RULE("eslint", "@microsoft/sdl/no-electron-node-integration",
	     "Electron window with Node.js integration in its pages"),
	RULE("eslint", "@microsoft/sdl/no-html-method",
	     "html() writes markup into the page (cross-site scripting)"),
	RULE("eslint", "@microsoft/sdl/no-inner-html",
	     "innerHTML, outerHTML or insertAdjacentHTML writes markup (cross-site scripting)"),
	RULE("eslint", "@microsoft/sdl/no-insecure-random",
	     "predictable random numbers where a secret may need unpredictable ones"),
	RULE("eslint", "@microsoft/sdl/no-insecure-url", "plain http: or ftp: URL: the connection is not encrypted"),
	RULE("eslint", "@microsoft/sdl/no-msapp-exec-unsafe",
	     "MSApp.execUnsafeLocalFunction skips the script injection checks"),
	RULE("eslint", "@microsoft/sdl/no-postmessage-star-origin", "postMessage to any origin"),
	RULE("eslint", "@microsoft/sdl/no-unsafe-alloc", "Buffer.allocUnsafe: the memory is not cleared"),
	RULE("eslint", "@microsoft/sdl/no-winjs-html-unsafe",
	     "WinJS unsafe HTML call writes markup without checks"),
	/* Lethe's own analyzers: rule descriptions (their messages are their own) */
	RULE("lethe-deps", "deps/unparsable",
	     "a dependency manifest or lock file that Lethe cannot read: its packages are unknown"),
};

static const struct ruletext *lookup(const char *tool, const char *rule)
{
	for (size_t i = 0; tool && rule && i < ARRAY_SIZE(table); i++)
		if (strcmp(table[i].rule, rule) == 0 && strcasecmp(table[i].tool, tool) == 0)
			return &table[i];
	return NULL;
}

/* Match s against pattern; the numbers in its holes go to hole[]. */
static bool shape_match(const char *pattern, const char *s, char hole[HOLES][NUMBER_MAX + 2])
{
	size_t n = 0;

	while (*pattern) {
		size_t k = 0, digits = 0;

		if (pattern[0] != '%' || pattern[1] != 'n') {
			if (*s++ != *pattern++)
				return false;
			continue;
		}
		if (n == HOLES)
			return false;
		if (*s == '-')
			hole[n][k++] = *s++;
		for (; *s >= '0' && *s <= '9' && digits < NUMBER_MAX; digits++)
			hole[n][k++] = *s++;
		if (digits == 0 || (*s >= '0' && *s <= '9'))
			return false;
		hole[n++][k] = '\0';
		pattern += 2;
	}
	return *s == '\0';
}

/* fmt with its holes filled from hole[]. */
static char *shape_fill(const char *fmt, char hole[HOLES][NUMBER_MAX + 2])
{
	char out[RULETEXT_MAX + 1];
	size_t o = 0, n = 0;

	for (; *fmt && o < RULETEXT_MAX; fmt++) {
		if (fmt[0] == '%' && fmt[1] == 'n') {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s", hole[n++]);
			fmt++;
		} else {
			out[o++] = *fmt;
		}
	}
	out[o < RULETEXT_MAX ? o : RULETEXT_MAX] = '\0';
	return xstrdup(out);
}

static char *generic(const char *tool, const char *rule)
{
	char *s = xasprintf("%s rule %s", tool ? tool : "unknown", rule && *rule ? rule : "unknown");
	char *c = text_clean(s, RULETEXT_MAX);

	free(s);
	return c;
}

bool ruletext_own_tool(const char *tool)
{
	return tool && strncmp(tool, "lethe-", 6) == 0;
}

char *ruletext_rule(const char *tool, const char *rule)
{
	const struct ruletext *e = lookup(tool, rule);

	return e ? xstrdup(e->text) : generic(tool, rule);
}

char *ruletext_message(const char *tool, const char *rule, const char *message)
{
	const struct ruletext *e = lookup(tool, rule);
	char hole[HOLES][NUMBER_MAX + 2];

	if (ruletext_own_tool(tool))
		return text_clean(message ? message : "(no message)", SARIF_MESSAGE_MAX);
	if (e && e->match && message &&
	    (shape_match(e->match, message, hole) || shape_match(e->fmt, message, hole)))
		return shape_fill(e->fmt, hole);
	return e ? xstrdup(e->text) : generic(tool, rule);
}

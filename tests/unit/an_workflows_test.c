/*
 * an_workflows_test.c - the regular expressions of lethe-workflows, each
 * with lines it must match and lines it must not, then the rules they and
 * the expression reader feed, through an_workflow_parse() on small
 * workflows: the rule on its line for the risky form, no finding of it for
 * the safe form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* the module itself, for its patterns; make links the other modules */
#include "../../analyze/an-workflows.c"
#include "tap.h"

struct rxcase {
	int rx;
	const char *line;
	bool match;
};

static const struct rxcase rxcases[] = {
	{ RX_PIPE, "curl -fsSL https://example.org/download/install.sh | sh", true },
	{ RX_PIPE, "curl --proto '=https' -LsSf https://example.org/x-installer.sh | sh\"", true },
	{ RX_PIPE, "wget -qO- https://get.example.org/cli | sudo -E bash", true },
	{ RX_PIPE, "curl -s https://sh.rustup.rs | sh -s -- -y", true },
	{ RX_PIPE, "curl x |zsh", true },
	{ RX_PIPE, "curl -fsSL https://example.org/key.asc | gpg --dearmor > key.gpg", false },
	{ RX_PIPE, "curl -fsSL https://example.org/x.tar.gz | tar xz", false },
	{ RX_PIPE, "curl -sO https://example.org/x | sha256sum -c", false },
	{ RX_PIPE, "curl -o install.sh https://example.org/i; ls | sh", false },
	{ RX_PIPE, "echo install | sh", false },
	{ RX_SUBST, "sh -c \"$(curl -fsSL https://example.org/install.sh)\"", true },
	{ RX_SUBST, "bash <(wget -qO- https://example.org/install.sh)", true },
	{ RX_SUBST, "echo \"$(curl -s https://example.org/version)\"", false },
	{ RX_SUBST, "bash ./install.sh", false },
	{ RX_TLS_OFF, "curl -k https://example.org/x", true },
	{ RX_TLS_OFF, "wget --no-check-certificate https://example.org/x", true },
	{ RX_TLS_OFF, "echo 'Acquire::https::Verify-Peer \"false\";' > /etc/apt/apt.conf.d/x", true },
	{ RX_TLS_OFF, "export GIT_SSL_NO_VERIFY=true", true },
	{ RX_TLS_OFF, "git config --global http.sslVerify false", true },
	{ RX_TLS_OFF, "curl --keepalive-time 5 https://example.org/x", false },
	{ RX_TLS_OFF, "echo 'Acquire::https::Verify-Peer \"true\";' > x", false },
	{ RX_TLS_OFF, "make -k all", false },
	{ RX_CRED_URL, "git clone https://x-token-auth:${ACCESS_TOKEN}@${REPO}", true },
	{ RX_CRED_URL, "git push https://deploy:$PASSWORD@example.org/r.git", true },
	{ RX_CRED_URL, "curl https://example.org:8443/x", false },
	{ RX_CRED_URL, "git clone https://$HOST/repo.git", false },
	{ RX_CRED_URL, "git clone https://user@example.org/repo.git", false },
	{ RX_ENV_FILE, "echo \"name=$X\" >> $GITHUB_ENV", true },
	{ RX_ENV_FILE, "echo \"$HOME/bin\" >> \"$GITHUB_PATH\"", true },
	{ RX_ENV_FILE, "echo \"v=1\" >>${GITHUB_OUTPUT}", true },
	{ RX_ENV_FILE, "cat \"$GITHUB_ENV\"", false },
	{ RX_ENV_FILE, "echo x >> $GITHUB_STEP_SUMMARY", false },
	{ RX_BUILD, "npm install", true },
	{ RX_BUILD, "  make", true },
	{ RX_BUILD, "./build.sh --release", true },
	{ RX_BUILD, "yarn benchmarks run", true },
	{ RX_BUILD, "cat README.md", false },
	{ RX_BUILD, "git rev-parse HEAD", false },
	{ RX_BUILD, "echo ./", false },
};

struct rulecase {
	const char *system, *yaml, *rule;
	int line;	/* where rule is reported; 0: not reported at all */
};

#define GH_RUN(trigger, line) "on: " trigger "\npermissions: {}\njobs:\n  a:\n    runs-on: x\n" \
	"    steps:\n      - run: |\n          " line "\n"
/* a run: line (line 8 of the workflow) and whether rule reports it there */
#define RUN(trigger, line, rule, at) { GH, GH_RUN(trigger, line), "gha/" rule, at }
#define TITLE_ENV_RUN(line) "on: issues\npermissions: {}\njobs:\n  a:\n    runs-on: x\n" \
	"    steps:\n      - env:\n          T: ${{ github.event.issue.title }}\n        run: |\n" \
	"          " line "\n"
#define INJ "expression-injection"
/* pull_request_target: a checkout with (line 9), then a run: */
#define CHECKOUT_THEN(with, run) "on: pull_request_target\npermissions: {}\njobs:\n  a:\n" \
	"    runs-on: x\n    steps:\n" \
	"      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11\n" \
	"        with:\n          " with "\n      - run: " run "\n"
#define HEAD_SHA "ref: ${{ github.event.pull_request.head.sha }}"
/* a job container (line 10) named by a matrix value */
#define MATRIX_IMAGE(values) "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n" \
	"    strategy:\n      matrix:\n        os: " values "\n    container:\n" \
	"      image: \"example/build:${{ matrix.os }}\"\n    steps:\n      - run: make\n"

static const struct rulecase rulecases[] = {
	RUN("pull_request", "curl -fsSL https://example.org/download/x.sh | sh", "curl-pipe-shell", 8),
	RUN("pull_request", "echo \"${{ github.event.pull_request.title }}\"", INJ, 8),
	RUN("pull_request", "echo \"${{ github['head_ref'] }}\"", INJ, 8),
	RUN("pull_request", "echo \"${{ toJSON(github.event.*.body) }}\"", INJ, 8),
	RUN("issues", "echo \"${{ gitea.event.issue.title }}\"", INJ, 8),
	RUN("issue_comment", "echo \"${{ forge.event.comment.body }}\"", INJ, 8),
	RUN("repository_dispatch", "echo ${{ github.event.client_payload.ref }}", INJ, 8),
	RUN("pull_request", "[ \"${{ contains(github.event.pull_request.title, 'x') }}\" = 1 ]", INJ, 0),
	RUN("issues", "echo ${{ github.event.issue.number }} ${{ github.event.issue.url }}", INJ, 0),
	RUN("pull_request", "echo \"${{ github.head_ref }}\" >> $GITHUB_ENV", "untrusted-env-write", 8),
	RUN("push", "echo \"hash=$(git rev-parse HEAD)\" >> $GITHUB_OUTPUT", "untrusted-env-write", 0),
	{ GH, TITLE_ENV_RUN("echo \"t=$T\" >> \"$GITHUB_ENV\""), "gha/untrusted-env-write", 10 },
	{ GH, TITLE_ENV_RUN("echo \"$T\""), "gha/" INJ, 0 },
	RUN("push", "curl -k https://example.org/x", "tls-verify-off", 8),
	{ GH, CHECKOUT_THEN("repository: ${{ github.event.pull_request.head.repo.full_name }}", "make"),
	  "gha/untrusted-checkout", 9 },
	{ GH, CHECKOUT_THEN("ref: ${{ github.event.pull_request.merge_commit_sha }}", "make"),
	  "gha/untrusted-checkout", 9 },
	{ GH, CHECKOUT_THEN("ref: ${{ github.event.pull_request.base.sha }}", "make"),
	  "gha/untrusted-checkout", 0 },
	RUN("issue_comment", "make", "privileged-trigger", 1),
	RUN("pull_request", "make", "privileged-trigger", 0),
	{ GH, MATRIX_IMAGE("[debian-12, debian-latest]"), "gha/unpinned-image", 10 },
	{ GH, MATRIX_IMAGE("[debian-12, bookworm-20240101]"), "gha/unpinned-image", 0 },
	{ GH, CHECKOUT_THEN(HEAD_SHA, "npm install"), "gha/untrusted-checkout", 9 },
	{ GH, CHECKOUT_THEN(HEAD_SHA, "cat README.md"), "gha/untrusted-checkout", 0 },
	{ GH, CHECKOUT_THEN(HEAD_SHA, "cat README.md"), "gha/untrusted-checkout-unused", 9 },
	{ GH, "on: pull_request\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n",
	  "gha/permissions-missing", 2 },
	{ GL, "j:\n  script:\n    - |\n      wget -qO- https://get.example.org/cli | sh\n",
	  "gitlab/curl-pipe-shell", 4 },
	{ GL, "j:\n  script:\n    - git clone https://x-token-auth:${TOKEN}@example.org/r.git\n",
	  "gitlab/credential-in-url", 3 },
	{ GL, "variables:\n  CI_DEBUG_TRACE: \"true\"\nj:\n  script: [make]\n", "gitlab/debug-trace", 2 },
	{ GL, ".t:\n  image: alpine:latest\nj:\n  extends: .t\n  script: [make]\n",
	  "gitlab/unpinned-image", 2 },
	{ GL, "j:\n  image: docker:24.0.7\n  services: [docker:24.0.7-dind]\n  script: [make]\n",
	  "gitlab/unpinned-image", 0 },
	{ BB, "pipelines:\n  default:\n    - step:\n        image: alpine/git:latest\n"
	  "        script:\n          - curl -s https://example.org/install | bash\n",
	  "bitbucket/curl-pipe-shell", 6 },
	{ BB, "definitions:\n  steps:\n    - step: &s\n        runs-on: [self.hosted]\n"
	  "        script: [make]\npipelines:\n  branches:\n    main:\n      - step: *s\n"
	  "  pull-requests:\n    '**':\n      - step: *s\n", "bitbucket/self-hosted-public", 12 },
};

static int reported(const struct an_issues *is, const char *rule)
{
	for (size_t i = 0; i < is->n; i++)
		if (!strcmp(is->v[i].rule, rule))
			return is->v[i].line;
	return 0;
}

int main(void)
{
	plan((int)(ARRAY_SIZE(rxcases) + ARRAY_SIZE(rulecases)) + 1);
	ok(compile_patterns(), "every pattern compiles");
	for (size_t i = 0; i < ARRAY_SIZE(rxcases); i++)
		ok(rx_match(rxcases[i].rx, rxcases[i].line) == rxcases[i].match, "pattern %d %s '%s'",
		   rxcases[i].rx, rxcases[i].match ? "matches" : "does not match", rxcases[i].line);
	for (size_t i = 0; i < ARRAY_SIZE(rulecases); i++) {
		const struct rulecase *c = &rulecases[i];
		struct an_facts f;
		struct an_issues is = { 0 };
		char why[256] = "";
		int r, line;

		an_facts_init(&f);
		r = an_workflow_parse(c->system, "w.yml", c->yaml, strlen(c->yaml), &f, &is, NULL, why,
				      sizeof(why));
		line = reported(&is, c->rule);
		if (!ok(r == 0 && line == c->line, "%s %s (case %zu)", c->rule,
			c->line ? "reported on its line" : "not reported on the safe form", i))
			diag("parse %d (%s), %s on line %d", r, why, c->rule, line);
		an_issues_release(&is);
		an_facts_release(&f);
	}
	return tap_failed != 0;
}

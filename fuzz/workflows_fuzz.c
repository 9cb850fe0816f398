/*
 * workflows_fuzz.c - libFuzzer target for lethe-analyze's workflow reader
 * (libyaml documents walked for GitHub Actions, GitLab CI and Bitbucket
 * Pipelines facts).
 *
 * The first byte picks the system; the rest is the file.  Every input must
 * give facts and issues or a one-line reason, never a crash, a leak or a
 * walk without end (aliases can make cycles).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* The analyzer's sources: lethe-analyze is not a library. */
#include "../analyze/an-facts.c"
#include "../analyze/an-result.c"
#include "../analyze/an-files.c"
#include "../analyze/an-workflows.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const systems[] = { "github-actions", "gitlab-ci", "bitbucket-pipelines" };
	struct an_facts f;
	struct an_issues is = { 0 };
	struct an_includes incs = { 0 };
	char why[256] = "";
	int r;

	if (size < 1)
		return 0;
	an_facts_init(&f);
	r = an_workflow_parse(systems[data[0] % 3], ".gitlab-ci.yml",
			      (const char *)data + 1, size - 1, &f, &is, &incs, why, sizeof(why));
	if (r < 0 && (!why[0] || strchr(why, '\n')))
		abort();	/* a refusal always says why, on one line */
	for (size_t i = 0; i < incs.n; i++)
		free(incs.v[i]);
	an_issues_release(&is);
	an_facts_release(&f);
	return 0;
}

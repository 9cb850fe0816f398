/*
 * report_text.c - the words of a report: its title and its Markdown (the
 * check run's summary, the pull request's comment); see report.h.
 */
#include <stdio.h>
#include <string.h>

#include "redact.h"
#include "report.h"
#include "util.h"

#define REPORT_MSG_MAX 300	/* bytes of one message in a comment row */

int report_has_errors(const struct report *rp)
{
	for (size_t i = 0; i < rp->rp_nnew; i++)
		if (!strcmp(rp->rp_new[i].rf_level, "error"))
			return 1;
	return 0;
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

char *report_title(const struct report *rp)
{
	char *t, *out;

	if (!strcmp(rp->rp_state, "failed"))
		t = xasprintf("Lethe: the scan failed");
	else
		t = xasprintf("Lethe: %zu new %s, %zu fixed%s", rp->rp_new_total,
			      plural(rp->rp_new_total, "finding", "findings"), rp->rp_fixed_total,
			      rp->rp_ntools ? ", incomplete" : "");
	out = redact_text(t, NULL);
	free(t);
	return out;
}

/*
 * A value from a scan as a Markdown code span, so that nothing in it is
 * markup (links, images, @mentions, HTML): delimited by one backtick more
 * than its longest run of them (CommonMark 6.1), padded when it starts or
 * ends with one, on one line, with '|' escaped for the table (GFM), valid
 * UTF-8 and cut at most max bytes in on a character boundary.  The value is
 * redacted first, so that redacting the whole text later changes nothing.
 */
static void md_code(FILE *f, const char *value, size_t max)
{
	_cleanup_free_ char *red = redact_text(value, NULL);
	_cleanup_free_ char *s = text_clean(red, max);
	size_t n = strlen(s), run = 0, longest = 0;
	int pad = n && (s[0] == '`' || s[n - 1] == '`');

	for (size_t i = 0; i < n; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		longest = run > longest ? run : longest;
	}
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	if (pad)
		fputc(' ', f);
	for (size_t i = 0; i < n; i++)
		s[i] == '|' ? fputs("\\|", f) : fputc(s[i], f);
	if (n < strlen(red))
		fputs("…", f);	/* cut: text_clean() keeps every byte's place */
	if (pad)
		fputc(' ', f);
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
}

static char *md_row(const struct report_finding *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();	/* out of memory, as xmalloc */
	fputs("| ", f);
	md_code(f, v->rf_level, 16);
	fputs(" | ", f);
	md_code(f, v->rf_tool, 64);
	fputs(" ", f);
	md_code(f, v->rf_rule, 128);
	fputs(" | ", f);
	md_code(f, v->rf_path, 256);
	if (v->rf_start > 0)	/* a manifest's vulnerable dependency has none */
		fprintf(f, " line %d", v->rf_start);
	fputs(" | ", f);
	md_code(f, v->rf_message, REPORT_MSG_MAX);
	fputs(" |\n", f);
	fclose(f);
	return buf;
}

/* One section; its rows while *budget bytes last, then the overflow line. */
static void md_findings(FILE *f, const char *title, const struct report_finding *v, size_t n,
			size_t total, size_t *budget)
{
	size_t shown = 0;

	fprintf(f, "\n**%s** (%zu)\n\n", title, total);
	if (!total) {
		fputs("None.\n", f);
		return;
	}
	fputs("| Level | Rule | Location | Message |\n|---|---|---|---|\n", f);
	for (; shown < n && shown < REPORT_COMMENT_ROWS; shown++) {
		char *row = md_row(&v[shown]);
		size_t len = strlen(row);

		if (len > *budget) {
			free(row);
			break;
		}
		*budget -= len;
		fputs(row, f);
		free(row);
	}
	if (total > shown)
		fprintf(f, "\n%zu more %s: see the dashboard.\n", total - shown,
			plural(total - shown, "finding", "findings"));
}

/* Room kept for the headings, the overflow lines and the tools' list. */
#define REPORT_MD_RESERVE 2048

char *report_markdown(const struct report *rp, int with_marker, size_t max)
{
	char *title = report_title(rp), *buf = NULL, *tools = NULL, *out;
	size_t len = 0, tlen = 0, budget;
	int tools_fit;
	FILE *f = open_memstream(&tools, &tlen);

	if (!f)
		abort();	/* out of memory, as xmalloc */
	if (rp->rp_ntools) {
		fputs("\n**Incomplete tools**\n\n", f);
		for (size_t i = 0; i < rp->rp_ntools; i++) {
			fputs("- ", f);
			md_code(f, rp->rp_tools[i].rt_tool, 64);
			fputs(": ", f);
			md_code(f, rp->rp_tools[i].rt_reason, 200);
			fputc('\n', f);
		}
	}
	fclose(f);
	f = open_memstream(&buf, &len);
	if (!f)
		abort();
	if (with_marker)
		fprintf(f, "%s\n", REPORT_MARKER);
	fprintf(f, "### %s\n\nScan %lld of `%.12s`: %s, %zu open %s in all. [Details](%s)\n",
		title, (long long)rp->rp_scan_id, rp->rp_sha, rp->rp_state, rp->rp_open_total,
		plural(rp->rp_open_total, "finding", "findings"), rp->rp_link);
	if (rp->rp_pr > 0 && rp->rp_base_scan > 0) {
		fprintf(f, "\nCompared with scan %lld of ", (long long)rp->rp_base_scan);
		md_code(f, rp->rp_base_branch, 256);
		fputs(", the last complete scan of the target branch.\n", f);
	} else if (rp->rp_pr > 0) {
		fputs("\nThe target branch has no complete scan to compare with: "
		      "every finding is listed as introduced.\n", f);
	}
	fflush(f);
	tools_fit = max > len + tlen + REPORT_MD_RESERVE;
	budget = tools_fit ? max - len - tlen - REPORT_MD_RESERVE
		 : max > len + REPORT_MD_RESERVE ? max - len - REPORT_MD_RESERVE : 0;
	md_findings(f, rp->rp_pr ? "Introduced by this pull request" : "New in this scan",
		    rp->rp_new, rp->rp_nnew, rp->rp_new_total, &budget);
	md_findings(f, rp->rp_pr ? "Fixed by this pull request" : "Fixed", rp->rp_fixed, rp->rp_nfixed, rp->rp_fixed_total, &budget);
	if (tools_fit)
		fputs(tools, f);
	else
		fprintf(f, "\n%zu incomplete %s: see the dashboard.\n", rp->rp_ntools,
			plural(rp->rp_ntools, "tool", "tools"));
	fclose(f);
	free(tools);
	out = redact_text(buf, NULL);
	free(buf);
	free(title);
	return out;
}

/*
 * ruletext_fuzz.c - libFuzzer target for lib/ruletext: the input is
 * "TOOL\tRULE\tMESSAGE".  The text kept is valid UTF-8 without control
 * characters, within RULETEXT_MAX for a scanner, the same when applied
 * again (the host after the sandbox), and depends on the message only
 * through its numbers' values: with every number made 0 (keeping its sign
 * and whether it has more than 9 digits) the kept text changes only in
 * those numbers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ruletext.h"
#include "sarif.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* s with each run of digits made "0", or "0000000000" past 9 digits. */
static char *zeroed(const char *s)
{
	char *out = xmalloc(strlen(s) + 11), *o = out;

	while (*s) {
		size_t n = 0;

		if (!digit(*s)) {
			*o++ = *s++;
			continue;
		}
		while (digit(s[n]))
			n++;
		memset(o, '0', n > 9 ? 10 : 1);
		o += n > 9 ? 10 : 1;
		s += n;
	}
	*o = '\0';
	return out;
}

static void check(const char *tool, const char *rule, const char *msg)
{
	char *kept = ruletext_message(tool, rule, msg);
	char *again = ruletext_message(tool, rule, kept);
	char *z = zeroed(msg), *zkept = ruletext_message(tool, rule, z);
	char *a = zeroed(kept), *b = zeroed(zkept);

	if (strcmp(kept, again) != 0 || !utf8_valid(kept, strlen(kept)))
		abort();
	for (const char *p = kept; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	if (!ruletext_own_tool(tool) && (strlen(kept) > RULETEXT_MAX || strcmp(a, b) != 0))
		abort();
	free(kept);
	free(again);
	free(z);
	free(zkept);
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xstrndup((const char *)data, size);
	char *tab = strchr(in, '\t'), *tab2 = tab ? strchr(tab + 1, '\t') : NULL;

	if (tab2) {
		*tab = *tab2 = '\0';
		check(in, tab + 1, tab2 + 1);
	}
	free(in);
	return 0;
}

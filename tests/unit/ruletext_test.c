/*
 * ruletext_test.c - the text Lethe keeps of a scanner's result: the tools'
 * real messages quoting code become the rule's fixed text, a known shape
 * keeps its numbers and nothing else, an unknown rule gets the generic
 * text, Lethe's own analyzers keep theirs, and applying it twice (sandbox,
 * then host) changes nothing.
 */
#include <string.h>

#include "ruletext.h"
#include "tap.h"
#include "util.h"

struct textcase {
	const char *tool, *rule, *message, *want;
};

static const struct textcase cases[] = {
	{ "cppcheck", "knownConditionTrueFalse", "Condition 'strcmp(p,\"MARK\")==0' is always false",
	  "condition with a value known in advance" },
	{ "cppcheck", "incorrectLogicOperator",
	  "Logical conjunction always evaluates to false: MARK == 1 && MARK == 2.",
	  "comparisons joined so that the result never changes" },
	{ "cppcheck", "arrayIndexOutOfBounds", "Array 'MARK[10]' accessed at index 10, which is out of bounds.",
	  "array accessed at an index past its end" },
	{ "shellcheck", "SC2154", "MARK is referenced but not assigned.",
	  "variable referenced but never assigned" },
	{ "bandit", "B105", "Possible hardcoded password: 'MARK'", "possible password in a string literal" },
	{ "Flawfinder", "FF1001", "buffer/strcpy:Does not check for buffer overflows (CWE-120).",
	  "strcpy does not check the destination's size (CWE-120)" },
	{ "cppcheck", "shiftTooManyBits", "Shifting 32-bit value by 40 bits is undefined behaviour",
	  "shift of a 32-bit value by 40 bits is undefined" },
	{ "cppcheck", "memsetZeroBytes", "memset() called to fill -0 bytes.", "memset() fills -0 bytes" },
	{ "cppcheck", "shiftTooManyBits", "Shifting MARK-bit value by 40 bits is undefined behaviour",
	  "shift by the value's width or more is undefined" },
	{ "cppcheck", "shiftTooManyBits", "Shifting 32-bit value by 40 bits is undefined behaviour!",
	  "shift by the value's width or more is undefined" },
	{ "cppcheck", "shiftTooManyBits", "Shifting 1234567890-bit value by 4 bits is undefined behaviour",
	  "shift by the value's width or more is undefined" },
	{ "cppcheck", "shiftTooManyBits", "Shifting --1-bit value by 4 bits is undefined behaviour",
	  "shift by the value's width or more is undefined" },
	{ "cppcheck", "noSuchRule", "MARK", "cppcheck rule noSuchRule" },
	{ "extra", NULL, "MARK", "extra rule unknown" },
	{ "cppcheck", "nullPointer", NULL, "null pointer dereference" },
	{ "lethe-markers", "lethe/marker-without-reason", "lethe:ignore marker without a rule",
	  "lethe:ignore marker without a rule" },
};

int main(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct textcase *c = &cases[i];
		_cleanup_free_ char *m = ruletext_message(c->tool, c->rule, c->message);
		_cleanup_free_ char *again = ruletext_message(c->tool, c->rule, m);

		ok(strcmp(m, c->want) == 0 && strcmp(again, m) == 0,
		   "%s %s: '%s' (again: '%s')", c->tool, c->rule ? c->rule : "(none)", m, again);
	}
	{
		_cleanup_free_ char *r = ruletext_rule("shellcheck", "SC2086");
		_cleanup_free_ char *g = ruletext_rule("bandit", "B999");

		ok(strcmp(r, "unquoted expansion is split into words and globbed") == 0 &&
		   strcmp(g, "bandit rule B999") == 0, "%s", "a rule's fixed text, or the generic one");
	}
	return done_testing();
}

/*
 * ruletext.h - the text Lethe keeps of a scanner's result.
 *
 * Scanners' messages quote the code they flag: expressions, string
 * literals, variable names.  None of that may leave the sandbox, be stored
 * or be sent to a VCS, so a result's message is never the scanner's own
 * text: it is the fixed text that Lethe keeps for the tool's rule (a table
 * in ruletext.c, in Lethe's words), or, for a rule without an entry, a
 * generic text naming the tool and the rule ("cppcheck rule
 * knownConditionTrueFalse").
 *
 * For a few rules whose message Lethe knows the shape of, the message says
 * more: when the scanner's message is exactly that shape, with only
 * numbers in its holes, those are filled into Lethe's own wording of it.  Lethe's wording has the same holes and
 * is recognised too, so that the host, which does not trust what comes out
 * of the sandbox either, can apply ruletext_message() again and get the
 * same text.
 *
 * Lethe's own in-process analyzers (tools named "lethe-...") write their
 * messages from fixed texts of their own; they are kept as they are.
 */
#ifndef LETHE_RULETEXT_H
#define LETHE_RULETEXT_H

#include <stdbool.h>

#define RULETEXT_MAX 300	/* bytes of a message ruletext_message() returns */

/*
 * The message to keep of a result of tool's rule (NULL: none given) whose
 * scanner message is message (NULL: none); the caller frees it.
 */
char *ruletext_message(const char *tool, const char *rule, const char *message);

/* The fixed description of tool's rule (the generic text when Lethe has
 * none), for a rule descriptor; the caller frees it. */
char *ruletext_rule(const char *tool, const char *rule);

/* Whether tool is one of Lethe's own in-process analyzers. */
bool ruletext_own_tool(const char *tool);

#endif

/*
 * cmdgate.h - the command gate: which commands a fix's model may have run
 * in its work tree, decided before anything runs.
 *
 * A command is an argv array (never a shell line, never run by a shell).
 * Allowed are a few programs by name only, each with the options and
 * operands it may take:
 *
 *   git diff|status|log|show|ls-files|grep|blame [options] [revisions] [-- paths]
 *   grep [-niwlLcvHhFEGrIsq, -e PAT, -m/-A/-B/-C N, --include/--exclude/
 *        --exclude-dir=GLOB] PATTERN [paths]
 *   sed -n Np|N,Mp path...
 *   cat path...   head|tail [-n N] path...   wc [-l|-w|-c] path...
 *   ls [-1alR] [paths]   diff [-u] path path
 *
 * and, only where the operator set fix_test_command, the repository's test
 * command: exactly its words, optionally followed by paths in the work tree
 * (no option, no other word), its program resolved to an absolute path
 * under /usr or /bin, as the sandbox has them.
 *
 * Refused, each with a reason: any other program (sh, curl, ...), a name
 * with a '/', every git subcommand not listed (push, remote, config and
 * submodule named as denied), every git option before the subcommand (-c,
 * -C, --exec-path, ...), git options that run or write something
 * (--output, --ext-diff, --textconv, --no-index, -O/--open-files-in-pager,
 * --exec, --upload-pack, ...), an argument starting with '!', every shell
 * operator in any argument (| ; & ` $( ${ $NAME > < and line breaks), a
 * glob leaving the work tree, and any path that is absolute, has a ".."
 * or ".git" component, goes through a symlink or does not exist in the
 * work tree.
 */
#ifndef LETHE_CMDGATE_H
#define LETHE_CMDGATE_H

#include <stddef.h>

#define GATE_MAX_ARGS 64
#define GATE_MAX_ARG  4096
#define GATE_TEST_WORDS 16

/*
 * The operator's test command: its words (the first the program, as the
 * model must name it), the absolute path the program runs as, and the words
 * joined by spaces.  All owned by the struct; zeroed, it is "none".
 */
struct gate_test {
	char *gt_words[GATE_TEST_WORDS + 1];	/* NULL-ended */
	char *gt_binary;
	char *gt_line;
};

/*
 * Set t (zeroed or released) to the command words (NULL-ended; none: t
 * stays empty).  Refused with -EINVAL and why: more than GATE_TEST_WORDS
 * words, an empty or too long word, a shell operator or a leading '!' in
 * a word, a program that is neither a name found in /usr/bin or /bin nor
 * an absolute path under /usr or /bin, or that is no executable file.
 */
int gate_test_set(struct gate_test *t, char *const words[], char *why, size_t whylen);

/* The same from line, words separated by spaces or tabs (no quoting); "" is none. */
int gate_test_parse(struct gate_test *t, const char *line, char *why, size_t whylen);

/* Frees what t holds and zeroes it; NULL is fine. */
void gate_test_release(struct gate_test *t);

/*
 * Check argv (NULL-ended) against the gate for the work tree open as
 * root_fd, with the test command test (NULL or empty: none).  0 when it
 * may run: *binary is then the absolute path to exec (with argv as given,
 * in the work tree, without a shell).  -EPERM when it is refused, why says
 * why (for the model: one line).
 */
int gate_check(int root_fd, const struct gate_test *test, char *const argv[],
	       const char **binary, char *why, size_t whylen);

/*
 * Whether path (relative, as the model names it) is a file or directory
 * inside the work tree root_fd: not absolute, no ".." or ".git" component,
 * no symlink on the way, and there.  0 or -EPERM with why; the file
 * tools (read, list, edit) use it too.  An edit may name a file not there
 * yet: with may_create, only its directory must be there.
 */
int gate_path(int root_fd, const char *path, int may_create, char *why, size_t whylen);

/*
 * openat2(2) of path beneath root_fd, through no symlink, no mount point
 * and no "..": the fd, or -1 with errno (ELOOP, EXDEV for an escape).
 * Callers check the path with gate_path() first.
 */
int gate_open(int root_fd, const char *path, int flags, int mode);

#endif

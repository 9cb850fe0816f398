/*
 * sandboxed.h - included once by each program that runs inside the
 * sandbox (lethe-analyze, lethe-agent, the tests' probe).  In the sanitizer
 * build only: LeakSanitizer needs ptrace, which the sandbox's seccomp filter
 * refuses, so leaks cannot be checked in there.
 */
#ifndef LETHE_SANDBOXED_H
#define LETHE_SANDBOXED_H

#ifdef __SANITIZE_ADDRESS__
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

#endif

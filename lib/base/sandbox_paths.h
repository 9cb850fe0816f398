/*
 * sandbox_paths.h - where things are inside the sandbox: what lethe-scan
 * binds there and the programs that run there look for.
 */
#ifndef LETHE_SANDBOX_PATHS_H
#define LETHE_SANDBOX_PATHS_H

/* Lethe's ESLint tree (eslint_path), bound read-only. */
#define SANDBOX_ESLINT_DIR "/opt/lethe/eslint"

#endif

/*
 * proc.h - find a host process by its command line, for the unit tests that
 * check that nothing they started outlives them.
 */
#ifndef LETHE_TEST_PROC_H
#define LETHE_TEST_PROC_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A process on the host (other than this one) with s in its command line: its pid, or 0. */
static inline pid_t process_with(const char *s)
{
	char path[300], buf[4096];
	struct dirent *de;
	pid_t found = 0;
	ssize_t n, i;
	DIR *d = opendir("/proc");
	int fd;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		fd = open(path, O_RDONLY);
		n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		for (i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		if (n > 0 && (buf[n] = '\0', strstr(buf, s)) && atoi(de->d_name) != getpid())
			found = atoi(de->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

#endif

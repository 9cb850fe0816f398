/*
 * sandbox-probe - what a program sees in a fix's sandbox, run there in
 * lethe-agent's place (t8005), with lethe-agent's arguments: one line each
 * of its environment, of the entries of /lethe, of what a TCP connection to
 * each "tcp" address and a connection to each "unix" path of the task file
 * ({"tcp": [["127.0.0.1", 8080]], "unix": ["/run/x.sock"]}) come to, and
 * of what it reads of /proc/1/environ (NULs as blanks).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>

#include "sandboxed.h"

extern char **environ;

static const char *tcp(const char *host, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return strerror(errno);
	inet_pton(AF_INET, host, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return strerror(errno);
	close(fd);
	return "connected";
}

static const char *unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0)
		return strerror(errno);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return strerror(errno);
	close(fd);
	return "connected";
}

int main(int argc, char **argv)
{
	struct dirent **ents;
	json_object *task, *list;
	char buf[4096];
	int n, fd;

	for (char **e = environ; *e; e++)
		printf("env %s\n", *e);
	n = scandir("/lethe", &ents, NULL, alphasort);
	for (int i = 0; i < n; i++)
		if (ents[i]->d_name[0] != '.')
			printf("lethe %s\n", ents[i]->d_name);
	task = json_object_from_file(argv[argc - 1]);
	if (json_object_object_get_ex(task, "tcp", &list))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			json_object *a = json_object_array_get_idx(list, i);
			const char *host = json_object_get_string(json_object_array_get_idx(a, 0));
			int port = json_object_get_int(json_object_array_get_idx(a, 1));

			printf("tcp %s:%d %s\n", host, port, tcp(host, port));
		}
	if (json_object_object_get_ex(task, "unix", &list))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			const char *path = json_object_get_string(json_object_array_get_idx(list, i));

			printf("unix %s %s\n", path, unix_connect(path));
		}
	json_object_put(task);
	fd = open("/proc/1/environ", O_RDONLY);
	n = fd < 0 ? 0 : (int)read(fd, buf, sizeof(buf) - 1);
	for (int i = 0; i < n; i++)
		buf[i] = buf[i] ? buf[i] : ' ';
	printf("proc1-environ %.*s\n", n > 0 ? n : 0, buf);
	return 0;
}

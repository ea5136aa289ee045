#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "util.h"

static void
send_state(const char *msg, size_t len)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t plen;
	socklen_t slen;
	int fd;

	if (path == NULL || path[0] == '\0')
		return;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sun.sun_path)) {
		log_debug("NOTIFY_SOCKET \"%s\": not a socket path", path);
		return;
	}
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';		/* abstract namespace */
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen +
	    (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_debug("notify socket: %s", strerror(errno));
		return;
	}
	if (sendto(fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *)&sun,
	    slen) < 0)
		log_debug("notify %s: %s", path, strerror(errno));
	close(fd);
}

void
notify(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	send_state(msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

void
notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify("RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ull +
	    (unsigned long long)ts.tv_nsec / 1000);
}

int
notify_listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *end;
	long p, n;

	if (pid == NULL || fds == NULL)
		return 0;
	errno = 0;
	p = strtol(pid, &end, 10);
	/* Meant for another process (a parent we were forked from). */
	if (errno != 0 || *end != '\0' || p != (long)getpid())
		return 0;
	n = strtol(fds, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0 || n > 64)
		return 0;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (int fd = NOTIFY_FD_START; fd < NOTIFY_FD_START + n; fd++)
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			fatal("LISTEN_FDS: descriptor %d", fd);
	return (int)n;
}

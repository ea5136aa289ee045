#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 2048

static enum log_level log_level = LOG_LEVEL_INFO;
static int log_fd = 2;

void
log_init(enum log_level level, int fd)
{
	log_level = level;
	log_fd = fd;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

void
log_line(const char *line, size_t len)
{
	char out[LOG_LINE_MAX + 1];

	if (len > LOG_LINE_MAX)
		len = LOG_LINE_MAX;
	memcpy(out, line, len);
	out[len] = '\n';
	/* A short write to stderr is not worth a retry loop. */
	if (write(log_fd, out, len + 1) < 0)
		return;
}

__attribute__((format(printf, 3, 0)))
static void
vlog(const char *prefix, const char *err, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n, m;

	n = snprintf(line, sizeof(line), "autoconfd: %s", prefix);
	if (n < 0)
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if (err != NULL) {
		m = snprintf(line + n, sizeof(line) - (size_t)n, ": %s", err);
		if (m > 0)
			n += m;
		if (n >= (int)sizeof(line))
			n = sizeof(line) - 1;
	}
	log_line(line, (size_t)n);
}

#define LOG_BODY(level, prefix, err)			\
	va_list ap;					\
	if (log_level < (level))			\
		return;					\
	va_start(ap, fmt);				\
	vlog(prefix, err, fmt, ap);			\
	va_end(ap)

void
log_warn(const char *fmt, ...)
{
	const char *err = strerror(errno);

	LOG_BODY(LOG_LEVEL_WARN, "warning: ", err);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, "warning: ", NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, "", NULL);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, "debug: ", NULL);
}

void
fatal(const char *fmt, ...)
{
	const char *err = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal: ", err, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal: ", NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Four verbs cover every message (OpenBSD style). Each line is one write(2)
 * so threads never interleave or serialise on a lock. */
#ifndef AUTOCONFD_LOG_H
#define AUTOCONFD_LOG_H

enum log_level { LOG_LEVEL_WARN = 0, LOG_LEVEL_INFO = 1, LOG_LEVEL_DEBUG = 2 };

void log_init(enum log_level level, int fd);
enum log_level log_get_level(void);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* Writes one pre-formatted line (the newline is added). */
void log_line(const char *line, size_t len);

#endif

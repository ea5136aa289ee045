/* Memory wrappers that abort on exhaustion, and a growable byte buffer. */
#ifndef AUTOCONFD_UTIL_H
#define AUTOCONFD_UTIL_H

#include <stddef.h>
#include <stdarg.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Copies src into dst (dstsz > 0), cut to fit, always NUL-terminated. */
void str_copy(char *dst, size_t dstsz, const char *src);

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Hands the bytes over (NUL-terminated) and empties the buffer. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

/* Escapers append text escaped for the target format. */
void buf_xml_escape(struct buf *b, const char *s, size_t len);
void buf_html_escape(struct buf *b, const char *s);
/* For one line of a log or a message: control bytes as \xNN. */
void buf_ctl_escape(struct buf *b, const char *s, size_t len);

/* ASCII-only case helpers: protocol tokens are ASCII, locale must not matter. */
/* The code point of the UTF-8 sequence at s (n > 0 bytes left), with its
 * length in *len; -1 if it is not one (truncated, overlong, a surrogate,
 * past U+10FFFF). */
long utf8_decode(const unsigned char *s, size_t n, size_t *len);

/* Reads a whole regular file of at most max bytes into *out (malloc'd,
 * NUL-terminated). Returns 0; FILE_OPEN, FILE_SIZE (not a regular file,
 * or too big) or FILE_READ with the reason (static text or strerror) in
 * *why. */
enum { FILE_OPEN = -1, FILE_SIZE = -2, FILE_READ = -3 };
int file_read(const char *path, size_t max, char **out, size_t *len,
    const char **why);

int ascii_strcasecmp(const char *a, const char *b);
int ascii_strncasecmp(const char *a, const char *b, size_t n);
char ascii_tolower(char c);

#endif

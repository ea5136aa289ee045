#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"
#include "email.h"
#include "log.h"
#include "util.h"

#define FIELD_MAX 256

/* The log's descriptor number never changes once opened: a reopen dup3()s
 * the new file onto it, so a worker writing at that moment writes to the
 * old file or the new one, never to a recycled descriptor. */
static atomic_int log_fd = -1;
static atomic_bool log_on;
/* Set from the first failed write to the next good one: the admin hears of
 * a full disk once, not once per buffer. */
static atomic_bool write_failing;

/* Each worker collects its lines in its own buffer and writes them out in
 * one write(2) when it is full or when alog_flush() runs (four times a
 * second): O_APPEND writes to one file take the inode's lock, so a write
 * per line would make the workers queue for it. A buffer holds whole lines
 * only, so lines never mix. Its lock is only ever contended by a flush. */
#define TBUF_SIZE (32 * 1024)

struct tbuf {
	pthread_mutex_t lock;
	size_t len;
	struct tbuf *next;
	char data[TBUF_SIZE];
};

static pthread_mutex_t tbufs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tbuf *tbufs;
static _Thread_local struct tbuf *mine;

static void
flush_locked(struct tbuf *b)
{
	/* A full disk is not worth stopping an answer for; the lines are
	 * dropped. */
	if (b->len > 0 && write(atomic_load_explicit(&log_fd,
	    memory_order_relaxed), b->data, b->len) < 0) {
		int e = errno;

		if (!atomic_exchange(&write_failing, true))
			log_warnx("access log: cannot write: %s; lines are lost "
			    "until it can", strerror(e));
	} else if (b->len > 0 && atomic_exchange(&write_failing, false))
		log_info("access log: written again");
	b->len = 0;
}

void
alog_flush(void)
{
	pthread_mutex_lock(&tbufs_lock);
	for (struct tbuf *b = tbufs; b != NULL; b = b->next) {
		pthread_mutex_lock(&b->lock);
		flush_locked(b);
		pthread_mutex_unlock(&b->lock);
	}
	pthread_mutex_unlock(&tbufs_lock);
}

int
alog_open(const char *target)
{
	int fd, cur = atomic_load(&log_fd);

	/* Lines logged so far belong to the previous target. */
	alog_flush();
	if (target == NULL) {
		atomic_store(&log_on, false);
		if (cur < 0)
			return 0;
		/* Let go of the file without freeing the number. */
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	} else if (strcmp(target, "stderr") == 0)
		fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	else
		fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		    O_NOCTTY, 0640);
	if (fd < 0) {
		log_warn("access log %s", target != NULL ? target : "off");
		return -1;
	}
	if (cur < 0)
		atomic_store(&log_fd, fd);
	else {
		if (dup3(fd, cur, O_CLOEXEC) < 0) {
			log_warn("access log %s", target);
			close(fd);
			return -1;
		}
		close(fd);
	}
	atomic_store(&log_on, target != NULL);
	return 0;
}

bool
alog_enabled(void)
{
	return atomic_load_explicit(&log_on, memory_order_relaxed);
}

struct out {
	char *p;
	size_t len, size;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (n > o->size - o->len)
		n = o->size - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static bool
plain(unsigned char c, bool quoted)
{
	return (c > 0x20 && c < 0x7f && c != '"' && c != '\\') ||
	    (c == ' ' && quoted);
}

/* Request data is escaped: nothing a client sends can forge a line or a
 * field. Spaces survive only inside quotes. At most max bytes of output.
 * Runs of plain bytes are copied at once: this is the hot part of a line. */
static void
put_escaped(struct out *o, const char *s, size_t max, bool quoted)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t start = o->len;

	if (s == NULL || *s == '\0') {
		puts_(o, quoted ? "\"\"" : "-");
		return;
	}
	if (quoted)
		put(o, "\"", 1);
	while (*p != '\0' && o->len - start < max) {
		size_t n = 0, room = max - (o->len - start);

		while (n < room && p[n] != '\0' && plain(p[n], quoted))
			n++;
		put(o, (const char *)p, n);
		p += n;
		if (*p == '\0' || n == room)
			break;
		char e[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };
		put(o, e, 4);
		p++;
	}
	if (*p != '\0')
		puts_(o, "...");
	if (quoted)
		put(o, "\"", 1);
}

/* Appends " %u" without printf. */
static void
put_num(struct out *o, unsigned long long v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	d[--i] = ' ';
	put(o, d + i, sizeof(d) - i);
}

/* The end of the last '@' (or its escape "%40") in p[0..n), or NULL. */
static const char *
after_last_at(const char *p, size_t n)
{
	const char *after = NULL;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '@')
			after = p + i + 1;
		else if (p[i] == '%' && i + 2 < n && p[i + 1] == '4' &&
		    p[i + 2] == '0') {
			after = p + i + 3;
			i += 2;
		}
	}
	return after;
}

/* The request target as received, query cut off, with the local part of
 * any address in it masked: the part of a segment up to its last '@'
 * (or "%40") becomes '*'. The target is still percent-encoded, so a '/'
 * inside a local part is "%2F" and within its segment. On the one route
 * whose path is an address (Autodiscover v2), everything after the
 * route's prefix up to the last '@' is the local part, raw '/' or not. */
static void
put_path(struct out *o, const char *target, bool full)
{
	static const char v1[] = "/autodiscover/autodiscover.json/v1.0/";
	char tmp[FIELD_MAX + 1];
	size_t n = 0, len;
	const char *p = target, *end;

	if (target == NULL) {
		puts_(o, "-");
		return;
	}
	len = strcspn(target, "?");
	end = target + len;
	if (full) {
		if (len > FIELD_MAX)
			len = FIELD_MAX;
		memcpy(tmp, target, len);
		tmp[len] = '\0';
		put_escaped(o, tmp, FIELD_MAX, false);
		return;
	}
	if (len >= sizeof(v1) - 1 &&
	    ascii_strncasecmp(target, v1, sizeof(v1) - 1) == 0 &&
	    after_last_at(target, len) != NULL) {
		memcpy(tmp, target, sizeof(v1) - 1);
		n = sizeof(v1) - 1;
		tmp[n++] = '*';
		tmp[n++] = '@';		/* "%40" too */
		p = after_last_at(target, len);
	}
	while (p < end && n < FIELD_MAX) {
		size_t seg = strcspn(p, "/?");
		const char *at;

		if (p + seg > end)
			seg = (size_t)(end - p);
		at = after_last_at(p, seg);
		if (at != NULL) {
			tmp[n++] = '*';
			if (n < FIELD_MAX)
				tmp[n++] = '@';
			seg -= (size_t)(at - p);
			p = at;
		}
		if (seg > FIELD_MAX - n)
			seg = FIELD_MAX - n;
		memcpy(tmp + n, p, seg);
		n += seg;
		p += seg;
		if (p < end && *p == '/' && n < FIELD_MAX)
			tmp[n++] = *p++;
	}
	tmp[n] = '\0';
	put_escaped(o, tmp, FIELD_MAX, false);
}

/* inet_ntop() goes through sprintf: too slow for every request. */
static void
put_ipv4(struct out *o, const unsigned char *a)
{
	char t[16];
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (i > 0)
			t[n++] = '.';
		if (v >= 100)
			t[n++] = (char)('0' + v / 100);
		if (v >= 10)
			t[n++] = (char)('0' + v / 10 % 10);
		t[n++] = (char)('0' + v % 10);
	}
	put(o, t, n);
}

static void
put_client(struct out *o, const struct alog_entry *e)
{
	char addr[INET6_ADDRSTRLEN] = "-";

	if (e->forwarded_for != NULL && e->forwarded_for[0] != '\0') {
		/* The last hop is the one the trusted proxy saw. */
		const char *last = strrchr(e->forwarded_for, ',');
		char tmp[64];
		size_t n;

		last = last != NULL ? last + 1 : e->forwarded_for;
		while (*last == ' ' || *last == '\t')
			last++;
		n = strcspn(last, " \t");
		if (n >= sizeof(tmp))
			n = sizeof(tmp) - 1;
		memcpy(tmp, last, n);
		tmp[n] = '\0';
		put_escaped(o, tmp, sizeof(tmp), false);
		return;
	}
	if (e->peer != NULL && e->peer->sa_family == AF_INET) {
		put_ipv4(o, (const unsigned char *)&((const struct sockaddr_in *)
		    (const void *)e->peer)->sin_addr);
	} else if (e->peer != NULL && e->peer->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)
		    (const void *)e->peer)->sin6_addr;

		/* A dual-stack socket's IPv4 clients, as admins know them. */
		if (IN6_IS_ADDR_V4MAPPED(a6))
			put_ipv4(o, a6->s6_addr + 12);
		else {
			inet_ntop(AF_INET6, a6, addr, sizeof(addr));
			puts_(o, addr);
		}
	} else
		puts_(o, addr);
}

/* The Host header normalised as lookups see it (lowercase, A-labels, no
 * trailing dot, the port as sent); "-" if absent or not a host name. */
static void
put_host(struct out *o, const char *host)
{
	char norm[DOMAIN_MAX + 8];

	if (host == NULL || host_normalize(host, strnlen(host, FIELD_MAX),
	    norm, sizeof(norm)) < 0) {
		puts_(o, "-");
		return;
	}
	/* Normalised text is plain: nothing to escape. */
	puts_(o, norm);
}

size_t
alog_format(const struct alog_entry *e, char *buf, size_t size)
{
	/* The formatting thread's last second, to skip strftime. */
	static _Thread_local time_t stamp_t = -1;
	static _Thread_local char stamp[32];
	struct out o = { buf, 0, size - 1 };

	if (e->when != stamp_t) {
		struct tm tm;

		gmtime_r(&e->when, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		stamp_t = e->when;
	}
	puts_(&o, stamp);
	put(&o, " ", 1);
	put_client(&o, e);
	put(&o, " ", 1);
	put_escaped(&o, e->method, 16, false);
	put(&o, " ", 1);
	put_path(&o, e->path, e->full_addresses);
	put_num(&o, e->status);
	put_num(&o, e->bytes);
	put_num(&o, e->usec);
	put(&o, " ", 1);
	put_escaped(&o, e->endpoint, 32, false);
	put(&o, " ", 1);
	if (e->email != NULL && !e->full_addresses) {
		const char *at = strrchr(e->email, '@');
		put_escaped(&o, at != NULL ? at + 1 : NULL, FIELD_MAX, false);
	} else if (e->email != NULL)
		put_escaped(&o, e->email, FIELD_MAX, false);
	else
		put_escaped(&o, e->domain, FIELD_MAX, false);
	put(&o, " ", 1);
	put_escaped(&o, e->user_agent, FIELD_MAX, true);
	put(&o, " ", 1);
	put_host(&o, e->host);
	put(&o, " ", 1);
	put_escaped(&o, e->client, 32, false);
	put(&o, " ", 1);
	put_escaped(&o, e->provider, FIELD_MAX, false);
	buf[o.len++] = '\n';
	return o.len;
}

void
alog_write(const struct alog_entry *e)
{
	char line[ALOG_LINE_MAX];
	size_t n = alog_format(e, line, sizeof(line));
	struct tbuf *b = mine;

	if (b == NULL) {
		b = xmalloc(sizeof(*b));
		pthread_mutex_init(&b->lock, NULL);
		b->len = 0;
		pthread_mutex_lock(&tbufs_lock);
		b->next = tbufs;
		tbufs = b;
		pthread_mutex_unlock(&tbufs_lock);
		mine = b;
	}
	pthread_mutex_lock(&b->lock);
	if (b->len + n > TBUF_SIZE)
		flush_locked(b);
	memcpy(b->data + b->len, line, n);
	b->len += n;
	pthread_mutex_unlock(&b->lock);
}

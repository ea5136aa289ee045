#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "accesslog.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "site.h"
#include "tls.h"

#define LISTEN_MAX 16
/* Past this much discarded body the client is not worth a reply. */
#define DISCARD_MAX (1024 * 1024)
/* A connection keeps its reply buffer for the next reply up to this
 * size; a bigger one (a long /metrics) goes back to the heap. */
#define OUT_KEEP_MAX (64 * 1024)

struct listener {
	int fd;
	unsigned int port;
	char text[80];
	struct MHD_Daemon *d;
	int placeholder;	/* the socket d "listens" on, see below */
	/* Connections handed to d and not closed yet. */
	atomic_uint conns;
};

static struct listener listeners[LISTEN_MAX];
static size_t nlisteners;
static struct http_opts opts;
static atomic_uint in_flight;

/* Per-connection state, reused by every request on the connection so the
 * hot path does not allocate. */
struct conn {
	struct MHD_Connection *c;
	bool active;			/* a request is being handled */
	bool too_large;
	char *body;			/* allocated on the first POST */
	size_t body_len;
	/* The buffer of the connection's dynamic replies: its response
	 * refers to it (MHD_RESPMEM_PERSISTENT) until sent, and the next
	 * request on the connection comes only after that. */
	struct buf out;
	size_t discarded;
	struct timespec start;		/* headers in */
	/* For the request timeout: when this connection began to wait for a
	 * request's headers (monotonic ms), 0 while a request is handled. */
	atomic_llong waiting_since;
	int fd;
	struct conn *prev, *next;	/* in "conns", under conns_lock */
};

/* Every open connection, for the sweeper that closes those whose request
 * headers take longer than limits.request_timeout (slowloris): MHD's own
 * timeout is reset by every byte. */
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sweeper_cv = PTHREAD_COND_INITIALIZER;
static struct conn *conns;
static pthread_t sweeper;
static bool sweeper_running, sweeper_stop;

/* ---- accepting ------------------------------------------------------
 * The daemon accepts connections itself and hands them to libmicrohttpd
 * (MHD_add_connection), which never sees the listening sockets. Letting
 * it listen went wrong at exit in two ways: MHD_quiesce_daemon(), the way
 * to stop accepting while requests finish, races with libmicrohttpd's
 * own epoll workers, which removes the listening socket from their epoll
 * sets at the same moment, and 0.9.75 aborts the process when a worker
 * loses ("Failed to remove listen FD from epoll set", seen in make check);
 * and MHD_stop_daemon() shuts a listening socket down, which would kill a
 * socket systemd passed and keeps for the next start. Here the acceptor
 * thread stops at http_stop() and leaves the sockets, and what waits in
 * their queues, as they are. A thread pool needs a listening socket of
 * its own: each daemon gets a placeholder, an unnamed local socket no one
 * connects to. */

#define ACCEPT_BATCH 32
#define FULL_RECHECK_MS 100

static pthread_t acceptor;
static bool acceptor_running;
static atomic_bool acceptor_stop;
static int acceptor_wake = -1;		/* eventfd */

/* At limits.connections: the rest wait in the listen queue. */
static bool
listener_full(struct listener *l)
{
	return atomic_load(&l->conns) >= opts.conn_limit;
}

static void
accept_some(struct listener *l)
{
	for (int k = 0; k < ACCEPT_BATCH && !listener_full(l); k++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("accept on %s", l->text);
				/* Out of descriptors: a breath, not a spin. */
				nanosleep(&(struct timespec){ 0, 10000000 },
				    NULL);
			}
			return;
		}
		/* Counted until connection() hears it closed; MHD closes
		 * the socket itself when it cannot take it (the per-address
		 * limit). */
		atomic_fetch_add(&l->conns, 1);
		if (MHD_add_connection(l->d, fd, (struct sockaddr *)&ss, len) !=
		    MHD_YES)
			atomic_fetch_sub(&l->conns, 1);
	}
}

static void *
accept_loop(void *arg)
{
	(void)arg;
	while (!atomic_load(&acceptor_stop)) {
		struct pollfd pfd[LISTEN_MAX + 1];
		size_t idx[LISTEN_MAX], n = 0;
		bool full = false;

		for (size_t i = 0; i < nlisteners; i++) {
			if (listener_full(&listeners[i])) {
				full = true;
				continue;
			}
			pfd[n] = (struct pollfd){ listeners[i].fd, POLLIN, 0 };
			idx[n++] = i;
		}
		pfd[n] = (struct pollfd){ acceptor_wake, POLLIN, 0 };
		if (poll(pfd, n + 1, full ? FULL_RECHECK_MS : -1) < 0) {
			if (errno != EINTR)
				fatal("poll");
			continue;
		}
		for (size_t k = 0; k < n; k++)
			if (pfd[k].revents != 0)
				accept_some(&listeners[idx[k]]);
	}
	return NULL;
}

static int
placeholder_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);

	/* A bind with the family alone picks an unused abstract name. */
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&sa,
	    sizeof(sa.sun_family)) < 0 || listen(fd, 1) < 0)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

void
http_default_opts(struct http_opts *o)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	o->threads = n > 0 ? (unsigned int)n : 1;
	o->conn_limit = 1024;
	o->per_ip_limit = 0;
	o->timeout = 15;
	o->request_timeout = 30;
	o->header_max = 8 * 1024;
	o->body_max = HTTP_BODY_MAX;
	o->tls = NULL;
}

static enum method
method_of(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return M_GET;
	if (strcmp(m, "HEAD") == 0)
		return M_HEAD;
	if (strcmp(m, "POST") == 0)
		return M_POST;
	return M_OTHER;
}

static const char *
mhd_header(const struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->ctx, MHD_HEADER_KIND, name);
}

static const char *
mhd_query(const struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->ctx, MHD_GET_ARGUMENT_KIND,
	    name);
}

/* Queues rp's answer. A dynamic body is sent from rp->body, which then
 * becomes the connection's buffer for its next reply (with cs). */
static enum MHD_Result
queue_reply(struct MHD_Connection *c, struct conn *cs, struct reply *rp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;

	if (rp->blob != NULL && rp->nheaders == 0)
		return MHD_queue_response(c, rp->status, rp->blob->resp);
	if (rp->blob != NULL) {
		/* Copied: a reload may free the blob before it is sent. */
		r = MHD_create_response_from_buffer(rp->blob->len,
		    (void *)rp->blob->data, MHD_RESPMEM_MUST_COPY);
	} else if (cs != NULL && rp->body.cap <= OUT_KEEP_MAX) {
		r = MHD_create_response_from_buffer(rp->body.len,
		    rp->body.data, MHD_RESPMEM_PERSISTENT);
		buf_free(&cs->out);
		cs->out = rp->body;
		memset(&rp->body, 0, sizeof(rp->body));
	} else {
		len = rp->body.len;
		r = MHD_create_response_from_buffer(len, buf_steal(&rp->body),
		    MHD_RESPMEM_MUST_FREE);
	}
	if (r == NULL)
		return MHD_NO;
	if (rp->ctype != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		    rp->ctype);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; i < rp->nheaders; i++)
		MHD_add_response_header(r, rp->headers[i].name,
		    rp->headers[i].value);
	ret = MHD_queue_response(c, rp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static long long
now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void *
sweep(void *arg)
{
	long long limit = (long long)opts.request_timeout * 1000;

	(void)arg;
	pthread_mutex_lock(&conns_lock);
	while (!sweeper_stop) {
		struct timespec until;
		long long now = now_ms();

		for (struct conn *cs = conns; cs != NULL; cs = cs->next) {
			long long since = atomic_load(&cs->waiting_since);

			if (since == 0 || limit == 0 || now - since < limit)
				continue;
			/* MHD sees the end of the stream and closes the
			 * connection; its descriptor stays valid until the
			 * CLOSED notification, which needs this lock. */
			shutdown(cs->fd, SHUT_RDWR);
			atomic_store(&cs->waiting_since, 0);
			metrics_request_timeout();
		}
		/* The same tick writes out the access log buffers. */
		pthread_mutex_unlock(&conns_lock);
		alog_flush();
		pthread_mutex_lock(&conns_lock);
		if (sweeper_stop)
			break;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&sweeper_cv, &conns_lock, &until);
	}
	pthread_mutex_unlock(&conns_lock);
	return NULL;
}

static uint64_t
usec_since(const struct timespec *t0)
{
	struct timespec now;
	int64_t us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (int64_t)(now.tv_sec - t0->tv_sec) * 1000000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000;
	return us > 0 ? (uint64_t)us : 0;
}

/* Metrics and the access log for a request answered with rp. */
static void
account(struct MHD_Connection *c, const struct conn *cs, const char *method,
    const char *url, const struct site *s, const struct reply *rp)
{
	uint64_t usec = usec_since(&cs->start);
	const char *ep = rp->endpoint != NULL ? rp->endpoint : "other";

	metrics_request(ep, rp->status, usec);
	if (!alog_enabled())
		return;

	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct alog_entry e = {
		.when = time(NULL),
		.peer = ci != NULL ? ci->client_addr : NULL,
		.method = method,
		.path = url,
		.status = rp->status,
		.bytes = rp->blob != NULL ? rp->blob->len : rp->body.len,
		.usec = usec,
		.endpoint = ep,
		.user_agent = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_USER_AGENT),
	};
	e.email = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "emailaddress");
	if (e.email == NULL)
		e.email = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
		    "Email");
	if (e.email == NULL && rp->email[0] != '\0')
		e.email = rp->email;
	if (s != NULL) {
		e.full_addresses = s->conf->log_full_addresses;
		if (e.peer != NULL && conf_is_trusted(s->conf, e.peer))
			e.forwarded_for = MHD_lookup_connection_value(c,
			    MHD_HEADER_KIND, "X-Forwarded-For");
	}
	alog_write(&e);
}

static enum MHD_Result
count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	unsigned int *n = cls;

	(void)kind;
	(void)value;
	if (ascii_strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		n[0]++;
	else if (ascii_strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		n[1]++;
	return MHD_YES;
}

/* Two Content-Lengths, or one with Transfer-Encoding: where the body ends
 * is anyone's guess, and a proxy in front may guess otherwise (request
 * smuggling). RFC 9112 6.3 lets a server refuse; libmicrohttpd does not. */
static bool
framing_ambiguous(struct MHD_Connection *c)
{
	unsigned int n[2] = { 0, 0 };

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, n);
	return n[0] > 1 || (n[0] > 0 && n[1] > 0);
}

static enum MHD_Result
answer_early(struct MHD_Connection *c, struct conn *cs,
    const char *method, const char *url, unsigned int status,
    const char *text)
{
	struct reply rp = { 0 };
	enum MHD_Result ret;

	reply_text(&rp, status, "%s", text);
	rp.endpoint = "other";
	account(c, cs, method, url, NULL, &rp);
	ret = queue_reply(c, NULL, &rp);
	reply_free(&rp);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	const union MHD_ConnectionInfo *ci;
	struct conn *cs = *req_cls;
	struct request rq;
	struct reply rp = { 0 };
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	if (cs == NULL) {
		/* First call: headers are in. Answering now would make MHD
		 * 0.9.75 close the connection, so only prepare. */
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		cs = ci != NULL ? ci->socket_context : NULL;
		if (cs == NULL)
			return MHD_NO;
		cs->active = true;
		cs->too_large = false;
		cs->body_len = 0;
		cs->discarded = 0;
		clock_gettime(CLOCK_MONOTONIC, &cs->start);
		atomic_store_explicit(&cs->waiting_since, 0,
		    memory_order_relaxed);
		*req_cls = cs;
		atomic_fetch_add(&in_flight, 1);

		const char *cl = MHD_lookup_connection_value(c,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && framing_ambiguous(c))
			return answer_early(c, cs, method, url, 400,
			    "ambiguous request framing");
		if (cl != NULL) {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(cl, &end, 10);
			/* MHD has vetted the syntax; refuse what is too big
			 * before the body is sent (Expect: 100-continue
			 * clients then never send it). */
			if (errno == 0 && n > opts.body_max)
				return answer_early(c, cs, method, url, 413,
				    "request body too large");
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (cs->too_large || cs->body_len + n > opts.body_max) {
			cs->too_large = true;
			cs->discarded += n;
			return cs->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (cs->body == NULL)
			cs->body = xmalloc(opts.body_max + 1);
		memcpy(cs->body + cs->body_len, upload_data, n);
		cs->body_len += n;
		return MHD_YES;
	}
	if (cs->too_large)
		return answer_early(c, cs, method, url, 413,
		    "request body too large");

	memset(&rq, 0, sizeof(rq));
	rq.method = method_of(method);
	rq.method_name = method;
	rq.path = url;
	if (cs->body != NULL) {
		cs->body[cs->body_len] = '\0';
		rq.body = cs->body;
		rq.body_len = cs->body_len;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	rq.peer = ci != NULL ? ci->client_addr : NULL;
	rq.header = mhd_header;
	rq.query = mhd_query;
	rq.ctx = c;

	struct site *s = site_acquire();
	if (s == NULL)
		return answer_early(c, cs, method, url, 503,
		    "no configuration loaded");
	rq.site = s;
	/* Endpoints write into the connection's buffer, grown by earlier
	 * replies: no allocation for most answers. */
	rp.body = cs->out;
	rp.body.len = 0;
	memset(&cs->out, 0, sizeof(cs->out));
	route(&rq, &rp);
	account(c, cs, method, url, s, &rp);
	ret = queue_reply(c, cs, &rp);
	site_release(s);
	reply_free(&rp);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn *cs = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (cs == NULL)
		return;
	cs->active = false;
	*req_cls = NULL;
	atomic_store_explicit(&cs->waiting_since, now_ms(),
	    memory_order_relaxed);
	atomic_fetch_sub(&in_flight, 1);
}

static void
connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct listener *l = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn *cs = xcalloc(1, sizeof(*cs));
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);

		cs->c = c;
		cs->fd = ci != NULL ? ci->connect_fd : -1;
		atomic_init(&cs->waiting_since, cs->fd >= 0 ? now_ms() : 0);
		pthread_mutex_lock(&conns_lock);
		cs->next = conns;
		if (conns != NULL)
			conns->prev = cs;
		conns = cs;
		pthread_mutex_unlock(&conns_lock);
		*socket_context = cs;
		metrics_connections(1);
	} else {
		struct conn *cs = *socket_context;

		if (cs != NULL) {
			pthread_mutex_lock(&conns_lock);
			if (cs->prev != NULL)
				cs->prev->next = cs->next;
			else
				conns = cs->next;
			if (cs->next != NULL)
				cs->next->prev = cs->prev;
			pthread_mutex_unlock(&conns_lock);
			free(cs->body);
			buf_free(&cs->out);
			free(cs);
			metrics_connections(-1);
		}
		*socket_context = NULL;
		atomic_fetch_sub(&l->conns, 1);
	}
}

__attribute__((format(printf, 2, 0)))
static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct buf b = { 0 };

	(void)cls;
	buf_vprintf(&b, fmt, ap);
	while (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	log_debug("libmicrohttpd: %s", b.data);
	buf_free(&b);
}

/* "1.2.3.4:80" or "[::1]:80" for the local address of fd. */
static int
local_text(int fd, char *text, size_t size, unsigned int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		*port = ntohs(s4->sin_port);
		snprintf(text, size, "%s:%u", host, *port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		*port = ntohs(s6->sin6_port);
		snprintf(text, size, "[%s]:%u", host, *port);
	} else
		return -1;
	return 0;
}

int
http_listen(const struct listen_addr *addrs, size_t n)
{
	int one = 1;

	if (n > LISTEN_MAX) {
		log_warnx("at most %d listen addresses", LISTEN_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct listen_addr *a = &addrs[i];
		int family = a->ss.ss_family;
		int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);

		if (fd < 0) {
			log_warn("socket for %s", a->text);
			return -1;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one));
		if (bind(fd, (const struct sockaddr *)&a->ss, a->sslen) < 0) {
			log_warn("cannot listen on %s", a->text);
			close(fd);
			return -1;
		}
		if (listen(fd, 1024) < 0) {
			log_warn("listen on %s", a->text);
			close(fd);
			return -1;
		}
		listeners[nlisteners].fd = fd;
		listeners[nlisteners].placeholder = -1;
		atomic_store(&listeners[nlisteners].conns, 0);
		/* The address bound, not as written: port 0 means one the
		 * kernel picked, and the log says which. */
		if (local_text(fd, listeners[nlisteners].text,
		    sizeof(listeners[nlisteners].text),
		    &listeners[nlisteners].port) < 0) {
			log_warn("listen on %s", a->text);
			close(fd);
			return -1;
		}
		nlisteners++;
	}
	return 0;
}

int
http_adopt(int fd)
{
	int type = 0, listening = 0, fl;
	socklen_t olen = sizeof(type);
	struct listener *l;

	if (nlisteners == LISTEN_MAX) {
		log_warnx("at most %d listening sockets", LISTEN_MAX);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) < 0 ||
	    (olen = sizeof(listening), getsockopt(fd, SOL_SOCKET,
	    SO_ACCEPTCONN, &listening, &olen)) < 0) {
		log_warn("passed descriptor %d", fd);
		return -1;
	}
	l = &listeners[nlisteners];
	if (type != SOCK_STREAM || !listening ||
	    local_text(fd, l->text, sizeof(l->text), &l->port) < 0) {
		log_warnx("passed descriptor %d is not a listening TCP socket "
		    "(ListenStream= in the .socket unit)", fd);
		return -1;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		log_warn("passed descriptor %d", fd);
		return -1;
	}
	nlisteners++;
	l->fd = fd;
	l->placeholder = -1;
	atomic_store(&l->conns, 0);
	return 0;
}

int
http_start(const struct http_opts *o)
{
	opts = *o;
	for (size_t i = 0; i < nlisteners; i++) {
		struct listener *l = &listeners[i];
		unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD |
		    MHD_USE_ITC | MHD_USE_ERROR_LOG;
		struct MHD_OptionItem mo[16];
		size_t n = 0;
		bool tls = false;

		for (size_t k = 0; o->tls != NULL && k < o->tls->nports; k++)
			if (o->tls->ports[k] == l->port)
				tls = true;

#define OPT(o, v, p) mo[n++] = (struct MHD_OptionItem){ (o), (v), (p) }
		/* The logger first, or MHD prints to stderr before it. */
		OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_logger, NULL);
		if ((l->placeholder = placeholder_socket()) < 0) {
			log_warn("socket");
			return -1;
		}
		OPT(MHD_OPTION_LISTEN_SOCKET, l->placeholder, NULL);
		if (o->threads > 1)
			OPT(MHD_OPTION_THREAD_POOL_SIZE, o->threads, NULL);
		OPT(MHD_OPTION_CONNECTION_LIMIT, o->conn_limit, NULL);
		OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->per_ip_limit, NULL);
		OPT(MHD_OPTION_CONNECTION_TIMEOUT, o->timeout, NULL);
		OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)o->header_max,
		    NULL);
		OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, NULL);
		OPT(MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)connection, l);
		if (tls) {
			flags |= MHD_USE_TLS;
			/* Both fields: MHD's option array reads one or the
			 * other depending on the version. */
			OPT(MHD_OPTION_HTTPS_CERT_CALLBACK,
			    (intptr_t)tls_cert_callback(), tls_cert_callback());
			OPT(MHD_OPTION_HTTPS_PRIORITIES, 0,
			    (void *)TLS_PRIORITIES);
		}
		OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
		l->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL,
		    MHD_OPTION_ARRAY, mo, MHD_OPTION_END);
		if (l->d == NULL) {
			log_warnx("cannot start serving on %s", l->text);
			return -1;
		}
		log_info("listening on %s%s", l->text, tls ? " (TLS)" : "");
	}
	acceptor_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	atomic_store(&acceptor_stop, false);
	if (acceptor_wake < 0 ||
	    pthread_create(&acceptor, NULL, accept_loop, NULL) != 0) {
		log_warnx("cannot start the accepting thread");
		return -1;
	}
	acceptor_running = true;
	sweeper_stop = false;
	if (pthread_create(&sweeper, NULL, sweep, NULL) != 0) {
		log_warnx("cannot start the request timeout thread");
		return -1;
	}
	sweeper_running = true;
	return 0;
}

void
http_stop(unsigned int timeout_ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	unsigned int waited = 0;

	if (sweeper_running) {
		pthread_mutex_lock(&conns_lock);
		sweeper_stop = true;
		pthread_cond_signal(&sweeper_cv);
		pthread_mutex_unlock(&conns_lock);
		pthread_join(sweeper, NULL);
		sweeper_running = false;
	}

	/* No new connection from here on; the listening sockets stay as
	 * they are (a passed one goes back to systemd with its queue). */
	if (acceptor_running) {
		uint64_t one = 1;

		atomic_store(&acceptor_stop, true);
		if (write(acceptor_wake, &one, sizeof(one)) < 0)
			log_warn("waking the accepting thread");
		pthread_join(acceptor, NULL);
		acceptor_running = false;
	}
	if (acceptor_wake >= 0)
		close(acceptor_wake);
	acceptor_wake = -1;
	for (size_t i = 0; i < nlisteners; i++) {
		if (listeners[i].fd >= 0)
			close(listeners[i].fd);
		listeners[i].fd = -1;
	}
	while (atomic_load(&in_flight) > 0 && waited < timeout_ms) {
		nanosleep(&ts, NULL);
		waited += 10;
	}
	if (atomic_load(&in_flight) > 0)
		log_warnx("%u requests still in progress at shutdown",
		    atomic_load(&in_flight));
	for (size_t i = 0; i < nlisteners; i++) {
		if (listeners[i].d != NULL)
			MHD_stop_daemon(listeners[i].d);  /* and its placeholder */
		else if (listeners[i].placeholder >= 0)
			close(listeners[i].placeholder);
		listeners[i].d = NULL;
		listeners[i].placeholder = -1;
	}
	nlisteners = 0;
	alog_flush();
}

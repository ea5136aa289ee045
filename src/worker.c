#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "worker.h"

/* Connections accepted per wake-up of a listening socket before the
 * worker turns to the ones it has. */
#define ACCEPT_BATCH 16
/* A worker listens while it holds at most this many connections more
 * than the average, and stops above FAIR_HIGH (hysteresis, so that the
 * epoll set does not change at every connection). */
/* After accept() failed for want of descriptors or memory. */
#define ACCEPT_PAUSE_MS 100
#define FAIR_LOW 2
#define FAIR_HIGH 8
/* The longest a worker waits in epoll_wait: its heartbeat period. */
#define BEAT_MS 1000
/* After a round that moved nothing although libmicrohttpd asked for
 * another at once (see work()). */
#define IDLE_ROUND_MS 5
/* A worker whose loop has not come round for this long is stalled. */
#define STALL_MS 5000

/* Tags of the epoll events: below LISTEN_MAX a listening socket. */
#define TAG_WAKE 100
#define TAG_DAEMON 200

struct listener {
	int fd;
	unsigned int port;
	bool tls;
	char text[80];
	atomic_uint conns;		/* open, over every worker */
};

struct worker {
	unsigned int id;
	pthread_t thread;
	bool started;
	int ep;				/* epoll */
	int wake;			/* eventfd: stop, or a listener has room */
	struct MHD_Daemon *d[2];	/* plain, TLS; NULL if unused */
	atomic_uint nconns;		/* open connections */
	atomic_llong beat;		/* the loop's last round, monotonic ms */
	bool listening[LISTEN_MAX];	/* the socket is in ep */
	bool fair;			/* under its share (hysteresis) */
	bool quiet;			/* has stopped listening for good */
	long long pause_until;		/* no accept before (out of fds) */
	struct listener *adding;	/* the socket of the connection that
					 * MHD_add_connection() is taking */
	struct conn *wait_head, *wait_tail;	/* waiting, oldest first */
	bool idle_round;		/* the last one moved nothing */
	atomic_bool stalled;		/* as the monitor last found it */
};

static struct listener listeners[LISTEN_MAX];
static size_t nlisteners;
static struct worker workers[WORKERS_MAX];
static unsigned int nworkers;
static struct edge_opts opts;
static atomic_uint open_total;
static atomic_int in_flight;
static atomic_uint quiet_workers;	/* that have stopped listening */

enum { RUNNING, DRAINING, STOPPING };
static atomic_int phase;

/* The connection of each descriptor, for edge_received(): written by the
 * connection's worker only, read by that worker's thread. */
static _Atomic(struct conn *) *by_fd;
static size_t by_fd_len;
static _Thread_local struct conn *last_received;
_Thread_local unsigned int edge_round;
_Thread_local bool edge_progress;

static void probe(unsigned int i, struct worker_state *st);

static long long
now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* ---- the per-address limit -------------------------------------------
 * limits.per_ip counts over every worker and socket, so it cannot be
 * libmicrohttpd's (per daemon): one table of addresses, under a lock
 * taken at accept and at close. Linear probing with backward-shift
 * deletion keeps it free of tombstones. */

struct ip_slot {
	uint8_t addr[16];		/* IPv4 as ::ffff:a.b.c.d */
	unsigned int count;		/* 0: empty */
};

static pthread_mutex_t ip_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ip_slot *ip_tab;
static size_t ip_mask;

static void
ip_key(const struct sockaddr *sa, uint8_t key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, 16);
	else if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, 4);
	}
}

static size_t
ip_hash(const uint8_t key[16])
{
	uint64_t a, b;

	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	a ^= b * 0x9e3779b97f4a7c15ULL;
	a ^= a >> 29;
	a *= 0xbf58476d1ce4e5b9ULL;
	return (size_t)(a ^ (a >> 32));
}

/* Takes one connection for the address of sa; false when it has its
 * limit. The table has room for every connection the sockets allow. */
static bool
ip_take(const struct sockaddr *sa)
{
	uint8_t key[16];
	size_t i;
	bool ok = true;

	if (opts.per_ip_limit == 0)
		return true;
	ip_key(sa, key);
	pthread_mutex_lock(&ip_lock);
	for (i = ip_hash(key) & ip_mask; ip_tab[i].count != 0;
	    i = (i + 1) & ip_mask)
		if (memcmp(ip_tab[i].addr, key, 16) == 0)
			break;
	if (ip_tab[i].count >= opts.per_ip_limit)
		ok = false;
	else {
		memcpy(ip_tab[i].addr, key, 16);
		ip_tab[i].count++;
	}
	pthread_mutex_unlock(&ip_lock);
	return ok;
}

static void
ip_give(const struct sockaddr *sa)
{
	uint8_t key[16];
	size_t i, j;

	if (opts.per_ip_limit == 0 || sa == NULL)
		return;
	ip_key(sa, key);
	pthread_mutex_lock(&ip_lock);
	for (i = ip_hash(key) & ip_mask; ip_tab[i].count != 0;
	    i = (i + 1) & ip_mask)
		if (memcmp(ip_tab[i].addr, key, 16) == 0)
			break;
	if (ip_tab[i].count > 1)
		ip_tab[i].count--;
	else if (ip_tab[i].count == 1) {
		/* Empty slot i, then move back any entry of the run after it
		 * that its home would no longer reach. */
		ip_tab[i].count = 0;
		for (j = (i + 1) & ip_mask; ip_tab[j].count != 0;
		    j = (j + 1) & ip_mask) {
			size_t home = ip_hash(ip_tab[j].addr) & ip_mask;

			if (((j - home) & ip_mask) >= ((j - i) & ip_mask)) {
				ip_tab[i] = ip_tab[j];
				ip_tab[j].count = 0;
				i = j;
			}
		}
	}
	pthread_mutex_unlock(&ip_lock);
}

/* ---- listening sockets ----------------------------------------------- */

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

static int
add_listener(int fd, const char *what)
{
	struct listener *l = &listeners[nlisteners];

	/* The address bound, not as written: port 0 means one the kernel
	 * picked, and the log says which. */
	if (local_text(fd, l->text, sizeof(l->text), &l->port) < 0) {
		log_warnx("%s is not a TCP socket", what);
		return -1;
	}
	l->fd = fd;
	l->tls = false;
	atomic_init(&l->conns, 0);
	nlisteners++;
	return 0;
}

int
edge_listen(const struct listen_addr *addrs, size_t n)
{
	int one = 1;

	if (nlisteners + n > LISTEN_MAX) {
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
		if (listen(fd, 1024) < 0 || add_listener(fd, a->text) < 0) {
			log_warn("listen on %s", a->text);
			close(fd);
			return -1;
		}
	}
	return 0;
}

int
edge_adopt(int fd)
{
	int type = 0, listening = 0, fl;
	socklen_t olen = sizeof(type);

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
	if (type != SOCK_STREAM || !listening) {
		log_warnx("passed descriptor %d is not a listening TCP socket "
		    "(ListenStream= in the .socket unit)", fd);
		return -1;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		log_warn("passed descriptor %d", fd);
		return -1;
	}
	return add_listener(fd, "a passed descriptor");
}

/* ---- connections ------------------------------------------------------ */

static unsigned int
fair_share(void)
{
	return nworkers > 1 ? atomic_load_explicit(&open_total,
	    memory_order_relaxed) / nworkers : UINT32_MAX / 2;
}

static void
wake(struct worker *w)
{
	uint64_t one = 1;

	if (write(w->wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("waking worker %u", w->id);
}

void
edge_conn_started(struct worker *w, struct conn *cs)
{
	edge_progress = true;
	cs->w = w;
	cs->l = w->adding;
	if (cs->l == NULL)
		fatalx("a connection that no worker added");
	cs->tls = cs->l->tls;
	atomic_fetch_add_explicit(&w->nconns, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&open_total, 1, memory_order_relaxed);
	if (cs->fd >= 0 && (size_t)cs->fd < by_fd_len)
		atomic_store_explicit(&by_fd[cs->fd], cs,
		    memory_order_relaxed);
	edge_conn_waiting(cs);
	metrics_connections(1);
}

static void
unlink_waiting(struct conn *cs)
{
	struct worker *w = cs->w;

	if (cs->since == 0)
		return;
	if (cs->prev != NULL)
		cs->prev->next = cs->next;
	else
		w->wait_head = cs->next;
	if (cs->next != NULL)
		cs->next->prev = cs->prev;
	else
		w->wait_tail = cs->prev;
	cs->prev = cs->next = NULL;
	cs->since = 0;
}

void
edge_conn_waiting(struct conn *cs)
{
	struct worker *w = cs->w;

	edge_progress = true;
	unlink_waiting(cs);
	cs->since = now_ms();
	cs->prev = w->wait_tail;
	if (w->wait_tail != NULL)
		w->wait_tail->next = cs;
	else
		w->wait_head = cs;
	w->wait_tail = cs;
}

void
edge_conn_busy(struct conn *cs)
{
	edge_progress = true;
	unlink_waiting(cs);
}

void
edge_conn_closed(struct conn *cs)
{
	struct worker *w = cs->w;
	struct listener *l = cs->l;
	const union MHD_ConnectionInfo *ci;

	edge_progress = true;
	unlink_waiting(cs);
	if (last_received == cs)
		last_received = NULL;
	if (cs->fd >= 0 && (size_t)cs->fd < by_fd_len)
		atomic_store_explicit(&by_fd[cs->fd], NULL,
		    memory_order_relaxed);
	ci = MHD_get_connection_info(cs->c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	ip_give(ci != NULL ? ci->client_addr : NULL);
	atomic_fetch_sub_explicit(&w->nconns, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&open_total, 1, memory_order_relaxed);
	/* A full socket that has room again: the workers that stopped
	 * listening to it come back. */
	if (atomic_fetch_sub(&l->conns, 1) == opts.conn_limit)
		for (unsigned int i = 0; i < nworkers; i++)
			if (&workers[i] != w)
				wake(&workers[i]);
	metrics_connections(-1);
}

void
edge_inflight(int delta)
{
	atomic_fetch_add(&in_flight, delta);
}

void
edge_received(int fd, const void *buf, size_t n, bool short_read, bool tls)
{
	struct conn *cs = edge_conn_by_fd(fd);
	char c;

	if (cs == NULL || cs->tls != tls)
		return;
	last_received = cs;
	edge_progress = true;
	guard_feed(&cs->guard, buf, n);
	/* libmicrohttpd takes a short read for an empty socket and waits
	 * for the next epoll edge; a FIN that came with the data makes
	 * none, and a client that sent part of a request and closed would
	 * hold its connection until the idle timeout (a churn of them
	 * fills limits.connections). Only then: a peek shows the end, and
	 * shutting down reading wakes the library to see it. */
	if (short_read && !tls && guard_started(&cs->guard) &&
	    recvfrom(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT, NULL, NULL) == 0)
		shutdown(fd, SHUT_RD);
}

struct conn *
edge_conn_last_received(void)
{
	return last_received;
}

struct conn *
edge_conn_by_fd(int fd)
{
	if (fd < 0 || (size_t)fd >= by_fd_len)
		return NULL;
	return atomic_load_explicit(&by_fd[fd], memory_order_relaxed);
}

/* Over its limit per address: a short answer on plain HTTP, and closed. */
static void
refuse(int fd, struct listener *l, const struct sockaddr *sa)
{
	static const char busy[] =
	    "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 38\r\n"
	    "Connection: close\r\n"
	    "\r\n"
	    "too many connections from one address\n";

	if (!l->tls && send(fd, busy, sizeof(busy) - 1,
	    MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
		http_account_refusal(sa, 503, "per_ip_limit");
	else
		http_account_refusal(sa, 0, "per_ip_limit");
	close(fd);
}

static void
accept_from(struct worker *w, struct listener *l)
{
	static atomic_llong last_warned;

	for (int k = 0; k < ACCEPT_BATCH; k++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd;

		if (atomic_load_explicit(&l->conns, memory_order_relaxed) >=
		    opts.conn_limit || atomic_load_explicit(&phase,
		    memory_order_relaxed) != RUNNING)
			return;
		fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			long long now = now_ms();

			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* Out of descriptors or memory: what waits stays
			 * in the queue, and the worker stops listening for
			 * a moment (the socket stays readable: no spin); a
			 * warning a second at most. */
			metrics_edge_rejection("accept_failed");
			w->pause_until = now + ACCEPT_PAUSE_MS;
			if (now - atomic_load(&last_warned) >= 1000) {
				atomic_store(&last_warned, now);
				log_warn("accept on %s", l->text);
			}
			return;
		}
		if (!ip_take((struct sockaddr *)&ss)) {
			refuse(fd, l, (struct sockaddr *)&ss);
			continue;
		}
		atomic_fetch_add(&l->conns, 1);
		w->adding = l;
		/* MHD closes fd itself when it cannot take it. */
		if (MHD_add_connection(w->d[l->tls], fd, (struct sockaddr *)&ss,
		    len) != MHD_YES) {
			atomic_fetch_sub(&l->conns, 1);
			ip_give((struct sockaddr *)&ss);
			metrics_edge_rejection("accept_failed");
		}
		w->adding = NULL;
	}
}

/* Which listening sockets the worker should be woken for now. */
static void
update_interest(struct worker *w, long long now)
{
	unsigned int mine = atomic_load_explicit(&w->nconns,
	    memory_order_relaxed);
	unsigned int share = fair_share();
	bool run = atomic_load_explicit(&phase, memory_order_relaxed) ==
	    RUNNING;

	w->fair = w->fair ? mine <= share + FAIR_HIGH :
	    mine <= share + FAIR_LOW;
	for (size_t i = 0; i < nlisteners; i++) {
		struct listener *l = &listeners[i];
		bool want = run && w->fair && now >= w->pause_until &&
		    atomic_load_explicit(&l->conns, memory_order_relaxed) <
		    opts.conn_limit;
		struct epoll_event ev = { EPOLLIN | EPOLLEXCLUSIVE,
		    { .u64 = i } };

		if (want == w->listening[i])
			continue;
		if (epoll_ctl(w->ep, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
		    l->fd, &ev) < 0) {
			log_warn("worker %u: epoll_ctl for %s", w->id, l->text);
			continue;
		}
		w->listening[i] = want;
	}
	/* Draining: once no socket is in its set, the worker tells
	 * edge_stop(), which may then close them. */
	if (!run && !w->quiet) {
		for (size_t i = 0; i < nlisteners; i++)
			if (w->listening[i])
				return;
		w->quiet = true;
		atomic_fetch_add(&quiet_workers, 1);
	}
}

/* limits.request_timeout: connections that have waited too long for
 * their request are shut down (libmicrohttpd then closes them). */
static long long
sweep(struct worker *w, long long now)
{
	long long limit = (long long)opts.request_timeout * 1000;

	if (limit == 0)
		return BEAT_MS;
	while (w->wait_head != NULL && now - w->wait_head->since >= limit) {
		struct conn *cs = w->wait_head;

		unlink_waiting(cs);
		http_timed_out(cs);
		shutdown(cs->fd, SHUT_RDWR);
	}
	return w->wait_head != NULL ? w->wait_head->since + limit - now :
	    BEAT_MS;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[64];

	for (;;) {
		long long now = now_ms(), wait;
		bool run[2] = { false, false };
		int n;

		atomic_store_explicit(&w->beat, now, memory_order_relaxed);
		if (atomic_load_explicit(&phase, memory_order_acquire) ==
		    STOPPING)
			break;
		update_interest(w, now);
		wait = sweep(w, now);
		if (now < w->pause_until && w->pause_until - now < wait)
			wait = w->pause_until - now;
		for (int k = 0; k < 2; k++) {
			MHD_UNSIGNED_LONG_LONG t;

			if (w->d[k] == NULL || MHD_get_timeout(w->d[k], &t) !=
			    MHD_YES)
				continue;
			/* libmicrohttpd asks for another round at once while
			 * a connection it keeps as ready to read waits in a
			 * TLS handshake, although its read found nothing:
			 * it would spin until the client's next flight, and
			 * take the CPU from everything else. A round that
			 * moved nothing waits a moment, or for an event
			 * (the client's bytes are one). */
			if (t == 0 && w->idle_round)
				t = IDLE_ROUND_MS;
			if ((long long)t < wait)
				wait = (long long)t;
		}
		if (wait > BEAT_MS)
			wait = BEAT_MS;
		n = epoll_wait(w->ep, ev, (int)ARRAY_LEN(ev), (int)wait);
		if (n < 0) {
			if (errno != EINTR)
				fatal("worker %u: epoll_wait", w->id);
			continue;
		}
		if (n == 0)
			run[0] = run[1] = true;	/* libmicrohttpd's timeouts */
		for (int i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;

			if (tag < LISTEN_MAX) {
				struct listener *l = &listeners[tag];

				accept_from(w, l);
				run[l->tls] = true;
			} else if (tag == TAG_WAKE) {
				uint64_t v;

				if (read(w->wake, &v, sizeof(v)) < 0 &&
				    errno != EAGAIN)
					log_warn("worker %u: wake", w->id);
			} else
				run[tag - TAG_DAEMON] = true;
		}
		edge_round++;
		edge_progress = false;
		for (int k = 0; k < 2; k++)
			if (run[k] && w->d[k] != NULL)
				MHD_run(w->d[k]);
		w->idle_round = !edge_progress;
	}
	/* Closes every connection, in this thread. */
	for (int k = 0; k < 2; k++)
		if (w->d[k] != NULL)
			MHD_stop_daemon(w->d[k]);
	return NULL;
}

void
edge_default_opts(struct edge_opts *o)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->threads = n > 0 ? (unsigned int)n : 1;
	o->conn_limit = 1024;
	o->timeout = 15;
	o->request_timeout = 30;
	o->header_max = 8 * 1024;
	o->body_max = 8 * 1024;
}

static int
worker_init(struct worker *w, unsigned int id, const bool kinds[2])
{
	struct epoll_event ev = { EPOLLIN, { .u64 = TAG_WAKE } };

	memset(w, 0, sizeof(*w));
	w->id = id;
	w->fair = true;
	atomic_init(&w->beat, now_ms());
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	w->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->ep < 0 || w->wake < 0 ||
	    epoll_ctl(w->ep, EPOLL_CTL_ADD, w->wake, &ev) < 0) {
		log_warn("worker %u", id);
		return -1;
	}
	for (int k = 0; k < 2; k++) {
		const union MHD_DaemonInfo *di;

		if (!kinds[k])
			continue;
		w->d[k] = http_daemon(w, k == 1, &opts);
		if (w->d[k] == NULL)
			return -1;
		di = MHD_get_daemon_info(w->d[k], MHD_DAEMON_INFO_EPOLL_FD);
		ev = (struct epoll_event){ EPOLLIN,
		    { .u64 = TAG_DAEMON + (uint64_t)k } };
		if (di == NULL || epoll_ctl(w->ep, EPOLL_CTL_ADD, di->epoll_fd,
		    &ev) < 0) {
			log_warn("worker %u: the event loop of libmicrohttpd",
			    id);
			return -1;
		}
	}
	return 0;
}

int
edge_start(const struct edge_opts *o)
{
	bool kinds[2] = { false, false };
	struct rlimit rl;
	size_t conns;

	opts = *o;
	nworkers = o->threads > 0 ? o->threads : 1;
	if (nworkers > WORKERS_MAX)
		nworkers = WORKERS_MAX;
	for (size_t i = 0; i < nlisteners; i++) {
		struct listener *l = &listeners[i];

		for (size_t k = 0; k < o->ntls_ports; k++)
			if (o->tls_ports[k] == l->port)
				l->tls = true;
		kinds[l->tls] = true;
	}
	by_fd_len = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY ? (size_t)rl.rlim_cur : 65536;
	if (by_fd_len > (1u << 20))
		by_fd_len = 1u << 20;
	by_fd = xcalloc(by_fd_len, sizeof(*by_fd));
	if (o->per_ip_limit > 0) {
		conns = (size_t)o->conn_limit * (nlisteners > 0 ?
		    nlisteners : 1);
		for (ip_mask = 64; ip_mask < 2 * conns; ip_mask *= 2)
			;
		ip_tab = xcalloc(ip_mask, sizeof(*ip_tab));
		ip_mask--;
	}
	atomic_store(&phase, RUNNING);
	for (unsigned int i = 0; i < nworkers; i++)
		if (worker_init(&workers[i], i, kinds) < 0)
			return -1;
	for (unsigned int i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];
		char name[32];

		if (pthread_create(&w->thread, NULL, work, w) != 0) {
			log_warnx("cannot start worker %u", i);
			return -1;
		}
		w->started = true;
		/* Named before "ready", for ps, top and debuggers. */
		snprintf(name, sizeof(name), "worker-%u", i);
		name[15] = '\0';	/* the kernel's limit */
		pthread_setname_np(w->thread, name);
	}
	for (size_t i = 0; i < nlisteners; i++)
		log_info("listening on %s%s", listeners[i].text,
		    listeners[i].tls ? " (TLS)" : "");
	metrics_set_workers(nworkers, probe);
	return 0;
}

static void
probe(unsigned int i, struct worker_state *st)
{
	st->connections = atomic_load_explicit(&workers[i].nconns,
	    memory_order_relaxed);
	st->stalled = atomic_load_explicit(&workers[i].stalled,
	    memory_order_relaxed);
}

unsigned int
edge_check_workers(void)
{
	long long now = now_ms();
	unsigned int stalled = 0;

	for (unsigned int i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];
		long long idle = now - atomic_load_explicit(&w->beat,
		    memory_order_relaxed);
		bool st = w->started && idle >= STALL_MS;

		if (st != atomic_load(&w->stalled)) {
			if (st)
				log_warnx("worker %u has made no progress for "
				    "%lld s", i, idle / 1000);
			else
				log_info("worker %u is making progress again",
				    i);
			atomic_store(&w->stalled, st);
		}
		stalled += st;
	}
	return stalled;
}

/* Waits for the thread of w until the absolute time until. */
static bool
join_by(struct worker *w, const struct timespec *until)
{
	return pthread_timedjoin_np(w->thread, NULL, until) == 0;
}

bool
edge_stop(unsigned int drain_ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 }, until;
	unsigned int waited = 0, started = 0;
	bool all = true;

	/* No new connection from here on. Once every worker has let go of
	 * the listening sockets (a stuck one gets a second), they are
	 * closed: new clients are refused at once, and a socket systemd
	 * passed goes back to it with its queue. */
	atomic_store(&phase, DRAINING);
	for (unsigned int i = 0; i < nworkers; i++)
		if (workers[i].started) {
			started++;
			wake(&workers[i]);
		}
	while (atomic_load(&quiet_workers) < started && waited < 1000) {
		nanosleep(&ts, NULL);
		waited += 10;
	}
	for (size_t i = 0; i < nlisteners; i++)
		close(listeners[i].fd);
	waited = 0;
	while (atomic_load(&in_flight) > 0 && waited < drain_ms) {
		nanosleep(&ts, NULL);
		waited += 10;
	}
	if (atomic_load(&in_flight) > 0)
		log_warnx("%d requests still in progress at shutdown",
		    atomic_load(&in_flight));
	atomic_store(&phase, STOPPING);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	for (unsigned int i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];

		if (!w->started)
			continue;
		wake(w);
		if (!join_by(w, &until)) {
			log_warnx("worker %u did not stop", i);
			all = false;
			continue;
		}
		w->started = false;
	}
	if (!all)
		return false;
	for (unsigned int i = 0; i < nworkers; i++) {
		close(workers[i].ep);
		close(workers[i].wake);
	}
	nlisteners = 0;
	nworkers = 0;
	free(by_fd);
	by_fd = NULL;
	by_fd_len = 0;
	free(ip_tab);
	ip_tab = NULL;
	return true;
}

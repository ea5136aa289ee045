/* Workers: the threads that accept connections and run libmicrohttpd.
 *
 * Each worker is one thread with its own epoll loop and its own
 * libmicrohttpd daemons (one for plain HTTP, one for TLS), run in
 * libmicrohttpd's "external event loop" mode without a listening socket
 * of their own. A worker accepts from the shared listening sockets itself
 * and hands each connection to its own daemon, in its own thread: so
 * libmicrohttpd never takes a connection from another thread, never meets
 * its connection limit (the worker checks the limits before accept), and
 * never touches a listening socket (a socket systemd passed outlives a
 * stop). Every other thread only reads the workers' counters.
 *
 * The listening sockets are in every worker's epoll set with
 * EPOLLEXCLUSIVE: the kernel wakes one idle worker per connection, and a
 * worker that holds clearly more than its share of the open connections
 * stops listening until the others catch up, so the connections spread
 * evenly and a stuck worker does not hold new ones back.
 *
 * Each worker marks its loop with a heartbeat; a worker whose heartbeat
 * stops is reported stalled (log, /metrics, /healthz). */
#ifndef AUTOCONFD_WORKER_H
#define AUTOCONFD_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"
#include "guard.h"
#include "util.h"

struct MHD_Daemon;
struct MHD_Connection;
struct tls_creds;
struct worker;
struct listener;

#define LISTEN_MAX 16
#define WORKERS_MAX 64

/* A worker's view of one client connection; also libmicrohttpd's socket
 * context. Used only by the thread of its worker. */
struct conn {
	struct worker *w;
	struct listener *l;
	struct MHD_Connection *c;
	int fd;
	bool tls;
	/* The request being handled (http.c). */
	uint32_t nreq;			/* requests begun on the connection */
	bool active;			/* the access handler has it */
	bool too_large;
	bool logged;			/* its answer is in the log and metrics */
	/* The request target as received (libmicrohttpd decodes its copy
	 * in place), for the access log: "" when the log is off. */
	struct buf target;
	char *body;			/* allocated on the first POST */
	size_t body_len;
	size_t discarded;
	/* The buffer of the connection's dynamic replies: its response
	 * refers to it (MHD_RESPMEM_PERSISTENT) until sent, and the next
	 * request on the connection comes only after that. */
	struct buf out;
	struct timespec start;		/* headers in */
	struct guard guard;
	struct tls_creds *creds;	/* held while the session may use them */
	/* An error answer libmicrohttpd gave on its own (its log says so),
	 * not accounted yet. */
	unsigned int mhd_status;
	/* TLS: what was read from the socket ahead of GnuTLS (tls.c). */
	struct {
		unsigned char *data;
		uint16_t off, len;
		bool drained;		/* the socket was empty ... */
		unsigned int epoch;	/* ... in this round of the worker */
	} rx;
	/* limits.request_timeout: when the connection began to wait for a
	 * request (monotonic ms), 0 while one is being answered; conns
	 * waiting are on the worker's list, oldest first. */
	long long since;
	struct conn *prev, *next;
};

struct edge_opts {
	unsigned int threads;		/* workers; 0: one per CPU */
	unsigned int conn_limit;	/* per listening socket */
	unsigned int per_ip_limit;	/* 0: none */
	unsigned int timeout;		/* seconds a connection may idle */
	unsigned int request_timeout;	/* seconds to receive a request */
	size_t header_max;		/* bytes for the request line and headers */
	size_t body_max;		/* bytes of request body accepted */
	const uint16_t *tls_ports;	/* sockets on these ports speak TLS */
	size_t ntls_ports;
};

void edge_default_opts(struct edge_opts *o);

/* Binds and listens on every address. Returns 0, or -1 after logging. */
int edge_listen(const struct listen_addr *addrs, size_t n);
/* Adds a listening TCP socket passed by the service manager. */
int edge_adopt(int fd);
/* Starts the workers on the listening sockets. 0, or -1 after logging. */
int edge_start(const struct edge_opts *o);
/* Stops accepting, waits up to drain_ms for requests in progress, then
 * closes every connection and ends the workers, waiting at most about a
 * second for each. Returns false when a worker did not end: the process
 * must then exit without freeing what that worker may still use. */
bool edge_stop(unsigned int drain_ms);

/* For http.c, in the worker's thread. */
void edge_conn_started(struct worker *w, struct conn *cs);
void edge_conn_closed(struct conn *cs);
/* The connection now waits for a request / has received one. */
void edge_conn_waiting(struct conn *cs);
void edge_conn_busy(struct conn *cs);
/* Requests being handled (for the drain at stop). */
void edge_inflight(int delta);

/* The bytes libmicrohttpd received on fd (plaintext: decrypted for TLS),
 * from the daemon's recv() and gnutls_record_recv() (tap.c); short_read:
 * fewer than asked for. */
void edge_received(int fd, const void *buf, size_t n, bool short_read,
    bool tls);

/* The round of this worker's loop: each runs libmicrohttpd once over what
 * epoll reported. Bytes that arrive after a read in one round are
 * reported again in a later one. */
extern _Thread_local unsigned int edge_round;
/* Set when a round moves something: bytes in or out, a request, a new or
 * closed connection. See work() in worker.c. */
extern _Thread_local bool edge_progress;

/* The connection of a descriptor (in its worker's thread), or NULL. */
struct conn *edge_conn_by_fd(int fd);
/* The connection this thread received bytes on last: the one
 * libmicrohttpd is working on when it logs an error (NULL: none). */
struct conn *edge_conn_last_received(void);

/* The monitor, from the main thread about once a second: finds workers
 * whose loop has stalled. Returns how many are stalled now. */
unsigned int edge_check_workers(void);

#endif

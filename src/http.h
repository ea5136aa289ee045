/* The libmicrohttpd glue: the daemons of a worker, the request state of a
 * connection, and the bridge between libmicrohttpd and the MHD-free
 * request/reply of the endpoints. Every function runs in the thread of
 * the worker that owns the daemon or connection. */
#ifndef AUTOCONFD_HTTP_H
#define AUTOCONFD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define HTTP_BODY_MAX (8 * 1024)

struct conn;
struct edge_opts;
struct worker;

/* A daemon for worker w (plain HTTP, or TLS), run by the worker's own
 * event loop; NULL after logging why it could not be made. */
struct MHD_Daemon *http_daemon(struct worker *w, bool tls,
    const struct edge_opts *o);

/* A connection refused before any request (limits.per_ip): status is
 * the answer sent (503), or 0 when none could be. Logged and counted. */
void http_account_refusal(const struct sockaddr *peer, unsigned int status,
    const char *reason);
/* A connection whose request did not arrive within
 * limits.request_timeout; logged (as 408) if a request had begun. */
void http_timed_out(struct conn *cs);

#endif

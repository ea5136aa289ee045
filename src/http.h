/* libmicrohttpd set-up, request state, limits, and the bridge between MHD
 * and the MHD-free request/reply of the endpoints. */
#ifndef AUTOCONFD_HTTP_H
#define AUTOCONFD_HTTP_H

#include <stddef.h>

#include "conf.h"

#define HTTP_BODY_MAX (8 * 1024)

struct http_opts {
	unsigned int threads;		/* per listening socket; 0: one per CPU */
	unsigned int conn_limit;	/* per listening socket */
	unsigned int per_ip_limit;	/* 0: none */
	unsigned int timeout;		/* seconds a connection may idle */
	unsigned int request_timeout;	/* seconds for a request's headers */
	size_t header_max;		/* bytes for the request line and headers */
	size_t body_max;		/* bytes of request body accepted */
	const struct tls_conf *tls;	/* TLS on its ports; NULL: none */
};

void http_default_opts(struct http_opts *o);

/* Binds and listens on every address. Returns 0, or -1 after logging. */
int http_listen(const struct listen_addr *addrs, size_t n);
/* Adds a listening TCP socket passed by the service manager. Returns 0,
 * or -1 after logging why it cannot be served. */
int http_adopt(int fd);
/* Starts serving on the sockets opened by http_listen(). */
int http_start(const struct http_opts *o);
/* Stops accepting, waits up to timeout_ms for requests in progress to be
 * answered, then closes every connection. */
void http_stop(unsigned int timeout_ms);

#endif

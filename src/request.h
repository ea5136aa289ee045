/* The request and reply as endpoint handlers see them. http.c fills a
 * request from libmicrohttpd and turns the reply into a response; the fuzz
 * harness and unit tests fill them directly. Handlers never see MHD. */
#ifndef AUTOCONFD_REQUEST_H
#define AUTOCONFD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "util.h"

struct site;
struct blob;

enum method { M_GET = 1, M_HEAD = 2, M_POST = 4, M_OTHER = 8 };

struct request {
	enum method method;
	const char *method_name;
	const char *path;		/* decoded, without the query */
	const char *body;		/* POST body, or NULL */
	size_t body_len;
	bool body_too_large;		/* more than the cap was sent */
	const struct sockaddr *peer;
	const struct site *site;
	/* Header and query lookups; names are case-insensitive. */
	const char *(*header)(const struct request *rq, const char *name);
	const char *(*query)(const struct request *rq, const char *name);
	void *ctx;			/* for header() and query() */
};

#define REPLY_HEADERS_MAX 4

struct reply {
	unsigned int status;
	const struct blob *blob;	/* pre-rendered body, or NULL */
	const char *ctype;		/* for body */
	struct buf body;		/* dynamic body */
	struct { const char *name; char *value; } headers[REPLY_HEADERS_MAX];
	size_t nheaders;
	const char *endpoint;		/* metrics/log label, static */
	/* The address a request named outside the query (POST body, path),
	 * once valid, for the access log; "" if none. */
	char email[256];
};

const char *request_header(const struct request *rq, const char *name);
const char *request_query(const struct request *rq, const char *name);

/* Adds a header (value copied). */
void reply_header(struct reply *rp, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A short text/plain answer: "<reason>\n". */
void reply_text(struct reply *rp, unsigned int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void reply_blob(struct reply *rp, unsigned int status, const struct blob *b);
/* Notes the (valid) address the request named, for the access log. */
void reply_email(struct reply *rp, const char *addr);
void reply_free(struct reply *rp);

/* The router: finds the endpoint for rq and fills rp. */
void route(const struct request *rq, struct reply *rp);

#endif

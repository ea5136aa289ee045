/* The request and reply as endpoint handlers see them. http.c fills a
 * request from libmicrohttpd and turns the reply into a response; the fuzz
 * harness and unit tests fill them directly. Handlers never see MHD. */
#ifndef AUTOCONFD_REQUEST_H
#define AUTOCONFD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "client.h"
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

/* How a mail client's request ended: the outcome label of
 * autoconfd_client_requests_total (CONTRACT names, see outcome_name()).
 * Endpoints set it where the status does not say it (Autodiscover's error
 * documents come with 200; a 404 may be an unknown domain or a missing
 * route); left unset, it follows the status (reply_outcome()). */
enum outcome {
	OUTCOME_UNSET,
	OUTCOME_ANSWERED,	/* the client got its answer */
	OUTCOME_UNKNOWN_DOMAIN,	/* no provider serves the domain */
	OUTCOME_BAD_ADDRESS,	/* the address named is not valid */
	OUTCOME_MISSING_ADDRESS, /* no address, where one is needed */
	OUTCOME_NOT_FOUND,	/* no such route, method or document */
	OUTCOME_COUNT
};

struct reply {
	unsigned int status;
	const struct blob *blob;	/* pre-rendered body, or NULL */
	const char *ctype;		/* for body */
	struct buf body;		/* dynamic body */
	struct { const char *name; char *value; } headers[REPLY_HEADERS_MAX];
	size_t nheaders;
	const char *endpoint;		/* metrics/log label, static */
	/* For the client metrics and the access log: */
	enum client client;		/* set by route() */
	enum outcome outcome;
	bool activesync;		/* ActiveSync settings were asked for */
	const char *provider;		/* the id of the provider that answered
					 * (the config's: valid while the site
					 * is held), or NULL */
	/* The domain a request without an address was for (from its Host),
	 * for the access log; "" if none. */
	char domain[256];
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
/* Notes the domain a request without an address was for (from its
 * Host), for the access log. */
void reply_domain(struct reply *rp, const char *domain);
void reply_free(struct reply *rp);
/* rp's outcome: as set, else from its status (2xx and 3xx answered,
 * 4xx not found); OUTCOME_UNSET (not counted) for a server error. */
enum outcome reply_outcome(const struct reply *rp);
/* "answered", ...; NULL for OUTCOME_UNSET. */
const char *outcome_name(enum outcome o);

/* The router: finds the endpoint for rq and fills rp. */
void route(const struct request *rq, struct reply *rp);

#endif

/* The request framing guard: a strict reader of HTTP/1.1 message framing
 * (RFC 9112 sections 2-7) that runs over every byte a connection receives,
 * beside libmicrohttpd's own parser.
 *
 * libmicrohttpd is lenient where request smuggling lives, and differently
 * so in each release (0.9.75 joins obs-fold lines silently and keeps a
 * header name written with a space before its colon; both releases take
 * the first of two Host headers and ignore a Transfer-Encoding other than
 * chunked). The guard follows the message boundaries itself and records
 * the first request whose head is not strictly well-formed; the access
 * handler refuses that request (and closes the connection) before any of
 * its body is read. A request whose framing both parsers agree on is left
 * to libmicrohttpd.
 *
 * Pure: no I/O, no allocation, no globals; unit-tested and fuzzed. */
#ifndef AUTOCONFD_GUARD_H
#define AUTOCONFD_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest Transfer-Encoding value the guard reads (longer: refused). */
#define GUARD_TE_MAX 64

struct guard {
	uint8_t state;
	uint8_t http10;			/* the request is HTTP/1.0 */
	uint8_t hdr;			/* the header being read: enum in guard.c */
	uint8_t nhost, ncl, nte;	/* headers seen in this head */
	uint8_t empty_lines;		/* before the request line */
	uint8_t pct;			/* %00 in the path: 1 '%', 2 '%0', 3 query */
	uint8_t name_len;
	char name[20];			/* lowercased start of the field name */
	uint8_t te_len;
	char te[GUARD_TE_MAX];		/* the Transfer-Encoding value */
	uint8_t cl_state;		/* 0 none, 1 digits, 2 OWS after, 3 bad */
	uint8_t cl_digits;
	uint64_t cl;			/* Content-Length */
	uint64_t body_left;		/* bytes of body still to skip */
	uint32_t request;		/* index of the request being read */
	/* The verdict: status 0 while everything is well-formed. Once set it
	 * stays, and the guard reads nothing more. */
	uint32_t bad_request;		/* index of the refused request */
	uint16_t status;		/* 400, or 501 for a transfer coding */
	const char *reason;		/* static text for the log */
	/* A request whose body is chunked: the guard stops following the
	 * stream there, and the connection is closed after its answer. */
	bool chunked;
	uint32_t chunked_request;
};

void guard_init(struct guard *g);

/* Reads n more bytes of the connection. Returns false once the verdict is
 * a refusal (g->status, g->reason, g->bad_request). */
bool guard_feed(struct guard *g, const unsigned char *p, size_t n);

/* True while part of a request has come and its head is not complete. */
bool guard_started(const struct guard *g);

/* What the guard says of request number i (0 = the connection's first):
 * 0 if it may be answered, else the status to refuse it with. Requests
 * after a refused one are refused too. */
static inline unsigned int
guard_verdict(const struct guard *g, uint32_t i, const char **reason)
{
	if (g->status != 0 && i >= g->bad_request) {
		*reason = g->reason;
		return g->status;
	}
	return 0;
}

/* True when request i is the chunked one after which the guard stopped:
 * its answer must close the connection. */
static inline bool
guard_must_close(const struct guard *g, uint32_t i)
{
	return g->chunked && i >= g->chunked_request;
}

#endif

/* HTTP(S) requests for "autoconfd probe", through libcurl: many at once,
 * each connected to an address the probe chose (its own DNS answers, or
 * --connect-to), certificates verified as clients verify them. Redirects
 * are not followed here: the probe decides, per client, whether to. */
#ifndef AUTOCONFD_FETCH_H
#define AUTOCONFD_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "answers.h"
#include "util.h"

#define FETCH_CERTS_MAX 8
#define FETCH_PARALLEL 6	/* requests under way at once */

struct fetch {
	/* The request. */
	char url[ANS_URL];
	bool post;			/* POST body as text/xml, else GET */
	const char *body;
	char connect_to[1024];		/* curl's HOST:PORT:ADDR:PORT, or "" */
	bool certs_only;		/* only the TLS handshake: the chain */
	/* What came back. */
	bool done;
	int curl_code;			/* CURLE_OK when an answer came */
	char error[256];		/* libcurl's words when it failed */
	long status;			/* HTTP status */
	char ctype[128];		/* Content-Type, "" if none */
	char location[ANS_URL];		/* Location of a redirect */
	struct buf body_out;		/* at most ANSWER_MAX bytes */
	bool too_big;
	bool cert_failed;		/* the certificate was refused */
	char *certs[FETCH_CERTS_MAX];	/* certs_only: PEM, leaf first */
	size_t ncerts;
};

struct fetch_opts {
	const char *ca_file;		/* NULL: the system's trust store */
	long timeout_ms;		/* per request */
	const char *user_agent;
};

/* Performs the n requests at once; returns when all are done. -1 if
 * libcurl cannot start. */
int fetch_all(struct fetch **f, size_t n, const struct fetch_opts *o);
void fetch_free(struct fetch *f);

#endif

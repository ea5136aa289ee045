#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "accesslog.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "site.h"
#include "tls.h"
#include "worker.h"

/* Past this much discarded body the client is not worth a reply. */
#define DISCARD_MAX (1024 * 1024)
/* A connection keeps its reply buffer for the next reply up to this
 * size; a bigger one (a long /metrics) goes back to the heap. */
#define OUT_KEEP_MAX (64 * 1024)

static size_t body_max = HTTP_BODY_MAX;

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

static struct conn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
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

static const struct sockaddr *
peer_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return ci != NULL ? ci->client_addr : NULL;
}

/* The log and the metrics for an answer; every answer passes here once. */
static void
account(struct conn *cs, const char *method, const struct site *s,
    const struct reply *rp, const char *email)
{
	struct MHD_Connection *c = cs->c;
	uint64_t usec = cs->active ? usec_since(&cs->start) : 0;
	const char *ep = rp->endpoint != NULL ? rp->endpoint : "other";

	cs->logged = true;
	metrics_request(ep, rp->status, usec);
	metrics_client(rp->client, reply_outcome(rp));
	if (!alog_enabled())
		return;

	struct alog_entry e = {
		.when = time(NULL),
		.peer = peer_of(c),
		.method = method,
		.path = cs->target.len > 0 ? cs->target.data : NULL,
		.status = rp->status,
		.bytes = rp->blob != NULL ? rp->blob->len : rp->body.len,
		.usec = usec,
		.endpoint = ep,
		.user_agent = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_USER_AGENT),
		.email = email != NULL && email[0] != '\0' ? email : NULL,
		.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_HOST),
		.client = client_name(rp->client),
		.provider = rp->provider,
		.domain = rp->domain[0] != '\0' ? rp->domain : NULL,
	};
	if (s != NULL) {
		e.full_addresses = s->conf->log_full_addresses;
		if (e.peer != NULL && conf_is_trusted(s->conf, e.peer))
			e.forwarded_for = MHD_lookup_connection_value(c,
			    MHD_HEADER_KIND, "X-Forwarded-For");
	}
	alog_write(&e);
}

/* An answer given before routing: refused at the edge, or too large.
 * With close, the rest of the request is never read: the connection
 * ends with the answer. */
static enum MHD_Result
answer_early(struct conn *cs, const char *method, unsigned int status,
    const char *text, const char *reason, bool close)
{
	struct reply rp = { 0 };
	enum MHD_Result ret;

	reply_text(&rp, status, "%s", text);
	rp.endpoint = "edge";
	if (close || guard_must_close(&cs->guard, cs->nreq - 1))
		reply_header(&rp, "Connection", "close");
	edge_conn_busy(cs);
	metrics_edge_rejection(reason);
	account(cs, method, NULL, &rp, NULL);
	ret = queue_reply(cs->c, NULL, &rp);
	reply_free(&rp);
	return ret;
}

/* The first call for a request: its head is in, its body is not. */
static enum MHD_Result
request_begins(struct MHD_Connection *c, struct conn *cs, const char *method,
    void **req_cls)
{
	const char *cl, *why;
	uint32_t i = cs->nreq++;
	unsigned int st;

	cs->active = true;
	cs->too_large = false;
	cs->body_len = 0;
	cs->discarded = 0;
	clock_gettime(CLOCK_MONOTONIC, &cs->start);
	*req_cls = cs;
	edge_inflight(1);

	if ((st = guard_verdict(&cs->guard, i, &why)) != 0)
		return answer_early(cs, method, st, why, "framing", true);
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(cl, &end, 10);
		/* The guard has vetted the syntax; refuse what is too big
		 * before the body is sent (Expect: 100-continue clients
		 * then never send it). */
		if (errno == 0 && n > body_max)
			return answer_early(cs, method, 413,
			    "request body too large", "body_too_large", true);
	}
	return MHD_YES;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct conn *cs = *req_cls;
	struct request rq;
	struct reply rp = { 0 };
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	if (cs == NULL) {
		/* Answering on this first call would make libmicrohttpd
		 * 0.9.75 close the connection: only prepare. */
		if ((cs = conn_of(c)) == NULL)
			return MHD_NO;
		return request_begins(c, cs, method, req_cls);
	}
	if (*upload_data_size != 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (cs->too_large || cs->body_len + n > body_max) {
			cs->too_large = true;
			cs->discarded += n;
			return cs->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (cs->body == NULL)
			cs->body = xmalloc(body_max + 1);
		memcpy(cs->body + cs->body_len, upload_data, n);
		cs->body_len += n;
		return MHD_YES;
	}
	if (cs->too_large)
		return answer_early(cs, method, 413, "request body too large",
		    "body_too_large", false);
	/* The whole request is in: limits.request_timeout stops here. */
	edge_conn_busy(cs);

	memset(&rq, 0, sizeof(rq));
	rq.method = method_of(method);
	rq.method_name = method;
	rq.path = url;
	if (cs->body != NULL) {
		cs->body[cs->body_len] = '\0';
		rq.body = cs->body;
		rq.body_len = cs->body_len;
	}
	rq.peer = peer_of(c);
	rq.header = mhd_header;
	rq.query = mhd_query;
	rq.ctx = c;

	struct site *s = site_acquire();
	if (s == NULL)
		return answer_early(cs, method, 503, "no configuration loaded",
		    "no_config", false);
	rq.site = s;
	/* Endpoints write into the connection's buffer, grown by earlier
	 * replies: no allocation for most answers. */
	rp.body = cs->out;
	rp.body.len = 0;
	memset(&cs->out, 0, sizeof(cs->out));
	route(&rq, &rp);
	/* A chunked body ends what the guard can follow: the connection
	 * ends with this answer. */
	if (guard_must_close(&cs->guard, cs->nreq - 1))
		reply_header(&rp, "Connection", "close");
	account(cs, method, s, &rp, rp.email);
	ret = queue_reply(c, cs, &rp);
	site_release(s);
	reply_free(&rp);
	return ret;
}

/* The edge reason of an answer libmicrohttpd gave itself. */
static const char *
mhd_reason(unsigned int status)
{
	switch (status) {
	case 400:
		return "malformed";
	case 413:
		return "body_too_large";
	case 414:
		return "uri_too_long";
	case 431:
		return "headers_too_large";
	case 505:
		return "version";
	default:
		return "other";
	}
}

/* An answer libmicrohttpd gave without asking the access handler (a
 * request it could not parse or hold): logged and counted as well.
 * status: what it queued, else what its log said (before a request line
 * it could read, there is no other trace). */
static void
account_mhd(struct conn *cs, bool queued)
{
	const union MHD_ConnectionInfo *ci = queued ?
	    MHD_get_connection_info(cs->c, MHD_CONNECTION_INFO_HTTP_STATUS) :
	    NULL;
	struct reply rp = { 0 };

	rp.status = ci != NULL && ci->http_status != 0 ? ci->http_status :
	    cs->mhd_status;
	cs->mhd_status = 0;
	if (rp.status == 0)
		return;
	rp.endpoint = "edge";
	metrics_edge_rejection(mhd_reason(rp.status));
	account(cs, NULL, NULL, &rp, NULL);
}

static void
completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn *cs = conn_of(c);

	(void)cls;
	(void)toe;
	if (cs == NULL)
		return;
	if (!cs->logged)
		account_mhd(cs, true);
	/* Accounted; the next answer comes after the next request line. */
	cs->logged = true;
	cs->mhd_status = 0;
	cs->target.len = 0;
	if (*req_cls != NULL) {
		cs->active = false;
		*req_cls = NULL;
		edge_inflight(-1);
	}
	edge_conn_waiting(cs);
}

/* The request line is in: a new request, and its target as received
 * (the access log masks it; the handler gets it decoded). The return
 * value would become the request's context: none yet. */
static void *
uri_logged(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct conn *cs = conn_of(c);

	(void)cls;
	if (cs != NULL) {
		cs->target.len = 0;
		if (alog_enabled()) {
			buf_add(&cs->target, uri, strcspn(uri, "?"));
		}
		cs->logged = false;
	}
	return NULL;
}

static void
connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct worker *w = cls;
	struct conn *cs;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);

		cs = xcalloc(1, sizeof(*cs));
		cs->c = c;
		cs->fd = ci != NULL ? ci->connect_fd : -1;
		guard_init(&cs->guard);
		*socket_context = cs;
		edge_conn_started(w, cs);
		if (cs->tls) {
			ci = MHD_get_connection_info(c,
			    MHD_CONNECTION_INFO_GNUTLS_SESSION);
			if (ci != NULL)
				tls_session_setup(ci->tls_session);
		}
		return;
	}
	if ((cs = *socket_context) == NULL)
		return;
	/* An answer libmicrohttpd gave before a request line it could read
	 * has no completion notice. */
	account_mhd(cs, false);
	if (cs->active) {
		cs->active = false;
		edge_inflight(-1);
	}
	edge_conn_closed(cs);
	tls_creds_release(cs->creds);
	free(cs->body);
	free(cs->rx.data);
	buf_free(&cs->out);
	buf_free(&cs->target);
	free(cs);
	*socket_context = NULL;
}

/* libmicrohttpd's messages, at debug level. One of them is the only trace
 * of an error answer it gives before the request line is read (0.9.75
 * and 1.0 word it alike); it comes while the library works on the
 * connection this worker last received bytes on. */
__attribute__((format(printf, 2, 0)))
static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	static const char error[] = "Error processing request (HTTP response "
	    "code is %u";
	struct buf b = { 0 };

	(void)cls;
	if (strncmp(fmt, error, sizeof(error) - 1) == 0) {
		struct conn *cs = edge_conn_last_received();
		va_list copy;

		va_copy(copy, ap);
		if (cs != NULL)
			cs->mhd_status = va_arg(copy, unsigned int);
		va_end(copy);
	}
	buf_vprintf(&b, fmt, ap);
	while (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	log_debug("libmicrohttpd: %s", b.data);
	buf_free(&b);
}

struct MHD_Daemon *
http_daemon(struct worker *w, bool tls, const struct edge_opts *o)
{
	/* libmicrohttpd's event loop is the worker's (MHD_run), and the
	 * worker accepts: no thread, no listening socket of its own. */
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET |
	    MHD_USE_ERROR_LOG;
	struct MHD_OptionItem mo[16];
	struct MHD_Daemon *d;
	size_t n = 0;

#if MHD_VERSION >= 0x00097707
	/* Only the worker's thread calls it. */
	flags |= MHD_USE_NO_THREAD_SAFETY;
#endif
	body_max = o->body_max;
#define OPT(o, v, p) mo[n++] = (struct MHD_OptionItem){ (o), (v), (p) }
	/* The logger first, or MHD prints to stderr before it. */
	OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_logger, NULL);
	/* The worker keeps to limits.connections per socket before it
	 * accepts; libmicrohttpd's own limit must never be the one met
	 * (0.9.75 leaves a lock held when it is). */
	OPT(MHD_OPTION_CONNECTION_LIMIT, (intptr_t)(LISTEN_MAX *
	    (size_t)o->conn_limit + 64), NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, o->timeout, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)o->header_max,
	    NULL);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, NULL);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)connection, w);
	OPT(MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_logged, NULL);
#if MHD_VERSION >= 0x00097701
	/* "More strict, within the RFCs": bare CR and LF, obs-fold and white
	 * space before a colon are refused by libmicrohttpd itself too. */
	OPT(MHD_OPTION_CLIENT_DISCIPLINE_LVL, 1, NULL);
#endif
	/* 0.9.75's STRICT_FOR_CLIENT would add only Host and the target's
	 * white space, which the guard refuses first (at 1 its missing-Host
	 * answer is sent with its status line twice). */
	if (tls) {
		flags |= MHD_USE_TLS;
		/* Both fields: MHD's option array reads one or the other
		 * depending on the version. */
		OPT(MHD_OPTION_HTTPS_CERT_CALLBACK,
		    (intptr_t)tls_cert_callback(), tls_cert_callback());
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL,
	    MHD_OPTION_ARRAY, mo, MHD_OPTION_END);
	if (d == NULL)
		log_warnx("cannot start libmicrohttpd%s", tls ? " (TLS)" : "");
	return d;
}

void
http_account_refusal(const struct sockaddr *peer, unsigned int status,
    const char *reason)
{
	metrics_edge_rejection(reason);
	if (status == 0)
		return;
	metrics_request("edge", status, 0);
	if (alog_enabled()) {
		struct alog_entry e = {
			.when = time(NULL),
			.peer = peer,
			.status = status,
			.endpoint = "edge",
		};

		alog_write(&e);
	}
}

void
http_timed_out(struct conn *cs)
{
	struct reply rp = { 0 };

	metrics_request_timeout();
	metrics_edge_rejection("request_timeout");
	/* Logged when part of a request had come: an idle keep-alive
	 * connection is only closed. */
	if (!cs->active && !guard_started(&cs->guard))
		return;
	rp.status = 408;
	rp.endpoint = "edge";
	account(cs, NULL, NULL, &rp, NULL);
}

#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <stdlib.h>

#include "request.h"
#include "site.h"

const char *
request_header(const struct request *rq, const char *name)
{
	return rq->header != NULL ? rq->header(rq, name) : NULL;
}

const char *
request_query(const struct request *rq, const char *name)
{
	return rq->query != NULL ? rq->query(rq, name) : NULL;
}

void
reply_header(struct reply *rp, const char *name, const char *fmt, ...)
{
	struct buf b = { 0 };
	va_list ap;

	if (rp->nheaders >= REPLY_HEADERS_MAX)
		return;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	rp->headers[rp->nheaders].name = name;
	rp->headers[rp->nheaders].value = buf_steal(&b);
	rp->nheaders++;
}

void
reply_text(struct reply *rp, unsigned int status, const char *fmt, ...)
{
	va_list ap;

	rp->status = status;
	rp->blob = NULL;
	rp->ctype = "text/plain; charset=utf-8";
	rp->body.len = 0;
	va_start(ap, fmt);
	buf_vprintf(&rp->body, fmt, ap);
	va_end(ap);
	buf_putc(&rp->body, '\n');
}

void
reply_blob(struct reply *rp, unsigned int status, const struct blob *b)
{
	if (b->resp == NULL) {
		/* It could not be rendered; the log says why. */
		reply_text(rp, 500, "cannot render the document");
		return;
	}
	rp->status = status;
	rp->blob = b;
}

void
reply_free(struct reply *rp)
{
	buf_free(&rp->body);
	for (size_t i = 0; i < rp->nheaders; i++)
		free(rp->headers[i].value);
	rp->nheaders = 0;
}

enum outcome
reply_outcome(const struct reply *rp)
{
	if (rp->outcome != OUTCOME_UNSET)
		return rp->outcome;
	if (rp->status >= 200 && rp->status < 400)
		return OUTCOME_ANSWERED;
	if (rp->status >= 400 && rp->status < 500)
		return OUTCOME_NOT_FOUND;
	return OUTCOME_UNSET;
}

const char *
outcome_name(enum outcome o)
{
	static const char *const names[OUTCOME_COUNT] = {
		[OUTCOME_ANSWERED] = "answered",
		[OUTCOME_UNKNOWN_DOMAIN] = "unknown_domain",
		[OUTCOME_BAD_ADDRESS] = "bad_address",
		[OUTCOME_MISSING_ADDRESS] = "missing_address",
		[OUTCOME_NOT_FOUND] = "not_found",
	};

	return (unsigned int)o < OUTCOME_COUNT ? names[o] : NULL;
}

/* s into a fixed field, cut to fit. */
static void
note(char *field, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		n = size - 1;
	memcpy(field, s, n);
	field[n] = '\0';
}

void
reply_email(struct reply *rp, const char *addr)
{
	note(rp->email, sizeof(rp->email), addr);
}

void
reply_domain(struct reply *rp, const char *domain)
{
	note(rp->domain, sizeof(rp->domain), domain);
}

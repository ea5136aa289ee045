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

void
reply_email(struct reply *rp, const char *addr)
{
	size_t n = strlen(addr);

	if (n >= sizeof(rp->email))
		n = sizeof(rp->email) - 1;
	memcpy(rp->email, addr, n);
	rp->email[n] = '\0';
}

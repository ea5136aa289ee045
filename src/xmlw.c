#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"
#include "xmlw.h"

#define X(s) ((const xmlChar *)(s))
#define CHECK(w, call) do { if (!(w)->failed && (call) < 0) (w)->failed = 1; } while (0)

static void
xmlw_init(struct xmlw *w)
{
	w->failed = 0;
	w->buf = xmlBufferCreate();
	if (w->buf == NULL)
		fatalx("out of memory");
	w->w = xmlNewTextWriterMemory(w->buf, 0);
	if (w->w == NULL)
		fatalx("out of memory");
	CHECK(w, xmlTextWriterSetIndent(w->w, 1));
	CHECK(w, xmlTextWriterSetIndentString(w->w, X("  ")));
	CHECK(w, xmlTextWriterStartDocument(w->w, "1.0", "UTF-8", NULL));
}

void
xmlw_open(struct xmlw *w)
{
	xmlw_init(w);
}

void
xmlw_open_doctype(struct xmlw *w, const char *name, const char *pubid,
    const char *sysid)
{
	xmlw_init(w);
	/* Indenting would split the DOCTYPE over three lines. */
	CHECK(w, xmlTextWriterSetIndent(w->w, 0));
	CHECK(w, xmlTextWriterWriteDTD(w->w, X(name), X(pubid), X(sysid), NULL));
	CHECK(w, xmlTextWriterWriteRaw(w->w, X("\n")));
	CHECK(w, xmlTextWriterSetIndent(w->w, 1));
}

void
xmlw_start(struct xmlw *w, const char *name)
{
	CHECK(w, xmlTextWriterStartElement(w->w, X(name)));
}

void
xmlw_start_ns(struct xmlw *w, const char *name, const char *ns)
{
	CHECK(w, xmlTextWriterStartElement(w->w, X(name)));
	CHECK(w, xmlTextWriterWriteAttribute(w->w, X("xmlns"), X(ns)));
}

void
xmlw_attr(struct xmlw *w, const char *name, const char *value)
{
	CHECK(w, xmlTextWriterWriteAttribute(w->w, X(name), X(value)));
}

void
xmlw_text(struct xmlw *w, const char *text)
{
	CHECK(w, xmlTextWriterWriteString(w->w, X(text)));
}

void
xmlw_printf(struct xmlw *w, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	xmlw_text(w, tmp);
}

void
xmlw_text_elem(struct xmlw *w, const char *name, const char *text)
{
	CHECK(w, xmlTextWriterWriteElement(w->w, X(name), X(text)));
}

void
xmlw_uint_elem(struct xmlw *w, const char *name, unsigned int v)
{
	char tmp[16];

	snprintf(tmp, sizeof(tmp), "%u", v);
	xmlw_text_elem(w, name, tmp);
}

void
xmlw_end(struct xmlw *w)
{
	CHECK(w, xmlTextWriterEndElement(w->w));
}

size_t
xmlw_offset(struct xmlw *w)
{
	CHECK(w, xmlTextWriterWriteString(w->w, X("")));
	CHECK(w, xmlTextWriterFlush(w->w));
	return (size_t)xmlBufferLength(w->buf);
}

int
xmlw_close(struct xmlw *w, struct buf *out)
{
	CHECK(w, xmlTextWriterEndDocument(w->w));
	xmlFreeTextWriter(w->w);	/* flushes into w->buf */
	if (!w->failed)
		buf_add(out, xmlBufferContent(w->buf),
		    (size_t)xmlBufferLength(w->buf));
	xmlBufferFree(w->buf);
	return w->failed ? -1 : 0;
}

/* A thin layer over libxml2's xmlTextWriter: every text and attribute it
 * writes is escaped by libxml2, and errors are collected in one flag so the
 * renderers read top to bottom without a check after each call. */
#ifndef AUTOCONFD_XMLW_H
#define AUTOCONFD_XMLW_H

#include <libxml/xmlwriter.h>

#include "util.h"

struct xmlw {
	xmlBufferPtr buf;
	xmlTextWriterPtr w;
	int failed;
};

void xmlw_open(struct xmlw *w);			/* with XML declaration */
void xmlw_open_doctype(struct xmlw *w, const char *name, const char *pubid,
    const char *sysid);
void xmlw_start(struct xmlw *w, const char *name);
void xmlw_start_ns(struct xmlw *w, const char *name, const char *ns);
void xmlw_attr(struct xmlw *w, const char *name, const char *value);
void xmlw_text(struct xmlw *w, const char *text);
void xmlw_printf(struct xmlw *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void xmlw_text_elem(struct xmlw *w, const char *name, const char *text);
void xmlw_uint_elem(struct xmlw *w, const char *name, unsigned int v);
void xmlw_end(struct xmlw *w);
/* Closes a pending start tag and returns how many bytes the document has so
 * far: where the next text goes (for struct splice holes). */
size_t xmlw_offset(struct xmlw *w);
/* Ends the document, appends it to out, frees the writer. */
int xmlw_close(struct xmlw *w, struct buf *out);

#endif

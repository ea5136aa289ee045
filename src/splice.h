/* A document rendered once per provider with holes for per-user text. The
 * bytes between the holes were rendered and escaped at load time; filling
 * the holes escapes the values as they are copied in, into one allocation.
 * No parse tree is built per request. */
#ifndef AUTOCONFD_SPLICE_H
#define AUTOCONFD_SPLICE_H

#include <stddef.h>

#include "util.h"

enum hole { HOLE_ADDRESS, HOLE_LOCALPART, HOLE_DOMAIN, HOLE_COUNT };

struct splice {
	char *data;			/* NULL: no such document */
	size_t len;
	struct splice_hole { size_t off; enum hole what; } *holes;
	size_t nholes;
};

/* The text of each hole, not yet escaped. */
struct splice_values {
	const char *s[HOLE_COUNT];
	size_t len[HOLE_COUNT];
};

/* Records a hole at byte offset off (offsets must not decrease). */
void splice_add_hole(struct splice *sp, size_t off, enum hole what);
/* Appends the document to out with every hole filled with its value,
 * XML-escaped. */
void splice_fill(const struct splice *sp, const struct splice_values *v,
    struct buf *out);
void splice_free(struct splice *sp);

#endif

/* A document rendered once per provider with holes for per-user text. The
 * bytes between the holes were rendered and escaped at load time; filling
 * the holes escapes the values as they are copied in, into one allocation.
 * No parse tree is built per request. */
#ifndef AUTOCONFD_SPLICE_H
#define AUTOCONFD_SPLICE_H

#include <stddef.h>

#include "util.h"

enum hole {
	HOLE_ADDRESS, HOLE_LOCALPART, HOLE_DOMAIN,
	/* Apple profiles: the per-user payload UUIDs. */
	HOLE_UUID_PROFILE, HOLE_UUID_MAIL, HOLE_UUID_CALDAV, HOLE_UUID_CARDDAV,
	HOLE_COUNT
};

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

/* Makes sp from text (malloc'd, NUL-terminated, taken over) rendered for
 * a stand-in user: every place one of the stand-in's values appears
 * becomes a hole for that value (the longest match first, so an address
 * is one hole, not a local part and a domain). */
void splice_find(struct splice *sp, char *text, size_t len,
    const struct splice_values *stand_in);

#endif

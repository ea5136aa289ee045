/* A document rendered once per provider with holes for per-user text. The
 * bytes between the holes were rendered and escaped at load time; filling
 * the holes escapes the values as they are copied in, into one allocation.
 * No parse tree is built per request. */
#ifndef AUTOCONFD_SPLICE_H
#define AUTOCONFD_SPLICE_H

#include <stdbool.h>
#include <stddef.h>

#include "digest.h"
#include "email.h"
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
	bool raw;			/* plain text: fill in unescaped */
};

/* The text of each hole, not yet escaped. */
struct splice_values {
	const char *s[HOLE_COUNT];
	size_t len[HOLE_COUNT];
};

/* Records a hole at byte offset off (offsets must not decrease). */
void splice_add_hole(struct splice *sp, size_t off, enum hole what);
/* Appends the document to out with every hole filled with its value,
 * XML-escaped (verbatim if sp->raw). */
void splice_fill(const struct splice *sp, const struct splice_values *v,
    struct buf *out);
void splice_free(struct splice *sp);

/* Makes sp from text (malloc'd, NUL-terminated, taken over) rendered for
 * a stand-in user: every place one of the stand-in's values appears
 * becomes a hole for that value (the longest match first, so an address
 * is one hole, not a local part and a domain). */
void splice_find(struct splice *sp, char *text, size_t len,
    const struct splice_values *stand_in);

/* The address, local part and domain of em (the other values unset). */
void splice_address_values(const struct email *em, struct splice_values *v);

/* A stand-in user for splice_build(): the renderer sets v to the values
 * it derives from em (uuid is room for UUIDs' text). */
struct splice_user {
	struct email em;
	char uuid[4][UUID_STR_LEN + 1];
	struct splice_values v;
};

/* Renders a document for two stand-in users, makes sp of the first
 * (splice_find) and checks that the second, filled in, comes out as
 * rendered byte for byte; if not, the document depends on the user in a
 * way the holes do not cover, and sp is left empty (data NULL: the caller
 * renders per request). -1 if rendering failed. */
int splice_build(struct splice *sp, int (*render)(const void *arg,
    struct splice_user *u, struct buf *out), const void *arg, bool raw);

#endif

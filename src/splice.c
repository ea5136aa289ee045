#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "splice.h"

void
splice_add_hole(struct splice *sp, size_t off, enum hole what)
{
	sp->holes = xrealloc(sp->holes, (sp->nholes + 1) * sizeof(*sp->holes));
	sp->holes[sp->nholes].off = off;
	sp->holes[sp->nholes].what = what;
	sp->nholes++;
}

/* The length of s once buf_xml_escape() has escaped it. */
static size_t
escaped_len(const char *s, size_t len)
{
	size_t n = len;

	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '<': case '>': n += 3; break;
		case '&': n += 4; break;
		case '"': case '\'': n += 5; break;
		default: break;
		}
	}
	return n;
}

void
splice_fill(const struct splice *sp, const struct splice_values *v,
    struct buf *out)
{
	size_t esc[HOLE_COUNT], total = sp->len, at = 0;

	for (size_t h = 0; h < HOLE_COUNT; h++)
		esc[h] = escaped_len(v->s[h], v->len[h]);
	for (size_t i = 0; i < sp->nholes; i++)
		total += esc[sp->holes[i].what];
	buf_reserve(out, total);
	for (size_t i = 0; i < sp->nholes; i++) {
		const struct splice_hole *h = &sp->holes[i];

		buf_add(out, sp->data + at, h->off - at);
		buf_xml_escape(out, v->s[h->what], v->len[h->what]);
		at = h->off;
	}
	buf_add(out, sp->data + at, sp->len - at);
}

void
splice_free(struct splice *sp)
{
	free(sp->data);
	free(sp->holes);
	memset(sp, 0, sizeof(*sp));
}

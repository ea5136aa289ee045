#include "config.h"

#include <stdio.h>
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
	/* Per value, once: its escaped length, and whether it has anything
	 * to escape at all (most do not: then holes are plain copies). */
	size_t esc[HOLE_COUNT], total = sp->len, at = 0;
	bool known[HOLE_COUNT] = { false };

	for (size_t i = 0; i < sp->nholes; i++) {
		enum hole w = sp->holes[i].what;

		/* Only the values of the holes there are: others may be
		 * unset. */
		if (!known[w]) {
			esc[w] = sp->raw ? v->len[w] :
			    escaped_len(v->s[w], v->len[w]);
			known[w] = true;
		}
		total += esc[w];
	}
	/* Room for all of it once; then plain copies. */
	buf_reserve(out, total);
	for (size_t i = 0; i < sp->nholes; i++) {
		const struct splice_hole *h = &sp->holes[i];
		enum hole w = h->what;

		memcpy(out->data + out->len, sp->data + at, h->off - at);
		out->len += h->off - at;
		if (esc[w] == v->len[w]) {
			memcpy(out->data + out->len, v->s[w], v->len[w]);
			out->len += v->len[w];
		} else
			buf_xml_escape(out, v->s[w], v->len[w]);
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

void
splice_find(struct splice *sp, char *text, size_t len,
    const struct splice_values *stand_in)
{
	size_t in = 0, out = 0;

	memset(sp, 0, sizeof(*sp));
	/* The holes are cut out in place: out never passes in. */
	while (in < len) {
		int best = -1;

		for (int h = 0; h < HOLE_COUNT; h++) {
			size_t n = stand_in->len[h];

			if (stand_in->s[h] == NULL || n == 0 || n > len - in ||
			    memcmp(text + in, stand_in->s[h], n) != 0)
				continue;
			if (best < 0 || n > stand_in->len[best])
				best = h;
		}
		if (best >= 0) {
			splice_add_hole(sp, out, (enum hole)best);
			in += stand_in->len[best];
			continue;
		}
		text[out++] = text[in++];
	}
	text[out] = '\0';
	sp->data = text;
	sp->len = out;
}

void
splice_address_values(const struct email *em, struct splice_values *v)
{
	memset(v, 0, sizeof(*v));
	v->s[HOLE_ADDRESS] = em->addr;
	v->len[HOLE_ADDRESS] = strlen(em->addr);
	v->s[HOLE_LOCALPART] = em->addr;
	v->len[HOLE_LOCALPART] = em->local_len;
	v->s[HOLE_DOMAIN] = em->domain;
	v->len[HOLE_DOMAIN] = strlen(em->domain);
}

static void
stand_in(struct email *em, const char *local, const char *domain)
{
	snprintf(em->addr, sizeof(em->addr), "%s@%s", local, domain);
	em->local_len = strlen(local);
	em->domain = em->addr + em->local_len + 1;
}

int
splice_build(struct splice *sp, int (*render)(const void *arg,
    struct splice_user *u, struct buf *out), const void *arg, bool raw)
{
	struct splice_user u[2];
	struct buf doc[2] = { { 0 }, { 0 } }, check = { 0 };
	size_t len;

	memset(sp, 0, sizeof(*sp));
	/* Two users no configured text can contain, of other lengths. */
	stand_in(&u[0].em, "zqxlocalzqx", "zqxdomainzqx.invalid");
	stand_in(&u[1].em, "yjwlocal9yjw", "yjwdomain99yjw.invalid");
	for (int i = 0; i < 2; i++) {
		if (render(arg, &u[i], &doc[i]) < 0) {
			buf_free(&doc[0]);
			buf_free(&doc[1]);
			return -1;
		}
	}
	len = doc[0].len;
	splice_find(sp, buf_steal(&doc[0]), len, &u[0].v);
	sp->raw = raw;
	splice_fill(sp, &u[1].v, &check);
	if (check.len != doc[1].len || (check.len > 0 &&
	    memcmp(check.data, doc[1].data, check.len) != 0))
		splice_free(sp);
	buf_free(&check);
	buf_free(&doc[1]);
	return 0;
}

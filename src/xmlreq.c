/* The Autodiscover request reader: a strict, non-validating XML 1.0
 * reader for the one document shape it needs, written for that job
 * instead of a general parser. It builds no tree, allocates nothing for a
 * UTF-8 body (Latin-1 is transcoded once), knows no DTD (a document with
 * one is refused at its "<!DOCTYPE") and so no entity but the five
 * predefined ones and character references: nothing is ever loaded or
 * expanded. What it accepts is well-formed XML with well-formed
 * namespaces; tests/fuzz/fuzz_xmlreq holds it to libxml2's verdict. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xmlreq.h"

#define ATTRS_MAX 32		/* attributes of one element */
#define BINDINGS_MAX 32		/* namespace declarations in scope */
#define URIS_MAX 4096		/* bytes of their namespace names */

#define NS_XML "http://www.w3.org/XML/1998/namespace"
#define NS_XMLNS "http://www.w3.org/2000/xmlns/"

#define MALFORMED "not well-formed XML"

/* The texts a request carries, in Autodiscover/Request/<field>. */
enum field { F_EMAIL, F_LEGACYDN, F_SCHEMA, F_COUNT, F_NONE = -1 };

static const struct {
	const char *name;
	const char *repeated;	/* the refusal when it comes twice */
} fields[F_COUNT] = {
	{ "EMailAddress", "more than one EMailAddress" },
	{ "LegacyDN", "more than one LegacyDN" },
	{ "AcceptableResponseSchema", "more than one AcceptableResponseSchema" },
};

/* Namespaces the elements of a request may be in. */
enum ns { NS_NONE, NS_OUTLOOK, NS_MOBILESYNC, NS_FOREIGN };

enum enc { ENC_UTF8, ENC_ASCII, ENC_LATIN1 };

/* A qualified name in the document; plen is 0 without a prefix. */
struct qname {
	const char *s;
	size_t len, plen;
};

struct binding {
	const char *prefix;	/* in the document; NULL: the default */
	size_t plen;
	const char *uri;	/* in rd.uris; "" undeclares the default */
	size_t ulen;
	int depth;		/* of the element that declares it */
};

struct rd {
	const char *p, *end;
	const char *why;	/* first reason to refuse; static text */
	int depth;		/* of the innermost open element */
	struct qname open[XMLREQ_DEPTH_MAX];
	struct binding b[BINDINGS_MAX];
	size_t nb;
	char uris[URIS_MAX];
	size_t uris_len;
	/* What the request says. */
	int skip;		/* depth of an ignored subtree, 0: none */
	enum ns root_ns;
	bool request_seen;
	enum field cur;		/* field whose text is being collected */
	struct {
		char text[XMLREQ_ADDR_MAX + 1];
		size_t len;
		bool seen;
	} f[F_COUNT];
};

static bool
refuse(struct rd *r, const char *why)
{
	if (r->why == NULL)
		r->why = why;
	return false;
}

static bool
bad(struct rd *r)
{
	return refuse(r, MALFORMED);
}

/* ---- what the request says ----------------------------------------- */

static enum ns
ns_of(const char *uri, size_t len)
{
	static const char outlook[] = AD_NS_OUTLOOK_REQUEST;
	static const char eas[] = AD_NS_MOBILESYNC_REQUEST;

	if (len == 0)
		return NS_NONE;
	if (len == sizeof(outlook) - 1 && memcmp(uri, outlook, len) == 0)
		return NS_OUTLOOK;
	if (len == sizeof(eas) - 1 && memcmp(uri, eas, len) == 0)
		return NS_MOBILESYNC;
	return NS_FOREIGN;
}

/* Element names are matched without regard to ASCII case: clients that
 * write "EmailAddress" are not worth failing. */
static bool
name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && (memcmp(name, want, len) == 0 ||
	    ascii_strncasecmp(name, want, len) == 0);
}

/* An element opens (r->depth is its depth). */
static bool
element_start(struct rd *r, const char *local, size_t len, enum ns ns)
{
	if (r->skip != 0)
		return true;
	if (r->cur != F_NONE)
		return refuse(r, "element inside a text field");
	if (r->depth == 1) {
		if (!name_is(local, len, "Autodiscover") || ns == NS_FOREIGN)
			return refuse(r, "not an Autodiscover request");
		r->root_ns = ns;
		return true;
	}
	/* Extensions in other namespaces are ignored with their subtree. */
	if (ns != r->root_ns && ns != NS_NONE) {
		r->skip = r->depth;
		return true;
	}
	if (r->depth == 2 && name_is(local, len, "Request")) {
		if (r->request_seen)
			return refuse(r, "more than one Request");
		r->request_seen = true;
		return true;
	}
	if (r->depth == 3) {
		for (int i = 0; i < F_COUNT; i++) {
			if (!name_is(local, len, fields[i].name))
				continue;
			if (r->f[i].seen)
				return refuse(r, fields[i].repeated);
			r->f[i].seen = true;
			r->cur = (enum field)i;
			return true;
		}
	}
	r->skip = r->depth;
	return true;
}

/* The innermost element closes. */
static void
element_end(struct rd *r)
{
	if (r->skip == r->depth)
		r->skip = 0;
	else if (r->skip == 0 && r->depth == 3)
		r->cur = F_NONE;
	while (r->nb > 0 && r->b[r->nb - 1].depth == r->depth) {
		r->nb--;
		r->uris_len -= r->b[r->nb].ulen;
	}
	r->depth--;
}

/* Character data, after line-end normalisation and references. */
static bool
text(struct rd *r, const char *s, size_t n)
{
	if (r->skip != 0 || r->cur == F_NONE || n == 0)
		return true;
	if (r->f[r->cur].len + n > XMLREQ_ADDR_MAX)
		return refuse(r, "field text too long");
	memcpy(r->f[r->cur].text + r->f[r->cur].len, s, n);
	r->f[r->cur].len += n;
	return true;
}

/* Text as it stands in the document: CR LF and lone CR become LF. */
static bool
raw_text(struct rd *r, const char *s, size_t n)
{
	const char *cr;

	while ((cr = memchr(s, '\r', n)) != NULL) {
		size_t k = (size_t)(cr - s);

		if (!text(r, s, k) || !text(r, "\n", 1))
			return false;
		k++;
		if (k < n && s[k] == '\n')
			k++;
		s += k;
		n -= k;
	}
	return text(r, s, n);
}

/* ---- characters ---------------------------------------------------- */

static size_t
utf8_put(char *out, long c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* XML 1.0's Char production. */
static bool
is_char(long c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
	    (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/* Every byte of the document makes a Char: checked once, up front, so
 * that the reader below can go by bytes. Eight bytes at a time while
 * they are all printable ASCII (0x20-0x7f, no byte with its top bit set
 * nor one that borrows when 0x20 is taken away). */
static bool
valid_chars(const char *s, size_t n, bool ascii)
{
	const unsigned char *u = (const unsigned char *)s;
	const uint64_t lo = 0x2020202020202020ull, hi = 0x8080808080808080ull;
	size_t i = 0, len;

	while (i < n) {
		uint64_t w;

		if (n - i >= 8 && (memcpy(&w, u + i, 8), ((w - lo) | w) & hi) == 0) {
			i += 8;
			continue;
		}
		if (u[i] >= 0x20 && u[i] < 0x80) {
			i++;
			continue;
		}
		if (ascii && u[i] >= 0x80)
			return false;
		long c = utf8_decode(u + i, n - i, &len);
		if (c < 0 || !is_char(c))
			return false;
		i += len;
	}
	return true;
}

static bool
name_start(long c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c == ':' || (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) ||
	    (c >= 0xf8 && c <= 0x2ff) || (c >= 0x370 && c <= 0x37d) ||
	    (c >= 0x37f && c <= 0x1fff) || (c >= 0x200c && c <= 0x200d) ||
	    (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef) ||
	    (c >= 0x3001 && c <= 0xd7ff) || (c >= 0xf900 && c <= 0xfdcf) ||
	    (c >= 0xfdf0 && c <= 0xfffd) || (c >= 0x10000 && c <= 0xeffff);
}

static bool
name_char(long c)
{
	return name_start(c) || c == '-' || c == '.' ||
	    (c >= '0' && c <= '9') || c == 0xb7 || (c >= 0x300 && c <= 0x36f) ||
	    (c >= 0x203f && c <= 0x2040);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- lexical pieces ------------------------------------------------ */

static size_t
spaces(struct rd *r)
{
	const char *s = r->p;

	while (r->p < r->end && is_space(*r->p))
		r->p++;
	return (size_t)(r->p - s);
}

/* Skips the n bytes of s if the document goes on with them. */
static bool
lit(struct rd *r, const char *s, size_t n)
{
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, s, n) != 0)
		return false;
	r->p += n;
	return true;
}

#define LIT(r, s) lit((r), (s), sizeof(s) - 1)

static bool
at(const struct rd *r, const char *s, size_t n)
{
	return (size_t)(r->end - r->p) >= n && memcmp(r->p, s, n) == 0;
}

#define AT(r, s) at((r), (s), sizeof(s) - 1)

static bool
ascii_name_char(unsigned char c, bool first)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' ||
	    c == ':' || (!first && ((c >= '0' && c <= '9') || c == '-' ||
	    c == '.'));
}

/* A Name: its length, 0 if there is none; *colons counts its colons. */
static size_t
name(struct rd *r, size_t *colons)
{
	const char *p = r->p, *start = p, *end = r->end;
	size_t len, n = 0;
	long c;

	while (p < end) {
		unsigned char b = (unsigned char)*p;

		if (b < 0x80) {
			if (!ascii_name_char(b, p == start))
				break;
			n += b == ':';
			p++;
			continue;
		}
		c = utf8_decode((const unsigned char *)p, (size_t)(end - p),
		    &len);
		if (c < 0 || !(p == start ? name_start(c) : name_char(c)))
			break;
		p += len;
	}
	r->p = p;
	*colons = n;
	return (size_t)(p - start);
}

/* A QName: a Name with at most one colon, inside. */
static bool
qname(struct rd *r, struct qname *q)
{
	const char *colon;
	size_t len, colons;

	q->s = r->p;
	q->len = name(r, &colons);
	q->plen = 0;
	if (q->len == 0)
		return bad(r);
	if (colons == 0)
		return true;
	colon = memchr(q->s, ':', q->len);
	q->plen = (size_t)(colon - q->s);
	if (colons > 1 || q->plen == 0 || q->plen + 1 == q->len ||
	    !name_start(utf8_decode((const unsigned char *)colon + 1,
	    q->len - q->plen - 1, &len)))
		return bad(r);
	return true;
}

/* A reference after its '&': its character into out (UTF-8); the
 * length, 0 if it is not one of the five entities XML predefines or a
 * character reference to a Char. */
static size_t
reference(struct rd *r, char out[4])
{
	static const struct {
		const char *name;
		size_t len;
		char c;
	} pre[] = {
		{ "lt;", 3, '<' }, { "gt;", 3, '>' }, { "amp;", 4, '&' },
		{ "apos;", 5, '\'' }, { "quot;", 5, '"' },
	};
	long c = 0;
	int base = 10, digits = 0;

	if (!LIT(r, "#")) {
		for (size_t i = 0; i < ARRAY_LEN(pre); i++) {
			if (lit(r, pre[i].name, pre[i].len)) {
				out[0] = pre[i].c;
				return 1;
			}
		}
		return 0;
	}
	if (LIT(r, "x"))
		base = 16;
	for (; r->p < r->end && *r->p != ';'; r->p++, digits++) {
		char h = *r->p;
		int v;

		if (h >= '0' && h <= '9')
			v = h - '0';
		else if (base == 16 && h >= 'a' && h <= 'f')
			v = h - 'a' + 10;
		else if (base == 16 && h >= 'A' && h <= 'F')
			v = h - 'A' + 10;
		else
			return 0;
		if (c <= 0x10ffff)
			c = c * base + v;
	}
	if (digits == 0 || !LIT(r, ";") || !is_char(c))
		return 0;
	return utf8_put(out, c);
}

/* A quoted attribute value. With dec, its normalised value (references
 * replaced, white space as spaces) goes there, up to cap bytes; *dlen is
 * its full length. */
static bool
att_value(struct rd *r, char *dec, size_t cap, size_t *dlen)
{
	size_t n = 0;
	char q, ch[4];

	if (r->p >= r->end || (*r->p != '"' && *r->p != '\''))
		return bad(r);
	q = *r->p++;
	while (r->p < r->end && *r->p != q) {
		const char *s = r->p, *p = s, *end = r->end;
		size_t k;

		if (*p == '<')
			return bad(r);
		if (*p == '&') {
			r->p++;
			if ((k = reference(r, ch)) == 0)
				return bad(r);
			s = ch;
		} else if (*p != ' ' && is_space(*p)) {
			if (p[0] == '\r' && p + 1 < end && p[1] == '\n')
				p++;
			r->p = p + 1;
			s = " ";
			k = 1;
		} else {
			while (p < end && *p != q && *p != '<' && *p != '&' &&
			    (*p == ' ' || !is_space(*p)))
				p++;
			r->p = p;
			k = (size_t)(p - s);
		}
		if (dec != NULL && n + k <= cap)
			memcpy(dec + n, s, k);
		n += k;
	}
	if (r->p >= r->end)
		return bad(r);
	r->p++;
	*dlen = n;
	return true;
}

/* ---- namespaces ---------------------------------------------------- */

static bool
is_xmlns(const struct qname *a)
{
	return (a->plen == 0 && a->len == 5 && memcmp(a->s, "xmlns", 5) == 0) ||
	    (a->plen == 5 && memcmp(a->s, "xmlns", 5) == 0);
}

static bool
same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

#define SAME(a, alen, s) same((a), (alen), (s), sizeof(s) - 1)

/* Binds what the xmlns attribute a declares, its value (ulen bytes) at
 * the end of r->uris. */
static bool
declare(struct rd *r, const struct qname *a, size_t ulen, int depth)
{
	const char *uri = r->uris + r->uris_len;
	const char *prefix = a->plen != 0 ? a->s + a->plen + 1 : NULL;
	size_t plen = a->plen != 0 ? a->len - a->plen - 1 : 0;

	if (ulen > URIS_MAX - r->uris_len || r->nb == BINDINGS_MAX)
		return refuse(r, "too many namespace declarations");
	if (prefix != NULL && SAME(prefix, plen, "xml"))
		return SAME(uri, ulen, NS_XML) || bad(r);
	if ((prefix != NULL && (ulen == 0 || SAME(prefix, plen, "xmlns"))) ||
	    SAME(uri, ulen, NS_XML) || SAME(uri, ulen, NS_XMLNS))
		return bad(r);
	r->b[r->nb++] = (struct binding){ prefix, plen, uri, ulen, depth };
	r->uris_len += ulen;
	return true;
}

/* The namespace name of a prefix (NULL: the default namespace); false
 * if the prefix is not bound. */
static bool
resolve(const struct rd *r, const char *prefix, size_t plen,
    const char **uri, size_t *ulen)
{
	if (prefix != NULL && SAME(prefix, plen, "xml")) {
		*uri = NS_XML;
		*ulen = sizeof(NS_XML) - 1;
		return true;
	}
	for (size_t i = r->nb; i-- > 0;) {
		const struct binding *b = &r->b[i];

		if ((prefix == NULL) != (b->prefix == NULL) ||
		    (prefix != NULL && !same(prefix, plen, b->prefix, b->plen)))
			continue;
		*uri = b->uri;
		*ulen = b->ulen;
		return true;
	}
	*uri = "";
	*ulen = 0;
	return prefix == NULL;
}

/* No two attributes with one name, as written or once their prefixes
 * are resolved. */
static bool
attributes_unique(struct rd *r, const struct qname *at, size_t n)
{
	const char *uri[ATTRS_MAX];
	size_t ulen[ATTRS_MAX];

	for (size_t i = 0; i < n; i++) {
		uri[i] = NULL;
		ulen[i] = 0;
		if (at[i].plen != 0 && !is_xmlns(&at[i]) &&
		    !resolve(r, at[i].s, at[i].plen, &uri[i], &ulen[i]))
			return bad(r);
		for (size_t j = 0; j < i; j++) {
			if (same(at[i].s, at[i].len, at[j].s, at[j].len))
				return bad(r);
			if (uri[i] == NULL || uri[j] == NULL ||
			    !same(uri[i], ulen[i], uri[j], ulen[j]))
				continue;
			if (same(at[i].s + at[i].plen, at[i].len - at[i].plen,
			    at[j].s + at[j].plen, at[j].len - at[j].plen))
				return bad(r);
		}
	}
	return true;
}

/* ---- markup -------------------------------------------------------- */

/* A start tag after its '<'; *empty if it closes itself. */
static bool
start_tag(struct rd *r, bool *empty)
{
	struct qname el, at[ATTRS_MAX];
	size_t nat = 0, ulen;
	const char *uri;
	int depth = r->depth + 1;

	if (!qname(r, &el))
		return false;
	if (depth > XMLREQ_DEPTH_MAX)
		return refuse(r, "elements nested too deeply");
	for (;;) {
		size_t sp = spaces(r), vlen;
		struct qname a;

		if (LIT(r, ">")) {
			*empty = false;
			break;
		}
		if (LIT(r, "/>")) {
			*empty = true;
			break;
		}
		if (sp == 0 || !qname(r, &a))
			return bad(r);
		spaces(r);
		if (!LIT(r, "="))
			return bad(r);
		spaces(r);
		if (nat == ATTRS_MAX)
			return refuse(r, "too many attributes");
		at[nat++] = a;
		if (!is_xmlns(&a)) {
			if (!att_value(r, NULL, 0, &vlen))
				return false;
		} else if (!att_value(r, r->uris + r->uris_len,
		    URIS_MAX - r->uris_len, &vlen) ||
		    !declare(r, &a, vlen, depth))
			return false;
	}
	if (!attributes_unique(r, at, nat))
		return false;
	if (el.plen != 0 && SAME(el.s, el.plen, "xmlns"))
		return bad(r);
	if (!resolve(r, el.plen != 0 ? el.s : NULL, el.plen, &uri, &ulen))
		return bad(r);
	r->depth = depth;
	r->open[depth - 1] = el;
	if (el.plen != 0) {
		el.s += el.plen + 1;
		el.len -= el.plen + 1;
	}
	if (!element_start(r, el.s, el.len, ns_of(uri, ulen)))
		return false;
	if (*empty)
		element_end(r);
	return true;
}

/* An end tag after its "</". */
static bool
end_tag(struct rd *r)
{
	const struct qname *o = &r->open[r->depth - 1];
	struct qname q;

	if (!qname(r, &q))
		return false;
	if (!same(q.s, q.len, o->s, o->len))
		return bad(r);
	spaces(r);
	if (!LIT(r, ">"))
		return bad(r);
	element_end(r);
	return true;
}

/* Skips past the first "until" (n bytes); false if there is none. */
static bool
skip_past(struct rd *r, const char *until, size_t n, const char **found)
{
	const char *e = memmem(r->p, (size_t)(r->end - r->p), until, n);

	if (e == NULL)
		return false;
	*found = e;
	r->p = e + n;
	return true;
}

/* A comment after its "<!--": no "--" inside. */
static bool
comment(struct rd *r)
{
	const char *e;

	if (!skip_past(r, "--", 2, &e) || !LIT(r, ">"))
		return bad(r);
	return true;
}

/* A processing instruction after its "<?". The XML declaration is read
 * apart; its name is reserved anywhere else, and namespaces forbid a
 * colon in the target. */
static bool
pi(struct rd *r)
{
	const char *target = r->p, *e;
	size_t colons, len = name(r, &colons);

	if (len == 0 || colons > 0 ||
	    (len == 3 && ascii_strncasecmp(target, "xml", 3) == 0))
		return bad(r);
	if (LIT(r, "?>"))
		return true;
	if (spaces(r) == 0 || !skip_past(r, "?>", 2, &e))
		return bad(r);
	return true;
}

static bool
cdata(struct rd *r)
{
	const char *s = r->p, *e;

	if (!skip_past(r, "]]>", 3, &e))
		return bad(r);
	return raw_text(r, s, (size_t)(e - s));
}

/* Character data up to the next markup or reference; "]]>" is not. */
static bool
char_data(struct rd *r)
{
	const char *p = r->p, *s = p, *end = r->end;

	for (; p < end && *p != '<' && *p != '&'; p++) {
		if (*p == ']' && end - p >= 3 && p[1] == ']' && p[2] == '>')
			return bad(r);
		if (*p == '\r') {
			if (!text(r, s, (size_t)(p - s)) || !text(r, "\n", 1))
				return false;
			if (p + 1 < end && p[1] == '\n')
				p++;
			s = p + 1;
		}
	}
	r->p = p;
	return text(r, s, (size_t)(p - s));
}

/* The content of the root element, up to and with its end tag. */
static bool
content(struct rd *r)
{
	char ch[4];
	size_t k;
	bool empty;

	while (r->depth > 0) {
		bool ok;

		if (r->p >= r->end)
			return bad(r);
		if (LIT(r, "</"))
			ok = end_tag(r);
		else if (LIT(r, "<!--"))
			ok = comment(r);
		else if (LIT(r, "<![CDATA["))
			ok = cdata(r);
		else if (LIT(r, "<?"))
			ok = pi(r);
		else if (LIT(r, "<"))
			ok = start_tag(r, &empty);
		else if (LIT(r, "&"))
			ok = (k = reference(r, ch)) != 0 ? text(r, ch, k) :
			    bad(r);
		else
			ok = char_data(r);
		if (!ok)
			return false;
	}
	return true;
}

/* White space, comments and processing instructions, as around the root
 * element; in the prolog, a DOCTYPE is refused. */
static bool
misc(struct rd *r, bool prolog)
{
	for (;;) {
		spaces(r);
		if (LIT(r, "<!--")) {
			if (!comment(r))
				return false;
		} else if (LIT(r, "<?")) {
			if (!pi(r))
				return false;
		} else if (prolog && AT(r, "<!DOCTYPE"))
			return refuse(r, "document has a DTD");
		else
			return true;
	}
}

/* A quoted pseudo-attribute value of the XML declaration. */
static bool
decl_value(struct rd *r, const char **v, size_t *len)
{
	char q;

	spaces(r);
	if (!LIT(r, "="))
		return false;
	spaces(r);
	if (r->p >= r->end || (*r->p != '"' && *r->p != '\''))
		return false;
	q = *r->p++;
	*v = r->p;
	while (r->p < r->end && *r->p != q && (unsigned char)*r->p < 0x80)
		r->p++;
	if (r->p >= r->end || *r->p != q)
		return false;
	*len = (size_t)(r->p++ - *v);
	return true;
}

static bool
encoding_is(const char *v, size_t len, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strlen(*names) == len &&
		    ascii_strncasecmp(v, *names, len) == 0)
			return true;
	return false;
}

/* The XML declaration, if the document starts with one. */
static bool
xml_decl(struct rd *r, enum enc *enc)
{
	static const char *const utf8[] = { "UTF-8", "UTF8", NULL };
	static const char *const ascii[] = { "US-ASCII", "ASCII", NULL };
	static const char *const latin1[] = { "ISO-8859-1", "ISO_8859-1",
	    "ISO-LATIN-1", "LATIN1", NULL };
	const char *v;
	size_t len, i, sp;

	*enc = ENC_UTF8;
	if (!AT(r, "<?xml") || r->end - r->p < 6 || !is_space(r->p[5]))
		return true;	/* none, or a PI whose name starts so */
	r->p += 5;
	spaces(r);
	if (!LIT(r, "version") || !decl_value(r, &v, &len) || len < 3 ||
	    memcmp(v, "1.", 2) != 0)
		return bad(r);
	for (i = 2; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return bad(r);
	sp = spaces(r);
	if (sp > 0 && LIT(r, "encoding")) {
		if (!decl_value(r, &v, &len) || len == 0 ||
		    !((v[0] >= 'a' && v[0] <= 'z') ||
		    (v[0] >= 'A' && v[0] <= 'Z')))
			return bad(r);
		if (encoding_is(v, len, ascii))
			*enc = ENC_ASCII;
		else if (encoding_is(v, len, latin1))
			*enc = ENC_LATIN1;
		else if (!encoding_is(v, len, utf8))
			return refuse(r, "unsupported encoding");
		sp = spaces(r);
	}
	if (sp > 0 && LIT(r, "standalone")) {
		if (!decl_value(r, &v, &len) || (!SAME(v, len, "yes") &&
		    !SAME(v, len, "no")))
			return bad(r);
		spaces(r);
	}
	return LIT(r, "?>") || bad(r);
}

static void
document(struct rd *r, const char *s, size_t n, bool transcoded)
{
	const unsigned char *u = (const unsigned char *)s;
	bool bom = false, empty;
	enum enc enc;

	r->p = s;
	r->end = s + n;
	if (n >= 2 && ((u[0] == 0xfe && u[1] == 0xff) ||
	    (u[0] == 0xff && u[1] == 0xfe))) {
		refuse(r, "unsupported encoding");	/* UTF-16 */
		return;
	}
	if (LIT(r, "\xef\xbb\xbf"))
		bom = true;
	if (!xml_decl(r, &enc))
		return;
	if (enc == ENC_LATIN1 && !transcoded) {
		/* Latin-1 to UTF-8 once, then read as such. */
		char *t;
		size_t tn = 0;

		if (bom) {
			refuse(r, "unsupported encoding");
			return;
		}
		t = xmalloc(2 * n + 1);
		for (size_t i = 0; i < n; i++)
			tn += utf8_put(t + tn, u[i]);
		document(r, t, tn, true);
		free(t);
		return;
	}
	if (!valid_chars(r->p, (size_t)(r->end - r->p), enc == ENC_ASCII)) {
		bad(r);
		return;
	}
	if (!misc(r, true))
		return;
	if (!LIT(r, "<")) {
		bad(r);
		return;
	}
	if (!start_tag(r, &empty) || (!empty && !content(r)) ||
	    !misc(r, false))
		return;
	if (r->p != r->end)
		bad(r);
}

/* ---- the result ---------------------------------------------------- */

/* The field's text without surrounding white space, NUL-terminated. */
static size_t
trimmed(struct rd *r, enum field f, const char **out)
{
	char *s = r->f[f].text;
	size_t len = r->f[f].len;

	while (len > 0 && is_space(s[len - 1]))
		len--;
	s[len] = '\0';
	while (len > 0 && is_space(*s)) {
		s++;
		len--;
	}
	*out = s;
	return len;
}

static enum xmlreq_schema
schema_of(struct rd *r)
{
	const char *s;
	size_t n;

	if (!r->f[F_SCHEMA].seen || (n = trimmed(r, F_SCHEMA, &s)) == 0)
		return r->root_ns == NS_MOBILESYNC ? XMLREQ_MOBILESYNC :
		    XMLREQ_OUTLOOK;
	if (name_is(s, n, AD_NS_OUTLOOK_RESPONSE))
		return XMLREQ_OUTLOOK;
	if (name_is(s, n, AD_NS_MOBILESYNC_RESPONSE))
		return XMLREQ_MOBILESYNC;
	return XMLREQ_OTHER;
}

static const char *
result(struct rd *r, struct xmlreq *out)
{
	const char *s;
	size_t n;

	if (!r->request_seen)
		return "no Request element";
	out->who = XMLREQ_EMAIL;
	n = r->f[F_EMAIL].seen ? trimmed(r, F_EMAIL, &s) : 0;
	if (n == 0) {
		out->who = XMLREQ_LEGACYDN;
		n = r->f[F_LEGACYDN].seen ? trimmed(r, F_LEGACYDN, &s) : 0;
	}
	if (n == 0)
		return "no EMailAddress or LegacyDN";
	memcpy(out->addr, s, n);
	out->addr[n] = '\0';
	out->addr_len = n;
	out->schema = schema_of(r);
	return NULL;
}

int
xmlreq_parse(const char *body, size_t len, struct xmlreq *out,
    const char **why)
{
	struct rd r;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (body == NULL || len == 0) {
		*why = "empty request";
		return -1;
	}
	r.why = NULL;
	r.depth = 0;
	r.nb = 0;
	r.uris_len = 0;
	r.skip = 0;
	r.root_ns = NS_NONE;
	r.request_seen = false;
	r.cur = F_NONE;
	for (int i = 0; i < F_COUNT; i++) {
		r.f[i].len = 0;
		r.f[i].seen = false;
	}
	document(&r, body, len, false);
	if (r.why == NULL)
		r.why = result(&r, out);
	*why = r.why;
	return r.why == NULL ? 0 : -1;
}

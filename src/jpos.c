#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jpos.h"
#include "util.h"

struct cur {
	const char *p, *end;
	int line, col;
};

static void
adv(struct cur *c)
{
	if (c->p >= c->end)
		return;
	if (*c->p == '\n') {
		c->line++;
		c->col = 1;
	} else if (((unsigned char)*c->p & 0xc0) != 0x80)
		c->col++;
	c->p++;
}

static void
ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\r' || *c->p == '\n'))
		adv(c);
}

/* Reads the 4 hex digits of a \\u escape; -1 if they are not there. */
static long
hex4(struct cur *c)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		char h;

		adv(c);
		if (c->p >= c->end)
			return -1;
		h = *c->p;
		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= h - '0';
		else if (h >= 'a' && h <= 'f')
			v |= h - 'a' + 10;
		else if (h >= 'A' && h <= 'F')
			v |= h - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void
put_utf8(char *out, size_t outsz, size_t *n, long cp)
{
	char u[4];
	size_t k;

	if (cp < 0x80) {
		u[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	for (size_t i = 0; i < k && *n + 1 < outsz; i++)
		out[(*n)++] = u[i];
}

/* Skips a string token; if out is given, copies its decoded content (as
 * jansson decodes it, so keys with escapes compare equal to the path). */
static int
skip_string(struct cur *c, char *out, size_t outsz)
{
	size_t n = 0;

	if (c->p >= c->end || *c->p != '"')
		return -1;
	adv(c);
	while (c->p < c->end && *c->p != '"') {
		char ch = *c->p;
		long cp = -1;

		if (ch == '\\') {
			adv(c);
			if (c->p >= c->end)
				return -1;
			switch (ch = *c->p) {
			case 'b': ch = '\b'; break;
			case 'f': ch = '\f'; break;
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			case 't': ch = '\t'; break;
			case 'u':
				if ((cp = hex4(c)) < 0)
					return -1;
				/* A surrogate pair is one code point. */
				if (cp >= 0xd800 && cp < 0xdc00 &&
				    c->end - c->p > 6 && c->p[1] == '\\' &&
				    c->p[2] == 'u') {
					adv(c);
					adv(c);
					long lo = hex4(c);
					if (lo < 0xdc00 || lo > 0xdfff)
						return -1;
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
				}
				break;
			default: break;	/* \" \\ \/ */
			}
		}
		if (out != NULL && cp >= 0)
			put_utf8(out, outsz, &n, cp);
		else if (out != NULL && n + 1 < outsz)
			out[n++] = ch;
		adv(c);
	}
	if (c->p >= c->end)
		return -1;
	adv(c);
	if (out != NULL)
		out[n] = '\0';
	return 0;
}

static int
literal_char(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z') || ch == '+' || ch == '-' || ch == '.';
}

static int skip_value(struct cur *c, int depth);

static int
skip_container(struct cur *c, int depth, char open, char close)
{
	if (depth > 64)
		return -1;
	adv(c);		/* the opener */
	ws(c);
	if (c->p < c->end && *c->p == close) {
		adv(c);
		return 0;
	}
	for (;;) {
		ws(c);
		if (open == '{') {
			if (skip_string(c, NULL, 0) < 0)
				return -1;
			ws(c);
			if (c->p >= c->end || *c->p != ':')
				return -1;
			adv(c);
			ws(c);
		}
		if (skip_value(c, depth + 1) < 0)
			return -1;
		ws(c);
		if (c->p >= c->end)
			return -1;
		if (*c->p == ',') {
			adv(c);
			continue;
		}
		if (*c->p == close) {
			adv(c);
			return 0;
		}
		return -1;
	}
}

static int
skip_value(struct cur *c, int depth)
{
	ws(c);
	if (c->p >= c->end)
		return -1;
	switch (*c->p) {
	case '"':
		return skip_string(c, NULL, 0);
	case '{':
		return skip_container(c, depth, '{', '}');
	case '[':
		return skip_container(c, depth, '[', ']');
	default:
		/* number, true, false, null: never more than jansson reads as
		 * one token, so that its tokens never straddle the end of a
		 * value found here (jpos_split()). */
		if (!literal_char(*c->p))
			return -1;
		while (c->p < c->end && literal_char(*c->p))
			adv(c);
		return 0;
	}
}

/* Splits the next path component off *path: a key (kind 'k') or an index
 * (kind 'i'). */
static int
next_component(const char **path, char *key, size_t keysz, long *idx,
    char *kind)
{
	const char *p = *path;

	if (*p == '.')
		p++;
	if (*p == '[') {
		char *end;

		*idx = strtol(p + 1, &end, 10);
		if (*end != ']')
			return -1;
		*kind = 'i';
		*path = end + 1;
		return 0;
	}
	size_t n = strcspn(p, ".[");
	if (n == 0 || n >= keysz)
		return -1;
	memcpy(key, p, n);
	key[n] = '\0';
	*kind = 'k';
	*path = p + n;
	return 0;
}

int
jpos_find(const char *text, size_t len, const char *path, int at_key,
    int *line, int *col)
{
	struct cur c = { text, text + len, 1, 1 };
	char want[256], got[256];
	long idx;
	char kind;

	ws(&c);
	while (*path != '\0') {
		if (next_component(&path, want, sizeof(want), &idx, &kind) < 0)
			return -1;
		ws(&c);
		if (c.p >= c.end)
			return -1;
		if (kind == 'k') {
			int found = 0;

			if (*c.p != '{')
				return -1;
			adv(&c);
			for (;;) {
				ws(&c);
				if (c.p >= c.end || *c.p == '}')
					return -1;
				struct cur keypos = c;
				if (skip_string(&c, got, sizeof(got)) < 0)
					return -1;
				ws(&c);
				if (c.p >= c.end || *c.p != ':')
					return -1;
				adv(&c);
				ws(&c);
				if (strcmp(got, want) == 0) {
					if (at_key && *path == '\0')
						c = keypos;
					found = 1;
					break;
				}
				if (skip_value(&c, 0) < 0)
					return -1;
				ws(&c);
				if (c.p < c.end && *c.p == ',')
					adv(&c);
			}
			if (!found)
				return -1;
		} else {
			if (*c.p != '[' || idx < 0)
				return -1;
			adv(&c);
			for (long i = 0; i < idx; i++) {
				ws(&c);
				if (c.p >= c.end || *c.p == ']')
					return -1;
				if (skip_value(&c, 0) < 0)
					return -1;
				ws(&c);
				if (c.p >= c.end || *c.p != ',')
					return -1;
				adv(&c);
			}
			ws(&c);
			if (c.p >= c.end || *c.p == ']')
				return -1;
		}
	}
	*line = c.line;
	*col = c.col;
	return 0;
}

int
jpos_trailing_comma(const char *text, size_t len, int *line, int *col,
    char *closer)
{
	struct cur c = { text, text + len, 1, 1 };
	struct cur comma = { NULL, NULL, 0, 0 };

	/* Walks to line:col, remembering the last comma that only white
	 * space has followed. */
	while (c.p < c.end && (c.line < *line || (c.line == *line &&
	    c.col < *col))) {
		char ch = *c.p;

		if (ch == ',')
			comma = c;
		else if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n')
			comma.p = NULL;
		adv(&c);
	}
	if (c.p >= c.end || c.line != *line || c.col != *col ||
	    (*c.p != ']' && *c.p != '}') || comma.p == NULL)
		return -1;
	*closer = *c.p;
	*line = comma.line;
	*col = comma.col;
	return 0;
}

static struct jpos_at
at(const struct cur *c, const char *text)
{
	struct jpos_at a = { (size_t)(c->p - text), c->line, c->col };

	return a;
}

/* The array at c: every element an object, no empty element. */
static int
split_array(struct cur *c, const char *text, struct jpos_array *a)
{
	size_t cap = 0;

	if (c->p >= c->end || *c->p != '[')
		return -1;
	a->open = at(c, text);
	adv(c);
	ws(c);
	while (c->p < c->end && *c->p != ']') {
		struct jpos_span e;

		if (*c->p != '{')
			return -1;
		e.at = at(c, text);
		/* Deeper than 64 levels: left to the whole parse. */
		if (skip_value(c, 2) < 0)
			return -1;
		e.len = (size_t)(c->p - text) - e.at.off;
		if (a->n == cap) {
			cap = cap ? cap * 2 : 64;
			a->elem = xrealloc(a->elem, cap * sizeof(*a->elem));
		}
		a->elem[a->n++] = e;
		ws(c);
		if (c->p < c->end && *c->p == ',') {
			adv(c);
			ws(c);
			if (c->p < c->end && *c->p == ']')
				return -1;	/* [{},] */
		} else if (c->p >= c->end || *c->p != ']')
			return -1;
	}
	if (c->p >= c->end)
		return -1;
	a->close = at(c, text);
	adv(c);
	return 0;
}

int
jpos_split(const char *text, size_t len, const char *key,
    struct jpos_array *a)
{
	struct cur c = { text, text + len, 1, 1 };
	char got[256];
	int found = 0;

	memset(a, 0, sizeof(*a));
	ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return -1;
	adv(&c);
	for (;;) {
		ws(&c);
		if (skip_string(&c, got, sizeof(got)) < 0)
			goto fail;	/* also {} */
		ws(&c);
		if (c.p >= c.end || *c.p != ':')
			goto fail;
		adv(&c);
		ws(&c);
		if (strcmp(got, key) == 0) {
			if (found || split_array(&c, text, a) < 0)
				goto fail;
			found = 1;
		} else if (skip_value(&c, 1) < 0)
			goto fail;
		ws(&c);
		if (c.p < c.end && *c.p == ',') {
			adv(&c);
			continue;
		}
		if (c.p < c.end && *c.p == '}')
			break;
		goto fail;
	}
	adv(&c);
	ws(&c);
	if (found && c.p == c.end)
		return 0;
fail:
	jpos_array_free(a);
	return -1;
}

void
jpos_array_free(struct jpos_array *a)
{
	free(a->elem);
	memset(a, 0, sizeof(*a));
}

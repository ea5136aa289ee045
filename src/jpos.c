#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jpos.h"

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
	while (c->p < c->end && strchr(" \t\r\n", *c->p) != NULL && *c->p)
		adv(c);
}

/* Skips a string token; if out is given, copies its raw content (escapes
 * are kept except \" and \\, enough to compare with schema keys). */
static int
skip_string(struct cur *c, char *out, size_t outsz)
{
	size_t n = 0;

	if (c->p >= c->end || *c->p != '"')
		return -1;
	adv(c);
	while (c->p < c->end && *c->p != '"') {
		char ch = *c->p;

		if (ch == '\\') {
			adv(c);
			if (c->p >= c->end)
				return -1;
			ch = *c->p;
		}
		if (out != NULL && n + 1 < outsz)
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
		/* number, true, false, null */
		while (c->p < c->end && strchr(",]} \t\r\n", *c->p) == NULL)
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

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "region.h"
#include "util.h"

#define REGION_CHUNK (64 * 1024)

struct chunk {
	struct chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

struct region {
	struct chunk *head;
	size_t total;
};

struct region *
region_new(void)
{
	return xcalloc(1, sizeof(struct region));
}

void
region_free(struct region *r)
{
	struct chunk *c, *next;

	if (r == NULL)
		return;
	for (c = r->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(r);
}

/* n bytes at the given alignment (a power of two, at most 16). */
static void *
take(struct region *r, size_t n, size_t align)
{
	struct chunk *c = r->head;
	size_t at = c != NULL ? (c->used + align - 1) & ~(align - 1) : 0;

	if (c == NULL || at > c->size || c->size - at < n) {
		size_t size = n > REGION_CHUNK ? n : REGION_CHUNK;

		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		at = 0;
		/* A large one-off block goes behind the current chunk, so
		 * the current chunk keeps serving small allocations. */
		if (r->head != NULL && n > REGION_CHUNK) {
			c->next = r->head->next;
			r->head->next = c;
		} else {
			c->next = r->head;
			r->head = c;
		}
		r->total += sizeof(*c) + size;
	}
	c->used = at + n;
	return c->data + at;
}

void *
region_alloc(struct region *r, size_t n)
{
	void *p = take(r, n, 16);

	memset(p, 0, n);
	return p;
}

void *
region_memdup(struct region *r, const void *p, size_t n)
{
	void *q = region_alloc(r, n);

	memcpy(q, p, n);
	return q;
}

/* Strings are packed: the domains of a big config are half the size
 * they would be at 16 bytes each. */
char *
region_strndup(struct region *r, const char *s, size_t n)
{
	char *q = take(r, n + 1, 1);

	memcpy(q, s, n);
	q[n] = '\0';
	return q;
}

char *
region_strdup(struct region *r, const char *s)
{
	return region_strndup(r, s, strlen(s));
}

size_t
region_size(const struct region *r)
{
	return r->total;
}

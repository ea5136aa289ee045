#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domcache.h"
#include "email.h"
#include "log.h"
#include "site.h"

/* Per thread: 256 documents of 1-3 KB each at most. */
#define SLOTS 256

struct entry {
	uint64_t serial;		/* 0: empty */
	size_t provider;
	int kind;
	char domain[DOMAIN_MAX + 1];
	struct blob b;
};

struct cache {
	struct entry e[SLOTS];
};

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static _Thread_local struct cache *mine;

static void
cache_free(void *arg)
{
	struct cache *c = arg;

	/* Connections still sending a response hold their own reference. */
	for (size_t i = 0; i < SLOTS; i++)
		blob_free(&c->e[i].b);
	free(c);
}

static void
key_init(void)
{
	if (pthread_key_create(&key, cache_free) != 0)
		fatalx("pthread_key_create");
}

static struct entry *
slot(uint64_t serial, size_t provider, int kind, const char *domain)
{
	uint64_t h = 0xcbf29ce484222325ull ^ serial;

	h = (h ^ provider) * 0x100000001b3ull;
	h = (h ^ (uint64_t)kind) * 0x100000001b3ull;
	for (const char *p = domain; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	if (mine == NULL) {
		pthread_once(&key_once, key_init);
		mine = xcalloc(1, sizeof(*mine));
		pthread_setspecific(key, mine);
	}
	return &mine->e[(h ^ h >> 29) % SLOTS];
}

const struct blob *
domcache_get(uint64_t serial, size_t provider, int kind, const char *domain)
{
	const struct entry *e = slot(serial, provider, kind, domain);

	if (e->serial == serial && e->provider == provider &&
	    e->kind == kind && strcmp(e->domain, domain) == 0)
		return &e->b;
	return NULL;
}

const struct blob *
domcache_put(uint64_t serial, size_t provider, int kind, const char *domain,
    char *data, size_t len, const char *ctype)
{
	struct entry *e = slot(serial, provider, kind, domain);

	blob_free(&e->b);
	e->serial = serial;
	e->provider = provider;
	e->kind = kind;
	snprintf(e->domain, sizeof(e->domain), "%s", domain);
	blob_init(&e->b, data, len, ctype);
	return &e->b;
}

void
domcache_flush(void)
{
	if (mine == NULL)
		return;
	pthread_setspecific(key, NULL);
	cache_free(mine);
	mine = NULL;
}

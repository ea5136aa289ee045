/* Documents rendered for one domain (providers with %EMAILDOMAIN%, MX
 * hosting, domain files), kept per worker thread: a thread answers the
 * domains it sees often from persistent responses, as it answers other
 * providers, with no lock and nothing shared. Bounded: a client asking for
 * domain after domain (a wildcard, an MX domain) only evicts. */
#ifndef AUTOCONFD_DOMCACHE_H
#define AUTOCONFD_DOMCACHE_H

#include <stddef.h>
#include <stdint.h>

struct blob;

/* The blob cached for (site serial, provider index, kind, domain), or
 * NULL. Valid until this thread's next domcache_put(). */
const struct blob *domcache_get(uint64_t serial, size_t provider, int kind,
    const char *domain);
/* Caches data (malloc'd, taken over) under the key, evicting what was in
 * its place; returns the blob, valid as domcache_get()'s. */
const struct blob *domcache_put(uint64_t serial, size_t provider, int kind,
    const char *domain, char *data, size_t len, const char *ctype);
/* Drops this thread's cache (also done when the thread exits). */
void domcache_flush(void);

#endif

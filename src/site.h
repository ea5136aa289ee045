/* A site is one loaded config plus everything rendered from it: the unit a
 * reload swaps. Requests hold a reference for as long as they use it. */
#ifndef AUTOCONFD_SITE_H
#define AUTOCONFD_SITE_H

#include <stdint.h>

#include "conf.h"

struct MHD_Response;

/* A pre-rendered body with its ready-to-queue persistent response. */
struct blob {
	const char *data;		/* owned by resp */
	size_t len;
	struct MHD_Response *resp;
};

/* Per-provider documents that do not depend on the user. */
struct pcache {
	struct blob autoconfig;
	struct blob pacc;
};

struct site {
	struct conf *conf;
	struct pcache *pc;		/* by provider index */
	struct signer *signer;		/* for Apple profiles, or NULL */
	uint64_t generation;
	unsigned int refs;		/* under the site lock */
};

/* Renders every static document of c; takes ownership of c. Returns NULL
 * (and frees c) if rendering failed, with the reason in d. */
struct site *site_new(struct conf *c, struct diag *d);
void site_free(struct site *s);

/* Makes s the current site (NULL: none); the previous one is freed once
 * unused. */
void site_publish(struct site *s);
/* The current site with a reference held, or NULL before the first publish. */
struct site *site_acquire(void);
void site_release(struct site *s);

static inline const struct pcache *
site_pcache(const struct site *s, const struct provider *p)
{
	return &s->pc[p->index];
}

/* Builds a blob (and its MHD response) from bytes; takes data (malloc'd). */
void blob_init(struct blob *b, char *data, size_t len, const char *ctype);
void blob_free(struct blob *b);

#endif

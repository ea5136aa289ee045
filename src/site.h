/* A site is one loaded config plus everything rendered from it: the unit a
 * reload swaps. A request holds it (site_acquire) for as long as it uses
 * it. */
#ifndef AUTOCONFD_SITE_H
#define AUTOCONFD_SITE_H

#include <stdatomic.h>
#include <stdint.h>

#include "conf.h"
#include "splice.h"

struct MHD_Response;

/* A pre-rendered body with its ready-to-queue persistent response. */
struct blob {
	const char *data;		/* owned by resp */
	size_t len;
	struct MHD_Response *resp;
};

/* The documents of providers rendered per domain (provider.per_domain):
 * the first three are the per-provider blobs of struct pcache, in order. */
enum ddoc { DDOC_AUTOCONFIG, DDOC_PACC, DDOC_AD_JSON_EAS, DDOC_MTA_STS,
	DDOC_COUNT };
#define DDOC_SPLICED 3

/* Per-provider documents that do not depend on the user. */
struct pcache {
	struct blob autoconfig;
	struct blob pacc;
	struct blob ad_json_eas;	/* v2 ActiveSync; empty without one */
	/* Rendered per domain instead, these three with holes for it
	 * (data NULL: rendered for each domain from a provider_view). */
	struct splice by_domain[DDOC_SPLICED];
	/* Per-user documents: filled with the address per request. */
	struct splice ad_outlook;	/* Autodiscover POX, Outlook 2006a */
	struct splice ad_mobilesync;	/* empty without "activesync" */
	struct splice mobileconfig;	/* unsigned; empty: render per request */
	struct splice settings_text;	/* for an address; as mobileconfig */
};

struct site {
	struct conf *conf;
	/* By provider index; rendered when first asked for, so that start-up
	 * and reload do not wait for documents of 10,000 providers that may
	 * never be requested, nor keep them in memory. */
	_Atomic(struct pcache *) *pc;
	struct signer *signer;		/* for Apple profiles, or NULL */
	/* With public_url, the Autodiscover v2 AutodiscoverV1 answer: the
	 * same for every user of every provider. */
	struct blob ad_json_v1;
	uint64_t generation;
	uint64_t serial;		/* unique per site, for caches */
};

/* A site for c (taken over); its documents are rendered on first use.
 * NULL (and c freed) if the signing key cannot be loaded, with the reason
 * in d. */
struct site *site_new(struct conf *c, struct diag *d);
/* Renders every document now (for -t); -1, with the reasons in d, if one
 * could not be rendered. */
int site_render_all(struct site *s, struct diag *d);
void site_free(struct site *s);

/* Makes s the current site (NULL: none); frees the previous one once no
 * thread uses it (waiting for requests in progress). */
void site_publish(struct site *s);
/* The current site, safe to use until site_release(); NULL before the
 * first publish. A thread holds at most one at a time. */
struct site *site_acquire(void);
void site_release(struct site *s);

const struct pcache *site_render(const struct site *s,
    const struct provider *p);

/* The documents of p, rendered on first use. One that could not be
 * rendered (logged) has no response; reply_blob() answers 500 for it. */
static inline const struct pcache *
site_pcache(const struct site *s, const struct provider *p)
{
	const struct pcache *pc = atomic_load_explicit(&s->pc[p->index],
	    memory_order_acquire);

	return pc != NULL ? pc : site_render(s, p);
}

/* The document kind of provider p for domain (normalised): the provider's
 * own blob when it is not rendered per domain, else one rendered for the
 * domain (domcache.h: valid until the thread asks for another). A blob
 * without a response (reply_blob() answers 500) if it cannot be rendered. */
const struct blob *site_doc(const struct site *s, const struct provider *p,
    enum ddoc kind, const char *domain);

/* Builds a blob (and its MHD response) from bytes; takes data (malloc'd). */
void blob_init(struct blob *b, char *data, size_t len, const char *ctype);
void blob_free(struct blob *b);

#endif

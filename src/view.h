/* A provider as the answers for one domain see it. Hosting providers
 * write %EMAILDOMAIN% in host names and URLs (mail.%EMAILDOMAIN%): the
 * view has them filled in with the domain asked for, so that every
 * renderer works on plain values. A provider rendered per domain
 * (struct provider.per_domain) lists that domain alone: one of 100,000
 * customer domains has no business in another's answer. */
#ifndef AUTOCONFD_VIEW_H
#define AUTOCONFD_VIEW_H

#include "conf.h"

struct provider_view {
	struct provider p;		/* what renderers take */
	struct region *r;		/* what the filled-in values live in */
	const char *domain[1];
};

/* Makes v the view of p for domain (normalised; any for a provider that
 * is not per_domain, whose view is p itself). Pure: no I/O, no globals. */
void provider_view(const struct provider *p, const char *domain,
    struct provider_view *v);
void provider_view_free(struct provider_view *v);

/* Appends t with every %EMAILDOMAIN% replaced by domain. */
void fill_domain(const char *t, const char *domain, struct buf *out);

#endif

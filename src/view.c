#include "config.h"

#include <stddef.h>
#include <string.h>

#include "region.h"
#include "util.h"
#include "view.h"

#define DOMAIN_PH "%EMAILDOMAIN%"

/* The provider's URLs, each of which may hold the placeholder. */
static const size_t url_fields[] = {
	offsetof(struct provider, documentation),
	offsetof(struct provider, webmail),
	offsetof(struct provider, activesync),
	offsetof(struct provider, caldav),
	offsetof(struct provider, carddav),
	offsetof(struct provider, webdav),
	offsetof(struct provider, jmap),
	offsetof(struct provider, ews),
};

void
fill_domain(const char *t, const char *domain, struct buf *out)
{
	const char *ph;

	while ((ph = strstr(t, DOMAIN_PH)) != NULL) {
		buf_add(out, t, (size_t)(ph - t));
		buf_puts(out, domain);
		t = ph + strlen(DOMAIN_PH);
	}
	buf_puts(out, t);
}

static const char *
fill(struct region *r, const char *t, const char *domain)
{
	struct buf b = { 0 };
	const char *s;

	if (t == NULL || strstr(t, DOMAIN_PH) == NULL)
		return t;
	fill_domain(t, domain, &b);
	s = region_strdup(r, b.data);
	buf_free(&b);
	return s;
}

void
provider_view(const struct provider *p, const char *domain,
    struct provider_view *v)
{
	struct provider *q = &v->p;
	struct region *r;

	*q = *p;
	v->r = NULL;
	if (!p->per_domain)
		return;
	r = v->r = region_new();
	v->domain[0] = region_strdup(r, domain);
	q->domains = v->domain;
	q->ndomains = 1;
	if (!p->templated)
		return;
	q->servers = region_memdup(r, p->servers, (p->nservers ? p->nservers :
	    1) * sizeof(*p->servers));
	for (size_t i = 0; i < p->nservers; i++)
		q->servers[i].host = fill(r, p->servers[i].host, domain);
	for (size_t i = 0; i < ARRAY_LEN(url_fields); i++) {
		const char **f = (const char **)(void *)((char *)q +
		    url_fields[i]);

		*f = fill(r, *f, domain);
	}
	if (p->oauth2 != NULL) {
		struct oauth2 *o = region_memdup(r, p->oauth2, sizeof(*o));

		o->issuer = fill(r, o->issuer, domain);
		o->auth_url = fill(r, o->auth_url, domain);
		o->token_url = fill(r, o->token_url, domain);
		q->oauth2 = o;
	}
	if (p->mta_sts != NULL && p->mta_sts->nmx > 0) {
		struct mta_sts *m = region_memdup(r, p->mta_sts, sizeof(*m));

		m->mx = region_memdup(r, m->mx, m->nmx * sizeof(*m->mx));
		for (size_t i = 0; i < m->nmx; i++)
			m->mx[i] = fill(r, m->mx[i], domain);
		q->mta_sts = m;
	}
}

void
provider_view_free(struct provider_view *v)
{
	region_free(v->r);
	v->r = NULL;
}

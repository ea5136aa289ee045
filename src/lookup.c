#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "endpoints.h"
#include "site.h"

/* The provider declaring the Host's domain (autoconfig.<d> or <d>) as an
 * MX domain; its name in dom. */
static const struct provider *
mx_provider(const struct request *rq, char dom[DOMAIN_MAX + 1])
{
	const struct conf *c = rq->site->conf;
	const char *host = request_header(rq, "Host"), *stripped;
	const struct provider *p = NULL;

	if (c->mxtab == NULL || host == NULL ||
	    host_to_domain(host, dom, DOMAIN_MAX + 1) < 0)
		return NULL;
	if ((stripped = domain_strip_service_label(dom)) != NULL &&
	    (p = conf_lookup_mx(c, stripped)) != NULL)
		memmove(dom, stripped, strlen(stripped) + 1);
	else
		p = conf_lookup_mx(c, dom);
	return p;
}

const struct provider *
find_provider_by_email(const struct request *rq, struct reply *rp,
    const struct email *em)
{
	const struct provider *p = conf_lookup(rq->site->conf, em->domain);
	char dom[DOMAIN_MAX + 1];

	/* MX hosting: the customer's domain is listed nowhere, the Host
	 * names the hoster. */
	if (p == NULL)
		p = mx_provider(rq, dom);
	if (p == NULL) {
		reply_text(rp, 404, "no provider serves the domain %s",
		    em->domain);
		rp->outcome = OUTCOME_UNKNOWN_DOMAIN;
	} else
		rp->provider = p->id;
	return p;
}

const struct provider *
find_target(const struct request *rq, struct reply *rp, const char *param,
    struct target *t)
{
	const struct conf *c = rq->site->conf;
	const char *addr = param ? request_query(rq, param) : NULL;
	const char *host, *why, *stripped;
	const struct provider *p = NULL;
	char *dom = t->domain;

	t->have_email = false;
	t->p = NULL;
	if (addr != NULL && addr[0] != '\0') {
		if (email_parse_query(addr, strlen(addr), &t->em, &why) < 0) {
			reply_text(rp, 400, "invalid %s: %s", param, why);
			rp->outcome = OUTCOME_BAD_ADDRESS;
			return NULL;
		}
		t->have_email = true;
		memcpy(dom, t->em.domain, strlen(t->em.domain) + 1);
		/* For the access log: only an address that is valid. */
		reply_email(rp, t->em.addr);
		return t->p = find_provider_by_email(rq, rp, &t->em);
	}
	/* No address (Thunderbird for Android, K-9, KMail, Geary): the
	 * domain comes from the Host, autoconfig.example.com → example.com. */
	host = request_header(rq, "Host");
	if (host == NULL || host_to_domain(host, dom, DOMAIN_MAX + 1) < 0) {
		reply_text(rp, 404, "no email address given and the Host "
		    "header names no domain");
		rp->outcome = OUTCOME_MISSING_ADDRESS;
		return NULL;
	}
	stripped = domain_strip_service_label(dom);
	if (stripped != NULL && (p = conf_lookup(c, stripped)) != NULL)
		memmove(dom, stripped, strlen(stripped) + 1);
	else if ((p = conf_lookup(c, dom)) == NULL)
		p = mx_provider(rq, dom);
	if (p == NULL) {
		reply_domain(rp, stripped != NULL ? stripped : dom);
		reply_text(rp, 404, "no provider serves the domain %s",
		    rp->domain);
		rp->outcome = OUTCOME_UNKNOWN_DOMAIN;
	} else {
		reply_domain(rp, dom);
		rp->provider = p->id;
	}
	return t->p = p;
}

const struct provider *
find_provider(const struct request *rq, struct reply *rp, const char *param,
    struct email *em, bool *have_email)
{
	struct target t;
	const struct provider *p = find_target(rq, rp, param, &t);

	*have_email = t.have_email;
	if (t.have_email) {
		*em = t.em;
		em->domain = em->addr + (t.em.domain - t.em.addr);
	}
	return p;
}

/* The first element of a comma-separated header value, trimmed. */
static const char *
first_item(const char *v, size_t *len)
{
	const char *end;

	while (*v == ' ' || *v == '\t')
		v++;
	end = v + strcspn(v, ",");
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*len = (size_t)(end - v);
	return v;
}

int
public_base_url(const struct request *rq, struct buf *out)
{
	const struct conf *c = rq->site->conf;
	const char *scheme = "https", *host, *v;
	char norm[DOMAIN_MAX + 8];
	size_t len, n;

	if (c->public_url != NULL) {
		buf_puts(out, c->public_url);
		return 0;
	}
	host = request_header(rq, "Host");
	len = host != NULL ? strlen(host) : 0;
	/* Forwarded headers are anyone's to write: believed from trusted
	 * proxies only. Proxies append, so the first item is the client's. */
	if (rq->peer != NULL && conf_is_trusted(c, rq->peer)) {
		if ((v = request_header(rq, "X-Forwarded-Proto")) != NULL) {
			v = first_item(v, &n);
			if (n == 4 && ascii_strncasecmp(v, "http", 4) == 0)
				scheme = "http";
		}
		if ((v = request_header(rq, "X-Forwarded-Host")) != NULL)
			host = first_item(v, &len);
	}
	if (host == NULL || host_normalize(host, len, norm, sizeof(norm)) < 0)
		return -1;
	buf_printf(out, "%s://%s", scheme, norm);
	return 0;
}

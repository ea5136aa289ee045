#include "config.h"

#include <string.h>

#include "conf.h"
#include "endpoints.h"
#include "site.h"

const struct provider *
find_provider_by_email(const struct request *rq, struct reply *rp,
    const struct email *em)
{
	const struct provider *p = conf_lookup(rq->site->conf, em->domain);

	if (p == NULL) {
		reply_text(rp, 404, "no provider serves the domain %s",
		    em->domain);
		rp->outcome = OUTCOME_UNKNOWN_DOMAIN;
	} else
		rp->provider = p->id;
	return p;
}

const struct provider *
find_provider(const struct request *rq, struct reply *rp, const char *param,
    struct email *em, bool *have_email)
{
	const struct conf *c = rq->site->conf;
	const char *addr = param ? request_query(rq, param) : NULL;
	const char *host, *why, *stripped;
	const struct provider *p = NULL;
	char dom[DOMAIN_MAX + 1];

	*have_email = false;
	if (addr != NULL && addr[0] != '\0') {
		if (email_parse_query(addr, strlen(addr), em, &why) < 0) {
			reply_text(rp, 400, "invalid %s: %s", param, why);
			rp->outcome = OUTCOME_BAD_ADDRESS;
			return NULL;
		}
		*have_email = true;
		/* For the access log: only an address that is valid. */
		reply_email(rp, em->addr);
		return find_provider_by_email(rq, rp, em);
	}
	/* No address (Thunderbird for Android, K-9, KMail, Geary): the
	 * domain comes from the Host, autoconfig.example.com → example.com. */
	host = request_header(rq, "Host");
	if (host == NULL || host_to_domain(host, dom, sizeof(dom)) < 0) {
		reply_text(rp, 404, "no email address given and the Host "
		    "header names no domain");
		rp->outcome = OUTCOME_MISSING_ADDRESS;
		return NULL;
	}
	stripped = domain_strip_service_label(dom);
	if (stripped != NULL && (p = conf_lookup(c, stripped)) != NULL)
		reply_domain(rp, stripped);
	else if ((p = conf_lookup(c, dom)) != NULL)
		reply_domain(rp, dom);
	if (p == NULL) {
		reply_domain(rp, stripped != NULL ? stripped : dom);
		reply_text(rp, 404, "no provider serves the domain %s",
		    rp->domain);
		rp->outcome = OUTCOME_UNKNOWN_DOMAIN;
	} else
		rp->provider = p->id;
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

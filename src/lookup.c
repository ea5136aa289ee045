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

	if (p == NULL)
		reply_text(rp, 404, "no provider serves the domain %s",
		    em->domain);
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
		if (email_parse(addr, strlen(addr), em, &why) < 0) {
			reply_text(rp, 400, "invalid %s: %s", param, why);
			return NULL;
		}
		*have_email = true;
		return find_provider_by_email(rq, rp, em);
	}
	/* No address (Thunderbird for Android, K-9, KMail, Geary): the
	 * domain comes from the Host, autoconfig.example.com → example.com. */
	host = request_header(rq, "Host");
	if (host == NULL || host_to_domain(host, dom, sizeof(dom)) < 0) {
		reply_text(rp, 404, "no email address given and the Host "
		    "header names no domain");
		return NULL;
	}
	stripped = domain_strip_service_label(dom);
	if (stripped != NULL)
		p = conf_lookup(c, stripped);
	if (p == NULL)
		p = conf_lookup(c, dom);
	if (p == NULL)
		reply_text(rp, 404, "no provider serves the domain %s",
		    stripped != NULL ? stripped : dom);
	return p;
}

#include "config.h"

#include <string.h>

#include "endpoints.h"
#include "site.h"

#define LABEL "mta-sts."

void
ep_mta_sts(const struct request *rq, struct reply *rp)
{
	const struct conf *c = rq->site->conf;
	const char *host = request_header(rq, "Host"), *d;
	const struct provider *p;
	char dom[DOMAIN_MAX + 1];

	/* Senders ask https://mta-sts.<domain>/ and nothing else: the
	 * policy is the domain's, named by the Host alone. */
	if (host == NULL || host_to_domain(host, dom, sizeof(dom)) < 0 ||
	    strncmp(dom, LABEL, strlen(LABEL)) != 0 ||
	    dom[strlen(LABEL)] == '\0') {
		reply_text(rp, 404, "MTA-STS policies are served on "
		    "mta-sts.<domain>");
		return;
	}
	d = dom + strlen(LABEL);
	if ((p = conf_lookup(c, d)) == NULL)
		p = conf_lookup_mx(c, d);
	if (p == NULL || p->mta_sts == NULL) {
		reply_text(rp, 404, "no MTA-STS policy for %s", d);
		return;
	}
	reply_blob(rp, 200, site_doc(rq->site, p, DDOC_MTA_STS, d));
}

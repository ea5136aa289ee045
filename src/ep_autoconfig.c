#include "config.h"

#include "endpoints.h"
#include "site.h"

void
ep_autoconfig(const struct request *rq, struct reply *rp)
{
	const struct provider *p;
	struct email em;
	bool have_email;

	/* The document is the same for every user of a provider: the client
	 * substitutes the placeholders. */
	p = find_provider(rq, rp, "emailaddress", &em, &have_email);
	if (p != NULL)
		reply_blob(rp, 200, &site_pcache(rq->site, p)->autoconfig);
}

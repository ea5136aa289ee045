#include "config.h"

#include "endpoints.h"
#include "site.h"

void
ep_autoconfig(const struct request *rq, struct reply *rp)
{
	struct target t;

	/* The document is the same for every user of a provider (or of a
	 * domain, for hosting providers): the client substitutes the
	 * placeholders. */
	if (find_target(rq, rp, "emailaddress", &t) != NULL)
		reply_blob(rp, 200, site_doc(rq->site, t.p, DDOC_AUTOCONFIG,
		    t.domain));
}

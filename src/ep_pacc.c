#include "config.h"

#include "endpoints.h"
#include "site.h"

void
ep_pacc(const struct request *rq, struct reply *rp)
{
	struct target t;

	/* PACC clients send no address: ua-auto-config.example.com in the
	 * Host names the domain. The document was rendered at load time, so
	 * its bytes match the digest "autoconfd dns" prints. */
	if (find_target(rq, rp, NULL, &t) != NULL)
		reply_blob(rp, 200, site_doc(rq->site, t.p, DDOC_PACC,
		    t.domain));
}

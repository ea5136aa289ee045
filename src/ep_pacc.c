#include "config.h"

#include "endpoints.h"
#include "site.h"

void
ep_pacc(const struct request *rq, struct reply *rp)
{
	const struct provider *p;
	struct email em;
	bool have_email;

	/* PACC clients send no address: ua-auto-config.example.com in the
	 * Host names the domain. The document was rendered at load time, so
	 * its bytes match the digest "autoconfd dns" prints. */
	p = find_provider(rq, rp, NULL, &em, &have_email);
	if (p != NULL)
		reply_blob(rp, 200, &site_pcache(rq->site, p)->pacc);
}

#include "config.h"

#include "endpoints.h"
#include "render.h"
#include "signer.h"
#include "site.h"
#include "view.h"

void
ep_mobileconfig(const struct request *rq, struct reply *rp)
{
	const char *addr = request_query(rq, "emailaddress");
	const struct server *in, *out;
	const struct provider *p;
	const struct splice *sp;
	struct splice_values v;
	char uuids[4][UUID_STR_LEN + 1];
	struct email em;
	bool have_email;

	/* The profile carries the address: without one there is nothing to
	 * install, whatever the Host says. */
	if (addr == NULL || addr[0] == '\0') {
		reply_text(rp, 400, "the profile needs ?emailaddress=");
		rp->outcome = OUTCOME_MISSING_ADDRESS;
		return;
	}
	p = find_provider(rq, rp, "emailaddress", &em, &have_email);
	if (p == NULL)
		return;
	if (!mobileconfig_servers(p, &in, &out)) {
		reply_text(rp, 404, "%s offers no encrypted incoming and "
		    "outgoing server with a password method Apple Mail knows",
		    p->id);
		rp->outcome = OUTCOME_NOT_FOUND;
		return;
	}
	rp->body.len = 0;
	sp = &site_pcache(rq->site, p)->mobileconfig;
	if (sp->data != NULL) {
		/* Pre-rendered for the provider, filled in for the user. */
		mobileconfig_values(p, &em, uuids, &v);
		splice_fill(sp, &v, &rp->body);
	} else {
		struct provider_view pv;
		int r;

		provider_view(p, em.domain, &pv);
		r = render_mobileconfig(&pv.p, &em, &rp->body);
		provider_view_free(&pv);
		if (r < 0) {
			reply_text(rp, 500, "cannot render the profile");
			return;
		}
	}
	if (rq->site->signer != NULL) {
		struct buf der = { 0 };

		if (signer_sign(rq->site->signer, rp->body.data, rp->body.len,
		    &der) < 0) {
			buf_free(&der);
			reply_text(rp, 500, "cannot sign the profile");
			return;
		}
		buf_free(&rp->body);
		rp->body = der;
	}
	rp->status = 200;
	rp->ctype = "application/x-apple-aspen-config";
	/* The domain is a normalised LDH name: safe inside the quotes. */
	reply_header(rp, "Content-Disposition",
	    "attachment; filename=\"%s.mobileconfig\"", em.domain);
}

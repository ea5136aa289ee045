#include "config.h"

#include <stdio.h>
#include <string.h>

#include "endpoints.h"
#include "render.h"
#include "site.h"

#define V1_PREFIX "/autodiscover/autodiscover.json/v1.0/"
#define JSON_CTYPE "application/json; charset=utf-8"

static void
json_reply(struct reply *rp, unsigned int status, int rendered)
{
	if (rendered < 0) {
		reply_text(rp, 500, "cannot render the answer");
		return;
	}
	rp->status = status;
	rp->ctype = JSON_CTYPE;
}

void
ep_autodiscover_json(const struct request *rq, struct reply *rp)
{
	const char *proto = request_query(rq, "Protocol");
	const char *addr = NULL, *why;
	const struct provider *p;
	struct target t;
	const char *domain;
	struct buf base = { 0 };

	/* /autodiscover/autodiscover.json/v1.0/<address>, in any case. */
	if (ascii_strncasecmp(rq->path, V1_PREFIX, strlen(V1_PREFIX)) == 0)
		addr = rq->path + strlen(V1_PREFIX);
	rp->activesync = proto != NULL &&
	    ascii_strcasecmp(proto, "ActiveSync") == 0;
	if (addr != NULL && addr[0] != '\0') {
		if (email_parse(addr, strlen(addr), &t.em, &why) < 0) {
			reply_text(rp, 400, "invalid address: %s", why);
			rp->outcome = OUTCOME_BAD_ADDRESS;
			return;
		}
		reply_email(rp, t.em.addr);
		p = find_provider_by_email(rq, rp, &t.em);
		domain = t.em.domain;
	} else {
		p = find_target(rq, rp, "Email", &t);
		domain = t.domain;
	}
	if (p == NULL)
		return;

	/* Outlook writes "Autodiscoverv1": the value is case-insensitive. */
	if (proto != NULL && ascii_strcasecmp(proto, "AutodiscoverV1") == 0) {
		/* With public_url the answer is the same for everyone. */
		if (rq->site->conf->public_url != NULL) {
			reply_blob(rp, 200, &rq->site->ad_json_v1);
			return;
		}
		if (public_base_url(rq, &base) < 0) {
			reply_text(rp, 400, "no valid Host header");
			return;
		}
		json_reply(rp, 200, render_ad_json_v1(base.data, &rp->body));
		buf_free(&base);
		/* Built from this request's Host (and a trusted proxy's
		 * forwarded headers): no shared cache may hand it to a
		 * client that asked another name. */
		reply_header(rp, "Cache-Control", "private, no-store");
		reply_header(rp, "Vary", "Host");
	} else if (rp->activesync && p->activesync != NULL)
		reply_blob(rp, 200, site_doc(rq->site, p, DDOC_AD_JSON_EAS,
		    domain));
	else {
		/* A protocol this provider does not offer. */
		json_reply(rp, 400, render_ad_json_error(proto ? proto : "",
		    p->activesync != NULL ? "AutodiscoverV1,ActiveSync" :
		    "AutodiscoverV1", &rp->body));
		rp->outcome = OUTCOME_NOT_FOUND;
	}
}

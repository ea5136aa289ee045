#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "endpoints.h"
#include "log.h"
#include "render.h"
#include "site.h"
#include "xmlreq.h"

static pthread_once_t id_once = PTHREAD_ONCE_INIT;
static char server_id[16];

/* The Id attribute of errors names the server (Exchange: a hash of its
 * name), so that an admin can tell which host answered. */
static void
make_server_id(void)
{
	char host[256] = "autoconfd";
	uint32_t h = 2166136261u;

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	for (const char *p = host; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(server_id, sizeof(server_id), "%u", (unsigned int)h);
}

/* An Autodiscover error document: HTTP 200, as Outlook expects. */
static void
ad_error(struct reply *rp, unsigned int code, const char *message)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	pthread_once(&id_once, make_server_id);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(when, sizeof(when), "%02d:%02d:%02d.%07ld", tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 100);
	rp->status = 200;
	rp->ctype = "text/xml; charset=utf-8";
	if (render_ad_error(code, message, when, server_id, &rp->body) < 0)
		reply_text(rp, 500, "cannot render the error document");
}

void
ep_autodiscover(const struct request *rq, struct reply *rp)
{
	const struct provider *p;
	const struct splice *sp = NULL;
	struct splice_values v;
	struct xmlreq xr;
	struct email em;
	const char *why;

	/* Any Content-Type: clients vary; the body decides. */
	if (xmlreq_parse(rq->body, rq->body_len, &xr, &why) < 0) {
		log_debug("autodiscover: invalid request: %s", why);
		ad_error(rp, 600, "Invalid Request");
		/* No address could be read from it. */
		rp->outcome = OUTCOME_MISSING_ADDRESS;
		return;
	}
	rp->activesync = xr.schema == XMLREQ_MOBILESYNC;
	if (email_parse(xr.addr, xr.addr_len, &em, &why) < 0) {
		/* A LegacyDN names an Exchange mailbox, which nothing here
		 * resolves: let the client try its next URL. */
		if (xr.who == XMLREQ_LEGACYDN) {
			reply_text(rp, 404, "cannot resolve a LegacyDN");
			rp->outcome = OUTCOME_NOT_FOUND;
			return;
		}
		log_debug("autodiscover: invalid EMailAddress: %s", why);
		ad_error(rp, 600, "Invalid Request");
		rp->outcome = OUTCOME_BAD_ADDRESS;
		return;
	}
	reply_email(rp, em.addr);
	/* Unknown domain: HTTP 404, never a 200 error document, so that
	 * clients fall through to their next URL. */
	if ((p = find_provider_by_email(rq, rp, &em)) == NULL)
		return;
	if (xr.schema == XMLREQ_OUTLOOK)
		sp = &site_pcache(rq->site, p)->ad_outlook;
	else if (xr.schema == XMLREQ_MOBILESYNC && p->activesync != NULL)
		sp = &site_pcache(rq->site, p)->ad_mobilesync;
	if (sp == NULL) {
		ad_error(rp, 601, "Provider is not available");
		rp->outcome = OUTCOME_NOT_FOUND;
		return;
	}
	if (sp->data == NULL) {		/* rendering failed, and was logged */
		reply_text(rp, 500, "cannot render the answer");
		return;
	}
	v.s[HOLE_ADDRESS] = em.addr;
	v.len[HOLE_ADDRESS] = strlen(em.addr);
	v.s[HOLE_LOCALPART] = em.addr;
	v.len[HOLE_LOCALPART] = em.local_len;
	v.s[HOLE_DOMAIN] = em.domain;
	v.len[HOLE_DOMAIN] = strlen(em.domain);
	rp->status = 200;
	rp->ctype = "text/xml; charset=utf-8";
	splice_fill(sp, &v, &rp->body);
}

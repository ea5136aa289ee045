#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "digest.h"
#include "endpoints.h"
#include "render.h"
#include "site.h"
#include "view.h"

static pthread_once_t csp_once = PTHREAD_ONCE_INIT;
static char csp[256];

/* Nothing but the one inline style sheet and the one inline script, by
 * their hashes: no other script, no external asset, no framing; the form
 * may only submit here. */
static void
csp_init(void)
{
	char css[DIGEST_B64_LEN + 1], js[DIGEST_B64_LEN + 1];

	digest_sha256_b64(settings_css, strlen(settings_css), css);
	digest_sha256_b64(settings_js, strlen(settings_js), js);
	snprintf(csp, sizeof(csp), "default-src 'none'; style-src "
	    "'sha256-%s'; script-src 'sha256-%s'; form-action 'self'; "
	    "base-uri 'none'; frame-ancestors 'none'", css, js);
}

/* True when the Accept header takes text/html (q > 0). Browsers send it;
 * curl sends a bare "*" "/" "*", which gets plain text. */
bool
accepts_html(const char *accept)
{
	const char *p = accept;

	while (p != NULL && *p != '\0') {
		size_t n;
		const char *end = strchr(p, ','), *q;

		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, ";, \t");
		if ((n == 9 && ascii_strncasecmp(p, "text/html", 9) == 0) ||
		    (n == 21 && ascii_strncasecmp(p, "application/xhtml+xml",
		    21) == 0)) {
			q = strstr(p, "q=");
			if (q == NULL || (end != NULL && q > end) ||
			    strtod(q + 2, NULL) > 0)
				return true;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

void
ep_settings(const struct request *rq, struct reply *rp)
{
	const char *addr = request_query(rq, "emailaddress");
	struct settings_view v = { 0 };
	struct provider_view pv = { .r = NULL };
	struct target t;
	const struct provider *p;
	bool html;
	char *error = NULL;
	unsigned int status = 200;

	html = accepts_html(request_header(rq, "Accept"));
	p = v.p = find_target(rq, rp, "emailaddress", &t);
	if (t.have_email && v.p != NULL)
		v.em = &t.em;
	/* The page as the domain asked for sees the provider. */
	if (p != NULL) {
		provider_view(p, t.domain, &pv);
		v.p = &pv.p;
	}
	if (addr != NULL && addr[0] != '\0')
		v.typed = addr;
	/* Without an address, the form is the answer, whatever the Host. */
	if (v.typed == NULL)
		rp->outcome = OUTCOME_UNSET;
	if (v.p == NULL && v.typed != NULL) {
		/* The lookup's own reason, shown on the page. */
		status = rp->status;
		error = buf_steal(&rp->body);
		error[strcspn(error, "\n")] = '\0';
		v.error = error;
	}
	/* Escaping keeps markup out, but bytes that are not UTF-8 or are
	 * control characters would still reach the page: not echoed. */
	if (v.typed != NULL && !text_printable(v.typed, strlen(v.typed)))
		v.typed = "";
	reply_free(rp);
	rp->blob = NULL;
	rp->status = status;
	rp->body.len = 0;
	if (html) {
		/* iPhone, iPad and Mac visitors get the profile first. */
		v.apple = client_apple_device(request_header(rq,
		    "User-Agent"));
		pthread_once(&csp_once, csp_init);
		render_settings_html(&v, &rp->body);
		rp->ctype = "text/html; charset=utf-8";
		reply_header(rp, "Content-Security-Policy", "%s", csp);
	} else {
		const struct splice *sp = p != NULL && v.em != NULL &&
		    v.error == NULL ?
		    &site_pcache(rq->site, p)->settings_text : NULL;

		/* curl's page for an address: pre-rendered per provider. */
		if (sp != NULL && sp->data != NULL) {
			struct splice_values sv;

			splice_address_values(&t.em, &sv);
			splice_fill(sp, &sv, &rp->body);
		} else
			render_settings_text(&v, &rp->body);
		rp->ctype = "text/plain; charset=utf-8";
	}
	reply_header(rp, "Vary", "Accept, User-Agent");
	reply_header(rp, "Referrer-Policy", "no-referrer");
	provider_view_free(&pv);
	free(error);
}

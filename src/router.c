#include "config.h"

#include <string.h>

#include "endpoints.h"
#include "request.h"

struct route {
	const char *path;	/* a final '*' matches any rest (prefix) */
	unsigned int methods;
	bool icase;		/* Outlook varies the case of its paths */
	void (*fn)(const struct request *, struct reply *);
	const char *name;	/* endpoint label for logs and metrics */
};

static const struct route routes[] = {
	{ "/mail/config-v1.1.xml", M_GET | M_HEAD, false, ep_autoconfig,
	    "autoconfig" },
	{ "/.well-known/autoconfig/mail/config-v1.1.xml", M_GET | M_HEAD,
	    false, ep_autoconfig, "autoconfig" },
	{ "/v1.1/mail/config-v1.1.xml", M_GET | M_HEAD, false, ep_autoconfig,
	    "autoconfig" },
	{ "/.well-known/user-agent-configuration.json", M_GET | M_HEAD, false,
	    ep_pacc, "pacc" },
	{ "/.well-known/user-agent-configuration", M_GET | M_HEAD, false,
	    ep_pacc, "pacc" },
	{ "/.well-known/mta-sts.txt", M_GET | M_HEAD, false, ep_mta_sts,
	    "mta-sts" },
	{ "/.well-known/acme-challenge/*", M_GET | M_HEAD, false, ep_acme,
	    "acme" },
	{ "/healthz", M_GET | M_HEAD, false, ep_healthz, "healthz" },
	{ "/metrics", M_GET | M_HEAD, false, ep_metrics, "metrics" },
	{ "/email.mobileconfig", M_GET | M_HEAD, false, ep_mobileconfig,
	    "mobileconfig" },
	{ "/mobileconfig", M_GET | M_HEAD, false, ep_mobileconfig,
	    "mobileconfig" },
	{ "/", M_GET | M_HEAD, false, ep_settings, "settings" },
	{ "/settings", M_GET | M_HEAD, false, ep_settings, "settings" },
	{ "/autodiscover/autodiscover.xml", M_POST, true, ep_autodiscover,
	    "autodiscover" },
	{ "/autodiscover/autodiscover.json", M_GET | M_HEAD, true,
	    ep_autodiscover_json, "autodiscover-json" },
	{ "/autodiscover/autodiscover.json/v1.0/*", M_GET | M_HEAD, true,
	    ep_autodiscover_json, "autodiscover-json" },
};

static void
allow_header(struct reply *rp, unsigned int methods)
{
	char allow[32] = "";

	if (methods & M_GET)
		strcat(allow, "GET, HEAD");
	if (methods & M_POST)
		strcat(allow, allow[0] ? ", POST" : "POST");
	reply_header(rp, "Allow", "%s", allow);
}

static bool
path_matches(const struct route *r, const char *path)
{
	size_t n = strlen(r->path);

	if (n == 0 || r->path[n - 1] != '*')
		return r->icase ? ascii_strcasecmp(path, r->path) == 0 :
		    strcmp(path, r->path) == 0;
	n--;
	return r->icase ? ascii_strncasecmp(path, r->path, n) == 0 :
	    strncmp(path, r->path, n) == 0;
}

void
route(const struct request *rq, struct reply *rp)
{
	for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
		const struct route *r = &routes[i];

		if (!path_matches(r, rq->path))
			continue;
		rp->endpoint = r->name;
		if ((rq->method & r->methods) == 0) {
			reply_text(rp, 405, "method not allowed");
			allow_header(rp, r->methods);
			return;
		}
		r->fn(rq, rp);
		return;
	}
	rp->endpoint = "other";
	reply_text(rp, 404, "not found");
}

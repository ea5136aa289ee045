#include "config.h"

#include <string.h>

#include "client.h"
#include "endpoints.h"
#include "request.h"

struct route {
	const char *path;	/* a final '*' matches any rest (prefix) */
	unsigned int methods;
	bool icase;		/* Outlook varies the case of its paths */
	void (*fn)(const struct request *, struct reply *);
	const char *name;	/* endpoint label for logs and metrics */
	enum client_route kind;	/* for telling clients apart */
};

static const struct route routes[] = {
	{ "/mail/config-v1.1.xml", M_GET | M_HEAD, false, ep_autoconfig,
	    "autoconfig", CROUTE_AUTOCONFIG },
	{ "/.well-known/autoconfig/mail/config-v1.1.xml", M_GET | M_HEAD,
	    false, ep_autoconfig, "autoconfig", CROUTE_AUTOCONFIG },
	{ "/v1.1/mail/config-v1.1.xml", M_GET | M_HEAD, false, ep_autoconfig,
	    "autoconfig", CROUTE_AUTOCONFIG },
	{ "/.well-known/user-agent-configuration.json", M_GET | M_HEAD, false,
	    ep_pacc, "pacc", CROUTE_PACC },
	{ "/.well-known/user-agent-configuration", M_GET | M_HEAD, false,
	    ep_pacc, "pacc", CROUTE_PACC },
	/* Not mail clients': mail servers (MTA-STS) and CAs (ACME). */
	{ "/.well-known/mta-sts.txt", M_GET | M_HEAD, false, ep_mta_sts,
	    "mta-sts", CROUTE_NONE },
	{ "/.well-known/acme-challenge/*", M_GET | M_HEAD, false, ep_acme,
	    "acme", CROUTE_NONE },
	{ "/healthz", M_GET | M_HEAD, false, ep_healthz, "healthz",
	    CROUTE_NONE },
	{ "/metrics", M_GET | M_HEAD, false, ep_metrics, "metrics",
	    CROUTE_NONE },
	{ "/email.mobileconfig", M_GET | M_HEAD, false, ep_mobileconfig,
	    "mobileconfig", CROUTE_MOBILECONFIG },
	{ "/mobileconfig", M_GET | M_HEAD, false, ep_mobileconfig,
	    "mobileconfig", CROUTE_MOBILECONFIG },
	{ "/", M_GET | M_HEAD, false, ep_settings, "settings",
	    CROUTE_SETTINGS },
	{ "/settings", M_GET | M_HEAD, false, ep_settings, "settings",
	    CROUTE_SETTINGS },
	{ "/autodiscover/autodiscover.xml", M_POST, true, ep_autodiscover,
	    "autodiscover", CROUTE_AUTODISCOVER },
	{ "/autodiscover/autodiscover.json", M_GET | M_HEAD, true,
	    ep_autodiscover_json, "autodiscover-json",
	    CROUTE_AUTODISCOVER_JSON },
	{ "/autodiscover/autodiscover.json/v1.0/*", M_GET | M_HEAD, true,
	    ep_autodiscover_json, "autodiscover-json",
	    CROUTE_AUTODISCOVER_JSON },
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

/* The client family, once the endpoint has answered (it knows whether
 * ActiveSync settings were asked for). */
static void
classify(const struct request *rq, struct reply *rp, enum client_route kind)
{
	struct client_facts f = {
		.route = kind,
		.activesync = rp->activesync,
	};

	if (kind == CROUTE_NONE)
		return;
	f.user_agent = request_header(rq, "User-Agent");
	if (kind == CROUTE_AUTOCONFIG)
		f.emailaddress = request_query(rq, "emailaddress");
	rp->client = client_classify(&f);
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
		} else
			r->fn(rq, rp);
		classify(rq, rp, r->kind);
		return;
	}
	rp->endpoint = "other";
	reply_text(rp, 404, "not found");
	classify(rq, rp, CROUTE_UNKNOWN);
}

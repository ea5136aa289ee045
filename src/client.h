/* Which kind of mail client made a request: one of a fixed, small set of
 * labels for /metrics and the access log, decided from the endpoint, the
 * address parameter and the User-Agent. A raw header never becomes a
 * label. Pure functions: no I/O, no globals. */
#ifndef AUTOCONFD_CLIENT_H
#define AUTOCONFD_CLIENT_H

#include <stdbool.h>

/* The client label of autoconfd_client_requests_total (CONTRACT names,
 * see client_name()). CLIENT_NONE: not a mail client's request (health
 * checks, /metrics, refusals at the edge), counted nowhere here. */
enum client {
	CLIENT_NONE,
	CLIENT_THUNDERBIRD,
	CLIENT_THUNDERBIRD_ANDROID,
	CLIENT_OUTLOOK,
	CLIENT_APPLE,
	CLIENT_EVOLUTION,
	CLIENT_PACC,
	CLIENT_ACTIVESYNC,
	CLIENT_OTHER,
	CLIENT_COUNT
};

/* What a route serves, as far as telling clients apart goes. */
enum client_route {
	CROUTE_NONE,		/* /healthz, /metrics: not a client's */
	CROUTE_AUTOCONFIG,
	CROUTE_AUTODISCOVER,	/* POX */
	CROUTE_AUTODISCOVER_JSON,
	CROUTE_MOBILECONFIG,
	CROUTE_PACC,
	CROUTE_SETTINGS,
	CROUTE_UNKNOWN,		/* a path no route serves */
};

struct client_facts {
	enum client_route route;
	/* autoconfig's emailaddress parameter as received, or NULL. */
	const char *emailaddress;
	/* The request asked for ActiveSync settings (the mobilesync schema,
	 * or Autodiscover v2's Protocol=ActiveSync). */
	bool activesync;
	const char *user_agent;		/* or NULL */
};

enum client client_classify(const struct client_facts *f);

/* "thunderbird", ...; NULL for CLIENT_NONE. */
const char *client_name(enum client c);

/* True for a browser on an iPhone, iPad, iPod or Mac: the settings page
 * offers those the configuration profile first. */
bool client_apple_device(const char *user_agent);

#endif

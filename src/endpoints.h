/* Endpoint handlers, one file each; the route table is in router.c. */
#ifndef AUTOCONFD_ENDPOINTS_H
#define AUTOCONFD_ENDPOINTS_H

#include "email.h"
#include "request.h"

/* GET /mail/config-v1.1.xml and its aliases. */
void ep_autoconfig(const struct request *rq, struct reply *rp);
/* GET /.well-known/user-agent-configuration.json (and without .json). */
void ep_pacc(const struct request *rq, struct reply *rp);
/* GET /email.mobileconfig?emailaddress= (and /mobileconfig). */
void ep_mobileconfig(const struct request *rq, struct reply *rp);
/* GET / and /settings?emailaddress=: the settings page for people. */
void ep_settings(const struct request *rq, struct reply *rp);
/* True when an Accept header value takes text/html. */
bool accepts_html(const char *accept);

/* GET /healthz: 200 "ok" while a config is loaded ("healthz": false: 404). */
void ep_healthz(const struct request *rq, struct reply *rp);

/* GET /metrics: Prometheus text ("metrics": false: 404). */
void ep_metrics(const struct request *rq, struct reply *rp);

/* POST /autodiscover/autodiscover.xml (any case): Outlook and mobilesync. */
void ep_autodiscover(const struct request *rq, struct reply *rp);
/* GET /autodiscover/autodiscover.json?Email=&Protocol= and
 * /autodiscover/autodiscover.json/v1.0/<address>?Protocol=. */
void ep_autodiscover_json(const struct request *rq, struct reply *rp);

/* GET /.well-known/mta-sts.txt on mta-sts.<domain>: the MTA-STS policy. */
void ep_mta_sts(const struct request *rq, struct reply *rp);
/* GET /.well-known/acme-challenge/<token>: from acme_challenge_dir. */
void ep_acme(const struct request *rq, struct reply *rp);

/* What a request is about: its provider, and the domain the answer is
 * for (the address's, or the one the Host names). */
struct target {
	const struct provider *p;
	struct email em;		/* when have_email */
	bool have_email;
	char domain[DOMAIN_MAX + 1];
};

/* As find_provider(), with the domain. A provider that declares the
 * Host's domain (autoconfig.<d>, or <d>) in its mx_domains answers for
 * an address no provider serves, and for a request without an address. */
const struct provider *find_target(const struct request *rq,
    struct reply *rp, const char *param, struct target *t);

/* Finds the provider for a request: from the address in the query
 * parameter param when present (em filled, *have_email set), else from the
 * Host header. On failure fills rp (400 bad address, 404 unknown domain)
 * and returns NULL. */
const struct provider *find_provider(const struct request *rq,
    struct reply *rp, const char *param, struct email *em, bool *have_email);

/* The provider of an already parsed address (or the MX hosting provider
 * the Host names), or NULL with a 404 in rp. */
const struct provider *find_provider_by_email(const struct request *rq,
    struct reply *rp, const struct email *em);

/* The base URL clients reach this server at, for answers that point back
 * here (scheme://host[:port], or public_url with its path; no trailing
 * slash): the config's public_url; else X-Forwarded-Proto and
 * X-Forwarded-Host when the peer is a trusted proxy; else https://<Host>.
 * Host names are validated and normalised. Appends to out; returns 0, or
 * -1 when no valid host is known. */
int public_base_url(const struct request *rq, struct buf *out);

#endif

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

/* Finds the provider for a request: from the address in the query
 * parameter param when present (em filled, *have_email set), else from the
 * Host header. On failure fills rp (400 bad address, 404 unknown domain)
 * and returns NULL. */
const struct provider *find_provider(const struct request *rq,
    struct reply *rp, const char *param, struct email *em, bool *have_email);

/* The provider of an already parsed address, or NULL with a 404 in rp. */
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

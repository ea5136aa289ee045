/* Renderers: pure functions from the model to bytes. No I/O, no globals:
 * they are unit-tested and fuzzed directly. Each returns 0 on success and
 * appends to out; -1 only if the XML/JSON library failed. */
#ifndef AUTOCONFD_RENDER_H
#define AUTOCONFD_RENDER_H

#include "conf.h"
#include "digest.h"
#include "email.h"
#include "splice.h"
#include "util.h"

/* Thunderbird autoconfig, config-v1.1.xml. Independent of the user:
 * placeholders are left for the client to substitute. */
int render_autoconfig(const struct provider *p, struct buf *out);

/* PACC JSON (draft-ietf-mailmaint-pacc). Byte-stable: the DNS TXT record
 * carries its digest. */
int render_pacc(const struct provider *p, struct buf *out);
/* The server PACC names for a protocol: the first with implicit TLS on the
 * standard port (993, 995, 465), or NULL. */
const struct server *pacc_server(const struct provider *p, enum proto proto);

/* The MTA-STS policy of p (RFC 8461 3.2: CRLF-terminated lines, version
 * first); -1 if p has no "mta_sts". Its mx lines are the policy's, or the
 * provider's SMTP hosts. */
int render_mta_sts(const struct provider *p, struct buf *out);
/* The id of the _mta-sts TXT record (1-32 letters and digits): from a
 * digest of the policy, so that it changes whenever the policy does. */
#define MTA_STS_ID_LEN 32
void mta_sts_id(const char *policy, size_t len, char id[MTA_STS_ID_LEN + 1]);

/* The zone-file records an admin publishes for domain (served by p). */
int render_dns(const struct conf *c, const struct provider *p,
    const char *domain, struct buf *out);
/* Its RFC 6186/8314 (and RFC 5804) service records, as render_dns prints
 * them: "_imaps", priority, weight, port, target ("." for not offered). */
struct srv_rec {
	const char *label;
	unsigned int priority, weight, port;
	const char *target;
};
#define DNS_SRV_MAX 64
size_t dns_srv_records(const struct provider *p, struct srv_rec *out,
    size_t max);
/* The host of public_url when it is a DNS name (an IP literal is not),
 * its port and scheme; -1 when there is none. */
int dns_public_host(const struct conf *c, char *host, size_t hostsz,
    unsigned int *port, bool *https);

/* Apple configuration profile for one address; -1 also when the provider
 * has no server a profile can carry (see mobileconfig_servers). */
int render_mobileconfig(const struct provider *p, const struct email *em,
    struct buf *out);
/* The servers of the profile: the first encrypted IMAP server (POP3 if there
 * is no IMAP) and SMTP server with a password-like method Apple knows.
 * False if either is missing. */
bool mobileconfig_servers(const struct provider *p, const struct server **in,
    const struct server **out);
/* The profile of p with holes for the user (splice.h), made once per
 * provider; left empty (data NULL: render per request) if the profile
 * varies with the user in a way the holes do not cover. */
int render_mobileconfig_splice(const struct provider *p, struct splice *sp);
/* The values of the holes for em; the UUIDs' text goes into uuids. */
void mobileconfig_values(const struct provider *p, const struct email *em,
    char uuids[4][UUID_STR_LEN + 1], struct splice_values *v);

/* The settings page for people. */
struct settings_view {
	const struct provider *p;	/* NULL: only the form */
	const struct email *em;		/* the address, when valid */
	const char *typed;		/* what was typed, echoed in the form */
	const char *error;		/* shown above the table */
	bool apple;			/* an iPhone, iPad or Mac: the profile
					 * first */
};
extern const char settings_css[];	/* the page's only style sheet */
extern const char settings_js[];	/* and its only script */
int render_settings_html(const struct settings_view *v, struct buf *out);
int render_settings_text(const struct settings_view *v, struct buf *out);
/* The text page of p for an address, with holes for it (splice.h). */
int render_settings_text_splice(const struct provider *p, struct splice *sp);
/* Microsoft Autodiscover (POX), rendered once per provider with holes for
 * the address (LoginName, EMailAddress). Outlook: responseschema/2006a, one
 * Protocol per advertised server. Mobilesync: the ActiveSync URL; sp is
 * left empty (data NULL) when the provider has none. */
int render_ad_outlook(const struct provider *p, struct splice *sp);
int render_ad_mobilesync(const struct provider *p, struct splice *sp);
/* An Autodiscover error document (600 invalid request, 601 schema not
 * supported, ...) in the base response namespace. */
int render_ad_error(unsigned int code, const char *message, const char *time,
    const char *id, struct buf *out);

/* Autodiscover v2: {"Protocol":..,"Url":..}, compact, keys in this order.
 * _v1: AutodiscoverV1, the POX endpoint under base (a public base URL);
 * _activesync: the provider's ActiveSync URL (nothing when it has none). */
int render_ad_json(const char *protocol, const char *url, struct buf *out);
int render_ad_json_v1(const char *base, struct buf *out);
int render_ad_json_activesync(const struct provider *p, struct buf *out);
/* The v2 error for an unknown Protocol value: HTTP 400 with
 * {"ErrorCode":"InvalidProtocol","ErrorMessage":..}. given (from the
 * request) is echoed only if it is short printable ASCII. */
int render_ad_json_error(const char *given, const char *supported,
    struct buf *out);

#endif

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "plan.h"

#define AC_PATH "/mail/config-v1.1.xml"
#define AC_WELL_KNOWN "/.well-known/autoconfig/mail/config-v1.1.xml"
#define POX_PATH "/autodiscover/autodiscover.xml"
#define PACC_PATH "/.well-known/user-agent-configuration.json"

void
url_query_encode(const char *s, struct buf *out)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			buf_putc(out, (char)c);
		else
			buf_printf(out, "%%%02X", c);
	}
}

struct plan {
	struct attempt *a;
	size_t n;
};

__attribute__((format(printf, 5, 6)))
static void
add(struct plan *pl, enum fetch_kind kind, bool primary, const char *via,
    const char *fmt, ...)
{
	struct attempt *a;
	va_list ap;

	if (pl->n == PLAN_MAX)
		return;
	a = &pl->a[pl->n++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->primary = primary;
	a->via = via;
	va_start(ap, fmt);
	vsnprintf(a->url, sizeof(a->url), fmt, ap);
	va_end(ap);
}

/* The query each autoconfig client sends: Thunderbird the address,
 * Evolution a stand-in user and the MD5 of the address, Thunderbird for
 * Android none. */
static void
autoconfig_query(enum client c, const struct email *em, struct buf *q)
{
	uint8_t md5[16];

	if (c == CLIENT_THUNDERBIRD) {
		buf_puts(q, "?emailaddress=");
		url_query_encode(em->addr, q);
	} else if (c == CLIENT_EVOLUTION) {
		buf_puts(q, "?emailaddress=EVOLUTIONUSER%40");
		url_query_encode(em->domain, q);
		buf_puts(q, "&emailmd5=");
		if (gnutls_hash_fast(GNUTLS_DIG_MD5, em->addr,
		    strlen(em->addr), md5) == 0)
			for (size_t i = 0; i < sizeof(md5); i++)
				buf_printf(q, "%02x", md5[i]);
	}
}

static void
autoconfig_plan(enum client c, const struct email *em,
    const struct plan_dns *dns, struct plan *pl)
{
	const char *d = em->domain, *qs;
	struct buf q = { 0 };

	autoconfig_query(c, em, &q);
	qs = q.data != NULL ? q.data : "";
	add(pl, FK_AUTOCONFIG, true, NULL, "https://autoconfig.%s" AC_PATH
	    "%s", d, qs);
	add(pl, FK_AUTOCONFIG, true, NULL, "https://%s" AC_WELL_KNOWN "%s", d,
	    qs);
	add(pl, FK_AUTOCONFIG, false, "plain http", "http://autoconfig.%s"
	    AC_PATH "%s", d, qs);
	add(pl, FK_AUTOCONFIG, false, "plain http", "http://%s" AC_WELL_KNOWN
	    "%s", d, qs);
	/* The MX route: the hoster's autoconfig name, https only, the
	 * address's query. Evolution has none. */
	for (size_t i = 0; c != CLIENT_EVOLUTION && dns != NULL && i < dns->nmx;
	    i++)
		add(pl, FK_AUTOCONFIG, false, "the MX route",
		    "https://autoconfig.%s" AC_PATH "%s", dns->mx_domains[i],
		    qs);
	/* Thunderbird's last resort: Exchange's Autodiscover. */
	if (c == CLIENT_THUNDERBIRD) {
		add(pl, FK_POX, false, "Autodiscover", "https://%s" POX_PATH, d);
		add(pl, FK_POX, false, "Autodiscover", "https://autodiscover.%s"
		    POX_PATH, d);
	}
	buf_free(&q);
}

size_t
plan_client(enum client c, const struct email *em, const char *public_url,
    const struct plan_dns *dns, struct attempt *out)
{
	struct plan pl = { out, 0 };
	const char *d = em->domain;
	struct buf q = { 0 };

	switch (c) {
	case CLIENT_THUNDERBIRD:
	case CLIENT_THUNDERBIRD_ANDROID:
	case CLIENT_EVOLUTION:
		autoconfig_plan(c, em, dns, &pl);
		break;
	case CLIENT_OUTLOOK:
		add(&pl, FK_POX, true, NULL, "https://%s" POX_PATH, d);
		add(&pl, FK_POX, true, NULL, "https://autodiscover.%s"
		    POX_PATH, d);
		/* Outlook asks the person before it follows an SRV record
		 * or a redirect. */
		for (size_t i = 0; dns != NULL && i < dns->nsrv; i++)
			add(&pl, FK_POX, false, "the _autodiscover._tcp SRV "
			    "record", "https://%s" POX_PATH, dns->srv[i]);
		add(&pl, FK_POX_REDIRECT, false, "the http redirect",
		    "http://autodiscover.%s" POX_PATH, d);
		break;
	case CLIENT_APPLE:
		/* No discovery: the profile is installed from the link of
		 * the settings page. */
		url_query_encode(em->addr, &q);
		if (public_url != NULL)
			add(&pl, FK_PROFILE, true, NULL, "%s/email.mobileconfig"
			    "?emailaddress=%s", public_url, q.data);
		else
			add(&pl, FK_PROFILE, true, NULL, "https://autoconfig.%s"
			    "/email.mobileconfig?emailaddress=%s", d, q.data);
		break;
	case CLIENT_PACC:
		add(&pl, FK_PACC, true, NULL, "https://ua-auto-config.%s"
		    PACC_PATH, d);
		break;
	default:
		break;
	}
	buf_free(&q);
	return pl.n;
}

size_t
plan_mx_domains(const char *mx_host, const char *base, const char *domain,
    char out[2][DOMAIN_MAX + 1])
{
	const char *parent = strchr(mx_host, '.');
	size_t n = 0, plen, blen = strlen(base);

	if (parent != NULL) {
		parent++;
		plen = strlen(parent);
		/* mx1.mail.hoster.net: mail.hoster.net, then hoster.net. */
		if (plen > blen && parent[plen - blen - 1] == '.' &&
		    ascii_strcasecmp(parent + plen - blen, base) == 0 &&
		    ascii_strcasecmp(parent, domain) != 0)
			snprintf(out[n++], DOMAIN_MAX + 1, "%s", parent);
	}
	if (base[0] != '\0' && ascii_strcasecmp(base, domain) != 0)
		snprintf(out[n++], DOMAIN_MAX + 1, "%s", base);
	return n;
}

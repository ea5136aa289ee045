/* The URLs each client family fetches, in its order (PROTOCOLS.md): pure.
 * "autoconfd show" names the first, "autoconfd probe" fetches them all. */
#ifndef AUTOCONFD_PLAN_H
#define AUTOCONFD_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "answers.h"
#include "clientview.h"
#include "email.h"

#define PLAN_MAX 24		/* attempts of one client */
#define PLAN_MX_MAX 4		/* domains the MX route tries */
#define PLAN_SRV_MAX 4		/* _autodiscover._tcp targets */

/* What an answer is, and so how it is read. */
enum fetch_kind {
	FK_AUTOCONFIG,		/* config-v1.1 XML */
	FK_POX,			/* POST an Outlook request, read POX */
	FK_POX_REDIRECT,	/* GET on http expecting a redirect to POX */
	FK_PROFILE,		/* an Apple profile */
	FK_PACC,		/* the PACC document */
};

struct attempt {
	enum fetch_kind kind;
	char url[ANS_URL];
	/* An answer here means the client works; one only at a later,
	 * non-primary attempt is a fallback, named by via. */
	bool primary;
	const char *via;	/* "http", "the MX route", "SRV" ... */
};

/* What the DNS told, for the routes that need it (none for show). */
struct plan_dns {
	const char *mx_domains[PLAN_MX_MAX];	/* Thunderbird's MX route */
	size_t nmx;
	const char *srv[PLAN_SRV_MAX];		/* "host" or "host:port" */
	size_t nsrv;
};

/* The attempts of client c for the address em, into out (up to
 * PLAN_MAX); returns how many. public_url (or NULL) is where the Apple
 * profile is linked from. */
size_t plan_client(enum client c, const struct email *em,
    const char *public_url, const struct plan_dns *dns,
    struct attempt *out);

/* The domains Thunderbird's MX route asks for an MX host: its next
 * subdomain below the registrable domain, then that domain (base is the
 * registrable domain, from the public suffix list), never the address's
 * own domain. Returns how many (0-2) were written to out. */
size_t plan_mx_domains(const char *mx_host, const char *base,
    const char *domain, char out[2][DOMAIN_MAX + 1]);

/* Percent-encodes s for a URL query value. */
void url_query_encode(const char *s, struct buf *out);

#endif

/* "autoconfd probe": the state of one run. probe.c does the I/O (DNS,
 * HTTP, certificates) and fills it; probe_judge.c, pure, reads it as each
 * client would and writes the views and the checks. */
#ifndef AUTOCONFD_PROBE_H
#define AUTOCONFD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "certcheck.h"
#include "clientview.h"
#include "conf.h"
#include "dnsq.h"
#include "email.h"
#include "fetch.h"
#include "plan.h"
#include "views.h"

#define PROBE_DNS_MAX 96
#define PROBE_FETCH_MAX 128
#define PROBE_CERTS_MAX 24
#define PROBE_CHECKS_MAX 96
#define PROBE_HOPS 3		/* redirects followed */

/* The names of the domain the probe looks up (each A and AAAA). */
enum probe_name { PN_DOMAIN, PN_AUTOCONFIG, PN_AUTODISCOVER, PN_PACC,
    PN_MTA_STS, PN_COUNT };

/* A fetch made only for a check, not by a client's plan. */
enum extra_kind {
	EX_NONE,
	EX_POX_CASE,		/* POX at a path in another case */
	EX_AD_JSON,		/* Autodiscover v2, ?Email= */
	EX_AD_JSON_V1,		/* Autodiscover v2, /v1.0/<address> */
	EX_PACC_NOEXT,		/* PACC without ".json" */
	EX_AC_V11,		/* /v1.1/mail/config-v1.1.xml */
	EX_MTA_STS,		/* the MTA-STS policy */
};

struct probe_fetch {
	struct fetch f;
	int hop;		/* the fetch that follows its redirect, or -1 */
	int depth;		/* redirects before it */
	bool follow;		/* a client follows its redirect */
	bool follow_post;	/* ... with the Outlook request (POST) */
	enum extra_kind extra;
	char host[DOMAIN_MAX + 1];	/* of the URL */
	long port;
	bool https;
	bool no_address;	/* the name has no address: not fetched */
};

struct probe_cert {
	char host[DOMAIN_MAX + 1];
	long port;
	bool reached;		/* a chain came back */
	char error[256];	/* why not */
	struct cert_report r;
};

struct probe {
	/* What is asked. */
	char domain[DOMAIN_MAX + 1];
	struct email em;
	const struct conf *conf;	/* NULL: nothing to compare with */
	const struct provider *p;	/* NULL: the config does not serve it */
	time_t now;
	/* DNS, as asked (probe_dns() finds an answer). */
	struct dns_answer dns[PROBE_DNS_MAX];
	size_t ndns;
	/* The routes that come from DNS. */
	char mx_domains[PLAN_MX_MAX][DOMAIN_MAX + 1];
	char srv_targets[PLAN_SRV_MAX][DOMAIN_MAX + 8];
	struct plan_dns pdns;
	/* Each client's attempts, and the fetch each made. */
	struct attempt plan[CLIENT_COUNT][PLAN_MAX];
	size_t nplan[CLIENT_COUNT];
	int plan_fetch[CLIENT_COUNT][PLAN_MAX];
	struct probe_fetch fetch[PROBE_FETCH_MAX];
	size_t nfetch;
	struct probe_cert certs[PROBE_CERTS_MAX];
	size_t ncerts;
	/* The verdicts. */
	struct client_view views[CLIENT_COUNT];
	struct check checks[PROBE_CHECKS_MAX];
	size_t nchecks;
};

/* The answer to a question asked, or NULL. */
const struct dns_answer *probe_dns(const struct probe *pr, const char *name,
    enum dns_type type);
/* The name of the domain for pn: "autoconfig.example.com". */
void probe_name(const struct probe *pr, enum probe_name pn, char *out,
    size_t outsz);
/* The Outlook request for the address (POST body). */
void probe_pox_request(const struct email *em, struct buf *out);

/* Reads every client's answers and fills views and checks. */
void probe_judge(struct probe *pr);
/* True when every client works: the exit status. */
bool probe_all_work(const struct probe *pr);

/* The digest of a "v=UAAC1; a=sha256; d=..." record into d (44
 * characters and a NUL); -1 if the record is not one. */
int pacc_txt_digest(const char *txt, char *d, size_t dsz);

#endif

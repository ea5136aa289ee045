/* DNS look-ups for "autoconfd probe", through c-ares: many questions at
 * once, to the system's resolvers or to one chosen server, each answer
 * parsed into plain records. */
#ifndef AUTOCONFD_DNSQ_H
#define AUTOCONFD_DNSQ_H

#include <stdbool.h>
#include <stddef.h>

#include "email.h"

#define DNS_RR_MAX 16
#define DNS_TEXT 512

enum dns_type { DNS_A, DNS_AAAA, DNS_MX, DNS_SRV, DNS_TXT };
enum dns_status {
	DNS_PENDING,
	DNS_OK,			/* records in rr */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_NODATA,		/* the name exists, without such records */
	DNS_FAIL,		/* no answer: error says why */
};

/* One record: MX a = preference, text = host; SRV a = priority,
 * b = weight, c = port, text = target ("." for none); TXT text = the
 * strings of the record joined; A and AAAA text = the address. */
struct dns_rr {
	unsigned int a, b, c;
	char text[DNS_TEXT];
};

struct dns_answer {
	char name[DOMAIN_MAX + 1];
	enum dns_type type;
	enum dns_status status;
	char error[128];
	struct dns_rr rr[DNS_RR_MAX];
	size_t n;
};

struct dnsq;

/* A resolver: server "IP", "IP:PORT", "[IPv6]:PORT", or NULL for the
 * system's (/etc/resolv.conf). NULL with *why set on error. */
struct dnsq *dnsq_new(const char *server, const char **why);
void dnsq_free(struct dnsq *q);
/* Asks; the answer is filled in by dnsq_run(). a must stay put. */
void dnsq_ask(struct dnsq *q, struct dns_answer *a, const char *name,
    enum dns_type type);
/* Waits for every question asked (bounded by the resolver's timeouts). */
void dnsq_run(struct dnsq *q);

const char *dns_type_name(enum dns_type t);	/* "AAAA" */
/* "no such name", "no AAAA record", or the error. */
const char *dns_status_text(const struct dns_answer *a, char *buf,
    size_t bufsz);

#endif

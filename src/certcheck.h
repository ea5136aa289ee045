/* The certificate a server presented, judged as mail clients judge it:
 * the name asked for, a chain to a trusted CA, the validity period. The
 * chain comes from fetch.c; GnuTLS does the checking. */
#ifndef AUTOCONFD_CERTCHECK_H
#define AUTOCONFD_CERTCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Certificates that end within this many days are reported. */
#define CERT_RENEW_DAYS 14

struct certcheck;

struct cert_report {
	bool ok;		/* name, chain and dates good, not ending soon */
	bool name_ok, chain_ok, dates_ok;
	char detail[1024];
};

/* The trust anchors: the PEM file ca_file, or the system's. NULL with
 * *why set if they cannot be loaded. */
struct certcheck *certcheck_new(const char *ca_file, const char **why);
void certcheck_free(struct certcheck *cc);
/* Judges the chain (PEM, leaf first) presented for host at time now. */
void certcheck_run(const struct certcheck *cc, char *const *pem, size_t n,
    const char *host, time_t now, struct cert_report *r);

#endif

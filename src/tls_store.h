/* The certificates of direct HTTPS, indexed by the names they are for:
 * "tls.certificate"/"key" (the default), the pairs of "certificates" and
 * the certbot directory "certificate_dir" (live/NAME/fullchain.pem and
 * privkey.pem). tls.c picks from a store per handshake by the client's
 * SNI: the exact name, then a wildcard, then the default. */
#ifndef AUTOCONFD_TLS_STORE_H
#define AUTOCONFD_TLS_STORE_H

#include <time.h>

#include <gnutls/abstract.h>

#include "conf.h"

struct tls_cert {
	gnutls_pcert_st *pcert;		/* the chain, leaf first */
	unsigned int npcert;
	gnutls_privkey_t key;
	time_t expires;			/* of the leaf */
	const char *name;		/* its first DNS name, for people */
	const char **names;		/* every name it is for */
	size_t nnames;
};

struct tls_inter;

struct tls_slot {
	const char *name;		/* lowercase; "*.x" for a wildcard */
	struct tls_cert *cert;
};

struct tls_creds {
	struct tls_cert *certs;
	size_t ncerts, cap;
	struct tls_cert *dflt;		/* when no name matches */
	struct tls_slot *tab;		/* open addressing */
	size_t mask;
	struct region *r;		/* names */
	struct tls_inter **inter;	/* intermediates, shared */
	unsigned int refs;		/* tls.c's, under its lock */
	bool tickets;			/* tls.session_tickets */
};

/* Within this many seconds of expiry a certificate is a warning. */
#define TLS_EXPIRY_WARN (14 * 86400)

/* Loads what t names; NULL with the reasons in d when a configured
 * certificate or key cannot be used (a broken pair of certificate_dir is
 * a warning and left out). Certificates expiring soon are warnings. */
struct tls_creds *tls_store_load(const char *conf_path,
    const struct tls_conf *t, struct diag *d);
void tls_store_free(struct tls_creds *c);

/* The certificate for a server name (the client's SNI, any case, NULL if
 * it sent none). */
const struct tls_cert *tls_store_find(const struct tls_creds *c,
    const char *name);

#endif

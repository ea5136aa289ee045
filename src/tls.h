/* Direct HTTPS: the certificates and keys of the "tls" config, loaded with
 * GnuTLS and handed to libmicrohttpd per handshake, chosen by the client's
 * SNI (tls_store.h), so a reload (SIGHUP) gives new connections the new
 * certificates without a restart. */
#ifndef AUTOCONFD_TLS_H
#define AUTOCONFD_TLS_H

#include <stdbool.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "conf.h"

struct tls_creds;

/* Loads and checks (keys match certificates) what t names. NULL with the
 * reason in d (as "file: tls.certificate: ...") on failure; certificates
 * that expire within 14 days are warnings in d. */
struct tls_creds *tls_load(const char *conf_path, const struct tls_conf *t,
    struct diag *d);
void tls_free(struct tls_creds *c);

/* Makes c the credentials of new handshakes; the previous ones are freed
 * once no connection uses them. */
void tls_publish(struct tls_creds *c);
/* A reference to the credentials of new handshakes (NULL: none), and
 * giving one back (NULL: none). */
struct tls_creds *tls_creds_acquire(void);
void tls_creds_release(struct tls_creds *c);
/* What a handshake uses of c: the chain and the key of the default
 * certificate, or of the one for a server name (SNI; NULL: the default). */
void tls_creds_get(struct tls_creds *c, gnutls_pcert_st **pcert,
    unsigned int *npcert, gnutls_privkey_t *key);
void tls_creds_get_for(struct tls_creds *c, const char *name,
    gnutls_pcert_st **pcert, unsigned int *npcert, gnutls_privkey_t *key);

/* The Prometheus lines of the published certificates' expiry times. */
void tls_metrics(struct buf *out);

/* Per connection, before its handshake: session tickets on. */
void tls_session_setup(gnutls_session_t session);

/* True when this libmicrohttpd can serve TLS. */
bool tls_supported(void);

/* The MHD_OPTION_HTTPS_CERT_CALLBACK function (a GnuTLS
 * gnutls_certificate_retrieve_function2). */
void *tls_cert_callback(void);

/* GnuTLS priorities for MHD_OPTION_HTTPS_PRIORITIES: TLS 1.3 and 1.2;
 * the server's order decides, and it puts first what is cheapest to
 * set up: AES-128-GCM (its SHA-256 key schedule: SHA-384, chosen for
 * OpenSSL clients otherwise, was a seventh of a full handshake's CPU;
 * this CPU has SHA-NI for SHA-256 and nothing for SHA-512), then
 * ChaCha20 and AES-256-GCM; X25519 first among the groups (the key share
 * clients send first, so no HelloRetryRequest). */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" \
	"-CIPHER-ALL:+AES-128-GCM:+CHACHA20-POLY1305:+AES-256-GCM:" \
	"-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:" \
	"%SERVER_PRECEDENCE"

#endif

/* Direct HTTPS: the certificate and key of the "tls" config, loaded with
 * GnuTLS and handed to libmicrohttpd per handshake, so a reload (SIGHUP)
 * gives new connections the new certificate without a restart. */
#ifndef AUTOCONFD_TLS_H
#define AUTOCONFD_TLS_H

#include <stdbool.h>

#include <gnutls/gnutls.h>

#include "conf.h"

struct tls_creds;

/* Loads and checks (key matches certificate) what t names. NULL with the
 * reason in d (as "file: tls.certificate: ...") on failure. */
struct tls_creds *tls_load(const char *conf_path, const struct tls_conf *t,
    struct diag *d);
void tls_free(struct tls_creds *c);

/* Makes c the credentials of new handshakes; the previous ones are freed
 * once no connection uses them. */
void tls_publish(struct tls_creds *c);
/* Gives back a connection's reference (NULL: none). */
void tls_creds_release(struct tls_creds *c);

/* Per connection, before its handshake: session tickets on. */
void tls_session_setup(gnutls_session_t session);

/* True when this libmicrohttpd can serve TLS. */
bool tls_supported(void);

/* The MHD_OPTION_HTTPS_CERT_CALLBACK function (a GnuTLS
 * gnutls_certificate_retrieve_function2). */
void *tls_cert_callback(void);

/* GnuTLS priorities for MHD_OPTION_HTTPS_PRIORITIES. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

#endif

/* Direct HTTPS: the certificates and keys of the "tls" config, loaded with
 * GnuTLS and handed to libmicrohttpd per handshake, chosen by the client's
 * SNI (tls_store.h), so a reload (SIGHUP) gives new connections the new
 * certificates without a restart. */
#ifndef AUTOCONFD_TLS_H
#define AUTOCONFD_TLS_H

#include <stdbool.h>

#include "conf.h"

struct tls_creds;

/* Loads and checks (keys match certificates) what t names. NULL with the
 * reason in d (as "file: tls.certificate: ...") on failure; certificates
 * that expire within 14 days are warnings in d. */
struct tls_creds *tls_load(const char *conf_path, const struct tls_conf *t,
    struct diag *d);
void tls_free(struct tls_creds *c);

/* Makes c the credentials of new handshakes. */
void tls_publish(struct tls_creds *c);

/* The Prometheus lines of the published certificates' expiry times. */
void tls_metrics(struct buf *out);

/* True when this libmicrohttpd can serve TLS. */
bool tls_supported(void);

/* The MHD_OPTION_HTTPS_CERT_CALLBACK function (a GnuTLS
 * gnutls_certificate_retrieve_function2). */
void *tls_cert_callback(void);

/* GnuTLS priorities for MHD_OPTION_HTTPS_PRIORITIES. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

#endif

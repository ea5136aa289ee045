/* CMS (PKCS #7) SignedData for Apple profiles, with GnuTLS: DER, content
 * attached, signer certificate and chain included, SHA-256, no signing time.
 * With an RSA key (PKCS #1 v1.5 is deterministic) the same profile always
 * signs to the same bytes; an ECDSA signature takes a random nonce, so only
 * its signature value varies (gnutls_pkcs7_sign offers no RFC 6979 mode). */
#ifndef AUTOCONFD_SIGNER_H
#define AUTOCONFD_SIGNER_H

#include <stddef.h>

#include "conf.h"
#include "util.h"

struct signer;

/* Reads and checks the certificate, key and chain files: they parse, the
 * key matches the certificate, a test signature works. NULL on error, with
 * "name: signing.<key>: reason" lines in d (warnings for an expired or not
 * yet valid certificate). */
struct signer *signer_new(const struct signing_conf *sc, const char *name,
    struct diag *d);
void signer_free(struct signer *sg);

/* Appends the DER SignedData of data to out. Thread-safe. */
int signer_sign(struct signer *sg, const void *data, size_t len,
    struct buf *out);

#endif

/* Digests the renderers need: the PACC TXT record, CSP hashes and the
 * name-based UUIDs of Apple profiles. Pure functions over GnuTLS's hashes. */
#ifndef AUTOCONFD_DIGEST_H
#define AUTOCONFD_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_B64_LEN 44	/* base64 of 32 bytes, without the NUL */
#define UUID_STR_LEN 36

/* Base64 (RFC 4648, padded) of the SHA-256 of data; out gets a NUL. */
void digest_sha256_b64(const void *data, size_t len,
    char out[DIGEST_B64_LEN + 1]);

/* The first n bytes (at most 32) of the SHA-256 of data in lowercase
 * hex; out gets 2n characters and a NUL. */
void digest_sha256_hex(const void *data, size_t len, size_t n, char *out);

/* An RFC 4122 version 5 (SHA-1, name-based) UUID, upper case as Apple
 * writes them. */
void uuid_v5(const uint8_t ns[16], const char *name,
    char out[UUID_STR_LEN + 1]);

#endif

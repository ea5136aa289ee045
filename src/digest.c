#include "config.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/sha1.h>

#include "digest.h"
#include "log.h"
#include "util.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
digest_sha256_b64(const void *data, size_t len, char out[DIGEST_B64_LEN + 1])
{
	uint8_t h[33] = { 0 };	/* one spare zero byte rounds to 3s */
	size_t i, o = 0;

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, h) < 0)
		fatalx("SHA-256 unavailable");
	for (i = 0; i < 33; i += 3) {
		uint32_t v = (uint32_t)h[i] << 16 | (uint32_t)h[i + 1] << 8 |
		    h[i + 2];

		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	out[DIGEST_B64_LEN - 1] = '=';	/* 32 bytes: one padding char */
	out[DIGEST_B64_LEN] = '\0';
}

void
digest_sha256_hex(const void *data, size_t len, size_t n, char *out)
{
	uint8_t h[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, h) < 0)
		fatalx("SHA-256 unavailable");
	for (size_t i = 0; i < n && i < sizeof(h); i++) {
		*out++ = "0123456789abcdef"[h[i] >> 4];
		*out++ = "0123456789abcdef"[h[i] & 15];
	}
	*out = '\0';
}

void
uuid_v5(const uint8_t ns[16], const char *name, char out[UUID_STR_LEN + 1])
{
	/* nettle's SHA-1 directly: a context on the stack, where GnuTLS's
	 * hash API allocates one per call (four per Apple profile). */
	struct sha1_ctx ctx;
	uint8_t h[SHA1_DIGEST_SIZE];

	sha1_init(&ctx);
	sha1_update(&ctx, 16, ns);
	sha1_update(&ctx, strlen(name), (const uint8_t *)name);
	sha1_digest(&ctx, sizeof(h), h);
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x50);	/* version 5 */
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	/* 8-4-4-4-12 uppercase hex digits; no snprintf() on a path run per
	 * request (Apple profiles). */
	for (size_t i = 0, o = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = "0123456789ABCDEF"[h[i] >> 4];
		out[o++] = "0123456789ABCDEF"[h[i] & 15];
	}
	out[UUID_STR_LEN] = '\0';
}

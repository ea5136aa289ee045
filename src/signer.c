#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>

#include "signer.h"

#define CHAIN_MAX 16

struct signer {
	pthread_mutex_t lock;	/* one signature at a time on the key */
	gnutls_x509_crt_t *certs;	/* certs[0] signs; the rest: chain */
	unsigned int ncerts;
	gnutls_privkey_t key;
};

__attribute__((format(printf, 4, 5)))
static void
fail(struct diag *d, const char *name, const char *what, const char *fmt,
    ...)
{
	va_list ap;

	buf_printf(&d->errors, "%s: signing.%s: ", name, what);
	va_start(ap, fmt);
	buf_vprintf(&d->errors, fmt, ap);
	va_end(ap);
	buf_putc(&d->errors, '\n');
	d->nerrors++;
}

/* Appends the certificates of a PEM file to sg->certs. */
static int
load_certs(struct signer *sg, const char *file, const char *what,
    const char *name, struct diag *d)
{
	gnutls_datum_t data = { NULL, 0 };
	gnutls_x509_crt_t *list = NULL;
	unsigned int n = 0;
	int e;

	if ((e = gnutls_load_file(file, &data)) < 0) {
		fail(d, name, what, "cannot read %s: %s", file,
		    gnutls_strerror(e));
		return -1;
	}
	e = gnutls_x509_crt_list_import2(&list, &n, &data, GNUTLS_X509_FMT_PEM,
	    GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	gnutls_free(data.data);
	if (e < 0 || n == 0) {
		fail(d, name, what, "%s holds no valid PEM certificate: %s",
		    file, e < 0 ? gnutls_strerror(e) : "none found");
		return -1;
	}
	if (sg->ncerts + n > CHAIN_MAX) {
		fail(d, name, what, "more than %d certificates", CHAIN_MAX);
		for (unsigned int i = 0; i < n; i++)
			gnutls_x509_crt_deinit(list[i]);
		gnutls_free(list);
		return -1;
	}
	memcpy(sg->certs + sg->ncerts, list, n * sizeof(*list));
	sg->ncerts += n;
	gnutls_free(list);
	return 0;
}

static int
load_key(struct signer *sg, const char *file, const char *name,
    struct diag *d)
{
	gnutls_datum_t data = { NULL, 0 };
	int e;

	if ((e = gnutls_load_file(file, &data)) < 0) {
		fail(d, name, "key", "cannot read %s: %s", file,
		    gnutls_strerror(e));
		return -1;
	}
	gnutls_privkey_init(&sg->key);
	/* No password: an encrypted key fails here, saying so. */
	e = gnutls_privkey_import_x509_raw(sg->key, &data, GNUTLS_X509_FMT_PEM,
	    NULL, 0);
	gnutls_memset(data.data, 0, data.size);
	gnutls_free(data.data);
	if (e < 0) {
		fail(d, name, "key", "%s: not an unencrypted PEM private key: "
		    "%s", file, gnutls_strerror(e));
		return -1;
	}
	return 0;
}

static bool
key_matches(struct signer *sg)
{
	gnutls_pubkey_t pub;
	uint8_t a[64], b[64];
	size_t alen = sizeof(a), blen = sizeof(b);
	bool ok;

	if (gnutls_pubkey_init(&pub) < 0)
		return false;
	ok = gnutls_pubkey_import_privkey(pub, sg->key, 0, 0) == 0 &&
	    gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a,
	    &alen) == 0 &&
	    gnutls_x509_crt_get_key_id(sg->certs[0], GNUTLS_KEYID_USE_SHA256,
	    b, &blen) == 0 && alen == blen && memcmp(a, b, alen) == 0;
	gnutls_pubkey_deinit(pub);
	return ok;
}

struct signer *
signer_new(const struct signing_conf *sc, const char *name, struct diag *d)
{
	struct signer *sg = xcalloc(1, sizeof(*sg));
	struct buf test = { 0 };
	time_t now = time(NULL);

	pthread_mutex_init(&sg->lock, NULL);
	sg->certs = xcalloc(CHAIN_MAX, sizeof(*sg->certs));
	if (load_certs(sg, sc->certificate, "certificate", name, d) < 0 ||
	    (sc->chain != NULL &&
	    load_certs(sg, sc->chain, "chain", name, d) < 0) ||
	    load_key(sg, sc->key, name, d) < 0)
		goto bad;
	if (!key_matches(sg)) {
		fail(d, name, "key", "%s does not belong to the certificate in "
		    "%s", sc->key, sc->certificate);
		goto bad;
	}
	if (signer_sign(sg, "test", 4, &test) < 0) {
		fail(d, name, "key", "%s cannot sign", sc->key);
		goto bad;
	}
	buf_free(&test);
	if (gnutls_x509_crt_get_expiration_time(sg->certs[0]) < now) {
		buf_printf(&d->warnings, "%s: signing.certificate: warning: "
		    "%s has expired: devices show profiles as not verified "
		    "[signing-expired]\n",
		    name, sc->certificate);
		d->nwarnings++;
	} else if (gnutls_x509_crt_get_activation_time(sg->certs[0]) > now) {
		buf_printf(&d->warnings, "%s: signing.certificate: warning: "
		    "%s is not valid yet [signing-not-yet-valid]\n", name,
		    sc->certificate);
		d->nwarnings++;
	}
	return sg;
bad:
	buf_free(&test);
	signer_free(sg);
	return NULL;
}

void
signer_free(struct signer *sg)
{
	if (sg == NULL)
		return;
	for (unsigned int i = 0; i < sg->ncerts; i++)
		gnutls_x509_crt_deinit(sg->certs[i]);
	free(sg->certs);
	if (sg->key != NULL)
		gnutls_privkey_deinit(sg->key);
	pthread_mutex_destroy(&sg->lock);
	free(sg);
}

int
signer_sign(struct signer *sg, const void *data, size_t len, struct buf *out)
{
	gnutls_datum_t in = { (unsigned char *)(uintptr_t)data,
	    (unsigned int)len }, der = { NULL, 0 };
	gnutls_pkcs7_t p7;
	int e;

	if (gnutls_pkcs7_init(&p7) < 0)
		return -1;
	pthread_mutex_lock(&sg->lock);
	/* No GNUTLS_PKCS7_INCLUDE_TIME: a signing time would change the
	 * bytes every second, and devices do not need it. */
	e = gnutls_pkcs7_sign(p7, sg->certs[0], sg->key, &in, NULL, NULL,
	    GNUTLS_DIG_SHA256, GNUTLS_PKCS7_EMBED_DATA |
	    GNUTLS_PKCS7_INCLUDE_CERT);
	pthread_mutex_unlock(&sg->lock);
	for (unsigned int i = 1; e >= 0 && i < sg->ncerts; i++)
		e = gnutls_pkcs7_set_crt(p7, sg->certs[i]);
	if (e >= 0)
		e = gnutls_pkcs7_export2(p7, GNUTLS_X509_FMT_DER, &der);
	if (e >= 0)
		buf_add(out, der.data, der.size);
	gnutls_free(der.data);
	gnutls_pkcs7_deinit(p7);
	return e < 0 ? -1 : 0;
}

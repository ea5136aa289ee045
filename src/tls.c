#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "email.h"
#include "tls.h"
#include "tls_store.h"

static _Atomic(struct tls_creds *) current;
/* A handshake may still use the credentials it picked up just before a
 * reload: the replaced ones are kept for one more reload. */
static struct tls_creds *retired;

/* The expiry metric of the certificates published, rendered at publish:
 * /metrics never looks into a store a reload may free. */
static pthread_mutex_t expiry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct buf expiry;

bool
tls_supported(void)
{
	return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES &&
	    MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) ==
	    MHD_YES;
}

void
tls_free(struct tls_creds *c)
{
	tls_store_free(c);
}

struct tls_creds *
tls_load(const char *conf_path, const struct tls_conf *t, struct diag *d)
{
	return tls_store_load(conf_path, t, d);
}

/* One line per certificate, labelled with its first name; where two have
 * that name, the one SNI picks for it. */
static void
render_expiry(const struct tls_creds *c, struct buf *out)
{
	out->len = 0;
	buf_puts(out, "# HELP autoconfd_tls_certificate_expiry_timestamp_seconds "
	    "When each TLS certificate served expires, seconds since the "
	    "epoch.\n# TYPE autoconfd_tls_certificate_expiry_timestamp_seconds "
	    "gauge\n");
	for (size_t i = 0; c != NULL && i < c->ncerts; i++) {
		const struct tls_cert *t = &c->certs[i];

		/* Names are normalised host names: nothing to escape. */
		if (t->name != NULL && tls_store_find(c, t->name) == t)
			buf_printf(out, "autoconfd_tls_certificate_expiry_"
			    "timestamp_seconds{name=\"%s\"} %lld\n", t->name,
			    (long long)t->expires);
	}
}

void
tls_publish(struct tls_creds *c)
{
	struct tls_creds *old = atomic_exchange(&current, c);

	pthread_mutex_lock(&expiry_lock);
	if (c != NULL)
		render_expiry(c, &expiry);
	else
		buf_free(&expiry);
	pthread_mutex_unlock(&expiry_lock);
	tls_free(retired);
	retired = old;
}

void
tls_metrics(struct buf *out)
{
	pthread_mutex_lock(&expiry_lock);
	if (expiry.len > 0)
		buf_add(out, expiry.data, expiry.len);
	pthread_mutex_unlock(&expiry_lock);
}

static int
cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
    int nreqs, const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *privkey)
{
	struct tls_creds *c = atomic_load(&current);
	char name[DOMAIN_MAX + 2];
	size_t len = sizeof(name);
	unsigned int type;
	const struct tls_cert *t;

	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (c == NULL)
		return -1;
	/* By the client's SNI: the exact name, a wildcard, the default. */
	if (gnutls_server_name_get(session, name, &len, &type, 0) == 0 &&
	    type == GNUTLS_NAME_DNS)
		t = tls_store_find(c, name);
	else
		t = tls_store_find(c, NULL);
	*pcert = t->pcert;
	*pcert_length = t->npcert;
	*privkey = t->key;
	return 0;
}

void *
tls_cert_callback(void)
{
	return (void *)cert_callback;
}

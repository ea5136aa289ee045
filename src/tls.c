#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "email.h"
#include "log.h"
#include "worker.h"
#include "tls.h"
#include "tls_store.h"

/* The credentials new handshakes get: a store of certificates, chosen
 * from per handshake by the client's SNI (tls_store.h). A session keeps
 * pointers into the store it was given for as long as it lives, so each
 * connection holds a reference (taken in the certificate callback, given
 * back when the connection closes), and publishing gives up the
 * publisher's: the last one out frees them. A lock, not atomics alone:
 * taking a reference must not race with the last release. Once per
 * handshake, it is never hot. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_creds *current;

/* The expiry metric of the certificates published, rendered at publish:
 * /metrics never looks into a store a reload may free. */
static pthread_mutex_t expiry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct buf expiry;

/* The session ticket key (RFC 5077 tickets, TLS 1.3 PSK resumption):
 * made once per process, kept across reloads so that resumption survives
 * them. GnuTLS derives rotating keys from it. */
static gnutls_datum_t ticket_key;
static atomic_bool tickets;		/* of the current credentials */

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
	struct tls_creds *c = tls_store_load(conf_path, t, d);

	if (c != NULL) {
		c->refs = 1;
		c->tickets = t->session_tickets;
	}
	return c;
}

void
tls_creds_release(struct tls_creds *c)
{
	bool last;

	if (c == NULL)
		return;
	pthread_mutex_lock(&lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&lock);
	if (last)
		tls_free(c);
}

/* One line per certificate, labelled with its first name; where two have
 * that name, the one SNI picks for it. */
static void
render_expiry(const struct tls_creds *c, struct buf *out)
{
	out->len = 0;
	buf_puts(out, "# HELP autoconfd_tls_certificate_expiry_timestamp_"
	    "seconds When each TLS certificate served expires, seconds since "
	    "the epoch.\n# TYPE autoconfd_tls_certificate_expiry_timestamp_"
	    "seconds gauge\n");
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
	struct tls_creds *old;

	if (ticket_key.data == NULL &&
	    gnutls_session_ticket_key_generate(&ticket_key) < 0)
		fatalx("cannot make a session ticket key");
	atomic_store(&tickets, c != NULL && c->tickets);
	pthread_mutex_lock(&expiry_lock);
	if (c != NULL)
		render_expiry(c, &expiry);
	else
		buf_free(&expiry);
	pthread_mutex_unlock(&expiry_lock);
	pthread_mutex_lock(&lock);
	old = current;
	current = c;
	pthread_mutex_unlock(&lock);
	tls_creds_release(old);
}

void
tls_metrics(struct buf *out)
{
	pthread_mutex_lock(&expiry_lock);
	if (expiry.len > 0)
		buf_add(out, expiry.data, expiry.len);
	pthread_mutex_unlock(&expiry_lock);
}

void
tls_creds_get(struct tls_creds *c, gnutls_pcert_st **pcert,
    unsigned int *npcert, gnutls_privkey_t *key)
{
	tls_creds_get_for(c, NULL, pcert, npcert, key);
}

void
tls_creds_get_for(struct tls_creds *c, const char *name,
    gnutls_pcert_st **pcert, unsigned int *npcert, gnutls_privkey_t *key)
{
	const struct tls_cert *t = tls_store_find(c, name);

	*pcert = t->pcert;
	*npcert = t->npcert;
	*key = t->key;
}

struct tls_creds *
tls_creds_acquire(void)
{
	struct tls_creds *c;

	pthread_mutex_lock(&lock);
	if ((c = current) != NULL)
		c->refs++;
	pthread_mutex_unlock(&lock);
	return c;
}

/* ---- reading ahead ----------------------------------------------------
 * GnuTLS reads a record's 5-byte header and then its body, each with a
 * recv(), and tries once more until the socket is empty: about 18 calls
 * per connection for a handshake and one request, 10 of them finding
 * nothing. Here one recv() takes what has come into a buffer of the
 * connection, and GnuTLS's reads are served from it. When a read found
 * the socket empty, GnuTLS is told "again" without asking the kernel for
 * the rest of the worker's round: bytes that come later make a new
 * epoll event, handled in a later round, which reads for real. While the
 * buffer holds bytes the library has not been told "again", so it reads
 * on, as it would from the socket. */

#define RX_SIZE 4096

static ssize_t
pull(gnutls_transport_ptr_t ptr, void *data, size_t size)
{
	int fd = (int)(intptr_t)ptr;
	struct conn *cs = edge_conn_by_fd(fd);
	ssize_t n;

	if (cs == NULL)
		return recvfrom(fd, data, size, 0, NULL, NULL);
	if (cs->rx.off < cs->rx.len) {
		size_t k = cs->rx.len - cs->rx.off;

		if (k > size)
			k = size;
		memcpy(data, cs->rx.data + cs->rx.off, k);
		cs->rx.off = (uint16_t)(cs->rx.off + k);
		return (ssize_t)k;
	}
	if (cs->rx.drained && cs->rx.epoch == edge_round) {
		errno = EAGAIN;
		return -1;
	}
	cs->rx.drained = false;
	if (size >= RX_SIZE) {
		n = recvfrom(fd, data, size, 0, NULL, NULL);
		if (n > 0)
			edge_progress = true;
		if (n >= 0 && (size_t)n < size) {
			cs->rx.drained = true;
			cs->rx.epoch = edge_round;
		}
		return n;
	}
	if (cs->rx.data == NULL)
		cs->rx.data = xmalloc(RX_SIZE);
	n = recvfrom(fd, cs->rx.data, RX_SIZE, 0, NULL, NULL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			cs->rx.drained = true;
			cs->rx.epoch = edge_round;
		}
		return n;
	}
	if (n < RX_SIZE) {
		cs->rx.drained = true;
		cs->rx.epoch = edge_round;
	}
	edge_progress = true;
	cs->rx.off = 0;
	cs->rx.len = (uint16_t)n;
	return n == 0 ? 0 : pull(ptr, data, size);
}

/* Whether data can be read within ms (GnuTLS asks in some states). */
static int
pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	int fd = (int)(intptr_t)ptr;
	struct conn *cs = edge_conn_by_fd(fd);
	struct pollfd p = { fd, POLLIN, 0 };

	if (cs != NULL && cs->rx.off < cs->rx.len)
		return 1;
	return poll(&p, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

void
tls_session_setup(gnutls_session_t session)
{
	gnutls_transport_set_pull_function(session, pull);
	gnutls_transport_set_pull_timeout_function(session, pull_timeout);
	if (ticket_key.data != NULL && atomic_load_explicit(&tickets,
	    memory_order_relaxed) &&
	    gnutls_session_ticket_enable_server(session, &ticket_key) < 0)
		log_debug("session tickets not enabled for a connection");
}

static int
cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
    int nreqs, const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *privkey)
{
	struct conn *cs = edge_conn_by_fd(gnutls_transport_get_int(session));
	char name[DOMAIN_MAX + 2];
	size_t len = sizeof(name);
	unsigned int type;
	struct tls_creds *c;

	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (cs == NULL || (c = tls_creds_acquire()) == NULL)
		return -1;
	tls_creds_release(cs->creds);
	cs->creds = c;
	/* By the client's SNI: the exact name, a wildcard, the default. */
	if (gnutls_server_name_get(session, name, &len, &type, 0) != 0 ||
	    type != GNUTLS_NAME_DNS)
		tls_creds_get(c, pcert, pcert_length, privkey);
	else
		tls_creds_get_for(c, name, pcert, pcert_length, privkey);
	return 0;
}

void *
tls_cert_callback(void)
{
	return (void *)cert_callback;
}

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
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "log.h"
#include "worker.h"
#include "tls.h"

#define CHAIN_MAX 8

struct tls_creds {
	gnutls_pcert_st pcert[CHAIN_MAX];
	unsigned int npcert;
	gnutls_privkey_t key;
	unsigned int refs;		/* under lock */
	bool tickets;			/* tls.session_tickets */
};

/* The credentials new handshakes get. A session keeps pointers into the
 * ones it was given for as long as it lives, so each connection holds a
 * reference (taken in the certificate callback, given back when the
 * connection closes), and publishing gives up the publisher's: the last
 * one out frees them. A lock, not atomics alone: taking a reference must
 * not race with the last release. Once per handshake, it is never hot. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_creds *current;

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
	if (c == NULL)
		return;
	for (unsigned int i = 0; i < c->npcert; i++)
		gnutls_pcert_deinit(&c->pcert[i]);
	if (c->key != NULL)
		gnutls_privkey_deinit(c->key);
	free(c);
}

static void
fail(struct diag *d, const char *conf_path, const char *key,
    const char *file, const char *why)
{
	buf_printf(&d->errors, "%s: tls.%s: %s: %s\n", conf_path, key, file,
	    why);
	d->nerrors++;
}

/* The DER public key of a certificate or a private key, to compare. */
static int
pubkey_der(gnutls_pubkey_t pk, gnutls_datum_t *out)
{
	return gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, out);
}

static bool
key_matches(struct tls_creds *c)
{
	gnutls_pubkey_t pk;
	gnutls_datum_t a = { NULL, 0 }, b = { NULL, 0 };
	bool same = false;

	if (gnutls_pubkey_init(&pk) < 0)
		return false;
	if (gnutls_pubkey_import_privkey(pk, c->key, 0, 0) == 0 &&
	    pubkey_der(pk, &a) == 0 && pubkey_der(c->pcert[0].pubkey, &b) == 0)
		same = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	gnutls_pubkey_deinit(pk);
	return same;
}

struct tls_creds *
tls_load(const char *conf_path, const struct tls_conf *t, struct diag *d)
{
	struct tls_creds *c = xcalloc(1, sizeof(*c));
	gnutls_datum_t data = { NULL, 0 };
	int r;

	if ((r = gnutls_load_file(t->certificate, &data)) < 0) {
		fail(d, conf_path, "certificate", t->certificate,
		    "cannot read the file");
		goto bad;
	}
	c->npcert = CHAIN_MAX;
	r = gnutls_pcert_list_import_x509_raw(c->pcert, &c->npcert, &data,
	    GNUTLS_X509_FMT_PEM, 0);
	gnutls_free(data.data);
	if (r < 0 || c->npcert == 0) {
		c->npcert = 0;
		fail(d, conf_path, "certificate", t->certificate,
		    r < 0 ? gnutls_strerror(r) : "no certificate in the file");
		goto bad;
	}
	if ((r = gnutls_load_file(t->key, &data)) < 0) {
		fail(d, conf_path, "key", t->key, "cannot read the file");
		goto bad;
	}
	if ((r = gnutls_privkey_init(&c->key)) == 0)
		r = gnutls_privkey_import_x509_raw(c->key, &data,
		    GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_memset(data.data, 0, data.size);
	gnutls_free(data.data);
	if (r < 0) {
		fail(d, conf_path, "key", t->key, gnutls_strerror(r));
		goto bad;
	}
	if (!key_matches(c)) {
		fail(d, conf_path, "key", t->key,
		    "does not match the certificate");
		goto bad;
	}
	c->refs = 1;
	c->tickets = t->session_tickets;
	return c;
bad:
	tls_free(c);
	return NULL;
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

void
tls_publish(struct tls_creds *c)
{
	struct tls_creds *old;

	if (ticket_key.data == NULL &&
	    gnutls_session_ticket_key_generate(&ticket_key) < 0)
		fatalx("cannot make a session ticket key");
	atomic_store(&tickets, c != NULL && c->tickets);
	pthread_mutex_lock(&lock);
	old = current;
	current = c;
	pthread_mutex_unlock(&lock);
	tls_creds_release(old);
}

void
tls_creds_get(struct tls_creds *c, gnutls_pcert_st **pcert,
    unsigned int *npcert, gnutls_privkey_t *key)
{
	*pcert = c->pcert;
	*npcert = c->npcert;
	*key = c->key;
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
	    memory_order_relaxed) && gnutls_session_ticket_enable_server(session, &ticket_key) < 0)
		log_debug("session tickets not enabled for a connection");
}

static int
cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
    int nreqs, const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *privkey)
{
	struct conn *cs = edge_conn_by_fd(gnutls_transport_get_int(session));
	struct tls_creds *c;

	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (cs == NULL || (c = tls_creds_acquire()) == NULL)
		return -1;
	tls_creds_release(cs->creds);
	cs->creds = c;
	tls_creds_get(c, pcert, pcert_length, privkey);
	return 0;
}

void *
tls_cert_callback(void)
{
	return (void *)cert_callback;
}

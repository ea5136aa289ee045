/* TLS credentials (src/tls.c): loading, and their lifetime across reloads.
 * A handshake holds the credentials it was given until its connection
 * closes; reloads meanwhile must not free them. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "conf.h"
#include "tls.h"
#include "unit.h"

static struct tls_creds *
load(const char *name)
{
	char cert[512], key[512];
	struct tls_conf t = { 0 };
	struct diag d = { 0 };
	struct tls_creds *c;

	snprintf(cert, sizeof(cert), "%s/tls/%s.crt", FIXTURES, name);
	snprintf(key, sizeof(key), "%s/tls/%s.key", FIXTURES, name);
	t.certificate = cert;
	t.key = key;
	c = tls_load("test.json", &t, &d);
	ck_assert_msg(c != NULL, "%s", d.errors.data ? d.errors.data : "");
	diag_free(&d);
	return c;
}

/* Signs with c's key and checks the signature with its certificate: the
 * whole of c in use, as a handshake uses it. */
static void
use(struct tls_creds *c)
{
	gnutls_pcert_st *pcert;
	unsigned int n;
	gnutls_privkey_t key;
	gnutls_datum_t data = { (unsigned char *)"hello", 5 }, sig;

	tls_creds_get(c, &pcert, &n, &key);
	ck_assert_uint_ge(n, 1);
	ck_assert_int_eq(gnutls_privkey_sign_data(key, GNUTLS_DIG_SHA256, 0,
	    &data, &sig), 0);
	ck_assert_int_ge(gnutls_pubkey_verify_data2(pcert[0].pubkey,
	    GNUTLS_SIGN_ECDSA_SHA256, 0, &data, &sig), 0);
	gnutls_free(sig.data);
}

START_TEST(held_across_reloads)
{
	struct tls_creds *held;

	tls_publish(load("a"));
	held = tls_creds_acquire();	/* a handshake begins */
	ck_assert_ptr_nonnull(held);
	use(held);
	/* Three reloads while it goes on. */
	tls_publish(load("b"));
	tls_publish(load("a"));
	tls_publish(load("b"));
	use(held);
	tls_creds_release(held);	/* its connection closes: freed now */
	held = tls_creds_acquire();
	use(held);
	tls_creds_release(held);
	tls_publish(NULL);
	ck_assert_ptr_null(tls_creds_acquire());
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, held_across_reloads);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(tls_suite)

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "certcheck.h"
#include "util.h"

struct certcheck {
	gnutls_x509_trust_list_t tl;
};

struct certcheck *
certcheck_new(const char *ca_file, const char **why)
{
	struct certcheck *cc = xcalloc(1, sizeof(*cc));
	int n;

	if (gnutls_x509_trust_list_init(&cc->tl, 0) < 0) {
		free(cc);
		*why = "GnuTLS cannot make a trust list";
		return NULL;
	}
	n = ca_file != NULL ? gnutls_x509_trust_list_add_trust_file(cc->tl,
	    ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0) :
	    gnutls_x509_trust_list_add_system_trust(cc->tl, 0, 0);
	if (n <= 0) {
		gnutls_x509_trust_list_deinit(cc->tl, 1);
		free(cc);
		*why = ca_file != NULL ? "no CA certificate in the file" :
		    "no system CA certificates";
		return NULL;
	}
	return cc;
}

void
certcheck_free(struct certcheck *cc)
{
	if (cc == NULL)
		return;
	gnutls_x509_trust_list_deinit(cc->tl, 1);
	free(cc);
}

/* The DNS names of a certificate, for the report. */
static void
names_of(gnutls_x509_crt_t crt, struct buf *out)
{
	char name[256];
	size_t sz;
	int type;

	for (unsigned int i = 0; i < 16; i++) {
		sz = sizeof(name);
		type = gnutls_x509_crt_get_subject_alt_name(crt, i, name, &sz,
		    NULL);
		if (type < 0)
			break;
		if (type == GNUTLS_SAN_DNSNAME)
			buf_printf(out, "%s%.*s", out->len > 0 ? ", " : "",
			    (int)sz, name);
	}
	if (out->len == 0) {
		sz = sizeof(name);
		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
		    0, 0, name, &sz) == 0)
			buf_printf(out, "CN %s", name);
		else
			buf_puts(out, "no names");
	}
}

static void
day(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%d", &tm);
}

void
certcheck_run(const struct certcheck *cc, char *const *pem, size_t n,
    const char *host, time_t now, struct cert_report *r)
{
	gnutls_x509_crt_t crt[8];
	unsigned int status = 0, chain_bits;
	gnutls_datum_t text = { NULL, 0 };
	struct buf d = { 0 }, names = { 0 };
	char until[16];
	time_t end, start;
	size_t k = 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < n && k < ARRAY_LEN(crt); i++) {
		gnutls_datum_t dt = { (unsigned char *)pem[i],
		    (unsigned int)strlen(pem[i]) };

		if (gnutls_x509_crt_init(&crt[k]) < 0)
			break;
		if (gnutls_x509_crt_import(crt[k], &dt, GNUTLS_X509_FMT_PEM) < 0) {
			gnutls_x509_crt_deinit(crt[k]);
			continue;
		}
		k++;
	}
	if (k == 0) {
		snprintf(r->detail, sizeof(r->detail), "no certificate was "
		    "presented");
		return;
	}
	r->name_ok = gnutls_x509_crt_check_hostname2(crt[0], host, 0) != 0;
	start = gnutls_x509_crt_get_activation_time(crt[0]);
	end = gnutls_x509_crt_get_expiration_time(crt[0]);
	r->dates_ok = start <= now && now < end;
	gnutls_x509_trust_list_verify_crt(cc->tl, crt, (unsigned int)k, 0,
	    &status, NULL);
	/* The dates are reported on their own. */
	chain_bits = status & ~(unsigned int)(GNUTLS_CERT_INVALID |
	    GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED);
	r->chain_ok = status == 0 || chain_bits == 0;
	names_of(crt[0], &names);
	day(end, until, sizeof(until));
	if (!r->name_ok)
		buf_printf(&d, "the certificate does not name %s (it names "
		    "%s)", host, names.data);
	else
		buf_printf(&d, "names %s", host);
	if (!r->chain_ok) {
		gnutls_certificate_verification_status_print(chain_bits,
		    GNUTLS_CRT_X509, &text, 0);
		buf_printf(&d, "; no chain to a trusted CA: %s",
		    text.data != NULL ? (const char *)text.data : "refused");
		gnutls_free(text.data);
	} else
		buf_puts(&d, "; chain to a trusted CA");
	if (now < start)
		buf_puts(&d, "; not valid yet");
	else if (now >= end)
		buf_printf(&d, "; expired on %s", until);
	else if (end - now < (time_t)CERT_RENEW_DAYS * 86400)
		buf_printf(&d, "; expires on %s, in %lld days: renew it", until,
		    (long long)((end - now) / 86400));
	else
		buf_printf(&d, "; valid until %s", until);
	r->ok = r->name_ok && r->chain_ok && r->dates_ok &&
	    end - now >= (time_t)CERT_RENEW_DAYS * 86400;
	snprintf(r->detail, sizeof(r->detail), "%s", d.data);
	buf_free(&d);
	buf_free(&names);
	for (size_t i = 0; i < k; i++)
		gnutls_x509_crt_deinit(crt[i]);
}

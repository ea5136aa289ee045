#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "email.h"
#include "region.h"
#include "tls_store.h"

#define CHAIN_MAX 8
#define INTER_BUCKETS 256

/* An intermediate certificate, parsed once for all the chains that carry
 * it (10,000 Let's Encrypt certificates have two or three between them). */
struct tls_inter {
	struct tls_inter *next;
	uint64_t hash;
	size_t len;
	char *pem;			/* its PEM block, to compare */
	gnutls_pcert_st pcert;
};

/* A chain's pcert[0] is its own; the rest are shallow copies of shared
 * intermediates, freed with the store. */
static void
cert_free(struct tls_cert *c)
{
	if (c->npcert > 0)
		gnutls_pcert_deinit(&c->pcert[0]);
	free(c->pcert);
	if (c->key != NULL)
		gnutls_privkey_deinit(c->key);
	memset(c, 0, sizeof(*c));
}

void
tls_store_free(struct tls_creds *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->ncerts; i++)
		cert_free(&c->certs[i]);
	for (size_t b = 0; c->inter != NULL && b < INTER_BUCKETS; b++) {
		struct tls_inter *in, *next;

		for (in = c->inter[b]; in != NULL; in = next) {
			next = in->next;
			gnutls_pcert_deinit(&in->pcert);
			free(in->pem);
			free(in);
		}
	}
	free(c->inter);
	free(c->certs);
	free(c->tab);
	region_free(c->r);
	free(c);
}

static bool
key_matches(const struct tls_cert *c)
{
	gnutls_pubkey_t pk;
	gnutls_datum_t a = { NULL, 0 }, b = { NULL, 0 };
	bool same = false;

	if (gnutls_pubkey_init(&pk) < 0)
		return false;
	if (gnutls_pubkey_import_privkey(pk, c->key, 0, 0) == 0 &&
	    gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &a) == 0 &&
	    gnutls_pubkey_export2(c->pcert[0].pubkey, GNUTLS_X509_FMT_DER,
	    &b) == 0)
		same = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	gnutls_pubkey_deinit(pk);
	return same;
}

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"

/* The next PEM certificate block from *p on, or NULL. */
static const char *
pem_block(const char **p, const char *end, size_t *len)
{
	const char *b = memmem(*p, (size_t)(end - *p), PEM_BEGIN,
	    strlen(PEM_BEGIN)), *e;

	if (b == NULL)
		return NULL;
	e = memmem(b, (size_t)(end - b), PEM_END, strlen(PEM_END));
	if (e == NULL)
		return NULL;
	e += strlen(PEM_END);
	*len = (size_t)(e - b);
	*p = e;
	return b;
}

static const gnutls_pcert_st *
intermediate(struct tls_creds *s, const char *pem, size_t len,
    const char **why)
{
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)pem,
	    (unsigned int)len };
	uint64_t h = 0xcbf29ce484222325ull;
	struct tls_inter *in;
	int r;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)pem[i]) * 0x100000001b3ull;
	if (s->inter == NULL)
		s->inter = xcalloc(INTER_BUCKETS, sizeof(*s->inter));
	for (in = s->inter[h % INTER_BUCKETS]; in != NULL; in = in->next)
		if (in->hash == h && in->len == len &&
		    memcmp(in->pem, pem, len) == 0)
			return &in->pcert;
	in = xcalloc(1, sizeof(*in));
	if ((r = gnutls_pcert_import_x509_raw(&in->pcert, &d,
	    GNUTLS_X509_FMT_PEM, 0)) < 0) {
		*why = gnutls_strerror(r);
		free(in);
		return NULL;
	}
	in->hash = h;
	in->len = len;
	in->pem = xmalloc(len);
	memcpy(in->pem, pem, len);
	in->next = s->inter[h % INTER_BUCKETS];
	s->inter[h % INTER_BUCKETS] = in;
	return &in->pcert;
}

static void leaf_names(struct tls_creds *s, struct tls_cert *c,
    gnutls_x509_crt_t crt);

/* The chain of a PEM file: the leaf parsed for c (its names and expiry
 * too), the intermediates shared. */
static int
chain_load(struct tls_creds *s, struct tls_cert *c, const gnutls_datum_t *f,
    const char **why)
{
	const char *p = (const char *)f->data, *end = p + f->size, *b;
	gnutls_pcert_st chain[CHAIN_MAX];
	gnutls_x509_crt_t crt;
	unsigned int n = 0;
	size_t len;
	int r;

	if ((b = pem_block(&p, end, &len)) == NULL) {
		*why = "no certificate in the file";
		return -1;
	}
	gnutls_datum_t d = { (unsigned char *)(uintptr_t)b, (unsigned int)len };
	if ((r = gnutls_x509_crt_init(&crt)) == 0 &&
	    (r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM)) == 0 &&
	    (r = gnutls_pcert_import_x509(&chain[0], crt, 0)) == 0) {
		leaf_names(s, c, crt);
		n = 1;
	}
	gnutls_x509_crt_deinit(crt);
	if (r < 0) {
		*why = gnutls_strerror(r);
		return -1;
	}
	while (n < CHAIN_MAX && (b = pem_block(&p, end, &len)) != NULL) {
		const gnutls_pcert_st *in = intermediate(s, b, len, why);

		if (in == NULL) {
			gnutls_pcert_deinit(&chain[0]);
			return -1;
		}
		chain[n++] = *in;
	}
	c->pcert = xmalloc(n * sizeof(*c->pcert));
	memcpy(c->pcert, chain, n * sizeof(*c->pcert));
	c->npcert = n;
	return 0;
}

#define PEM_MAX (1024 * 1024)

/* Reads a chain and its key into c; the reason, naming which file, in
 * why (which = "certificate" or "key") on failure. */
static int
cert_load(struct tls_creds *s, struct tls_cert *c, const char *cert,
    const char *key, const char **which, const char **why)
{
	gnutls_datum_t data;
	char *text;
	size_t len;
	int r;

	memset(c, 0, sizeof(*c));
	*which = "certificate";
	/* Not gnutls_load_file(): its stdio took a third of the time of
	 * loading 10,000 certificates. */
	if (file_read(cert, PEM_MAX, &text, &len, why) < 0) {
		*why = "cannot read the file";
		return -1;
	}
	data.data = (unsigned char *)text;
	data.size = (unsigned int)len;
	r = chain_load(s, c, &data, why);
	free(text);
	if (r < 0)
		return -1;
	*which = "key";
	if (file_read(key, PEM_MAX, &text, &len, why) < 0) {
		*why = "cannot read the file";
		goto bad;
	}
	data.data = (unsigned char *)text;
	data.size = (unsigned int)len;
	if ((r = gnutls_privkey_init(&c->key)) == 0)
		r = gnutls_privkey_import_x509_raw(c->key, &data,
		    GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_memset(text, 0, len);
	free(text);
	if (r < 0) {
		*why = gnutls_strerror(r);
		goto bad;
	}
	if (!key_matches(c)) {
		*why = "does not match the certificate";
		goto bad;
	}
	return 0;
bad:
	cert_free(c);
	return -1;
}

/* ---- the name index --------------------------------------------------- */

static uint64_t
hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static struct tls_slot *
slot_of(struct tls_slot *tab, size_t mask, const char *name)
{
	for (size_t i = (size_t)hash_name(name) & mask;; i = (i + 1) & mask)
		if (tab[i].name == NULL || strcmp(tab[i].name, name) == 0)
			return &tab[i];
}

/* Of two certificates for one name, the one valid longest (a renewed one
 * beside the old, an RSA beside an ECDSA one of another date). */
static bool
better(const struct tls_cert *a, const struct tls_cert *b)
{
	return a->expires > b->expires;
}

static void
index_name(struct tls_creds *s, const char *name, struct tls_cert *c)
{
	if (name == NULL)
		return;
	struct tls_slot *sl = slot_of(s->tab, s->mask, name);

	if (sl->name == NULL) {
		sl->name = name;
		sl->cert = c;
	} else if (better(c, sl->cert))
		sl->cert = c;
}

static void
add_name(struct tls_creds *s, struct tls_cert *c, const char *name,
    size_t *cap)
{
	if (c->nnames == *cap) {
		const char **n = region_alloc(s->r, (*cap = *cap ? *cap * 2 :
		    4) * sizeof(*n));

		if (c->nnames > 0)
			memcpy(n, c->names, c->nnames * sizeof(*n));
		c->names = n;
	}
	c->names[c->nnames++] = region_strdup(s->r, name);
}

/* The expiry and the DNS names of a leaf, normalised: its
 * subjectAltNames, or the subject's CN when it has none. */
static void
leaf_names(struct tls_creds *s, struct tls_cert *c, gnutls_x509_crt_t crt)
{
	char buf[DOMAIN_MAX + 3], norm[DOMAIN_MAX + 3];
	const char *why;
	bool any = false;
	size_t cap = 0;

	c->expires = gnutls_x509_crt_get_expiration_time(crt);
	for (unsigned int seq = 0;; seq++) {
		size_t len = sizeof(buf) - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, seq, buf,
		    &len, NULL);

		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (type < 0)
			break;
		if (type != GNUTLS_SAN_DNSNAME)
			continue;
		buf[len] = '\0';
		any = true;
		size_t off = strncmp(buf, "*.", 2) == 0 ? 2 : 0;
		memcpy(norm, buf, off);
		if (domain_normalize(buf + off, len - off, norm + off,
		    sizeof(norm) - off, &why) == 0)
			add_name(s, c, norm, &cap);
	}
	if (!any) {
		size_t len = sizeof(buf) - 1;

		if (gnutls_x509_crt_get_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &len) == 0 &&
		    domain_normalize(buf, len, norm, sizeof(norm), &why) == 0)
			add_name(s, c, norm, &cap);
	}
	c->name = c->nnames > 0 ? c->names[0] : NULL;
}

/* ---- loading ------------------------------------------------------- */

/* An error, or a warning (named in brackets, as the config's are). */
static void
report(struct buf *b, const char *conf_path, bool warning, const char *what,
    const char *file, const char *why)
{
	buf_printf(b, "%s: %stls.%s: %s: %s%s\n", conf_path, warning ?
	    "warning: " : "", what, file, why, warning ?
	    " [certificate-dir]" : "");
}

static struct tls_cert *
add(struct tls_creds *s, const char *conf_path, const char *what,
    const char *cert, const char *key, struct diag *d, bool soft)
{
	const char *which, *why;
	struct tls_cert c;
	char buf[64];

	if (cert_load(s, &c, cert, key, &which, &why) < 0) {
		snprintf(buf, sizeof(buf), "%s%s%s", what, *what ? "." : "",
		    which);
		if (soft) {
			report(&d->warnings, conf_path, true, buf,
			    strcmp(which, "key") == 0 ? key : cert, why);
			d->nwarnings++;
		} else {
			report(&d->errors, conf_path, false, buf,
			    strcmp(which, "key") == 0 ? key : cert, why);
			d->nerrors++;
		}
		return NULL;
	}
	if (s->ncerts == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->certs = xrealloc(s->certs, s->cap * sizeof(*s->certs));
	}
	s->certs[s->ncerts] = c;
	return &s->certs[s->ncerts++];
}

/* certbot's live/: a directory per certificate; its README and anything
 * else is left alone. */
static void
add_dir(struct tls_creds *s, const char *conf_path, const char *dir,
    struct diag *d)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	if (n < 0) {
		report(&d->errors, conf_path, false, "certificate_dir", dir,
		    strerror(errno));
		d->nerrors++;
		return;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096], cert[4200], key[4200];
		struct stat st;

		if (ents[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", dir,
			    ents[i]->d_name);
			snprintf(cert, sizeof(cert), "%s/fullchain.pem", sub);
			snprintf(key, sizeof(key), "%s/privkey.pem", sub);
			/* d_type saves a stat() per entry where the file
			 * system gives it. */
			if (ents[i]->d_type == DT_DIR ||
			    (ents[i]->d_type != DT_REG && stat(sub, &st) == 0 &&
			    S_ISDIR(st.st_mode)))
				add(s, conf_path, "certificate_dir", cert, key,
				    d, true);
		}
		free(ents[i]);
	}
	free(ents);
}

static void
expiry_warnings(const struct tls_creds *s, const char *conf_path,
    struct diag *d)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < s->ncerts; i++) {
		const struct tls_cert *c = &s->certs[i];
		char when[32];
		struct tm tm;

		if (c->expires - now > TLS_EXPIRY_WARN)
			continue;
		gmtime_r(&c->expires, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		buf_printf(&d->warnings, "%s: warning: tls: the certificate "
		    "for %s %s %s [certificate-expiry]\n", conf_path,
		    c->name != NULL ? c->name : "?",
		    c->expires < now ? "expired on" : "expires on", when);
		d->nwarnings++;
	}
}

struct tls_creds *
tls_store_load(const char *conf_path, const struct tls_conf *t,
    struct diag *d)
{
	struct tls_creds *s = xcalloc(1, sizeof(*s));
	int before = d->nerrors;
	size_t size = 16, dflt = SIZE_MAX, names = 0;

	s->r = region_new();
	if (t->certificate != NULL && t->key != NULL &&
	    add(s, conf_path, "", t->certificate, t->key, d, false) != NULL)
		dflt = s->ncerts - 1;
	for (size_t i = 0; i < t->npairs; i++) {
		char what[40];

		snprintf(what, sizeof(what), "certificates[%zu]", i);
		add(s, conf_path, what, t->pairs[i].certificate,
		    t->pairs[i].key, d, false);
	}
	if (t->certificate_dir != NULL)
		add_dir(s, conf_path, t->certificate_dir, d);
	if (d->nerrors > before || s->ncerts == 0) {
		if (d->nerrors == before) {
			buf_printf(&d->errors, "%s: tls: no usable "
			    "certificate\n", conf_path);
			d->nerrors++;
		}
		tls_store_free(s);
		return NULL;
	}
	/* Without a default, the first one: a client that sends no SNI
	 * still gets a certificate, as from nginx's first server. */
	s->dflt = &s->certs[dflt != SIZE_MAX ? dflt : 0];
	for (size_t i = 0; i < s->ncerts; i++)
		names += s->certs[i].nnames;
	while (size < names * 2)
		size *= 2;
	s->tab = xcalloc(size, sizeof(*s->tab));
	s->mask = size - 1;
	for (size_t i = 0; i < s->ncerts; i++)
		for (size_t k = 0; k < s->certs[i].nnames; k++)
			index_name(s, s->certs[i].names[k], &s->certs[i]);
	expiry_warnings(s, conf_path, d);
	return s;
}

const struct tls_cert *
tls_store_find(const struct tls_creds *s, const char *name)
{
	char n[DOMAIN_MAX + 3];
	const struct tls_slot *sl;
	const char *dot;
	size_t len;

	if (name == NULL || (len = strlen(name)) == 0 || len > DOMAIN_MAX + 1)
		return s->dflt;
	for (size_t i = 0; i <= len; i++)
		n[i] = ascii_tolower(name[i]);
	if (len > 0 && n[len - 1] == '.')
		n[--len] = '\0';
	sl = slot_of(s->tab, s->mask, n);
	if (sl->name != NULL)
		return sl->cert;
	/* A wildcard covers one label: a.example.org by *.example.org. */
	if ((dot = strchr(n, '.')) != NULL && dot[1] != '\0') {
		char w[DOMAIN_MAX + 3];

		snprintf(w, sizeof(w), "*%s", dot);
		sl = slot_of(s->tab, s->mask, w);
		if (sl->name != NULL)
			return sl->cert;
	}
	return s->dflt;
}

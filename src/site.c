#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__
#include <malloc.h>		/* malloc_trim() */
#endif

#include <microhttpd.h>

#include "domcache.h"
#include "log.h"
#include "render.h"
#include "signer.h"
#include "site.h"
#include "view.h"


void
blob_init(struct blob *b, char *data, size_t len, const char *ctype)
{
	b->data = data;
	b->len = len;
	b->resp = MHD_create_response_from_buffer(len, data,
	    MHD_RESPMEM_MUST_FREE);
	if (b->resp == NULL)
		fatalx("cannot create a response");
	if (MHD_add_response_header(b->resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    ctype) != MHD_YES ||
	    MHD_add_response_header(b->resp, "X-Content-Type-Options",
	    "nosniff") != MHD_YES)
		fatalx("cannot add a response header");
}

void
blob_free(struct blob *b)
{
	/* Connections still sending it hold their own reference. */
	if (b->resp != NULL)
		MHD_destroy_response(b->resp);
	b->resp = NULL;
	b->data = NULL;
}

static int
render_blob(struct blob *b, int (*fn)(const struct provider *, struct buf *),
    const struct provider *p, const char *ctype)
{
	struct buf out = { 0 };

	if (fn(p, &out) < 0) {
		buf_free(&out);
		return -1;
	}
	size_t len = out.len;
	blob_init(b, buf_steal(&out), len, ctype);
	return 0;
}

/* The per-provider documents, one line each. */
static const struct {
	size_t off;		/* of the blob in struct pcache */
	int (*render)(const struct provider *, struct buf *);
	const char *ctype;
	const char *what;
} static_docs[] = {
	{ offsetof(struct pcache, autoconfig), render_autoconfig,
	    "text/xml; charset=utf-8", "autoconfig document" },
	{ offsetof(struct pcache, pacc), render_pacc, "application/json",
	    "PACC document" },
	{ offsetof(struct pcache, ad_json_eas), render_ad_json_activesync,
	    "application/json; charset=utf-8", "Autodiscover v2 ActiveSync answer" },
	/* Rendered per domain only. */
	{ 0, render_mta_sts, "text/plain", "MTA-STS policy" },
};

static struct blob *
pcache_blob(struct pcache *pc, size_t i)
{
	return (struct blob *)(void *)((char *)pc + static_docs[i].off);
}

/* The per-user documents, rendered with holes for the address, one line
 * each. */
static const struct {
	size_t off;		/* of the splice in struct pcache */
	int (*render)(const struct provider *, struct splice *);
	const char *what;
} spliced_docs[] = {
	{ offsetof(struct pcache, ad_outlook), render_ad_outlook,
	    "Autodiscover (Outlook) document" },
	{ offsetof(struct pcache, ad_mobilesync), render_ad_mobilesync,
	    "Autodiscover (mobilesync) document" },
	{ offsetof(struct pcache, mobileconfig), render_mobileconfig_splice,
	    "Apple profile" },
	{ offsetof(struct pcache, settings_text), render_settings_text_splice,
	    "settings page" },
};

static struct splice *
pcache_splice(struct pcache *pc, size_t i)
{
	return (struct splice *)(void *)((char *)pc + spliced_docs[i].off);
}

static void
pcache_free(struct pcache *pc)
{
	if (pc == NULL)
		return;
	for (size_t k = 0; k < DDOC_SPLICED; k++) {
		blob_free(pcache_blob(pc, k));
		splice_free(&pc->by_domain[k]);
	}
	for (size_t k = 0; k < ARRAY_LEN(spliced_docs); k++)
		splice_free(pcache_splice(pc, k));
	free(pc);
}

static void
render_failed(const struct conf *c, const struct provider *p,
    struct diag *d, const char *what)
{
	if (d != NULL) {
		buf_printf(&d->errors, "%s: providers[%zu]: cannot render the "
		    "%s\n", c->path, p->index, what);
		d->nerrors++;
	} else
		log_warnx("%s: providers[%zu]: cannot render the %s", c->path,
		    p->index, what);
}

struct for_domain {
	const struct provider *p;
	int (*render)(const struct provider *, struct buf *);
};

/* Renders a document for the stand-in user's domain alone. */
static int
render_for_domain(const void *arg, struct splice_user *u, struct buf *out)
{
	const struct for_domain *fd = arg;
	struct provider_view v;
	int r;

	memset(&u->v, 0, sizeof(u->v));
	u->v.s[HOLE_DOMAIN] = u->em.domain;
	u->v.len[HOLE_DOMAIN] = strlen(u->em.domain);
	provider_view(fd->p, u->em.domain, &v);
	r = fd->render(&v.p, out);
	provider_view_free(&v);
	return r;
}

/* Document k of a provider rendered per domain, with holes for it. */
static int
render_by_domain(struct splice *sp, const struct provider *p, size_t k)
{
	struct for_domain fd = { p, static_docs[k].render };

	/* Unescaped: a domain has nothing to escape, in XML or JSON. */
	return splice_build(sp, render_for_domain, &fd, true);
}

const struct blob *
site_doc(const struct site *s, const struct provider *p, enum ddoc kind,
    const char *domain)
{
	static const struct blob none;
	const struct pcache *pc = site_pcache(s, p);
	const struct blob *b;
	struct buf out = { 0 };
	int r = 0;

	if (!p->per_domain && kind < DDOC_SPLICED)
		return pcache_blob((struct pcache *)(uintptr_t)pc, kind);
	if ((b = domcache_get(s->serial, p->index, (int)kind, domain)) != NULL)
		return b;
	if (kind < DDOC_SPLICED && pc->by_domain[kind].data != NULL) {
		struct splice_values v = { 0 };

		v.s[HOLE_DOMAIN] = domain;
		v.len[HOLE_DOMAIN] = strlen(domain);
		splice_fill(&pc->by_domain[kind], &v, &out);
	} else {
		struct provider_view v;

		provider_view(p, domain, &v);
		r = static_docs[kind].render(&v.p, &out);
		provider_view_free(&v);
	}
	if (r < 0) {
		buf_free(&out);
		return &none;
	}
	size_t len = out.len;
	return domcache_put(s->serial, p->index, (int)kind, domain,
	    buf_steal(&out), len, static_docs[kind].ctype);
}

/* Renders every document of p; one that fails has no response (or no
 * data), and its name goes to d if given, else to the log. Returns the
 * number of failures. */
static int
pcache_render(const struct conf *c, const struct provider *p,
    struct pcache **out, struct diag *d)
{
	struct pcache *pc = xcalloc(1, sizeof(*pc));
	int failed = 0;

	for (size_t k = 0; k < DDOC_SPLICED; k++) {
		if (p->per_domain ? render_by_domain(&pc->by_domain[k], p, k) ==
		    0 : render_blob(pcache_blob(pc, k), static_docs[k].render,
		    p, static_docs[k].ctype) == 0)
			continue;
		failed++;
		render_failed(c, p, d, static_docs[k].what);
	}
	for (size_t k = 0; k < ARRAY_LEN(spliced_docs); k++) {
		if (spliced_docs[k].render(p, pcache_splice(pc, k)) == 0)
			continue;
		failed++;
		render_failed(c, p, d, spliced_docs[k].what);
	}
	*out = pc;
	return failed;
}

struct site *
site_new(struct conf *c, struct diag *d)
{
	static atomic_uint_fast64_t serials;
	struct site *s = xcalloc(1, sizeof(*s));

	s->conf = c;
	s->serial = atomic_fetch_add(&serials, 1) + 1;
	s->pc = xcalloc(c->nproviders, sizeof(*s->pc));
	if (c->signing != NULL &&
	    (s->signer = signer_new(c->signing, c->path, d)) == NULL) {
		site_free(s);
		return NULL;
	}
	if (c->public_url != NULL) {
		struct buf out = { 0 };

		if (render_ad_json_v1(c->public_url, &out) < 0)
			log_warnx("%s: cannot render the Autodiscover v2 answer",
			    c->path);
		else {
			size_t len = out.len;

			blob_init(&s->ad_json_v1, buf_steal(&out), len,
			    "application/json; charset=utf-8");
		}
		buf_free(&out);
	}
	return s;
}

const struct pcache *
site_render(const struct site *s, const struct provider *p)
{
	struct pcache *pc, *cur = NULL;

	pcache_render(s->conf, p, &pc, NULL);
	/* Two requests may render the same provider at once: one wins. */
	if (atomic_compare_exchange_strong_explicit(&s->pc[p->index], &cur,
	    pc, memory_order_acq_rel, memory_order_acquire))
		return pc;
	pcache_free(pc);
	return cur;
}

int
site_render_all(struct site *s, struct diag *d)
{
	int failed = 0;

	for (size_t i = 0; i < s->conf->nproviders; i++) {
		const struct provider *p = &s->conf->providers[i];
		struct pcache *pc;

		if (atomic_load(&s->pc[i]) != NULL)
			continue;
		failed += pcache_render(s->conf, p, &pc, d);
		atomic_store(&s->pc[i], pc);
	}
	return failed > 0 ? -1 : 0;
}

void
site_free(struct site *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->conf->nproviders; i++)
		pcache_free(atomic_load(&s->pc[i]));
	free(s->pc);
	blob_free(&s->ad_json_v1);
	signer_free(s->signer);
	conf_free(s->conf);
	free(s);
#ifdef __GLIBC__
	/* A large config leaves megabytes of free pages between live
	 * allocations; give them back, or every reload adds to the RSS. */
	malloc_trim(0);
#endif
}

/* ---- publishing and using the current site ---------------------------
 * Hazard pointers: a thread using a site announces it in its own slot,
 * and a publisher frees the previous site only once no slot names it. A
 * request costs one exchange on a cache line no other thread writes
 * (the mutex and shared count this replaces bounced between the cores on
 * every request), and the old site is freed by the reloading thread, not
 * inside some worker's request. */

struct hazard {
	_Atomic(struct site *) site;	/* in use by the owning thread */
	struct hazard *next;
	char pad[64 - sizeof(void *) * 2];	/* a cache line each */
};

static _Atomic(struct site *) current;
static _Atomic(struct hazard *) hazards;	/* every thread's slot */
static _Thread_local struct hazard *my_hazard;
static pthread_mutex_t publish_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t next_generation = 1;

static struct hazard *
hazard_slot(void)
{
	struct hazard *h = my_hazard;

	if (h != NULL)
		return h;
	if (posix_memalign((void **)&h, 64, sizeof(*h)) != 0)
		fatalx("out of memory");
	atomic_init(&h->site, NULL);
	h->next = atomic_load(&hazards);
	while (!atomic_compare_exchange_weak(&hazards, &h->next, h))
		;
	my_hazard = h;
	return h;
}

void
site_publish(struct site *s)
{
	struct timespec ts = { 0, 20 * 1000 };
	struct site *old;

	pthread_mutex_lock(&publish_lock);
	if (s != NULL) {
		s->generation = next_generation++;
		s->conf->generation = s->generation;
	}
	old = atomic_exchange(&current, s);
	pthread_mutex_unlock(&publish_lock);
	if (old == NULL)
		return;
	/* Requests that took the old site finish within microseconds. */
	for (struct hazard *h = atomic_load(&hazards); h != NULL; h = h->next)
		while (atomic_load(&h->site) == old)
			nanosleep(&ts, NULL);
	site_free(old);
}

struct site *
site_acquire(void)
{
	struct hazard *h = hazard_slot();
	struct site *s = atomic_load_explicit(&current, memory_order_acquire);

	/* Announce, then check that it is still current: a publisher that
	 * swapped it out in between either sees the announcement or made
	 * this load see the new site. */
	for (;;) {
		struct site *again;

		atomic_store(&h->site, s);
		again = atomic_load(&current);
		if (again == s)
			return s;
		s = again;
	}
}

void
site_release(struct site *s)
{
	if (s != NULL)
		atomic_store_explicit(&my_hazard->site, NULL,
		    memory_order_release);
}

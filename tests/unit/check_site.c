/* Sites: publishing a new one while other threads use the current one.
 * Run under the sanitizers, a site freed while in use is a failure. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "conf.h"
#include "domcache.h"
#include "render.h"
#include "site.h"
#include "unit.h"
#include "view.h"

#define READERS 4
#define PUBLISHES 300

static const char text[] = "{\"providers\":[{\"name\":\"X\",\"domains\":"
    "[\"x.org\"],\"servers\":[{\"protocol\":\"imap\",\"host\":\"imap.x.org\","
    "\"port\":993,\"security\":\"ssl\"}]}]}";

static atomic_bool stop;
static atomic_ulong bad;
static atomic_int ran;		/* readers that have read once */

static struct site *
new_site(void)
{
	struct diag d = { 0 };
	struct conf *c = conf_load_buffer("t.json", text, strlen(text), &d);
	struct site *s = c != NULL ? site_new(c, &d) : NULL;

	ck_assert_ptr_nonnull(s);
	diag_free(&d);
	return s;
}

/* Takes the current site over and over and reads it through, documents
 * included (rendered on first use by whichever thread comes first). */
static void *
reader(void *arg)
{
	unsigned long *n = arg;
	uint64_t last = 0;

	while (!atomic_load(&stop)) {
		struct site *s = site_acquire();
		const struct pcache *pc;

		if (s == NULL || s->conf->nproviders != 1 ||
		    s->generation < last) {
			atomic_fetch_add(&bad, 1);
			site_release(s);
			continue;
		}
		last = s->generation;
		pc = site_pcache(s, &s->conf->providers[0]);
		if (pc->autoconfig.len == 0 ||
		    memmem(pc->autoconfig.data, pc->autoconfig.len,
		    "imap.x.org", 10) == NULL)
			atomic_fetch_add(&bad, 1);
		site_release(s);
		if ((*n)++ == 0)
			atomic_fetch_add(&ran, 1);
	}
	return NULL;
}

START_TEST(publish_while_in_use)
{
	pthread_t t[READERS];
	unsigned long n[READERS] = { 0 };
	struct site *s;

	/* As main() does: libxml2 sets up its encoding handlers lazily, and
	 * not safely from several threads at once. */
	xmlInitParser();
	site_publish(new_site());
	for (int i = 0; i < READERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader, &n[i]), 0);
	for (int i = 0; i < PUBLISHES; i++) {
		struct site *next = new_site();

		site_publish(next);
		s = site_acquire();
		ck_assert_ptr_eq(s, next);
		ck_assert_uint_eq(s->generation, s->conf->generation);
		site_release(s);
	}
	/* On a busy machine a reader may not have been scheduled yet: give
	 * each the time to read once (bounded), then stop them. */
	for (int k = 0; k < 3000 && atomic_load(&ran) < READERS; k++)
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	atomic_store(&stop, true);
	for (int i = 0; i < READERS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_uint_eq(atomic_load(&bad), 0);
	for (int i = 0; i < READERS; i++)
		ck_assert_uint_gt(n[i], 0);
	s = site_acquire();
	ck_assert_uint_eq(s->generation, PUBLISHES + 1);
	site_release(s);
	site_publish(NULL);
	ck_assert_ptr_null(site_acquire());
}
END_TEST

static const char hosting[] = "{\"providers\":[{\"name\":\"H\",\"domains\":"
    "[\"h.org\",\"*.h.org\"],\"servers\":[{\"protocol\":\"imap\",\"host\":"
    "\"imap.%EMAILDOMAIN%\",\"port\":993,\"security\":\"ssl\"},{\"protocol\":"
    "\"smtp\",\"host\":\"smtp.%EMAILDOMAIN%\",\"port\":465,\"security\":"
    "\"ssl\"}],\"activesync\":\"https://eas.%EMAILDOMAIN%/x\","
    "\"mta_sts\":{\"mode\":\"testing\"}}]}";

static struct site *
site_of(const char *json)
{
	struct diag d = { 0 };
	struct conf *c = conf_load_buffer("t.json", json, strlen(json), &d);
	struct site *s = c != NULL ? site_new(c, &d) : NULL;

	ck_assert_msg(s != NULL, "%s", d.errors.data);
	diag_free(&d);
	return s;
}

/* What the site serves for a domain is, byte for byte, what the renderer
 * makes of the provider as that domain sees it; cached per thread, never
 * mixed up between domains, documents or sites. */
START_TEST(documents_per_domain)
{
	static const char *const doms[] = { "h.org", "a.h.org", "b.b.h.org",
	    "a.h.org" };
	static int (*const fn[])(const struct provider *, struct buf *) = {
		render_autoconfig, render_pacc, render_ad_json_activesync,
		render_mta_sts };
	struct site *s = site_of(hosting), *s2;
	const struct provider *p = &s->conf->providers[0];

	xmlInitParser();
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < ARRAY_LEN(doms); i++)
			for (int k = 0; k < DDOC_COUNT; k++) {
				struct provider_view v;
				struct buf want = { 0 };
				const struct blob *b = site_doc(s, p,
				    (enum ddoc)k, doms[i]);

				provider_view(p, doms[i], &v);
				ck_assert_int_eq(fn[k](&v.p, &want), 0);
				ck_assert_ptr_nonnull(b->resp);
				ck_assert_uint_eq(b->len, want.len);
				ck_assert_msg(memcmp(b->data, want.data,
				    want.len) == 0, "%s", want.data);
				ck_assert_ptr_null(memmem(b->data, b->len,
				    "%EMAILDOMAIN%", 13));
				buf_free(&want);
				provider_view_free(&v);
			}
	/* A reloaded config, its own documents. */
	char *other = xstrdup(hosting);
	memcpy(strstr(other, "imap.%"), "mail", 4);
	s2 = site_of(other);
	free(other);
	for (int i = 0; i < 3; i++) {
		const struct blob *b = site_doc(s2, &s2->conf->providers[0],
		    DDOC_AUTOCONFIG, "h.org");

		ck_assert_ptr_nonnull(memmem(b->data, b->len,
		    "<hostname>mail.h.org<", 21));
		b = site_doc(s, p, DDOC_AUTOCONFIG, "h.org");
		ck_assert_ptr_nonnull(memmem(b->data, b->len,
		    "<hostname>imap.h.org<", 21));
	}
	domcache_flush();
	site_free(s2);
	site_free(s);
}
END_TEST

static Suite *
site_suite(void)
{
	Suite *s = suite_create("site");
	TCase *tc = tcase_create("site");

	tcase_add_test(tc, publish_while_in_use);
	tcase_add_test(tc, documents_per_domain);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(site_suite)

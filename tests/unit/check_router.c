/* The router and endpoints without a network: requests are filled in
 * directly, as the fuzz harness does. */
#include "config.h"

#include <string.h>

#include "conf.h"
#include "endpoints.h"
#include "request.h"
#include "site.h"
#include "unit.h"

struct kv { const char *k, *v; };
struct fake { struct kv headers[4]; struct kv query[4]; };

static const char *
find(const struct kv *kv, const char *name)
{
	for (; kv->k != NULL; kv++)
		if (ascii_strcasecmp(kv->k, name) == 0)
			return kv->v;
	return NULL;
}

static const char *
fake_header(const struct request *rq, const char *name)
{
	return find(((struct fake *)rq->ctx)->headers, name);
}

static const char *
fake_query(const struct request *rq, const char *name)
{
	return find(((struct fake *)rq->ctx)->query, name);
}

static struct site *site;

static void
setup(void)
{
	const char *text = "{\"providers\":[{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"imap.x.org\",\"port\":993,\"security\":\"ssl\"}]}]}";
	struct diag d = { 0 };
	struct conf *c = conf_load_buffer("t.json", text, strlen(text), &d);

	ck_assert_ptr_nonnull(c);
	site = site_new(c, &d);
	ck_assert_ptr_nonnull(site);
	diag_free(&d);
}

static void
teardown(void)
{
	site_free(site);
}

/* The documents of the only provider (rendered on first use, then kept). */
static const struct pcache *
pc0(void)
{
	return site_pcache(site, &site->conf->providers[0]);
}

static void
run(enum method m, const char *path, struct fake *f, struct reply *rp)
{
	struct request rq = { .method = m, .path = path, .site = site,
	    .header = fake_header, .query = fake_query, .ctx = f };

	memset(rp, 0, sizeof(*rp));
	route(&rq, rp);
}

START_TEST(autoconfig_by_address_and_host)
{
	struct fake f = { .query = { { "emailaddress", "a@X.org" } } };
	struct reply rp;

	run(M_GET, "/mail/config-v1.1.xml", &f, &rp);
	ck_assert_uint_eq(rp.status, 200);
	ck_assert_ptr_eq(rp.blob, &pc0()->autoconfig);
	ck_assert_str_eq(rp.endpoint, "autoconfig");
	ck_assert_ptr_nonnull(strstr(rp.blob->data, "<hostname>imap.x.org</hostname>"));
	reply_free(&rp);

	struct fake h = { .headers = { { "host", "autoconfig.x.org:443" } } };
	run(M_HEAD, "/.well-known/autoconfig/mail/config-v1.1.xml", &h, &rp);
	ck_assert_uint_eq(rp.status, 200);
	ck_assert_ptr_eq(rp.blob, &pc0()->autoconfig);
	reply_free(&rp);
}
END_TEST

/* Documents are rendered when first asked for and kept for the site's
 * life; -t renders them all at once. */
START_TEST(documents_rendered_once)
{
	struct diag d = { 0 };
	const struct pcache *pc;

	ck_assert_ptr_null(atomic_load(&site->pc[0]));
	pc = pc0();
	ck_assert_ptr_nonnull(pc);
	ck_assert_ptr_eq(atomic_load(&site->pc[0]), pc);
	ck_assert_ptr_eq(pc0(), pc);
	ck_assert_ptr_nonnull(pc->autoconfig.resp);
	ck_assert_uint_gt(pc->autoconfig.len, 0);
	ck_assert_int_eq(site_render_all(site, &d), 0);
	ck_assert_int_eq(d.nerrors, 0);
	ck_assert_ptr_eq(pc0(), pc);
	diag_free(&d);
}
END_TEST

START_TEST(errors)
{
	struct fake bad = { .query = { { "emailaddress", "<script>@x.org" } } };
	struct fake unknown = { .query = { { "emailaddress", "a@y.org" } } };
	struct fake none = { 0 };
	struct reply rp;

	run(M_GET, "/mail/config-v1.1.xml", &bad, &rp);
	ck_assert_uint_eq(rp.status, 400);
	ck_assert_str_eq(rp.ctype, "text/plain; charset=utf-8");
	ck_assert_str_eq(rp.body.data, "invalid emailaddress: invalid character in local part\n");
	reply_free(&rp);
	run(M_GET, "/mail/config-v1.1.xml", &unknown, &rp);
	ck_assert_uint_eq(rp.status, 404);
	ck_assert_str_eq(rp.body.data, "no provider serves the domain y.org\n");
	reply_free(&rp);
	run(M_GET, "/mail/config-v1.1.xml", &none, &rp);
	ck_assert_uint_eq(rp.status, 404);
	reply_free(&rp);
	run(M_POST, "/mail/config-v1.1.xml", &none, &rp);
	ck_assert_uint_eq(rp.status, 405);
	ck_assert_uint_eq(rp.nheaders, 1);
	ck_assert_str_eq(rp.headers[0].name, "Allow");
	ck_assert_str_eq(rp.headers[0].value, "GET, HEAD");
	reply_free(&rp);
	run(M_GET, "/nope", &none, &rp);
	ck_assert_uint_eq(rp.status, 404);
	ck_assert_str_eq(rp.endpoint, "other");
	reply_free(&rp);
}
END_TEST

START_TEST(pacc_and_settings)
{
	struct fake h = { .headers = { { "host", "ua-auto-config.x.org" } } };
	struct fake b = { .headers = { { "accept", "text/html" } },
	    .query = { { "emailaddress", "a&b@x.org" } } };
	struct reply rp;

	run(M_GET, "/.well-known/user-agent-configuration", &h, &rp);
	ck_assert_uint_eq(rp.status, 200);
	ck_assert_ptr_eq(rp.blob, &pc0()->pacc);
	ck_assert_str_eq(rp.endpoint, "pacc");
	reply_free(&rp);
	run(M_GET, "/settings", &b, &rp);
	ck_assert_uint_eq(rp.status, 200);
	ck_assert_str_eq(rp.ctype, "text/html; charset=utf-8");
	ck_assert_str_eq(rp.endpoint, "settings");
	ck_assert_ptr_nonnull(strstr(rp.body.data, "<code>a&amp;b@x.org</code>"));
	ck_assert_str_eq(rp.headers[0].name, "Content-Security-Policy");
	reply_free(&rp);

	ck_assert(accepts_html("text/html"));
	ck_assert(accepts_html("text/plain;q=0.5, TEXT/HTML;level=1"));
	ck_assert(accepts_html("application/xhtml+xml"));
	ck_assert(!accepts_html(NULL));
	ck_assert(!accepts_html("*/*"));
	ck_assert(!accepts_html("text/html;q=0, */*;q=0.1"));
	ck_assert(!accepts_html("text/htmlx, text/plain"));
}
END_TEST

static Suite *
router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, autoconfig_by_address_and_host);
	tcase_add_test(tc, documents_rendered_once);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, pacc_and_settings);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(router_suite)

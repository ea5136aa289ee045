/* The router and endpoints without a network: requests are filled in
 * directly, as the fuzz harness does. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "conf.h"
#include "endpoints.h"
#include "request.h"
#include "site.h"
#include "unit.h"
#include "xmlreq.h"

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

static struct site *
make_site(const char *text)
{
	struct diag d = { 0 };
	struct conf *c = conf_load_buffer("t.json", text, strlen(text), &d);
	struct site *s;

	ck_assert_msg(c != NULL, "%s", d.errors.data);
	s = site_new(c, &d);
	ck_assert_ptr_nonnull(s);
	diag_free(&d);
	return s;
}

static void
setup(void)
{
	site = make_site("{\"providers\":[{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"imap.x.org\",\"port\":993,\"security\":\"ssl\"}]}]}");
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

/* ---- Autodiscover ------------------------------------------------------- */

static void
setup_ad(void)
{
	site = make_site("{\"trusted_proxies\":[\"10.0.0.1\"],\"providers\":["
	    "{\"name\":\"A\",\"domains\":[\"a.org\"],"
	    "\"activesync\":\"https://eas.a.org/Microsoft-Server-ActiveSync\",\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"imap.a.org\",\"port\":993,\"security\":\"ssl\"},"
	    "{\"protocol\":\"smtp\",\"host\":\"smtp.a.org\",\"port\":587,\"security\":\"starttls\"}]},"
	    "{\"name\":\"B\",\"domains\":[\"b.org\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"imap.b.org\",\"port\":993,\"security\":\"ssl\"}]}]}");
}

static void
post(const char *path, const char *body, struct reply *rp)
{
	struct fake f = { .headers = { { "Authorization", "Basic c2VjcmV0" } } };
	struct request rq = { .method = M_POST, .path = path, .site = site,
	    .body = body, .body_len = strlen(body), .header = fake_header,
	    .query = fake_query, .ctx = &f };

	memset(rp, 0, sizeof(*rp));
	route(&rq, rp);
}

static char *
pox(const char *ns, const char *who, const char *schema)
{
	struct buf b = { 0 };

	buf_printf(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	    "<Autodiscover xmlns=\"%s\"><Request>%s"
	    "<AcceptableResponseSchema>%s</AcceptableResponseSchema>"
	    "</Request></Autodiscover>", ns, who, schema);
	return buf_steal(&b);
}

/* Posts a request built by pox(); the reply in rp. */
static void
post_pox(const char *ns, const char *who, const char *schema,
    struct reply *rp)
{
	char *doc = pox(ns, who, schema);

	post("/autodiscover/autodiscover.xml", doc, rp);
	free(doc);
}

static void
expect_ad_error(struct reply *rp, const char *code)
{
	char want[64];

	ck_assert_uint_eq(rp->status, 200);
	ck_assert_str_eq(rp->ctype, "text/xml; charset=utf-8");
	snprintf(want, sizeof(want), "<ErrorCode>%s</ErrorCode>", code);
	ck_assert_msg(strstr(rp->body.data, want) != NULL, "%s", rp->body.data);
	ck_assert_ptr_null(strstr(rp->body.data, "2006a"));
}

START_TEST(pox_paths_and_schemas)
{
	static const char *const paths[] = { "/autodiscover/autodiscover.xml",
	    "/Autodiscover/Autodiscover.xml", "/AutoDiscover/AutoDiscover.xml",
	    "/AUTODISCOVER/AUTODISCOVER.XML" };
	char *out = pox(AD_NS_OUTLOOK_REQUEST,
	    "<EMailAddress>Al&amp;ice@A.org</EMailAddress>", AD_NS_OUTLOOK_RESPONSE);
	char *eas = pox(AD_NS_MOBILESYNC_REQUEST,
	    "<EMailAddress>bob@a.org</EMailAddress>", AD_NS_MOBILESYNC_RESPONSE);
	struct reply rp;

	for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
		post(paths[i], out, &rp);
		ck_assert_uint_eq(rp.status, 200);
		ck_assert_str_eq(rp.endpoint, "autodiscover");
		ck_assert_str_eq(rp.ctype, "text/xml; charset=utf-8");
		ck_assert_ptr_null(rp.blob);
		ck_assert_ptr_nonnull(strstr(rp.body.data, "<LoginName>Al&amp;ice@a.org</LoginName>"));
		ck_assert_ptr_nonnull(strstr(rp.body.data, "<Server>smtp.a.org</Server>"));
		reply_free(&rp);
	}
	post(paths[1], eas, &rp);
	ck_assert_uint_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body.data, "<EMailAddress>bob@a.org</EMailAddress>"));
	ck_assert_ptr_nonnull(strstr(rp.body.data, "<Url>https://eas.a.org/Microsoft-Server-ActiveSync</Url>"));
	reply_free(&rp);
	free(out);
	free(eas);
}
END_TEST

START_TEST(pox_errors)
{
	struct fake none = { 0 };
	struct reply rp;

	/* GET: 405, Allow: POST. */
	run(M_GET, "/Autodiscover/Autodiscover.xml", &none, &rp);
	ck_assert_uint_eq(rp.status, 405);
	ck_assert_str_eq(rp.headers[0].name, "Allow");
	ck_assert_str_eq(rp.headers[0].value, "POST");
	reply_free(&rp);

	post("/autodiscover/autodiscover.xml", "", &rp);
	expect_ad_error(&rp, "600");
	ck_assert_ptr_nonnull(strstr(rp.body.data, "<Message>Invalid Request</Message>"));
	reply_free(&rp);
	post("/autodiscover/autodiscover.xml", "<Autodiscover><Request>", &rp);
	expect_ad_error(&rp, "600");
	reply_free(&rp);

	/* An invalid address is a malformed request, and is not echoed. */
	post_pox(AD_NS_OUTLOOK_REQUEST, "<EMailAddress><![CDATA[<b>x</b>@a.org]]>"
	    "</EMailAddress>", AD_NS_OUTLOOK_RESPONSE, &rp);
	expect_ad_error(&rp, "600");
	ck_assert_ptr_null(strstr(rp.body.data, "<b>"));
	reply_free(&rp);

	/* Unknown domain: HTTP 404 so that clients fall through. */
	post_pox(AD_NS_OUTLOOK_REQUEST, "<EMailAddress>a@c.org</EMailAddress>",
	    AD_NS_OUTLOOK_RESPONSE, &rp);
	ck_assert_uint_eq(rp.status, 404);
	ck_assert_str_eq(rp.body.data, "no provider serves the domain c.org\n");
	reply_free(&rp);
	post_pox(AD_NS_OUTLOOK_REQUEST, "<LegacyDN>/o=Org/cn=a</LegacyDN>",
	    AD_NS_OUTLOOK_RESPONSE, &rp);
	ck_assert_uint_eq(rp.status, 404);
	reply_free(&rp);
	/* A LegacyDN that is an address is used as one. */
	post_pox(AD_NS_OUTLOOK_REQUEST, "<LegacyDN>d@a.org</LegacyDN>",
	    AD_NS_OUTLOOK_RESPONSE, &rp);
	ck_assert_uint_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body.data, "<LoginName>d@a.org</LoginName>"));
	reply_free(&rp);

	/* Unsupported schema; mobilesync without an ActiveSync URL. */
	post_pox(AD_NS_OUTLOOK_REQUEST, "<EMailAddress>a@a.org</EMailAddress>",
	    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006", &rp);
	expect_ad_error(&rp, "601");
	reply_free(&rp);
	post_pox(AD_NS_MOBILESYNC_REQUEST, "<EMailAddress>a@b.org</EMailAddress>",
	    AD_NS_MOBILESYNC_RESPONSE, &rp);
	expect_ad_error(&rp, "601");
	reply_free(&rp);
}
END_TEST

static void
get(const char *path, struct fake *f, const struct sockaddr *peer,
    struct reply *rp)
{
	struct request rq = { .method = M_GET, .path = path, .site = site,
	    .peer = peer, .header = fake_header, .query = fake_query,
	    .ctx = f };

	memset(rp, 0, sizeof(*rp));
	route(&rq, rp);
}

START_TEST(json_forms)
{
	struct fake q = { .query = { { "Email", "a@a.org" },
	    { "Protocol", "Autodiscoverv1" } },
	    .headers = { { "Host", "Autodiscover.A.org" } } };
	struct fake v = { .query = { { "Protocol", "AUTODISCOVERV1" } },
	    .headers = { { "Host", "autodiscover.a.org:8443" } } };
	struct fake eas = { .query = { { "Protocol", "activesync" } },
	    .headers = { { "Host", "x" } } };
	struct reply rp;

	get("/autodiscover/autodiscover.json", &q, NULL, &rp);
	ck_assert_uint_eq(rp.status, 200);
	ck_assert_str_eq(rp.ctype, "application/json; charset=utf-8");
	ck_assert_str_eq(rp.endpoint, "autodiscover-json");
	ck_assert_str_eq(rp.body.data, "{\"Protocol\":\"AutodiscoverV1\","
	    "\"Url\":\"https://autodiscover.a.org/autodiscover/autodiscover.xml\"}");
	reply_free(&rp);
	get("/AutoDiscover/AutoDiscover.json/V1.0/b%x@A.org", &v, NULL, &rp);
	ck_assert_uint_eq(rp.status, 200);
	ck_assert_str_eq(rp.body.data, "{\"Protocol\":\"AutodiscoverV1\","
	    "\"Url\":\"https://autodiscover.a.org:8443/autodiscover/autodiscover.xml\"}");
	reply_free(&rp);
	get("/autodiscover/autodiscover.json/v1.0/c@a.org", &eas, NULL, &rp);
	ck_assert_uint_eq(rp.status, 200);
	/* Pre-rendered per provider. */
	ck_assert_ptr_eq(rp.blob,
	    &site_pcache(site, &site->conf->providers[0])->ad_json_eas);
	ck_assert_str_eq(rp.blob->data, "{\"Protocol\":\"ActiveSync\","
	    "\"Url\":\"https://eas.a.org/Microsoft-Server-ActiveSync\"}");
	reply_free(&rp);
}
END_TEST

START_TEST(json_errors)
{
	struct fake rest = { .query = { { "Email", "a@a.org" },
	    { "Protocol", "Rest" } } };
	struct fake noproto = { .query = { { "Email", "a@a.org" } } };
	struct fake easb = { .query = { { "Email", "a@b.org" },
	    { "Protocol", "ActiveSync" } } };
	struct fake unknown = { .query = { { "Email", "a@c.org" },
	    { "Protocol", "AutodiscoverV1" } } };
	struct fake nohost = { .query = { { "Email", "a@a.org" },
	    { "Protocol", "AutodiscoverV1" } },
	    .headers = { { "Host", "bad host" } } };
	struct fake v1 = { .query = { { "Protocol", "AutodiscoverV1" } } };
	struct reply rp;

	get("/autodiscover/autodiscover.json", &rest, NULL, &rp);
	ck_assert_uint_eq(rp.status, 400);
	ck_assert_str_eq(rp.ctype, "application/json; charset=utf-8");
	ck_assert_str_eq(rp.body.data, "{\"ErrorCode\":\"InvalidProtocol\","
	    "\"ErrorMessage\":\"The given protocol value 'Rest' is invalid. "
	    "Supported values are 'AutodiscoverV1,ActiveSync'\"}");
	reply_free(&rp);
	get("/autodiscover/autodiscover.json", &noproto, NULL, &rp);
	ck_assert_uint_eq(rp.status, 400);
	ck_assert_ptr_nonnull(strstr(rp.body.data, "value '' is invalid"));
	reply_free(&rp);
	/* ActiveSync is only a protocol where it is configured. */
	get("/autodiscover/autodiscover.json", &easb, NULL, &rp);
	ck_assert_uint_eq(rp.status, 400);
	ck_assert_ptr_nonnull(strstr(rp.body.data, "Supported values are 'AutodiscoverV1'\""));
	reply_free(&rp);
	get("/autodiscover/autodiscover.json", &unknown, NULL, &rp);
	ck_assert_uint_eq(rp.status, 404);
	reply_free(&rp);
	get("/autodiscover/autodiscover.json/v1.0/a@c.org", &v1, NULL, &rp);
	ck_assert_uint_eq(rp.status, 404);
	reply_free(&rp);
	get("/autodiscover/autodiscover.json/v1.0/<a>@a.org", &v1, NULL, &rp);
	ck_assert_uint_eq(rp.status, 400);
	ck_assert_str_eq(rp.body.data, "invalid address: invalid character in local part\n");
	reply_free(&rp);
	get("/autodiscover/autodiscover.json", &nohost, NULL, &rp);
	ck_assert_uint_eq(rp.status, 400);
	ck_assert_str_eq(rp.body.data, "no valid Host header\n");
	reply_free(&rp);
	/* Neither an address nor a Host naming a served domain. */
	get("/autodiscover/autodiscover.json/v1.0/", &v1, NULL, &rp);
	ck_assert_uint_eq(rp.status, 404);
	reply_free(&rp);
	get("/autodiscover/autodiscover.jsonx", &v1, NULL, &rp);
	ck_assert_uint_eq(rp.status, 404);
	ck_assert_str_eq(rp.endpoint, "other");
	reply_free(&rp);
}
END_TEST

static const char *
base(const struct sockaddr *peer, struct fake *f)
{
	static char out[300];
	struct request rq = { .method = M_GET, .path = "/", .site = site,
	    .peer = peer, .header = fake_header, .query = fake_query,
	    .ctx = f };
	struct buf b = { 0 };

	if (public_base_url(&rq, &b) < 0) {
		ck_assert_ptr_null(b.data);
		return NULL;
	}
	snprintf(out, sizeof(out), "%s", b.data);
	buf_free(&b);
	return out;
}

START_TEST(public_base)
{
	struct sockaddr_in proxy = { .sin_family = AF_INET };
	struct sockaddr_in other = { .sin_family = AF_INET };
	struct sockaddr_in6 proxy6 = { .sin6_family = AF_INET6 };
	const struct sockaddr *tp = (const struct sockaddr *)&proxy;
	const struct sockaddr *op = (const struct sockaddr *)&other;
	struct fake fwd = { .headers = { { "Host", "internal:8080" },
	    { "X-Forwarded-Host", " Auto.Example.COM , proxy2" },
	    { "X-Forwarded-Proto", "HTTP, https" } } };
	struct fake fwd_host = { .headers = { { "Host", "internal" },
	    { "X-Forwarded-Host", "a.example:444" } } };
	struct fake fwd_bad = { .headers = { { "Host", "internal" },
	    { "X-Forwarded-Host", "a b" }, { "X-Forwarded-Proto", "gopher" } } };

	inet_pton(AF_INET, "10.0.0.1", &proxy.sin_addr);
	inet_pton(AF_INET, "10.0.0.2", &other.sin_addr);
	inet_pton(AF_INET6, "::ffff:10.0.0.1", &proxy6.sin6_addr);

	/* Trusted proxy: its forwarded headers, first item. */
	ck_assert_str_eq(base(tp, &fwd), "http://auto.example.com");
	ck_assert_str_eq(base((const struct sockaddr *)&proxy6, &fwd),
	    "http://auto.example.com");
	ck_assert_str_eq(base(tp, &fwd_host), "https://a.example:444");
	ck_assert_ptr_null(base(tp, &fwd_bad));
	/* Anyone else: forwarded headers ignored, https://Host. */
	ck_assert_str_eq(base(op, &fwd), "https://internal:8080");
	ck_assert_str_eq(base(NULL, &fwd), "https://internal:8080");

	static const struct { const char *host, *want; } hosts[] = {
		{ "Example.ORG.", "https://example.org" },
		{ "b\xc3\xbc" "cher.example", "https://xn--bcher-kva.example" },
		{ "192.0.2.1:80", "https://192.0.2.1:80" },
		{ "[2001:DB8::0:1]:8443", "https://[2001:db8::1]:8443" },
		{ "[::1]", "https://[::1]" },
		{ "a.example:65535", "https://a.example:65535" },
		{ "a.example:0", NULL }, { "a.example:65536", NULL },
		{ "a.example:", NULL }, { "a.example:123456", NULL },
		{ "a.example:8x", NULL }, { "a.example:80:80", NULL },
		{ "[::1", NULL }, { "[::1]x", NULL }, { "[]", NULL },
		{ "[fe80::1%eth0]", NULL }, { "[a.example]", NULL },
		{ "", NULL }, { "a/b", NULL }, { "a\"b", NULL },
		{ "<script>", NULL }, { "a..b", NULL },
	};
	for (size_t i = 0; i < ARRAY_LEN(hosts); i++) {
		struct fake h = { .headers = { { "Host", hosts[i].host } } };
		const char *got = base(op, &h);

		if (hosts[i].want == NULL)
			ck_assert_msg(got == NULL, "%s: %s", hosts[i].host, got);
		else
			ck_assert_msg(got != NULL && strcmp(got, hosts[i].want) == 0,
			    "%s: %s", hosts[i].host, got ? got : "(null)");
	}
	struct fake none = { 0 };
	ck_assert_ptr_null(base(op, &none));

	/* public_url wins over everything. */
	site_free(site);
	site = make_site("{\"public_url\":\"https://ac.example/sub/\",\"trusted_proxies\":[\"10.0.0.1\"],"
	    "\"providers\":[{\"name\":\"A\",\"domains\":[\"a.org\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"imap.a.org\",\"port\":993,\"security\":\"ssl\"}]}]}");
	ck_assert_str_eq(base(tp, &fwd), "https://ac.example/sub");
	ck_assert_str_eq(base(op, &none), "https://ac.example/sub");
	/* ... and the v2 answer is then rendered once for everyone. */
	struct fake v1 = { .query = { { "Email", "x@a.org" },
	    { "Protocol", "autodiscoverV1" } } };
	struct reply rp;
	get("/autodiscover/autodiscover.json", &v1, op, &rp);
	ck_assert_uint_eq(rp.status, 200);
	ck_assert_ptr_eq(rp.blob, &site->ad_json_v1);
	ck_assert_str_eq(rp.blob->data, "{\"Protocol\":\"AutodiscoverV1\","
	    "\"Url\":\"https://ac.example/sub/autodiscover/autodiscover.xml\"}");
	reply_free(&rp);
}
END_TEST

/* ---- client family and outcome (the metrics and the access log) ------- */

#define TB "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 " \
	"Thunderbird/128.0"
#define OL "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook " \
	"16.0.17928; Pro)"
#define IOS "iOS/17.5 (21F79) dataaccessd/1.0"
#define SAFARI "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) " \
	"AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 " \
	"Mobile/15E148 Safari/604.1"

START_TEST(clients_and_outcomes)
{
	char *ol_ok = pox(AD_NS_OUTLOOK_REQUEST,
	    "<EMailAddress>al@a.org</EMailAddress>", AD_NS_OUTLOOK_RESPONSE);
	char *ol_unknown = pox(AD_NS_OUTLOOK_REQUEST,
	    "<EMailAddress>al@c.org</EMailAddress>", AD_NS_OUTLOOK_RESPONSE);
	char *ol_bad = pox(AD_NS_OUTLOOK_REQUEST,
	    "<EMailAddress>al@@a.org</EMailAddress>", AD_NS_OUTLOOK_RESPONSE);
	char *ol_none = pox(AD_NS_OUTLOOK_REQUEST, "", AD_NS_OUTLOOK_RESPONSE);
	char *ol_dn = pox(AD_NS_OUTLOOK_REQUEST,
	    "<LegacyDN>/o=x/cn=al</LegacyDN>", AD_NS_OUTLOOK_RESPONSE);
	char *eas_a = pox(AD_NS_MOBILESYNC_REQUEST,
	    "<EMailAddress>al@a.org</EMailAddress>", AD_NS_MOBILESYNC_RESPONSE);
	char *eas_b = pox(AD_NS_MOBILESYNC_REQUEST,
	    "<EMailAddress>al@b.org</EMailAddress>", AD_NS_MOBILESYNC_RESPONSE);
	const struct {
		enum method m;
		const char *path, *qk, *qv, *q2k, *q2v, *ua, *host, *body;
		unsigned int status;
		enum client client;
		enum outcome outcome;
		const char *provider, *domain;
	} t[] = {
		/* Thunderbird: the address names the domain. */
		{ M_GET, "/mail/config-v1.1.xml", "emailaddress", "al@a.org",
		    NULL, NULL, TB, "autoconfig.b.org", NULL, 200,
		    CLIENT_THUNDERBIRD, OUTCOME_ANSWERED, "a.org", "" },
		{ M_GET, "/mail/config-v1.1.xml", "emailaddress", "al@c.org",
		    NULL, NULL, TB, NULL, NULL, 404,
		    CLIENT_THUNDERBIRD, OUTCOME_UNKNOWN_DOMAIN, NULL, "" },
		{ M_GET, "/mail/config-v1.1.xml", "emailaddress", "al@@a.org",
		    NULL, NULL, TB, NULL, NULL, 400,
		    CLIENT_THUNDERBIRD, OUTCOME_BAD_ADDRESS, NULL, "" },
		/* Android: the Host names it. */
		{ M_GET, "/mail/config-v1.1.xml", NULL, NULL, NULL, NULL,
		    "okhttp/4.12.0", "Autoconfig.B.org:443", NULL, 200,
		    CLIENT_THUNDERBIRD_ANDROID, OUTCOME_ANSWERED, "b.org",
		    "b.org" },
		{ M_HEAD, "/.well-known/autoconfig/mail/config-v1.1.xml", NULL,
		    NULL, NULL, NULL, "okhttp/4.12.0", "b.org", NULL, 200,
		    CLIENT_THUNDERBIRD_ANDROID, OUTCOME_ANSWERED, "b.org",
		    "b.org" },
		{ M_GET, "/mail/config-v1.1.xml", NULL, NULL, NULL, NULL,
		    "okhttp/4.12.0", "autoconfig.c.org", NULL, 404,
		    CLIENT_THUNDERBIRD_ANDROID, OUTCOME_UNKNOWN_DOMAIN, NULL,
		    "c.org" },
		{ M_GET, "/mail/config-v1.1.xml", NULL, NULL, NULL, NULL,
		    "okhttp/4.12.0", "192.0.2.1", NULL, 404,
		    CLIENT_THUNDERBIRD_ANDROID, OUTCOME_MISSING_ADDRESS, NULL,
		    "" },
		{ M_GET, "/mail/config-v1.1.xml", NULL, NULL, NULL, NULL,
		    "okhttp/4.12.0", NULL, NULL, 404,
		    CLIENT_THUNDERBIRD_ANDROID, OUTCOME_MISSING_ADDRESS, NULL,
		    "" },
		/* Evolution's made-up user. */
		{ M_GET, "/mail/config-v1.1.xml", "emailaddress",
		    "EVOLUTIONUSER@a.org", "emailmd5", "0", NULL, NULL, NULL,
		    200, CLIENT_EVOLUTION, OUTCOME_ANSWERED, "a.org", "" },
		/* Outlook's POX, its errors and ActiveSync. */
		{ M_POST, "/autodiscover/autodiscover.xml", NULL, NULL, NULL,
		    NULL, OL, NULL, ol_ok, 200, CLIENT_OUTLOOK,
		    OUTCOME_ANSWERED, "a.org", "" },
		{ M_POST, "/Autodiscover/Autodiscover.xml", NULL, NULL, NULL,
		    NULL, OL, NULL, ol_unknown, 404, CLIENT_OUTLOOK,
		    OUTCOME_UNKNOWN_DOMAIN, NULL, "" },
		{ M_POST, "/autodiscover/autodiscover.xml", NULL, NULL, NULL,
		    NULL, OL, NULL, ol_bad, 200, CLIENT_OUTLOOK,
		    OUTCOME_BAD_ADDRESS, NULL, "" },
		{ M_POST, "/autodiscover/autodiscover.xml", NULL, NULL, NULL,
		    NULL, OL, NULL, ol_none, 200, CLIENT_OUTLOOK,
		    OUTCOME_MISSING_ADDRESS, NULL, "" },
		{ M_POST, "/autodiscover/autodiscover.xml", NULL, NULL, NULL,
		    NULL, OL, NULL, "<x", 200, CLIENT_OUTLOOK,
		    OUTCOME_MISSING_ADDRESS, NULL, "" },
		{ M_POST, "/autodiscover/autodiscover.xml", NULL, NULL, NULL,
		    NULL, OL, NULL, ol_dn, 404, CLIENT_OUTLOOK,
		    OUTCOME_NOT_FOUND, NULL, "" },
		{ M_GET, "/autodiscover/autodiscover.xml", NULL, NULL, NULL,
		    NULL, OL, NULL, NULL, 405, CLIENT_OUTLOOK,
		    OUTCOME_NOT_FOUND, NULL, "" },
		{ M_POST, "/autodiscover/autodiscover.xml", NULL, NULL, NULL,
		    NULL, IOS, NULL, eas_a, 200, CLIENT_ACTIVESYNC,
		    OUTCOME_ANSWERED, "a.org", "" },
		/* b.org has no ActiveSync: 601 in a 200. */
		{ M_POST, "/autodiscover/autodiscover.xml", NULL, NULL, NULL,
		    NULL, IOS, NULL, eas_b, 200, CLIENT_ACTIVESYNC,
		    OUTCOME_NOT_FOUND, "b.org", "" },
		/* Autodiscover v2. */
		{ M_GET, "/autodiscover/autodiscover.json", "Email", "al@a.org",
		    "Protocol", "AutodiscoverV1", OL, "a.org", NULL, 200,
		    CLIENT_OUTLOOK, OUTCOME_ANSWERED, "a.org", "" },
		{ M_GET, "/autodiscover/autodiscover.json/v1.0/al@c.org",
		    "Protocol", "AutodiscoverV1", NULL, NULL, OL, NULL, NULL,
		    404, CLIENT_OUTLOOK, OUTCOME_UNKNOWN_DOMAIN, NULL, "" },
		{ M_GET, "/autodiscover/autodiscover.json/v1.0/a<l@a.org",
		    "Protocol", "AutodiscoverV1", NULL, NULL, OL, NULL, NULL,
		    400, CLIENT_OUTLOOK, OUTCOME_BAD_ADDRESS, NULL, "" },
		{ M_GET, "/autodiscover/autodiscover.json", "Email", "al@a.org",
		    "Protocol", "Rest", OL, NULL, NULL, 400, CLIENT_OUTLOOK,
		    OUTCOME_NOT_FOUND, "a.org", "" },
		{ M_GET, "/autodiscover/autodiscover.json", NULL, NULL,
		    "Protocol", "ActiveSync", "Outlook-iOS/2.0",
		    "autodiscover.a.org", NULL, 200, CLIENT_ACTIVESYNC,
		    OUTCOME_ANSWERED, "a.org", "a.org" },
		/* Apple's profile, PACC. */
		{ M_GET, "/email.mobileconfig", "emailaddress", "al@a.org",
		    NULL, NULL, SAFARI, NULL, NULL, 200, CLIENT_APPLE,
		    OUTCOME_ANSWERED, "a.org", "" },
		{ M_GET, "/email.mobileconfig", NULL, NULL, NULL, NULL, SAFARI,
		    "a.org", NULL, 400, CLIENT_APPLE,
		    OUTCOME_MISSING_ADDRESS, NULL, "" },
		{ M_GET, "/.well-known/user-agent-configuration.json", NULL,
		    NULL, NULL, NULL, NULL, "ua-auto-config.a.org", NULL, 200,
		    CLIENT_PACC, OUTCOME_ANSWERED, "a.org", "a.org" },
		{ M_GET, "/.well-known/user-agent-configuration", NULL,
		    NULL, NULL, NULL, NULL, "ua-auto-config.c.org", NULL, 404,
		    CLIENT_PACC, OUTCOME_UNKNOWN_DOMAIN, NULL, "c.org" },
		/* People: the form alone is an answer. */
		{ M_GET, "/", NULL, NULL, NULL, NULL, SAFARI, "c.org", NULL,
		    200, CLIENT_OTHER, OUTCOME_ANSWERED, NULL, "c.org" },
		{ M_GET, "/settings", "emailaddress", "al@c.org", NULL, NULL,
		    SAFARI, NULL, NULL, 404, CLIENT_OTHER,
		    OUTCOME_UNKNOWN_DOMAIN, NULL, "" },
		/* Paths nothing serves. */
		{ M_POST, "/autodiscover/autodiscover.svc", NULL, NULL, NULL,
		    NULL, OL, NULL, "x", 404, CLIENT_OUTLOOK,
		    OUTCOME_NOT_FOUND, NULL, "" },
		{ M_GET, "/wp-login.php", NULL, NULL, NULL, NULL, SAFARI, NULL,
		    NULL, 404, CLIENT_OTHER, OUTCOME_NOT_FOUND, NULL, "" },
		/* Not a client's. */
		{ M_GET, "/healthz", NULL, NULL, NULL, NULL, TB, NULL, NULL,
		    200, CLIENT_NONE, OUTCOME_ANSWERED, NULL, "" },
	};

	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct fake f = { .headers = { { "User-Agent", t[i].ua },
		    { "Host", t[i].host } }, .query = { { t[i].qk, t[i].qv },
		    { t[i].q2k, t[i].q2v } } };
		struct request rq = { .method = t[i].m, .path = t[i].path,
		    .site = site, .header = fake_header, .query = fake_query,
		    .ctx = &f, .body = t[i].body,
		    .body_len = t[i].body ? strlen(t[i].body) : 0 };
		struct reply rp;

		/* A NULL value ends the fake's list: drop the Host alone. */
		if (t[i].ua == NULL)
			f.headers[0] = f.headers[1], f.headers[1].k = NULL;
		if (t[i].qk == NULL)
			f.query[0] = f.query[1], f.query[1].k = NULL;
		memset(&rp, 0, sizeof(rp));
		route(&rq, &rp);
		ck_assert_msg(rp.status == t[i].status, "%zu %s: status %u",
		    i, t[i].path, rp.status);
		ck_assert_msg(rp.client == t[i].client, "%zu %s: client %d",
		    i, t[i].path, rp.client);
		ck_assert_msg(reply_outcome(&rp) == t[i].outcome,
		    "%zu %s: outcome %d", i, t[i].path, reply_outcome(&rp));
		if (t[i].provider == NULL)
			ck_assert_msg(rp.provider == NULL, "%zu: %s", i,
			    rp.provider);
		else
			ck_assert_msg(rp.provider != NULL &&
			    strcmp(rp.provider, t[i].provider) == 0, "%zu", i);
		ck_assert_msg(strcmp(rp.domain, t[i].domain) == 0,
		    "%zu: domain %s", i, rp.domain);
		reply_free(&rp);
	}
	free(ol_ok);
	free(ol_unknown);
	free(ol_bad);
	free(ol_none);
	free(ol_dn);
	free(eas_a);
	free(eas_b);
}
END_TEST

/* A server error is not a client's outcome. */
START_TEST(outcome_from_status)
{
	struct reply rp = { .status = 200 };

	ck_assert_int_eq(reply_outcome(&rp), OUTCOME_ANSWERED);
	rp.status = 302;
	ck_assert_int_eq(reply_outcome(&rp), OUTCOME_ANSWERED);
	rp.status = 404;
	ck_assert_int_eq(reply_outcome(&rp), OUTCOME_NOT_FOUND);
	rp.status = 500;
	ck_assert_int_eq(reply_outcome(&rp), OUTCOME_UNSET);
	rp.outcome = OUTCOME_BAD_ADDRESS;
	ck_assert_int_eq(reply_outcome(&rp), OUTCOME_BAD_ADDRESS);
	ck_assert_str_eq(outcome_name(OUTCOME_ANSWERED), "answered");
	ck_assert_str_eq(outcome_name(OUTCOME_UNKNOWN_DOMAIN),
	    "unknown_domain");
	ck_assert_str_eq(outcome_name(OUTCOME_BAD_ADDRESS), "bad_address");
	ck_assert_str_eq(outcome_name(OUTCOME_MISSING_ADDRESS),
	    "missing_address");
	ck_assert_str_eq(outcome_name(OUTCOME_NOT_FOUND), "not_found");
	ck_assert_ptr_null(outcome_name(OUTCOME_UNSET));
	ck_assert_ptr_null(outcome_name(OUTCOME_COUNT));
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
	tc = tcase_create("autodiscover");
	tcase_add_checked_fixture(tc, setup_ad, teardown);
	tcase_add_test(tc, pox_paths_and_schemas);
	tcase_add_test(tc, pox_errors);
	tcase_add_test(tc, json_forms);
	tcase_add_test(tc, json_errors);
	tcase_add_test(tc, public_base);
	tcase_add_test(tc, clients_and_outcomes);
	tcase_add_test(tc, outcome_from_status);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(router_suite)

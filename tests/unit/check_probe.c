/* The pure half of "autoconfd probe" (probe_judge.c): DNS answers and HTTP
 * results set up here by hand, read as each client reads them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "digest.h"
#include "probe.h"
#include "unit.h"

static struct probe *pr;

static const char autoconfig_doc[] =
    "<clientConfig version=\"1.1\"><emailProvider id=\"example.com\">"
    "<domain>example.com</domain><displayName>Ex</displayName>"
    "<incomingServer type=\"imap\"><hostname>imap.example.com</hostname>"
    "<port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%"
    "</username><authentication>password-cleartext</authentication>"
    "</incomingServer><outgoingServer type=\"smtp\"><hostname>"
    "smtp.example.com</hostname><port>465</port><socketType>SSL</socketType>"
    "<username>%EMAILADDRESS%</username><authentication>password-cleartext"
    "</authentication></outgoingServer></emailProvider></clientConfig>";

static const char pox_doc[] =
    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/"
    "autodiscover/responseschema/2006\"><Response xmlns=\"http://"
    "schemas.microsoft.com/exchange/autodiscover/outlook/responseschema"
    "/2006a\"><Account><AccountType>email</AccountType><Action>settings"
    "</Action><Protocol><Type>IMAP</Type><Server>imap.example.com</Server>"
    "<Port>993</Port><LoginName>alice@example.com</LoginName><SPA>off</SPA>"
    "<SSL>on</SSL><Encryption>SSL</Encryption><AuthRequired>on"
    "</AuthRequired></Protocol><Protocol><Type>SMTP</Type><Server>"
    "smtp.example.com</Server><Port>465</Port><LoginName>alice@example.com"
    "</LoginName><SPA>off</SPA><SSL>on</SSL><Encryption>SSL</Encryption>"
    "<AuthRequired>on</AuthRequired></Protocol></Account></Response>"
    "</Autodiscover>";

static const char pacc_doc[] = "{\"protocols\":{\"imap\":{\"host\":"
    "\"imap.example.com\"},\"smtp\":{\"host\":\"smtp.example.com\"}},"
    "\"authentication\":{\"password\":true}}";

static void
setup(void)
{
	const char *why;

	pr = calloc(1, sizeof(*pr));
	ck_assert_ptr_nonnull(pr);
	snprintf(pr->domain, sizeof(pr->domain), "example.com");
	ck_assert_int_eq(email_parse("alice@example.com", 17, &pr->em, &why),
	    0);
	/* Every client's URLs, each fetch answering 404 until a test says
	 * otherwise. */
	for (int c = FAMILY_FIRST; c < FAMILY_END; c++) {
		pr->nplan[c] = plan_client((enum client)c, &pr->em, NULL, NULL,
		    pr->plan[c]);
		for (size_t i = 0; i < pr->nplan[c]; i++) {
			struct probe_fetch *pf = &pr->fetch[pr->nfetch];

			pf->hop = -1;
			str_copy(pf->f.url, sizeof(pf->f.url),
			    pr->plan[c][i].url);
			pf->f.done = true;
			pf->f.status = 404;
			pf->port = strncmp(pf->f.url, "https", 5) == 0 ? 443 :
			    80;
			pf->https = pf->port == 443;
			sscanf(pf->f.url + (pf->https ? 8 : 7), "%253[^/:?]",
			    pf->host);
			pr->plan_fetch[c][i] = (int)pr->nfetch++;
		}
	}
}

static void
teardown(void)
{
	for (size_t i = 0; i < pr->nfetch; i++)
		fetch_free(&pr->fetch[i].f);
	free(pr);
}

static struct probe_fetch *
fetch_of(enum client c, size_t i)
{
	return &pr->fetch[pr->plan_fetch[c][i]];
}

static void
answer(struct probe_fetch *pf, const char *ctype, const char *body)
{
	pf->f.status = 200;
	snprintf(pf->f.ctype, sizeof(pf->f.ctype), "%s", ctype);
	buf_puts(&pf->f.body_out, body);
}

static struct dns_answer *
dns(const char *name, enum dns_type t, enum dns_status st)
{
	struct dns_answer *a = &pr->dns[pr->ndns++];

	snprintf(a->name, sizeof(a->name), "%s", name);
	a->type = t;
	a->status = st;
	return a;
}

START_TEST(fallback_to_http_after_a_refused_certificate)
{
	struct probe_fetch *pf = fetch_of(CLIENT_THUNDERBIRD, 0);
	struct client_view *v = &pr->views[CLIENT_THUNDERBIRD];

	pf->f.curl_code = 60;
	pf->f.cert_failed = true;
	snprintf(pr->certs[0].host, sizeof(pr->certs[0].host),
	    "autoconfig.example.com");
	pr->certs[0].port = 443;
	pr->certs[0].reached = true;
	snprintf(pr->certs[0].r.detail, sizeof(pr->certs[0].r.detail),
	    "the certificate does not name autoconfig.example.com");
	pr->ncerts = 1;
	fetch_of(CLIENT_THUNDERBIRD, 1)->no_address = true;
	dns("example.com", DNS_A, DNS_NXDOMAIN);
	answer(fetch_of(CLIENT_THUNDERBIRD, 2), "text/xml", autoconfig_doc);
	probe_judge(pr);
	ck_assert_int_eq(v->outcome, VERDICT_FALLBACK);
	ck_assert_str_eq(v->answer_url, "http://autoconfig.example.com/mail/"
	    "config-v1.1.xml?emailaddress=alice%40example.com");
	ck_assert_ptr_nonnull(strstr(v->reason, "falls back to plain http ("));
	ck_assert_ptr_nonnull(strstr(v->reason, "certificate refused: the "
	    "certificate does not name autoconfig.example.com"));
	ck_assert_ptr_nonnull(strstr(v->reason, "no address for example.com "
	    "(no such name (NXDOMAIN))"));
	ck_assert_str_eq(v->in.host, "imap.example.com");
	ck_assert(!probe_all_work(pr));
}
END_TEST

START_TEST(wrong_content_type_stops_thunderbird)
{
	struct client_view *v = &pr->views[CLIENT_THUNDERBIRD];

	answer(fetch_of(CLIENT_THUNDERBIRD, 0), "text/html", autoconfig_doc);
	answer(fetch_of(CLIENT_THUNDERBIRD, 2), "text/xml", autoconfig_doc);
	answer(fetch_of(CLIENT_THUNDERBIRD_ANDROID, 0), "text/html", autoconfig_doc);
	probe_judge(pr);
	ck_assert_int_eq(v->outcome, VERDICT_FAILS);
	ck_assert_ptr_nonnull(strstr(v->reason, "Content-Type \"text/html\""));
	ck_assert_int_eq(pr->views[CLIENT_THUNDERBIRD_ANDROID].outcome, VERDICT_WORKS);
}
END_TEST

START_TEST(pacc_digest)
{
	char d[DIGEST_B64_LEN + 1], rec[128];
	struct dns_answer *a;
	struct client_view *v = &pr->views[CLIENT_PACC];

	answer(fetch_of(CLIENT_PACC, 0), "application/json", pacc_doc);
	probe_judge(pr);
	ck_assert_int_eq(v->outcome, VERDICT_FAILS);
	ck_assert_ptr_nonnull(strstr(v->reason, "no \"v=UAAC1; a=sha256; "
	    "d=...\" TXT record at _ua-auto-config.example.com"));
	a = dns("_ua-auto-config.example.com", DNS_TXT, DNS_OK);
	a->n = 1;
	snprintf(a->rr[0].text, sizeof(a->rr[0].text), "v=UAAC1; a=sha256; "
	    "d=AAAA");
	probe_judge(pr);
	ck_assert_int_eq(v->outcome, VERDICT_FAILS);
	ck_assert_ptr_nonnull(strstr(v->reason, "stale digest: the TXT record "
	    "at _ua-auto-config.example.com says d=AAAA"));
	digest_sha256_b64(pacc_doc, strlen(pacc_doc), d);
	snprintf(rec, sizeof(rec), "v=UAAC1;a=sha256 ;  d=%s", d);
	snprintf(a->rr[0].text, sizeof(a->rr[0].text), "%s", rec);
	probe_judge(pr);
	ck_assert_int_eq(v->outcome, VERDICT_WORKS);
	ck_assert_int_eq(v->in.port, 993);
}
END_TEST

START_TEST(pacc_txt_records)
{
	char d[64];

	ck_assert_int_eq(pacc_txt_digest("v=UAAC1; a=sha256; d=abc=", d,
	    sizeof(d)), 0);
	ck_assert_str_eq(d, "abc=");
	ck_assert_int_eq(pacc_txt_digest("v=UAAC2; a=sha256; d=abc=", d,
	    sizeof(d)), -1);
	ck_assert_int_eq(pacc_txt_digest("v=UAAC1; a=sha1; d=abc=", d,
	    sizeof(d)), -1);
	ck_assert_int_eq(pacc_txt_digest("v=UAAC1; a=sha256", d, sizeof(d)),
	    -1);
}
END_TEST

START_TEST(outlook_fails_with_every_reason)
{
	struct client_view *v = &pr->views[CLIENT_OUTLOOK];

	dns("_autodiscover._tcp.example.com", DNS_SRV, DNS_NXDOMAIN);
	fetch_of(CLIENT_OUTLOOK, 0)->no_address = true;
	fetch_of(CLIENT_OUTLOOK, 1)->f.curl_code = 7;
	snprintf(fetch_of(CLIENT_OUTLOOK, 1)->f.error, 64, "Connection refused");
	probe_judge(pr);
	ck_assert_int_eq(v->outcome, VERDICT_FAILS);
	ck_assert(!v->in.set);
	ck_assert_ptr_nonnull(strstr(v->reason, "https://autodiscover."
	    "example.com/autodiscover/autodiscover.xml: Connection refused"));
	ck_assert_ptr_nonnull(strstr(v->reason, "http://autodiscover."
	    "example.com/autodiscover/autodiscover.xml: HTTP 404"));
	ck_assert_ptr_nonnull(strstr(v->reason, "_autodiscover._tcp."
	    "example.com: no such name"));
}
END_TEST

START_TEST(outlook_follows_the_http_redirect)
{
	struct probe_fetch *first = fetch_of(CLIENT_OUTLOOK, 2), *hop;
	struct client_view *v = &pr->views[CLIENT_OUTLOOK];

	ck_assert_int_eq(pr->plan[CLIENT_OUTLOOK][2].kind, FK_POX_REDIRECT);
	first->follow = first->follow_post = true;
	first->f.status = 302;
	snprintf(first->f.location, sizeof(first->f.location),
	    "https://mail.example.com/autodiscover/autodiscover.xml");
	hop = &pr->fetch[pr->nfetch];
	first->hop = (int)pr->nfetch++;
	hop->hop = -1;
	hop->follow = true;
	str_copy(hop->f.url, sizeof(hop->f.url), first->f.location);
	hop->f.done = true;
	answer(hop, "text/xml; charset=utf-8", pox_doc);
	probe_judge(pr);
	ck_assert_int_eq(v->outcome, VERDICT_FALLBACK);
	ck_assert_ptr_nonnull(strstr(v->reason, "falls back to the http "
	    "redirect (https://mail.example.com/autodiscover/"
	    "autodiscover.xml)"));
	ck_assert_str_eq(v->answer_url, "https://mail.example.com/"
	    "autodiscover/autodiscover.xml");
	ck_assert_str_eq(v->in.username, "alice@example.com");
	/* An answer instead of the redirect is no route. */
	first->hop = -1;
	answer(first, "text/xml", pox_doc);
	probe_judge(pr);
	ck_assert_int_eq(v->outcome, VERDICT_FAILS);
	ck_assert_ptr_nonnull(strstr(v->reason, "answered instead of "
	    "redirecting to https"));
}
END_TEST

START_TEST(every_client_works)
{
	char d[DIGEST_B64_LEN + 1];
	struct dns_answer *a;

	answer(fetch_of(CLIENT_THUNDERBIRD, 0), "text/xml", autoconfig_doc);
	answer(fetch_of(CLIENT_THUNDERBIRD_ANDROID, 0), "application/xml", autoconfig_doc);
	answer(fetch_of(CLIENT_EVOLUTION, 0), "text/xml", autoconfig_doc);
	answer(fetch_of(CLIENT_OUTLOOK, 1), "text/xml", pox_doc);
	answer(fetch_of(CLIENT_PACC, 0), "application/json", pacc_doc);
	digest_sha256_b64(pacc_doc, strlen(pacc_doc), d);
	a = dns("_ua-auto-config.example.com", DNS_TXT, DNS_OK);
	a->n = 1;
	snprintf(a->rr[0].text, sizeof(a->rr[0].text), "v=UAAC1; a=sha256; "
	    "d=%s", d);
	probe_judge(pr);
	/* No profile: Apple fails, the rest works. */
	ck_assert_int_eq(pr->views[CLIENT_APPLE].outcome, VERDICT_FAILS);
	ck_assert(!probe_all_work(pr));
	for (int c = FAMILY_FIRST; c < FAMILY_END; c++)
		if (c != CLIENT_APPLE)
			ck_assert_msg(pr->views[c].outcome == VERDICT_WORKS,
			    "%s: %s", client_name((enum client)c),
			    pr->views[c].reason);
	ck_assert_str_eq(pr->views[CLIENT_OUTLOOK].answer_url, "https://"
	    "autodiscover.example.com/autodiscover/autodiscover.xml");
}
END_TEST

static Suite *
probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("judge");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fallback_to_http_after_a_refused_certificate);
	tcase_add_test(tc, wrong_content_type_stops_thunderbird);
	tcase_add_test(tc, pacc_digest);
	tcase_add_test(tc, pacc_txt_records);
	tcase_add_test(tc, outlook_fails_with_every_reason);
	tcase_add_test(tc, outlook_follows_the_http_redirect);
	tcase_add_test(tc, every_client_works);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(probe_suite)

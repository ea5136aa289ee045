/* The client rules (clients.c) on answers written here by hand, the
 * readers of answers (answers.c) on hostile bytes, the URLs each client
 * fetches (plan.c), and "show"'s views from a config (views.c). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "answers.h"
#include "clientview.h"
#include "conf.h"
#include "plan.h"
#include "unit.h"
#include "views.h"

static struct email em;

static void
setup(void)
{
	const char *why;

	ck_assert_int_eq(email_parse("alice@example.com", 17, &em, &why), 0);
}

static void
read_ac(const char *xml, struct ans_autoconfig *a)
{
	const char *why = NULL;

	ck_assert_msg(answer_autoconfig(xml, strlen(xml), a, &why) == 0, "%s",
	    why);
}

static struct client_view
view_of(enum client c, const char *xml)
{
	static struct ans_autoconfig a;
	struct client_view v;

	memset(&v, 0, sizeof(v));
	v.client = c;
	read_ac(xml, &a);
	client_autoconfig(c, &a, &em, &v);
	return v;
}

#define AC_HEAD "<clientConfig version=\"1.1\"><emailProvider id=\"example.com\">" \
	"<domain>example.com</domain><displayName>Ex</displayName>"
#define AC_TAIL "</emailProvider></clientConfig>"
#define SMTP465 "<outgoingServer type=\"smtp\"><hostname>smtp.example.com" \
	"</hostname><port>465</port><socketType>SSL</socketType><username>" \
	"%EMAILADDRESS%</username><authentication>password-cleartext" \
	"</authentication></outgoingServer>"

static const char oauth_only[] = AC_HEAD
    "<incomingServer type=\"imap\"><hostname>imap.example.com</hostname>"
    "<port>993</port><socketType>SSL</socketType><username>%EMAILADDRESS%"
    "</username><authentication>OAuth2</authentication></incomingServer>"
    SMTP465 AC_TAIL;

START_TEST(thunderbird_oauth2_only_fails)
{
	struct client_view v = view_of(CLIENT_THUNDERBIRD, oauth_only);

	ck_assert_int_eq(v.outcome, VERDICT_FAILS);
	ck_assert_ptr_nonnull(strstr(v.reason, "skips imap imap.example.com:993:"
	    " OAuth2 only, which Thunderbird takes only for the providers it "
	    "knows"));
	ck_assert_ptr_nonnull(strstr(v.reason, "no incoming server "
	    "Thunderbird can use"));
	ck_assert(!v.in.set);
	/* Android takes OAuth2. */
	v = view_of(CLIENT_THUNDERBIRD_ANDROID, oauth_only);
	ck_assert_int_eq(v.outcome, VERDICT_WORKS);
	ck_assert_str_eq(v.in.auth, "OAuth2");
}
END_TEST

START_TEST(thunderbird_skips_to_the_next_server)
{
	static const char xml[] = AC_HEAD
	    "<incomingServer type=\"imap\"><hostname>imap.example.com"
	    "</hostname><port>993</port><socketType>SSL</socketType>"
	    "<username>%EMAILADDRESS%</username><authentication>OAuth2"
	    "</authentication></incomingServer>"
	    "<incomingServer type=\"jmap\"><url>https://jmap.example.com/"
	    "</url></incomingServer>"
	    "<incomingServer type=\"pop3\"><hostname>pop.example.com"
	    "</hostname><port>995</port><socketType>SSL</socketType>"
	    "<username>%EMAILLOCALPART%</username><authentication>"
	    "password-encrypted</authentication></incomingServer>"
	    SMTP465 AC_TAIL;
	struct client_view v = view_of(CLIENT_THUNDERBIRD, xml);

	ck_assert_int_eq(v.outcome, VERDICT_FALLBACK);
	ck_assert_str_eq(v.in.protocol, "pop3");
	ck_assert_str_eq(v.in.host, "pop.example.com");
	ck_assert_int_eq(v.in.port, 995);
	ck_assert_str_eq(v.in.auth, "password-encrypted");
	ck_assert_str_eq(v.in.username, "alice");
	/* A type it does not read is no flaw: not named. */
	ck_assert_ptr_null(strstr(v.reason, "jmap"));
	ck_assert_str_eq(v.out.username, "alice@example.com");
}
END_TEST

START_TEST(thunderbird_url_entry_and_attributes)
{
	static const char xml[] = AC_HEAD
	    "<incomingServer type=\"imap\"><hostname system=\"x\">"
	    "imap.example.com</hostname><port>993</port><socketType>SSL"
	    "</socketType><username>%EMAILADDRESS%</username><authentication>"
	    "password-cleartext</authentication></incomingServer>"
	    "<incomingServer type=\"ews\"><url>https://mail.example.com:8443/"
	    "EWS/Exchange.asmx</url><username>%EMAILADDRESS%</username>"
	    "<authentication>NTLM</authentication></incomingServer>"
	    SMTP465 AC_TAIL;
	struct client_view v = view_of(CLIENT_THUNDERBIRD, xml);

	ck_assert_int_eq(v.outcome, VERDICT_FALLBACK);
	ck_assert_ptr_nonnull(strstr(v.reason, "an element with an "
	    "attribute"));
	ck_assert_str_eq(v.in.protocol, "ews");
	ck_assert_str_eq(v.in.host, "mail.example.com");
	ck_assert_int_eq(v.in.port, 8443);
	ck_assert_int_eq(v.in.security, SEC_SSL);
	ck_assert_str_eq(v.in.auth, "NTLM");
}
END_TEST

START_TEST(android_refuses_the_whole_file)
{
	static const char xml[] = AC_HEAD
	    "<incomingServer type=\"imap\"><hostname>imap.example.com"
	    "</hostname><port>993</port><socketType>SSL</socketType>"
	    "<username>%EMAILADDRESS%</username><authentication>"
	    "password-cleartext</authentication></incomingServer>"
	    "<incomingServer type=\"imap\"><hostname>imap.example.com"
	    "</hostname><port>143</port><socketType>plain</socketType>"
	    "<username>%EMAILADDRESS%</username><authentication>"
	    "password-cleartext</authentication></incomingServer>"
	    SMTP465 AC_TAIL;
	struct client_view v = view_of(CLIENT_THUNDERBIRD_ANDROID, xml);

	ck_assert_int_eq(v.outcome, VERDICT_FAILS);
	ck_assert_str_eq(v.reason, "refuses the whole file for the imap "
	    "server imap.example.com:143: socketType plain");
	/* Thunderbird desktop takes the first. */
	v = view_of(CLIENT_THUNDERBIRD, xml);
	ck_assert_int_eq(v.outcome, VERDICT_WORKS);
	ck_assert_int_eq(v.in.port, 993);
	/* Evolution the last: the plain one. */
	v = view_of(CLIENT_EVOLUTION, xml);
	ck_assert_int_eq(v.outcome, VERDICT_FALLBACK);
	ck_assert_int_eq(v.in.port, 143);
	ck_assert_int_eq(v.in.security, SEC_PLAIN);
}
END_TEST

START_TEST(thunderbird_needs_a_plain_domain)
{
	static const char xml[] = "<clientConfig version=\"1.1\">"
	    "<emailProvider id=\"example.com\"><domain purpose=\"mx\">"
	    "example.com</domain>" SMTP465 AC_TAIL;
	struct client_view v = view_of(CLIENT_THUNDERBIRD, xml);

	ck_assert_int_eq(v.outcome, VERDICT_FAILS);
	ck_assert_str_eq(v.reason, "the file has no plain <domain>");
}
END_TEST

START_TEST(readers_refuse_hostile_bytes)
{
	static const char *const bad[] = {
		"<?xml version=\"1.0\"?><!DOCTYPE clientConfig [<!ENTITY a "
		    "\"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><clientConfig>&b;"
		    "</clientConfig>",
		"<!DOCTYPE clientConfig SYSTEM \"http://example.com/x.dtd\">"
		    "<clientConfig/>",
		"<clientConfig><emailProvider",
		"<config/>",
		"",
	};
	struct ans_autoconfig a;
	struct ans_pox p;
	struct ans_profile pr;
	struct ans_pacc pc;
	const char *why;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ck_assert_int_eq(answer_autoconfig(bad[i], strlen(bad[i]), &a,
		    &why), -1);
		ck_assert_ptr_nonnull(why);
		ck_assert_int_eq(answer_pox(bad[i], strlen(bad[i]), &p, &why),
		    -1);
		ck_assert_int_eq(answer_profile(bad[i], strlen(bad[i]), &pr,
		    &why), -1);
	}
	/* A DER blob that is no CMS. */
	ck_assert_int_eq(answer_profile("\x30\x03\x02\x01\x01", 5, &pr, &why),
	    -1);
	ck_assert(pr.is_signed);
	ck_assert_int_eq(answer_pacc("[1]", 3, &pc, &why), -1);
	ck_assert_int_eq(answer_pacc("{\"protocols\":1}", 15, &pc, &why), -1);
	ck_assert_int_eq(answer_pacc("{\"a\":1,\"a\":2}", 13, &pc, &why), -1);
}
END_TEST

START_TEST(outlook_reads_pox)
{
	static const char xml[] =
	    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/"
	    "autodiscover/responseschema/2006\"><Response xmlns=\"http://"
	    "schemas.microsoft.com/exchange/autodiscover/outlook/responseschema"
	    "/2006a\"><Account><AccountType>email</AccountType><Action>settings"
	    "</Action>"
	    "<Protocol><Type>IMAP</Type><Server>imap.example.com</Server><Port>"
	    "993</Port><LoginName>alice</LoginName><SPA>off</SPA><SSL>on</SSL>"
	    "<Encryption>TLS</Encryption><AuthRequired>on</AuthRequired>"
	    "</Protocol>"
	    "<Protocol><Type>POP3</Type><Server>pop.example.com</Server><Port>"
	    "995</Port><LoginName>alice</LoginName><SPA>off</SPA><SSL>on</SSL>"
	    "<Encryption>SSL</Encryption><AuthRequired>on</AuthRequired>"
	    "</Protocol>"
	    "<Protocol><Type>SMTP</Type><Server>smtp.example.com</Server><Port>"
	    "587</Port><LoginName>alice</LoginName><SSL>on</SSL><Encryption>TLS"
	    "</Encryption><AuthRequired>on</AuthRequired></Protocol>"
	    "</Account></Response></Autodiscover>";
	struct ans_pox a;
	struct client_view v = { .client = CLIENT_OUTLOOK };
	const char *why;

	ck_assert_int_eq(answer_pox(xml, strlen(xml), &a, &why), 0);
	ck_assert_uint_eq(a.nproto, 3);
	client_pox(CLIENT_OUTLOOK, &a, &v);
	/* TLS on 993 breaks classic Outlook: it takes POP3. SPA missing on
	 * SMTP means NTLM. */
	ck_assert_int_eq(v.outcome, VERDICT_FALLBACK);
	ck_assert_ptr_nonnull(strstr(v.reason, "skips IMAP imap.example.com: "
	    "Encryption TLS on port 993"));
	ck_assert_str_eq(v.in.protocol, "pop3");
	ck_assert_str_eq(v.out.auth, "NTLM");
	ck_assert_int_eq(v.out.security, SEC_STARTTLS);
	/* Thunderbird's Exchange set-up: the port decides. */
	memset(&v, 0, sizeof(v));
	client_pox(CLIENT_THUNDERBIRD, &a, &v);
	ck_assert_int_eq(v.outcome, VERDICT_WORKS);
	ck_assert_str_eq(v.in.protocol, "imap");
	ck_assert_int_eq(v.in.security, SEC_SSL);
}
END_TEST

START_TEST(outlook_error_document)
{
	static const char xml[] =
	    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/"
	    "autodiscover/responseschema/2006\"><Response><Error Time=\"1\" "
	    "Id=\"2\"><ErrorCode>600</ErrorCode><Message>Invalid Request"
	    "</Message><DebugData/></Error></Response></Autodiscover>";
	struct ans_pox a;
	struct client_view v = { .client = CLIENT_OUTLOOK };
	const char *why;

	ck_assert_int_eq(answer_pox(xml, strlen(xml), &a, &why), 0);
	client_pox(CLIENT_OUTLOOK, &a, &v);
	ck_assert_int_eq(v.outcome, VERDICT_FAILS);
	ck_assert_str_eq(v.reason, "Autodiscover error 600: Invalid Request");
}
END_TEST

START_TEST(pacc_reads_hosts)
{
	static const char doc[] = "{\"protocols\":{\"pop3\":{\"host\":"
	    "\"pop.example.com\"},\"smtp\":{\"host\":\"smtp.example.com\"}},"
	    "\"authentication\":{\"password\":false,\"oauth-public\":"
	    "{\"issuer\":\"https://id.example.com\"}}}";
	struct ans_pacc a;
	struct client_view v = { .client = CLIENT_PACC };
	const char *why;

	ck_assert_int_eq(answer_pacc(doc, strlen(doc), &a, &why), 0);
	client_pacc(&a, &em, &v);
	ck_assert_int_eq(v.outcome, VERDICT_WORKS);
	ck_assert_str_eq(v.in.protocol, "pop3");
	ck_assert_int_eq(v.in.port, 995);
	ck_assert_int_eq(v.out.port, 465);
	ck_assert_str_eq(v.in.auth, "OAuth2");
	ck_assert_str_eq(v.in.username, "alice@example.com");
}
END_TEST

START_TEST(plan_urls)
{
	struct attempt at[PLAN_MAX];
	struct plan_dns dns = { .mx_domains = { "mail.hoster.net",
	    "hoster.net" }, .nmx = 2, .srv = { "ad.hoster.net:8443" },
	    .nsrv = 1 };
	size_t n;

	n = plan_client(CLIENT_THUNDERBIRD, &em, NULL, &dns, at);
	ck_assert_uint_eq(n, 8);
	ck_assert_str_eq(at[0].url, "https://autoconfig.example.com/mail/"
	    "config-v1.1.xml?emailaddress=alice%40example.com");
	ck_assert(at[0].primary && at[1].primary && !at[2].primary);
	ck_assert_str_eq(at[3].url, "http://example.com/.well-known/autoconfig"
	    "/mail/config-v1.1.xml?emailaddress=alice%40example.com");
	ck_assert_str_eq(at[4].url, "https://autoconfig.mail.hoster.net/mail/"
	    "config-v1.1.xml?emailaddress=alice%40example.com");
	ck_assert_str_eq(at[4].via, "the MX route");
	ck_assert_int_eq(at[6].kind, FK_POX);
	n = plan_client(CLIENT_THUNDERBIRD_ANDROID, &em, NULL, &dns, at);
	ck_assert_str_eq(at[0].url, "https://autoconfig.example.com/mail/"
	    "config-v1.1.xml");
	ck_assert_uint_eq(n, 6);
	n = plan_client(CLIENT_OUTLOOK, &em, NULL, &dns, at);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(at[2].url, "https://ad.hoster.net:8443/autodiscover/"
	    "autodiscover.xml");
	ck_assert(!at[2].primary);
	ck_assert_int_eq(at[3].kind, FK_POX_REDIRECT);
	ck_assert_str_eq(at[3].url, "http://autodiscover.example.com/"
	    "autodiscover/autodiscover.xml");
	n = plan_client(CLIENT_APPLE, &em, "https://setup.example.net/ac", NULL, at);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(at[0].url, "https://setup.example.net/ac/email."
	    "mobileconfig?emailaddress=alice%40example.com");
	n = plan_client(CLIENT_EVOLUTION, &em, NULL, &dns, at);
	ck_assert_uint_eq(n, 4);	/* no MX route */
	/* MD5 of "alice@example.com". */
	ck_assert_str_eq(at[0].url, "https://autoconfig.example.com/mail/"
	    "config-v1.1.xml?emailaddress=EVOLUTIONUSER%40example.com&emailmd5="
	    "c160f8cc69a4f0bf2b0362752353d060");
}
END_TEST

START_TEST(mx_route_domains)
{
	char out[2][DOMAIN_MAX + 1];

	ck_assert_uint_eq(plan_mx_domains("mx1.mail.hoster.net", "hoster.net",
	    "example.com", out), 2);
	ck_assert_str_eq(out[0], "mail.hoster.net");
	ck_assert_str_eq(out[1], "hoster.net");
	ck_assert_uint_eq(plan_mx_domains("mx.hoster.net", "hoster.net",
	    "example.com", out), 1);
	ck_assert_str_eq(out[0], "hoster.net");
	/* The address's own domain was asked already. */
	ck_assert_uint_eq(plan_mx_domains("mx.example.com", "example.com",
	    "example.com", out), 0);
	ck_assert_uint_eq(plan_mx_domains("mx.mail.example.com", "example.com",
	    "example.com", out), 1);
	ck_assert_str_eq(out[0], "mail.example.com");
}
END_TEST

static struct conf *
load(const char *text)
{
	struct diag d = { 0 };
	struct conf *c = conf_load_buffer("t.json", text, strlen(text), &d);

	ck_assert_msg(c != NULL, "%s", d.errors.data);
	diag_free(&d);
	return c;
}

START_TEST(views_from_the_renderers)
{
	struct conf *c = load("{\"providers\": [{\"id\": \"example.com\", "
	    "\"name\": \"Ex\", \"domains\": [\"example.com\"], \"servers\": ["
	    "{\"protocol\": \"imap\", \"host\": \"imap.example.com\", "
	    "\"port\": 993, \"security\": \"ssl\"},"
	    "{\"protocol\": \"pop3\", \"host\": \"pop.example.com\", "
	    "\"port\": 110, \"security\": \"plain\"},"
	    "{\"protocol\": \"smtp\", \"host\": \"smtp.example.com\", "
	    "\"port\": 587, \"security\": \"starttls\"}]}]}");
	struct client_view v[CLIENT_COUNT];
	struct report r = { "alice@example.com", "example.com",
	    v + FAMILY_FIRST, FAMILY_END - FAMILY_FIRST, false, NULL, 0 };
	struct buf out = { 0 };

	ck_assert_int_eq(views_from_config(c, &c->providers[0], &em, v), 0);
	for (int i = FAMILY_FIRST; i < FAMILY_END; i++) {
		ck_assert_int_eq(v[i].client, i);
		ck_assert_msg(v[i].in.set, "%s", client_name(v[i].client));
		ck_assert_str_eq(v[i].in.host, "imap.example.com");
		ck_assert_int_ne(v[i].in.security, SEC_PLAIN);
	}
	ck_assert_int_eq(v[CLIENT_PACC].outcome, VERDICT_FAILS);
	ck_assert_ptr_nonnull(strstr(v[CLIENT_PACC].reason, "smtp smtp.example.com"
	    ":587 starttls is left out"));
	ck_assert_int_eq(v[CLIENT_OUTLOOK].outcome, VERDICT_WORKS);
	ck_assert_int_eq(v[CLIENT_OUTLOOK].out.security, SEC_STARTTLS);
	report_json(&r, &out);
	ck_assert_ptr_nonnull(strstr(out.data, "\"outgoing\": null"));
	ck_assert_ptr_null(strstr(out.data, "checks"));
	buf_free(&out);
	conf_free(c);
}
END_TEST

START_TEST(report_of_hostile_text)
{
	struct client_view v = { .client = CLIENT_OUTLOOK,
	    .outcome = VERDICT_FAILS };
	struct check c = { .ok = false };
	struct report r = { "alice@example.com", NULL, &v, 1, true, &c, 1 };
	struct buf out = { 0 };

	/* A server's bytes: a terminal escape, a byte that is no UTF-8. */
	snprintf(v.reason, sizeof(v.reason), "answered with Content-Type "
	    "\"\x1b[2Jx\xff\"");
	snprintf(c.name, sizeof(c.name), "tls h\x07:443");
	snprintf(c.detail, sizeof(c.detail), "names \xc3\xa9t\xc3");
	report_text(&r, &out);
	ck_assert_ptr_null(memchr(out.data, 0x1b, out.len));
	ck_assert_ptr_null(memchr(out.data, 0x07, out.len));
	ck_assert_ptr_nonnull(strstr(out.data, "    why       answered with "
	    "Content-Type \"\\x1b[2Jx\xef\xbf\xbd\"\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "  FAIL tls h\\x07:443: names "
	    "\xc3\xa9t\xef\xbf\xbd\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "alice@example.com: no provider"));
	out.len = 0;
	report_json(&r, &out);
	ck_assert_msg(strstr(out.data, "\"reason\": \"answered with "
	    "Content-Type \\\"\\u001B[2Jx\xef\xbf\xbd\\\"\"") != NULL,
	    "%s", out.data);
	ck_assert_ptr_nonnull(strstr(out.data, "\"provider\": null"));
	ck_assert_ptr_nonnull(strstr(out.data, "\"answer_url\": null"));
	ck_assert_ptr_nonnull(strstr(out.data, "\"ok\": false"));
	buf_free(&out);
}
END_TEST

static Suite *
clients_suite(void)
{
	Suite *s = suite_create("clients");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, thunderbird_oauth2_only_fails);
	tcase_add_test(tc, thunderbird_skips_to_the_next_server);
	tcase_add_test(tc, thunderbird_url_entry_and_attributes);
	tcase_add_test(tc, android_refuses_the_whole_file);
	tcase_add_test(tc, thunderbird_needs_a_plain_domain);
	tcase_add_test(tc, readers_refuse_hostile_bytes);
	tcase_add_test(tc, outlook_reads_pox);
	tcase_add_test(tc, outlook_error_document);
	tcase_add_test(tc, pacc_reads_hosts);
	tcase_add_test(tc, plan_urls);
	tcase_add_test(tc, mx_route_domains);
	tcase_add_test(tc, views_from_the_renderers);
	tcase_add_test(tc, report_of_hostile_text);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(clients_suite)

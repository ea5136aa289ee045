#include "config.h"

#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "jpos.h"
#include "unit.h"

/* Loads text and returns the error text ("" when it loaded). */
static char errs[8192];

static const char *
text_of(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

static struct conf *
load(const char *text)
{
	struct diag d = { 0 }, w = { 0 };
	struct conf *c = conf_load_buffer("t.json", text, strlen(text), &d);
	struct conf *cw = conf_load_buffer_whole("t.json", text, strlen(text),
	    &w);

	snprintf(errs, sizeof(errs), "%s%s", text_of(&d.errors),
	    text_of(&d.warnings));
	if (c == NULL)
		ck_assert_int_gt(d.nerrors, 0);
	/* Every test also checks that the loader, which parses providers
	 * one at a time, says what one parse of the whole text says. */
	ck_assert_str_eq(text_of(&d.errors), text_of(&w.errors));
	ck_assert_str_eq(text_of(&d.warnings), text_of(&w.warnings));
	ck_assert_int_eq(d.nerrors, w.nerrors);
	ck_assert_int_eq(d.nwarnings, w.nwarnings);
	ck_assert_int_eq(c == NULL, cw == NULL);
	conf_free(cw);
	diag_free(&d);
	diag_free(&w);
	return c;
}

/* The whole diagnostics text. */
static void
expect_exactly(const char *text, const char *msg)
{
	struct conf *c = load(text);

	ck_assert_msg(c == NULL, "loaded: %s", text);
	ck_assert_str_eq(errs, msg);
}

static void
expect_error(const char *text, const char *msg)
{
	struct conf *c = load(text);

	ck_assert_msg(c == NULL, "loaded: %s", text);
	ck_assert_msg(strstr(errs, msg) != NULL, "expected \"%s\" in \"%s\"",
	    msg, errs);
}

#define SRV(extra) "{\"protocol\":\"imap\",\"host\":\"imap.x.org\",\"port\":993,\"security\":\"ssl\"" extra "}"
#define PROV(extra) "{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[" SRV("") "]" extra "}"
#define TOP(provs) "{\"providers\":[" provs "]}"

START_TEST(minimal_and_defaults)
{
	struct conf *c = load(TOP(PROV("")));

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->nproviders, 1);
	struct provider *p = &c->providers[0];
	ck_assert_str_eq(p->id, "x.org");
	ck_assert_str_eq(p->short_name, "X");
	ck_assert_uint_eq(p->nservers, 1);
	ck_assert_str_eq(p->servers[0].username, "%EMAILADDRESS%");
	ck_assert_uint_eq(p->servers[0].nauth, 1);
	ck_assert_int_eq(p->servers[0].auth[0], AUTH_PASSWORD_CLEARTEXT);
	ck_assert_uint_eq(p->servers[0].port, 993);
	ck_assert_uint_eq(c->nlisten, 0);
	conf_free(c);
}
END_TEST

START_TEST(syntax_errors_have_positions)
{
	expect_error("{\n  \"providers\": [\n    {,}\n  ]\n}", "t.json:3:6: ");
	expect_error("", "t.json:");
	expect_error("[1]", "t.json:1:1: the top level must be an object, found an array");
}
END_TEST

START_TEST(duplicate_keys)
{
	expect_error("{\"providers\": [], \"providers\": []}", "t.json:1:");
	ck_assert_msg(strstr(errs, "duplicate object key") != NULL, "%s", errs);
}
END_TEST

START_TEST(unknown_keys)
{
	expect_error("{\"providers\":[" PROV(",\n \"webmial\": \"https://w.x.org\"") "]}",
	    "t.json:2:2: providers[0].webmial: unknown key \"webmial\" (did you mean \"webmail\"?)");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[" SRV(",\"sekurity\":\"ssl\"") "]}"),
	    "providers[0].servers[0].sekurity: unknown key \"sekurity\" (did you mean \"security\"?)");
	expect_error("{\"zzzzzzzz\": 1, \"providers\":[" PROV("") "]}",
	    "t.json:1:2: zzzzzzzz: unknown key \"zzzzzzzz\"\n");
	/* Keys written with escapes are found where they stand. */
	expect_error("{\"providers\":[" PROV("") "],\n \"z\\u00e9\\ud83d\\ude00\\n\": 1}",
	    "t.json:2:2: z\xc3\xa9\xf0\x9f\x98\x80\\x0a: unknown key");
	/* The nested objects of a provider are no exception. */
	expect_exactly(TOP(PROV(",\"oauth2\":{\"issuer\":\"https://i.x.org\","
	    "\"scopes\":\"mail\"}")),
	    "t.json:1:164: providers[0].oauth2.scopes: unknown key \"scopes\" "
	    "(did you mean \"scope\"?)\n");
	expect_exactly(TOP(PROV(",\"mobileconfig\":{\"identifier\":\"org.x\","
	    "\"organisation\":\"X\"}")),
	    "t.json:1:164: providers[0].mobileconfig.organisation: unknown key "
	    "\"organisation\" (did you mean \"organization\"?)\n");
	expect_exactly(TOP(PROV(",\"mobileconfig\":{\"payload\":1}")),
	    "t.json:1:143: providers[0].mobileconfig.payload: unknown key "
	    "\"payload\"\n");
}
END_TEST

/* A port the kernel picks (0) or one past the last would have the daemon
 * listen somewhere nobody asked for. */
START_TEST(listen_ports)
{
	static const char *const bad[] = { "127.0.0.1:0", "127.0.0.1:65536",
	    "127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1: 80", "[::1]:0",
	    "[::1]:99999999999999999999", "*:", "*:80x" };
	struct sockaddr_storage ss;
	socklen_t len;
	const char *why;
	char text[256];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		snprintf(text, sizeof(text), "{\"listen\":[\"%s\"],"
		    "\"providers\":[" PROV("") "]}", bad[i]);
		expect_error(text, "listen[0]: \"");
		ck_assert_msg(strstr(errs, ": port must be 1-65535\n") != NULL,
		    "%s: %s", bad[i], errs);
	}
	struct conf *c = load("{\"listen\":[\"127.0.0.1:65535\",\"[::1]:1\"],"
	    "\"providers\":[" PROV("") "]}");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->nlisten, 2);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&c->listen[0].ss)->sin_port),
	    65535);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&c->listen[1].ss)->sin6_port),
	    1);
	conf_free(c);

	/* -l may ask for port 0 (tests read the port picked from the log);
	 * the range is otherwise the same. */
	ck_assert_int_eq(parse_listen("127.0.0.1:0", true, &ss, &len, &why), 0);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 0);
	ck_assert_int_eq(parse_listen("[::1]:0", true, &ss, &len, &why), 0);
	ck_assert_uint_eq(len, sizeof(struct sockaddr_in6));
	ck_assert_int_eq(parse_listen("127.0.0.1:0", false, &ss, &len, &why), -1);
	ck_assert_str_eq(why, "port must be 1-65535");
	ck_assert_int_eq(parse_listen("127.0.0.1:65536", true, &ss, &len, &why),
	    -1);
	ck_assert_str_eq(why, "port must be 0-65535");
	ck_assert_int_eq(parse_listen("127.0.0.1:-0", true, &ss, &len, &why),
	    -1);
}
END_TEST

START_TEST(bad_values)
{
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[{\"protocol\":\"imap\",\"host\":\"h.x.org\",\"port\":0,\"security\":\"ssl\"}]}"),
	    "providers[0].servers[0].port: expected integer 1-65535, found 0");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[{\"protocol\":\"imap\",\"host\":\"h.x.org\",\"port\":\"993\",\"security\":\"ssl\"}]}"),
	    "providers[0].servers[0].port: expected an integer, found a string");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[{\"protocol\":\"imap\",\"host\":\"h.x.org\",\"port\":70000,\"security\":\"ssl\"}]}"),
	    "t.json:1:101: providers[0].servers[0].port: expected integer 1-65535, found 70000");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[" SRV(",\"security\":\"tls\"") "]}"),
	    "duplicate object key");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[{\"protocol\":\"imap\",\"host\":\"h.x.org\",\"port\":1,\"security\":\"tls\"}]}"),
	    "providers[0].servers[0].security: unknown value \"tls\"; expected one of \"ssl\", \"starttls\", \"plain\"");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[{\"protocol\":\"imap4\",\"host\":\"h.x.org\",\"port\":1,\"security\":\"ssl\"}]}"),
	    "providers[0].servers[0].protocol: unknown value \"imap4\"; expected one of \"imap\", \"pop3\", \"smtp\"");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[" SRV(",\"auth\":[\"password\"]") "]}"),
	    "providers[0].servers[0].auth[0]: unknown value \"password\"; expected one of \"password-cleartext\"");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[" SRV(",\"auth\":[\"NTLM\",\"NTLM\"]") "]}"),
	    "providers[0].servers[0].auth[1]: \"NTLM\" listed twice");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[" SRV(",\"auth\":[\"OAuth2\"]") "]}"),
	    "OAuth2 alone makes Thunderbird reject");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[" SRV(",\"auth\":[\"NTLM\"]") "]}"),
	    "Thunderbird for Android rejects the whole file");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[" SRV(",\"username\":\"%USER%\"") "]}"),
	    "providers[0].servers[0].username: unknown placeholder at \"%USER%\"");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[" SRV(",\"leave_messages_on_server\":true") "]}"),
	    "only pop3 servers keep messages");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[{\"protocol\":\"imap\",\"host\":\"bad host\",\"port\":1,\"security\":\"ssl\"}]}"),
	    "providers[0].servers[0].host: \"bad host\" is not a valid host name");
	expect_error(TOP("{\"domains\":[\"x.org\"],\"servers\":[" SRV("") "]}"),
	    "t.json:1:15: providers[0]: missing required key \"name\"");
	expect_error(TOP("{\"name\":\"" "0123456789012345678901234567890123456789012345678901234567890" "\",\"domains\":[\"x.org\"],\"servers\":[" SRV("") "]}"),
	    "providers[0].name: longer than 60 characters");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[],\"servers\":[" SRV("") "]}"),
	    "providers[0].domains: must list at least one domain");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[]}"),
	    "providers[0].servers: must list at least one server");
	expect_error(TOP(PROV(",\"webmail\":\"ftp://x\"")), "providers[0].webmail: expected an http:// or https:// URL");
	expect_error(TOP(PROV(",\"oauth2\":{\"issuer\":\"http://x.org\"}")), "providers[0].oauth2.issuer: expected an https:// URL");
	expect_error(TOP(PROV(",\"name\":\"a\\u0001b\"")), "duplicate object key");
	expect_error("{\"listen\":[\"1.2.3.4\"]," "\"providers\":[" PROV("") "]}",
	    "listen[0]: \"1.2.3.4\": expected ADDRESS:PORT");
	expect_error("{\"listen\":[\"::1:80\"]," "\"providers\":[" PROV("") "]}",
	    "not an IPv4 address (IPv6 goes in brackets)");
	expect_error("{\"trusted_proxies\":[\"10.0.0.0/33\"]," "\"providers\":[" PROV("") "]}",
	    "trusted_proxies[0]: \"10.0.0.0/33\" is not an IP address or address/prefix");
	expect_error("{\"public_url\":\"https://x.org/?a\"," "\"providers\":[" PROV("") "]}",
	    "public_url: must not hold a query or fragment");
}
END_TEST

/* Both places, each with its line, column and path. */
START_TEST(domain_conflicts)
{
	expect_exactly(TOP(PROV("") ",{\"id\":\"y.org\",\"name\":\"Y\",\"domains\":[\"y.org\",\"X.ORG\"],\"servers\":[" SRV("") "]}"),
	    "t.json:1:172: providers[1].domains[1]: domain \"x.org\" already belongs to provider \"x.org\" "
	    "(t.json:1:38: providers[0].domains[0])\n");
	expect_exactly(TOP("{\"name\":\"X\",\"domains\":[\"x.org\",\"x.org.\"],\"servers\":[" SRV("") "]}"),
	    "t.json:1:46: providers[0].domains[1]: domain \"x.org\" listed twice "
	    "(also at t.json:1:38: providers[0].domains[0])\n");
	/* On lines of their own, the later behind a wildcard and a
	 * character of two bytes. */
	expect_exactly("{\"providers\": [\n"
	    "  {\"id\": \"a\", \"name\": \"A\", \"domains\": [\"x.org\", \"*.y.org\"],\n"
	    "   \"servers\": [" SRV("") "]},\n"
	    "  {\"id\": \"b\", \"name\": \"\xc3\xa9\", \"domains\": [\"z.org\",\n"
	    "     \"*.Y.org\"],\n"
	    "   \"servers\": [" SRV("") "]}\n]}\n",
	    "t.json:5:6: providers[1].domains[1]: domain \"*.y.org\" already belongs to provider \"a\" "
	    "(t.json:2:49: providers[0].domains[1])\n");
	/* Ids: given, or taken from the first domain. */
	expect_exactly(TOP(PROV("") ",\n" PROV("")),
	    "t.json:2:1: providers[1]: id \"x.org\" (its first domain) already used by providers[0] "
	    "(t.json:1:15: providers[0])\n");
	expect_exactly("{\"providers\": [{\"id\": \"a\", \"name\": \"A\", \"domains\": [\"x.org\"], \"servers\": [" SRV("") "]},\n"
	    " {\"name\": \"B\", \"id\": \"A\", \"domains\": [\"y.org\"], \"servers\": [" SRV("") "]}]}",
	    "t.json:2:22: providers[1].id: id \"a\" already used by providers[0] (t.json:1:23: providers[0].id)\n");
}
END_TEST

/* JSON allows no comma before a closing bracket: said at the comma, in
 * any array or object, whichever loader parses it. */
START_TEST(trailing_commas)
{
	expect_exactly("{\"providers\": [{\"name\": \"X\", \"domains\": [\"x.org\",]}]}",
	    "t.json:1:49: trailing comma before ']' (JSON allows none)\n");
	expect_exactly("{\"providers\": [" PROV("") ",\n  ]\n}",
	    "t.json:1:128: trailing comma before ']' (JSON allows none)\n");
	expect_exactly("{\n  \"providers\": [" PROV("") "],\n}\n",
	    "t.json:2:130: trailing comma before '}' (JSON allows none)\n");
	expect_exactly("{\"providers\": [" PROV("") ", {\"name\": \"X\" ,\r\n\t}]}",
	    "t.json:1:143: trailing comma before '}' (JSON allows none)\n");
	expect_exactly(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[" SRV(",") "]}"),
	    "t.json:1:124: trailing comma before '}' (JSON allows none)\n");
	expect_exactly("{\"listen\": [\"127.0.0.1:80\", ], \"providers\": [" PROV("") "]}",
	    "t.json:1:27: trailing comma before ']' (JSON allows none)\n");
	/* A comma inside a string is none; other errors at a bracket stay
	 * jansson's. */
	expect_exactly("{\"providers\": [{\"name\": \"X,\"]}",
	    "t.json:1:29: '}' expected near ']'\n");
	expect_exactly("{\"providers\": [{\"name\": ]}",
	    "t.json:1:25: unexpected token near ']'\n");
	expect_exactly("{\"providers\": [,]}", "t.json:1:16: unexpected token near ','\n");
}
END_TEST

/* A UTF-8 byte order mark is skipped: columns on the first line count
 * from after it, as editors show them. */
START_TEST(byte_order_mark)
{
	struct conf *c = load("\xef\xbb\xbf" TOP(PROV("")));

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->nproviders, 1);
	conf_free(c);
	expect_exactly("\xef\xbb\xbf{\"providers\": [1]}",
	    "t.json:1:16: providers[0]: expected an object, found an integer\n");
	expect_exactly("\xef\xbb\xbf{\"providers\": [{\"name\": tru}]}",
	    "t.json:1:27: invalid token near 'tru'\n");
	/* Only at the start, and only the whole mark. */
	expect_error(" \xef\xbb\xbf" TOP(PROV("")), "t.json:1:");
	expect_error("\xef\xbb" TOP(PROV("")), "t.json:1:");
	expect_error("\xef\xbb\xbf\xef\xbb\xbf" TOP(PROV("")), "t.json:1:");
	expect_error("\xef\xbb\xbf", "t.json:");
}
END_TEST

START_TEST(warnings)
{
	struct conf *c = load(TOP("{\"name\":\"X\",\"domains\":[\"x.org\",\"10.0.0.1\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"h.x.org\",\"port\":143,\"security\":\"plain\"},"
	    "{\"protocol\":\"smtp\",\"host\":\"h.x.org\",\"port\":465,\"security\":\"starttls\"}]}"));

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(strstr(errs, "warning: providers[0].domains[1]: \"10.0.0.1\" is an IP address") != NULL, "%s", errs);
	ck_assert_msg(strstr(errs, "imap is offered only without encryption") != NULL, "%s", errs);
	ck_assert_msg(strstr(errs, "STARTTLS on port 465") != NULL, "%s", errs);
	conf_free(c);
}
END_TEST

/* Every warning ends with its name; -t prints it as is. */
START_TEST(warnings_have_names)
{
	struct conf *c = load(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"10.1.2.3\",\"port\":993,\"security\":\"ssl\"},"
	    "{\"protocol\":\"pop3\",\"host\":\"p.x.org\",\"port\":110,\"security\":\"starttls\"},"
	    "{\"protocol\":\"imap\",\"host\":\"i.x.org\",\"port\":143,\"security\":\"starttls\"},"
	    "{\"protocol\":\"smtp\",\"host\":\"s.x.org\",\"port\":587,\"security\":\"starttls\",\"username\":\"%REALNAME%\"},"
	    "{\"protocol\":\"smtp\",\"host\":\"s.x.org\",\"port\":587,\"security\":\"ssl\"},"
	    "{\"protocol\":\"managesieve\",\"host\":\"m.x.org\",\"username\":\"%REALNAME%\"}],"
	    "\"jmap\":\"http://jmap.x.org/\"}"));

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(errs,
	    "t.json:1:84: warning: providers[0].servers[0].host: an IP address as host: "
	    "clients check the TLS certificate against it, and certificates rarely name one [ip-host]\n"
	    "t.json:1:124: warning: providers[0].servers[1]: STARTTLS on port 110: Thunderbird's "
	    "Exchange (Autodiscover) setup takes STARTTLS on any port but 143 and 587 for "
	    "implicit TLS [starttls-port]\n"
	    "t.json:1:264: warning: providers[0].servers[3]: a username with %REALNAME%, which only "
	    "the user knows: Thunderbird for Android logs in with it literally, Outlook and Apple "
	    "devices ask for the login [realname-username]\n"
	    "t.json:1:358: warning: providers[0].servers[4]: implicit TLS on port 587, a port for "
	    "STARTTLS: Thunderbird's Exchange (Autodiscover) setup takes it for STARTTLS [ssl-port]\n"
	    "t.json:1:499: warning: providers[0].jmap: plain http URL; clients may refuse it [http-url]\n");
	conf_free(c);

	/* No encrypted IMAP server: Thunderbird for Android has nothing. */
	c = load(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":["
	    "{\"protocol\":\"pop3\",\"host\":\"p.x.org\",\"port\":995,\"security\":\"ssl\"},"
	    "{\"protocol\":\"imap\",\"host\":\"i.x.org\",\"port\":143,\"security\":\"plain\"}]}"));
	ck_assert_ptr_nonnull(c);
	ck_assert_msg(strstr(errs, "warning: providers[0].servers: imap is offered only without "
	    "encryption; no client will be told about it [plain-only]\n") != NULL, "%s", errs);
	ck_assert_msg(strstr(errs, "warning: providers[0].servers: no IMAP server with encryption: "
	    "Thunderbird for Android sets up IMAP accounts only and refuses the autoconfig file "
	    "[no-imap]\n") != NULL, "%s", errs);
	conf_free(c);
}
END_TEST

START_TEST(accept_warnings)
{
	/* Accepted by name, per provider: the other provider still warns. */
	struct conf *c = load(TOP(
	    "{\"name\":\"X\",\"domains\":[\"x.org\"],\"accept_warnings\":[\"no-imap\",\"port-25\"],"
	    "\"servers\":[{\"protocol\":\"pop3\",\"host\":\"p.x.org\",\"port\":995,\"security\":\"ssl\"},"
	    "{\"protocol\":\"smtp\",\"host\":\"s.x.org\",\"port\":25,\"security\":\"starttls\"}]},"
	    "{\"name\":\"Y\",\"domains\":[\"y.org\"],\"servers\":["
	    "{\"protocol\":\"pop3\",\"host\":\"p.y.org\",\"port\":995,\"security\":\"ssl\"}]}"));
	struct diag d = { 0 };

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(strstr(errs, "providers[0].servers[1]: STARTTLS on port 25") != NULL, "%s", errs);
	ck_assert_ptr_null(strstr(errs, "providers[0].servers: no IMAP"));
	ck_assert_ptr_null(strstr(errs, "port 25 is for relaying"));
	ck_assert_msg(strstr(errs, "providers[1].servers: no IMAP server") != NULL, "%s", errs);
	conf_free(c);
	c = conf_load_buffer("t.json", TOP(PROV(",\"accept_warnings\":[\"no-imap\"]")),
	    strlen(TOP(PROV(",\"accept_warnings\":[\"no-imap\"]"))), &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(d.nwarnings, 0);
	conf_free(c);
	diag_free(&d);

	expect_error(TOP(PROV(",\"accept_warnings\":[\"no-imap\",\"no-imapp\"]")),
	    "providers[0].accept_warnings[1]: unknown value \"no-imapp\"; expected one of "
	    "\"http-url\", \"ip-host\", \"ip-domain\", \"single-label-domain\", \"long-name\", "
	    "\"long-short-name\", \"starttls-port\", \"ssl-port\", \"port-25\", \"plain-only\", "
	    "\"realname-username\", \"no-imap\", \"mta-sts-mx\", \"mta-sts-max-age\", "
	    "\"acme-dir\"\n");
	for (int w = 0; w < W_COUNT; w++)
		ck_assert_ptr_nonnull(strstr(errs, warning_name((enum warning)w)));
	expect_error(TOP(PROV(",\"accept_warnings\":\"no-imap\"")),
	    "providers[0].accept_warnings: expected an array, found a string");
	expect_error(TOP(PROV(",\"accept_warnings\":[7]")),
	    "providers[0].accept_warnings[0]: expected a string, found an integer");
}
END_TEST

START_TEST(managesieve_and_ews)
{
	struct conf *c = load(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],"
	    "\"ews\":\"https://mail.x.org/EWS/Exchange.asmx\",\"servers\":[" SRV("") ","
	    "{\"protocol\":\"managesieve\",\"host\":\"m.x.org\"},"
	    "{\"protocol\":\"managesieve\",\"host\":\"m.x.org\",\"port\":2000,\"security\":\"ssl\","
	    "\"auth\":[\"GSSAPI\"]}]}"));
	const struct provider *p;

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(errs, "");
	p = &c->providers[0];
	ck_assert_str_eq(p->ews, "https://mail.x.org/EWS/Exchange.asmx");
	ck_assert_int_eq(p->servers[1].proto, PROTO_MANAGESIEVE);
	ck_assert_uint_eq(p->servers[1].port, 4190);
	ck_assert_int_eq(p->servers[1].security, SEC_STARTTLS);
	ck_assert_str_eq(p->servers[1].username, "%EMAILADDRESS%");
	ck_assert_int_eq(p->servers[1].auth[0], AUTH_PASSWORD_CLEARTEXT);
	/* The Thunderbird rules are for mail servers: GSSAPI alone is fine. */
	ck_assert_uint_eq(p->servers[2].port, 2000);
	ck_assert_int_eq(p->servers[2].security, SEC_SSL);
	ck_assert_int_eq(p->servers[2].auth[0], AUTH_GSSAPI);
	ck_assert(!proto_incoming(PROTO_MANAGESIEVE));
	conf_free(c);

	/* Other protocols still need their port and security. */
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"i.x.org\"}]}"),
	    "providers[0].servers[0]: missing required key \"port\"");
	ck_assert_msg(strstr(errs, "missing required key \"security\"") != NULL, "%s", errs);
	expect_error(TOP(PROV(",\"ews\":\"http://mail.x.org/EWS/Exchange.asmx\"")),
	    "providers[0].ews: expected an https:// URL");
	expect_error(TOP(PROV(",\"ews\":[]")), "providers[0].ews: expected a string, found an array");
	expect_error(TOP(PROV(",\"ewss\":\"https://x.org/\"")),
	    "unknown key \"ewss\" (did you mean \"ews\"?)");
	/* A plain ManageSieve server is for the settings page only. */
	c = load(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":[" SRV("") ","
	    "{\"protocol\":\"managesieve\",\"host\":\"m.x.org\",\"security\":\"plain\"}]}"));
	ck_assert_ptr_nonnull(c);
	ck_assert_msg(strstr(errs, "managesieve is offered only without encryption") != NULL, "%s", errs);
	ck_assert(!server_advertised(&c->providers[0].servers[1]));
	conf_free(c);
}
END_TEST

START_TEST(lookup)
{
	struct conf *c = load(TOP(
	    "{\"name\":\"X\",\"domains\":[\"x.org\",\"*.hosted.x.org\",\"B\\u00fccher.example\"],\"servers\":[" SRV("") "]},"
	    "{\"name\":\"Y\",\"domains\":[\"y.org\",\"deep.hosted.x.org\"],\"servers\":[" SRV("") "]}"));

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(conf_lookup(c, "x.org")->name, "X");
	ck_assert_str_eq(conf_lookup(c, "y.org")->name, "Y");
	ck_assert_str_eq(conf_lookup(c, "xn--bcher-kva.example")->name, "X");
	ck_assert_str_eq(conf_lookup(c, "shop.hosted.x.org")->name, "X");
	ck_assert_str_eq(conf_lookup(c, "a.b.hosted.x.org")->name, "X");
	ck_assert_str_eq(conf_lookup(c, "deep.hosted.x.org")->name, "Y");
	ck_assert_ptr_null(conf_lookup(c, "hosted.x.org"));
	ck_assert_ptr_null(conf_lookup(c, "z.org"));
	ck_assert_ptr_null(conf_lookup(c, "org"));
	conf_free(c);
}
END_TEST

START_TEST(many_domains_index)
{
	struct buf b = { 0 };

	buf_puts(&b, "{\"providers\":[");
	for (int i = 0; i < 2000; i++)
		buf_printf(&b, "%s{\"name\":\"P%d\",\"domains\":[\"d%d.example\",\"e%d.example\"],\"servers\":[" SRV("") "]}",
		    i ? "," : "", i, i, i);
	buf_puts(&b, "]}");
	struct conf *c = load(b.data);
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < 2000; i += 7) {
		char d[32], n[16];
		snprintf(d, sizeof(d), "e%d.example", i);
		snprintf(n, sizeof(n), "P%d", i);
		ck_assert_str_eq(conf_lookup(c, d)->name, n);
	}
	conf_free(c);
	buf_free(&b);
}
END_TEST

START_TEST(trusted_proxies)
{
	struct conf *c = load("{\"trusted_proxies\":[\"127.0.0.1\",\"10.1.0.0/16\",\"fd00::/8\"],\"providers\":[" PROV("") "]}");
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

	ck_assert_ptr_nonnull(c);
	inet_pton(AF_INET, "127.0.0.1", &s4.sin_addr);
	ck_assert(conf_is_trusted(c, (struct sockaddr *)&s4));
	inet_pton(AF_INET, "10.1.200.3", &s4.sin_addr);
	ck_assert(conf_is_trusted(c, (struct sockaddr *)&s4));
	inet_pton(AF_INET, "10.2.0.1", &s4.sin_addr);
	ck_assert(!conf_is_trusted(c, (struct sockaddr *)&s4));
	inet_pton(AF_INET6, "fd12::1", &s6.sin6_addr);
	ck_assert(conf_is_trusted(c, (struct sockaddr *)&s6));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6.sin6_addr);
	ck_assert(conf_is_trusted(c, (struct sockaddr *)&s6));
	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	ck_assert(!conf_is_trusted(c, (struct sockaddr *)&s6));
	conf_free(c);
}
END_TEST

START_TEST(files)
{
	struct diag d = { 0 };
	struct conf *c = conf_load(FIXTURES "/no-such-file.json", &d);

	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(d.errors.data, "no-such-file.json: cannot open: No such file or directory"));
	diag_free(&d);
	c = conf_load(FIXTURES, &d);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(d.errors.data, "not a regular file"));
	diag_free(&d);
	c = conf_load(TOP_SRCDIR "/conf/autoconfd.json", &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(d.nwarnings, 0);
	diag_free(&d);
	conf_free(c);
}
END_TEST

#define OPS(extra) "{" extra ",\"providers\":[" PROV("") "]}"

START_TEST(operations_defaults)
{
	struct conf *c = load(TOP(PROV("")));

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->limits.threads, 0);
	ck_assert_uint_eq(c->limits.connections, 1024);
	ck_assert_uint_eq(c->limits.per_ip, 0);
	ck_assert_uint_eq(c->limits.timeout, 15);
	ck_assert_uint_eq(c->limits.request_timeout, 30);
	ck_assert_uint_eq(c->limits.header_max, 8192);
	ck_assert_uint_eq(c->limits.body_max, 8192);
	ck_assert_ptr_null(c->access_log);
	ck_assert(!c->log_full_addresses);
	ck_assert(c->healthz);
	ck_assert(c->metrics);
	ck_assert_ptr_null(c->tls);
	conf_free(c);

	c = load(OPS("\"limits\":{\"threads\":3,\"connections\":50,"
	    "\"connections_per_ip\":5,\"timeout\":2,\"request_timeout\":7,\"header_max\":12288,"
	    "\"body_max\":2048},\"access_log\":\"/var/log/a.log\","
	    "\"log_full_addresses\":true,\"healthz\":false,\"metrics\":false,"
	    "\"tls\":{\"certificate\":\"/c.pem\",\"key\":\"/k.pem\","
	    "\"ports\":[443,8443]}"));
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->limits.threads, 3);
	ck_assert_uint_eq(c->limits.connections, 50);
	ck_assert_uint_eq(c->limits.per_ip, 5);
	ck_assert_uint_eq(c->limits.timeout, 2);
	ck_assert_uint_eq(c->limits.request_timeout, 7);
	ck_assert_uint_eq(c->limits.header_max, 12288);
	ck_assert_uint_eq(c->limits.body_max, 2048);
	ck_assert_str_eq(c->access_log, "/var/log/a.log");
	ck_assert(c->log_full_addresses);
	ck_assert(!c->healthz);
	ck_assert(!c->metrics);
	ck_assert_str_eq(c->tls->certificate, "/c.pem");
	ck_assert_str_eq(c->tls->key, "/k.pem");
	ck_assert_uint_eq(c->tls->nports, 2);
	ck_assert_uint_eq(c->tls->ports[1], 8443);
	conf_free(c);

	c = load(OPS("\"access_log\":\"stderr\",\"tls\":{\"certificate\":"
	    "\"/c\",\"key\":\"/k\"}"));
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->access_log, "stderr");
	ck_assert_uint_eq(c->tls->nports, 1);
	ck_assert_uint_eq(c->tls->ports[0], 443);
	conf_free(c);
	c = load(OPS("\"access_log\":\"off\""));
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->access_log);
	conf_free(c);
}
END_TEST

START_TEST(operations_errors)
{
	expect_error(OPS("\"limits\":{\"connections\":0}"),
	    "t.json:1:26: limits.connections: expected integer 1-1000000, found 0");
	expect_error(OPS("\"limits\":{\"threads\":1000}"),
	    "limits.threads: expected integer 0-256, found 1000");
	expect_error(OPS("\"limits\":{\"timeout\":\"15\"}"),
	    "limits.timeout: expected an integer, found a string");
	expect_error(OPS("\"limits\":{\"request_timeout\":0}"),
	    "limits.request_timeout: expected integer 1-3600, found 0");
	expect_error(OPS("\"limits\":{\"header_max\":100}"),
	    "limits.header_max: expected integer 4096-1048576, found 100");
	expect_error(OPS("\"limits\":{\"body_max\":0}"),
	    "limits.body_max: expected integer 1024-1048576, found 0");
	expect_error(OPS("\"limits\":{\"conections\":5}"),
	    "limits.conections: unknown key \"conections\" (did you mean \"connections\"?)");
	expect_error(OPS("\"limits\":[]"),
	    "limits: expected an object, found an array");
	expect_error(OPS("\"access_log\":\"access.log\""),
	    "access_log: expected \"off\", \"stderr\" or an absolute file name, found \"access.log\"");
	expect_error(OPS("\"access_log\":true"),
	    "access_log: expected a string, found a boolean");
	expect_error(OPS("\"healthz\":\"yes\""),
	    "healthz: expected a boolean, found a string");
	expect_error(OPS("\"metrics\":1"),
	    "metrics: expected a boolean, found an integer");
	expect_error(OPS("\"log_full_addresses\":null"),
	    "log_full_addresses: expected a boolean, found null");
	expect_error(OPS("\"tls\":{\"certificate\":\"/c\"}"),
	    "tls: missing required key \"key\"");
	expect_error(OPS("\"tls\":{\"certificate\":\"c.pem\",\"key\":\"/k\"}"),
	    "tls.certificate: expected an absolute file name, found \"c.pem\"");
	expect_error(OPS("\"tls\":{\"certificate\":\"/c\",\"key\":\"/k\",\"ports\":[]}"),
	    "tls.ports: expected 1-8 ports");
	expect_error(OPS("\"tls\":{\"certificate\":\"/c\",\"key\":\"/k\",\"ports\":[0]}"),
	    "tls.ports[0]: expected integer 1-65535");
	expect_error(OPS("\"tls\":{\"cert\":\"/c\",\"key\":\"/k\"}"),
	    "tls.cert: unknown key \"cert\"");
}
END_TEST

START_TEST(signing)
{
	struct conf *c = load(OPS("\"signing\":{\"certificate\":\"/c.pem\","
	    "\"key\":\"/k.pem\"}"));

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->signing->certificate, "/c.pem");
	ck_assert_str_eq(c->signing->key, "/k.pem");
	ck_assert_ptr_null(c->signing->chain);
	conf_free(c);
	c = load(TOP(PROV("")));
	ck_assert_ptr_null(c->signing);
	conf_free(c);
	expect_error(OPS("\"signing\":\"/c.pem\""),
	    "signing: expected an object, found a string");
	expect_error(OPS("\"signing\":{\"key\":\"/k\"}"),
	    "signing: missing required key \"certificate\"");
	expect_error(OPS("\"signing\":{\"certificate\":\"/c\"}"),
	    "signing: missing required key \"key\"");
	expect_error(OPS("\"signing\":{\"certificate\":\"/c\",\"key\":\"k.pem\"}"),
	    "signing.key: expected an absolute file name, found \"k.pem\"");
	expect_error(OPS("\"signing\":{\"certificate\":\"/c\",\"key\":\"/k\","
	    "\"chain\":5}"), "signing.chain: expected a string, found an integer");
	expect_error(OPS("\"signing\":{\"certificate\":\"/c\",\"key\":\"/k\","
	    "\"chian\":\"/i\"}"),
	    "signing.chian: unknown key \"chian\" (did you mean \"chain\"?)");
	expect_error(OPS("\"signing\":{\"certificate\":\"\",\"key\":\"/k\"}"),
	    "signing.certificate: must not be empty");
}
END_TEST

/* Found by fuzz_conf: quoted input must not split a message into lines
 * or reach the terminal as control sequences. */
START_TEST(messages_stay_on_one_line)
{
	expect_error("{\n \"providers\": [ {\"name\": \"b\\u\n\"} ]}",
	    "t.json:3:1: invalid escape near '\"b\\u\\x0a'\n");
	ck_assert_int_eq(strchr(errs, '\n') - errs, (int)strlen(errs) - 1);
	expect_error(TOP(PROV(",\"a\\nb\\u001b[31m\":1")),
	    "t.json: providers[0].a\\x0ab\\x1b[31m: unknown key \"a\\x0ab\\x1b[31m\"\n");
	ck_assert_int_eq(strchr(errs, '\n') - errs, (int)strlen(errs) - 1);
}
END_TEST

/* The loader parses the top level without the providers, then each
 * provider on its own; positions and the choice of the first error must
 * be those of one parse of the whole file (load() compares the two). */
START_TEST(streamed_syntax_errors)
{
	/* In the 3rd provider, on a line after its first. */
	expect_exactly("{\n \"public_url\": \"https://a.example\",\n"
	    " \"providers\": [" PROV("") ",\n  " PROV("") ",\n"
	    "  {\"name\": \"Z\",\n   \"domains\": [\"z.org\" \"y.org\"]}\n ]\n}\n",
	    "t.json:6:30: ']' expected near '\"y.org\"'\n");
	/* In the first provider, on the line of the '['. */
	expect_exactly("{\"providers\": [{\"name\": \"X\", \"domains\": [\"x.org\"]]}",
	    "t.json:1:50: '}' expected near ']'\n");
	/* After a provider on the same line, behind characters of several
	 * bytes: columns count characters. */
	expect_exactly("{\"providers\": [{\"name\": \"\xc3\xa9\xe2\x82\xac\"}, {\"name\": tru}]}",
	    "t.json:1:43: invalid token near 'tru'\n");
	/* A duplicate key in a provider. */
	expect_exactly("{\"providers\": [" PROV("") ",\n" PROV(",\"name\":\"Y\"") "]}",
	    "t.json:2:118: duplicate object key near '\"name\"'\n");
	/* A duplicate top-level key after the providers. */
	expect_exactly("{\"providers\": [\n" PROV("") "\n],\n \"healthz\": true, \"healthz\": false}",
	    "t.json:4:27: duplicate object key near '\"healthz\"'\n");
	/* After the ']' on its line, behind tabs and a CRLF. */
	expect_exactly("{\"providers\": [\r\n\t" PROV("") "\t],\t\"a\": tru}",
	    "t.json:2:125: invalid token near 'tru'\n");
	expect_exactly("{\"providers\": [" PROV("") "], \"a\": tru}",
	    "t.json:1:138: invalid token near 'tru'\n");
	/* Errors both in a provider and after the ']': the provider's. */
	expect_exactly("{\"providers\": [" PROV("") ", {\"name\": \"X\",}], \"a\": tru}",
	    "t.json:1:142: trailing comma before '}' (JSON allows none)\n");
	/* Errors both before the '[' and in a provider: the first. */
	expect_exactly("{\"healthz\": tru, \"providers\": [{\"name\": \"X\",}]}",
	    "t.json:1:15: invalid token near 'tru'\n");
	/* A provider's error replaces the warnings and errors before it. */
	expect_exactly("{\"zzz\": 1, \"providers\": [" PROV(",\"short_name\":\"0123456789abcdef\"") ",\n {\"a\": 01}]}",
	    "t.json:2:8: invalid token near '0'\n");
	/* Control characters and bytes that are not UTF-8. */
	expect_exactly("{\"providers\": [" PROV("") ",\n {\"name\": \"a\tb\"}]}",
	    "t.json:2:12: control character 0x9 near '\"a'\n");
	expect_exactly("{\"providers\": [" PROV("") ",\n {\"name\": \"a\xff" "b\"}]}",
	    "t.json:2:12: unable to decode byte 0xff near '\"a'\n");
	/* What the loader leaves to the whole parse. */
	expect_exactly("{\"providers\": [" PROV("") ",]}", "t.json:1:128: trailing comma before ']' (JSON allows none)\n");
	expect_exactly("{\"providers\": [" PROV("") " " PROV("") "]}", "t.json:1:129: ']' expected near '{'\n");
	expect_exactly("{\"providers\": [1]}", "t.json:1:16: providers[0]: expected an object, found an integer\n");
	expect_exactly("{\"providers\": {}}", "t.json:1:15: providers: expected an array, found an object\n");
	expect_exactly("{\"providers\": [" PROV("") "], \"providers\": []}", "t.json:1:141: duplicate object key near '\"providers\"'\n");
	expect_exactly("{\"providers\": [" PROV("") "]} x", "t.json:1:131: end of file expected near 'x'\n");
	/* Found by a fuzzer: a string that begins in a provider and ends
	 * after it. */
	expect_exactly("{\"providers\": [{\"name\": null\"a}]}\n", "t.json:1:33: unexpected newline near '\"a}]}'\n");
	expect_exactly("{\"public_url\": \"https://a.example\"}", "t.json:1:1: missing required key \"providers\"\n");
	expect_exactly("{\"providers\": []}", "t.json:1:15: providers: must list at least one provider\n");
}
END_TEST

START_TEST(streamed_semantic_errors)
{
	expect_exactly("{\"providers\": [\n " PROV("") ",\n "
	    PROV(",\"webmial\":\"https://w.x.org\"") ",\n "
	    "{\"name\":\"Y\",\"domains\":[\"y.org\",\"x.org\"],\"servers\":[{\"protocol\":\"imap\",\"host\":\"h.y.org\",\"port\":0,\"security\":\"ssl\"}]}\n"
	    "],\n \"zzz\": 1}",
	    "t.json:6:2: zzz: unknown key \"zzz\"\n"
	    "t.json:3:114: providers[1].webmial: unknown key \"webmial\" (did you mean \"webmail\"?)\n"
	    "t.json:4:96: providers[2].servers[0].port: expected integer 1-65535, found 0\n"
	    "t.json:3:2: providers[1]: id \"x.org\" (its first domain) already used by providers[0] "
	    "(t.json:2:2: providers[0])\n");
}
END_TEST

/* Which texts the loader takes one provider at a time. */
START_TEST(jpos_split_finds_elements)
{
	static const char *const whole[] = {
		"{\"providers\": [{},]}", "{\"providers\": [{} {}]}",
		"{\"providers\": [1]}", "{\"providers\": {}}",
		"{\"providers\": [], \"providers\": []}",
		"{\"providers\": []} x", "{\"a\": 1}", "[]", "",
		"{\"providers\": [{\"a\": " "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}",
		"{\"providers\": [{\"a\": \"\\u12\"}]}", "{\"providers\": [{}",
		"{\"providers\": [{\"a\": null\"b}]}", "{\"a\": , \"providers\": [{}]}",
	};
	const char *t = "{\"x\": [1, {}],\n \"pro\\u0076iders\": [ {\"\xc3\xa9\": {}},\n"
	    "\t{ }\n  ], \"y\": tru}";
	struct jpos_array a;

	ck_assert_int_eq(jpos_split(t, strlen(t), "providers", &a), 0);
	ck_assert_uint_eq(a.n, 2);
	ck_assert_uint_eq(a.open.off, 34);
	ck_assert_int_eq(a.open.line, 2);
	ck_assert_int_eq(a.open.col, 20);
	ck_assert_uint_eq(a.elem[0].at.off, 36);
	ck_assert_int_eq(a.elem[0].at.col, 22);
	ck_assert_uint_eq(a.elem[0].len, 10);
	ck_assert_int_eq(a.elem[1].at.line, 3);
	ck_assert_int_eq(a.elem[1].at.col, 2);
	ck_assert_uint_eq(a.elem[1].len, 3);
	ck_assert_int_eq(a.close.line, 4);
	ck_assert_int_eq(a.close.col, 3);
	ck_assert_int_eq(t[a.close.off], ']');
	jpos_array_free(&a);
	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		ck_assert_msg(jpos_split(whole[i], strlen(whole[i]),
		    "providers", &a) < 0, "%s", whole[i]);
}
END_TEST

/* Both ways give the same model. */
START_TEST(streamed_same_model)
{
	const char *text = "{\"public_url\": \"https://a.example/\",\n"
	    " \"providers\": [\n"
	    "  {\"name\":\"X\",\"domains\":[\"x.org\",\"*.h.x.org\"],\"servers\":[" SRV("") ","
	    "{\"protocol\":\"smtp\",\"host\":\"smtp.x.org\",\"port\":587,\"security\":\"starttls\",\"auth\":[\"OAuth2\",\"password-cleartext\"]}],"
	    "\"oauth2\":{\"issuer\":\"https://i.x.org\",\"scope\":\"mail\",\"auth_url\":\"https://i.x.org/a\",\"token_url\":\"https://i.x.org/t\"}},\n"
	    "  {\"id\":\"y.example\",\"name\":\"Y\",\"short_name\":\"y\",\"domains\":[\"y.org\",\"z.org\",\"w.org\"],"
	    "\"servers\":[{\"protocol\":\"pop3\",\"host\":\"pop.y.org\",\"port\":995,\"security\":\"ssl\",\"username\":\"%EMAILLOCALPART%\",\"leave_messages_on_server\":true}],"
	    "\"webmail\":\"https://w.y.org/\",\"mobileconfig\":{\"identifier\":\"org.y\"}},\n"
	    "  {\"name\":\"V\",\"domains\":[\"v.org\"],\"servers\":[" SRV("") "]}\n ],\n"
	    " \"healthz\": false}";
	struct diag d = { 0 }, w = { 0 };
	struct conf *a = conf_load_buffer("t.json", text, strlen(text), &d);
	struct conf *b = conf_load_buffer_whole("t.json", text, strlen(text),
	    &w);

	ck_assert_msg(a != NULL && b != NULL, "%s", text_of(&d.errors));
	ck_assert_str_eq(a->public_url, b->public_url);
	ck_assert_int_eq(a->healthz, b->healthz);
	ck_assert_uint_eq(a->nproviders, 3);
	ck_assert_uint_eq(a->nproviders, b->nproviders);
	for (size_t i = 0; i < a->nproviders; i++) {
		const struct provider *p = &a->providers[i];
		const struct provider *q = &b->providers[i];

		ck_assert_uint_eq(p->index, q->index);
		ck_assert_str_eq(p->id, q->id);
		ck_assert_str_eq(p->name, q->name);
		ck_assert_str_eq(p->short_name, q->short_name);
		ck_assert_pstr_eq(p->webmail, q->webmail);
		ck_assert_pstr_eq(p->ews, q->ews);
		ck_assert_int_eq(p->oauth2 != NULL, q->oauth2 != NULL);
		if (p->oauth2 != NULL) {
			ck_assert_str_eq(p->oauth2->issuer, q->oauth2->issuer);
			ck_assert_str_eq(p->oauth2->scope, q->oauth2->scope);
			ck_assert_str_eq(p->oauth2->token_url,
			    q->oauth2->token_url);
		}
		ck_assert_pstr_eq(p->mobileconfig.identifier,
		    q->mobileconfig.identifier);
		ck_assert_uint_eq(p->ndomains, q->ndomains);
		for (size_t j = 0; j < p->ndomains; j++) {
			ck_assert_str_eq(p->domains[j], q->domains[j]);
			ck_assert_ptr_eq(conf_lookup(a, p->domains[j]), p);
		}
		ck_assert_uint_eq(p->nservers, q->nservers);
		for (size_t j = 0; j < p->nservers; j++) {
			const struct server *s = &p->servers[j];
			const struct server *t = &q->servers[j];

			ck_assert_int_eq(s->proto, t->proto);
			ck_assert_int_eq(s->security, t->security);
			ck_assert_uint_eq(s->port, t->port);
			ck_assert_str_eq(s->host, t->host);
			ck_assert_str_eq(s->username, t->username);
			ck_assert_int_eq(s->leave_on_server, t->leave_on_server);
			ck_assert_uint_eq(s->nauth, t->nauth);
			for (size_t k = 0; k < s->nauth; k++)
				ck_assert_int_eq(s->auth[k], t->auth[k]);
		}
	}
	ck_assert_ptr_nonnull(a->providers[0].oauth2);
	ck_assert_str_eq(a->providers[1].id, "y.example");
	ck_assert_uint_eq(a->providers[0].servers[1].nauth, 2);
	ck_assert_str_eq(conf_lookup(a, "a.h.x.org")->name, "X");
	conf_free(a);
	conf_free(b);
	diag_free(&d);
	diag_free(&w);
}
END_TEST

START_TEST(hosting_keys)
{
	struct conf *c = load(TOP("{\"name\":\"H\",\"domains\":[\"h.org\"],"
	    "\"mx_domains\":[\"HOSTER.net\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"IMAP.%EMAILDOMAIN%.\",\"port\":993,\"security\":\"ssl\"},"
	    "{\"protocol\":\"smtp\",\"host\":\"smtp.h.org\",\"port\":465,\"security\":\"ssl\"}],"
	    "\"webmail\":\"https://w.%EMAILDOMAIN%/\","
	    "\"mta_sts\":{\"mode\":\"testing\",\"max_age\":86400,\"tls_rpt\":\"mailto:r@h.org\"}},"
	    PROV("")));
	const struct provider *p;

	ck_assert_ptr_nonnull(c);
	p = &c->providers[0];
	ck_assert_str_eq(p->servers[0].host, "imap.%EMAILDOMAIN%");
	ck_assert(p->templated && p->per_domain);
	ck_assert(!c->providers[1].per_domain);
	ck_assert_ptr_eq(conf_lookup_mx(c, "hoster.net"), p);
	ck_assert_ptr_null(conf_lookup_mx(c, "h.org"));
	ck_assert_ptr_null(conf_lookup(c, "hoster.net"));
	ck_assert_int_eq(p->mta_sts->mode, STS_TESTING);
	ck_assert_uint_eq(p->mta_sts->max_age, 86400);
	ck_assert_uint_eq(p->mta_sts->nmx, 0);
	ck_assert_str_eq(p->mta_sts->tls_rpt, "mailto:r@h.org");
	conf_free(c);

	/* MX hosting alone: the id from the first MX domain if no domain. */
	c = load(TOP("{\"name\":\"M\",\"domains\":[\"m.org\"],\"mx_domains\":[\"mx.m.net\"],"
	    "\"servers\":[" SRV("") "]}"));
	ck_assert_ptr_nonnull(c);
	ck_assert(c->providers[0].per_domain && !c->providers[0].templated);
	conf_free(c);

	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"%EMAILLOCALPART%.x.org\",\"port\":993,\"security\":\"ssl\"}]}"),
	    "providers[0].servers[0].host: \"%EMAILLOCALPART%.x.org\": a host name may hold %EMAILDOMAIN%");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"a..%EMAILDOMAIN%\",\"port\":993,\"security\":\"ssl\"}]}"),
	    "providers[0].servers[0].host: \"a..%EMAILDOMAIN%\" is not a valid host name: empty label");
	expect_error(TOP(PROV(",\"webmail\":\"https://w.x.org/%EMAILADDRESS%\"")),
	    "providers[0].webmail: %EMAILADDRESS% is not filled in URLs; only %EMAILDOMAIN% is");
	expect_error("{\"public_url\":\"https://a.%EMAILDOMAIN%\",\"providers\":[" PROV("") "]}",
	    "t.json:1:15: public_url: %EMAILDOMAIN% is filled in provider URLs only");
	expect_error(TOP(PROV(",\"mx_domains\":[\"*.x.net\"]")),
	    "providers[0].mx_domains[0]: an MX domain is one name, not a wildcard");
	expect_error(TOP(PROV(",\"mx_domains\":[\"m.net\"]") ",{\"id\":\"y.org\",\"name\":\"Y\","
	    "\"domains\":[\"y.org\"],\"mx_domains\":[\"M.net\"],\"servers\":[" SRV("") "]}"),
	    "providers[1].mx_domains[0]: MX domain \"m.net\" already belongs to provider \"x.org\"");
	expect_error(TOP(PROV(",\"mta_sts\":{\"mode\":\"enforce\",\"mx\":[]}")),
	    "providers[0].mta_sts.mx: must list at least one host");
	expect_error(TOP(PROV(",\"mta_sts\":{\"mode\":\"enforce\"}")),
	    "providers[0].mta_sts: the provider has no SMTP server: list the MX hosts");
	expect_error(TOP(PROV(",\"mta_sts\":{\"mode\":\"enforce\",\"mx\":[\"m.x.org\"],\"tls_rpt\":\"mailto:\"}")),
	    "providers[0].mta_sts.tls_rpt: not a valid URI for a TXT record");
	expect_error(TOP("{\"name\":\"X\",\"domains\":[\"@\"],\"servers\":[" SRV("") "]}"),
	    "providers[0].domains[0]: \"@\" needs a file name");
}
END_TEST

START_TEST(tls_certificate_keys)
{
	struct conf *c = load("{\"tls\":{\"certificate_dir\":\"/etc/letsencrypt/live\","
	    "\"certificates\":[{\"certificate\":\"/a.pem\",\"key\":\"/a.key\"}]},"
	    "\"providers\":[" PROV("") "]}");

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->tls->certificate);
	ck_assert_str_eq(c->tls->certificate_dir, "/etc/letsencrypt/live");
	ck_assert_uint_eq(c->tls->npairs, 1);
	ck_assert_str_eq(c->tls->pairs[0].key, "/a.key");
	conf_free(c);
	expect_error("{\"tls\":{\"ports\":[443]},\"providers\":[" PROV("") "]}",
	    "tls: missing required key \"certificate\"");
	expect_error("{\"tls\":{\"certificates\":[{\"certificate\":\"/a.pem\"}]},"
	    "\"providers\":[" PROV("") "]}",
	    "tls.certificates[0]: missing required key \"key\"");
	expect_error("{\"tls\":{\"certificates\":[{\"certificate\":\"/a.pem\",\"key\":\"a.key\","
	    "\"chain\":\"/c\"}]},\"providers\":[" PROV("") "]}",
	    "tls.certificates[0].chain: unknown key \"chain\"");
	expect_error("{\"tls\":{\"certificate_dir\":\"live\"},\"providers\":[" PROV("") "]}",
	    "tls.certificate_dir: expected an absolute file name, found \"live\"");
	expect_error("{\"include\":[],\"providers\":[" PROV("") "]}",
	    "include: must name at least one file");
	expect_error("{\"include\":5}", "include: expected a file name or an array of them");
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, minimal_and_defaults);
	tcase_add_test(tc, syntax_errors_have_positions);
	tcase_add_test(tc, duplicate_keys);
	tcase_add_test(tc, unknown_keys);
	tcase_add_test(tc, listen_ports);
	tcase_add_test(tc, bad_values);
	tcase_add_test(tc, domain_conflicts);
	tcase_add_test(tc, trailing_commas);
	tcase_add_test(tc, byte_order_mark);
	tcase_add_test(tc, warnings);
	tcase_add_test(tc, warnings_have_names);
	tcase_add_test(tc, accept_warnings);
	tcase_add_test(tc, managesieve_and_ews);
	tcase_add_test(tc, lookup);
	tcase_add_test(tc, many_domains_index);
	tcase_add_test(tc, trusted_proxies);
	tcase_add_test(tc, files);
	tcase_add_test(tc, operations_defaults);
	tcase_add_test(tc, operations_errors);
	tcase_add_test(tc, signing);
	tcase_add_test(tc, messages_stay_on_one_line);
	tcase_add_test(tc, streamed_syntax_errors);
	tcase_add_test(tc, streamed_semantic_errors);
	tcase_add_test(tc, jpos_split_finds_elements);
	tcase_add_test(tc, streamed_same_model);
	tcase_add_test(tc, hosting_keys);
	tcase_add_test(tc, tls_certificate_keys);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(conf_suite)

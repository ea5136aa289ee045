#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "conf.h"
#include "digest.h"
#include "email.h"
#include "render.h"
#include "unit.h"
#include "view.h"
#include "xmlreq.h"

static struct conf *
load(const char *text)
{
	struct diag d = { 0 };
	struct conf *c = conf_load_buffer("t.json", text, strlen(text), &d);

	ck_assert_msg(c != NULL, "%s", d.errors.data);
	diag_free(&d);
	return c;
}

static xmlDocPtr
render(const struct provider *p, struct buf *out)
{
	ck_assert_int_eq(render_autoconfig(p, out), 0);
	xmlDocPtr doc = xmlReadMemory(out->data, (int)out->len, "a.xml", NULL,
	    XML_PARSE_NONET);
	ck_assert_ptr_nonnull(doc);
	return doc;
}

static xmlNodePtr
next_elem(xmlNodePtr n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

static xmlNodePtr
first_child(xmlNodePtr n)
{
	return next_elem(n->children);
}

static xmlNodePtr
sibling(xmlNodePtr n)
{
	return next_elem(n->next);
}

static void
expect_elem(xmlNodePtr n, const char *name, const char *text)
{
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq((const char *)n->name, name);
	if (text != NULL) {
		xmlChar *t = xmlNodeGetContent(n);
		ck_assert_str_eq((const char *)t, text);
		xmlFree(t);
	}
}

static const char *
attr(xmlNodePtr n, const char *name)
{
	static char v[512];
	xmlChar *a = xmlGetProp(n, (const xmlChar *)name);

	ck_assert_ptr_nonnull(a);
	snprintf(v, sizeof(v), "%s", (const char *)a);
	xmlFree(a);
	return v;
}

/* The username after c, then the methods, and nothing more. */
static void
expect_login(xmlNodePtr c, const char *user, const char *const *auths)
{
	expect_elem(c = sibling(c), "username", user);
	for (; *auths != NULL; auths++)
		expect_elem(c = sibling(c), "authentication", *auths);
	ck_assert_ptr_null(sibling(c));
}

/* Walks one server element and checks every child in order. */
static xmlNodePtr
expect_server(xmlNodePtr n, const char *elem, const char *type,
    const char *host, const char *port, const char *sock, const char *user,
    const char *const *auths)
{
	expect_elem(n, elem, NULL);
	ck_assert_str_eq(attr(n, "type"), type);
	xmlNodePtr c = first_child(n);
	expect_elem(c, "hostname", host);
	expect_elem(c = sibling(c), "port", port);
	expect_elem(c = sibling(c), "socketType", sock);
	expect_login(c, user, auths);
	return sibling(n);
}

START_TEST(full_document_in_order)
{
	struct conf *c = load("{\"providers\":[{\"id\":\"mail.example\",\"name\":\"Ex & <Co>\","
	    "\"short_name\":\"Ex\\\"\",\"domains\":[\"example.com\",\"*.h.example.com\",\"example.net\"],"
	    "\"servers\":["
	    "{\"protocol\":\"smtp\",\"host\":\"s.example.com\",\"port\":587,\"security\":\"starttls\",\"auth\":[\"OAuth2\",\"password-encrypted\"],\"username\":\"%EMAILLOCALPART%\"},"
	    "{\"protocol\":\"imap\",\"host\":\"i.example.com\",\"port\":143,\"security\":\"plain\"},"
	    "{\"protocol\":\"pop3\",\"host\":\"p.example.com\",\"port\":995,\"security\":\"ssl\"},"
	    "{\"protocol\":\"imap\",\"host\":\"i.example.com\",\"port\":993,\"security\":\"ssl\"},"
	    "{\"protocol\":\"smtp\",\"host\":\"s.example.com\",\"port\":465,\"security\":\"ssl\"}],"
	    "\"documentation\":\"https://example.com/help?a=1&b=2\",\"webmail\":\"https://webmail.example.com/\","
	    "\"caldav\":\"https://dav.example.com/cal?u=1&x=2\",\"webdav\":\"https://dav.example.com/files/\","
	    "\"oauth2\":{\"issuer\":\"https://login.example.com\",\"scope\":\"imap smtp\"}}]}");
	struct buf out = { 0 };
	xmlDocPtr doc = render(&c->providers[0], &out);
	static const char *const pw[] = { "password-cleartext", NULL };
	static const char *const oa[] = { "OAuth2", "password-encrypted", NULL };

	ck_assert_msg(strncmp(out.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">", 66) == 0, "%s", out.data);
	ck_assert_ptr_null(strstr(out.data, "xmlns"));
	xmlNodePtr root = xmlDocGetRootElement(doc);
	expect_elem(root, "clientConfig", NULL);
	xmlNodePtr ep = first_child(root);
	expect_elem(ep, "emailProvider", NULL);
	ck_assert_str_eq(attr(ep, "id"), "mail.example");
	xmlNodePtr n = first_child(ep);
	expect_elem(n, "domain", "example.com");
	ck_assert_ptr_null(n->properties);
	expect_elem(n = sibling(n), "domain", "example.net");
	expect_elem(n = sibling(n), "displayName", "Ex & <Co>");
	expect_elem(n = sibling(n), "displayShortName", "Ex\"");
	/* Incoming first, in config order, plain left out; then outgoing. */
	n = sibling(n);
	n = expect_server(n, "incomingServer", "pop3", "p.example.com", "995", "SSL", "%EMAILADDRESS%", pw);
	n = expect_server(n, "incomingServer", "imap", "i.example.com", "993", "SSL", "%EMAILADDRESS%", pw);
	n = expect_server(n, "outgoingServer", "smtp", "s.example.com", "587", "STARTTLS", "%EMAILLOCALPART%", oa);
	n = expect_server(n, "outgoingServer", "smtp", "s.example.com", "465", "SSL", "%EMAILADDRESS%", pw);
	expect_elem(n, "documentation", NULL);
	ck_assert_str_eq(attr(n, "url"), "https://example.com/help?a=1&b=2");
	expect_elem(first_child(n), "descr", "Ex & <Co> mail settings");
	ck_assert_ptr_null(sibling(n));
	n = sibling(ep);
	expect_elem(n, "webMail", NULL);
	ck_assert_str_eq(attr(first_child(n), "url"), "https://webmail.example.com/");
	/* 1.2 extras: only what is configured, text children without
	 * attributes, the incoming login as username. */
	n = sibling(n);
	expect_elem(n, "calendar", NULL);
	ck_assert_str_eq(attr(n, "type"), "caldav");
	xmlNodePtr d = first_child(n);
	expect_elem(d, "url", "https://dav.example.com/cal?u=1&x=2");
	ck_assert_ptr_null(d->properties);
	expect_elem(d = sibling(d), "authentication", "OAuth2");
	expect_elem(d = sibling(d), "authentication", "basic");
	expect_elem(d = sibling(d), "username", "%EMAILADDRESS%");
	ck_assert_ptr_null(sibling(d));
	n = sibling(n);
	expect_elem(n, "fileShare", NULL);
	ck_assert_str_eq(attr(n, "type"), "webdav");
	expect_elem(first_child(n), "url", "https://dav.example.com/files/");
	n = sibling(n);
	expect_elem(n, "oAuth2", NULL);
	expect_elem(first_child(n), "issuer", "https://login.example.com");
	expect_elem(sibling(first_child(n)), "scope", "imap smtp");
	ck_assert_ptr_null(sibling(n));
	/* Escaping happened in the bytes, not just in the parse. */
	ck_assert_ptr_nonnull(strstr(out.data, "Ex &amp; &lt;Co&gt;"));
	ck_assert_ptr_nonnull(strstr(out.data, "help?a=1&amp;b=2"));
	ck_assert_ptr_nonnull(strstr(out.data, "<url>https://dav.example.com/cal?u=1&amp;x=2</url>"));
	xmlFreeDoc(doc);
	buf_free(&out);
	conf_free(c);
}
END_TEST

START_TEST(pop3_leave_on_server)
{
	struct conf *c = load("{\"providers\":[{\"name\":\"P\",\"domains\":[\"p.org\"],\"servers\":["
	    "{\"protocol\":\"pop3\",\"host\":\"p.org\",\"port\":995,\"security\":\"ssl\",\"leave_messages_on_server\":true}]}]}");
	struct buf out = { 0 };
	xmlDocPtr doc = render(&c->providers[0], &out);

	ck_assert_ptr_nonnull(strstr(out.data, "<pop3>\n        <leaveMessagesOnServer>true</leaveMessagesOnServer>\n      </pop3>"));
	xmlFreeDoc(doc);
	buf_free(&out);
	conf_free(c);
}
END_TEST

START_TEST(wildcard_only_provider_names_its_id)
{
	struct conf *c = load("{\"providers\":[{\"name\":\"W\",\"domains\":[\"*.w.org\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"w.org\",\"port\":993,\"security\":\"ssl\"}]}]}");
	struct buf out = { 0 };
	xmlDocPtr doc = render(&c->providers[0], &out);

	ck_assert_ptr_nonnull(strstr(out.data, "<emailProvider id=\"w.org\">"));
	ck_assert_ptr_nonnull(strstr(out.data, "<domain>w.org</domain>"));
	ck_assert_ptr_null(strstr(out.data, "*"));
	xmlFreeDoc(doc);
	buf_free(&out);
	conf_free(c);
}
END_TEST

/* Walks one URL-based incoming server (draft-06): url, username, methods. */
static xmlNodePtr
expect_url_server(xmlNodePtr n, const char *type, const char *url,
    const char *user, const char *const *auths)
{
	expect_elem(n, "incomingServer", NULL);
	ck_assert_str_eq(attr(n, "type"), type);
	xmlNodePtr c = first_child(n);
	expect_elem(c, "url", url);
	ck_assert_ptr_null(c->properties);
	expect_login(c, user, auths);
	return sibling(n);
}

START_TEST(draft06_entries)
{
	struct conf *c = load("{\"providers\":[{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":["
	    "{\"protocol\":\"managesieve\",\"host\":\"m.x.org\"},"
	    "{\"protocol\":\"managesieve\",\"host\":\"m2.x.org\",\"security\":\"plain\"},"
	    "{\"protocol\":\"imap\",\"host\":\"i.x.org\",\"port\":993,\"security\":\"ssl\","
	    "\"auth\":[\"NTLM\",\"password-encrypted\",\"TLS-client-cert\",\"OAuth2\",\"password-cleartext\"],"
	    "\"username\":\"%EMAILLOCALPART%\"},"
	    "{\"protocol\":\"smtp\",\"host\":\"s.x.org\",\"port\":465,\"security\":\"ssl\"}],"
	    "\"ews\":\"https://mail.x.org/EWS/Exchange.asmx?a=1&b=2\",\"webmail\":\"https://mail.x.org/OWA\","
	    "\"jmap\":\"http://jmap.x.org/\",\"activesync\":\"https://mail.x.org/Microsoft-Server-ActiveSync\"},"
	    /* OWA only beside EWS; OAuth2 alone gets a password after it;
	     * without an incoming server the address is the login. */
	    "{\"name\":\"Y\",\"domains\":[\"y.org\"],\"webmail\":\"https://y.org/owa/\","
	    "\"jmap\":\"https://y.org/jmap\",\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"i.y.org\",\"port\":993,\"security\":\"ssl\",\"auth\":[\"OAuth2\",\"password-encrypted\"]}]},"
	    "{\"name\":\"Z\",\"domains\":[\"z.org\"],\"ews\":\"https://z.org/ews\",\"webmail\":\"https://z.org/mail/owa/\","
	    "\"accept_warnings\":[\"no-imap\"],\"servers\":["
	    "{\"protocol\":\"smtp\",\"host\":\"s.z.org\",\"port\":587,\"security\":\"starttls\",\"auth\":[\"GSSAPI\",\"password-cleartext\"],\"username\":\"%EMAILLOCALPART%\"}]}]}");
	static const char *const pw[] = { "password-cleartext", NULL };
	static const char *const mail[] = { "NTLM", "password-encrypted",
	    "TLS-client-cert", "OAuth2", "password-cleartext", NULL };
	static const char *const http[] = { "NTLM", "password-cleartext",
	    "OAuth2", NULL };
	static const char *const oa[] = { "OAuth2", "password-cleartext", NULL };
	static const char *const gss[] = { "GSSAPI", "password-cleartext", NULL };
	struct buf out = { 0 };
	xmlDocPtr doc = render(&c->providers[0], &out);
	xmlNodePtr root = xmlDocGetRootElement(doc), n;

	/* Incoming mail, then the URL entries (https only: no jmap), then
	 * outgoing. */
	n = sibling(sibling(sibling(first_child(first_child(root)))));
	n = expect_server(n, "incomingServer", "imap", "i.x.org", "993", "SSL",
	    "%EMAILLOCALPART%", mail);
	n = expect_url_server(n, "ews", "https://mail.x.org/EWS/Exchange.asmx?a=1&b=2",
	    "%EMAILLOCALPART%", http);
	n = expect_url_server(n, "owa", "https://mail.x.org/OWA", "%EMAILLOCALPART%", http);
	n = expect_url_server(n, "activesync",
	    "https://mail.x.org/Microsoft-Server-ActiveSync", "%EMAILLOCALPART%", http);
	n = expect_server(n, "outgoingServer", "smtp", "s.x.org", "465", "SSL",
	    "%EMAILADDRESS%", pw);
	ck_assert_ptr_null(n);
	/* ManageSieve at the root, the plain one left out. */
	n = sibling(sibling(first_child(root)));
	ck_assert_ptr_nonnull(n);
	n = expect_server(n, "setupServer", "managesieve", "m.x.org", "4190",
	    "STARTTLS", "%EMAILADDRESS%", pw);
	ck_assert_ptr_null(n);
	ck_assert_ptr_null(strstr(out.data, "jmap"));
	ck_assert_ptr_null(strstr(out.data, "m2.x.org"));
	ck_assert_ptr_null(strstr(out.data, "http-basic"));
	ck_assert_ptr_nonnull(strstr(out.data, "Exchange.asmx?a=1&amp;b=2</url>"));
	xmlFreeDoc(doc);

	out.len = 0;
	doc = render(&c->providers[1], &out);
	n = sibling(sibling(sibling(first_child(first_child(xmlDocGetRootElement(doc))))));
	n = sibling(n);		/* the IMAP server */
	n = expect_url_server(n, "jmap", "https://y.org/jmap", "%EMAILADDRESS%", oa);
	ck_assert_ptr_null(n);
	ck_assert_ptr_null(strstr(out.data, "type=\"owa\""));
	xmlFreeDoc(doc);

	out.len = 0;
	doc = render(&c->providers[2], &out);
	n = sibling(sibling(sibling(first_child(first_child(xmlDocGetRootElement(doc))))));
	n = expect_url_server(n, "ews", "https://z.org/ews", "%EMAILADDRESS%", pw);
	n = expect_server(n, "outgoingServer", "smtp", "s.z.org", "587", "STARTTLS",
	    "%EMAILLOCALPART%", gss);
	ck_assert_ptr_null(n);
	ck_assert_ptr_null(strstr(out.data, "type=\"owa\""));
	xmlFreeDoc(doc);
	buf_free(&out);
	conf_free(c);
}
END_TEST

START_TEST(digests_known_vectors)
{
	static const uint8_t dns_ns[16] = { 0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad,
	    0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };
	char d[DIGEST_B64_LEN + 1], u[UUID_STR_LEN + 1];

	digest_sha256_b64("abc", 3, d);
	ck_assert_str_eq(d, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
	digest_sha256_b64("", 0, d);
	ck_assert_str_eq(d, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	/* RFC 4122 style v5 of the DNS namespace and "www.example.com". */
	uuid_v5(dns_ns, "www.example.com", u);
	ck_assert_str_eq(u, "2ED6657D-E927-568B-95E1-2665A8AEA6A2");
}
END_TEST

START_TEST(pacc_exact_bytes)
{
	struct conf *c = load("{\"providers\":[{\"name\":\"P \\\"q\\\" <&>\",\"domains\":[\"p.org\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"i.p.org\",\"port\":143,\"security\":\"starttls\"},"
	    "{\"protocol\":\"imap\",\"host\":\"j.p.org\",\"port\":993,\"security\":\"ssl\",\"auth\":[\"OAuth2\",\"password-encrypted\"]},"
	    "{\"protocol\":\"smtp\",\"host\":\"s.p.org\",\"port\":465,\"security\":\"ssl\"}],"
	    "\"oauth2\":{\"issuer\":\"https://id.p.org\"}}]}");
	struct buf out = { 0 };

	ck_assert_int_eq(render_pacc(&c->providers[0], &out), 0);
	ck_assert_str_eq(out.data, "{\"protocols\":{\"imap\":{\"host\":\"j.p.org\"},"
	    "\"smtp\":{\"host\":\"s.p.org\"}},\"authentication\":{\"password\":true,"
	    "\"oauth-public\":{\"issuer\":\"https://id.p.org\"}},\"info\":{\"provider\":"
	    "{\"name\":\"P \\\"q\\\" <&>\",\"shortName\":\"P \\\"q\\\" <&>\"}}}");
	ck_assert_ptr_null(pacc_server(&c->providers[0], PROTO_POP3));
	buf_free(&out);
	conf_free(c);
}
END_TEST

/* ---- Autodiscover ------------------------------------------------------- */

static xmlDocPtr
parse_buf(const struct buf *out)
{
	xmlDocPtr doc = xmlReadMemory(out->data, (int)out->len, "ad.xml", NULL,
	    XML_PARSE_NONET);

	ck_assert_msg(doc != NULL, "%s", out->data);
	return doc;
}

static void
fill(const struct splice *sp, const char *local, const char *domain,
    struct buf *out)
{
	char addr[512];
	struct splice_values v;

	snprintf(addr, sizeof(addr), "%s@%s", local, domain);
	v.s[HOLE_ADDRESS] = addr;
	v.len[HOLE_ADDRESS] = strlen(addr);
	v.s[HOLE_LOCALPART] = local;
	v.len[HOLE_LOCALPART] = strlen(local);
	v.s[HOLE_DOMAIN] = domain;
	v.len[HOLE_DOMAIN] = strlen(domain);
	splice_fill(sp, &v, out);
}

static void
expect_ns(xmlNodePtr n, const char *name, const char *ns)
{
	expect_elem(n, name, NULL);
	ck_assert_ptr_nonnull(n->ns);
	ck_assert_ptr_null(n->ns->prefix);
	ck_assert_str_eq((const char *)n->ns->href, ns);
}

/* Walks one Protocol and checks every child in order; login NULL: no
 * LoginName. */
static xmlNodePtr
expect_protocol(xmlNodePtr n, const char *type, const char *server,
    const char *port, const char *login, const char *encryption,
    const char *auth_required)
{
	expect_elem(n, "Protocol", NULL);
	xmlNodePtr c = first_child(n);
	expect_elem(c, "Type", type);
	expect_elem(c = sibling(c), "Server", server);
	expect_elem(c = sibling(c), "Port", port);
	expect_elem(c = sibling(c), "DomainRequired", "off");
	if (login != NULL)
		expect_elem(c = sibling(c), "LoginName", login);
	expect_elem(c = sibling(c), "SPA", "off");
	expect_elem(c = sibling(c), "SSL", "on");
	expect_elem(c = sibling(c), "Encryption", encryption);
	expect_elem(c = sibling(c), "AuthRequired", auth_required);
	if (strcmp(type, "SMTP") == 0) {
		expect_elem(c = sibling(c), "UsePOPAuth", "off");
		expect_elem(c = sibling(c), "SMTPLast", "off");
	}
	ck_assert_ptr_null(sibling(c));
	return sibling(n);
}

static const char ad_conf[] = "{\"providers\":[{\"name\":\"Ex\","
    "\"domains\":[\"example.com\"],\"servers\":["
    "{\"protocol\":\"smtp\",\"host\":\"s.example.com\",\"port\":587,\"security\":\"starttls\",\"username\":\"%EMAILLOCALPART%\"},"
    "{\"protocol\":\"imap\",\"host\":\"i.example.com\",\"port\":143,\"security\":\"plain\"},"
    "{\"protocol\":\"pop3\",\"host\":\"p.example.com\",\"port\":995,\"security\":\"ssl\",\"auth\":[\"none\"],\"username\":\"%REALNAME%&<%EMAILDOMAIN%>\"},"
    "{\"protocol\":\"imap\",\"host\":\"i.example.com\",\"port\":993,\"security\":\"ssl\"},"
    "{\"protocol\":\"imap\",\"host\":\"i2.example.com\",\"port\":143,\"security\":\"starttls\",\"username\":\"u<&-%EMAILADDRESS%-%EMAILLOCALPART%\"},"
    "{\"protocol\":\"smtp\",\"host\":\"s.example.com\",\"port\":465,\"security\":\"ssl\",\"auth\":[\"client-IP-address\",\"password-encrypted\"]},"
    "{\"protocol\":\"smtp\",\"host\":\"s.example.com\",\"port\":25,\"security\":\"plain\"}]}]}";

START_TEST(outlook_document_in_order)
{
	struct conf *c = load(ad_conf);
	struct splice sp;
	struct buf out = { 0 };

	ck_assert_int_eq(render_ad_outlook(&c->providers[0], &sp), 0);
	/* The User's address, then the LoginName holes: imap993 address,
	 * imap143 address and local part, smtp587 local part, smtp465
	 * address; the pop3 login needs %REALNAME%: none. */
	ck_assert_uint_eq(sp.nholes, 6);
	fill(&sp, "a&b'c", "example.com", &out);
	ck_assert_ptr_null(strchr(out.data, '%'));
	ck_assert_ptr_nonnull(strstr(out.data, "<LoginName>a&amp;b&apos;c</LoginName>"));
	ck_assert_ptr_nonnull(strstr(out.data, "<AutoDiscoverSMTPAddress>a&amp;b&apos;c@example.com</AutoDiscoverSMTPAddress>"));
	ck_assert_ptr_null(strstr(out.data, "<LoginName/>"));
	ck_assert_ptr_null(strstr(out.data, "<LoginName></LoginName>"));
	ck_assert_ptr_null(strstr(out.data, "a&b"));
	const char *head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Autodiscover xmlns=\"" AD_NS_RESPONSE "\">\n"
	    "  <Response xmlns=\"" AD_NS_OUTLOOK_RESPONSE "\">\n";
	ck_assert_msg(strncmp(out.data, head, strlen(head)) == 0, "%s", out.data);

	xmlDocPtr doc = parse_buf(&out);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	expect_ns(root, "Autodiscover", AD_NS_RESPONSE);
	xmlNodePtr resp = first_child(root);
	expect_ns(resp, "Response", AD_NS_OUTLOOK_RESPONSE);
	ck_assert_ptr_null(sibling(resp));
	/* User before Account, with the address only. */
	xmlNodePtr user = first_child(resp);
	expect_ns(user, "User", AD_NS_OUTLOOK_RESPONSE);
	expect_elem(first_child(user), "AutoDiscoverSMTPAddress", "a&b'c@example.com");
	ck_assert_ptr_null(sibling(first_child(user)));
	xmlNodePtr acct = sibling(user);
	expect_ns(acct, "Account", AD_NS_OUTLOOK_RESPONSE);
	ck_assert_ptr_null(sibling(acct));
	xmlNodePtr n = first_child(acct);
	expect_elem(n, "AccountType", "email");
	expect_elem(n = sibling(n), "Action", "settings");
	/* Incoming in config order without plain ones, then outgoing. */
	n = sibling(n);
	n = expect_protocol(n, "POP3", "p.example.com", "995", NULL, "SSL", "off");
	n = expect_protocol(n, "IMAP", "i.example.com", "993", "a&b'c@example.com", "SSL", "on");
	n = expect_protocol(n, "IMAP", "i2.example.com", "143", "u<&-a&b'c@example.com-a&b'c", "TLS", "on");
	n = expect_protocol(n, "SMTP", "s.example.com", "587", "a&b'c", "TLS", "on");
	n = expect_protocol(n, "SMTP", "s.example.com", "465", "a&b'c@example.com", "SSL", "on");
	ck_assert_ptr_null(n);
	xmlFreeDoc(doc);

	/* The same splice serves the next user unchanged. */
	out.len = 0;
	fill(&sp, "z", "example.com", &out);
	ck_assert_ptr_nonnull(strstr(out.data, "<LoginName>u&lt;&amp;-z@example.com-z</LoginName>"));
	ck_assert_ptr_nonnull(strstr(out.data, "<AutoDiscoverSMTPAddress>z@example.com</AutoDiscoverSMTPAddress>"));
	buf_free(&out);
	splice_free(&sp);
	conf_free(c);
}
END_TEST

START_TEST(mobilesync_document)
{
	struct conf *c = load("{\"providers\":[{\"name\":\"M\",\"domains\":[\"m.org\"],"
	    "\"activesync\":\"https://eas.m.org/Microsoft-Server-ActiveSync?a=1&b=2\",\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"m.org\",\"port\":993,\"security\":\"ssl\"}]},"
	    "{\"name\":\"N\",\"domains\":[\"n.org\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"n.org\",\"port\":993,\"security\":\"ssl\"}]}]}");
	const char *eas = "https://eas.m.org/Microsoft-Server-ActiveSync?a=1&b=2";
	struct splice sp;
	struct buf out = { 0 };

	ck_assert_int_eq(render_ad_mobilesync(&c->providers[0], &sp), 0);
	ck_assert_uint_eq(sp.nholes, 1);
	fill(&sp, "o\"k", "m.org", &out);
	ck_assert_ptr_nonnull(strstr(out.data, "<EMailAddress>o&quot;k@m.org</EMailAddress>"));
	xmlDocPtr doc = parse_buf(&out);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	expect_ns(root, "Autodiscover", AD_NS_RESPONSE);
	xmlNodePtr resp = first_child(root);
	expect_ns(resp, "Response", AD_NS_MOBILESYNC_RESPONSE);
	xmlNodePtr n = first_child(resp);
	expect_elem(n, "Culture", "en:en");
	expect_elem(n = sibling(n), "User", NULL);
	expect_elem(first_child(n), "EMailAddress", "o\"k@m.org");
	ck_assert_ptr_null(sibling(first_child(n)));
	expect_elem(n = sibling(n), "Action", NULL);
	ck_assert_ptr_null(sibling(n));
	xmlNodePtr s = first_child(first_child(n));
	expect_elem(first_child(n), "Settings", NULL);
	expect_elem(s, "Server", NULL);
	xmlNodePtr k = first_child(s);
	expect_elem(k, "Type", "MobileSync");
	expect_elem(k = sibling(k), "Url", eas);
	expect_elem(k = sibling(k), "Name", eas);
	ck_assert_ptr_null(sibling(k));
	xmlFreeDoc(doc);
	buf_free(&out);
	splice_free(&sp);

	/* No ActiveSync URL: no document. */
	ck_assert_int_eq(render_ad_mobilesync(&c->providers[1], &sp), 0);
	ck_assert_ptr_null(sp.data);
	ck_assert_uint_eq(sp.nholes, 0);
	splice_free(&sp);
	conf_free(c);
}
END_TEST

START_TEST(autodiscover_error_document)
{
	struct buf out = { 0 };

	ck_assert_int_eq(render_ad_error(600, "Invalid Request", "01:02:03.0000004",
	    "42", &out), 0);
	ck_assert_str_eq(out.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">\n"
	    "  <Response>\n"
	    "    <Error Time=\"01:02:03.0000004\" Id=\"42\">\n"
	    "      <ErrorCode>600</ErrorCode>\n"
	    "      <Message>Invalid Request</Message>\n"
	    "      <DebugData/>\n"
	    "    </Error>\n"
	    "  </Response>\n"
	    "</Autodiscover>\n");
	buf_free(&out);
}
END_TEST

START_TEST(splice_holes)
{
	struct splice sp = { 0 };
	struct splice_values v = { { "<&>", "'\"", "" }, { 3, 2, 0 } };
	struct buf out = { 0 };

	sp.data = xstrdup("[a][b][c]");
	sp.len = 9;
	splice_add_hole(&sp, 0, HOLE_DOMAIN);
	splice_add_hole(&sp, 2, HOLE_ADDRESS);
	splice_add_hole(&sp, 5, HOLE_LOCALPART);
	splice_add_hole(&sp, 5, HOLE_ADDRESS);
	splice_add_hole(&sp, 9, HOLE_LOCALPART);
	buf_puts(&out, "x");
	splice_fill(&sp, &v, &out);
	ck_assert_str_eq(out.data, "x[a&lt;&amp;&gt;][b&apos;&quot;&lt;&amp;&gt;][c]&apos;&quot;");
	ck_assert_uint_eq(out.len, strlen(out.data));
	buf_free(&out);
	splice_free(&sp);
	ck_assert_ptr_null(sp.data);
	buf_free(&out);
}
END_TEST

START_TEST(splice_find_cuts_holes)
{
	struct splice sp;
	struct splice_values in = { { "X@Y", "X", "Y", "UUID" },
	    { 3, 1, 1, 4 } };
	struct splice_values v = { { "a&b@c.d", "a&b", "c.d", "1234" },
	    { 7, 3, 3, 4 } };
	struct buf out = { 0 };

	/* The address is one hole, not a local part and a domain. */
	splice_find(&sp, xstrdup("<X@Y>X.Y|UUID|"), 14, &in);
	ck_assert_str_eq(sp.data, "<>.||");
	ck_assert_uint_eq(sp.len, 5);
	ck_assert_uint_eq(sp.nholes, 4);
	ck_assert_int_eq(sp.holes[0].what, HOLE_ADDRESS);
	ck_assert_int_eq(sp.holes[3].what, HOLE_UUID_PROFILE);
	splice_fill(&sp, &v, &out);
	ck_assert_str_eq(out.data, "<a&amp;b@c.d>a&amp;b.c.d|1234|");
	buf_free(&out);
	splice_free(&sp);
}
END_TEST

/* A renderer that shows the address and, with arg, its length too. */
static int
odd_render(const void *arg, struct splice_user *u, struct buf *out)
{
	splice_address_values(&u->em, &u->v);
	buf_printf(out, "<a>%s</a>", u->em.addr);
	if (arg != NULL)
		buf_printf(out, "<n>%zu</n>", strlen(u->em.addr) + 1);
	return 0;
}

/* A document that uses the address in a way no hole covers is not
 * spliced: the caller renders it per request. */
START_TEST(splice_build_checks_itself)
{
	struct splice sp;

	ck_assert_int_eq(splice_build(&sp, odd_render, NULL, false), 0);
	ck_assert_str_eq(sp.data, "<a></a>");
	ck_assert_uint_eq(sp.nholes, 1);
	splice_free(&sp);
	ck_assert_int_eq(splice_build(&sp, odd_render, "", false), 0);
	ck_assert_ptr_null(sp.data);
}
END_TEST

/* Two providers, with and without CalDAV/CardDAV, user names that take
 * the address apart. */
static const char splice_conf[] = "{\"providers\":[{\"name\":\"Ex\","
    "\"domains\":[\"example.com\",\"example.net\","
    "\"*.example.com\"],\"servers\":["
    "{\"protocol\":\"imap\",\"host\":\"imap.example.com\","
    "\"port\":993,\"security\":\"ssl\",\"username\":"
    "\"%EMAILLOCALPART%-%EMAILDOMAIN%\"},"
    "{\"protocol\":\"smtp\",\"host\":\"smtp.example.com\","
    "\"port\":587,\"security\":\"starttls\"}],"
    "\"caldav\":\"https://dav.example.com/cal/\","
    "\"carddav\":\"https://dav.example.com:8443/card/\"},"
    "{\"name\":\"Plain\",\"domains\":[\"plain.org\"],\"servers\":["
    "{\"protocol\":\"pop3\",\"host\":\"pop.plain.org\","
    "\"port\":995,\"security\":\"ssl\"},"
    "{\"protocol\":\"smtp\",\"host\":\"smtp.plain.org\","
    "\"port\":465,\"security\":\"ssl\"}]}]}";

static const char *const splice_addrs[] = { "alice@example.com",
    "Bob.X+tag@Example.NET", "o'ne&two{}@example.com",
    "x@a.very.long.subdomain.example.com" };

/* The profile spliced per provider and filled in per user is, byte for
 * byte, the one rendered for that user. */
START_TEST(mobileconfig_splice_same_bytes)
{
	struct conf *c = load(splice_conf);

	for (size_t i = 0; i < c->nproviders; i++) {
		const struct provider *p = &c->providers[i];
		struct splice sp;

		ck_assert_int_eq(render_mobileconfig_splice(p, &sp), 0);
		ck_assert_ptr_nonnull(sp.data);
		ck_assert_uint_gt(sp.nholes, 6);
		for (size_t k = 0; k < ARRAY_LEN(splice_addrs); k++) {
			const char *a = splice_addrs[k];
			struct buf direct = { 0 }, spliced = { 0 };
			char uuids[4][UUID_STR_LEN + 1];
			struct splice_values v;
			struct email em;
			const char *why;

			ck_assert_int_eq(email_parse(a, strlen(a), &em, &why), 0);
			ck_assert_int_eq(render_mobileconfig(p, &em, &direct), 0);
			mobileconfig_values(p, &em, uuids, &v);
			splice_fill(&sp, &v, &spliced);
			if (strpbrk(a, "'&") == NULL)
				ck_assert_str_eq(spliced.data, direct.data);
			else	/* ' escaped or not: the same XML */
				ck_assert_ptr_nonnull(strstr(spliced.data,
				    "<string>o&apos;ne&amp;two{}@example.com"
				    "</string>"));
			buf_free(&direct);
			buf_free(&spliced);
		}
		splice_free(&sp);
	}
	conf_free(c);
}
END_TEST

/* So is curl's settings page: plain text, nothing escaped. */
START_TEST(settings_text_splice_same_bytes)
{
	struct conf *c = load(splice_conf);

	for (size_t i = 0; i < c->nproviders; i++) {
		const struct provider *p = &c->providers[i];
		struct splice sp;

		ck_assert_int_eq(render_settings_text_splice(p, &sp), 0);
		ck_assert_ptr_nonnull(sp.data);
		ck_assert(sp.raw);
		for (size_t k = 0; k < ARRAY_LEN(splice_addrs); k++) {
			const char *a = splice_addrs[k];
			struct buf direct = { 0 }, spliced = { 0 };
			struct settings_view v = { .p = p };
			struct splice_values sv;
			struct email em;
			const char *why;

			ck_assert_int_eq(email_parse(a, strlen(a), &em, &why), 0);
			v.em = &em;
			v.typed = a;
			ck_assert_int_eq(render_settings_text(&v, &direct), 0);
			splice_address_values(&em, &sv);
			splice_fill(&sp, &sv, &spliced);
			ck_assert_str_eq(spliced.data, direct.data);
			buf_free(&direct);
			buf_free(&spliced);
		}
		splice_free(&sp);
	}
	conf_free(c);
}
END_TEST

START_TEST(autodiscover_json)
{
	struct buf out = { 0 };

	ck_assert_int_eq(render_ad_json("AutodiscoverV1",
	    "https://a.example/autodiscover/autodiscover.xml", &out), 0);
	ck_assert_str_eq(out.data, "{\"Protocol\":\"AutodiscoverV1\","
	    "\"Url\":\"https://a.example/autodiscover/autodiscover.xml\"}");
	buf_free(&out);
	ck_assert_int_eq(render_ad_json_error("Rest", "AutodiscoverV1", &out), 0);
	ck_assert_str_eq(out.data, "{\"ErrorCode\":\"InvalidProtocol\","
	    "\"ErrorMessage\":\"The given protocol value 'Rest' is invalid. "
	    "Supported values are 'AutodiscoverV1'\"}");
	buf_free(&out);
	/* Request text is escaped for JSON, or not echoed at all. */
	ck_assert_int_eq(render_ad_json_error("a\"b\\c</script>", "X", &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "'a\\\"b\\\\c</script>'"));
	buf_free(&out);
	ck_assert_int_eq(render_ad_json_error("a\nb", "X", &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "value '(invalid)' is"));
	buf_free(&out);
	ck_assert_int_eq(render_ad_json_error("\xff\xfe", "X", &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "value '(invalid)' is"));
	buf_free(&out);
}
END_TEST

static const char hosting_conf[] = "{\"providers\":[{\"id\":\"h.org\","
    "\"name\":\"H\",\"domains\":[\"h.org\",\"c.org\"],"
    "\"mx_domains\":[\"hoster.net\"],\"servers\":["
    "{\"protocol\":\"imap\",\"host\":\"imap.%EMAILDOMAIN%\","
    "\"port\":993,\"security\":\"ssl\"},"
    "{\"protocol\":\"smtp\",\"host\":\"smtp.%EMAILDOMAIN%\","
    "\"port\":465,\"security\":\"ssl\"},"
    "{\"protocol\":\"smtp\",\"host\":\"smtp.%EMAILDOMAIN%\","
    "\"port\":587,\"security\":\"starttls\"},"
    "{\"protocol\":\"smtp\",\"host\":\"relay.h.org\","
    "\"port\":587,\"security\":\"starttls\"}],"
    "\"webmail\":\"https://%EMAILDOMAIN%/mail/%EMAILDOMAIN%\","
    "\"oauth2\":{\"issuer\":\"https://id.%EMAILDOMAIN%\"},"
    "\"mta_sts\":{\"mode\":\"enforce\",\"max_age\":1209600}},"
    "{\"name\":\"P\",\"domains\":[\"p.org\"],\"servers\":["
    "{\"protocol\":\"imap\",\"host\":\"imap.p.org\",\"port\":993,"
    "\"security\":\"ssl\"}],\"mta_sts\":{\"mode\":\"none\","
    "\"mx\":[\"*.mx.p.org\",\"mx.%EMAILDOMAIN%\"],\"max_age\":0}}]}";

START_TEST(views_fill_the_domain)
{
	struct conf *c = load(hosting_conf);
	const struct provider *h = &c->providers[0], *p;
	struct provider_view v;

	provider_view(h, "cust.example", &v);
	ck_assert_uint_eq(v.p.ndomains, 1);
	ck_assert_str_eq(v.p.domains[0], "cust.example");
	ck_assert_str_eq(v.p.servers[0].host, "imap.cust.example");
	ck_assert_str_eq(v.p.servers[3].host, "relay.h.org");
	ck_assert_str_eq(v.p.webmail, "https://cust.example/mail/cust.example");
	ck_assert_str_eq(v.p.oauth2->issuer, "https://id.cust.example");
	/* The provider itself is left as it was. */
	ck_assert_str_eq(h->servers[0].host, "imap.%EMAILDOMAIN%");
	provider_view_free(&v);
	conf_free(c);
	/* A provider not rendered per domain: its view is itself. */
	c = load("{\"providers\":[{\"name\":\"P\",\"domains\":[\"p.org\","
	    "\"q.org\"],\"servers\":[{\"protocol\":\"imap\",\"host\":"
	    "\"imap.p.org\",\"port\":993,\"security\":\"ssl\"}]}]}");
	p = &c->providers[0];
	provider_view(p, "q.org", &v);
	ck_assert_ptr_null(v.r);
	ck_assert_ptr_eq(v.p.domains, p->domains);
	ck_assert_uint_eq(v.p.ndomains, 2);
	ck_assert_ptr_eq(v.p.servers, p->servers);
	provider_view_free(&v);
	conf_free(c);
}
END_TEST

START_TEST(autoconfig_mx_domains)
{
	struct conf *c = load(hosting_conf);
	struct provider_view v;
	struct buf out = { 0 };
	xmlDocPtr doc;
	xmlNodePtr n;

	provider_view(&c->providers[0], "cust.example", &v);
	doc = render(&v.p, &out);
	n = first_child(first_child(xmlDocGetRootElement(doc)));
	expect_elem(n, "domain", "cust.example");
	ck_assert_ptr_null(n->properties);
	n = sibling(n);
	expect_elem(n, "domain", "hoster.net");
	xmlChar *purpose = xmlGetProp(n, BAD_CAST "purpose");
	ck_assert_str_eq((const char *)purpose, "mx");
	xmlFree(purpose);
	expect_elem(sibling(n), "displayName", "H");
	xmlFreeDoc(doc);
	buf_free(&out);
	provider_view_free(&v);
	conf_free(c);
}
END_TEST

START_TEST(mta_sts_exact_bytes)
{
	struct conf *c = load(hosting_conf);
	struct provider_view v;
	struct buf out = { 0 };
	char id[MTA_STS_ID_LEN + 1], id2[MTA_STS_ID_LEN + 1];

	provider_view(&c->providers[0], "cust.example", &v);
	ck_assert_int_eq(render_mta_sts(&v.p, &out), 0);
	/* The SMTP hosts, each once, in the order of the config. */
	ck_assert_str_eq(out.data, "version: STSv1\r\nmode: enforce\r\n"
	    "mx: smtp.cust.example\r\nmx: relay.h.org\r\nmax_age: 1209600\r\n");
	mta_sts_id(out.data, out.len, id);
	ck_assert_uint_eq(strlen(id), 32);
	ck_assert_uint_eq(strspn(id, "0123456789abcdef"), 32);
	mta_sts_id(out.data, out.len - 1, id2);
	ck_assert_str_ne(id, id2);
	provider_view_free(&v);
	out.len = 0;
	provider_view(&c->providers[1], "p.org", &v);
	ck_assert_int_eq(render_mta_sts(&v.p, &out), 0);
	ck_assert_str_eq(out.data, "version: STSv1\r\nmode: none\r\n"
	    "mx: *.mx.p.org\r\nmx: mx.p.org\r\nmax_age: 0\r\n");
	provider_view_free(&v);
	buf_free(&out);
	ck_assert_int_eq(render_mta_sts(&c->providers[0], &out), 0);
	buf_free(&out);
	conf_free(c);
}
END_TEST

/* Zone-file text as RFC 1035 section 5.1 reads it back: "\X" is X, "\DDD"
 * the byte DDD. */
static void
zone_decode(const char *s, size_t n, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' &&
		    s[i + 1] <= '9') {
			out[k++] = (char)((s[i + 1] - '0') * 100 +
			    (s[i + 2] - '0') * 10 + (s[i + 3] - '0'));
			i += 3;
		} else if (s[i] == '\\' && i + 1 < n)
			out[k++] = s[++i];
		else
			out[k++] = s[i];
	}
	out[k] = '\0';
}

/* The line of out holding needle, and the line before it. */
static void
line_of(const char *out, const char *needle, char *line, char *before,
    size_t size)
{
	const char *at = strstr(out, needle), *start, *prev;

	ck_assert_msg(at != NULL, "no %s in:\n%s", needle, out);
	for (start = at; start > out && start[-1] != '\n'; start--)
		;
	for (prev = start > out ? start - 1 : start; prev > out &&
	    prev[-1] != '\n'; prev--)
		;
	snprintf(line, size, "%.*s", (int)strcspn(start, "\n"), start);
	snprintf(before, size, "%.*s", (int)(start - prev > 0 ?
	    start - prev - 1 : 0), prev);
}

/* "autoconfd dns": internationalised names explained once each, and any
 * byte a zone file cannot hold bare written as \DDD with a comment above
 * saying what it stands for. */
START_TEST(dns_escapes)
{
	struct conf *c = load("{\"public_url\":\"https://setup.b\\u00fccher.example\","
	    "\"providers\":[{\"name\":\"B\\u00fccher\",\"domains\":[\"b\\u00fccher.example\"],"
	    "\"servers\":[{\"protocol\":\"imap\",\"host\":\"mail.b\\u00fccher.example\",\"port\":993,\"security\":\"ssl\"},"
	    "{\"protocol\":\"smtp\",\"host\":\"mail.b\\u00fccher.example\",\"port\":465,\"security\":\"ssl\"},"
	    "{\"protocol\":\"smtp\",\"host\":\"smtp.example.net\",\"port\":587,\"security\":\"starttls\"}]}]}");
	struct provider *p = &c->providers[0];
	struct buf out = { 0 };
	char line[512], before[512], dec[512];
	const char *path = c->path;

	ck_assert_int_eq(render_dns(c, p, "xn--bcher-kva.example", &out), 0);
	line_of(out.data, "; xn--bcher-kva.example is b\xc3\xbc" "cher.example, "
	    "written as DNS holds it (IDNA A-labels)\n", line, before,
	    sizeof(line));
	line_of(out.data, "; setup.xn--bcher-kva.example is setup.b\xc3\xbc"
	    "cher.example,", line, before, sizeof(line));
	/* Once, though two records name it. */
	const char *m = strstr(out.data, "; mail.xn--bcher-kva.example is mail.b\xc3\xbc"
	    "cher.example,");
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_null(strstr(m + 1, "; mail.xn--bcher-kva.example is"));
	ck_assert_ptr_null(strstr(out.data, "smtp.example.net is"));
	ck_assert_ptr_null(strstr(out.data, "\\DDD"));
	ck_assert_ptr_nonnull(strstr(out.data, "_ua-auto-config.xn--bcher-kva.example.\t3600\tIN\tTXT\t\"v=UAAC1; a=sha256; d="));

	/* Names a zone file cannot hold bare (never from a config, which
	 * takes host names only), and a file name with a line break. */
	p->servers[0].host = "a b\"c\xc3\xa9(x).example";
	c->path = "x\ny.json";
	out.len = 0;
	ck_assert_int_eq(render_dns(c, p, "d;om\x01.example", &out), 0);
	for (const char *l = out.data; *l != '\0'; l += strcspn(l, "\n") + 1) {
		size_t n = strcspn(l, "\n");

		for (size_t i = 0; i < n; i++)
			ck_assert_msg((unsigned char)l[i] >= 0x20 || l[i] == '\t',
			    "control byte in %.*s", (int)n, l);
	}
	ck_assert_ptr_nonnull(strstr(out.data, "\n; from x\\010y.json\n"));
	line_of(out.data, "_imaps._tcp.", line, before, sizeof(line));
	ck_assert_str_eq(line, "_imaps._tcp.d\\;om\\001.example.\t3600\tIN\t"
	    "SRV\t0 1 993 a\\032b\\\"c\\195\\169\\(x\\).example.");
	ck_assert_str_eq(before, "; \\DDD is the byte of decimal value DDD "
	    "(RFC 1035 section 5.1): a\\032b\\\"c\\195\\169\\(x\\).example is "
	    "\"a b\"c\xc3\xa9(x).example\" in UTF-8");
	/* Read back as a zone file reads it: the name as configured. */
	const char *target = strrchr(line, ' ') + 1;
	zone_decode(target, strlen(target) - 1, dec);
	ck_assert_str_eq(dec, "a b\"c\xc3\xa9(x).example");
	const char *owner = line + strlen("_imaps._tcp.");
	zone_decode(owner, strcspn(owner, "\t") - 1, dec);
	ck_assert_str_eq(dec, "d;om\x01.example");
	/* The domain's escapes are explained once, at the top: it is not
	 * text, so only what \DDD means. */
	line_of(out.data, "; \\DDD is the byte of decimal value DDD (RFC 1035 "
	    "section 5.1)\n", line, before, sizeof(line));
	ck_assert_str_eq(before, "; from x\\010y.json");
	c->path = path;
	buf_free(&out);
	conf_free(c);
}
END_TEST

/* The settings page: cells labelled for the cards of narrow screens, a
 * copy button after each value a person types (hidden until the script
 * shows it), the profile first for Apple devices and after the table for
 * the others, one style sheet with a dark scheme, one script. */
START_TEST(settings_page_html)
{
	struct conf *c = load("{\"providers\":[{\"name\":\"X\",\"domains\":[\"x.org\"],\"servers\":["
	    "{\"protocol\":\"imap\",\"host\":\"imap.x.org\",\"port\":993,\"security\":\"ssl\"},"
	    "{\"protocol\":\"smtp\",\"host\":\"smtp.x.org\",\"port\":465,\"security\":\"ssl\","
	    "\"username\":\"%EMAILLOCALPART%\"},"
	    "{\"protocol\":\"smtp\",\"host\":\"relay.x.org\",\"port\":587,\"security\":\"starttls\","
	    "\"username\":\"shared-relay\"}]}]}");
	struct email em;
	const char *why, *top, *table, *after;
	struct settings_view v = { .p = &c->providers[0], .em = &em };
	struct buf out = { 0 };
	size_t n = 0;

	ck_assert_int_eq(email_parse("a&b@x.org", 9, &em, &why), 0);
	ck_assert_int_eq(render_settings_html(&v, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.data, "<td data-label=\"Server\"><span "
	    "class=\"v\"><code>imap.x.org</code><button type=\"button\" "
	    "class=\"copy\" aria-label=\"Copy the server name\" hidden>"
	    "</button></span></td><td class=\"port\" data-label=\"Port\"><span "
	    "class=\"v\"><code>993</code><button type=\"button\" class=\"copy\" "
	    "aria-label=\"Copy the port\" hidden></button></span></td>"
	    "<td data-label=\"Encryption\"><span class=\"v\">SSL/TLS</span></td>"
	    "<td data-label=\"Authentication\"><span class=\"v\">Normal password"
	    "</span></td><td data-label=\"Username\"><span class=\"v\"><code>"
	    "a&amp;b@x.org</code><button type=\"button\" class=\"copy\" "
	    "aria-label=\"Copy the username\" hidden></button></span></td>"
	    "<td class=\"rec\" data-label=\"Use\"><span class=\"v\">Recommended"
	    "</span></td></tr>\n"));
	ck_assert_ptr_nonnull(strstr(out.data, "<code>a&amp;b</code><button"));
	ck_assert_ptr_nonnull(strstr(out.data, "<code>shared-relay</code><button"));
	for (const char *p = out.data; (p = strstr(p, "class=\"copy\"")) != NULL;
	    p++)
		n++;
	ck_assert_uint_eq(n, 9);
	/* Not Apple: the profile after the table. */
	table = strstr(out.data, "<table>");
	after = strstr(out.data, "<p id=\"profile\">On an iPhone, iPad or Mac: "
	    "<a href=\"email.mobileconfig?emailaddress=a%26b@x.org\">");
	ck_assert_ptr_nonnull(table);
	ck_assert_ptr_nonnull(after);
	ck_assert(after > table);
	ck_assert_ptr_null(strstr(out.data, "class=\"button\""));
	/* One style sheet, dark scheme and narrow layout in it; one script,
	 * last. */
	ck_assert_ptr_nonnull(strstr(out.data, "<meta name=\"color-scheme\" "
	    "content=\"light dark\">"));
	ck_assert_ptr_nonnull(strstr(settings_css,
	    "@media (prefers-color-scheme:dark)"));
	ck_assert_ptr_nonnull(strstr(settings_css, "@media (max-width:40rem)"));
	ck_assert_ptr_nonnull(strstr(out.data, settings_css));
	ck_assert_ptr_nonnull(strstr(out.data, settings_js));
	ck_assert_ptr_null(strstr(strstr(out.data, "<script>") + 1, "<script"));
	ck_assert_ptr_nonnull(strstr(out.data, "</script>\n</body>\n</html>\n"));

	/* An iPhone: the profile right under the heading, as a button. */
	v.apple = true;
	out.len = 0;
	ck_assert_int_eq(render_settings_html(&v, &out), 0);
	top = strstr(out.data, "<p class=\"profile\"><a class=\"button\" "
	    "id=\"profile\" href=\"email.mobileconfig?emailaddress=a%26b@x.org\">"
	    "Install the profile</a>");
	ck_assert_ptr_nonnull(top);
	ck_assert(top < strstr(out.data, "<form"));
	ck_assert(top > strstr(out.data, "</h1>"));
	ck_assert_ptr_null(strstr(out.data, "On an iPhone"));
	/* Without an address there is no profile to offer; the username is
	 * described, nothing to copy. */
	v.em = NULL;
	out.len = 0;
	ck_assert_int_eq(render_settings_html(&v, &out), 0);
	ck_assert_ptr_null(strstr(out.data, "id=\"profile\""));
	ck_assert_ptr_nonnull(strstr(out.data, "<td data-label=\"Username\">"
	    "<span class=\"v\">your full email address</span></td>"));
	ck_assert_ptr_nonnull(strstr(out.data, "<code>shared-relay</code><button"));
	buf_free(&out);
	conf_free(c);
}
END_TEST

static Suite *
render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("autoconfig");

	tcase_add_test(tc, full_document_in_order);
	tcase_add_test(tc, pop3_leave_on_server);
	tcase_add_test(tc, wildcard_only_provider_names_its_id);
	suite_add_tcase(s, tc);
	tc = tcase_create("pacc");
	tcase_add_test(tc, draft06_entries);
	tcase_add_test(tc, digests_known_vectors);
	tcase_add_test(tc, pacc_exact_bytes);
	suite_add_tcase(s, tc);
	tc = tcase_create("autodiscover");
	tcase_add_test(tc, outlook_document_in_order);
	tcase_add_test(tc, mobilesync_document);
	tcase_add_test(tc, autodiscover_error_document);
	tcase_add_test(tc, splice_holes);
	tcase_add_test(tc, splice_find_cuts_holes);
	tcase_add_test(tc, splice_build_checks_itself);
	tcase_add_test(tc, mobileconfig_splice_same_bytes);
	tcase_add_test(tc, settings_text_splice_same_bytes);
	tcase_add_test(tc, autodiscover_json);
	tcase_add_test(tc, views_fill_the_domain);
	tcase_add_test(tc, autoconfig_mx_domains);
	tcase_add_test(tc, mta_sts_exact_bytes);
	tcase_add_test(tc, dns_escapes);
	tcase_add_test(tc, settings_page_html);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(render_suite)

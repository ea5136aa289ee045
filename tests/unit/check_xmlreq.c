/* The Autodiscover request parser against well-formed requests in the
 * shapes clients send, and against hostile ones. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "xmlreq.h"
#include "unit.h"

#define OUTLOOK_REQ AD_NS_OUTLOOK_REQUEST
#define EAS_REQ AD_NS_MOBILESYNC_REQUEST
#define OUTLOOK_RESP AD_NS_OUTLOOK_RESPONSE
#define EAS_RESP AD_NS_MOBILESYNC_RESPONSE

static int saved_stderr = -1;
static FILE *captured;

/* The reader must print nothing: stderr goes to a file for each test. */
static void
capture_stderr(void)
{
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	captured = tmpfile();
	ck_assert_ptr_nonnull(captured);
	dup2(fileno(captured), STDERR_FILENO);
}

static void
check_stderr_empty(void)
{
	struct stat sb;

	fflush(stderr);
	ck_assert_int_eq(fstat(fileno(captured), &sb), 0);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(captured);
	ck_assert_msg(sb.st_size == 0, "%lld bytes written to stderr",
	    (long long)sb.st_size);
}

static int
parse(const char *doc, struct xmlreq *r, const char **why)
{
	return xmlreq_parse(doc, strlen(doc), r, why);
}

static void
expect_ok(const char *doc, enum xmlreq_who who, const char *addr,
    enum xmlreq_schema schema)
{
	struct xmlreq r;
	const char *why;

	ck_assert_msg(parse(doc, &r, &why) == 0, "refused (%s): %s", why, doc);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(r.who, who);
	ck_assert_str_eq(r.addr, addr);
	ck_assert_uint_eq(r.addr_len, strlen(addr));
	ck_assert_int_eq(r.schema, schema);
}

static void
expect_refused(const char *doc, size_t len, const char *reason)
{
	struct xmlreq r;
	const char *why;

	ck_assert_msg(xmlreq_parse(doc, len, &r, &why) == -1, "accepted: %s",
	    doc);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, reason);
	ck_assert_str_eq(r.addr, "");
}

static void
refused(const char *doc, const char *reason)
{
	expect_refused(doc, strlen(doc), reason);
}

START_TEST(outlook_request)
{
	expect_ok("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<Autodiscover xmlns=\"" OUTLOOK_REQ "\">\n"
	    "  <Request>\n"
	    "    <EMailAddress>alice@example.com</EMailAddress>\n"
	    "    <AcceptableResponseSchema>" OUTLOOK_RESP
	    "</AcceptableResponseSchema>\n"
	    "  </Request>\n"
	    "</Autodiscover>\n", XMLREQ_EMAIL, "alice@example.com",
	    XMLREQ_OUTLOOK);
}
END_TEST

START_TEST(mobilesync_request)
{
	expect_ok("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	    "<Autodiscover xmlns=\"" EAS_REQ "\"><Request>"
	    "<EMailAddress>bob@example.org</EMailAddress>"
	    "<AcceptableResponseSchema>" EAS_RESP "</AcceptableResponseSchema>"
	    "</Request></Autodiscover>", XMLREQ_EMAIL, "bob@example.org",
	    XMLREQ_MOBILESYNC);
}
END_TEST

START_TEST(any_element_order)
{
	expect_ok("<Autodiscover xmlns=\"" OUTLOOK_REQ "\"><Request>"
	    "<AcceptableResponseSchema>" EAS_RESP "</AcceptableResponseSchema>"
	    "<Extra>ignored</Extra>"
	    "<EMailAddress>c@example.com</EMailAddress>"
	    "</Request></Autodiscover>", XMLREQ_EMAIL, "c@example.com",
	    XMLREQ_MOBILESYNC);
	/* Request after other children of the root. */
	expect_ok("<Autodiscover><Other><EMailAddress>x@y.z</EMailAddress>"
	    "</Other><Request><EMailAddress>d@example.com</EMailAddress>"
	    "</Request></Autodiscover>", XMLREQ_EMAIL, "d@example.com",
	    XMLREQ_OUTLOOK);
}
END_TEST

START_TEST(legacy_dn)
{
	expect_ok("<Autodiscover xmlns=\"" OUTLOOK_REQ "\"><Request>"
	    "<LegacyDN>/o=Org/ou=First/cn=Recipients/cn=alice</LegacyDN>"
	    "<AcceptableResponseSchema>" OUTLOOK_RESP "</AcceptableResponseSchema>"
	    "</Request></Autodiscover>", XMLREQ_LEGACYDN,
	    "/o=Org/ou=First/cn=Recipients/cn=alice", XMLREQ_OUTLOOK);
	/* Both: the address wins, in either order. */
	expect_ok("<Autodiscover><Request><LegacyDN>/o=X</LegacyDN>"
	    "<EMailAddress>e@example.com</EMailAddress></Request></Autodiscover>",
	    XMLREQ_EMAIL, "e@example.com", XMLREQ_OUTLOOK);
	/* An empty address does not hide the LegacyDN. */
	expect_ok("<Autodiscover><Request><EMailAddress> </EMailAddress>"
	    "<LegacyDN>/o=Y</LegacyDN></Request></Autodiscover>",
	    XMLREQ_LEGACYDN, "/o=Y", XMLREQ_OUTLOOK);
}
END_TEST

START_TEST(namespaces_as_clients_send_them)
{
	/* No namespace at all. */
	expect_ok("<Autodiscover><Request><EMailAddress>a@b.example"
	    "</EMailAddress></Request></Autodiscover>", XMLREQ_EMAIL,
	    "a@b.example", XMLREQ_OUTLOOK);
	/* Prefixed everywhere. */
	expect_ok("<a:Autodiscover xmlns:a=\"" EAS_REQ "\"><a:Request>"
	    "<a:EMailAddress>a@b.example</a:EMailAddress></a:Request>"
	    "</a:Autodiscover>", XMLREQ_EMAIL, "a@b.example",
	    XMLREQ_MOBILESYNC);
	/* Prefixed root, children in no namespace. */
	expect_ok("<a:Autodiscover xmlns:a=\"" OUTLOOK_REQ "\"><Request>"
	    "<EMailAddress>a@b.example</EMailAddress></Request>"
	    "</a:Autodiscover>", XMLREQ_EMAIL, "a@b.example", XMLREQ_OUTLOOK);
	/* Element names in another case. */
	expect_ok("<autodiscover><request><EmailAddress>a@b.example"
	    "</EmailAddress></request></autodiscover>", XMLREQ_EMAIL,
	    "a@b.example", XMLREQ_OUTLOOK);
	/* Extensions in a foreign namespace are skipped, subtree and all. */
	expect_ok("<Autodiscover xmlns=\"" OUTLOOK_REQ "\" xmlns:x=\"urn:x\">"
	    "<Request><x:EMailAddress>evil@x.example</x:EMailAddress>"
	    "<x:Deep><EMailAddress xmlns=\"" OUTLOOK_REQ "\">e@x.example"
	    "</EMailAddress></x:Deep>"
	    "<EMailAddress>good@b.example</EMailAddress></Request>"
	    "</Autodiscover>", XMLREQ_EMAIL, "good@b.example", XMLREQ_OUTLOOK);
	refused("<Autodiscover xmlns=\"urn:other\"><Request><EMailAddress>"
	    "a@b.example</EMailAddress></Request></Autodiscover>",
	    "not an Autodiscover request");
	refused("<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/"
	    "envelope/\"/>", "not an Autodiscover request");
}
END_TEST

START_TEST(schemas)
{
	const char *pre = "<Autodiscover xmlns=\"" OUTLOOK_REQ "\"><Request>"
	    "<EMailAddress>a@b.example</EMailAddress>";
	char doc[1024];

	snprintf(doc, sizeof(doc), "%s<AcceptableResponseSchema>\n  %s\n"
	    "</AcceptableResponseSchema></Request></Autodiscover>", pre,
	    "HTTP://SCHEMAS.microsoft.com/exchange/autodiscover/outlook/"
	    "responseschema/2006A");
	expect_ok(doc, XMLREQ_EMAIL, "a@b.example", XMLREQ_OUTLOOK);
	snprintf(doc, sizeof(doc), "%s<AcceptableResponseSchema>%s"
	    "</AcceptableResponseSchema></Request></Autodiscover>", pre,
	    "http://schemas.microsoft.com/exchange/autodiscover/outlook/"
	    "responseschema/2006");
	expect_ok(doc, XMLREQ_EMAIL, "a@b.example", XMLREQ_OTHER);
	snprintf(doc, sizeof(doc), "%s<AcceptableResponseSchema>urn:x"
	    "</AcceptableResponseSchema></Request></Autodiscover>", pre);
	expect_ok(doc, XMLREQ_EMAIL, "a@b.example", XMLREQ_OTHER);
	/* Absent or empty: the request namespace decides. */
	snprintf(doc, sizeof(doc), "%s<AcceptableResponseSchema/>"
	    "</Request></Autodiscover>", pre);
	expect_ok(doc, XMLREQ_EMAIL, "a@b.example", XMLREQ_OUTLOOK);
	expect_ok("<Autodiscover xmlns=\"" EAS_REQ "\"><Request><EMailAddress>"
	    "a@b.example</EMailAddress></Request></Autodiscover>",
	    XMLREQ_EMAIL, "a@b.example", XMLREQ_MOBILESYNC);
}
END_TEST

START_TEST(text_forms)
{
	expect_ok("<Autodiscover><Request><EMailAddress>\n\t a&amp;b&#x27;c"
	    "&quot;&#64;example.com \r\n</EMailAddress></Request></Autodiscover>",
	    XMLREQ_EMAIL, "a&b'c\"@example.com", XMLREQ_OUTLOOK);
	expect_ok("<Autodiscover><Request><EMailAddress><![CDATA[<x>@y.example]]>"
	    "</EMailAddress></Request></Autodiscover>", XMLREQ_EMAIL,
	    "<x>@y.example", XMLREQ_OUTLOOK);
	expect_ok("<Autodiscover><Request><EMailAddress>a<!-- c -->b@y.example"
	    "<?pi x?></EMailAddress></Request></Autodiscover>", XMLREQ_EMAIL,
	    "ab@y.example", XMLREQ_OUTLOOK);
	/* A BOM, and a declared legacy encoding: text comes out as UTF-8. */
	expect_ok("\xef\xbb\xbf<Autodiscover><Request><EMailAddress>a@b.example"
	    "</EMailAddress></Request></Autodiscover>", XMLREQ_EMAIL,
	    "a@b.example", XMLREQ_OUTLOOK);
	expect_ok("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Autodiscover>"
	    "<Request><EMailAddress>j\xf6rg@b.example</EMailAddress></Request>"
	    "</Autodiscover>", XMLREQ_EMAIL, "j\xc3\xb6rg@b.example",
	    XMLREQ_OUTLOOK);
	/* Attributes are ignored. */
	expect_ok("<Autodiscover a=\"1\"><Request b=\"2\"><EMailAddress c=\"3\">"
	    "a@b.example</EMailAddress></Request></Autodiscover>", XMLREQ_EMAIL,
	    "a@b.example", XMLREQ_OUTLOOK);
}
END_TEST

START_TEST(missing_parts)
{
	refused("", "empty request");
	expect_refused(NULL, 0, "empty request");
	refused("   \n", "not well-formed XML");
	refused("hello", "not well-formed XML");
	refused("{\"Email\":\"a@b.example\"}", "not well-formed XML");
	refused("<Autodiscover/>", "no Request element");
	refused("<Autodiscover><Request/></Autodiscover>",
	    "no EMailAddress or LegacyDN");
	refused("<Autodiscover><Request><EMailAddress>  </EMailAddress>"
	    "</Request></Autodiscover>", "no EMailAddress or LegacyDN");
	/* Fields outside Request do not count. */
	refused("<Autodiscover><EMailAddress>a@b.example</EMailAddress>"
	    "<Request/></Autodiscover>", "no EMailAddress or LegacyDN");
	refused("<Request><EMailAddress>a@b.example</EMailAddress></Request>",
	    "not an Autodiscover request");
}
END_TEST

START_TEST(malformed)
{
	static const char *const docs[] = {
		"<Autodiscover><Request><EMailAddress>a@b.example</EMailAddress>",
		"<Autodiscover><Request><EMailAddress>a@b.example</Request>"
		    "</Autodiscover>",
		"<Autodiscover></Autodiscover><Autodiscover/>",
		"<Autodiscover><Request><EMailAddress>a&b@c.example"
		    "</EMailAddress></Request></Autodiscover>",
		"<Autodiscover><Request><EMailAddress>a&#0;@c.example"
		    "</EMailAddress></Request></Autodiscover>",
		"<Autodiscover><Request><EMailAddress>\xff\xfe@c.example"
		    "</EMailAddress></Request></Autodiscover>",
		"<Autodiscover xmlns:a=\"\"><a:Request/></Autodiscover>",
		"<x:Autodiscover><Request/></x:Autodiscover>",
		"<Autodiscover><Request><EMailAddress x=\"1\" x=\"2\">a@b.example"
		    "</EMailAddress></Request></Autodiscover>",
	};

	for (size_t i = 0; i < ARRAY_LEN(docs); i++)
		refused(docs[i], "not well-formed XML");
	/* A NUL byte inside the document. */
	expect_refused("<Autodiscover><Request><EMailAddress>a\0b@c.example"
	    "</EMailAddress></Request></Autodiscover>", 80,
	    "not well-formed XML");
}
END_TEST

START_TEST(structure_refused)
{
	refused("<Autodiscover><Request><EMailAddress>a@b.example<b>x</b>"
	    "</EMailAddress></Request></Autodiscover>",
	    "element inside a text field");
	refused("<Autodiscover><Request><EMailAddress>a@b.example"
	    "</EMailAddress><EMailAddress>c@d.example</EMailAddress>"
	    "</Request></Autodiscover>", "more than one EMailAddress");
	refused("<Autodiscover><Request><LegacyDN>/o=a</LegacyDN><LegacyDN>/o=b"
	    "</LegacyDN></Request></Autodiscover>", "more than one LegacyDN");
	refused("<Autodiscover><Request><AcceptableResponseSchema/>"
	    "<AcceptableResponseSchema/></Request></Autodiscover>",
	    "more than one AcceptableResponseSchema");
	refused("<Autodiscover><Request><EMailAddress>a@b.example</EMailAddress>"
	    "</Request><Request><EMailAddress>c@d.example</EMailAddress>"
	    "</Request></Autodiscover>", "more than one Request");
}
END_TEST

START_TEST(limits)
{
	struct buf b = { 0 };
	int i;

	/* Nesting: 16 levels pass, 17 do not, and 5000 stop at once. */
	for (i = 0; i < 13; i++)
		buf_puts(&b, "<x>");
	for (i = 0; i < 13; i++)
		buf_puts(&b, "</x>");
	char *inner = buf_steal(&b);
	buf_printf(&b, "<Autodiscover><Request><EMailAddress>a@b.example"
	    "</EMailAddress><Extra>%s</Extra></Request></Autodiscover>", inner);
	expect_ok(b.data, XMLREQ_EMAIL, "a@b.example", XMLREQ_OUTLOOK);
	buf_free(&b);
	buf_printf(&b, "<Autodiscover><Request><EMailAddress>a@b.example"
	    "</EMailAddress><Extra><y>%s</y></Extra></Request></Autodiscover>",
	    inner);
	refused(b.data, "elements nested too deeply");
	buf_free(&b);
	free(inner);
	for (i = 0; i < 5000; i++)
		buf_puts(&b, "<Autodiscover>");
	refused(b.data, "elements nested too deeply");
	buf_free(&b);

	/* Field text: 512 bytes pass, 513 do not. */
	buf_puts(&b, "<Autodiscover><Request><LegacyDN>");
	for (i = 0; i < XMLREQ_ADDR_MAX; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "</LegacyDN></Request></Autodiscover>");
	struct xmlreq r;
	const char *why;
	ck_assert_int_eq(parse(b.data, &r, &why), 0);
	ck_assert_uint_eq(r.addr_len, XMLREQ_ADDR_MAX);
	buf_free(&b);
	buf_puts(&b, "<Autodiscover><Request><LegacyDN>");
	for (i = 0; i <= XMLREQ_ADDR_MAX; i++)
		buf_puts(&b, i % 2 ? "&amp;" : "b");
	buf_puts(&b, "</LegacyDN></Request></Autodiscover>");
	refused(b.data, "field text too long");
	buf_free(&b);
}
END_TEST

START_TEST(xxe_refused)
{
	static const char *const docs[] = {
		/* Classic XXE through an external general entity. */
		"<?xml version=\"1.0\"?>\n<!DOCTYPE Autodiscover [\n"
		"  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n"
		"<Autodiscover><Request><EMailAddress>&xxe;</EMailAddress>"
		"</Request></Autodiscover>",
		/* An external DTD, over the network. */
		"<!DOCTYPE Autodiscover SYSTEM \"http://127.0.0.1:9/x.dtd\">"
		"<Autodiscover><Request><EMailAddress>a@b.example</EMailAddress>"
		"</Request></Autodiscover>",
		/* Parameter entities (out-of-band exfiltration). */
		"<!DOCTYPE a [<!ENTITY % p SYSTEM \"http://127.0.0.1:9/p\"> %p;]>"
		"<Autodiscover/>",
		/* A harmless-looking internal entity. */
		"<!DOCTYPE Autodiscover [<!ENTITY e \"a@b.example\">]>"
		"<Autodiscover><Request><EMailAddress>&e;</EMailAddress>"
		"</Request></Autodiscover>",
		/* A bare doctype. */
		"<!DOCTYPE Autodiscover><Autodiscover><Request><EMailAddress>"
		"a@b.example</EMailAddress></Request></Autodiscover>",
	};

	for (size_t i = 0; i < ARRAY_LEN(docs); i++)
		refused(docs[i], "document has a DTD");
	/* An entity reference without a DTD is an error, not a lookup. */
	refused("<Autodiscover><Request><EMailAddress>&xxe;</EMailAddress>"
	    "</Request></Autodiscover>", "not well-formed XML");
	/* XInclude is never processed: it is just a foreign element. */
	expect_ok("<Autodiscover xmlns:xi=\"http://www.w3.org/2001/XInclude\">"
	    "<Request><EMailAddress>a@b.example</EMailAddress>"
	    "<xi:include href=\"file:///etc/passwd\" parse=\"text\"/>"
	    "</Request></Autodiscover>", XMLREQ_EMAIL, "a@b.example",
	    XMLREQ_OUTLOOK);
}
END_TEST

/* Refuses the billion laughs document (XML version given) with reason,
 * without expanding it: 10^9 "lol"s take gigabytes and minutes. The bound
 * is generous (a loaded machine, the sanitizers), not a speed test. */
static void
billion_laughs(const char *version, const char *reason)
{
	struct buf b = { 0 };
	struct timespec t0, t1;

	buf_printf(&b, "<?xml version=\"%s\"?>\n<!DOCTYPE lolz [\n"
	    " <!ENTITY lol \"lol\">\n", version);
	for (int i = 1; i <= 9; i++) {
		buf_printf(&b, " <!ENTITY lol%d \"", i);
		for (int k = 0; k < 10; k++) {
			if (i == 1)
				buf_puts(&b, "&lol;");
			else
				buf_printf(&b, "&lol%d;", i - 1);
		}
		buf_puts(&b, "\">\n");
	}
	buf_puts(&b, "]>\n<Autodiscover><Request><EMailAddress>&lol9;"
	    "</EMailAddress></Request></Autodiscover>");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	refused(b.data, reason);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 20);
	buf_free(&b);
}

#define REQ_OPEN "<Autodiscover><Request><EMailAddress>"
#define REQ_CLOSE "</EMailAddress></Request></Autodiscover>"

/* What the XML specification asks of a well-formed document, as far as a
 * request can run into it. */
START_TEST(well_formedness)
{
	static const char *const bad[] = {
		/* The declaration: only at the very start, version 1.x,
		 * pseudo-attributes in order and apart. */
		" <?xml version=\"1.0\"?><Autodiscover/>",
		"<?xml?><Autodiscover/>",
		"<?xml version=\"2.0\"?><Autodiscover/>",
		"<?xml version=\"1.\"?><Autodiscover/>",
		"<?xml version=\"1.0\"encoding=\"utf-8\"?><Autodiscover/>",
		"<?xml version=\"1.0\" encoding=\"utf-8\"standalone=\"yes\"?>"
		    "<Autodiscover/>",
		"<?xml version=\"1.0\" standalone=\"yes\" encoding=\"utf-8\"?>"
		    "<Autodiscover/>",
		"<?xml version=\"1.0\" standalone=\"maybe\"?><Autodiscover/>",
		"<Autodiscover><?xml version=\"1.0\"?></Autodiscover>",
		"<Autodiscover><?XmL x?></Autodiscover>",
		/* Comments without "--" inside, PIs with a name. */
		"<!-- a -- b --><Autodiscover/>",
		"<!-- a ---><Autodiscover/>",
		"<!-- open <Autodiscover/>",
		"<? x?><Autodiscover/>",
		"<?a:b x?><Autodiscover/>",
		"<?pi?x?><Autodiscover/>",
		/* Markup. */
		"<Autodiscover a=\"1\"b=\"2\"/>",
		"<Autodiscover a=1/>",
		"<Autodiscover a=\"<\"/>",
		"<Autodiscover a=\"x/>",
		"<Autodiscover/ >",
		"< Autodiscover/>",
		"<Autodiscover></ Autodiscover>",
		"<Autodiscover></autodiscover>",
		/* End tags that do not match below the root. */
		"<Autodiscover><Request><EMailAddress>a@b.example</EMailAddress>"
		    "</Requests></Autodiscover>",
		"<Autodiscover><Request><EMailAddress>a@b.example</Request>"
		    "</EMailAddress></Autodiscover>",
		"<1a/>",
		"<Autodiscover>]]></Autodiscover>",
		"<Autodiscover><![CDATA[x</Autodiscover>",
		"<Autodiscover><!ELEMENT x ANY></Autodiscover>",
		"<!doctype a><Autodiscover/>",
		"text<Autodiscover/>",
		"<Autodiscover/>text",
		"<Autodiscover/><!-- ok --><?ok?>x",
		/* References. */
		REQ_OPEN "a&#X41;@b.example" REQ_CLOSE,
		REQ_OPEN "a&#x;@b.example" REQ_CLOSE,
		REQ_OPEN "a&#65@b.example" REQ_CLOSE,
		REQ_OPEN "a&#xD800;@b.example" REQ_CLOSE,
		REQ_OPEN "a&#x110000;@b.example" REQ_CLOSE,
		REQ_OPEN "a&#99999999999999999999;@b.example" REQ_CLOSE,
		REQ_OPEN "a&#1;@b.example" REQ_CLOSE,
		REQ_OPEN "a&LT;@b.example" REQ_CLOSE,
		"<Autodiscover a=\"&bogus;\"/>",
		/* Characters: UTF-8 that is overlong, a surrogate, past
		 * U+10FFFF, cut short; control characters. */
		REQ_OPEN "\xc0\xaf@b.example" REQ_CLOSE,
		REQ_OPEN "\xe0\x80\xaf@b.example" REQ_CLOSE,
		REQ_OPEN "\xed\xa0\x80@b.example" REQ_CLOSE,
		REQ_OPEN "\xf4\x90\x80\x80@b.example" REQ_CLOSE,
		REQ_OPEN "\xe2\x82" REQ_CLOSE,
		REQ_OPEN "\x01@b.example" REQ_CLOSE,
		REQ_OPEN "\xef\xbf\xbe@b.example" REQ_CLOSE,
		"<?xml version=\"1.0\" encoding=\"US-ASCII\"?>" REQ_OPEN
		    "j\xc3\xb6rg@b.example" REQ_CLOSE,
		/* Namespaces. */
		"<a:Autodiscover/>",
		"<Autodiscover xmlns:a=\"urn:a\"><Request a:x=\"1\" b:y=\"2\"/>"
		    "</Autodiscover>",
		"<Autodiscover xmlns:a=\"urn:x\" xmlns:b=\"urn:x\" a:k=\"1\" "
		    "b:k=\"2\"/>",
		"<Autodiscover xmlns=\"urn:a\" xmlns=\"urn:b\"/>",
		"<xmlns:Autodiscover/>",
		"<Autodiscover xmlns:xmlns=\"urn:a\"/>",
		"<Autodiscover xmlns:xml=\"urn:a\"/>",
		"<Autodiscover xmlns:a=\"http://www.w3.org/XML/1998/namespace\"/>",
		"<Autodiscover xmlns=\"http://www.w3.org/2000/xmlns/\"/>",
		"<a:b:Autodiscover xmlns:a=\"urn:a\"/>",
		"<:Autodiscover/>",
		"<Autodiscover: xmlns:Autodiscover=\"urn:a\"/>",
		"<a:-x xmlns:a=\"urn:a\"/>",
		/* The prefix goes out of scope with its element. */
		"<Autodiscover><x:a xmlns:x=\"urn:x\"/><x:b/></Autodiscover>",
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		refused(bad[i], "not well-formed XML");
}
END_TEST

START_TEST(well_formed_forms)
{
	/* XML 1.1, standalone, single quotes, a BOM with the declaration,
	 * a PI whose name starts with "xml", space in end tags. */
	expect_ok("\xef\xbb\xbf<?xml version='1.1' encoding='UTF8' "
	    "standalone='no' ?>\n<?xml-stylesheet href=\"a\"?><!---->"
	    "<Autodiscover ><Request\n><EMailAddress>a@b.example</EMailAddress "
	    "></Request\t></Autodiscover>\n<!-- - -->\n", XMLREQ_EMAIL,
	    "a@b.example", XMLREQ_OUTLOOK);
	/* References to every kind of character, and line ends. */
	expect_ok(REQ_OPEN "&#x1F600;&#233;&#xe9;&lt;&gt;&apos;\r\nx" REQ_CLOSE,
	    XMLREQ_EMAIL, "\xf0\x9f\x98\x80\xc3\xa9\xc3\xa9<>'\nx",
	    XMLREQ_OUTLOOK);
	expect_ok(REQ_OPEN "a\rb&#13;c\r" REQ_CLOSE, XMLREQ_EMAIL, "a\nb\rc",
	    XMLREQ_OUTLOOK);
	/* A namespace name written with references and line ends. */
	expect_ok("<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/"
	    "autodiscover/mobilesync&#x2F;requestschema/2006\"><Request>"
	    "<EMailAddress>a@b.example</EMailAddress></Request></Autodiscover>",
	    XMLREQ_EMAIL, "a@b.example", XMLREQ_MOBILESYNC);
	refused("<Autodiscover xmlns=\"\n" EAS_REQ "\"><Request><EMailAddress>"
	    "a@b.example</EMailAddress></Request></Autodiscover>",
	    "not an Autodiscover request");
	/* Prefixes: redeclared inside, the default undeclared, xml:. */
	expect_ok("<a:Autodiscover xmlns:a=\"" OUTLOOK_REQ "\" xml:lang=\"en\">"
	    "<a:Request xmlns:a=\"urn:other\"><EMailAddress>skip@b.example"
	    "</EMailAddress></a:Request><a:Request><a:EMailAddress>a@b.example"
	    "</a:EMailAddress></a:Request></a:Autodiscover>", XMLREQ_EMAIL,
	    "a@b.example", XMLREQ_OUTLOOK);
	refused("<Autodiscover xmlns=\"urn:x\" xmlns:a=\"urn:x\" a:k=\"1\" "
	    "k=\"2\" xmlns:xml=\"http://www.w3.org/XML/1998/namespace\">"
	    "</Autodiscover>", "not an Autodiscover request");
}
END_TEST

START_TEST(encodings)
{
	/* UTF-16 and unknown character sets are not read. */
	refused("<?xml version=\"1.0\" encoding=\"UTF-16\"?><Autodiscover/>",
	    "unsupported encoding");
	refused("<?xml version=\"1.0\" encoding=\"no-such-charset\"?>"
	    "<Autodiscover/>", "unsupported encoding");
	expect_refused("\xfe\xff\0<\0A", 6, "unsupported encoding");
	/* Latin-1 behind a UTF-8 byte order mark contradicts itself. */
	refused("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"latin1\"?>"
	    "<Autodiscover/>", "unsupported encoding");
	expect_ok("<?xml version=\"1.0\" encoding=\"us-ascii\"?>" REQ_OPEN
	    "a@b.example" REQ_CLOSE, XMLREQ_EMAIL, "a@b.example",
	    XMLREQ_OUTLOOK);
	/* Latin-1 names are read too. */
	expect_ok("<?xml version=\"1.0\" encoding=\"latin1\"?><Autodiscover>"
	    "<Request><EMailAddress \xe9=\"\xe9\">\xe9@b.example</EMailAddress>"
	    "</Request></Autodiscover>", XMLREQ_EMAIL, "\xc3\xa9@b.example",
	    XMLREQ_OUTLOOK);
}
END_TEST

START_TEST(reader_limits)
{
	struct buf b = { 0 };

	buf_puts(&b, "<Autodiscover");
	for (int i = 0; i < 32; i++)
		buf_printf(&b, " a%d=\"\"", i);
	buf_puts(&b, "><Request><EMailAddress>a@b.example</EMailAddress>"
	    "</Request></Autodiscover>");
	expect_ok(b.data, XMLREQ_EMAIL, "a@b.example", XMLREQ_OUTLOOK);
	buf_free(&b);
	buf_puts(&b, "<Autodiscover");
	for (int i = 0; i < 33; i++)
		buf_printf(&b, " a%d=\"\"", i);
	buf_puts(&b, "/>");
	refused(b.data, "too many attributes");
	buf_free(&b);
	/* Namespace declarations in scope: their count and their bytes. */
	for (int k = 0; k < 3; k++) {
		buf_puts(&b, k == 0 ? "<Autodiscover" : "<x");
		for (int i = 0; i < (k < 2 ? 16 : 1); i++)
			buf_printf(&b, " xmlns:n%d_%d=\"urn:%d\"", k, i, i);
		buf_puts(&b, ">");
	}
	refused(b.data, "too many namespace declarations");
	buf_free(&b);
	buf_puts(&b, "<Autodiscover xmlns:a=\"");
	for (int i = 0; i < 4097; i++)
		buf_putc(&b, 'u');
	buf_puts(&b, "\"/>");
	refused(b.data, "too many namespace declarations");
	buf_free(&b);
	/* Declarations end with their element: siblings may each use all. */
	buf_puts(&b, "<Autodiscover><Request><EMailAddress>a@b.example"
	    "</EMailAddress>");
	for (int k = 0; k < 3; k++) {
		buf_puts(&b, "<x");
		for (int i = 0; i < 30; i++)
			buf_printf(&b, " xmlns:n%d=\"urn:%0120d\"", i, i);
		buf_puts(&b, "/>");
	}
	buf_puts(&b, "</Request></Autodiscover>");
	expect_ok(b.data, XMLREQ_EMAIL, "a@b.example", XMLREQ_OUTLOOK);
	buf_free(&b);
}
END_TEST

START_TEST(billion_laughs_refused_at_once)
{
	billion_laughs("1.0", "document has a DTD");
}
END_TEST

/* Many threads at once, good and hostile documents mixed. */
static void *
hammer(void *arg)
{
	const char *good = "<Autodiscover><Request><EMailAddress>t@b.example"
	    "</EMailAddress></Request></Autodiscover>";
	const char *bad = "<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
	    "<Autodiscover>&e;</Autodiscover>";
	const char *broken = "<Autodiscover><Request></Autodiscover>";
	long fails = 0;

	(void)arg;
	for (int i = 0; i < 500; i++) {
		struct xmlreq r;
		const char *why;

		if (parse(good, &r, &why) != 0 || strcmp(r.addr, "t@b.example"))
			fails++;
		if (parse(bad, &r, &why) != -1 ||
		    strcmp(why, "document has a DTD") != 0)
			fails++;
		if (parse(broken, &r, &why) != -1 ||
		    strcmp(why, "not well-formed XML") != 0)
			fails++;
	}
	return (void *)fails;
}

START_TEST(threads)
{
	pthread_t t[4];
	void *res;

	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		ck_assert_int_eq(pthread_join(t[i], &res), 0);
		ck_assert_ptr_null(res);
	}
}
END_TEST

/* Found by fuzz_xmlreq when libxml2 read requests: after a first error
 * it parsed on with the SAX callbacks off, the DTD refusal included, and
 * recorded entity declarations in a document of its own, which leaked.
 * The reader stops at the first error, and at any DOCTYPE. */
START_TEST(dtd_after_an_error)
{
	refused("<!DOCTYPE[<!ENTITYx'", "document has a DTD");
	refused("<!DOCTYPE[<!ENTITY x 'y'>]><Autodiscover/>",
	    "document has a DTD");
	refused("<?xml version=\"0.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM "
	    "\"file:///etc/passwd\">]><Autodiscover><Request><EMailAddress>"
	    "&x;</EMailAddress></Request></Autodiscover>",
	    "not well-formed XML");
	refused("<?xml version=\"1.0\" standalone=\"maybe\"?><!DOCTYPE a "
	    "[<!ENTITY x \"y\">]><Autodiscover/>", "not well-formed XML");
	/* Nor is anything expanded once the document is known bad. */
	billion_laughs("0.0", "not well-formed XML");
}
END_TEST

/* Nothing of a refused, stopped or name-flooding parse may reach the
 * next one. */
START_TEST(context_reuse)
{
	static const char *const good = "<Autodiscover xmlns=\"" OUTLOOK_REQ "\">"
	    "<Request><EMailAddress>a@b.example</EMailAddress></Request></Autodiscover>";
	struct buf flood = { 0 };

	buf_puts(&flood, "<Autodiscover xmlns=\"" OUTLOOK_REQ "\"><Request><x:n xmlns:x=\"urn:x\">");
	for (int i = 0; i < 3000; i++)
		buf_printf(&flood, "<x:n%d/>", i);
	buf_puts(&flood, "</x:n><EMailAddress>f@b.example</EMailAddress></Request></Autodiscover>");
	for (int round = 0; round < 3; round++) {
		refused("<!DOCTYPE a [<!ENTITY e \"x\">]><Autodiscover/>",
		    "document has a DTD");
		expect_ok(good, XMLREQ_EMAIL, "a@b.example", XMLREQ_OUTLOOK);
		refused("<Autodiscover><Request><EMailAddress>a@b", "not well-formed XML");
		expect_ok(good, XMLREQ_EMAIL, "a@b.example", XMLREQ_OUTLOOK);
		expect_refused("\xff\xfe<\0A\0", 6, "unsupported encoding");
		expect_ok(good, XMLREQ_EMAIL, "a@b.example", XMLREQ_OUTLOOK);
		expect_ok(flood.data, XMLREQ_EMAIL, "f@b.example", XMLREQ_OUTLOOK);
		expect_ok(good, XMLREQ_EMAIL, "a@b.example", XMLREQ_OUTLOOK);
	}
	/* Many more parses than one context serves. */
	for (int i = 0; i < 5000; i++) {
		struct xmlreq r;
		const char *why;

		ck_assert_int_eq(parse(good, &r, &why), 0);
	}
	expect_ok(good, XMLREQ_EMAIL, "a@b.example", XMLREQ_OUTLOOK);
	buf_free(&flood);
}
END_TEST

static Suite *
xmlreq_suite(void)
{
	Suite *s = suite_create("xmlreq");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, capture_stderr, check_stderr_empty);
	tcase_add_test(tc, outlook_request);
	tcase_add_test(tc, mobilesync_request);
	tcase_add_test(tc, any_element_order);
	tcase_add_test(tc, legacy_dn);
	tcase_add_test(tc, namespaces_as_clients_send_them);
	tcase_add_test(tc, schemas);
	tcase_add_test(tc, text_forms);
	tcase_add_test(tc, missing_parts);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, structure_refused);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, xxe_refused);
	tcase_add_test(tc, billion_laughs_refused_at_once);
	tcase_add_test(tc, dtd_after_an_error);
	tcase_add_test(tc, threads);
	tcase_add_test(tc, well_formedness);
	tcase_add_test(tc, well_formed_forms);
	tcase_add_test(tc, encodings);
	tcase_add_test(tc, reader_limits);
	tcase_add_test(tc, context_reuse);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(xmlreq_suite)

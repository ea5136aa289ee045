#include "config.h"

#include <string.h>

#include "email.h"
#include "util.h"
#include "unit.h"

static const char *
parse_err(const char *s)
{
	struct email e;
	const char *why = NULL;

	ck_assert_int_eq(email_parse(s, strlen(s), &e, &why), -1);
	ck_assert_ptr_nonnull(why);
	return why;
}

START_TEST(valid_addresses)
{
	struct email e;
	const char *why;

	ck_assert_int_eq(email_parse("Alice.B+tag@Example.COM", 23, &e, &why), 0);
	ck_assert_str_eq(e.addr, "Alice.B+tag@example.com");
	ck_assert_str_eq(e.domain, "example.com");
	ck_assert_uint_eq(e.local_len, 11);
	ck_assert_int_eq(email_parse("a@example.com.", 14, &e, &why), 0);
	ck_assert_str_eq(e.domain, "example.com");
	/* UTF-8 local part and an IDN domain become local@A-label. */
	const char *u = "j\xc3\xb6rg@B\xc3\xbc" "cher.example";
	ck_assert_int_eq(email_parse(u, strlen(u), &e, &why), 0);
	ck_assert_str_eq(e.domain, "xn--bcher-kva.example");
	ck_assert_str_eq(e.addr, "j\xc3\xb6rg@xn--bcher-kva.example");
}
END_TEST

START_TEST(query_addresses)
{
	struct email e;
	const char *why;

	/* An unencoded '+' arrives as a space after form decoding. */
	ck_assert_int_eq(email_parse_query("alice tag@example.com", 21, &e, &why), 0);
	ck_assert_str_eq(e.addr, "alice+tag@example.com");
	ck_assert_int_eq(email_parse_query("alice+tag@example.com", 21, &e, &why), 0);
	ck_assert_str_eq(e.addr, "alice+tag@example.com");
	/* Nothing else is relaxed. */
	ck_assert_int_eq(email_parse_query("a<b@example.com", 15, &e, &why), -1);
	ck_assert_str_eq(why, "invalid character in local part");
	ck_assert_int_eq(email_parse_query("a@exa mple.com", 14, &e, &why), -1);
	ck_assert_int_eq(email_parse("alice tag@example.com", 21, &e, &why), -1);
}
END_TEST

START_TEST(invalid_addresses)
{
	char big[300];

	ck_assert_str_eq(parse_err(""), "empty address");
	ck_assert_str_eq(parse_err("alice"), "address has no '@'");
	/* Noncharacters (a profile would not parse), C1 controls and the
	 * bidirectional formatting characters (they reorder what is shown). */
	static const char *const unsafe[] = {
		"a\xef\xbf\xbe@example.com", "a\xef\xbf\xbf@example.com",
		"a\xef\xb7\x90@example.com", "a\xf0\x9f\xbf\xbf@example.com",
		"a\xc2\x85@example.com", "a\xc2\x9b@example.com",
		"a\xe2\x80\xaa@example.com", "a\xe2\x80\xae@example.com",
		"a\xe2\x81\xa6@example.com", "a\xe2\x81\xa9@example.com",
		"a\xe2\x80\x8f@example.com", "a\xe2\x80\xa8@example.com",
	};
	for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++)
		ck_assert_str_eq(parse_err(unsafe[i]), "control, noncharacter "
		    "or bidirectional formatting character in local part");
	ck_assert_str_eq(parse_err("a@b@c.com"), "address has more than one '@'");
	ck_assert_str_eq(parse_err("@c.com"), "empty local part");
	ck_assert_str_eq(parse_err("a@"), "empty domain");
	ck_assert_str_eq(parse_err("a b@c.com"), "invalid character in local part");
	ck_assert_str_eq(parse_err("<a>@c.com"), "invalid character in local part");
	ck_assert_str_eq(parse_err("\"a\"@c.com"), "invalid character in local part");
	ck_assert_str_eq(parse_err(".a@c.com"), "local part starts or ends with '.'");
	ck_assert_str_eq(parse_err("a@c_d.com"), "invalid character in domain");
	ck_assert_str_eq(parse_err("a@-c.com"), "domain label starts or ends with '-'");
	ck_assert_str_eq(parse_err("a@c..com"), "empty label in domain");
	ck_assert_str_eq(parse_err("\xff@c.com"), "local part is not valid UTF-8");
	ck_assert_str_eq(parse_err("\xc0\xaf@c.com"), "local part is not valid UTF-8");
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	ck_assert_str_eq(parse_err(big), "address longer than 254 octets");
	memset(big, 'a', 65);
	strcpy(big + 65, "@c.com");
	ck_assert_str_eq(parse_err(big), "local part longer than 64 octets");
	strcpy(big, "a@");
	memset(big + 2, 'b', 64);
	strcpy(big + 66, ".com");
	ck_assert_str_eq(parse_err(big), "domain label longer than 63 octets");

	struct email e;
	const char *why;
	ck_assert_int_eq(email_parse("a\0b@c.com", 9, &e, &why), -1);
	ck_assert_str_eq(why, "NUL byte in address");
}
END_TEST

START_TEST(domains)
{
	char out[DOMAIN_MAX + 1];
	const char *why;

	ck_assert_int_eq(domain_normalize("ExAmple.ORG.", 12, out, sizeof(out), &why), 0);
	ck_assert_str_eq(out, "example.org");
	ck_assert_int_eq(domain_normalize("a\tb.org", 7, out, sizeof(out), &why), -1);
	ck_assert_str_eq(why, "control character in domain");
	ck_assert_int_eq(domain_normalize(".", 1, out, sizeof(out), &why), -1);
	ck_assert(domain_is_ipv4("192.168.1.20"));
	ck_assert(!domain_is_ipv4("192.168.1"));
	ck_assert(!domain_is_ipv4("1.2.3.4a"));
	ck_assert(!domain_is_ipv4("example.com"));
}
END_TEST

START_TEST(hosts)
{
	char out[DOMAIN_MAX + 1];

	ck_assert_int_eq(host_to_domain("AutoConfig.Example.com:8080", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "autoconfig.example.com");
	ck_assert_str_eq(domain_strip_service_label(out), "example.com");
	ck_assert_int_eq(host_to_domain("example.com.", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "example.com");
	ck_assert_ptr_null(domain_strip_service_label(out));
	ck_assert_int_eq(host_to_domain("autodiscover.x.org", out, sizeof(out)), 0);
	ck_assert_str_eq(domain_strip_service_label(out), "x.org");
	ck_assert_int_eq(host_to_domain("ua-auto-config.x.org", out, sizeof(out)), 0);
	ck_assert_str_eq(domain_strip_service_label(out), "x.org");
	ck_assert_ptr_null(domain_strip_service_label("autoconfig."));
	ck_assert_int_eq(host_to_domain("[::1]:80", out, sizeof(out)), -1);
	ck_assert_int_eq(host_to_domain("127.0.0.1:80", out, sizeof(out)), -1);
	ck_assert_int_eq(host_to_domain("example.com:", out, sizeof(out)), -1);
	ck_assert_int_eq(host_to_domain("example.com:8x", out, sizeof(out)), -1);
	ck_assert_int_eq(host_to_domain("", out, sizeof(out)), -1);
	ck_assert_int_eq(host_to_domain(NULL, out, sizeof(out)), -1);
	ck_assert_int_eq(host_to_domain("a b", out, sizeof(out)), -1);
}
END_TEST

START_TEST(expand_placeholders)
{
	struct email em;
	struct buf b = { 0 };
	const char *why;

	ck_assert_int_eq(email_parse("Al.ice@Example.COM", 18, &em, &why), 0);
	ck_assert_int_eq(email_expand("%EMAILLOCALPART%+x@%EMAILDOMAIN% "
	    "<%EMAILADDRESS%> 100%", &em, &b), 0);
	ck_assert_str_eq(b.data, "Al.ice+x@example.com <Al.ice@example.com> 100%");
	b.len = 0;
	ck_assert_int_eq(email_expand("%REALNAME%", &em, &b), -1);
	b.len = 0;
	ck_assert_int_eq(email_expand("plain", &em, &b), 0);
	ck_assert_int_eq(b.len, 5);
	buf_free(&b);
}
END_TEST

START_TEST(printable_text)
{
	ck_assert(text_printable("j\xc3\xbcrgen <&>'\"@x.org", 19));
	ck_assert(text_printable("", 0));
	ck_assert(!text_printable("a\x1b[31m", 7));
	ck_assert(!text_printable("a\x7f", 2));
	ck_assert(!text_printable("a\nb", 3));
	ck_assert(!text_printable("\xff\xfe", 2));
	ck_assert(!text_printable("\xc0\xbc", 2));		/* overlong '<' */
	ck_assert(!text_printable("\xed\xa0\x80", 3));	/* surrogate */
	ck_assert(!text_printable("\xc3", 1));			/* truncated */
	ck_assert(!text_printable("a\0b", 3));
}
END_TEST

static Suite *
email_suite(void)
{
	Suite *s = suite_create("email");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, valid_addresses);
	tcase_add_test(tc, query_addresses);
	tcase_add_test(tc, invalid_addresses);
	tcase_add_test(tc, domains);
	tcase_add_test(tc, hosts);
	tcase_add_test(tc, expand_placeholders);
	tcase_add_test(tc, printable_text);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(email_suite)

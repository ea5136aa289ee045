/* The access log line and the metrics exposition. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accesslog.h"
#include "metrics.h"
#include "unit.h"

static char line[ALOG_LINE_MAX];

static const char *
fmt(const struct alog_entry *e)
{
	size_t n = alog_format(e, line, sizeof(line));

	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(line[n - 1], '\n');
	line[n - 1] = '\0';
	ck_assert_ptr_null(strchr(line, '\n'));
	return line;
}

static struct sockaddr_in peer4;
static struct sockaddr_in6 peer6;

static struct alog_entry
entry(void)
{
	struct alog_entry e = {
		.when = 1795306078,	/* 2026-11-22T00:07:58Z */
		.peer = (struct sockaddr *)&peer4,
		.method = "GET",
		.path = "/mail/config-v1.1.xml",
		.email = "alice@example.com",
		.status = 200,
		.bytes = 486,
		.usec = 9,
		.endpoint = "autoconfig",
		.user_agent = "Thunderbird/128.0",
	};

	peer4.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &peer4.sin_addr);
	return e;
}

START_TEST(access_line)
{
	struct alog_entry e = entry();

	ck_assert_str_eq(fmt(&e), "2026-11-22T00:07:58Z 192.0.2.7 GET "
	    "/mail/config-v1.1.xml 200 486 9 autoconfig example.com "
	    "\"Thunderbird/128.0\" - - -");
	e.full_addresses = true;
	ck_assert_str_eq(fmt(&e), "2026-11-22T00:07:58Z 192.0.2.7 GET "
	    "/mail/config-v1.1.xml 200 486 9 autoconfig alice@example.com "
	    "\"Thunderbird/128.0\" - - -");
	peer6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &peer6.sin6_addr);
	e.peer = (struct sockaddr *)&peer6;
	e.email = NULL;
	e.user_agent = NULL;
	e.full_addresses = false;
	ck_assert_str_eq(fmt(&e), "2026-11-22T00:07:58Z 2001:db8::1 GET "
	    "/mail/config-v1.1.xml 200 486 9 autoconfig - \"\" - - -");
	inet_pton(AF_INET6, "::ffff:192.0.2.9", &peer6.sin6_addr);
	ck_assert_ptr_nonnull(strstr(fmt(&e), "Z 192.0.2.9 GET "));
}
END_TEST

START_TEST(access_addresses_in_path)
{
	struct alog_entry e = entry();

	e.path = "/autodiscover/autodiscover.json/v1.0/bob@example.org";
	e.email = "not-an-address";
	ck_assert_str_eq(fmt(&e), "2026-11-22T00:07:58Z 192.0.2.7 GET "
	    "/autodiscover/autodiscover.json/v1.0/*@example.org 200 486 9 "
	    "autoconfig - \"Thunderbird/128.0\" - - -");
	e.path = "/@x/a@b@c/d";
	ck_assert_str_eq(fmt(&e), "2026-11-22T00:07:58Z 192.0.2.7 GET "
	    "/*@x/*@c/d 200 486 9 autoconfig - \"Thunderbird/128.0\" - - -");
	/* The target as received: an encoded '/' stays in its segment, an
	 * encoded '@' counts, the query goes. */
	e.path = "/autodiscover/autodiscover.json/v1.0/se%2Fcret@example.org"
	    "?Protocol=AutodiscoverV1";
	ck_assert_ptr_nonnull(strstr(fmt(&e),
	    " /autodiscover/autodiscover.json/v1.0/*@example.org 200 "));
	e.path = "/AutoDiscover/AutoDiscover.json/v1.0/se/cret%40example.org";
	ck_assert_ptr_nonnull(strstr(fmt(&e),
	    " /AutoDiscover/AutoDiscover.json/v1.0/*@example.org 200 "));
	e.path = "/x/se%2Fcret%40example.org/y?emailaddress=secret@example.org";
	ck_assert_ptr_nonnull(strstr(fmt(&e), " /x/*@example.org/y 200 "));
	ck_assert_ptr_null(strstr(fmt(&e), "secret"));
	ck_assert_ptr_null(strstr(fmt(&e), "cret"));
	e.full_addresses = true;
	e.path = "/v1.0/bob@example.org";
	ck_assert_ptr_nonnull(strstr(fmt(&e), " /v1.0/bob@example.org "));
}
END_TEST

START_TEST(access_escapes)
{
	struct alog_entry e = entry();

	e.method = "G T";
	e.path = "/a b\n\"c\\";
	e.user_agent = "evil\" 200 1\n2026 forged\x01\xc3\xa9";
	ck_assert_str_eq(fmt(&e), "2026-11-22T00:07:58Z 192.0.2.7 G\\x20T "
	    "/a\\x20b\\x0a\\x22c\\x5c 200 486 9 autoconfig example.com "
	    "\"evil\\x22 200 1\\x0a2026 forged\\x01\\xc3\\xa9\" - - -");
}
END_TEST

START_TEST(access_forwarded_for)
{
	struct alog_entry e = entry();

	e.forwarded_for = "203.0.113.9, 198.51.100.2";
	ck_assert_ptr_nonnull(strstr(fmt(&e), "Z 198.51.100.2 GET "));
	e.forwarded_for = "2001:db8::7";
	ck_assert_ptr_nonnull(strstr(fmt(&e), "Z 2001:db8::7 GET "));
	e.forwarded_for = "x\ny";
	ck_assert_ptr_nonnull(strstr(fmt(&e), "Z x\\x0ay GET "));
}
END_TEST

START_TEST(access_long_fields)
{
	struct alog_entry e = entry();
	static char big[8192];

	memset(big, '\x01', sizeof(big) - 1);
	e.path = big;
	e.user_agent = big;
	size_t n = alog_format(&e, line, sizeof(line));
	ck_assert_uint_le(n, sizeof(line));
	ck_assert_int_eq(line[n - 1], '\n');
	ck_assert_ptr_nonnull(strstr(line, "...\""));
}
END_TEST

/* After the user agent: the Host as lookups see it, the client family,
 * the provider; a request without an address logs the domain its Host
 * named where an address's domain goes. */
START_TEST(access_client_fields)
{
	struct alog_entry e = entry();

	e.host = "AutoConfig.Example.COM.:8443";
	e.client = "thunderbird";
	e.provider = "example.com";
	ck_assert_str_eq(fmt(&e), "2026-11-22T00:07:58Z 192.0.2.7 GET "
	    "/mail/config-v1.1.xml 200 486 9 autoconfig example.com "
	    "\"Thunderbird/128.0\" autoconfig.example.com:8443 thunderbird "
	    "example.com");
	e.email = NULL;
	e.domain = "example.org";
	e.host = "autoconfig.b\xc3\xbc" "cher.example";
	e.client = "thunderbird-android";
	e.provider = "p 1";
	ck_assert_str_eq(fmt(&e), "2026-11-22T00:07:58Z 192.0.2.7 GET "
	    "/mail/config-v1.1.xml 200 486 9 autoconfig example.org "
	    "\"Thunderbird/128.0\" autoconfig.xn--bcher-kva.example "
	    "thunderbird-android p\\x201");
	/* An address wins over the Host's domain. */
	e.email = "alice@example.net";
	ck_assert_ptr_nonnull(strstr(fmt(&e), " autoconfig example.net \""));
	/* Hosts that are none: not logged, as they are no name. */
	static const char *const bad[] = { "a b", "x\ny", "[::1", "h:99999",
	    "h:", "", "-x.example", "a..b" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		e.host = bad[i];
		ck_assert_msg(strstr(fmt(&e), "\" - thunderbird-android ") !=
		    NULL, "%s", line);
	}
	e.host = "[2001:DB8::1]:80";
	ck_assert_ptr_nonnull(strstr(fmt(&e), "\" [2001:db8::1]:80 "));
	e.host = "192.0.2.1";
	ck_assert_ptr_nonnull(strstr(fmt(&e), "\" 192.0.2.1 "));
}
END_TEST

START_TEST(metrics_text)
{
	struct buf b = { 0 };

	metrics_reload(true, 1);
	metrics_request("autoconfig", 200, 40);
	metrics_request("autoconfig", 200, 3000);
	metrics_request("autoconfig", 404, 2000000);
	metrics_request("other", 418, 10);
	metrics_connections(2);
	metrics_connections(-1);
	metrics_reload(false, 1);
	metrics_reload(true, 2);
	metrics_render(&b);
	ck_assert_ptr_nonnull(strstr(b.data,
	    "autoconfd_requests_total{endpoint=\"autoconfig\",code=\"200\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "autoconfd_requests_total{endpoint=\"autoconfig\",code=\"404\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "autoconfd_requests_total{endpoint=\"other\",code=\"other\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "_bucket{endpoint=\"autoconfig\",le=\"5e-05\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "_bucket{endpoint=\"autoconfig\",le=\"0.005\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "_bucket{endpoint=\"autoconfig\",le=\"1\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "_bucket{endpoint=\"autoconfig\",le=\"+Inf\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "autoconfd_request_duration_seconds_sum{endpoint=\"autoconfig\"} 2.003040\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "autoconfd_request_duration_seconds_count{endpoint=\"autoconfig\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "autoconfd_open_connections 1\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "autoconfd_config_generation 2\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "autoconfd_config_reloads_total 1\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "autoconfd_config_reload_failures_total 1\n"));
	buf_free(&b);
}
END_TEST

static void *
count_requests(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10000; i++) {
		metrics_request("pacc", 200, 100);
		metrics_client(CLIENT_PACC, OUTCOME_ANSWERED);
	}
	return NULL;
}

/* Every thread counts in its own shard; /metrics adds them all up. */
START_TEST(metrics_threads)
{
	pthread_t t[4];
	struct buf b = { 0 };

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, count_requests,
		    NULL), 0);
	metrics_request("pacc", 404, 100);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	metrics_render(&b);
	ck_assert_ptr_nonnull(strstr(b.data,
	    "autoconfd_requests_total{endpoint=\"pacc\",code=\"200\"} 40000\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "autoconfd_requests_total{endpoint=\"pacc\",code=\"404\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "_bucket{endpoint=\"pacc\",le=\"5e-05\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "_bucket{endpoint=\"pacc\",le=\"0.0001\"} 40001\n"));
	ck_assert_ptr_nonnull(strstr(b.data,
	    "autoconfd_request_duration_seconds_sum{endpoint=\"pacc\"} 4.000100\n"));
	ck_assert_ptr_nonnull(strstr(b.data, "autoconfd_client_requests_total"
	    "{client=\"pacc\",outcome=\"answered\"} 40000\n"));
	buf_free(&b);
}
END_TEST

/* Every client with every outcome, 0 until counted; requests of no
 * client and outcomes not set are not counted. */
START_TEST(metrics_clients)
{
	static const char *const clients[] = { "thunderbird",
	    "thunderbird-android", "outlook", "apple", "evolution", "pacc",
	    "activesync", "other" };
	static const char *const outcomes[] = { "answered", "unknown_domain",
	    "bad_address", "missing_address", "not_found" };
	struct buf b = { 0 };
	char want[160];
	const char *p;
	size_t n = 0;

	metrics_client(CLIENT_OUTLOOK, OUTCOME_NOT_FOUND);
	metrics_client(CLIENT_OUTLOOK, OUTCOME_NOT_FOUND);
	metrics_client(CLIENT_EVOLUTION, OUTCOME_UNKNOWN_DOMAIN);
	metrics_client(CLIENT_NONE, OUTCOME_ANSWERED);
	metrics_client(CLIENT_APPLE, OUTCOME_UNSET);
	metrics_client(CLIENT_COUNT, OUTCOME_ANSWERED);
	metrics_client(CLIENT_APPLE, OUTCOME_COUNT);
	metrics_render(&b);
	ck_assert_ptr_nonnull(strstr(b.data, "# TYPE "
	    "autoconfd_client_requests_total counter\n"));
	for (size_t i = 0; i < ARRAY_LEN(clients); i++)
		for (size_t k = 0; k < ARRAY_LEN(outcomes); k++) {
			unsigned int v = 0;

			if (strcmp(clients[i], "outlook") == 0 &&
			    strcmp(outcomes[k], "not_found") == 0)
				v = 2;
			if (strcmp(clients[i], "evolution") == 0 &&
			    strcmp(outcomes[k], "unknown_domain") == 0)
				v = 1;
			snprintf(want, sizeof(want),
			    "\nautoconfd_client_requests_total{client=\"%s\","
			    "outcome=\"%s\"} %u\n", clients[i], outcomes[k], v);
			ck_assert_msg(strstr(b.data, want) != NULL, "%s", want);
		}
	for (p = b.data; (p = strstr(p, "\nautoconfd_client_requests_total{"))
	    != NULL; p++)
		n++;
	ck_assert_uint_eq(n, ARRAY_LEN(clients) * ARRAY_LEN(outcomes));
	buf_free(&b);
}
END_TEST

static void
same_as_libc(time_t t)
{
	struct tm mine, *libc;

	/* glibc's gmtime() does not go through gmtime_r(): it is the C
	 * library's own answer, where gmtime_r() is src/gmtime.c's. */
	ck_assert_ptr_eq(gmtime_r(&t, &mine), &mine);
	libc = gmtime(&t);
	ck_assert_ptr_nonnull(libc);
	ck_assert_msg(mine.tm_year == libc->tm_year &&
	    mine.tm_mon == libc->tm_mon && mine.tm_mday == libc->tm_mday &&
	    mine.tm_hour == libc->tm_hour && mine.tm_min == libc->tm_min &&
	    mine.tm_sec == libc->tm_sec && mine.tm_wday == libc->tm_wday &&
	    mine.tm_yday == libc->tm_yday && mine.tm_isdst == 0 &&
	    mine.tm_gmtoff == 0, "gmtime_r(%lld) differs", (long long)t);
}

START_TEST(gmtime_lock_free)
{
	static const time_t fixed[] = {
		0, -1, 86399, 86400, -86400, 951782400 /* 2000-02-29 */,
		951868800 /* 2000-03-01 */, 4107542400 /* 2100-03-01 */,
		1795305600 /* 2026-11-22 */, 253402300799 /* 9999-12-31 */,
		-2208988800 /* 1900-01-01 */, -62135596800 /* 0001-01-01 */,
		-62167219200 /* 0000-01-01 */, -62198755200 /* -0001-01-01 */,
		67768036191676799LL,	/* the last second tm_year holds */
	};
	struct tm tm;
	time_t t;

	for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
		same_as_libc(fixed[i]);
	/* Every day from 1600 to 2400, at a second that moves. */
	for (t = -11676096000LL; t < 13569465600LL; t += 86400 + 7)
		same_as_libc(t);
	/* Out of tm_year's range. */
	t = 67768036191676800LL;
	errno = 0;
	ck_assert_ptr_null(gmtime_r(&t, &tm));
	ck_assert_int_eq(errno, EOVERFLOW);
}
END_TEST

static Suite *
ops_suite(void)
{
	Suite *s = suite_create("ops");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, access_line);
	tcase_add_test(tc, access_addresses_in_path);
	tcase_add_test(tc, access_escapes);
	tcase_add_test(tc, access_forwarded_for);
	tcase_add_test(tc, access_long_fields);
	tcase_add_test(tc, access_client_fields);
	tcase_add_test(tc, metrics_text);
	tcase_add_test(tc, metrics_threads);
	tcase_add_test(tc, metrics_clients);
	tcase_add_test(tc, gmtime_lock_free);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(ops_suite)

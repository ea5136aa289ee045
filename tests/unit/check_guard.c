/* The request framing guard (src/guard.c): each message it must refuse,
 * whole and a byte at a time, and the ones it must let through. */
#include "config.h"

#include <string.h>

#include "guard.h"
#include "unit.h"

#define H "Host: x\r\n"

/* Feeds text whole, or a byte at a time; returns the guard. */
static struct guard
fed_n(const char *text, size_t n, bool bytewise)
{
	struct guard g;

	guard_init(&g);
	if (!bytewise)
		guard_feed(&g, (const unsigned char *)text, n);
	else
		for (size_t i = 0; i < n; i++)
			guard_feed(&g, (const unsigned char *)text + i, 1);
	return g;
}

/* Literals may hold a NUL: their length is their size. */
#define fed(lit, bytewise) fed_n((lit), sizeof(lit) - 1, (bytewise))
#define refused(lit, ...) refused_n((lit), sizeof(lit) - 1, __VA_ARGS__)
#define accepted(lit, n) accepted_n((lit), sizeof(lit) - 1, (n))

/* text's request number `request` is refused with status. */
static void
refused_n(const char *text, size_t len, unsigned int status,
    uint32_t request, const char *why)
{
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct guard g = fed_n(text, len, bytewise);
		const char *reason = NULL;

		ck_assert_msg(g.status == status, "%s: status %u, want %u (%s)",
		    text, g.status, status, g.reason ? g.reason : "-");
		ck_assert_uint_eq(g.bad_request, request);
		ck_assert_uint_eq(guard_verdict(&g, request, &reason), status);
		ck_assert_str_eq(reason, why);
		/* Requests before it are answered. */
		if (request > 0)
			ck_assert_uint_eq(guard_verdict(&g, request - 1,
			    &reason), 0);
		ck_assert_uint_eq(guard_verdict(&g, request + 1, &reason),
		    status);
	}
}

static void
accepted_n(const char *text, size_t len, uint32_t requests)
{
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct guard g = fed_n(text, len, bytewise);
		const char *reason;

		ck_assert_msg(g.status == 0, "%s: refused: %s", text, g.reason);
		ck_assert_uint_eq(g.request, requests);
		ck_assert_uint_eq(guard_verdict(&g, requests, &reason), 0);
	}
}

START_TEST(well_formed)
{
	accepted("GET / HTTP/1.1\r\n" H "\r\n", 1);
	accepted("GET / HTTP/1.0\r\n\r\n", 1);	/* 1.0 needs no Host */
	accepted("GET /a?b=%00 HTTP/1.1\r\n" H "\r\n", 1);
	accepted("\r\nGET / HTTP/1.1\r\n" H "\r\n", 1);
	accepted("GET / HTTP/1.1\r\nhOsT:x\r\nX-Empty:\r\n"
	    "User-Agent: a\x7f\x01b \t\r\n\r\n", 1);
	/* Pipelined, with a body skipped by its length. */
	accepted("POST /p HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\n"
	    "GET /xGET / HTTP/1.1\r\n" H "Content-Length:  0 \r\n\r\n", 2);
	accepted("GET / HTTP/1.1\r\n" H "Transfer-Encoding: Chunked \r\n\r\n"
	    "anything after a chunked head is libmicrohttpd's", 0);
}
END_TEST

START_TEST(chunked_ends_what_the_guard_follows)
{
	struct guard g = fed("GET / HTTP/1.1\r\n" H "\r\n"
	    "POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n"
	    "5\r\nGET /\r\n0\r\n\r\nGARBAGE", false);

	ck_assert_uint_eq(g.status, 0);
	ck_assert(!guard_must_close(&g, 0));
	ck_assert(guard_must_close(&g, 1));
}
END_TEST

START_TEST(framing_refused)
{
	refused("POST / HTTP/1.1\r\n" H "Transfer-Encoding : chunked\r\n\r\n",
	    400, 0, "white space before the colon of a header");
	refused("GET / HTTP/1.1\r\n" H "X-A: a\r\n b\r\n\r\n", 400, 0,
	    "obsolete line folding (obs-fold)");
	refused("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: gzip\r\n\r\n", 400, 0,
	    "more than one Transfer-Encoding header");
	refused("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip\r\n\r\n",
	    400, 0, "the last transfer coding is not chunked");
	refused("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, gzip\r\n"
	    "\r\n", 400, 0, "the last transfer coding is not chunked");
	refused("POST / HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked\r\n"
	    "\r\n", 501, 0, "transfer coding not implemented");
	refused("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, chunked"
	    "\r\n\r\n", 501, 0, "transfer coding not implemented");
	refused("POST / HTTP/1.1\r\n" H "Transfer-Encoding: ,chunked\r\n\r\n",
	    400, 0, "malformed Transfer-Encoding");
	refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
	    0, "Transfer-Encoding in an HTTP/1.0 request");
	refused("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n", 400, 0,
	    "Transfer-Encoding together with Content-Length");
	refused("POST / HTTP/1.1\r\n" H "Content-Length: 1\0" "2\r\n\r\n",
	    400, 0, "NUL in a header field");
	refused("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\n"
	    "Content-Length: 5\r\n\r\n", 400, 0,
	    "more than one Content-Length header");
	refused("POST / HTTP/1.1\r\n" H "Content-Length: 5 5\r\n\r\n", 400, 0,
	    "malformed Content-Length");
	refused("POST / HTTP/1.1\r\n" H "Content-Length: +5\r\n\r\n", 400, 0,
	    "malformed Content-Length");
	refused("POST / HTTP/1.1\r\n" H "Content-Length:\r\n\r\n", 400, 0,
	    "malformed Content-Length");
	refused("POST / HTTP/1.1\r\n" H "Content-Length: 1234567890123456789"
	    "\r\n\r\n", 400, 0, "malformed Content-Length");
	refused("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400, 0,
	    "more than one Host header");
	refused("GET / HTTP/1.1\r\n\r\n", 400, 0,
	    "HTTP/1.1 request without Host");
	refused("GET / HTTP/1.1\n" H "\n", 400, 0, "malformed request line");
	refused("GET / HTTP/1.1\r\n" H "X: a\rb\r\n\r\n", 400, 0, "bare CR");
	refused("GET / HTTP/1.1\r\n" H "X: a\nb\r\n\r\n", 400, 0, "bare LF");
	refused("GET /a%00b HTTP/1.1\r\n" H "\r\n", 400, 0,
	    "%00 in the request target");
	refused("GET /a b HTTP/1.1\r\n" H "\r\n", 400, 0,
	    "malformed request line");
	refused("GET / HTTP/2.0\r\n" H "\r\n", 505, 0,
	    "HTTP version not supported");
	refused("GET / HTTP/1.2\r\n" H "\r\n", 505, 0,
	    "HTTP version not supported");
	refused("\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n", 400, 0,
	    "empty lines before the request");
	refused("GET / HTTP/1.1\r\n" H "Bad Header\r\n\r\n", 400, 0,
	    "white space before the colon of a header");
	refused("GET / HTTP/1.1\r\n" H "(x): y\r\n\r\n", 400, 0,
	    "malformed header field");
	refused("\x00GET / HTTP/1.1\r\n" H "\r\n", 400, 0,
	    "malformed request line");
}
END_TEST

START_TEST(later_requests)
{
	/* The smuggled request behind a body, and a bad third request. */
	refused("POST / HTTP/1.1\r\n" H "Content-Length: 3\r\n\r\nabc"
	    "GET / HTTP/1.1\r\n" H H "\r\n", 400, 1,
	    "more than one Host header");
	refused("GET / HTTP/1.1\r\n" H "\r\nGET / HTTP/1.1\r\n" H "\r\n"
	    "GET / HTTP/1.1\r\n" H "X: a\r\n\tb\r\n\r\n", 400, 2,
	    "obsolete line folding (obs-fold)");
}
END_TEST

START_TEST(started)
{
	struct guard g = fed("GET / HTTP/1.1\r\nHo", false);

	ck_assert(guard_started(&g));
	g = fed("GET / HTTP/1.1\r\n" H "\r\n", false);
	ck_assert(!guard_started(&g));
	g = fed("POST / HTTP/1.1\r\n" H "Content-Length: 3\r\n\r\na", false);
	ck_assert(guard_started(&g));
}
END_TEST

static Suite *
guard_suite(void)
{
	Suite *s = suite_create("guard");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, well_formed);
	tcase_add_test(tc, chunked_ends_what_the_guard_follows);
	tcase_add_test(tc, framing_refused);
	tcase_add_test(tc, later_requests);
	tcase_add_test(tc, started);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(guard_suite)

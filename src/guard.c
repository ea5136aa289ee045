#include "config.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "guard.h"

enum {
	G_START,		/* before a request line */
	G_START_LF,		/* an empty line's LF */
	G_METHOD,
	G_TARGET,
	G_VERSION,
	G_REQLINE_LF,
	G_FIELD_START,
	G_NAME,
	G_OWS,			/* after the colon */
	G_VALUE,
	G_FIELD_LF,
	G_HEAD_END_LF,
	G_BODY,
	G_DONE,			/* refused, or past a chunked body */
};

/* The fields the guard reads the value of. */
enum { H_OTHER, H_HOST, H_CL, H_TE };

/* Byte classes: a token character (RFC 9110 5.6.2), and a byte that may
 * stand in a field value. That is VCHAR, SP, HTAB and obs-text; RFC 9110
 * 5.5 lets a recipient keep the other controls, which frame nothing, so
 * only NUL, CR and LF are refused there (the access log escapes the
 * rest). */
#define C_TCHAR 1
#define C_VALUE 2

static const unsigned char cls[256] = {
	[0x01] = 2, [0x02] = 2, [0x03] = 2, [0x04] = 2, [0x05] = 2,
	[0x06] = 2, [0x07] = 2, [0x08] = 2, ['\t'] = 2, [0x0b] = 2,
	[0x0c] = 2, [0x0e] = 2, [0x0f] = 2, [0x10] = 2, [0x11] = 2,
	[0x12] = 2, [0x13] = 2, [0x14] = 2, [0x15] = 2, [0x16] = 2,
	[0x17] = 2, [0x18] = 2, [0x19] = 2, [0x1a] = 2, [0x1b] = 2,
	[0x1c] = 2, [0x1d] = 2, [0x1e] = 2, [0x1f] = 2, [' '] = 2,
	[0x7f] = 2,
	['!'] = 3, ['"'] = 2, ['#'] = 3, ['$'] = 3, ['%'] = 3, ['&'] = 3,
	['\''] = 3, ['('] = 2, [')'] = 2, ['*'] = 3, ['+'] = 3, [','] = 2,
	['-'] = 3, ['.'] = 3, ['/'] = 2,
	['0'] = 3, ['1'] = 3, ['2'] = 3, ['3'] = 3, ['4'] = 3, ['5'] = 3,
	['6'] = 3, ['7'] = 3, ['8'] = 3, ['9'] = 3,
	[':'] = 2, [';'] = 2, ['<'] = 2, ['='] = 2, ['>'] = 2, ['?'] = 2,
	['@'] = 2,
	['A'] = 3, ['B'] = 3, ['C'] = 3, ['D'] = 3, ['E'] = 3, ['F'] = 3,
	['G'] = 3, ['H'] = 3, ['I'] = 3, ['J'] = 3, ['K'] = 3, ['L'] = 3,
	['M'] = 3, ['N'] = 3, ['O'] = 3, ['P'] = 3, ['Q'] = 3, ['R'] = 3,
	['S'] = 3, ['T'] = 3, ['U'] = 3, ['V'] = 3, ['W'] = 3, ['X'] = 3,
	['Y'] = 3, ['Z'] = 3,
	['['] = 2, ['\\'] = 2, [']'] = 2, ['^'] = 3, ['_'] = 3, ['`'] = 3,
	['a'] = 3, ['b'] = 3, ['c'] = 3, ['d'] = 3, ['e'] = 3, ['f'] = 3,
	['g'] = 3, ['h'] = 3, ['i'] = 3, ['j'] = 3, ['k'] = 3, ['l'] = 3,
	['m'] = 3, ['n'] = 3, ['o'] = 3, ['p'] = 3, ['q'] = 3, ['r'] = 3,
	['s'] = 3, ['t'] = 3, ['u'] = 3, ['v'] = 3, ['w'] = 3, ['x'] = 3,
	['y'] = 3, ['z'] = 3,
	['{'] = 2, ['|'] = 3, ['}'] = 2, ['~'] = 3,
	[0x80] = 2, [0x81] = 2, [0x82] = 2, [0x83] = 2, [0x84] = 2,
	[0x85] = 2, [0x86] = 2, [0x87] = 2, [0x88] = 2, [0x89] = 2,
	[0x8a] = 2, [0x8b] = 2, [0x8c] = 2, [0x8d] = 2, [0x8e] = 2,
	[0x8f] = 2, [0x90] = 2, [0x91] = 2, [0x92] = 2, [0x93] = 2,
	[0x94] = 2, [0x95] = 2, [0x96] = 2, [0x97] = 2, [0x98] = 2,
	[0x99] = 2, [0x9a] = 2, [0x9b] = 2, [0x9c] = 2, [0x9d] = 2,
	[0x9e] = 2, [0x9f] = 2, [0xa0] = 2, [0xa1] = 2, [0xa2] = 2,
	[0xa3] = 2, [0xa4] = 2, [0xa5] = 2, [0xa6] = 2, [0xa7] = 2,
	[0xa8] = 2, [0xa9] = 2, [0xaa] = 2, [0xab] = 2, [0xac] = 2,
	[0xad] = 2, [0xae] = 2, [0xaf] = 2, [0xb0] = 2, [0xb1] = 2,
	[0xb2] = 2, [0xb3] = 2, [0xb4] = 2, [0xb5] = 2, [0xb6] = 2,
	[0xb7] = 2, [0xb8] = 2, [0xb9] = 2, [0xba] = 2, [0xbb] = 2,
	[0xbc] = 2, [0xbd] = 2, [0xbe] = 2, [0xbf] = 2, [0xc0] = 2,
	[0xc1] = 2, [0xc2] = 2, [0xc3] = 2, [0xc4] = 2, [0xc5] = 2,
	[0xc6] = 2, [0xc7] = 2, [0xc8] = 2, [0xc9] = 2, [0xca] = 2,
	[0xcb] = 2, [0xcc] = 2, [0xcd] = 2, [0xce] = 2, [0xcf] = 2,
	[0xd0] = 2, [0xd1] = 2, [0xd2] = 2, [0xd3] = 2, [0xd4] = 2,
	[0xd5] = 2, [0xd6] = 2, [0xd7] = 2, [0xd8] = 2, [0xd9] = 2,
	[0xda] = 2, [0xdb] = 2, [0xdc] = 2, [0xdd] = 2, [0xde] = 2,
	[0xdf] = 2, [0xe0] = 2, [0xe1] = 2, [0xe2] = 2, [0xe3] = 2,
	[0xe4] = 2, [0xe5] = 2, [0xe6] = 2, [0xe7] = 2, [0xe8] = 2,
	[0xe9] = 2, [0xea] = 2, [0xeb] = 2, [0xec] = 2, [0xed] = 2,
	[0xee] = 2, [0xef] = 2, [0xf0] = 2, [0xf1] = 2, [0xf2] = 2,
	[0xf3] = 2, [0xf4] = 2, [0xf5] = 2, [0xf6] = 2, [0xf7] = 2,
	[0xf8] = 2, [0xf9] = 2, [0xfa] = 2, [0xfb] = 2, [0xfc] = 2,
	[0xfd] = 2, [0xfe] = 2, [0xff] = 2,
};

#define IS_TCHAR(c) ((cls[(c)] & C_TCHAR) != 0)
#define IS_VALUE(c) ((cls[(c)] & C_VALUE) != 0)
/* Bytes of a request target that change nothing: 1 in the path (VCHAR
 * and obs-text but '%' and '?'), 2 in the query (VCHAR and obs-text). */
static const unsigned char plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 3, 3, 3, 3, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

/* The end of a run of plain bytes from p: sixteen at a time where SSE2 is
 * (every x86-64), the rest one by one. A run of a request target stops at
 * a control byte, space or DEL, and in the path also at '%' and '?' (m:
 * the bit of plain[] to keep to); a run of a field value only at NUL, CR
 * and LF (value true). */
static const unsigned char *
run_end(const unsigned char *p, const unsigned char *end, unsigned char m,
    bool value)
{
#ifdef __SSE2__
	const __m128i nul = _mm_setzero_si128(), cr = _mm_set1_epi8('\r'),
	    lf = _mm_set1_epi8('\n'), sp1 = _mm_set1_epi8(0x21),
	    del = _mm_set1_epi8(0x7f), pct = _mm_set1_epi8('%'),
	    qm = _mm_set1_epi8('?');

	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p),
		    stop;
		int bits;

		if (value)
			stop = _mm_or_si128(_mm_cmpeq_epi8(x, nul),
			    _mm_or_si128(_mm_cmpeq_epi8(x, cr),
			    _mm_cmpeq_epi8(x, lf)));
		else {
			/* Below 0x21, not counting obs-text (negative as
			 * signed bytes). */
			stop = _mm_andnot_si128(_mm_cmpgt_epi8(nul, x),
			    _mm_cmpgt_epi8(sp1, x));
			stop = _mm_or_si128(stop, _mm_cmpeq_epi8(x, del));
			if (m == 1)
				stop = _mm_or_si128(stop, _mm_or_si128(
				    _mm_cmpeq_epi8(x, pct),
				    _mm_cmpeq_epi8(x, qm)));
		}
		if ((bits = _mm_movemask_epi8(stop)) != 0)
			return p + __builtin_ctz((unsigned int)bits);
		p += 16;
	}
#endif
	if (value)
		while (p < end && IS_VALUE(*p))
			p++;
	else
		while (p < end && (plain[*p] & m) != 0)
			p++;
	return p;
}

void
guard_init(struct guard *g)
{
	memset(g, 0, sizeof(*g));
	g->state = G_START;
}

static bool
refuse(struct guard *g, unsigned int status, const char *reason)
{
	g->status = (uint16_t)status;
	g->reason = reason;
	g->bad_request = g->request;
	g->state = G_DONE;
	return false;
}

static void
new_head(struct guard *g)
{
	uint32_t request = g->request;
	uint16_t status = g->status;
	const char *reason = g->reason;

	/* Everything but the connection's history. */
	memset(g, 0, offsetof(struct guard, request));
	g->request = request;
	g->status = status;
	g->reason = reason;
	g->state = G_START;
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static bool
name_is(const struct guard *g, const char *s)
{
	size_t n = strlen(s);

	return g->name_len == n && memcmp(g->name, s, n) == 0;
}

/* The colon ends the name: which header is it, and is it one too many? */
static bool
field_named(struct guard *g)
{
	g->hdr = H_OTHER;
	if (name_is(g, "host")) {
		g->hdr = H_HOST;
		g->nhost++;
	} else if (name_is(g, "content-length")) {
		g->hdr = H_CL;
		g->ncl++;
		g->cl_state = 0;
		g->cl_digits = 0;
		g->cl = 0;
	} else if (name_is(g, "transfer-encoding")) {
		g->hdr = H_TE;
		g->nte++;
		g->te_len = 0;
	}
	/* Counted up to 2: that is all the verdict needs. */
	if (g->nhost > 2)
		g->nhost = 2;
	if (g->ncl > 2)
		g->ncl = 2;
	if (g->nte > 2)
		g->nte = 2;
	return true;
}

static void
value_byte(struct guard *g, unsigned char c)
{
	if (g->hdr == H_CL) {
		bool digit = c >= '0' && c <= '9';
		bool ows = c == ' ' || c == '\t';

		if (g->cl_state <= 1 && digit) {
			g->cl_state = 1;
			if (++g->cl_digits > 18)
				g->cl_state = 3;
			else
				g->cl = g->cl * 10 + (uint64_t)(c - '0');
		} else if (g->cl_state >= 1 && g->cl_state <= 2 && ows)
			g->cl_state = 2;
		else
			g->cl_state = 3;
	} else if (g->hdr == H_TE) {
		if (g->te_len < GUARD_TE_MAX)
			g->te[g->te_len] = (char)lower(c);
		if (g->te_len < 255)
			g->te_len++;
	}
}

/* The transfer codings of a Transfer-Encoding value (RFC 9112 6.1):
 * chunked must come last, once; anything else is a coding this server
 * does not implement. */
static bool
check_te(struct guard *g)
{
	const char *p = g->te, *end;
	bool chunked_last = false, other = false;
	size_t len = g->te_len;

	if (len > GUARD_TE_MAX)
		return refuse(g, 501, "transfer coding not implemented");
	end = p + len;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	while (p < end) {
		const char *q = p;
		size_t n;

		while (q < end && *q != ',')
			q++;
		n = (size_t)(q - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0)
			return refuse(g, 400, "malformed Transfer-Encoding");
		if (chunked_last)
			other = true;	/* something after chunked */
		chunked_last = n == 7 && memcmp(p, "chunked", 7) == 0;
		if (!chunked_last)
			other = true;
		p = q;
		if (p < end)
			p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
	}
	if (!chunked_last)
		return refuse(g, 400, "the last transfer coding is not chunked");
	if (other)
		return refuse(g, 501, "transfer coding not implemented");
	return true;
}

/* The head is complete: may its message be framed one way only? */
static bool
head_done(struct guard *g)
{
	if (g->nhost > 1)
		return refuse(g, 400, "more than one Host header");
	if (g->nhost == 0 && !g->http10)
		return refuse(g, 400, "HTTP/1.1 request without Host");
	if (g->ncl > 1)
		return refuse(g, 400, "more than one Content-Length header");
	if (g->ncl == 1 && (g->cl_state == 0 || g->cl_state == 3))
		return refuse(g, 400, "malformed Content-Length");
	if (g->nte > 1)
		return refuse(g, 400, "more than one Transfer-Encoding header");
	if (g->nte == 1 && g->ncl == 1)
		return refuse(g, 400,
		    "Transfer-Encoding together with Content-Length");
	if (g->nte == 1 && g->http10)
		return refuse(g, 400, "Transfer-Encoding in an HTTP/1.0 request");
	if (g->nte == 1) {
		if (!check_te(g))
			return false;
		/* libmicrohttpd decodes the chunks; the guard stops here
		 * and the connection ends with this request's answer. */
		g->chunked = true;
		g->chunked_request = g->request;
		g->state = G_DONE;
		return true;
	}
	g->body_left = g->ncl == 1 ? g->cl : 0;
	if (g->body_left > 0)
		g->state = G_BODY;
	else {
		g->request++;
		new_head(g);
	}
	return true;
}

/* "HTTP/1.0" and "HTTP/1.1"; another version of 1 or 2+ is one this
 * server does not speak. name_len counts the bytes matched. */
static bool
version_byte(struct guard *g, unsigned char c)
{
	static const char want[] = "HTTP/1.";
	size_t i = g->name_len;

	if (i < 5) {
		if (c != (unsigned char)want[i])
			return refuse(g, 400, "malformed request line");
	} else if (i == 5 || i == 7) {
		if (c < '0' || c > '9')
			return refuse(g, 400, "malformed request line");
		if (i == 5 && c != '1')
			return refuse(g, 505, "HTTP version not supported");
		if (i == 7 && c > '1')
			return refuse(g, 505, "HTTP version not supported");
		if (i == 7)
			g->http10 = c == '0';
	} else if (i == 6) {
		if (c != '.')
			return refuse(g, 400, "malformed request line");
	} else
		return refuse(g, 400, "malformed request line");
	g->name_len++;
	return true;
}

bool
guard_feed(struct guard *g, const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;

	while (p < end) {
		unsigned char c = *p;

		switch (g->state) {
		case G_DONE:
			return g->status == 0;
		case G_BODY: {
			size_t left = (size_t)(end - p);

			if ((uint64_t)left < g->body_left) {
				g->body_left -= left;
				return true;
			}
			p += g->body_left;
			g->body_left = 0;
			g->request++;
			new_head(g);
			continue;
		}
		case G_START:
			if (c == '\r') {
				/* RFC 9112 2.2: one empty line may come
				 * first (after a body, from old clients). */
				if (++g->empty_lines > 1)
					return refuse(g, 400,
					    "empty lines before the request");
				g->state = G_START_LF;
			} else if (IS_TCHAR(c))
				g->state = G_METHOD;
			else
				return refuse(g, 400, "malformed request line");
			break;
		case G_START_LF:
			if (c != '\n')
				return refuse(g, 400, "bare CR");
			g->state = G_START;
			break;
		case G_METHOD:
			while (IS_TCHAR(c) && ++p < end)
				c = *p;
			if (p == end)
				return true;
			if (c == ' ')
				g->state = G_TARGET;
			else
				return refuse(g, 400, "malformed request line");
			break;
		case G_TARGET:
			/* A run of bytes that change nothing: the query's
			 * printable ones, or a path's but '%' and '?'. */
			if ((g->pct == 0 || g->pct == 3) &&
			    (plain[c] & (g->pct == 3 ? 2 : 1)) != 0) {
				p = run_end(p + 1, end, g->pct == 3 ? 2 : 1,
				    false);
				g->name_len = 1;
				if (g->pct != 3)
					g->pct = 0;
				if (p == end)
					return true;
				c = *p;
			}
			if (c == ' ' && g->name_len > 0) {
				g->name_len = 0;
				g->state = G_VERSION;
				break;
			}
			if (c <= 0x20 || c == 0x7f)
				return refuse(g, 400,
				    "malformed request target");
			g->name_len = 1;
			/* %00 would cut the decoded path short (in the query,
			 * the endpoints refuse what it does to a value). */
			if (c == '?')
				g->pct = 3;
			else if (g->pct == 3)
				;
			else if (c == '%')
				g->pct = 1;
			else if (c == '0' && g->pct >= 1) {
				if (g->pct == 2)
					return refuse(g, 400,
					    "%00 in the request target");
				g->pct = 2;
			} else
				g->pct = 0;
			break;
		case G_VERSION:
			/* Mostly all at once. */
			if (g->name_len == 0 && end - p >= 9 &&
			    memcmp(p, "HTTP/1.", 7) == 0 &&
			    (p[7] == '1' || p[7] == '0') && p[8] == '\r') {
				g->http10 = p[7] == '0';
				g->state = G_REQLINE_LF;
				p += 9;
				continue;
			}
			if (c == '\r' && g->name_len == 8) {
				g->state = G_REQLINE_LF;
				break;
			}
			if (!version_byte(g, c))
				return false;
			break;
		case G_REQLINE_LF:
		case G_FIELD_LF:
		case G_HEAD_END_LF:
			if (c != '\n')
				return refuse(g, 400, "bare CR");
			if (g->state == G_HEAD_END_LF) {
				if (!head_done(g))
					return false;
				break;
			}
			g->state = G_FIELD_START;
			g->name_len = 0;
			break;
		case G_FIELD_START:
			if (c == '\r') {
				g->state = G_HEAD_END_LF;
				break;
			}
			if (c == ' ' || c == '\t')
				return refuse(g, 400,
				    "obsolete line folding (obs-fold)");
			if (!IS_TCHAR(c))
				return refuse(g, 400, "malformed header field");
			g->state = G_NAME;
			g->name_len = 0;
			/* FALLTHROUGH */
		case G_NAME:
			/* The name's start, lowercased: enough to know the
			 * few fields the guard reads. */
			for (; p < end && IS_TCHAR(*p); p++)
				if (g->name_len < sizeof(g->name))
					g->name[g->name_len++] = (char)lower(*p);
				else
					g->name_len = sizeof(g->name) + 1;
			if (p == end)
				return true;
			c = *p;
			if (c == ':') {
				field_named(g);
				g->state = G_OWS;
			} else if (c == ' ' || c == '\t')
				return refuse(g, 400,
				    "white space before the colon of a header");
			else
				return refuse(g, 400,
				    "malformed header field name");
			break;
		case G_OWS:
			if (c == ' ' || c == '\t')
				break;
			g->state = G_VALUE;
			/* FALLTHROUGH */
		case G_VALUE:
			if (g->hdr == H_OTHER || g->hdr == H_HOST) {
				/* The common case: skip a run at once. */
				p = run_end(p, end, 0, true);
				if (p == end)
					return true;
				c = *p;
			} else if (IS_VALUE(c)) {
				value_byte(g, c);
				break;
			}
			if (c == '\r')
				g->state = G_FIELD_LF;
			else if (c == '\0')
				return refuse(g, 400, "NUL in a header field");
			else
				return refuse(g, 400, "bare LF");
			break;
		}
		p++;
	}
	return g->status == 0;
}

bool
guard_started(const struct guard *g)
{
	return g->state != G_START && g->state != G_START_LF &&
	    g->state != G_DONE;
}

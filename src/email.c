#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "email.h"
#include "util.h"

static bool
ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Checks an all-ASCII lowercase domain label by label. */
static int
check_ldh(const char *d, size_t len, const char **why)
{
	size_t i, start = 0;

	if (len == 0) {
		*why = "empty domain";
		return -1;
	}
	if (len > DOMAIN_MAX) {
		*why = "domain longer than 253 octets";
		return -1;
	}
	for (i = 0; i <= len; i++) {
		if (i < len && d[i] != '.') {
			if (!ldh(d[i])) {
				*why = "invalid character in domain";
				return -1;
			}
			continue;
		}
		size_t l = i - start;
		if (l == 0) {
			*why = "empty label in domain";
			return -1;
		}
		if (l > 63) {
			*why = "domain label longer than 63 octets";
			return -1;
		}
		if (d[start] == '-' || d[i - 1] == '-') {
			*why = "domain label starts or ends with '-'";
			return -1;
		}
		start = i + 1;
	}
	return 0;
}

int
domain_normalize(const char *in, size_t len, char *out, size_t outsz,
    const char **why)
{
	char tmp[DOMAIN_MAX * 4 + 2];
	bool ascii = true;
	size_t i;

	*why = NULL;
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0) {
		*why = "empty domain";
		return -1;
	}
	if (len >= sizeof(tmp)) {
		*why = "domain too long";
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '\0' || c < 0x20 || c == 0x7f) {
			*why = "control character in domain";
			return -1;
		}
		if (c >= 0x80)
			ascii = false;
		tmp[i] = ascii_tolower((char)c);
	}
	tmp[len] = '\0';

	if (!ascii) {
		char *alabel = NULL;
		int rc = idn2_lookup_u8((const uint8_t *)tmp, (uint8_t **)&alabel,
		    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);

		if (rc != IDN2_OK) {
			*why = "invalid internationalised domain";
			return -1;
		}
		size_t alen = strlen(alabel);
		if (alen >= sizeof(tmp)) {
			idn2_free(alabel);
			*why = "domain too long";
			return -1;
		}
		for (i = 0; i <= alen; i++)
			tmp[i] = ascii_tolower(alabel[i]);
		idn2_free(alabel);
		len = alen;
	}
	if (check_ldh(tmp, len, why) < 0)
		return -1;
	if (len + 1 > outsz) {
		*why = "domain too long";
		return -1;
	}
	memcpy(out, tmp, len + 1);
	return 0;
}

bool
domain_is_ipv4(const char *domain)
{
	int labels = 0;
	const char *p = domain;

	while (*p != '\0') {
		size_t n = 0;

		while (*p >= '0' && *p <= '9') {
			p++;
			n++;
		}
		if (n == 0 || n > 3)
			return false;
		labels++;
		if (*p == '.')
			p++;
		else if (*p != '\0')
			return false;
	}
	return labels == 4;
}

/* Characters a dot-atom local part may not hold unquoted (RFC 5322 specials
 * and white space). Quoted local parts are refused: no mail client sends
 * them to an autoconfig server, and they complicate every later use. */
static bool
local_char_ok(unsigned char c)
{
	if (c <= 0x20 || c == 0x7f)
		return false;
	return strchr("\"(),:;<>@[\\]", c) == NULL;
}

/* Validates UTF-8 structure (no overlongs, no surrogates). */
bool
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if (utf8_decode(s + i, len - i, &n) < 0)
			return false;
		i += n;
	}
	return true;
}

/* Code points no address needs and that do harm where it is shown: C1
 * controls (terminals), noncharacters (XML refuses U+FFFE and U+FFFF, so
 * an Apple profile would not parse), the bidirectional embeddings,
 * overrides, isolates and marks (they reorder the text around them, the
 * "Trojan Source" trick) and the line and paragraph separators. */
static bool
code_point_safe(long cp)
{
	return !((cp >= 0x80 && cp <= 0x9f) ||
	    (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x200e || cp == 0x200f || cp == 0x061c ||
	    cp == 0x2028 || cp == 0x2029);
}

bool
text_safe(const unsigned char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		long cp = utf8_decode(s + i, len - i, &n);

		if (cp < 0 || !code_point_safe(cp))
			return false;
		i += n;
	}
	return true;
}

bool
text_printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return text_safe((const unsigned char *)s, len);
}

int
email_parse(const char *in, size_t len, struct email *out, const char **why)
{
	const char *at;
	size_t i, llen;

	*why = NULL;
	if (len == 0) {
		*why = "empty address";
		return -1;
	}
	if (len > EMAIL_MAX) {
		*why = "address longer than 254 octets";
		return -1;
	}
	if (memchr(in, '\0', len) != NULL) {
		*why = "NUL byte in address";
		return -1;
	}
	at = memchr(in, '@', len);
	if (at == NULL) {
		*why = "address has no '@'";
		return -1;
	}
	if (memchr(at + 1, '@', len - (size_t)(at - in) - 1) != NULL) {
		*why = "address has more than one '@'";
		return -1;
	}
	llen = (size_t)(at - in);
	if (llen == 0) {
		*why = "empty local part";
		return -1;
	}
	if (llen > LOCAL_MAX) {
		*why = "local part longer than 64 octets";
		return -1;
	}
	for (i = 0; i < llen; i++) {
		if (!local_char_ok((unsigned char)in[i])) {
			*why = "invalid character in local part";
			return -1;
		}
	}
	if (!utf8_valid((const unsigned char *)in, llen)) {
		*why = "local part is not valid UTF-8";
		return -1;
	}
	if (!text_safe((const unsigned char *)in, llen)) {
		*why = "control, noncharacter or bidirectional formatting "
		    "character in local part";
		return -1;
	}
	if (in[0] == '.' || in[llen - 1] == '.') {
		*why = "local part starts or ends with '.'";
		return -1;
	}

	char dom[DOMAIN_MAX + 1];
	if (domain_normalize(at + 1, len - llen - 1, dom, sizeof(dom), why) < 0)
		return -1;
	size_t dlen = strlen(dom);
	if (llen + 1 + dlen > EMAIL_MAX) {
		*why = "address longer than 254 octets";
		return -1;
	}
	memcpy(out->addr, in, llen);
	out->addr[llen] = '@';
	memcpy(out->addr + llen + 1, dom, dlen + 1);
	out->local_len = llen;
	out->domain = out->addr + llen + 1;
	return 0;
}

int
email_parse_query(const char *in, size_t len, struct email *out,
    const char **why)
{
	char tmp[EMAIL_MAX];

	if (len > sizeof(tmp))
		return email_parse(in, len, out, why);
	for (size_t i = 0; i < len; i++)
		tmp[i] = in[i] == ' ' ? '+' : in[i];
	return email_parse(tmp, len, out, why);
}

int
domain_unicode(const char *domain, char *out, size_t outsz)
{
	char *u = NULL;
	size_t n;

	if (strncmp(domain, "xn--", 4) != 0 && strstr(domain, ".xn--") == NULL)
		return -1;
	if (idn2_to_unicode_8z8z(domain, &u, 0) != IDN2_OK || u == NULL)
		return -1;
	n = strlen(u);
	if (n >= outsz) {
		idn2_free(u);
		return -1;
	}
	memcpy(out, u, n + 1);
	idn2_free(u);
	return 0;
}

int
host_to_domain(const char *host, char *out, size_t outsz)
{
	const char *why, *colon;
	size_t len;

	if (host == NULL || host[0] == '\0' || host[0] == '[')
		return -1;
	len = strlen(host);
	colon = memchr(host, ':', len);
	if (colon != NULL) {
		const char *p;

		/* Only "name:digits" is a host with a port. */
		if (colon[1] == '\0')
			return -1;
		for (p = colon + 1; *p != '\0'; p++)
			if (*p < '0' || *p > '9')
				return -1;
		len = (size_t)(colon - host);
	}
	if (domain_normalize(host, len, out, outsz, &why) < 0)
		return -1;
	if (domain_is_ipv4(out))
		return -1;
	return 0;
}

int
host_normalize(const char *h, size_t len, char *out, size_t outsz)
{
	char name[DOMAIN_MAX + 1];
	const char *why;
	size_t hlen = len;
	unsigned long port = 0;

	if (len == 0)
		return -1;
	if (h[0] == '[') {
		const char *end = memchr(h, ']', len);
		char lit[INET6_ADDRSTRLEN];
		struct in6_addr a6;

		if (end == NULL || end == h + 1 ||
		    (size_t)(end - h - 1) >= sizeof(lit))
			return -1;
		hlen = (size_t)(end - h) + 1;
		memcpy(lit, h + 1, hlen - 2);
		lit[hlen - 2] = '\0';
		if (inet_pton(AF_INET6, lit, &a6) != 1 ||
		    inet_ntop(AF_INET6, &a6, lit, sizeof(lit)) == NULL)
			return -1;
		snprintf(name, sizeof(name), "[%s]", lit);
		if (hlen < len && h[hlen] != ':')
			return -1;
	} else {
		const char *colon = memchr(h, ':', len);

		if (colon != NULL)
			hlen = (size_t)(colon - h);
		if (domain_normalize(h, hlen, name, sizeof(name), &why) < 0)
			return -1;
	}
	if (hlen < len) {
		const char *p = h + hlen + 1;
		size_t plen = len - hlen - 1;

		if (plen == 0 || plen > 5)
			return -1;
		for (size_t i = 0; i < plen; i++) {
			if (p[i] < '0' || p[i] > '9')
				return -1;
			port = port * 10 + (unsigned long)(p[i] - '0');
		}
		if (port == 0 || port > 65535)
			return -1;
	}
	if (port != 0)
		snprintf(out, outsz, "%s:%lu", name, port);
	else
		snprintf(out, outsz, "%s", name);
	return 0;
}

const char *
domain_strip_service_label(const char *domain)
{
	static const char *const labels[] = {
		"autoconfig.", "autodiscover.", "ua-auto-config.",
	};

	for (size_t i = 0; i < ARRAY_LEN(labels); i++) {
		size_t n = strlen(labels[i]);

		if (strncmp(domain, labels[i], n) == 0 && domain[n] != '\0')
			return domain + n;
	}
	return NULL;
}

int
email_expand(const char *tmpl, const struct email *em, struct buf *out)
{
	static const char *const names[] = { "%EMAILADDRESS%",
	    "%EMAILLOCALPART%", "%EMAILDOMAIN%", "%REALNAME%" };
	const char *p = tmpl, *pct;

	while ((pct = strchr(p, '%')) != NULL) {
		size_t i, n = 0;

		buf_add(out, p, (size_t)(pct - p));
		for (i = 0; i < ARRAY_LEN(names); i++) {
			n = strlen(names[i]);
			if (strncmp(pct, names[i], n) == 0)
				break;
		}
		switch (i) {
		case 0:
			buf_puts(out, em->addr);
			break;
		case 1:
			buf_add(out, em->addr, em->local_len);
			break;
		case 2:
			buf_puts(out, em->domain);
			break;
		case 3:
			return -1;	/* the server never knows it */
		default:	/* the loader refuses others; keep it literal */
			buf_putc(out, '%');
			n = 1;
			break;
		}
		p = pct + n;
	}
	buf_puts(out, p);
	return 0;
}

/* Email address, domain and Host header parsing. Everything from the network
 * passes through here before it is used for a lookup or reaches output. */
#ifndef AUTOCONFD_EMAIL_H
#define AUTOCONFD_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

#define EMAIL_MAX 254		/* RFC 5321 path limit less the brackets */
#define LOCAL_MAX 64
#define DOMAIN_MAX 253

struct email {
	char addr[EMAIL_MAX + 1];	/* local@domain, domain normalised */
	size_t local_len;		/* bytes before the '@' */
	const char *domain;		/* points into addr, after the '@' */
};

/* Normalises a domain: ASCII lowercase, one trailing dot dropped, UTF-8
 * labels converted to A-labels (IDNA2008), LDH labels of 1-63 octets,
 * at most 253 octets. Writes a NUL-terminated result into out.
 * Returns 0, or -1 with *why set to a short static reason. */
int domain_normalize(const char *in, size_t len, char *out, size_t outsz,
    const char **why);

/* The Unicode form (UTF-8) of a normalised domain with IDNA A-labels
 * ("xn--bcher-kva.example" → "bücher.example"). Returns 0, or -1 when it
 * has none or cannot be converted. */
int domain_unicode(const char *domain, char *out, size_t outsz);

/* True when the (normalised) domain is an IPv4 address in dotted form. */
bool domain_is_ipv4(const char *domain);

/* True when s is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const unsigned char *s, size_t len);
/* True when s is well-formed UTF-8 without C1 controls, noncharacters,
 * bidirectional formatting characters or line separators. */
bool text_safe(const unsigned char *s, size_t len);
/* The same and no C0 control or DEL either: text that may be shown back
 * to whoever sent it. */
bool text_printable(const char *s, size_t len);

/* Parses and validates an address (length, one '@', printable local part,
 * valid domain). Returns 0, or -1 with *why set. */
int email_parse(const char *in, size_t len, struct email *out,
    const char **why);

/* The same for an address taken from a URL query. Form decoding has turned
 * every unencoded '+' into a space (alice+tag@example.com typed into a URL
 * by hand), and a space is never part of an address: spaces are read as
 * '+'. */
int email_parse_query(const char *in, size_t len, struct email *out,
    const char **why);

/* Turns a Host header value into a domain: strips a :port and a trailing
 * dot, normalises; IP literals are not domains. Returns 0 or -1. */
int host_to_domain(const char *host, char *out, size_t outsz);

/* Writes the normalised form of a Host value "host[:port]" (a domain
 * name, an IPv4 address or an [IPv6] literal; len bytes) into out.
 * Returns 0, or -1 if it is not one. */
int host_normalize(const char *h, size_t len, char *out, size_t outsz);

/* If domain starts with one of the service labels clients prepend
 * (autoconfig., autodiscover., ua-auto-config.), returns the rest. */
const char *domain_strip_service_label(const char *domain);

struct buf;
/* Appends tmpl with %EMAILADDRESS%, %EMAILLOCALPART% and %EMAILDOMAIN%
 * replaced from em. Returns -1 if it holds %REALNAME%, which the server
 * cannot know (out then holds a partial result). */
int email_expand(const char *tmpl, const struct email *em, struct buf *out);

#endif

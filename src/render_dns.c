/* The DNS records an admin publishes so clients find this server: zone-file
 * lines, ready to paste (PROTOCOLS.md section 5). */
#include "config.h"

#include <string.h>

#include "digest.h"
#include "email.h"
#include "render.h"

#define TTL "3600"

/* ---- zone-file text ---------------------------------------------------
 * RFC 1035 section 5.1: in a master file "\X" is the character X itself
 * and "\DDD" the byte of decimal value DDD. Names from the config are
 * normalised LDH and need neither; other text may, and a \DDD is
 * explained in a comment above the first line that holds it, for few
 * people read them at sight. */

/* Appends s as zone-file text: a name (quoted false), where the
 * characters that end or start a field are escaped, or the inside of a
 * quoted string, where only '"' and '\' are. Any byte outside printable
 * ASCII becomes \DDD. Returns true when one did. */
static bool
zone_text(struct buf *out, const char *s, bool quoted)
{
	bool ddd = false;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	    p++) {
		if (*p >= 0x7f || *p < 0x20 || (*p == ' ' && !quoted)) {
			buf_printf(out, "\\%03u", *p);
			ddd = true;
		} else if (*p == '"' || *p == '\\' ||
		    (!quoted && strchr("();@$", *p) != NULL)) {
			buf_putc(out, '\\');
			buf_putc(out, (char)*p);
		} else
			buf_putc(out, (char)*p);
	}
	return ddd;
}

/* The comment for text that needed \DDD: what it reads, when it is text
 * at all. */
static void
explain_ddd(struct buf *out, const char *escaped, const char *s)
{
	buf_puts(out, "; \\DDD is the byte of decimal value DDD (RFC 1035 "
	    "section 5.1)");
	if (text_printable(s, strlen(s)))
		buf_printf(out, ": %s is \"%s\" in UTF-8", escaped, s);
	buf_puts(out, "\n");
}

/* A name for a record, escaped into z (emptied first); its \DDD, if
 * any, explained in out. */
static const char *
zone_name(struct buf *out, struct buf *z, const char *name)
{
	z->len = 0;
	buf_puts(z, "");
	if (zone_text(z, name, false))
		explain_ddd(out, z->data, name);
	return z->data;
}

/* An internationalised name is held in DNS in its ASCII form (IDNA
 * A-labels, "xn--"), which is what the records below say: a comment
 * gives the form people know. */
static void
explain_idn(struct buf *out, const char *name)
{
	char u[DOMAIN_MAX * 4 + 1];

	if (domain_unicode(name, u, sizeof(u)) == 0)
		buf_printf(out, "; %s is %s, written as DNS holds it (IDNA "
		    "A-labels)\n", name, u);
}

/* Text from elsewhere (a file name) in a comment: on one line. */
static void
comment_text(struct buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	    p++) {
		if (*p < 0x20 || *p == 0x7f)
			buf_printf(out, "\\%03u", *p);
		else
			buf_putc(out, (char)*p);
	}
}

/* RFC 6186 and RFC 8314 service labels: implicit TLS, then STARTTLS;
 * RFC 5804's one for ManageSieve, which has no implicit TLS variant. */
static const char *const srv_label[PROTO_COUNT][2] = {
	[PROTO_IMAP] = { "_imaps", "_imap" },
	[PROTO_POP3] = { "_pop3s", "_pop3" },
	[PROTO_SMTP] = { "_submissions", "_submission" },
	[PROTO_MANAGESIEVE] = { NULL, "_sieve" },
};

int
dns_public_host(const struct conf *c, char *host, size_t hostsz,
    unsigned int *port, bool *https)
{
	const char *u = c->public_url, *h, *end, *colon;
	const char *why;

	if (u == NULL)
		return -1;
	*https = strncmp(u, "https://", 8) == 0;
	h = u + (*https ? 8 : 7);
	end = h + strcspn(h, "/");
	colon = memchr(h, ':', (size_t)(end - h));
	*port = *https ? 443 : 80;
	if (colon != NULL) {
		unsigned int v = 0;

		for (const char *d = colon + 1; d < end; d++)
			v = v * 10 + (unsigned int)(*d - '0');
		*port = v;
		end = colon;
	}
	if (*h == '[' || domain_normalize(h, (size_t)(end - h), host, hostsz,
	    &why) < 0 || domain_is_ipv4(host))
		return -1;
	return 0;
}

static void
cname(struct buf *out, const char *label, const char *domain,
    const char *target)
{
	struct buf z = { 0 };

	if (target == NULL)
		buf_printf(out, "; %s.%s.\t" TTL "\tIN\tCNAME\t<this server>. "
		    "(set \"public_url\" to fill this in, or give it A/AAAA "
		    "records)\n", label, domain);
	else if (strncmp(target, label, strlen(label)) == 0 &&
	    target[strlen(label)] == '.' &&
	    strcmp(target + strlen(label) + 1, domain) == 0)
		buf_printf(out, "; %s.%s. is the public_url host itself: "
		    "give it A/AAAA records\n", label, domain);
	else {
		const char *t = zone_name(out, &z, target);

		buf_printf(out, "%s.%s.\t" TTL "\tIN\tCNAME\t%s.\n", label,
		    domain, t);
	}
	buf_free(&z);
}

size_t
dns_srv_records(const struct provider *p, struct srv_rec *out, size_t max)
{
	size_t n = 0;

	for (int k = 0; k < PROTO_COUNT; k++) {
		enum proto proto = (enum proto)k;
		bool seen[2] = { false, false };
		unsigned int rank = 0;

		/* The admin's order within a protocol is the preference: it
		 * becomes the priority across both labels, as RFC 6186
		 * clients compare them. */
		for (size_t i = 0; i < p->nservers; i++) {
			const struct server *s = &p->servers[i];
			int tls = s->security == SEC_SSL ? 0 : 1;

			if (s->proto != proto || !server_advertised(s) ||
			    srv_label[proto][tls] == NULL)
				continue;
			if (n < max)
				out[n] = (struct srv_rec){ srv_label[proto][tls],
				    rank, 1, s->port, s->host };
			n++;
			rank++;
			seen[tls] = true;
		}
		/* ManageSieve is no mail protocol of RFC 6186: named only
		 * when offered. */
		if (proto == PROTO_MANAGESIEVE)
			continue;
		for (int tls = 0; tls < 2; tls++) {
			if (seen[tls])
				continue;
			if (n < max)
				out[n] = (struct srv_rec){ srv_label[proto][tls],
				    0, 0, 0, "." };
			n++;
		}
	}
	return n < max ? n : max;
}

static void
srv_records(struct buf *out, const struct provider *p, const char *domain)
{
	struct srv_rec srv[DNS_SRV_MAX];
	size_t n = dns_srv_records(p, srv, ARRAY_LEN(srv));
	struct buf z = { 0 };

	for (size_t i = 0; i < n; i++) {
		bool none = strcmp(srv[i].target, ".") == 0;

		buf_printf(out, "%s._tcp.%s.\t" TTL "\tIN\tSRV\t%u %u %u %s%s\n",
		    srv[i].label, domain, srv[i].priority, srv[i].weight,
		    srv[i].port, none ? "." : zone_name(out, &z, srv[i].target),
		    none ? "" : ".");
	}
	buf_free(&z);
}

/* A TXT record for label.domain (domain as zone text already): text as
 * one quoted string, at most 255 bytes (RFC 1035 section 3.3.14). */
static void
txt_record(struct buf *out, const char *label, const char *domain,
    const char *text)
{
	struct buf z = { 0 };

	buf_puts(&z, "");
	if (zone_text(&z, text, true))
		explain_ddd(out, z.data, text);
	buf_printf(out, "%s.%s.\t" TTL "\tIN\tTXT\t\"%s\"\n", label, domain,
	    z.data);
	buf_free(&z);
}

/* The internationalised names the records hold, each once: the domain,
 * this server's host and the mail servers'. */
static void
explain_idns(struct buf *out, const struct provider *p, const char *domain,
    const char *host)
{
	explain_idn(out, domain);
	if (host != NULL && strcmp(host, domain) != 0)
		explain_idn(out, host);
	for (size_t i = 0; i < p->nservers; i++) {
		const char *h = p->servers[i].host;
		bool seen = strcmp(h, domain) == 0 ||
		    (host != NULL && strcmp(h, host) == 0);

		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(h, p->servers[k].host) == 0;
		if (!seen && server_advertised(&p->servers[i]))
			explain_idn(out, h);
	}
}

/* Thunderbird asks autoconfig.<MX domain> after an MX lookup: those names
 * answer for every customer domain. */
static void
mx_hosting(struct buf *out, const struct provider *p, const char *host)
{
	if (p->nmx_domains == 0)
		return;
	buf_puts(out, "\n; MX hosting: clients that look up the MX of a "
	    "domain ask these names, once\n; for all the domains whose MX "
	    "is there\n");
	for (size_t i = 0; i < p->nmx_domains; i++)
		cname(out, "autoconfig", p->mx_domains[i], host);
}

/* MTA-STS (RFC 8461) and TLS-RPT (RFC 8460); domain as zone text. */
static int
mta_sts(struct buf *out, const struct provider *p, const char *domain,
    const char *host)
{
	char id[MTA_STS_ID_LEN + 1];
	struct buf policy = { 0 }, txt = { 0 };

	if (p->mta_sts == NULL)
		return 0;
	if (render_mta_sts(p, &policy) < 0) {
		buf_free(&policy);
		return -1;
	}
	mta_sts_id(policy.data, policy.len, id);
	buf_free(&policy);
	buf_printf(out, "\n; MTA-STS: the policy at https://mta-sts.%s/"
	    ".well-known/mta-sts.txt\n; (a certificate for that name); "
	    "the id follows the policy: publish it again\n; after every "
	    "change to it\n", domain);
	cname(out, "mta-sts", domain, host);
	buf_printf(&txt, "v=STSv1; id=%s", id);
	txt_record(out, "_mta-sts", domain, txt.data);
	if (p->mta_sts->tls_rpt != NULL) {
		txt.len = 0;
		buf_printf(&txt, "v=TLSRPTv1; rua=%s", p->mta_sts->tls_rpt);
		txt_record(out, "_smtp._tls", domain, txt.data);
	}
	buf_free(&txt);
	return 0;
}

int
render_dns(const struct conf *c, const struct provider *p,
    const char *domain, struct buf *out)
{
	char host[DOMAIN_MAX + 1], digest[DIGEST_B64_LEN + 1];
	struct buf pacc = { 0 }, dz = { 0 };
	unsigned int port = 0;
	bool https = false, known;
	const char *dn;
	bool ddd;
	int r;

	if (render_pacc(p, &pacc) < 0) {
		buf_free(&pacc);
		return -1;
	}
	digest_sha256_b64(pacc.data, pacc.len, digest);
	buf_free(&pacc);
	known = dns_public_host(c, host, sizeof(host), &port, &https) == 0;

	/* The caller normalises the domain; as zone text all the same. */
	buf_puts(&dz, "");
	ddd = zone_text(&dz, domain, false);
	dn = dz.data;
	buf_printf(out, "; DNS records for %s, served by provider %s (%s)\n",
	    dn, p->id, p->name);
	buf_puts(out, "; from ");
	comment_text(out, c->path);
	buf_puts(out, "\n");
	if (ddd)
		explain_ddd(out, dn, domain);
	explain_idns(out, p, domain, known ? host : NULL);
	if (!known)
		buf_printf(out, "; \"public_url\" names no host: the targets of "
		    "this server are left for you to fill in\n");

	buf_puts(out, "\n; Thunderbird autoconfig and Outlook Autodiscover "
	    "host names\n");
	cname(out, "autoconfig", dn, known ? host : NULL);
	cname(out, "autodiscover", dn, known ? host : NULL);

	buf_puts(out, "\n; RFC 6186 and RFC 8314 service records (and RFC 5804's "
	    "for ManageSieve): lower\n; priority is preferred, target \".\" "
	    "means not offered\n");
	srv_records(out, p, dn);

	buf_puts(out, "\n; Outlook: Autodiscover service record (https)\n");
	if (known && https)
		buf_printf(out, "_autodiscover._tcp.%s.\t" TTL "\tIN\tSRV\t"
		    "0 0 %u %s.\n", dn, port, host);
	else
		buf_printf(out, "; _autodiscover._tcp.%s.\t" TTL "\tIN\tSRV\t"
		    "0 0 443 <this server>. (needs an https \"public_url\")\n",
		    dn);

	buf_puts(out, "\n; PACC (draft-ietf-mailmaint-pacc): the TXT digest "
	    "covers the exact bytes served at\n; https://ua-auto-config.");
	buf_printf(out, "%s/.well-known/user-agent-configuration.json;\n"
	    "; publish it again after every change to this provider\n",
	    dn);
	if (pacc_server(p, PROTO_IMAP) == NULL &&
	    pacc_server(p, PROTO_POP3) == NULL)
		buf_puts(out, "; warning: no IMAP on 993 or POP3 on 995 with "
		    "implicit TLS: PACC clients get no incoming server\n");
	if (pacc_server(p, PROTO_SMTP) == NULL)
		buf_puts(out, "; warning: no SMTP on 465 with implicit TLS: "
		    "PACC clients get no outgoing server\n");
	cname(out, "ua-auto-config", dn, known ? host : NULL);
	buf_printf(&pacc, "v=UAAC1; a=sha256; d=%s", digest);
	txt_record(out, "_ua-auto-config", dn, pacc.data);
	buf_free(&pacc);
	mx_hosting(out, p, known ? host : NULL);
	r = mta_sts(out, p, dn, known ? host : NULL);
	buf_free(&dz);
	return r;
}

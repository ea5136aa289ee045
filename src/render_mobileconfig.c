/* Apple configuration profile (.mobileconfig): a plist with one mail
 * payload (com.apple.mail.managed) and, when the provider has them, CalDAV
 * and CardDAV payloads. Per user: the address is filled in and the
 * usernames expanded. Nothing random: the UUIDs are name-based (v5), so the
 * same address always gets the same bytes, and installing the profile again
 * replaces the account instead of adding a second one. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "render.h"
#include "view.h"
#include "xmlw.h"

/* The namespace of this project's profile UUIDs (random, fixed forever:
 * changing it would duplicate every installed account). */
static const uint8_t profile_ns[16] = {
	0x51, 0xe1, 0x4c, 0x22, 0x19, 0x3c, 0x42, 0x08,
	0xb7, 0x1b, 0xdb, 0xa5, 0x42, 0x4f, 0x44, 0x21,
};

/* The first Apple value a server's methods map to, or NULL. */
static const char *
apple_auth(const struct server *s)
{
	for (size_t i = 0; i < s->nauth; i++)
		switch (s->auth[i]) {
		case AUTH_PASSWORD_CLEARTEXT: return "EmailAuthPassword";
		case AUTH_PASSWORD_ENCRYPTED: return "EmailAuthCRAMMD5";
		case AUTH_NTLM: return "EmailAuthNTLM";
		case AUTH_NONE: case AUTH_CLIENT_IP_ADDRESS:
		case AUTH_SMTP_AFTER_POP: return "EmailAuthNone";
		default: break;	/* OAuth2, GSSAPI, certificates: none */
		}
	return NULL;
}

static const struct server *
first_usable(const struct provider *p, enum proto proto)
{
	for (size_t i = 0; i < p->nservers; i++) {
		const struct server *s = &p->servers[i];

		if (s->proto == proto && server_advertised(s) &&
		    apple_auth(s) != NULL)
			return s;
	}
	return NULL;
}

bool
mobileconfig_servers(const struct provider *p, const struct server **in,
    const struct server **out)
{
	/* One incoming server per payload: IMAP, POP3 only without IMAP. */
	*in = first_usable(p, PROTO_IMAP);
	if (*in == NULL)
		*in = first_usable(p, PROTO_POP3);
	*out = first_usable(p, PROTO_SMTP);
	return *in != NULL && *out != NULL;
}

/* ---- plist writing ------------------------------------------------------ */

static void
pl_string(struct xmlw *w, const char *key, const char *value)
{
	xmlw_text_elem(w, "key", key);
	xmlw_text_elem(w, "string", value);
}

__attribute__((format(printf, 3, 4)))
static void
pl_stringf(struct xmlw *w, const char *key, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	pl_string(w, key, tmp);
}

static void
pl_int(struct xmlw *w, const char *key, unsigned int value)
{
	xmlw_text_elem(w, "key", key);
	xmlw_uint_elem(w, "integer", value);
}

static void
pl_bool(struct xmlw *w, const char *key, bool value)
{
	xmlw_text_elem(w, "key", key);
	xmlw_start(w, value ? "true" : "false");
	xmlw_end(w);
}

struct ids {
	char prefix[256];	/* reverse-DNS identifier prefix */
	char uuid[UUID_STR_LEN + 1];	/* of the profile */
	const struct email *em;
};

/* PayloadIdentifier, PayloadType, PayloadUUID, PayloadVersion of a payload;
 * kind NULL for the profile itself. */
static void
pl_payload(struct xmlw *w, const struct ids *ids, const char *kind,
    const char *type)
{
	char name[EMAIL_MAX + DOMAIN_MAX + 32], uuid[UUID_STR_LEN + 1];

	snprintf(name, sizeof(name), "%s\n%s\n%s", ids->em->domain,
	    ids->em->addr, kind != NULL ? kind : "profile");
	uuid_v5(profile_ns, name, uuid);
	if (kind != NULL)
		pl_stringf(w, "PayloadIdentifier", "%s.%s.%s", ids->prefix,
		    ids->uuid, kind);
	else
		pl_stringf(w, "PayloadIdentifier", "%s.%s", ids->prefix,
		    ids->uuid);
	pl_string(w, "PayloadType", type);
	pl_string(w, "PayloadUUID", uuid);
	pl_int(w, "PayloadVersion", 1);
}

/* Writes <key>...Username</key> unless the template needs %REALNAME%. */
static void
pl_username(struct xmlw *w, const char *key, const char *tmpl,
    const struct email *em)
{
	struct buf u = { 0 };

	if (email_expand(tmpl, em, &u) == 0)
		pl_string(w, key, u.data != NULL ? u.data : "");
	buf_free(&u);
}

static void
mail_server(struct xmlw *w, const char *dir, const struct server *s,
    const struct email *em)
{
	char key[64];

	snprintf(key, sizeof(key), "%sMailServerAuthentication", dir);
	pl_string(w, key, apple_auth(s));
	snprintf(key, sizeof(key), "%sMailServerHostName", dir);
	pl_string(w, key, s->host);
	snprintf(key, sizeof(key), "%sMailServerPortNumber", dir);
	pl_int(w, key, s->port);
	/* UseSSL covers implicit TLS and STARTTLS alike. */
	snprintf(key, sizeof(key), "%sMailServerUseSSL", dir);
	pl_bool(w, key, true);
	snprintf(key, sizeof(key), "%sMailServerUsername", dir);
	pl_username(w, key, s->username, em);
}

static void
mail_payload(struct xmlw *w, const struct provider *p, const struct ids *ids,
    const struct server *in, const struct server *out)
{
	xmlw_start(w, "dict");
	pl_string(w, "EmailAccountDescription", p->name);
	pl_string(w, "EmailAccountType", in->proto == PROTO_IMAP ?
	    "EmailTypeIMAP" : "EmailTypePOP");
	pl_string(w, "EmailAddress", ids->em->addr);
	mail_server(w, "Incoming", in, ids->em);
	mail_server(w, "Outgoing", out, ids->em);
	pl_bool(w, "OutgoingPasswordSameAsIncomingPassword", true);
	pl_stringf(w, "PayloadDisplayName", "%s mail", p->short_name);
	pl_payload(w, ids, "mail", "com.apple.mail.managed");
	xmlw_end(w);
}

struct dav {
	const char *prefix;	/* of the keys: "CalDAV", "CardDAV" */
	const char *what;	/* for people */
	const char *kind;	/* identifier suffix */
	const char *type;	/* PayloadType */
};

static const struct dav caldav = { "CalDAV", "calendar", "caldav",
    "com.apple.caldav.account" };
static const struct dav carddav = { "CardDAV", "contacts", "carddav",
    "com.apple.carddav.account" };

/* A CalDAV or CardDAV account from its URL. */
static void
dav_payload(struct xmlw *w, const struct provider *p, const struct ids *ids,
    const struct dav *dav, const char *url, const struct server *in)
{
	const char *prefix = dav->prefix;
	char key[64], host[DOMAIN_MAX + 3];
	bool tls = strncmp(url, "https://", 8) == 0;
	const char *h = url + (tls ? 8 : 7), *end = h + strcspn(h, "/?#");
	const char *colon = NULL;
	unsigned int port = tls ? 443 : 80;
	size_t n;

	/* The loader vetted the URL; [v6] literals keep their colons. */
	for (const char *c = h; c < end; c++)
		if (*c == ':' && (h[0] != '[' || c[-1] == ']'))
			colon = c;
	if (colon != NULL) {
		port = 0;
		for (const char *d = colon + 1; d < end; d++)
			port = port * 10 + (unsigned int)(*d - '0');
		end = colon;
	}
	if (h[0] == '[' && end > h + 1 && end[-1] == ']') {
		h++;
		end--;
	}
	n = (size_t)(end - h) < sizeof(host) ? (size_t)(end - h) :
	    sizeof(host) - 1;
	memcpy(host, h, n);
	host[n] = '\0';

	xmlw_start(w, "dict");
	snprintf(key, sizeof(key), "%sAccountDescription", prefix);
	pl_stringf(w, key, "%s %s", p->short_name, dav->what);
	snprintf(key, sizeof(key), "%sHostName", prefix);
	pl_string(w, key, host);
	snprintf(key, sizeof(key), "%sPort", prefix);
	pl_int(w, key, port);
	snprintf(key, sizeof(key), "%sPrincipalURL", prefix);
	pl_string(w, key, url);
	snprintf(key, sizeof(key), "%sUseSSL", prefix);
	pl_bool(w, key, tls);
	/* The mail login is the account's login. */
	snprintf(key, sizeof(key), "%sUsername", prefix);
	pl_username(w, key, in->username, ids->em);
	pl_stringf(w, "PayloadDisplayName", "%s %s", p->short_name, dav->what);
	pl_payload(w, ids, dav->kind, dav->type);
	xmlw_end(w);
}

/* "example.com" -> "com.example". */
static void
reverse_dns(const char *d, char *out, size_t outsz)
{
	size_t o = 0, n = strlen(d);

	out[0] = '\0';
	while (n > 0) {
		size_t start = n;

		while (start > 0 && d[start - 1] != '.')
			start--;
		o += (size_t)snprintf(out + o, outsz - o, "%s%.*s",
		    o ? "." : "", (int)(n - start), d + start);
		if (o >= outsz)
			return;
		n = start > 0 ? start - 1 : 0;
	}
}

int
render_mobileconfig(const struct provider *p, const struct email *em,
    struct buf *out)
{
	const struct server *in, *sout;
	char name[EMAIL_MAX + DOMAIN_MAX + 32];
	struct ids ids = { .em = em };
	struct xmlw w;

	if (!mobileconfig_servers(p, &in, &sout))
		return -1;
	if (p->mobileconfig.identifier != NULL)
		snprintf(ids.prefix, sizeof(ids.prefix), "%s",
		    p->mobileconfig.identifier);
	else
		reverse_dns(p->id, ids.prefix, sizeof(ids.prefix));
	snprintf(name, sizeof(name), "%s\n%s\nprofile", em->domain, em->addr);
	uuid_v5(profile_ns, name, ids.uuid);

	xmlw_open_doctype(&w, "plist", "-//Apple//DTD PLIST 1.0//EN",
	    "http://www.apple.com/DTDs/PropertyList-1.0.dtd");
	xmlw_start(&w, "plist");
	xmlw_attr(&w, "version", "1.0");
	xmlw_start(&w, "dict");
	xmlw_text_elem(&w, "key", "PayloadContent");
	xmlw_start(&w, "array");
	mail_payload(&w, p, &ids, in, sout);
	if (p->caldav != NULL)
		dav_payload(&w, p, &ids, &caldav, p->caldav, in);
	if (p->carddav != NULL)
		dav_payload(&w, p, &ids, &carddav, p->carddav, in);
	xmlw_end(&w);	/* array */
	pl_stringf(&w, "PayloadDescription", "Sets up %s for %s.", em->addr,
	    p->name);
	pl_stringf(&w, "PayloadDisplayName", "%s (%s)", p->name, em->addr);
	pl_string(&w, "PayloadOrganization", p->mobileconfig.organization ?
	    p->mobileconfig.organization : p->name);
	pl_bool(&w, "PayloadRemovalDisallowed", false);
	pl_payload(&w, &ids, NULL, "Configuration");
	xmlw_end(&w);	/* dict */
	xmlw_end(&w);	/* plist */
	return xmlw_close(&w, out);
}

/* The payload kinds, in the order of their HOLE_UUID_* holes. */
static const char *const uuid_kinds[4] = { "profile", "mail", "caldav",
    "carddav" };

void
mobileconfig_values(const struct provider *p, const struct email *em,
    char uuids[4][UUID_STR_LEN + 1], struct splice_values *v)
{
	char name[EMAIL_MAX + DOMAIN_MAX + 32];
	size_t dlen = strlen(em->domain), alen = strlen(em->addr), n;

	splice_address_values(em, v);
	/* "domain\naddress\n", then the kind: as pl_payload() names them. */
	memcpy(name, em->domain, dlen);
	name[dlen] = '\n';
	memcpy(name + dlen + 1, em->addr, alen);
	name[dlen + 1 + alen] = '\n';
	n = dlen + alen + 2;
	for (size_t k = 0; k < 4; k++) {
		/* A hash each: only for the payloads there are. */
		if ((k == 2 && p->caldav == NULL) ||
		    (k == 3 && p->carddav == NULL))
			continue;
		memcpy(name + n, uuid_kinds[k], strlen(uuid_kinds[k]) + 1);
		uuid_v5(profile_ns, name, uuids[k]);
		v->s[HOLE_UUID_PROFILE + k] = uuids[k];
		v->len[HOLE_UUID_PROFILE + k] = UUID_STR_LEN;
	}
}

static int
render_for(const void *arg, struct splice_user *u, struct buf *out)
{
	const struct provider *p = arg;
	struct provider_view v;
	int r;

	mobileconfig_values(p, &u->em, u->uuid, &u->v);
	/* Host names with %EMAILDOMAIN% hold the stand-in's domain: holes. */
	provider_view(p, u->em.domain, &v);
	r = render_mobileconfig(&v.p, &u->em, out);
	provider_view_free(&v);
	return r;
}

int
render_mobileconfig_splice(const struct provider *p, struct splice *sp)
{
	const struct server *in, *out;

	memset(sp, 0, sizeof(*sp));
	if (!mobileconfig_servers(p, &in, &out))
		return 0;	/* no profile: the endpoint answers 404 */
	return splice_build(sp, render_for, p, false);
}

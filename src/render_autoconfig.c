#include "config.h"

#include <string.h>
#include <strings.h>

#include <libxml/xmlwriter.h>

#include "render.h"
#include "xmlw.h"

static const char *
socket_type(enum security s)
{
	switch (s) {
	case SEC_SSL: return "SSL";
	case SEC_STARTTLS: return "STARTTLS";
	default: return "plain";
	}
}

static void
server(struct xmlw *w, const struct server *s)
{
	xmlw_start(w, s->proto == PROTO_SMTP ? "outgoingServer" :
	    s->proto == PROTO_MANAGESIEVE ? "setupServer" : "incomingServer");
	xmlw_attr(w, "type", proto_name(s->proto));
	xmlw_text_elem(w, "hostname", s->host);
	xmlw_uint_elem(w, "port", s->port);
	xmlw_text_elem(w, "socketType", socket_type(s->security));
	xmlw_text_elem(w, "username", s->username);
	for (size_t i = 0; i < s->nauth; i++)
		xmlw_text_elem(w, "authentication", auth_name(s->auth[i]));
	if (s->proto == PROTO_POP3 && s->leave_on_server) {
		xmlw_start(w, "pop3");
		xmlw_text_elem(w, "leaveMessagesOnServer", "true");
		xmlw_end(w);
	}
	xmlw_end(w);
}

/* The account's first incoming mail server: its login is the login of
 * the provider's other services. NULL if it has none. */
static const struct server *
account_server(const struct provider *p)
{
	for (size_t i = 0; i < p->nservers; i++)
		if (proto_incoming(p->servers[i].proto) &&
		    server_advertised(&p->servers[i]))
			return &p->servers[i];
	return NULL;
}

static const char *
account_user(const struct provider *p)
{
	const struct server *s = account_server(p);

	return s != NULL ? s->username : "%EMAILADDRESS%";
}

/* The IETF draft's (version 1.2) <calendar>, <addressbook> and <fileShare>:
 * at the root, text children only (an attribute on a text element makes
 * Thunderbird reject the file); clients that do not know them skip them. */
static void
dav(struct xmlw *w, const struct provider *p, const char *elem,
    const char *type, const char *url)
{
	if (url == NULL)
		return;
	xmlw_start(w, elem);
	xmlw_attr(w, "type", type);
	xmlw_text_elem(w, "url", url);
	if (p->oauth2 != NULL)
		xmlw_text_elem(w, "authentication", "OAuth2");
	xmlw_text_elem(w, "authentication", "basic");
	xmlw_text_elem(w, "username", account_user(p));
	xmlw_end(w);
}

/* The methods of a service reached by URL: those of the account's mail
 * login that HTTP carries, in its order, as values Thunderbird maps (the
 * draft's "http-basic" is not one: Thunderbird would drop the entry). A
 * password travels as HTTP Basic, "password-cleartext"; a login without
 * one gets it last, as Thunderbird takes OAuth2 only for hosts it knows. */
static void
http_auth(struct xmlw *w, const struct provider *p)
{
	const struct server *s = account_server(p);
	bool pw = false;

	for (size_t i = 0; s != NULL && i < s->nauth; i++) {
		enum auth a = s->auth[i];

		if (a == AUTH_OAUTH2 || a == AUTH_NTLM || a == AUTH_GSSAPI)
			xmlw_text_elem(w, "authentication", auth_name(a));
		else if ((a == AUTH_PASSWORD_CLEARTEXT ||
		    a == AUTH_PASSWORD_ENCRYPTED) && !pw) {
			xmlw_text_elem(w, "authentication",
			    auth_name(AUTH_PASSWORD_CLEARTEXT));
			pw = true;
		}
	}
	if (!pw)
		xmlw_text_elem(w, "authentication",
		    auth_name(AUTH_PASSWORD_CLEARTEXT));
}

/* A draft-06 URL-based <incomingServer> (ews, owa, jmap, activesync),
 * https only. No <hostname>, <port> or <socketType>: Thunderbird takes
 * them from the URL; Thunderbird for Android reads imap servers only and
 * skips these whole. */
static void
url_server(struct xmlw *w, const struct provider *p, const char *type,
    const char *url)
{
	if (url == NULL || strncmp(url, "https://", 8) != 0)
		return;
	xmlw_start(w, "incomingServer");
	xmlw_attr(w, "type", type);
	xmlw_text_elem(w, "url", url);
	xmlw_text_elem(w, "username", account_user(p));
	http_auth(w, p);
	xmlw_end(w);
}

/* Outlook on the web: the webmail of an Exchange provider when it is the
 * usual /owa/ path; otherwise nothing says the webmail is OWA. */
static const char *
owa_url(const struct provider *p)
{
	const char *u = p->webmail, *path;

	if (p->ews == NULL || u == NULL || strncmp(u, "https://", 8) != 0)
		return NULL;
	path = strchr(u + 8, '/');
	if (path != NULL && (strcasecmp(path, "/owa") == 0 ||
	    strcasecmp(path, "/owa/") == 0))
		return u;
	return NULL;
}

int
render_autoconfig(const struct provider *p, struct buf *out)
{
	struct xmlw w;
	size_t i, ndom = 0;

	xmlw_open(&w);
	xmlw_start(&w, "clientConfig");
	xmlw_attr(&w, "version", "1.1");
	xmlw_start(&w, "emailProvider");
	xmlw_attr(&w, "id", p->id);
	/* Wildcards are for routing; a client only wants real domains. */
	for (i = 0; i < p->ndomains; i++) {
		if (p->domains[i][0] == '*')
			continue;
		xmlw_text_elem(&w, "domain", p->domains[i]);
		ndom++;
	}
	if (ndom == 0)
		xmlw_text_elem(&w, "domain", p->id);
	/* draft-06: the MX domains the file is also for. Thunderbird skips
	 * a <domain> with an attribute and needs the plain one above. */
	for (i = 0; i < p->nmx_domains; i++) {
		xmlw_start(&w, "domain");
		xmlw_attr(&w, "purpose", "mx");
		xmlw_text(&w, p->mx_domains[i]);
		xmlw_end(&w);
	}
	xmlw_text_elem(&w, "displayName", p->name);
	xmlw_text_elem(&w, "displayShortName", p->short_name);
	/* Incoming before outgoing, each in the admin's preference order.
	 * The URL-based servers come after IMAP and POP3: Thunderbird makes
	 * the first incoming server it reads the account, so they never
	 * displace the mail servers. */
	for (i = 0; i < p->nservers; i++)
		if (proto_incoming(p->servers[i].proto) &&
		    server_advertised(&p->servers[i]))
			server(&w, &p->servers[i]);
	url_server(&w, p, "ews", p->ews);
	url_server(&w, p, "owa", owa_url(p));
	url_server(&w, p, "jmap", p->jmap);
	url_server(&w, p, "activesync", p->activesync);
	for (i = 0; i < p->nservers; i++)
		if (p->servers[i].proto == PROTO_SMTP &&
		    server_advertised(&p->servers[i]))
			server(&w, &p->servers[i]);
	if (p->documentation != NULL) {
		xmlw_start(&w, "documentation");
		xmlw_attr(&w, "url", p->documentation);
		xmlw_start(&w, "descr");
		xmlw_attr(&w, "lang", "en");
		xmlw_printf(&w, "%s mail settings", p->name);
		xmlw_end(&w);
		xmlw_end(&w);
	}
	xmlw_end(&w);	/* emailProvider */
	if (p->webmail != NULL) {
		xmlw_start(&w, "webMail");
		xmlw_start(&w, "loginPage");
		xmlw_attr(&w, "url", p->webmail);
		xmlw_end(&w);
		xmlw_end(&w);
	}
	dav(&w, p, "calendar", "caldav", p->caldav);
	dav(&w, p, "addressbook", "carddav", p->carddav);
	dav(&w, p, "fileShare", "webdav", p->webdav);
	/* ManageSieve: the draft's <setupServer>, at the root. */
	for (i = 0; i < p->nservers; i++)
		if (p->servers[i].proto == PROTO_MANAGESIEVE &&
		    server_advertised(&p->servers[i]))
			server(&w, &p->servers[i]);
	if (p->oauth2 != NULL) {
		xmlw_start(&w, "oAuth2");
		xmlw_text_elem(&w, "issuer", p->oauth2->issuer);
		if (p->oauth2->scope != NULL)
			xmlw_text_elem(&w, "scope", p->oauth2->scope);
		if (p->oauth2->auth_url != NULL)
			xmlw_text_elem(&w, "authURL", p->oauth2->auth_url);
		if (p->oauth2->token_url != NULL)
			xmlw_text_elem(&w, "tokenURL", p->oauth2->token_url);
		xmlw_end(&w);
	}
	xmlw_end(&w);	/* clientConfig */
	return xmlw_close(&w, out);
}

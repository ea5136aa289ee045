#include "config.h"

#include <string.h>

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
	    "incomingServer");
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

/* The IETF draft's (version 1.2) <calendar>, <addressbook> and <fileShare>:
 * at the root, text children only (an attribute on a text element makes
 * Thunderbird reject the file); clients that do not know them skip them. */
static void
dav(struct xmlw *w, const struct provider *p, const char *elem,
    const char *type, const char *url)
{
	const char *user = "%EMAILADDRESS%";

	if (url == NULL)
		return;
	/* The mail login is the account's login. */
	for (size_t i = 0; i < p->nservers; i++)
		if (p->servers[i].proto != PROTO_SMTP &&
		    server_advertised(&p->servers[i])) {
			user = p->servers[i].username;
			break;
		}
	xmlw_start(w, elem);
	xmlw_attr(w, "type", type);
	xmlw_text_elem(w, "url", url);
	if (p->oauth2 != NULL)
		xmlw_text_elem(w, "authentication", "OAuth2");
	xmlw_text_elem(w, "authentication", "basic");
	xmlw_text_elem(w, "username", user);
	xmlw_end(w);
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
	/* Incoming before outgoing, each in the admin's preference order. */
	for (i = 0; i < p->nservers; i++)
		if (p->servers[i].proto != PROTO_SMTP &&
		    server_advertised(&p->servers[i]))
			server(&w, &p->servers[i]);
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

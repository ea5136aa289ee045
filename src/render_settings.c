/* The settings page for people: what the providers' help pages show
 * (protocol, server, port, encryption, authentication), generated from the
 * same model the clients get, so it never drifts. HTML for browsers, plain
 * text for curl. Every value from the config or the request is escaped. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "email.h"
#include "render.h"
#include "view.h"

/* Inline only (no external assets); its hash goes into the CSP. */
const char settings_css[] =
"body{font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",sans-serif;"
"margin:0;color:#1b1b1b;background:#fff}"
"main{max-width:72rem;margin:0 auto;padding:1.5rem}"
"h1{font-size:1.6rem;margin:0 0 .5rem}"
"form{margin:1rem 0;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}"
"input{font:inherit;padding:.4rem .6rem;border:1px solid #767676;"
"border-radius:4px;min-width:16rem}"
"button{font:inherit;padding:.4rem 1rem;border:1px solid #0b57d0;"
"border-radius:4px;background:#0b57d0;color:#fff}"
".scroll{overflow-x:auto;margin:1rem 0}"
"table{border-collapse:collapse;width:100%}"
"caption{text-align:left;font-weight:600;padding:.3rem 0}"
"th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #d0d0d0;"
"vertical-align:top}"
"thead th{background:#f2f2f2}"
"td.port{font-variant-numeric:tabular-nums}"
".rec{color:#0a6b2b;font-weight:600}"
".bad{color:#a50e0e;font-weight:600}"
"tr.plain td,tr.plain th{background:#fff4f4}"
".error{color:#a50e0e;font-weight:600}"
"th span{font-weight:normal;white-space:nowrap}"
"code{font-family:ui-monospace,monospace;overflow-wrap:break-word}";

static const char *const proto_label[PROTO_COUNT] = {
	[PROTO_IMAP] = "IMAP", [PROTO_POP3] = "POP3", [PROTO_SMTP] = "SMTP",
	[PROTO_MANAGESIEVE] = "ManageSieve",
};
static const char *const proto_role[PROTO_COUNT] = {
	[PROTO_IMAP] = "incoming", [PROTO_POP3] = "incoming",
	[PROTO_SMTP] = "outgoing", [PROTO_MANAGESIEVE] = "mail filters",
};

static const char *
security_label(enum security s)
{
	switch (s) {
	case SEC_SSL: return "SSL/TLS";
	case SEC_STARTTLS: return "STARTTLS";
	default: return "None";
	}
}

/* The words providers' help pages use. */
static const char *
auth_label(enum auth a)
{
	switch (a) {
	case AUTH_PASSWORD_CLEARTEXT: return "Normal password";
	case AUTH_PASSWORD_ENCRYPTED: return "Encrypted password";
	case AUTH_NTLM: return "NTLM";
	case AUTH_GSSAPI: return "Kerberos / GSSAPI";
	case AUTH_TLS_CLIENT_CERT: return "TLS certificate";
	case AUTH_OAUTH2: return "OAuth2";
	case AUTH_CLIENT_IP_ADDRESS: return "None (by network address)";
	case AUTH_NONE: return "None";
	case AUTH_SMTP_AFTER_POP: return "SMTP after POP";
	default: return "?";
	}
}

/* The provider's other addresses, in the order the page lists them. */
static const struct {
	const char *label;
	size_t off;
} links[] = {
	{ "Help", offsetof(struct provider, documentation) },
	{ "Webmail", offsetof(struct provider, webmail) },
	{ "Calendar (CalDAV)", offsetof(struct provider, caldav) },
	{ "Contacts (CardDAV)", offsetof(struct provider, carddav) },
	{ "Files (WebDAV)", offsetof(struct provider, webdav) },
	{ "JMAP", offsetof(struct provider, jmap) },
	{ "Exchange (EWS)", offsetof(struct provider, ews) },
};

static const char *
link_url(const struct provider *p, size_t i)
{
	return *(const char *const *)(const void *)((const char *)p +
	    links[i].off);
}

enum mark { MARK_RECOMMENDED, MARK_ALTERNATIVE, MARK_NOT_RECOMMENDED };

/* Calls fn for every server: protocol by protocol, encrypted ones in the
 * admin's order (the first is recommended), plain ones last. */
static void
each_server(const struct provider *p,
    void (*fn)(const struct settings_view *, const struct server *, enum mark,
    struct buf *), const struct settings_view *v, struct buf *out)
{
	for (int k = 0; k < PROTO_COUNT; k++) {
		bool first = true;

		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < p->nservers; i++) {
				const struct server *s = &p->servers[i];

				if (s->proto != (enum proto)k ||
				    server_advertised(s) != (pass == 0))
					continue;
				fn(v, s, pass == 1 ? MARK_NOT_RECOMMENDED :
				    first ? MARK_RECOMMENDED : MARK_ALTERNATIVE,
				    out);
				first = false;
			}
	}
}

static void
username(const struct settings_view *v, const struct server *s,
    struct buf *out)
{
	if (v->em != NULL && email_expand(s->username, v->em, out) == 0)
		return;
	out->len = 0;
	if (strcmp(s->username, "%EMAILADDRESS%") == 0)
		buf_puts(out, "your full email address");
	else if (strcmp(s->username, "%EMAILLOCALPART%") == 0)
		buf_puts(out, "the part of your address before the @");
	else
		buf_puts(out, s->username);
}

static const char *
mark_label(enum mark m)
{
	switch (m) {
	case MARK_RECOMMENDED: return "Recommended";
	case MARK_ALTERNATIVE: return "Alternative";
	default: return "Not recommended: no encryption";
	}
}

/* ---- HTML ------------------------------------------------------------ */

static void
h(struct buf *out, const char *s)
{
	buf_html_escape(out, s);
}

static void
html_row(const struct settings_view *v, const struct server *s, enum mark m,
    struct buf *out)
{
	struct buf u = { 0 };

	username(v, s, &u);
	buf_printf(out, "<tr%s><th scope=\"row\">%s <span>(%s)</span></th>"
	    "<td><code>", m == MARK_NOT_RECOMMENDED ? " class=\"plain\"" : "",
	    proto_label[s->proto], proto_role[s->proto]);
	h(out, s->host);
	buf_printf(out, "</code></td><td class=\"port\">%u</td><td>%s</td><td>",
	    s->port, security_label(s->security));
	for (size_t i = 0; i < s->nauth; i++) {
		buf_puts(out, i ? "<br>" : "");
		h(out, auth_label(s->auth[i]));
	}
	buf_puts(out, "</td><td><code>");
	h(out, u.data != NULL ? u.data : "");
	buf_printf(out, "</code></td><td class=\"%s\">%s</td></tr>\n",
	    m == MARK_RECOMMENDED ? "rec" : m == MARK_NOT_RECOMMENDED ? "bad" :
	    "alt", mark_label(m));
	buf_free(&u);
}

static void
html_links(const struct provider *p, struct buf *out)
{
	bool any = false;

	for (size_t i = 0; i < ARRAY_LEN(links); i++) {
		const char *url = link_url(p, i);

		if (url == NULL)
			continue;
		buf_printf(out, "%s<li>%s: <a href=\"", any ? "" : "<ul>\n",
		    links[i].label);
		h(out, url);
		buf_puts(out, "\">");
		h(out, url);
		buf_puts(out, "</a></li>\n");
		any = true;
	}
	if (any)
		buf_puts(out, "</ul>\n");
}

/* Percent-encodes all but RFC 3986 unreserved characters: safe in a query
 * and, as it leaves no '&', '<' or quote, in an HTML attribute. */
static void
url_encode(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~@", c) != NULL)
			buf_putc(out, (char)c);
		else
			buf_printf(out, "%%%02X", c);
	}
}

static void
html_profile_link(const struct settings_view *v, struct buf *out)
{
	const struct server *in, *sout;

	if (v->em == NULL || !mobileconfig_servers(v->p, &in, &sout))
		return;
	buf_puts(out, "<p>On an iPhone, iPad or Mac: <a href=\""
	    "email.mobileconfig?emailaddress=");
	url_encode(out, v->em->addr);
	buf_puts(out, "\">install the configuration profile</a>, then "
	    "enter your password.</p>\n");
}

int
render_settings_html(const struct settings_view *v, struct buf *out)
{
	const struct provider *p = v->p;

	buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
	    "<title>");
	if (p != NULL) {
		h(out, p->name);
		buf_puts(out, " – mail settings");
	} else
		buf_puts(out, "Mail settings");
	buf_printf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n"
	    "<h1>", settings_css);
	if (p != NULL) {
		buf_puts(out, "Mail settings for ");
		h(out, p->name);
	} else
		buf_puts(out, "Mail settings");
	buf_puts(out, "</h1>\n");
	if (v->em != NULL) {
		buf_puts(out, "<p>For <strong>");
		h(out, v->em->addr);
		buf_puts(out, "</strong>.</p>\n");
	}

	buf_puts(out, "<form method=\"get\" action=\"settings\">"
	    "<label for=\"emailaddress\">Your email address</label>"
	    "<input type=\"email\" id=\"emailaddress\" name=\"emailaddress\" "
	    "autocomplete=\"email\" required");
	if (v->typed != NULL) {
		buf_puts(out, " value=\"");
		h(out, v->typed);
		buf_puts(out, "\"");
	}
	buf_puts(out, "><button type=\"submit\">Show settings</button>"
	    "</form>\n");
	if (v->error != NULL) {
		buf_puts(out, "<p class=\"error\" role=\"alert\">");
		h(out, v->error);
		buf_puts(out, "</p>\n");
	}

	if (p != NULL) {
		buf_puts(out, "<p>Most mail apps set themselves up from your "
		    "address and password alone. If yours asks, enter these "
		    "settings.</p>\n<div class=\"scroll\" role=\"region\" "
		    "aria-label=\"Servers\" tabindex=\"0\">\n<table>\n"
		    "<caption>Servers</caption>\n"
		    "<thead><tr><th scope=\"col\">Protocol</th>"
		    "<th scope=\"col\">Server</th><th scope=\"col\">Port</th>"
		    "<th scope=\"col\">Encryption</th>"
		    "<th scope=\"col\">Authentication</th>"
		    "<th scope=\"col\">Username</th>"
		    "<th scope=\"col\">Use</th></tr></thead>\n<tbody>\n");
		each_server(p, html_row, v, out);
		buf_puts(out, "</tbody>\n</table>\n</div>\n");
		html_profile_link(v, out);
		html_links(p, out);
		buf_puts(out, "<p>These settings are for addresses at ");
		for (size_t i = 0, n = 0; i < p->ndomains; i++) {
			if (p->domains[i][0] == '*')
				continue;
			buf_puts(out, n++ ? ", " : "");
			h(out, p->domains[i]);
		}
		buf_puts(out, ".</p>\n");
	}
	buf_puts(out, "</main>\n</body>\n</html>\n");
	return 0;
}

/* ---- plain text ----------------------------------------------------- */

static void
text_server(const struct settings_view *v, const struct server *s,
    enum mark m, struct buf *out)
{
	struct buf u = { 0 };

	username(v, s, &u);
	buf_printf(out, "\n%s (%s): %s\n  Server:          %s\n"
	    "  Port:            %u\n  Encryption:      %s\n"
	    "  Authentication:  ", proto_label[s->proto],
	    proto_role[s->proto], mark_label(m), s->host, s->port,
	    security_label(s->security));
	for (size_t i = 0; i < s->nauth; i++)
		buf_printf(out, "%s%s", i ? ", " : "", auth_label(s->auth[i]));
	buf_printf(out, "\n  Username:        %s\n", u.data != NULL ? u.data : "");
	buf_free(&u);
}

int
render_settings_text(const struct settings_view *v, struct buf *out)
{
	const struct provider *p = v->p;

	if (v->error != NULL)
		buf_printf(out, "error: %s\n\n", v->error);
	if (p == NULL) {
		buf_puts(out, "Mail settings: add your address, as in\n"
		    "  curl 'https://<this server>/settings?emailaddress="
		    "you@example.com'\n");
		return 0;
	}
	buf_printf(out, "Mail settings for %s", p->name);
	if (v->em != NULL)
		buf_printf(out, " (%s)", v->em->addr);
	buf_puts(out, "\n");
	each_server(p, text_server, v, out);
	buf_puts(out, "\n");
	for (size_t i = 0; i < ARRAY_LEN(links); i++)
		if (link_url(p, i) != NULL)
			buf_printf(out, "%s:%*s%s\n", links[i].label,
			    (int)(18 - strlen(links[i].label)), "",
			    link_url(p, i));
	return 0;
}

static int
text_for(const void *arg, struct splice_user *u, struct buf *out)
{
	struct provider_view pv;
	struct settings_view v = { .em = &u->em, .typed = u->em.addr };
	int r;

	splice_address_values(&u->em, &u->v);
	provider_view(arg, u->em.domain, &pv);
	v.p = &pv.p;
	r = render_settings_text(&v, out);
	provider_view_free(&pv);
	return r;
}

int
render_settings_text_splice(const struct provider *p, struct splice *sp)
{
	return splice_build(sp, text_for, p, true);
}

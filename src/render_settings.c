/* The settings page for people: what the providers' help pages show
 * (protocol, server, port, encryption, authentication), generated from the
 * same model the clients get, so it never drifts. HTML for browsers, plain
 * text for curl. Every value from the config or the request is escaped. */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "email.h"
#include "render.h"
#include "view.h"

/* Inline only (no external assets); its hash goes into the CSP. Colours
 * come from variables that a dark scheme swaps. Under 40rem (a phone) the
 * table becomes one column of cards, each cell labelled by its data-label,
 * so that nothing needs scrolling sideways. */
const char settings_css[] =
":root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--muted:#595959;"
"--line:#d0d0d0;--head:#f2f2f2;--accent:#0b57d0;--on-accent:#fff;"
"--rec:#0a6b2b;--bad:#a50e0e;--plain:#fff4f4}"
"@media (prefers-color-scheme:dark){:root{--fg:#e8e8e8;--bg:#121212;"
"--muted:#b4b4b4;--line:#3c3c3c;--head:#1f1f1f;--accent:#8ab4f8;"
"--on-accent:#0b1a33;--rec:#81e6a3;--bad:#ff9c9c;--plain:#2b1717}}"
"body{font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",sans-serif;"
"margin:0;color:var(--fg);background:var(--bg);overflow-wrap:break-word}"
"main{max-width:72rem;margin:0 auto;padding:1.5rem}"
"h1{font-size:1.6rem;margin:0 0 .5rem}"
"a{color:var(--accent)}"
"form{margin:1rem 0;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}"
"input{font:inherit;padding:.4rem .6rem;border:1px solid #767676;"
"border-radius:4px;min-width:0;flex:1 1 14rem;max-width:24rem;"
"color:var(--fg);background:var(--bg)}"
"button,a.button{font:inherit;padding:.4rem 1rem;border:1px solid "
"var(--accent);border-radius:4px;background:var(--accent);"
"color:var(--on-accent)}"
"a.button{display:inline-block;text-decoration:none;font-weight:600;"
"padding:.6rem 1.2rem;margin:.25rem 0}"
".profile{margin:1rem 0}"
"button.copy{font-size:.8rem;padding:0 .5rem;margin-left:.5rem;"
"background:transparent;color:var(--accent)}"
"button.copy::after{content:\"Copy\"}"
"button.copy.done::after{content:\"Copied\"}"
"[hidden]{display:none!important}"
".offscreen{position:fixed;left:-100rem;top:0}"
".scroll{overflow-x:auto;margin:1rem 0}"
"table{border-collapse:collapse;width:100%}"
"caption{text-align:left;font-weight:600;padding:.3rem 0}"
"th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid "
"var(--line);vertical-align:top}"
"thead th{background:var(--head)}"
"td.port{font-variant-numeric:tabular-nums}"
".rec{color:var(--rec);font-weight:600}"
".bad{color:var(--bad);font-weight:600}"
"tr.plain td,tr.plain th{background:var(--plain)}"
".error{color:var(--bad);font-weight:600}"
"th span{font-weight:normal;white-space:nowrap}"
"code{font-family:ui-monospace,monospace}"
"td[data-label=Username] code{overflow-wrap:anywhere}"
"@media (max-width:40rem){body{overflow-wrap:anywhere}main{padding:1rem}"
"table,tbody,tr,th,td,caption{display:block}"
"thead{position:absolute;width:1px;height:1px;overflow:hidden;"
"clip-path:inset(50%);white-space:nowrap}"
"tr{border:1px solid var(--line);border-radius:8px;margin:0 0 1rem;"
"padding:.5rem .75rem}"
"tr.plain{background:var(--plain)}"
"th,td{border:0;padding:.15rem 0}"
"th[scope=row]{font-size:1.1rem;padding-bottom:.3rem}"
"td{display:flex;align-items:baseline;gap:.5rem}"
"td::before{content:attr(data-label);flex:0 0 7.5rem;color:var(--muted);"
"font-weight:normal;overflow-wrap:normal}"
"td .v{flex:1 1 0;min-width:0}}";

/* The page's one script, by its hash in the CSP: it shows the copy
 * buttons and copies the value before each. Without it the page is the
 * same, the buttons stay hidden. */
const char settings_js[] =
"(function(){"
"function fallback(t){var a=document.createElement(\"textarea\"),ok=false;"
"a.value=t;a.setAttribute(\"readonly\",\"\");a.className=\"offscreen\";"
"document.body.appendChild(a);a.select();"
"try{ok=document.execCommand(\"copy\")}catch(e){}"
"document.body.removeChild(a);return ok}"
"function copied(b){b.classList.add(\"done\");"
"setTimeout(function(){b.classList.remove(\"done\")},2000)}"
"document.querySelectorAll(\"button.copy\").forEach(function(b){"
"b.hidden=false;b.addEventListener(\"click\",function(){"
"var t=b.previousElementSibling.textContent;"
"if(navigator.clipboard&&window.isSecureContext)"
"navigator.clipboard.writeText(t).then(function(){copied(b)},"
"function(){if(fallback(t))copied(b)});"
"else if(fallback(t))copied(b)})})})();";

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

/* The username a client wants: the address filled in, or the config's
 * literal name; true then. Else (no address given) a description of it,
 * and false. */
static bool
username(const struct settings_view *v, const struct server *s,
    struct buf *out)
{
	if (strchr(s->username, '%') == NULL) {
		buf_puts(out, s->username);
		return true;
	}
	if (v->em != NULL && email_expand(s->username, v->em, out) == 0)
		return true;
	out->len = 0;
	if (strcmp(s->username, "%EMAILADDRESS%") == 0)
		buf_puts(out, "your full email address");
	else if (strcmp(s->username, "%EMAILLOCALPART%") == 0)
		buf_puts(out, "the part of your address before the @");
	else
		buf_puts(out, s->username);
	return false;
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

/* A value to type into a mail app, with its copy button (shown by the
 * script). */
static void
copyable(struct buf *out, const char *value, const char *what)
{
	buf_puts(out, "<span class=\"v\"><code>");
	h(out, value);
	buf_printf(out, "</code><button type=\"button\" class=\"copy\" "
	    "aria-label=\"Copy the %s\" hidden></button></span>", what);
}

static void
html_row(const struct settings_view *v, const struct server *s, enum mark m,
    struct buf *out)
{
	struct buf u = { 0 };
	char port[8];
	bool value = username(v, s, &u);

	buf_printf(out, "<tr%s><th scope=\"row\">%s <span>(%s)</span></th>"
	    "<td data-label=\"Server\">", m == MARK_NOT_RECOMMENDED ?
	    " class=\"plain\"" : "", proto_label[s->proto],
	    proto_role[s->proto]);
	copyable(out, s->host, "server name");
	snprintf(port, sizeof(port), "%u", s->port);
	buf_puts(out, "</td><td class=\"port\" data-label=\"Port\">");
	copyable(out, port, "port");
	buf_printf(out, "</td><td data-label=\"Encryption\"><span class=\"v\">"
	    "%s</span></td><td data-label=\"Authentication\"><span "
	    "class=\"v\">", security_label(s->security));
	for (size_t i = 0; i < s->nauth; i++) {
		buf_puts(out, i ? "<br>" : "");
		h(out, auth_label(s->auth[i]));
	}
	buf_puts(out, "</span></td><td data-label=\"Username\">");
	if (value)
		copyable(out, u.data, "username");
	else {
		buf_puts(out, "<span class=\"v\">");
		h(out, u.data);
		buf_puts(out, "</span>");
	}
	buf_printf(out, "</td><td class=\"%s\" data-label=\"Use\"><span "
	    "class=\"v\">%s</span></td></tr>\n", m == MARK_RECOMMENDED ? "rec" :
	    m == MARK_NOT_RECOMMENDED ? "bad" : "alt", mark_label(m));
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

/* The profile for Apple devices: a button at the top for their visitors,
 * a line after the table for the others. */
static void
html_profile_link(const struct settings_view *v, bool top, struct buf *out)
{
	const struct server *in, *sout;

	if (v->em == NULL || v->p == NULL || top != v->apple ||
	    !mobileconfig_servers(v->p, &in, &sout))
		return;
	if (top) {
		buf_puts(out, "<p class=\"profile\"><a class=\"button\" "
		    "id=\"profile\" href=\"email.mobileconfig?emailaddress=");
		url_encode(out, v->em->addr);
		buf_puts(out, "\">Install the profile</a><br>It sets up mail on "
		    "this iPhone, iPad or Mac; then enter your password.</p>\n");
		return;
	}
	buf_puts(out, "<p id=\"profile\">On an iPhone, iPad or Mac: <a href=\""
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
	    "initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light "
	    "dark\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
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
	html_profile_link(v, true, out);

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
		html_profile_link(v, false, out);
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
	buf_printf(out, "</main>\n<script>%s</script>\n</body>\n</html>\n",
	    settings_js);
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

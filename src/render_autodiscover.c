#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "xmlreq.h"
#include "xmlw.h"

static const char *
type_name(enum proto p)
{
	switch (p) {
	case PROTO_IMAP: return "IMAP";
	case PROTO_POP3: return "POP3";
	default: return "SMTP";
	}
}

/* Off only when no method of the server asks for credentials. */
static bool
auth_required(const struct server *s)
{
	for (size_t i = 0; i < s->nauth; i++)
		if (s->auth[i] != AUTH_NONE &&
		    s->auth[i] != AUTH_CLIENT_IP_ADDRESS)
			return true;
	return s->nauth == 0;
}

/* Writes a username template as text, with a hole for each placeholder;
 * the caller has left out templates with %REALNAME%, which no address
 * gives. */
static void
template_text(struct xmlw *w, const char *t, struct splice *sp)
{
	static const struct {
		const char *name;
		enum hole hole;
	} ph[] = {
		{ "%EMAILADDRESS%", HOLE_ADDRESS },
		{ "%EMAILLOCALPART%", HOLE_LOCALPART },
		{ "%EMAILDOMAIN%", HOLE_DOMAIN },
	};
	const char *lit = t, *p = t;

	while ((p = strchr(p, '%')) != NULL) {
		size_t i, n = 0;

		for (i = 0; i < ARRAY_LEN(ph); i++) {
			n = strlen(ph[i].name);
			if (strncmp(p, ph[i].name, n) == 0)
				break;
		}
		if (i == ARRAY_LEN(ph)) {	/* refused by conf.c anyway */
			p++;
			continue;
		}
		if (p > lit) {
			char *s = xstrndup(lit, (size_t)(p - lit));

			xmlw_text(w, s);
			free(s);
		}
		splice_add_hole(sp, xmlw_offset(w), ph[i].hole);
		p += n;
		lit = p;
	}
	if (*lit != '\0')
		xmlw_text(w, lit);
}

static void
protocol(struct xmlw *w, const struct server *s, struct splice *sp)
{
	xmlw_start(w, "Protocol");
	xmlw_text_elem(w, "Type", type_name(s->proto));
	/* mail.%EMAILDOMAIN%: a hole for the domain. */
	xmlw_start(w, "Server");
	template_text(w, s->host, sp);
	xmlw_end(w);
	xmlw_uint_elem(w, "Port", s->port);
	xmlw_text_elem(w, "DomainRequired", "off");
	/* A login that needs the user's name is unknown here: no element,
	 * so that the client asks. Thunderbird's Exchange setup reads an
	 * empty one as the login "true". */
	if (strstr(s->username, "%REALNAME%") == NULL) {
		xmlw_start(w, "LoginName");
		template_text(w, s->username, sp);
		xmlw_end(w);
	}
	/* Outlook assumes SPA (NTLM) when the element is missing. */
	xmlw_text_elem(w, "SPA", "off");
	/* "on"/"off": Thunderbird reads true/false as off. Only encrypted
	 * servers get here; Encryption tells implicit TLS from STARTTLS. */
	xmlw_text_elem(w, "SSL", "on");
	xmlw_text_elem(w, "Encryption", s->security == SEC_SSL ? "SSL" : "TLS");
	xmlw_text_elem(w, "AuthRequired", auth_required(s) ? "on" : "off");
	if (s->proto == PROTO_SMTP) {
		xmlw_text_elem(w, "UsePOPAuth", "off");
		xmlw_text_elem(w, "SMTPLast", "off");
	}
	xmlw_end(w);
}

static int
close_splice(struct xmlw *w, struct splice *sp)
{
	struct buf out = { 0 };

	if (xmlw_close(w, &out) < 0) {
		buf_free(&out);
		splice_free(sp);
		return -1;
	}
	sp->len = out.len;
	sp->data = buf_steal(&out);
	return 0;
}

int
render_ad_outlook(const struct provider *p, struct splice *sp)
{
	struct xmlw w;
	size_t i;

	memset(sp, 0, sizeof(*sp));
	xmlw_open(&w);
	xmlw_start_ns(&w, "Autodiscover", AD_NS_RESPONSE);
	xmlw_start_ns(&w, "Response", AD_NS_OUTLOOK_RESPONSE);
	/* The address the settings are for (MS-OXDSCLI): clients that
	 * followed redirects read it, exchangelib among them. No
	 * DisplayName: the person's name is not known here, and Outlook
	 * would take an empty or made-up one as the name on sent mail. */
	xmlw_start(&w, "User");
	xmlw_start(&w, "AutoDiscoverSMTPAddress");
	splice_add_hole(sp, xmlw_offset(&w), HOLE_ADDRESS);
	xmlw_end(&w);
	xmlw_end(&w);	/* User */
	xmlw_start(&w, "Account");
	xmlw_text_elem(&w, "AccountType", "email");
	xmlw_text_elem(&w, "Action", "settings");
	/* Incoming before outgoing, each in the admin's preference order,
	 * as in the autoconfig document. */
	for (i = 0; i < p->nservers; i++)
		if (proto_incoming(p->servers[i].proto) &&
		    server_advertised(&p->servers[i]))
			protocol(&w, &p->servers[i], sp);
	for (i = 0; i < p->nservers; i++)
		if (p->servers[i].proto == PROTO_SMTP &&
		    server_advertised(&p->servers[i]))
			protocol(&w, &p->servers[i], sp);
	xmlw_end(&w);	/* Account */
	xmlw_end(&w);	/* Response */
	xmlw_end(&w);	/* Autodiscover */
	return close_splice(&w, sp);
}

int
render_ad_mobilesync(const struct provider *p, struct splice *sp)
{
	struct xmlw w;

	memset(sp, 0, sizeof(*sp));
	if (p->activesync == NULL)
		return 0;
	xmlw_open(&w);
	xmlw_start_ns(&w, "Autodiscover", AD_NS_RESPONSE);
	xmlw_start_ns(&w, "Response", AD_NS_MOBILESYNC_RESPONSE);
	xmlw_text_elem(&w, "Culture", "en:en");
	xmlw_start(&w, "User");
	xmlw_start(&w, "EMailAddress");
	splice_add_hole(sp, xmlw_offset(&w), HOLE_ADDRESS);
	xmlw_end(&w);
	xmlw_end(&w);	/* User */
	xmlw_start(&w, "Action");
	xmlw_start(&w, "Settings");
	xmlw_start(&w, "Server");
	xmlw_text_elem(&w, "Type", "MobileSync");
	xmlw_start(&w, "Url");
	template_text(&w, p->activesync, sp);
	xmlw_end(&w);
	xmlw_start(&w, "Name");
	template_text(&w, p->activesync, sp);
	xmlw_end(&w);
	xmlw_end(&w);	/* Server */
	xmlw_end(&w);	/* Settings */
	xmlw_end(&w);	/* Action */
	xmlw_end(&w);	/* Response */
	xmlw_end(&w);	/* Autodiscover */
	return close_splice(&w, sp);
}

int
render_ad_error(unsigned int code, const char *message, const char *time,
    const char *id, struct buf *out)
{
	struct xmlw w;

	/* The base namespace only: clients read an error there whatever
	 * schema they asked for. */
	xmlw_open(&w);
	xmlw_start_ns(&w, "Autodiscover", AD_NS_RESPONSE);
	xmlw_start(&w, "Response");
	xmlw_start(&w, "Error");
	xmlw_attr(&w, "Time", time);
	xmlw_attr(&w, "Id", id);
	xmlw_uint_elem(&w, "ErrorCode", code);
	xmlw_text_elem(&w, "Message", message);
	xmlw_start(&w, "DebugData");
	xmlw_end(&w);
	xmlw_end(&w);	/* Error */
	xmlw_end(&w);	/* Response */
	xmlw_end(&w);	/* Autodiscover */
	return xmlw_close(&w, out);
}

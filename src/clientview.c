#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clientview.h"

static const char *const titles[CLIENT_COUNT] = {
	[CLIENT_THUNDERBIRD] = "Thunderbird",
	[CLIENT_THUNDERBIRD_ANDROID] = "Thunderbird for Android, K-9 Mail",
	[CLIENT_OUTLOOK] = "Outlook",
	[CLIENT_APPLE] = "Apple Mail (macOS, iOS)",
	[CLIENT_EVOLUTION] = "Evolution, KMail, Geary",
	[CLIENT_PACC] = "PACC clients",
};

const char *
family_title(enum client c)
{
	return titles[c];
}

int
family_by_name(const char *name)
{
	for (int c = FAMILY_FIRST; c < FAMILY_END; c++)
		if (strcmp(client_name((enum client)c), name) == 0)
			return c;
	return -1;
}

const char *
verdict_name(enum verdict o)
{
	switch (o) {
	case VERDICT_WORKS: return "works";
	case VERDICT_FALLBACK: return "fallback";
	default: return "fails";
	}
}

void
view_note(struct client_view *v, const char *fmt, ...)
{
	size_t n = strlen(v->reason);
	va_list ap;

	if (n > 0 && n + 2 < sizeof(v->reason)) {
		memcpy(v->reason + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(v->reason + n, sizeof(v->reason) - n, fmt, ap);
	va_end(ap);
}

void
view_set(struct client_view *v, enum verdict o, const char *fmt, ...)
{
	va_list ap;

	v->outcome = o;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

bool
acct_same(const struct acct_server *a, const struct acct_server *b)
{
	if (a->set != b->set)
		return false;
	return !a->set || (strcmp(a->protocol, b->protocol) == 0 &&
	    ascii_strcasecmp(a->host, b->host) == 0 && a->port == b->port &&
	    a->security == b->security && strcmp(a->auth, b->auth) == 0 &&
	    strcmp(a->username, b->username) == 0);
}

void
acct_describe(const struct acct_server *s, char *out, size_t outsz)
{
	if (!s->set)
		snprintf(out, outsz, "none");
	else
		snprintf(out, outsz, "%s %s:%ld %s", s->protocol, s->host,
		    s->port, security_name(s->security));
}

/* The username as the client fills it in: the address placeholders
 * replaced, %REALNAME% (the name the person typed) left as it is. */
static void
fill_username(const char *tmpl, const struct email *em, char *out,
    size_t outsz)
{
	static const char *const ph[] = { "%EMAILADDRESS%",
	    "%EMAILLOCALPART%", "%EMAILDOMAIN%" };
	struct buf b = { 0 };
	const char *p = tmpl;

	while (*p != '\0') {
		size_t i, n = 0;

		for (i = 0; i < ARRAY_LEN(ph); i++) {
			n = strlen(ph[i]);
			if (strncmp(p, ph[i], n) == 0)
				break;
		}
		if (i == 0)
			buf_puts(&b, em->addr);
		else if (i == 1)
			buf_add(&b, em->addr, em->local_len);
		else if (i == 2)
			buf_puts(&b, em->domain);
		else {
			buf_putc(&b, *p);
			n = 1;
		}
		p += n;
	}
	snprintf(out, outsz, "%s", b.data != NULL ? b.data : "");
	buf_free(&b);
}

static bool
in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static bool
security_of_socket(const char *socket, enum security *sec)
{
	if (strcmp(socket, "SSL") == 0)
		*sec = SEC_SSL;
	else if (strcmp(socket, "STARTTLS") == 0)
		*sec = SEC_STARTTLS;
	else if (strcmp(socket, "plain") == 0)
		*sec = SEC_PLAIN;
	else
		return false;
	return true;
}

static bool
valid_host(const char *h)
{
	char norm[DOMAIN_MAX + 1];
	const char *why;

	return h[0] != '\0' && domain_normalize(h, strlen(h), norm,
	    sizeof(norm), &why) == 0;
}

/* The host and port of an https URL (a draft-06 URL entry). */
static bool
url_host(const char *url, char *host, size_t hostsz, long *port)
{
	const char *h, *end, *colon;
	size_t n;

	if (strncmp(url, "https://", 8) != 0)
		return false;
	h = url + 8;
	end = h + strcspn(h, "/?#");
	colon = memchr(h, ':', (size_t)(end - h));
	*port = 443;
	if (colon != NULL) {
		*port = strtol(colon + 1, NULL, 10);
		end = colon;
	}
	n = (size_t)(end - h);
	if (n == 0 || n >= hostsz || *port < 1 || *port > 65535)
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	return valid_host(host);
}

static bool
is_placeholder_realname(const char *u)
{
	return strstr(u, "%REALNAME%") != NULL;
}

/* ---- Thunderbird desktop ------------------------------------------- */

static const char *const tb_incoming[] = { "imap", "pop3", "nntp", "ews",
    "owa", "exchange" };
static const char *const tb_auth[] = { "password-cleartext",
    "password-encrypted", "GSSAPI", "NTLM" };
static const char *const tb_auth_out[] = { "none", "client-IP-address",
    "smtp-after-pop" };

enum tb_verdict { TB_OK, TB_TYPE, TB_FLAW };

/* The server Thunderbird builds from one section, each read on its own;
 * why says what it skipped the section for. */
static enum tb_verdict
tb_server(const struct ans_server *s, bool outgoing, const struct email *em,
    struct acct_server *acct, char *why, size_t whysz)
{
	const char *auth = NULL;
	bool oauth = false;

	memset(acct, 0, sizeof(*acct));
	if (outgoing ? strcmp(s->type, "smtp") != 0 :
	    !in_list(s->type, tb_incoming, ARRAY_LEN(tb_incoming))) {
		snprintf(why, whysz, "type %s is not one it reads", s->type);
		return TB_TYPE;
	}
	if (s->text_attr) {
		snprintf(why, whysz, "an element with an attribute");
		return TB_FLAW;
	}
	if (s->url[0] != '\0' && !outgoing) {
		if (!url_host(s->url, acct->host, sizeof(acct->host),
		    &acct->port)) {
			snprintf(why, whysz, "URL %s", s->url);
			return TB_FLAW;
		}
		acct->security = SEC_SSL;
	} else {
		if (!valid_host(s->host)) {
			snprintf(why, whysz, "hostname \"%s\"", s->host);
			return TB_FLAW;
		}
		if (s->port < 1 || s->port > 65535) {
			snprintf(why, whysz, "no valid port");
			return TB_FLAW;
		}
		if (!security_of_socket(s->socket, &acct->security)) {
			snprintf(why, whysz, "socketType \"%s\"", s->socket);
			return TB_FLAW;
		}
		snprintf(acct->host, sizeof(acct->host), "%s", s->host);
		acct->port = s->port;
	}
	for (size_t i = 0; i < s->nauth && auth == NULL; i++) {
		if (in_list(s->auth[i], tb_auth, ARRAY_LEN(tb_auth)) ||
		    (outgoing && in_list(s->auth[i], tb_auth_out,
		    ARRAY_LEN(tb_auth_out))))
			auth = s->auth[i];
		oauth |= strcmp(s->auth[i], "OAuth2") == 0;
	}
	if (auth == NULL) {
		snprintf(why, whysz, oauth ? "OAuth2 only, which Thunderbird "
		    "takes only for the providers it knows" :
		    "no authentication it knows");
		return TB_FLAW;
	}
	if (!s->has_username && strncmp(auth, "password", 8) == 0) {
		snprintf(why, whysz, "no username (it would log in as "
		    "\"undefined\")");
		return TB_FLAW;
	}
	acct->set = true;
	snprintf(acct->protocol, sizeof(acct->protocol), "%s", s->type);
	snprintf(acct->auth, sizeof(acct->auth), "%s", auth);
	fill_username(s->username, em, acct->username,
	    sizeof(acct->username));
	return TB_OK;
}

/* The first section of a direction Thunderbird can use; *skipped tells
 * whether an earlier one was dropped for a flaw, named in v's reason. */
static bool
tb_first(const struct ans_server *list, size_t n, bool outgoing,
    const struct email *em, struct acct_server *acct, struct client_view *v,
    bool *skipped)
{
	char why[ANS_URL + 64];

	for (size_t i = 0; i < n; i++) {
		enum tb_verdict r = tb_server(&list[i], outgoing, em, acct,
		    why, sizeof(why));

		if (r == TB_OK)
			return true;
		if (r == TB_FLAW) {
			*skipped = true;
			view_note(v, "skips %s %s:%ld: %s", list[i].type,
			    list[i].host[0] ? list[i].host : list[i].url,
			    list[i].port, why);
		}
	}
	return false;
}

static void
read_thunderbird(const struct ans_autoconfig *a, const struct email *em,
    struct client_view *v)
{
	bool skipped = false;

	v->reason[0] = '\0';
	if (a->ndomains == 0) {
		view_set(v, VERDICT_FAILS, "the file has no plain <domain>");
		return;
	}
	if (!tb_first(a->in, a->nin, false, em, &v->in, v, &skipped)) {
		v->outcome = VERDICT_FAILS;
		view_note(v, "no incoming server Thunderbird can use");
		return;
	}
	if (!tb_first(a->out, a->nout, true, em, &v->out, v, &skipped)) {
		v->outcome = VERDICT_FAILS;
		view_note(v, "no outgoing server Thunderbird can use");
		return;
	}
	v->outcome = skipped ? VERDICT_FALLBACK : VERDICT_WORKS;
	view_note(v, "takes the first incoming and outgoing server it can "
	    "use");
	if (is_placeholder_realname(v->in.username))
		view_note(v, "fills %%REALNAME%% with the name typed in");
}

/* ---- Thunderbird for Android, K-9 ---------------------------------- */

static const char *const k9_auth[] = { "OAuth2", "password-cleartext",
    "password-encrypted" };

/* Why the whole file is refused for this imap or smtp section, or NULL. */
static const char *
k9_flaw(const struct ans_server *s, char *why, size_t whysz)
{
	bool auth = false;

	for (size_t i = 0; i < s->nauth; i++)
		auth |= in_list(s->auth[i], k9_auth, ARRAY_LEN(k9_auth));
	if (s->nested)
		snprintf(why, whysz, "an element inside a server element");
	else if (!valid_host(s->host))
		snprintf(why, whysz, "hostname \"%s\"", s->host);
	else if (s->port < 0 || s->port > 65535)
		snprintf(why, whysz, "no valid port");
	else if (!s->has_username)
		snprintf(why, whysz, "no username");
	else if (!auth)
		snprintf(why, whysz, "none of OAuth2, password-cleartext, "
		    "password-encrypted");
	else if (strcmp(s->socket, "SSL") != 0 &&
	    strcmp(s->socket, "STARTTLS") != 0)
		snprintf(why, whysz, "socketType %s", s->socket[0] ?
		    s->socket : "missing");
	else
		return NULL;
	return why;
}

/* The first of a section's methods that is in list. */
static const char *
first_auth(const struct ans_server *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < s->nauth; i++)
		if (in_list(s->auth[i], list, n))
			return s->auth[i];
	return "";
}

/* The account server of a section as written, with the method the
 * client picks. */
static void
section_acct(const struct ans_server *s, const char *auth,
    const struct email *em, struct acct_server *acct)
{
	memset(acct, 0, sizeof(*acct));
	acct->set = true;
	snprintf(acct->protocol, sizeof(acct->protocol), "%s", s->type);
	snprintf(acct->host, sizeof(acct->host), "%s", s->host);
	acct->port = s->port;
	if (!security_of_socket(s->socket, &acct->security))
		acct->security = SEC_PLAIN;
	snprintf(acct->auth, sizeof(acct->auth), "%s", auth);
	fill_username(s->username, em, acct->username,
	    sizeof(acct->username));
}

static void
read_android(const struct ans_autoconfig *a, const struct email *em,
    struct client_view *v)
{
	const struct ans_server *imap = NULL, *smtp = NULL;
	bool pop3 = false;
	char why[ANS_URL + 64];

	for (size_t i = 0; i < a->nin; i++) {
		const struct ans_server *s = &a->in[i];

		pop3 |= strcmp(s->type, "pop3") == 0;
		if (strcmp(s->type, "imap") != 0)
			continue;
		if (k9_flaw(s, why, sizeof(why)) != NULL) {
			view_set(v, VERDICT_FAILS, "refuses the whole file for "
			    "the imap server %s:%ld: %s", s->host, s->port,
			    why);
			return;
		}
		if (imap == NULL)
			imap = s;
	}
	for (size_t i = 0; i < a->nout; i++) {
		const struct ans_server *s = &a->out[i];

		if (strcmp(s->type, "smtp") != 0)
			continue;
		if (k9_flaw(s, why, sizeof(why)) != NULL) {
			view_set(v, VERDICT_FAILS, "refuses the whole file for "
			    "the smtp server %s:%ld: %s", s->host, s->port,
			    why);
			return;
		}
		if (smtp == NULL)
			smtp = s;
	}
	if (imap == NULL) {
		view_set(v, VERDICT_FAILS, "no IMAP server: it reads IMAP "
		    "only%s", pop3 ? " (the file offers POP3 alone)" : "");
		return;
	}
	if (smtp == NULL) {
		view_set(v, VERDICT_FAILS, "no SMTP server");
		return;
	}
	section_acct(imap, first_auth(imap, k9_auth, ARRAY_LEN(k9_auth)), em,
	    &v->in);
	section_acct(smtp, first_auth(smtp, k9_auth, ARRAY_LEN(k9_auth)), em,
	    &v->out);
	if (is_placeholder_realname(v->in.username) ||
	    is_placeholder_realname(v->out.username)) {
		view_set(v, VERDICT_FAILS, "logs in with \"%%REALNAME%%\" "
		    "literally: it has no name to put in");
		return;
	}
	view_set(v, VERDICT_WORKS, "takes the first IMAP and SMTP servers");
}

/* ---- Evolution, KMail, Geary --------------------------------------- */

static const struct ans_server *
last_of(const struct ans_server *list, size_t n, const char *type,
    const struct ans_server **first)
{
	const struct ans_server *last = NULL;

	*first = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].type, type) == 0) {
			if (*first == NULL)
				*first = &list[i];
			last = &list[i];
		}
	return last;
}

/* KMail logs in with the first method that is not a cleartext
 * password: say so when that is not the first one listed. */
static void
kmail_note(const struct ans_server *s, struct client_view *v)
{
	for (size_t i = 1; s != NULL && i < s->nauth; i++)
		if (strcmp(s->auth[0], "password-cleartext") == 0 &&
		    strcmp(s->auth[i], "password-cleartext") != 0) {
			view_note(v, "KMail logs in to %s with %s", s->host,
			    s->auth[i]);
			return;
		}
}

static void
read_evolution(const struct ans_autoconfig *a, const struct email *em,
    struct client_view *v)
{
	const struct ans_server *in, *in_first, *out, *out_first;
	char desc[ANS_TEXT + 64];

	v->reason[0] = '\0';
	in = last_of(a->in, a->nin, "imap", &in_first);
	if (in == NULL)
		in = last_of(a->in, a->nin, "pop3", &in_first);
	out = last_of(a->out, a->nout, "smtp", &out_first);
	if (in == NULL || out == NULL) {
		view_set(v, VERDICT_FAILS, "no %s server it reads",
		    in == NULL ? "IMAP or POP3" : "SMTP");
		return;
	}
	section_acct(in, in->nauth > 0 ? in->auth[0] : "", em, &v->in);
	section_acct(out, out->nauth > 0 ? out->auth[0] : "", em, &v->out);
	v->outcome = VERDICT_WORKS;
	if (in != in_first) {
		acct_describe(&v->in, desc, sizeof(desc));
		v->outcome = VERDICT_FALLBACK;
		view_note(v, "Evolution keeps the last %s server listed (%s), "
		    "not the first", in->type, desc);
	}
	if (out != out_first) {
		acct_describe(&v->out, desc, sizeof(desc));
		v->outcome = VERDICT_FALLBACK;
		view_note(v, "Evolution keeps the last smtp server listed (%s), "
		    "not the first", desc);
	}
	if (v->outcome == VERDICT_WORKS)
		view_note(v, "one server per protocol: Evolution (the last "
		    "listed), KMail and Geary agree");
	kmail_note(in_first, v);
}

void
client_autoconfig(enum client c, const struct ans_autoconfig *a,
    const struct email *em, struct client_view *v)
{
	memset(&v->in, 0, sizeof(v->in));
	memset(&v->out, 0, sizeof(v->out));
	if (c == CLIENT_THUNDERBIRD_ANDROID)
		read_android(a, em, v);
	else if (c == CLIENT_EVOLUTION)
		read_evolution(a, em, v);
	else
		read_thunderbird(a, em, v);
}

/* ---- Outlook POX ---------------------------------------------------- */

static bool
implicit_tls_port(long port)
{
	return port == 993 || port == 995 || port == 465;
}

/* What Outlook (or Thunderbird's Exchange set-up) makes of a Protocol;
 * NULL, or why it cannot use it. */
static const char *
pox_server(enum client c, const struct ans_pox_proto *p,
    struct acct_server *acct, char *why, size_t whysz)
{
	memset(acct, 0, sizeof(*acct));
	if (!valid_host(p->server))
		snprintf(why, whysz, "Server \"%s\"", p->server);
	else if (p->port < 1 || p->port > 65535)
		snprintf(why, whysz, "no valid Port");
	else if (strcmp(p->ssl, "on") != 0 && strcmp(p->ssl, "off") != 0)
		snprintf(why, whysz, "SSL \"%s\" (on or off only)", p->ssl);
	else if (c == CLIENT_OUTLOOK && implicit_tls_port(p->port) &&
	    strcmp(p->encryption, "TLS") == 0)
		snprintf(why, whysz, "Encryption TLS on port %ld, a port for "
		    "implicit TLS", p->port);
	else
		goto usable;
	return why;
usable:
	acct->set = true;
	for (size_t i = 0; p->type[i] != '\0' && i + 1 <
	    sizeof(acct->protocol); i++)
		acct->protocol[i] = ascii_tolower(p->type[i]);
	snprintf(acct->host, sizeof(acct->host), "%s", p->server);
	acct->port = p->port;
	if (strcmp(p->ssl, "off") == 0 || strcmp(p->encryption, "None") == 0)
		acct->security = SEC_PLAIN;
	else if (c == CLIENT_THUNDERBIRD || (strcmp(p->encryption, "SSL") != 0 &&
	    strcmp(p->encryption, "TLS") != 0))
		/* Thunderbird, and Outlook on "Auto": the port decides. */
		acct->security = p->port == 143 || p->port == 587 ||
		    p->port == 110 || p->port == 25 ? SEC_STARTTLS : SEC_SSL;
	else
		acct->security = strcmp(p->encryption, "SSL") == 0 ?
		    SEC_SSL : SEC_STARTTLS;
	/* SPA is on when the element is missing: NTLM. */
	snprintf(acct->auth, sizeof(acct->auth), "%s",
	    strcmp(p->auth_required, "off") == 0 ? "none" :
	    strcmp(p->spa, "off") != 0 ? "NTLM" : "password-cleartext");
	snprintf(acct->username, sizeof(acct->username), "%s", p->login);
	return NULL;
}

void
client_pox(enum client c, const struct ans_pox *a, struct client_view *v)
{
	const char *who = c == CLIENT_OUTLOOK ? "Outlook" :
	    "Thunderbird's Exchange set-up";
	char why[ANS_URL + 64];

	memset(&v->in, 0, sizeof(v->in));
	memset(&v->out, 0, sizeof(v->out));
	v->reason[0] = '\0';
	if (a->error) {
		view_set(v, VERDICT_FAILS, "Autodiscover error %s: %s",
		    a->error_code, a->error_message);
		return;
	}
	if (strcmp(a->action, "settings") != 0) {
		view_set(v, VERDICT_FAILS, "Action %s%s%s: not followed here",
		    a->action[0] ? a->action : "missing",
		    a->redirect[0] ? " to " : "", a->redirect);
		return;
	}
	for (size_t i = 0; i < a->nproto; i++) {
		const struct ans_pox_proto *p = &a->proto[i];
		bool smtp = strcmp(p->type, "SMTP") == 0;
		bool inc = strcmp(p->type, "IMAP") == 0 ||
		    strcmp(p->type, "POP3") == 0;
		struct acct_server *acct = smtp ? &v->out : &v->in;

		if ((!smtp && !inc) || acct->set)
			continue;
		if (pox_server(c, p, acct, why, sizeof(why)) != NULL)
			view_note(v, "skips %s %s: %s", p->type, p->server,
			    why);
		else if (!p->has_login && c == CLIENT_OUTLOOK)
			view_note(v, "no LoginName for %s: Outlook asks for "
			    "it", p->server);
	}
	if (!v->in.set || !v->out.set) {
		v->outcome = VERDICT_FAILS;
		view_note(v, "no %s server %s can use", !v->in.set ?
		    "IMAP or POP3" : "SMTP", who);
		return;
	}
	if (v->reason[0] != '\0') {
		v->outcome = VERDICT_FALLBACK;
		return;
	}
	view_set(v, VERDICT_WORKS, "%s takes the first IMAP or POP3 and the "
	    "first SMTP Protocol", who);
}

/* ---- Apple profile --------------------------------------------------- */

static const char *
apple_auth_name(const char *a)
{
	if (strcmp(a, "EmailAuthPassword") == 0)
		return "password-cleartext";
	if (strcmp(a, "EmailAuthCRAMMD5") == 0)
		return "password-encrypted";
	if (strcmp(a, "EmailAuthNTLM") == 0)
		return "NTLM";
	if (strcmp(a, "EmailAuthHTTPMD5") == 0)
		return "password-encrypted";
	if (strcmp(a, "EmailAuthNone") == 0)
		return "none";
	return NULL;
}

static bool
profile_acct(const struct ans_profile_server *s, const char *proto,
    struct acct_server *acct, struct client_view *v, const char *dir)
{
	const char *auth = apple_auth_name(s->auth);

	memset(acct, 0, sizeof(*acct));
	if (!valid_host(s->host) || auth == NULL) {
		view_note(v, "the %s server has %s", dir, auth == NULL ?
		    "no authentication Apple knows" : "no valid host name");
		return false;
	}
	acct->set = true;
	snprintf(acct->protocol, sizeof(acct->protocol), "%s", proto);
	snprintf(acct->host, sizeof(acct->host), "%s", s->host);
	acct->port = s->port > 0 ? s->port : 0;
	/* UseSSL covers both: the device does implicit TLS on the ports for
	 * it and STARTTLS elsewhere. */
	acct->security = !s->use_ssl ? SEC_PLAIN :
	    implicit_tls_port(s->port) ? SEC_SSL : SEC_STARTTLS;
	snprintf(acct->auth, sizeof(acct->auth), "%s", auth);
	snprintf(acct->username, sizeof(acct->username), "%s", s->username);
	return true;
}

void
client_profile(const struct ans_profile *a, struct client_view *v)
{
	const char *proto = strcmp(a->account_type, "EmailTypePOP") == 0 ?
	    "pop3" : "imap";
	bool ok;

	v->reason[0] = '\0';
	if (!a->has_mail) {
		view_set(v, VERDICT_FAILS, "the profile has no mail payload");
		return;
	}
	ok = profile_acct(&a->in, proto, &v->in, v, "incoming");
	ok &= profile_acct(&a->out, "smtp", &v->out, v, "outgoing");
	if (!ok) {
		v->outcome = VERDICT_FAILS;
		return;
	}
	if (!a->in.has_username || !a->out.has_username) {
		v->outcome = VERDICT_FALLBACK;
		view_note(v, "the profile carries no username: the device "
		    "asks for it");
	} else {
		v->outcome = VERDICT_WORKS;
		view_note(v, "the profile sets up one incoming and one "
		    "outgoing server");
	}
	view_note(v, a->is_signed ? "signed" : "unsigned: shown as \"Not "
	    "Verified\"");
}

/* ---- PACC ------------------------------------------------------------ */

static void
pacc_acct(const char *proto, const char *host, long port,
    const struct ans_pacc *a, const struct email *em,
    struct acct_server *acct)
{
	memset(acct, 0, sizeof(*acct));
	acct->set = true;
	snprintf(acct->protocol, sizeof(acct->protocol), "%s", proto);
	snprintf(acct->host, sizeof(acct->host), "%s", host);
	acct->port = port;
	acct->security = SEC_SSL;
	snprintf(acct->auth, sizeof(acct->auth), "%s", a->password ?
	    "password-cleartext" : a->oauth ? "OAuth2" : "");
	/* The document names no username: clients log in with the
	 * address. */
	snprintf(acct->username, sizeof(acct->username), "%s", em->addr);
}

void
client_pacc(const struct ans_pacc *a, const struct email *em,
    struct client_view *v)
{
	memset(&v->in, 0, sizeof(v->in));
	memset(&v->out, 0, sizeof(v->out));
	if (a->imap[0] != '\0')
		pacc_acct("imap", a->imap, 993, a, em, &v->in);
	else if (a->pop3[0] != '\0')
		pacc_acct("pop3", a->pop3, 995, a, em, &v->in);
	if (a->smtp[0] != '\0')
		pacc_acct("smtp", a->smtp, 465, a, em, &v->out);
	if (!v->in.set || !v->out.set)
		view_set(v, VERDICT_FAILS, "no %s in the document (PACC names "
		    "only implicit TLS on the standard ports)", !v->in.set ?
		    "IMAP or POP3" : "SMTP");
	else if (!a->password && !a->oauth)
		view_set(v, VERDICT_FAILS, "no authentication offered");
	else if ((v->in.set && !valid_host(v->in.host)) ||
	    !valid_host(v->out.host))
		view_set(v, VERDICT_FAILS, "a host that is no DNS name");
	else
		view_set(v, VERDICT_WORKS, "implicit TLS on 993/995 and 465, "
		    "the address as the username");
}

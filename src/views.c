#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "answers.h"
#include "plan.h"
#include "render.h"
#include "splice.h"
#include "view.h"
#include "views.h"

/* The answers of p for em as the daemon serves them, read back. */

static int
autoconfig_views(const struct provider *p, const struct email *em,
    struct client_view *views)
{
	static const enum client readers[] = { CLIENT_THUNDERBIRD, CLIENT_THUNDERBIRD_ANDROID,
	    CLIENT_EVOLUTION };
	struct ans_autoconfig *a = xcalloc(1, sizeof(*a));
	struct buf b = { 0 };
	const char *why;
	int rc = -1;

	if (render_autoconfig(p, &b) == 0 &&
	    answer_autoconfig(b.data, b.len, a, &why) == 0) {
		for (size_t i = 0; i < ARRAY_LEN(readers); i++)
			client_autoconfig(readers[i], a, em,
			    &views[readers[i]]);
		rc = 0;
	}
	buf_free(&b);
	free(a);
	return rc;
}

static int
outlook_view(const struct provider *p, const struct email *em,
    struct client_view *v)
{
	struct ans_pox *a = xcalloc(1, sizeof(*a));
	struct splice sp;
	struct splice_values vals;
	struct buf b = { 0 };
	const char *why;
	int rc = -1;

	if (render_ad_outlook(p, &sp) == 0) {
		splice_address_values(em, &vals);
		splice_fill(&sp, &vals, &b);
		splice_free(&sp);
		if (answer_pox(b.data, b.len, a, &why) == 0) {
			client_pox(CLIENT_OUTLOOK, a, v);
			rc = 0;
		}
	}
	buf_free(&b);
	free(a);
	return rc;
}

static int
apple_view(const struct conf *c, const struct provider *p,
    const struct email *em, struct client_view *v)
{
	const struct server *in, *out;
	struct ans_profile a;
	struct buf b = { 0 };
	const char *why;
	int rc = -1;

	if (!mobileconfig_servers(p, &in, &out)) {
		view_set(v, VERDICT_FAILS, "no profile: no encrypted incoming "
		    "and outgoing server with a password method Apple Mail "
		    "knows");
		return 0;
	}
	if (render_mobileconfig(p, em, &b) == 0 &&
	    answer_profile(b.data, b.len, &a, &why) == 0) {
		/* The daemon signs these very bytes when it has a signer. */
		a.is_signed = c->signing != NULL;
		client_profile(&a, v);
		rc = 0;
	}
	buf_free(&b);
	return rc;
}

static int
pacc_view(const struct provider *p, const struct email *em,
    struct client_view *v)
{
	struct ans_pacc a;
	struct buf b = { 0 };
	const char *why;
	int rc = -1;

	if (render_pacc(p, &b) == 0 && answer_pacc(b.data, b.len, &a,
	    &why) == 0) {
		client_pacc(&a, em, v);
		rc = 0;
	}
	buf_free(&b);
	if (rc < 0 || v->outcome != VERDICT_WORKS)
		return rc;
	/* PACC names no username: a login other than the address needs
	 * typing. */
	for (int k = PROTO_IMAP; k <= PROTO_SMTP; k++) {
		const struct server *s = pacc_server(p, (enum proto)k);
		struct buf u = { 0 };

		if (s == NULL)
			continue;
		if (email_expand(s->username, em, &u) < 0 ||
		    strcmp(u.data != NULL ? u.data : "", em->addr) != 0) {
			v->outcome = VERDICT_FALLBACK;
			view_note(v, "the %s login is %s, not the address: the "
			    "person must type it", proto_name(s->proto),
			    s->username);
			buf_free(&u);
			break;
		}
		buf_free(&u);
	}
	return 0;
}

void
views_explain(const struct provider *p, struct client_view *v)
{
	for (size_t i = 0; i < p->nservers; i++) {
		const struct server *s = &p->servers[i];
		bool in = proto_incoming(s->proto);

		if ((in ? v->in.set : v->out.set) ||
		    s->proto == PROTO_MANAGESIEVE)
			continue;
		if (!server_advertised(s))
			view_note(v, "%s %s:%u is plain: no answer names it",
			    proto_name(s->proto), s->host, s->port);
		else if (v->client == CLIENT_PACC &&
		    pacc_server(p, s->proto) != s)
			view_note(v, "%s %s:%u %s is left out: PACC names only "
			    "implicit TLS on 993, 995 and 465",
			    proto_name(s->proto), s->host, s->port,
			    security_name(s->security));
	}
}

int
views_from_config(const struct conf *c, const struct provider *pc,
    const struct email *em, struct client_view views[CLIENT_COUNT])
{
	struct attempt *plan = xcalloc(PLAN_MAX, sizeof(*plan));
	struct provider_view pv;
	const struct provider *p;
	int rc = 0;

	/* As the daemon answers for this domain: %EMAILDOMAIN% filled in. */
	provider_view(pc, em->domain, &pv);
	p = &pv.p;
	memset(views, 0, sizeof(*views) * CLIENT_COUNT);
	for (int i = FAMILY_FIRST; i < FAMILY_END; i++) {
		struct client_view *v = &views[i];

		v->client = (enum client)i;
		if (plan_client(v->client, em, c->public_url, NULL, plan) > 0) {
			snprintf(v->url, sizeof(v->url), "%s", plan[0].url);
			snprintf(v->answer_url, sizeof(v->answer_url), "%s",
			    plan[0].url);
		}
	}
	free(plan);
	if (autoconfig_views(p, em, views) < 0 ||
	    outlook_view(p, em, &views[CLIENT_OUTLOOK]) < 0 ||
	    apple_view(c, p, em, &views[CLIENT_APPLE]) < 0 ||
	    pacc_view(p, em, &views[CLIENT_PACC]) < 0)
		rc = -1;
	for (int i = FAMILY_FIRST; i < FAMILY_END; i++)
		if (!views[i].in.set || !views[i].out.set)
			views_explain(p, &views[i]);
	provider_view_free(&pv);
	return rc;
}

/* ---- the report ------------------------------------------------------
 * A probe's reasons and checks quote what servers sent (header values,
 * certificate names, TXT records): any byte. JSON gets valid UTF-8 (a
 * byte that is none becomes U+FFFD), a terminal no control character
 * either (\xNN instead). */

static void
clean(struct buf *out, const char *s, bool ctl)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;

	while (n > 0) {
		long cp = utf8_decode(p, n, &len);

		if (cp < 0) {
			buf_puts(out, "\xef\xbf\xbd");
			len = 1;
		} else if (ctl && (cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0)))
			buf_printf(out, "\\x%02lx", (unsigned long)cp);
		else
			buf_add(out, p, len);
		p += len;
		n -= len;
	}
	buf_puts(out, "");
}

static json_t *
jstr(const char *s)
{
	struct buf b = { 0 };
	json_t *j;

	clean(&b, s, false);
	j = json_string(b.data);
	buf_free(&b);
	if (j == NULL)
		abort();	/* only out of memory: the text is UTF-8 */
	return j;
}

static json_t *
server_json(const struct acct_server *s)
{
	json_t *o;

	if (!s->set)
		return json_null();
	o = json_object();
	json_object_set_new(o, "protocol", jstr(s->protocol));
	json_object_set_new(o, "host", jstr(s->host));
	json_object_set_new(o, "port", json_integer((json_int_t)s->port));
	json_object_set_new(o, "security", jstr(security_name(s->security)));
	json_object_set_new(o, "auth", jstr(s->auth));
	json_object_set_new(o, "username", jstr(s->username));
	return o;
}

void
report_json(const struct report *r, struct buf *out)
{
	json_t *root = json_object(), *clients = json_array();
	char *text;

	json_object_set_new(root, "address", jstr(r->address));
	json_object_set_new(root, "provider", r->provider != NULL ?
	    jstr(r->provider) : json_null());
	for (size_t i = 0; i < r->nviews; i++) {
		const struct client_view *v = &r->views[i];
		json_t *o = json_object();

		json_object_set_new(o, "client", jstr(client_name(v->client)));
		json_object_set_new(o, "outcome",
		    jstr(verdict_name(v->outcome)));
		json_object_set_new(o, "reason", jstr(v->reason));
		json_object_set_new(o, "url", jstr(v->url));
		json_object_set_new(o, "incoming", server_json(&v->in));
		json_object_set_new(o, "outgoing", server_json(&v->out));
		if (r->probe)
			json_object_set_new(o, "answer_url", v->answer_url[0] ?
			    jstr(v->answer_url) : json_null());
		json_array_append_new(clients, o);
	}
	json_object_set_new(root, "clients", clients);
	if (r->probe) {
		json_t *checks = json_array();

		for (size_t i = 0; i < r->nchecks; i++) {
			json_t *c = json_object();

			json_object_set_new(c, "name", jstr(r->checks[i].name));
			json_object_set_new(c, "ok",
			    json_boolean(r->checks[i].ok));
			json_object_set_new(c, "detail",
			    jstr(r->checks[i].detail));
			json_array_append_new(checks, c);
		}
		json_object_set_new(root, "checks", checks);
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (text == NULL)
		abort();	/* only out of memory */
	buf_puts(out, text);
	buf_putc(out, '\n');
	free(text);
}

/* One line "    label     text" of the text report. */
static void
line(struct buf *out, const char *label, const char *text)
{
	buf_printf(out, "    %-9s ", label);
	clean(out, text, true);
	buf_putc(out, '\n');
}

static void
server_text(struct buf *out, const char *label, const struct acct_server *s)
{
	struct buf t = { 0 };

	if (!s->set) {
		line(out, label, "none");
		return;
	}
	buf_printf(&t, "%s %s:%ld %s, %s, username %s", s->protocol, s->host,
	    s->port, security_name(s->security),
	    s->auth[0] ? s->auth : "no authentication",
	    s->username[0] ? s->username : "(asked for)");
	line(out, label, t.data);
	buf_free(&t);
}

void
report_text(const struct report *r, struct buf *out)
{
	clean(out, r->address, true);
	buf_puts(out, r->provider != NULL ? ": provider " :
	    ": no provider in the config");
	if (r->provider != NULL)
		clean(out, r->provider, true);
	buf_putc(out, '\n');
	for (size_t i = 0; i < r->nviews; i++) {
		const struct client_view *v = &r->views[i];

		buf_printf(out, "\n%s (%s): %s\n", client_name(v->client),
		    family_title(v->client), verdict_name(v->outcome));
		line(out, "fetches", v->url);
		if (r->probe)
			line(out, "answered", v->answer_url[0] ?
			    v->answer_url : "nowhere");
		server_text(out, "incoming", &v->in);
		server_text(out, "outgoing", &v->out);
		line(out, "why", v->reason);
	}
	if (!r->probe)
		return;
	buf_puts(out, "\nchecks:\n");
	for (size_t i = 0; i < r->nchecks; i++) {
		buf_printf(out, "  %-4s ", r->checks[i].ok ? "ok" : "FAIL");
		clean(out, r->checks[i].name, true);
		buf_puts(out, ": ");
		clean(out, r->checks[i].detail, true);
		buf_putc(out, '\n');
	}
}

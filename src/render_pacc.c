/* PACC (draft-ietf-mailmaint-pacc-02): the JSON document at
 * /.well-known/user-agent-configuration.json. Field names as the draft's
 * schema: "protocols" (imap, pop3, smtp by "host"; jmap, caldav, carddav,
 * webdav by "url"), "authentication" ("password", "oauth-public"),
 * "info" ("provider" name/shortName, "help" documentation). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "render.h"

/* The draft gives text protocols no port or TLS field: implicit TLS on
 * the standard port is implied. */
static const uint16_t pacc_port[PROTO_COUNT] = {
	[PROTO_IMAP] = 993, [PROTO_POP3] = 995, [PROTO_SMTP] = 465,
};

const struct server *
pacc_server(const struct provider *p, enum proto proto)
{
	for (size_t i = 0; i < p->nservers; i++) {
		const struct server *s = &p->servers[i];

		if (s->proto == proto && s->security == SEC_SSL &&
		    s->port == pacc_port[proto])
			return s;
	}
	return NULL;
}

static bool
has_auth(const struct server *s, enum auth a)
{
	for (size_t i = 0; i < s->nauth; i++)
		if (s->auth[i] == a)
			return true;
	return false;
}

static void
add_url(json_t *protos, const char *name, const char *url)
{
	/* HTTP-based services must be https in PACC. */
	if (url != NULL && strncmp(url, "https://", 8) == 0)
		json_object_set_new(protos, name,
		    json_pack("{s:s}", "url", url));
}

int
render_pacc(const struct provider *p, struct buf *out)
{
	json_t *root, *protos, *auth, *info, *prov;
	bool password = false, oauth = false;
	char *text;
	int e;

	root = json_object();
	protos = json_object();
	/* The mail protocols; the draft has no ManageSieve. */
	for (int k = PROTO_IMAP; k <= PROTO_SMTP; k++) {
		const struct server *s = pacc_server(p, (enum proto)k);

		if (s == NULL)
			continue;
		json_object_set_new(protos, proto_name((enum proto)k),
		    json_pack("{s:s}", "host", s->host));
		password |= has_auth(s, AUTH_PASSWORD_CLEARTEXT) ||
		    has_auth(s, AUTH_PASSWORD_ENCRYPTED);
		oauth |= has_auth(s, AUTH_OAUTH2);
	}
	add_url(protos, "jmap", p->jmap);
	add_url(protos, "caldav", p->caldav);
	add_url(protos, "carddav", p->carddav);
	add_url(protos, "webdav", p->webdav);
	json_object_set_new(root, "protocols", protos);

	auth = json_object();
	json_object_set_new(auth, "password", json_boolean(password));
	if (oauth && p->oauth2 != NULL)
		json_object_set_new(auth, "oauth-public",
		    json_pack("{s:s}", "issuer", p->oauth2->issuer));
	json_object_set_new(root, "authentication", auth);

	info = json_object();
	prov = json_pack("{s:s, s:s}", "name", p->name, "shortName",
	    p->short_name);
	json_object_set_new(info, "provider", prov);
	if (p->documentation != NULL)
		json_object_set_new(info, "help", json_pack("{s:s}",
		    "documentation", p->documentation));
	json_object_set_new(root, "info", info);

	/* Insertion order, no white space: the bytes are what the DNS digest
	 * covers, so they must never vary. */
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	e = text != NULL ? 0 : -1;
	if (text != NULL)
		buf_puts(out, text);
	free(text);
	return e;
}

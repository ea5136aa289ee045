#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/pkcs7.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "answers.h"
#include "util.h"
#include "xmlreq.h"

/* Copies text into a field, cut to its size, outer white space trimmed
 * as clients trim it. */
static void
set_field(char *dst, size_t dstsz, const char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void
node_text(xmlNodePtr n, char *dst, size_t dstsz)
{
	xmlChar *t = xmlNodeGetContent(n);

	set_field(dst, dstsz, t != NULL ? (const char *)t : "");
	xmlFree(t);
}

static long
node_long(xmlNodePtr n)
{
	char t[32], *end;
	long v;

	node_text(n, t, sizeof(t));
	if (t[0] < '0' || t[0] > '9')
		return -1;
	v = strtol(t, &end, 10);
	return *end == '\0' && v <= 65535 * 16 ? v : -1;
}

static bool
is(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

static bool
in_ns(xmlNodePtr n, const char *ns)
{
	return n->ns != NULL && n->ns->href != NULL &&
	    strcmp((const char *)n->ns->href, ns) == 0;
}

static bool
has_child_elements(xmlNodePtr n)
{
	for (xmlNodePtr c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return true;
	return false;
}

/* Parses untrusted XML: no network, no entity substitution, no DTD
 * loaded. A document declaring entities is refused before the parse, so
 * none can be expanded however libxml2 is built; a document type without
 * an internal subset (a plist's) is allowed when doctype says so. */
static xmlDocPtr
parse_xml(const char *body, size_t len, bool doctype, const char **why)
{
	xmlDocPtr doc;

	if (len > ANSWER_MAX) {
		*why = "larger than 256 KiB";
		return NULL;
	}
	if (memmem(body, len, "<!ENTITY", 8) != NULL) {
		*why = "declares entities";
		return NULL;
	}
	doc = xmlReadMemory(body, (int)len, "answer.xml", NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
		xmlFreeDoc(doc);
		*why = "not well-formed XML";
		return NULL;
	}
	if (doc->intSubset != NULL && (!doctype ||
	    doc->intSubset->children != NULL)) {
		xmlFreeDoc(doc);
		*why = "has a document type declaration";
		return NULL;
	}
	return doc;
}

/* ---- autoconfig ------------------------------------------------------ */

static void
ac_server(xmlNodePtr el, struct ans_server *s)
{
	xmlChar *type = xmlGetProp(el, (const xmlChar *)"type");

	memset(s, 0, sizeof(*s));
	s->port = -1;
	set_field(s->type, sizeof(s->type), type != NULL ?
	    (const char *)type : "");
	xmlFree(type);
	for (xmlNodePtr c = el->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (has_child_elements(c))
			s->nested = true;
		/* Thunderbird reads a text element with an attribute as an
		 * object, not as its text. */
		if (c->properties != NULL && (is(c, "hostname") ||
		    is(c, "port") || is(c, "socketType") || is(c, "username") ||
		    is(c, "authentication") || is(c, "url")))
			s->text_attr = true;
		if (is(c, "hostname"))
			node_text(c, s->host, sizeof(s->host));
		else if (is(c, "port"))
			s->port = node_long(c);
		else if (is(c, "socketType") && s->socket[0] == '\0')
			node_text(c, s->socket, sizeof(s->socket));
		else if (is(c, "username")) {
			node_text(c, s->username, sizeof(s->username));
			s->has_username = true;
		} else if (is(c, "url"))
			node_text(c, s->url, sizeof(s->url));
		else if (is(c, "authentication") && s->nauth < ANS_AUTH_MAX)
			node_text(c, s->auth[s->nauth++], sizeof(s->auth[0]));
	}
}

int
answer_autoconfig(const char *body, size_t len, struct ans_autoconfig *a,
    const char **why)
{
	xmlDocPtr doc;
	xmlNodePtr root, prov = NULL;
	xmlChar *id;

	memset(a, 0, sizeof(*a));
	if ((doc = parse_xml(body, len, false, why)) == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (!is(root, "clientConfig")) {
		*why = "the root element is not <clientConfig>";
		xmlFreeDoc(doc);
		return -1;
	}
	for (xmlNodePtr c = root->children; c != NULL && prov == NULL;
	    c = c->next)
		if (is(c, "emailProvider"))
			prov = c;
	if (prov == NULL) {
		*why = "no <emailProvider>";
		xmlFreeDoc(doc);
		return -1;
	}
	id = xmlGetProp(prov, (const xmlChar *)"id");
	set_field(a->id, sizeof(a->id), id != NULL ? (const char *)id : "");
	xmlFree(id);
	for (xmlNodePtr c = prov->children; c != NULL; c = c->next) {
		if (is(c, "domain") && c->properties == NULL)
			a->ndomains++;
		else if (is(c, "displayName"))
			node_text(c, a->display_name, sizeof(a->display_name));
		else if (is(c, "incomingServer") && a->nin < ANS_SERVERS_MAX)
			ac_server(c, &a->in[a->nin++]);
		else if (is(c, "outgoingServer") && a->nout < ANS_SERVERS_MAX)
			ac_server(c, &a->out[a->nout++]);
	}
	xmlFreeDoc(doc);
	return 0;
}

/* ---- Outlook POX ----------------------------------------------------- */

static void
pox_proto(xmlNodePtr el, struct ans_pox_proto *p)
{
	memset(p, 0, sizeof(*p));
	p->port = -1;
	for (xmlNodePtr c = el->children; c != NULL; c = c->next) {
		if (is(c, "Type"))
			node_text(c, p->type, sizeof(p->type));
		else if (is(c, "Server"))
			node_text(c, p->server, sizeof(p->server));
		else if (is(c, "Port"))
			p->port = node_long(c);
		else if (is(c, "SSL"))
			node_text(c, p->ssl, sizeof(p->ssl));
		else if (is(c, "Encryption"))
			node_text(c, p->encryption, sizeof(p->encryption));
		else if (is(c, "LoginName")) {
			node_text(c, p->login, sizeof(p->login));
			p->has_login = true;
		} else if (is(c, "SPA"))
			node_text(c, p->spa, sizeof(p->spa));
		else if (is(c, "AuthRequired"))
			node_text(c, p->auth_required,
			    sizeof(p->auth_required));
	}
}

static void
pox_error(xmlNodePtr resp, struct ans_pox *a)
{
	for (xmlNodePtr c = resp->children; c != NULL; c = c->next) {
		if (!is(c, "Error"))
			continue;
		a->error = true;
		for (xmlNodePtr e = c->children; e != NULL; e = e->next)
			if (is(e, "ErrorCode"))
				node_text(e, a->error_code,
				    sizeof(a->error_code));
			else if (is(e, "Message"))
				node_text(e, a->error_message,
				    sizeof(a->error_message));
	}
}

int
answer_pox(const char *body, size_t len, struct ans_pox *a, const char **why)
{
	xmlDocPtr doc;
	xmlNodePtr root, resp = NULL, acct = NULL;

	memset(a, 0, sizeof(*a));
	if ((doc = parse_xml(body, len, false, why)) == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (!is(root, "Autodiscover") || !in_ns(root, AD_NS_RESPONSE)) {
		*why = "not an Autodiscover response";
		xmlFreeDoc(doc);
		return -1;
	}
	for (xmlNodePtr c = root->children; c != NULL; c = c->next)
		if (is(c, "Response"))
			resp = c;
	if (resp == NULL) {
		*why = "no <Response>";
		xmlFreeDoc(doc);
		return -1;
	}
	/* Errors come in the base namespace, whatever was asked. */
	pox_error(resp, a);
	if (!a->error && !in_ns(resp, AD_NS_OUTLOOK_RESPONSE)) {
		*why = "the Response is not in the Outlook 2006a namespace";
		xmlFreeDoc(doc);
		return -1;
	}
	for (xmlNodePtr c = resp->children; c != NULL; c = c->next)
		if (is(c, "Account"))
			acct = c;
	for (xmlNodePtr c = acct != NULL ? acct->children : NULL; c != NULL;
	    c = c->next) {
		if (is(c, "Action"))
			node_text(c, a->action, sizeof(a->action));
		else if (is(c, "RedirectAddr") || is(c, "RedirectUrl"))
			node_text(c, a->redirect, sizeof(a->redirect));
		else if (is(c, "Protocol") && a->nproto < ANS_SERVERS_MAX)
			pox_proto(c, &a->proto[a->nproto++]);
	}
	xmlFreeDoc(doc);
	return 0;
}

/* ---- Apple profile --------------------------------------------------- */

/* The value element after a <key> in a plist <dict>. */
static xmlNodePtr
next_value(xmlNodePtr key)
{
	for (xmlNodePtr n = key->next; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static xmlNodePtr
dict_get(xmlNodePtr dict, const char *name)
{
	char k[128];

	for (xmlNodePtr c = dict->children; c != NULL; c = c->next) {
		if (!is(c, "key"))
			continue;
		node_text(c, k, sizeof(k));
		if (strcmp(k, name) == 0)
			return next_value(c);
	}
	return NULL;
}

static void
dict_string(xmlNodePtr dict, const char *name, char *dst, size_t dstsz,
    bool *present)
{
	xmlNodePtr v = dict_get(dict, name);

	if (present != NULL)
		*present = v != NULL && is(v, "string");
	if (v != NULL && is(v, "string"))
		node_text(v, dst, dstsz);
}

static void
profile_server(xmlNodePtr dict, const char *dir, struct ans_profile_server *s)
{
	char key[64];
	xmlNodePtr v;

	s->port = -1;
	snprintf(key, sizeof(key), "%sMailServerHostName", dir);
	dict_string(dict, key, s->host, sizeof(s->host), NULL);
	snprintf(key, sizeof(key), "%sMailServerPortNumber", dir);
	if ((v = dict_get(dict, key)) != NULL && is(v, "integer"))
		s->port = node_long(v);
	snprintf(key, sizeof(key), "%sMailServerUseSSL", dir);
	s->use_ssl = (v = dict_get(dict, key)) != NULL && is(v, "true");
	snprintf(key, sizeof(key), "%sMailServerAuthentication", dir);
	dict_string(dict, key, s->auth, sizeof(s->auth), NULL);
	snprintf(key, sizeof(key), "%sMailServerUsername", dir);
	dict_string(dict, key, s->username, sizeof(s->username),
	    &s->has_username);
}

static int
profile_plist(const char *body, size_t len, struct ans_profile *a,
    const char **why)
{
	xmlDocPtr doc;
	xmlNodePtr root, top = NULL, content;
	char type[64];

	if ((doc = parse_xml(body, len, true, why)) == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	for (xmlNodePtr c = root->children; c != NULL && is(root, "plist");
	    c = c->next)
		if (is(c, "dict"))
			top = c;
	if (top == NULL) {
		*why = "not a property list with a dictionary";
		xmlFreeDoc(doc);
		return -1;
	}
	content = dict_get(top, "PayloadContent");
	for (xmlNodePtr d = content != NULL && is(content, "array") ?
	    content->children : NULL; d != NULL && !a->has_mail; d = d->next) {
		if (!is(d, "dict"))
			continue;
		type[0] = '\0';
		dict_string(d, "PayloadType", type, sizeof(type), NULL);
		if (strcmp(type, "com.apple.mail.managed") != 0)
			continue;
		a->has_mail = true;
		dict_string(d, "EmailAccountType", a->account_type,
		    sizeof(a->account_type), NULL);
		dict_string(d, "EmailAddress", a->address, sizeof(a->address),
		    NULL);
		profile_server(d, "Incoming", &a->in);
		profile_server(d, "Outgoing", &a->out);
	}
	xmlFreeDoc(doc);
	return 0;
}

int
answer_profile(const char *body, size_t len, struct ans_profile *a,
    const char **why)
{
	gnutls_pkcs7_t p7;
	gnutls_datum_t der, data = { NULL, 0 };
	int rc;

	memset(a, 0, sizeof(*a));
	if (len == 0 || (unsigned char)body[0] != 0x30)
		return profile_plist(body, len, a, why);
	/* DER: a signed profile carries the plist inside. */
	a->is_signed = true;
	if (len > ANSWER_MAX || gnutls_pkcs7_init(&p7) < 0) {
		*why = "cannot read the signed profile";
		return -1;
	}
	der.data = (unsigned char *)(uintptr_t)body;
	der.size = (unsigned int)len;
	if (gnutls_pkcs7_import(p7, &der, GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_pkcs7_get_embedded_data(p7, 0, &data) < 0) {
		gnutls_pkcs7_deinit(p7);
		*why = "not CMS signed data with the profile inside";
		return -1;
	}
	gnutls_pkcs7_deinit(p7);
	rc = profile_plist((const char *)data.data, data.size, a, why);
	a->is_signed = true;
	gnutls_free(data.data);
	return rc;
}

/* ---- JSON answers ---------------------------------------------------- */

static json_t *
parse_json(const char *body, size_t len, const char **why)
{
	json_t *root;

	if (len > ANSWER_MAX) {
		*why = "larger than 256 KiB";
		return NULL;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		*why = "not a JSON object";
		return NULL;
	}
	return root;
}

static void
json_field(json_t *o, const char *key, char *dst, size_t dstsz)
{
	json_t *v = json_object_get(o, key);

	set_field(dst, dstsz, json_is_string(v) ? json_string_value(v) : "");
}

int
answer_pacc(const char *body, size_t len, struct ans_pacc *a,
    const char **why)
{
	json_t *root, *protos, *auth;

	memset(a, 0, sizeof(*a));
	if ((root = parse_json(body, len, why)) == NULL)
		return -1;
	protos = json_object_get(root, "protocols");
	auth = json_object_get(root, "authentication");
	if (!json_is_object(protos)) {
		json_decref(root);
		*why = "no \"protocols\" object";
		return -1;
	}
	json_field(json_object_get(protos, "imap"), "host", a->imap,
	    sizeof(a->imap));
	json_field(json_object_get(protos, "pop3"), "host", a->pop3,
	    sizeof(a->pop3));
	json_field(json_object_get(protos, "smtp"), "host", a->smtp,
	    sizeof(a->smtp));
	a->password = json_is_true(json_object_get(auth, "password"));
	a->oauth = json_is_object(json_object_get(auth, "oauth-public"));
	json_decref(root);
	return 0;
}

int
answer_ad_json(const char *body, size_t len, struct ans_ad_json *a,
    const char **why)
{
	json_t *root;

	memset(a, 0, sizeof(*a));
	if ((root = parse_json(body, len, why)) == NULL)
		return -1;
	json_field(root, "Protocol", a->protocol, sizeof(a->protocol));
	json_field(root, "Url", a->url, sizeof(a->url));
	json_decref(root);
	if (a->url[0] == '\0') {
		*why = "no \"Url\"";
		return -1;
	}
	return 0;
}

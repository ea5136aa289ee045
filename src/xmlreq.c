#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "log.h"
#include "util.h"
#include "xmlreq.h"

/* The texts a request carries, in Autodiscover/Request/<field>. */
enum field { F_EMAIL, F_LEGACYDN, F_SCHEMA, F_COUNT, F_NONE = -1 };

static const struct {
	const char *name;
	const char *repeated;	/* the refusal when it comes twice */
} fields[F_COUNT] = {
	{ "EMailAddress", "more than one EMailAddress" },
	{ "LegacyDN", "more than one LegacyDN" },
	{ "AcceptableResponseSchema", "more than one AcceptableResponseSchema" },
};

/* Namespaces the elements of a request may be in. */
enum ns { NS_NONE, NS_OUTLOOK, NS_MOBILESYNC, NS_FOREIGN };

struct state {
	xmlParserCtxtPtr ctxt;
	const char *why;	/* first reason to refuse; static text */
	int depth;		/* of the element being read */
	int skip;		/* depth of an ignored subtree, 0: none */
	enum ns root_ns;
	bool request_seen;
	enum field cur;		/* field whose text is being collected */
	struct {
		char text[XMLREQ_ADDR_MAX + 1];
		size_t len;
		bool seen;
	} f[F_COUNT];
};

static void
refuse(struct state *st, const char *why)
{
	if (st->why == NULL)
		st->why = why;
	xmlStopParser(st->ctxt);
}

static enum ns
ns_of(const xmlChar *uri)
{
	if (uri == NULL || uri[0] == '\0')
		return NS_NONE;
	if (strcmp((const char *)uri, AD_NS_OUTLOOK_REQUEST) == 0)
		return NS_OUTLOOK;
	if (strcmp((const char *)uri, AD_NS_MOBILESYNC_REQUEST) == 0)
		return NS_MOBILESYNC;
	return NS_FOREIGN;
}

/* Element names are matched without regard to ASCII case: clients that
 * write "EmailAddress" are not worth failing. */
static bool
name_is(const xmlChar *name, const char *want)
{
	return ascii_strcasecmp((const char *)name, want) == 0;
}

static void
on_start(void *ctx, const xmlChar *name, const xmlChar *prefix,
    const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
    int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	struct state *st = ctx;
	enum ns ns = ns_of(uri);

	(void)prefix;
	(void)nb_namespaces;
	(void)namespaces;
	(void)nb_attributes;
	(void)nb_defaulted;
	(void)attributes;
	if (++st->depth > XMLREQ_DEPTH_MAX) {
		refuse(st, "elements nested too deeply");
		return;
	}
	if (st->skip != 0)
		return;
	if (st->cur != F_NONE) {
		refuse(st, "element inside a text field");
		return;
	}
	if (st->depth == 1) {
		if (!name_is(name, "Autodiscover") || ns == NS_FOREIGN)
			refuse(st, "not an Autodiscover request");
		st->root_ns = ns;
		return;
	}
	/* Extensions in other namespaces are ignored with their subtree. */
	if (ns != st->root_ns && ns != NS_NONE) {
		st->skip = st->depth;
		return;
	}
	if (st->depth == 2 && name_is(name, "Request")) {
		if (st->request_seen)
			refuse(st, "more than one Request");
		st->request_seen = true;
		return;
	}
	if (st->depth == 3) {
		for (int i = 0; i < F_COUNT; i++) {
			if (!name_is(name, fields[i].name))
				continue;
			if (st->f[i].seen)
				refuse(st, fields[i].repeated);
			st->f[i].seen = true;
			st->cur = (enum field)i;
			return;
		}
	}
	st->skip = st->depth;
}

static void
on_end(void *ctx, const xmlChar *name, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct state *st = ctx;

	(void)name;
	(void)prefix;
	(void)uri;
	if (st->skip == st->depth)
		st->skip = 0;
	else if (st->skip == 0 && st->depth == 3)
		st->cur = F_NONE;
	st->depth--;
}

static void
on_text(void *ctx, const xmlChar *ch, int len)
{
	struct state *st = ctx;

	if (st->skip != 0 || st->cur == F_NONE || len <= 0)
		return;
	if (st->f[st->cur].len + (size_t)len > XMLREQ_ADDR_MAX) {
		refuse(st, "field text too long");
		return;
	}
	memcpy(st->f[st->cur].text + st->f[st->cur].len, ch, (size_t)len);
	st->f[st->cur].len += (size_t)len;
}

/* Called for <!DOCTYPE ...> before its internal subset is read: stopping
 * here means no entity is ever declared, so none can be expanded (XXE,
 * billion laughs) and nothing external is loaded. */
static void
on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
    const xmlChar *system_id)
{
	(void)name;
	(void)external_id;
	(void)system_id;
	refuse(ctx, "document has a DTD");
}

/* Never reached while on_doctype stops the parse; here so that no change
 * of libxml2's order of events can let a declaration through. */
static void
on_entity(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
    const xmlChar *system_id, xmlChar *content)
{
	(void)name;
	(void)type;
	(void)public_id;
	(void)system_id;
	(void)content;
	refuse(ctx, "document has a DTD");
}

/* libxml2's errors would quote the request; they go nowhere. */
static void
on_error(void *ctx, xmlErrorPtr e)
{
	struct state *st = ctx;

	/* Stopping the parser here would free its input under libxml2's
	 * feet (an encoding switch in progress). It goes on with the SAX
	 * callbacks off, on_doctype included, and expands no entity once
	 * the document is known to be malformed. */
	if (st != NULL && e != NULL && e->level >= XML_ERR_ERROR &&
	    st->why == NULL)
		st->why = "not well-formed XML";
}

static void
silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The field's text without surrounding white space, NUL-terminated. */
static size_t
trimmed(struct state *st, enum field f, const char **text)
{
	char *s = st->f[f].text;
	size_t len = st->f[f].len;

	while (len > 0 && is_space(s[len - 1]))
		len--;
	s[len] = '\0';
	while (len > 0 && is_space(*s)) {
		s++;
		len--;
	}
	*text = s;
	return len;
}

static enum xmlreq_schema
schema_of(struct state *st)
{
	const char *s;

	if (!st->f[F_SCHEMA].seen || trimmed(st, F_SCHEMA, &s) == 0)
		return st->root_ns == NS_MOBILESYNC ? XMLREQ_MOBILESYNC :
		    XMLREQ_OUTLOOK;
	if (ascii_strcasecmp(s, AD_NS_OUTLOOK_RESPONSE) == 0)
		return XMLREQ_OUTLOOK;
	if (ascii_strcasecmp(s, AD_NS_MOBILESYNC_RESPONSE) == 0)
		return XMLREQ_MOBILESYNC;
	return XMLREQ_OTHER;
}

static const char *
result(struct state *st, struct xmlreq *out)
{
	const char *s;
	size_t n;

	if (!st->request_seen)
		return "no Request element";
	out->who = XMLREQ_EMAIL;
	n = st->f[F_EMAIL].seen ? trimmed(st, F_EMAIL, &s) : 0;
	if (n == 0) {
		out->who = XMLREQ_LEGACYDN;
		n = st->f[F_LEGACYDN].seen ? trimmed(st, F_LEGACYDN, &s) : 0;
	}
	if (n == 0)
		return "no EMailAddress or LegacyDN";
	memcpy(out->addr, s, n);
	out->addr[n] = '\0';
	out->addr_len = n;
	out->schema = schema_of(st);
	return NULL;
}

/* The SAX handler every parse uses; on_error reads the state through the
 * context's userData. */
static xmlSAXHandler sax_handler = {
	.initialized = XML_SAX2_MAGIC,
	.startElementNs = on_start,
	.endElementNs = on_end,
	.characters = on_text,
	.cdataBlock = on_text,
	.ignorableWhitespace = on_text,
	.internalSubset = on_doctype,
	.entityDecl = on_entity,
	.serror = on_error,
};

/* Creating a parser context (buffers, name tables, a dictionary behind a
 * libxml2-wide lock) costs more than parsing a request, so each thread
 * keeps one and resets it. Its dictionary keeps every name it has seen:
 * a fresh context after PARSES_PER_CTXT parses, or sooner once the names
 * of hostile requests fill DICT_MAX entries, bounds that. */
#define PARSES_PER_CTXT 4096
#define DICT_MAX 512

struct tctxt {
	xmlParserCtxtPtr ctxt;
	unsigned int uses;
};

static pthread_key_t tctxt_key;
static pthread_once_t tctxt_once = PTHREAD_ONCE_INIT;

static void
tctxt_free(void *p)
{
	struct tctxt *t = p;

	if (t->ctxt != NULL)
		xmlFreeParserCtxt(t->ctxt);
	free(t);
}

static void
tctxt_init(void)
{
	if (pthread_key_create(&tctxt_key, tctxt_free) != 0)
		fatalx("pthread_key_create");
}

static xmlParserCtxtPtr
thread_ctxt(void)
{
	struct tctxt *t;

	pthread_once(&tctxt_once, tctxt_init);
	t = pthread_getspecific(tctxt_key);
	if (t == NULL) {
		t = xcalloc(1, sizeof(*t));
		if (pthread_setspecific(tctxt_key, t) != 0)
			fatalx("pthread_setspecific");
	}
	if (t->ctxt != NULL && (t->uses >= PARSES_PER_CTXT ||
	    xmlDictSize(t->ctxt->dict) > DICT_MAX)) {
		xmlFreeParserCtxt(t->ctxt);
		t->ctxt = NULL;
	}
	if (t->ctxt == NULL) {
		t->ctxt = xmlCreatePushParserCtxt(&sax_handler, NULL, NULL, 0,
		    NULL);
		t->uses = 0;
	}
	t->uses++;
	return t->ctxt;
}

int
xmlreq_parse(const char *body, size_t len, struct xmlreq *out,
    const char **why)
{
	xmlParserCtxtPtr ctxt;
	xmlGenericErrorFunc saved_generic;
	xmlStructuredErrorFunc saved_structured;
	void *saved_generic_ctx, *saved_structured_ctx;
	struct state st;
	bool well_formed;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (body == NULL || len == 0) {
		*why = "empty request";
		return -1;
	}
	if (len > INT_MAX) {
		*why = "request too large";
		return -1;
	}
	memset(&st, 0, sizeof(st));
	st.cur = F_NONE;

	/* Errors raised outside the parser context (encoding conversion) use
	 * libxml2's per-thread handlers: silence them for this parse only. */
	saved_generic = xmlGenericError;
	saved_generic_ctx = xmlGenericErrorContext;
	saved_structured = xmlStructuredError;
	saved_structured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(NULL, silent);
	xmlSetStructuredErrorFunc(&st, on_error);

	/* The whole body goes in with the reset, which detects its encoding
	 * (a BOM, UTF-16) as a fresh push parser would. */
	ctxt = thread_ctxt();
	if (ctxt != NULL)
		ctxt->userData = &st;
	if (ctxt == NULL || xmlCtxtResetPush(ctxt, body, (int)len, NULL,
	    NULL) != 0) {
		st.why = "cannot parse";
		well_formed = false;
	} else {
		ctxt->userData = &st;
		st.ctxt = ctxt;
		/* Never NOENT, DTDLOAD or HUGE. */
		xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);
		xmlParseChunk(ctxt, NULL, 0, 1);
		/* Namespace errors only clear nsWellFormed. */
		well_formed = ctxt->wellFormed != 0 && ctxt->nsWellFormed != 0;
		/* After an error libxml2 records entity declarations, "for
		 * expat compatibility", in a document of its own that
		 * xmlFreeParserCtxt() leaves behind: it must not outlive this
		 * parse, nor reach the next one on this context. */
		if (ctxt->myDoc != NULL) {
			xmlFreeDoc(ctxt->myDoc);
			ctxt->myDoc = NULL;
		}
		ctxt->userData = NULL;
	}

	xmlSetGenericErrorFunc(saved_generic_ctx, saved_generic);
	xmlSetStructuredErrorFunc(saved_structured_ctx, saved_structured);

	if (st.why == NULL && !well_formed)
		st.why = "not well-formed XML";
	if (st.why == NULL)
		st.why = result(&st, out);
	*why = st.why;
	return st.why == NULL ? 0 : -1;
}

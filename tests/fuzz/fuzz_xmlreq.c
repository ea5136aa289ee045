/* The Autodiscover request reader, the one place untrusted XML is read,
 * held to libxml2's verdict on the same bytes. Besides not crashing:
 *  - what it accepts, libxml2 finds well-formed, namespaces included,
 *    and without a DTD (so no entity was declared, let alone expanded);
 *  - what libxml2 finds well-formed in UTF-8 without a DTD, it does not
 *    call malformed (it may refuse it for what it says), but for two
 *    leniencies of libxml2's (below);
 *  - an accepted request yields a trimmed, bounded address and a known
 *    schema; a refusal gives a reason that is static text, never request
 *    bytes. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <libxml/parser.h>

#include "fuzz.h"
#include "util.h"
#include "xmlreq.h"

static void
silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, silent);
	return 0;
}

/* Namespace errors other than a namespace name that is not a URI, which
 * libxml2 reports as one though the Namespaces recommendation makes no
 * well-formedness rule of it (and the reader does not check it). */
static int ns_errors;

static void
count_ns_errors(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	if (e->domain == XML_FROM_NAMESPACE && e->level >= XML_ERR_ERROR &&
	    e->code != XML_WAR_NS_URI)
		ns_errors++;
}

struct verdict {
	bool well_formed;	/* namespaces too */
	bool dtd;
	bool utf8;		/* no declared encoding, or UTF-8 */
};

static struct verdict
libxml2_verdict(const char *body, size_t size)
{
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	struct verdict v = { false, false, false };
	xmlDocPtr doc;

	FUZZ_ASSERT(ctxt != NULL);
	ns_errors = 0;
	ctxt->sax->serror = count_ns_errors;
	doc = xmlCtxtReadMemory(ctxt, body, (int)size, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOWARNING);
	if (doc != NULL && ctxt->wellFormed && ns_errors == 0) {
		v.well_formed = true;
		v.dtd = doc->intSubset != NULL || doc->extSubset != NULL;
		v.utf8 = doc->encoding == NULL ||
		    xmlStrcasecmp(doc->encoding, BAD_CAST "UTF-8") == 0;
	}
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data, *why;
	struct xmlreq rq;
	struct verdict v = { false, false, false };

	if (size > 64 * 1024)
		return 0;
	if (size > 0)
		v = libxml2_verdict(body, size);
	if (xmlreq_parse(body, size, &rq, &why) == 0) {
		FUZZ_ASSERT(why == NULL);
		FUZZ_ASSERT(rq.addr_len >= 1 && rq.addr_len <= XMLREQ_ADDR_MAX);
		FUZZ_ASSERT(strlen(rq.addr) == rq.addr_len);
		FUZZ_ASSERT(strchr(" \t\r\n", rq.addr[0]) == NULL);
		FUZZ_ASSERT(strchr(" \t\r\n", rq.addr[rq.addr_len - 1]) == NULL);
		FUZZ_ASSERT(rq.who == XMLREQ_EMAIL || rq.who == XMLREQ_LEGACYDN);
		FUZZ_ASSERT(rq.schema == XMLREQ_OUTLOOK ||
		    rq.schema == XMLREQ_MOBILESYNC || rq.schema == XMLREQ_OTHER);
		FUZZ_ASSERT(v.well_formed && !v.dtd);
	} else {
		FUZZ_ASSERT(why != NULL && why[0] != '\0');
		/* A static reason cannot lie inside the input. */
		FUZZ_ASSERT(why < body || why >= body + size);
		/* libxml2 takes a NUL byte after the root element for the
		 * end of the input, and lets the declaration's standalone
		 * go without the white space before it; the reader does
		 * neither. */
		if (v.well_formed && !v.dtd && v.utf8 &&
		    memchr(body, '\0', size) == NULL &&
		    memmem(body, size, "\"standalone", 11) == NULL &&
		    memmem(body, size, "'standalone", 11) == NULL)
			FUZZ_ASSERT(strcmp(why, "not well-formed XML") != 0);
	}
	return 0;
}

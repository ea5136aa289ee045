/* The Autodiscover request parser, the one place untrusted XML is parsed.
 * Besides not crashing and not expanding anything: an accepted request
 * yields a trimmed, bounded address and a known schema; a refusal gives a
 * reason that is static text, never request bytes. */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>

#include "fuzz.h"
#include "util.h"
#include "xmlreq.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data, *why;
	struct xmlreq rq;

	if (xmlreq_parse(body, size, &rq, &why) == 0) {
		FUZZ_ASSERT(why == NULL);
		FUZZ_ASSERT(rq.addr_len >= 1 && rq.addr_len <= XMLREQ_ADDR_MAX);
		FUZZ_ASSERT(strlen(rq.addr) == rq.addr_len);
		FUZZ_ASSERT(strchr(" \t\r\n", rq.addr[0]) == NULL);
		FUZZ_ASSERT(strchr(" \t\r\n", rq.addr[rq.addr_len - 1]) == NULL);
		FUZZ_ASSERT(rq.who == XMLREQ_EMAIL || rq.who == XMLREQ_LEGACYDN);
		FUZZ_ASSERT(rq.schema == XMLREQ_OUTLOOK ||
		    rq.schema == XMLREQ_MOBILESYNC || rq.schema == XMLREQ_OTHER);
		/* Only well-formed documents without a DTD get through, so no
		 * entity can have been declared, let alone expanded. */
		xmlDocPtr doc = xmlReadMemory(body, (int)size, NULL, NULL,
		    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		FUZZ_ASSERT(doc != NULL);
		FUZZ_ASSERT(doc->intSubset == NULL && doc->extSubset == NULL);
		xmlFreeDoc(doc);
	} else {
		FUZZ_ASSERT(why != NULL && why[0] != '\0');
		/* A static reason cannot lie inside the input. */
		FUZZ_ASSERT(why < body || why >= body + size);
	}
	return 0;
}

/* The one place where untrusted XML is parsed: the body of an Autodiscover
 * POX request (Outlook and ActiveSync). The parse is a streaming (SAX) one
 * that builds no tree, loads nothing from the network, expands no entity
 * and refuses any document with a DTD. */
#ifndef AUTOCONFD_XMLREQ_H
#define AUTOCONFD_XMLREQ_H

#include <stddef.h>

#define XMLREQ_ADDR_MAX 512	/* EMailAddress or LegacyDN, after trimming */
#define XMLREQ_DEPTH_MAX 16	/* element nesting; a request needs 3 */

#define AD_NS_RESPONSE \
	"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
#define AD_NS_OUTLOOK_REQUEST \
	"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
#define AD_NS_OUTLOOK_RESPONSE \
	"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
#define AD_NS_MOBILESYNC_REQUEST \
	"http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
#define AD_NS_MOBILESYNC_RESPONSE \
	"http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"

/* The response schema the client accepts. Without AcceptableResponseSchema
 * the request's namespace decides (mobilesync request → mobilesync). */
enum xmlreq_schema {
	XMLREQ_OUTLOOK,		/* outlook/responseschema/2006a */
	XMLREQ_MOBILESYNC,	/* mobilesync/responseschema/2006 */
	XMLREQ_OTHER,		/* anything else: error 601 */
};

enum xmlreq_who {
	XMLREQ_EMAIL,		/* addr is the EMailAddress */
	XMLREQ_LEGACYDN,	/* no EMailAddress; addr is the LegacyDN */
};

struct xmlreq {
	char addr[XMLREQ_ADDR_MAX + 1];	/* NUL-terminated, outer space trimmed */
	size_t addr_len;
	enum xmlreq_who who;
	enum xmlreq_schema schema;
};

/* Parses a request body. Returns 0, or -1 with *why set to a short static
 * reason (never request text) when the request is malformed or hostile.
 * Thread-safe; libxml2 prints nothing. */
int xmlreq_parse(const char *body, size_t len, struct xmlreq *out,
    const char **why);

#endif

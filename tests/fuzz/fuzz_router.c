/* A whole request through the router and its endpoint, as http.c would
 * hand it over, against a site with two providers whose names carry
 * markup metacharacters. The input is
 *
 *	METHOD\n PATH\n QUERY\n (NAME: VALUE\n)* \n BODY
 *
 * PATH and the names and values of QUERY (a=b&c=d) are percent-decoded,
 * as libmicrohttpd does. Every answer must be a well-formed document of
 * its declared type, HTML answers hold only the settings page's own
 * elements, plain-text answers no control bytes, header values no line
 * breaks. */
#include "config.h"

#include <string.h>

#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <microhttpd.h>

#include "conf.h"
#include "fuzz.h"
#include "http.h"
#include "render.h"
#include "request.h"
#include "site.h"

#define PAIRS_MAX 16

static const char site_json[] =
    "{\"providers\": ["
    " {\"id\": \"example.com\", \"name\": \"Ex <b>&amp;</b> \\\"Mail\\\" ']]>\","
    "  \"short_name\": \"Ex & <Co>\","
    "  \"domains\": [\"example.com\", \"Example.NET\", \"*.hosted.example.org\","
    "   \"b\\u00fccher.example\"],"
    "  \"servers\": ["
    "   {\"protocol\": \"imap\", \"host\": \"imap.example.com\", \"port\": 993, \"security\": \"ssl\"},"
    "   {\"protocol\": \"imap\", \"host\": \"imap.example.com\", \"port\": 143, \"security\": \"starttls\"},"
    "   {\"protocol\": \"pop3\", \"host\": \"pop.example.com\", \"port\": 995, \"security\": \"ssl\","
    "    \"leave_messages_on_server\": true},"
    "   {\"protocol\": \"smtp\", \"host\": \"smtp.example.com\", \"port\": 587, \"security\": \"starttls\","
    "    \"auth\": [\"password-cleartext\", \"OAuth2\"], \"username\": \"%EMAILLOCALPART%\"},"
    "   {\"protocol\": \"smtp\", \"host\": \"smtp.example.com\", \"port\": 25, \"security\": \"plain\"}],"
    "  \"documentation\": \"https://example.com/help?a=1&b=2\","
    "  \"webmail\": \"https://webmail.example.com/\","
    "  \"activesync\": \"https://mail.example.com/Microsoft-Server-ActiveSync\","
    "  \"caldav\": \"https://dav.example.com/cal/\","
    "  \"carddav\": \"https://dav.example.com/card/\","
    "  \"oauth2\": {\"issuer\": \"https://login.example.com\", \"scope\": \"mail offline_access\","
    "   \"auth_url\": \"https://login.example.com/auth\", \"token_url\": \"https://login.example.com/token\"},"
    "  \"mobileconfig\": {\"identifier\": \"com.example.mail\", \"organization\": \"Ex & <Co>\"}},"
    " {\"id\": \"other.org\", \"name\": \"Other\", \"domains\": [\"other.org\"],"
    "  \"servers\": ["
    "   {\"protocol\": \"imap\", \"host\": \"mail.other.org\", \"port\": 993, \"security\": \"ssl\"},"
    "   {\"protocol\": \"smtp\", \"host\": \"mail.other.org\", \"port\": 465, \"security\": \"ssl\"}]}"
    "]}";

static struct site *site;

struct pair { char *name, *value; };
struct fake {
	struct pair headers[PAIRS_MAX], query[PAIRS_MAX];
	size_t nheaders, nquery;
};

static const char *
lookup(const struct pair *pairs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_strcasecmp(pairs[i].name, name) == 0)
			return pairs[i].value;
	return NULL;
}

static const char *
fake_header(const struct request *rq, const char *name)
{
	const struct fake *f = rq->ctx;

	return lookup(f->headers, f->nheaders, name);
}

static const char *
fake_query(const struct request *rq, const char *name)
{
	const struct fake *f = rq->ctx;

	return lookup(f->query, f->nquery, name);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diag d = { 0 };
	struct conf *c;

	(void)argc;
	(void)argv;
	xmlInitParser();
	c = conf_load_buffer("fuzz-site.json", site_json, strlen(site_json), &d);
	if (c != NULL)
		site = site_new(c, &d);
	if (site == NULL) {
		fprintf(stderr, "%s", d.errors.data);
		abort();
	}
	diag_free(&d);
	site_publish(site);	/* as the daemon does; keeps it reachable */
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ascii_tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s in place; stops at the first decoded NUL, as a C
 * string handed over by libmicrohttpd would. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		int hi, lo;

		if (*s == '%' && (hi = hexval(s[1])) >= 0 &&
		    (lo = hexval(s[2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/* Cuts the next '\n'-terminated line off *p (NUL-terminating it); NULL
 * once the input is used up. */
static char *
next_line(char **p, char *end)
{
	char *line = *p, *nl;

	if (line >= end)
		return NULL;
	nl = memchr(line, '\n', (size_t)(end - line));
	if (nl == NULL)
		nl = end;
	*nl = '\0';
	*p = nl < end ? nl + 1 : end;
	return line;
}

static void
parse_query(struct fake *f, char *q)
{
	while (q != NULL && *q != '\0' && f->nquery < PAIRS_MAX) {
		char *amp = strchr(q, '&'), *eq;

		if (amp != NULL)
			*amp++ = '\0';
		eq = strchr(q, '=');
		if (eq != NULL)
			*eq++ = '\0';
		unescape(q);
		if (eq != NULL)
			unescape(eq);
		f->query[f->nquery].name = q;
		f->query[f->nquery].value = eq != NULL ? eq : (char *)"";
		f->nquery++;
		q = amp;
	}
}

/* Plain text reaches terminals: no control bytes but line breaks and tabs
 * (markup is inert there: every answer says nosniff). */
static void
check_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		FUZZ_ASSERT(c >= 0x20 || c == '\n' || c == '\t');
		FUZZ_ASSERT(c != 0x7f);
	}
}

/* Every element and attribute of an HTML answer is one the settings page
 * writes itself: request bytes can only ever be text. */
static void
check_html_tree(xmlNodePtr n)
{
	static const char *const elements[] = { "html", "head", "meta",
	    "title", "style", "body", "main", "h1", "h2", "p", "form", "label",
	    "input", "button", "table", "caption", "thead", "tbody", "tr",
	    "th", "td", "code", "a", "ul", "li", "strong", "em", "span", "br",
	    "div", "section", "small", "script", NULL };

	for (; n != NULL; n = n->next) {
		size_t i;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; elements[i] != NULL; i++)
			if (strcmp((const char *)n->name, elements[i]) == 0)
				break;
		FUZZ_ASSERT(elements[i] != NULL);
		/* The page's one script, as it is: no request byte in it. */
		if (strcmp((const char *)n->name, "script") == 0) {
			xmlChar *js = xmlNodeGetContent(n);

			FUZZ_ASSERT(js != NULL &&
			    strcmp((const char *)js, settings_js) == 0);
			xmlFree(js);
		}
		for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
			const char *an = (const char *)a->name;
			xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);

			FUZZ_ASSERT(ascii_strncasecmp(an, "on", 2) != 0);
			/* Only the page's own links: no script URL. */
			if (strcmp(an, "href") == 0 || strcmp(an, "src") == 0 ||
			    strcmp(an, "action") == 0)
				FUZZ_ASSERT(v == NULL || ascii_strncasecmp(
				    (const char *)v + strspn((const char *)v,
				    " \t\r\n"), "javascript:", 11) != 0);
			xmlFree(v);
		}
		check_html_tree(n->children);
	}
}

/* The answer is a well-formed instance of its content type. */
static void
check_reply(const struct reply *rp)
{
	const char *data, *ctype = rp->ctype;
	size_t len;

	FUZZ_ASSERT(rp->status >= 200 && rp->status <= 599);
	FUZZ_ASSERT(rp->endpoint != NULL);
	if (rp->blob != NULL) {
		data = rp->blob->data;
		len = rp->blob->len;
		/* A pre-rendered document carries its type in its response. */
		ctype = MHD_get_response_header(rp->blob->resp,
		    MHD_HTTP_HEADER_CONTENT_TYPE);
		FUZZ_ASSERT(ctype != NULL);
	} else {
		data = rp->body.data;
		len = rp->body.len;
		FUZZ_ASSERT(ctype != NULL);
	}
	FUZZ_ASSERT(data != NULL || len == 0);
	for (size_t i = 0; i < rp->nheaders; i++) {
		FUZZ_ASSERT(strpbrk(rp->headers[i].value, "\r\n") == NULL);
		FUZZ_ASSERT(strpbrk(rp->headers[i].name, "\r\n: ") == NULL);
	}
	if (strncmp(ctype, "text/plain", 10) == 0) {
		check_text(data, len);
	} else if (strncmp(ctype, "text/html", 9) == 0) {
		htmlDocPtr doc = htmlReadMemory(data, (int)len, NULL, "UTF-8",
		    HTML_PARSE_NONET | HTML_PARSE_NOERROR |
		    HTML_PARSE_NOWARNING);

		FUZZ_ASSERT(doc != NULL);
		check_html_tree(xmlDocGetRootElement(doc));
		xmlFreeDoc(doc);
	} else if (strstr(ctype, "xml") != NULL ||
	    (len > 5 && memcmp(data, "<?xml", 5) == 0)) {
		/* Including Apple profiles, which are XML property lists. */
		xmlDocPtr doc = xmlReadMemory(data, (int)len, NULL, NULL,
		    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

		FUZZ_ASSERT(doc != NULL);
		xmlFreeDoc(doc);
	} else if (strstr(ctype, "json") != NULL) {
		json_error_t je;
		json_t *j = json_loadb(data, len, 0, &je);

		FUZZ_ASSERT(j != NULL);
		json_decref(j);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct { const char *name; enum method m; } methods[] = {
		{ "GET", M_GET }, { "HEAD", M_HEAD }, { "POST", M_POST },
	};
	char *copy = xmalloc(size + 1), *p = copy, *end = copy + size;
	char *line, *body = NULL;
	struct fake f = { .nheaders = 0 };
	struct request rq = { .method = M_OTHER, .site = site,
	    .header = fake_header, .query = fake_query, .ctx = &f };
	struct reply rp = { 0 };

	memcpy(copy, data, size);
	copy[size] = '\0';
	rq.method_name = (line = next_line(&p, end)) != NULL ? line : "GET";
	for (size_t i = 0; i < ARRAY_LEN(methods); i++)
		if (strcmp(rq.method_name, methods[i].name) == 0)
			rq.method = methods[i].m;
	rq.path = "/";
	if ((line = next_line(&p, end)) != NULL) {
		unescape(line);
		rq.path = line;
	}
	parse_query(&f, next_line(&p, end));
	while ((line = next_line(&p, end)) != NULL && *line != '\0') {
		char *colon = strchr(line, ':');

		if (colon == NULL || f.nheaders == PAIRS_MAX)
			continue;
		*colon++ = '\0';
		colon += strspn(colon, " \t");
		f.headers[f.nheaders].name = line;
		f.headers[f.nheaders].value = colon;
		f.nheaders++;
	}
	if (p < end && rq.method == M_POST) {
		/* Bodies over the cap get a 413 from http.c, never here. */
		rq.body_len = (size_t)(end - p) < HTTP_BODY_MAX ?
		    (size_t)(end - p) : HTTP_BODY_MAX;
		body = xmalloc(rq.body_len + 1);
		memcpy(body, p, rq.body_len);
		body[rq.body_len] = '\0';
		rq.body = body;
	}
	route(&rq, &rp);
	check_reply(&rp);
	reply_free(&rp);
	free(body);
	free(copy);
	return 0;
}

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "domfile.h"
#include "email.h"
#include "jpos.h"
#include "region.h"

#define CONF_FILE_MAX (256u * 1024 * 1024)
#define ERRORS_MAX 50

static const char *const proto_names[PROTO_COUNT] = { "imap", "pop3", "smtp",
    "managesieve" };
static const char *const security_names[] = { "ssl", "starttls", "plain" };
static const char *const auth_names[AUTH_COUNT] = {
	"password-cleartext", "password-encrypted", "NTLM", "GSSAPI",
	"TLS-client-cert", "OAuth2", "client-IP-address", "none",
	"smtp-after-pop",
};
/* Stable: configs name them in "accept_warnings". */
static const char *const warning_names[W_COUNT] = {
	"http-url", "ip-host", "ip-domain", "single-label-domain",
	"long-name", "long-short-name", "starttls-port", "ssl-port",
	"port-25", "plain-only", "realname-username", "no-imap",
	"mta-sts-mx", "mta-sts-max-age", "acme-dir",
};
_Static_assert(W_COUNT <= 32, "accepted warnings are a 32-bit mask");
static const char *const placeholders[] = {
	"%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%", "%REALNAME%",
};
/* The one placeholder host names and URLs may hold: filled in with the
 * domain asked for. */
#define DOMAIN_PH "%EMAILDOMAIN%"

const char *proto_name(enum proto p) { return proto_names[p]; }
const char *security_name(enum security s) { return security_names[s]; }
const char *auth_name(enum auth a) { return auth_names[a]; }
const char *warning_name(enum warning w) { return warning_names[w]; }

bool
server_advertised(const struct server *s)
{
	return s->security != SEC_PLAIN;
}

void
diag_free(struct diag *d)
{
	buf_free(&d->errors);
	buf_free(&d->warnings);
	d->nerrors = d->nwarnings = 0;
}

/* ---- parse arena ----------------------------------------------------
 * jansson builds a tree six times the size of the file (80 MB for the
 * 13 MB of 100,000 domains), one malloc per node. So the loader never
 * holds the whole tree: it parses the top level without the providers,
 * then one provider at a time (see load_buffer()). While a thread parses
 * a config, its jansson allocations come from a bump arena of mmap()ed
 * chunks: no malloc/free per node, no tree to free. A mark taken after
 * the top level and a release back to it before each provider make the
 * providers reuse the same memory (chunks opened by a big provider are
 * kept for the next); everything goes back to the system at the end. No
 * node outlives the load (the model copies what it keeps into its
 * region); other threads keep using malloc. */

#define ARENA_FIRST (1024 * 1024)
#define ARENA_MAX (64 * 1024 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
};

struct arena_mark {
	struct arena_chunk *chunk;
	size_t used;
};

static _Thread_local struct arena_chunk *arena, *arena_spare;
static _Thread_local bool arena_on;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;

static void *
arena_alloc(size_t n)
{
	struct arena_chunk *c = arena;
	const size_t hdr = (sizeof(*c) + 15) & ~(size_t)15;

	if (!arena_on)
		return malloc(n);
	n = (n + 15) & ~(size_t)15;
	if (c == NULL || c->size - c->used < n) {
		size_t size = c == NULL ? ARENA_FIRST :
		    c->size < ARENA_MAX ? c->size * 2 : ARENA_MAX;
		void *m;

		if (size < hdr + n)
			size = (hdr + n + 4095) & ~(size_t)4095;
		if (arena_spare != NULL && arena_spare->size >= hdr + n) {
			m = arena_spare;
			size = arena_spare->size;
			arena_spare = arena_spare->next;
		} else {
			m = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED)
				return NULL;	/* jansson reports it */
		}
		c = m;
		c->next = arena;
		c->size = size;
		c->used = hdr;
		arena = c;
	}
	void *p = (char *)c + c->used;
	c->used += n;
	return p;
}

static void
arena_free(void *p)
{
	if (!arena_on)
		free(p);
}

static void
arena_use(void)
{
	json_set_alloc_funcs(arena_alloc, arena_free);
}

static void
arena_begin(void)
{
	pthread_once(&arena_once, arena_use);
	arena_on = true;
}

static struct arena_mark
arena_mark(void)
{
	struct arena_mark m = { arena, arena != NULL ? arena->used : 0 };

	return m;
}

/* Drops every node allocated since the mark. */
static void
arena_release(struct arena_mark m)
{
	while (arena != m.chunk) {
		struct arena_chunk *c = arena;

		arena = c->next;
		c->next = arena_spare;
		arena_spare = c;
	}
	if (arena != NULL)
		arena->used = m.used;
}

static void
arena_unmap(struct arena_chunk *c)
{
	struct arena_chunk *next;

	for (; c != NULL; c = next) {
		next = c->next;
		munmap(c, c->size);
	}
}

/* Drops every node allocated since arena_begin(). */
static void
arena_end(void)
{
	arena_unmap(arena);
	arena_unmap(arena_spare);
	arena = arena_spare = NULL;
	arena_on = false;
}

/* ---- loader context and diagnostics -------------------------------- */

struct ld {
	const char *name;
	const char *text;
	size_t len;
	struct diag *d;
	struct region *r;
	char path[512];
	size_t pathlen;
	/* Providers parsed one at a time (NULL: the whole tree at once). */
	const struct jpos_array *split;
	struct arena_mark mark;	/* the top-level tree ends here */
	struct diag before;	/* d as it was before the load */
	bool broken;		/* a syntax error in a provider, reported */
	uint32_t accepted;	/* warnings the provider being read accepts */
	bool templated;		/* the provider has %EMAILDOMAIN% somewhere */
	/* Set for a domain read from a file: messages point there. */
	const char *at_file;
	unsigned int at_line;
	struct ldx *x;		/* what the files of one load share */
};

/* Where a domain of a provider came from, when some came from files. */
struct dsrc {
	const char *file;	/* NULL: the JSON item itself */
	unsigned int line;
	size_t item;		/* index in the JSON "domains" array */
};

/* Where a provider was written: a file of "include", or providers[i] of
 * the main file (name NULL); and where its domains came from. */
struct porigin {
	const char *name, *text;
	size_t len;
	char prefix[32];	/* its JSON path in that file: "" or
				 * "providers[3]" */
	struct dsrc *dsrc;	/* per domain, or NULL: all from JSON */
};

struct ldx {
	/* The providers while they are loaded (copied into the region at
	 * the end: includes add to them) and where each was written. */
	struct provider *prov;
	struct porigin *orig;
	size_t nprov, cap;
	char **texts;		/* of included files, freed after the load */
	size_t ntexts;
};

static size_t
push_key(struct ld *l, const char *key)
{
	size_t saved = l->pathlen;
	int n = snprintf(l->path + l->pathlen, sizeof(l->path) - l->pathlen,
	    "%s%s", l->pathlen ? "." : "", key);

	if (n > 0 && (size_t)n < sizeof(l->path) - l->pathlen)
		l->pathlen += (size_t)n;
	l->path[l->pathlen] = '\0';
	return saved;
}

static size_t
push_idx(struct ld *l, size_t i)
{
	size_t saved = l->pathlen;
	int n = snprintf(l->path + l->pathlen, sizeof(l->path) - l->pathlen,
	    "[%zu]", i);

	if (n > 0 && (size_t)n < sizeof(l->path) - l->pathlen)
		l->pathlen += (size_t)n;
	l->path[l->pathlen] = '\0';
	return saved;
}

static void
pop(struct ld *l, size_t saved)
{
	l->pathlen = saved;
	l->path[saved] = '\0';
}

__attribute__((format(printf, 6, 0)))
static void
vreport(struct ld *l, struct buf *out, int at_key, const char *kind,
    const char *name, const char *fmt, va_list ap)
{
	struct buf msg = { 0 };
	int line, col;

	if (l->at_file != NULL)
		buf_printf(out, "%s:%u:1: %s", l->at_file, l->at_line, kind);
	else if (jpos_find(l->text, l->len, l->path, at_key, &line, &col) == 0)
		buf_printf(out, "%s:%d:%d: %s", l->name, line, col, kind);
	else
		buf_printf(out, "%s: %s", l->name, kind);
	if (l->pathlen > 0)
		buf_printf(&msg, "%s: ", l->path);
	buf_vprintf(&msg, fmt, ap);
	if (name != NULL)
		buf_printf(&msg, " [%s]", name);
	/* Keys and values quoted from the file stay on one line. */
	buf_ctl_escape(out, msg.data, msg.len);
	buf_putc(out, '\n');
	buf_free(&msg);
}

__attribute__((format(printf, 3, 4)))
static void
err_at(struct ld *l, int at_key, const char *fmt, ...)
{
	va_list ap;

	if (l->d->nerrors++ >= ERRORS_MAX)
		return;
	va_start(ap, fmt);
	vreport(l, &l->d->errors, at_key, "", NULL, fmt, ap);
	va_end(ap);
}

#define err(l, ...) err_at((l), 0, __VA_ARGS__)

/* A warning, unless the provider being read accepts it by name. */
__attribute__((format(printf, 3, 4)))
static void
warn(struct ld *l, enum warning w, const char *fmt, ...)
{
	va_list ap;

	if (l->accepted & (UINT32_C(1) << w))
		return;
	l->d->nwarnings++;
	va_start(ap, fmt);
	vreport(l, &l->d->warnings, 0, "warning: ", warning_names[w], fmt, ap);
	va_end(ap);
}

/* ---- schema helpers ------------------------------------------------ */

static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64];

	if (lb >= ARRAY_LEN(row) || la >= 64)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			size_t del = row[j] + 1, ins = row[j - 1] + 1;

			row[j] = sub < del ? (sub < ins ? sub : ins)
			    : (del < ins ? del : ins);
			prev = cur;
		}
	}
	return row[lb];
}

/* Unknown keys are errors: a typo must not pass silently. */
static void
check_keys(struct ld *l, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const char *best = NULL;
		size_t bestd = 3, i;

		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] != NULL)
			continue;
		for (i = 0; allowed[i] != NULL; i++) {
			size_t d = edit_distance(key, allowed[i]);
			if (d < bestd) {
				bestd = d;
				best = allowed[i];
			}
		}
		size_t s = push_key(l, key);
		if (best != NULL)
			err_at(l, 1, "unknown key \"%s\" (did you mean \"%s\"?)",
			    key, best);
		else
			err_at(l, 1, "unknown key \"%s\"", key);
		pop(l, s);
	}
}

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* A string value; l->path must name it. NULL (after an error) if invalid. */
static const char *
string_value(struct ld *l, json_t *v, size_t maxchars)
{
	const char *s;
	size_t i, n;

	if (!json_is_string(v)) {
		err(l, "expected a string, found %s", json_type_name(v));
		return NULL;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n == 0) {
		err(l, "must not be empty");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			err(l, "control characters are not allowed");
			return NULL;
		}
	}
	if (maxchars > 0 && utf8_chars(s) > maxchars) {
		err(l, "longer than %zu characters", maxchars);
		return NULL;
	}
	return region_strndup(l->r, s, n);
}

static json_t *
member(struct ld *l, json_t *obj, const char *key, json_type want,
    bool required, size_t *saved)
{
	static const char *const names[] = { "an object", "an array",
	    "a string", "an integer", "a number", "a boolean", "a boolean",
	    "null" };
	json_t *v = json_object_get(obj, key);

	if (v == NULL) {
		if (required)
			err(l, "missing required key \"%s\"", key);
		return NULL;
	}
	*saved = push_key(l, key);
	if (json_typeof(v) != want && !(want == JSON_TRUE &&
	    json_is_boolean(v))) {
		err(l, "expected %s, found %s", names[want], json_type_name(v));
		pop(l, *saved);
		return NULL;
	}
	return v;
}

static const char *
opt_string(struct ld *l, json_t *obj, const char *key, size_t maxchars)
{
	size_t s;
	json_t *v = json_object_get(obj, key);
	const char *r = NULL;

	if (v == NULL)
		return NULL;
	s = push_key(l, key);
	r = string_value(l, v, maxchars);
	pop(l, s);
	return r;
}

/* An http(s) URL with a host and no spaces. */
static const char *
url_value(struct ld *l, json_t *v, bool https_only)
{
	const char *s = string_value(l, v, 2048), *host;

	if (s == NULL)
		return NULL;
	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0 && !https_only)
		host = s + 7;
	else {
		err(l, "expected an %s URL", https_only ? "https://" :
		    "http:// or https://");
		return NULL;
	}
	if (*host == '\0' || *host == '/' || strpbrk(s, " \"<>\\^`{|}") != NULL) {
		err(l, "not a valid URL");
		return NULL;
	}
	/* "%EM..." is no percent-encoding: a placeholder, of which URLs are
	 * filled in with the domain only (what the answers that carry them
	 * are made for). */
	for (size_t i = 0; i < ARRAY_LEN(placeholders); i++) {
		const char *ph = strstr(s, placeholders[i]);

		if (ph == NULL)
			continue;
		if (strcmp(placeholders[i], DOMAIN_PH) != 0) {
			err(l, "%s is not filled in URLs; only %s is",
			    placeholders[i], DOMAIN_PH);
			return NULL;
		}
		l->templated = true;
	}
	return s;
}

static const char *
opt_url(struct ld *l, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	const char *r;
	size_t s;

	if (v == NULL)
		return NULL;
	s = push_key(l, key);
	r = url_value(l, v, false);
	if (r != NULL && strncmp(r, "http://", 7) == 0)
		warn(l, W_HTTP_URL, "plain http URL; clients may refuse it");
	pop(l, s);
	return r;
}

static int
lookup_name(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

static void
list_names(struct buf *b, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s\"%s\"", i ? ", " : "", names[i]);
}

static int
enum_value(struct ld *l, json_t *v, const char *const *names, size_t n)
{
	struct buf b = { 0 };
	int r;

	if (!json_is_string(v)) {
		err(l, "expected a string, found %s", json_type_name(v));
		return -1;
	}
	r = lookup_name(json_string_value(v), names, n);
	if (r >= 0)
		return r;
	list_names(&b, names, n);
	err(l, "unknown value \"%s\"; expected one of %s",
	    json_string_value(v), b.data);
	buf_free(&b);
	return -1;
}

/* ---- servers --------------------------------------------------------- */

static bool
username_ok(struct ld *l, const char *u)
{
	const char *p = u;

	while ((p = strchr(p, '%')) != NULL) {
		size_t i;

		for (i = 0; i < ARRAY_LEN(placeholders); i++) {
			size_t n = strlen(placeholders[i]);

			if (strncmp(p, placeholders[i], n) == 0) {
				p += n;
				break;
			}
		}
		if (i == ARRAY_LEN(placeholders)) {
			err(l, "unknown placeholder at \"%.20s\"; expected "
			    "%%EMAILADDRESS%%, %%EMAILLOCALPART%%, "
			    "%%EMAILDOMAIN%% or %%REALNAME%%", p);
			return false;
		}
	}
	return true;
}

/* A host name with %EMAILDOMAIN% in it (mail.%EMAILDOMAIN%), checked with
 * a domain in its place and kept lowercase with the placeholder. A local
 * part or an address is no part of a host name: Thunderbird for Android
 * refuses a host name with a placeholder left in it, and clients that send
 * no address leave nothing to fill it with. */
static const char *
host_template(struct ld *l, const char *s, bool wildcard)
{
	char dom[DOMAIN_MAX + 3];
	struct buf t = { 0 }, out = { 0 };
	const char *p, *why;
	char *r = NULL;

	for (p = s; *p != '\0'; p++) {
		if (strncmp(p, DOMAIN_PH, strlen(DOMAIN_PH)) == 0) {
			buf_puts(&t, "example.org");
			buf_puts(&out, DOMAIN_PH);
			p += strlen(DOMAIN_PH) - 1;
			continue;
		}
		if (*p == '%' || (unsigned char)*p >= 0x80) {
			err(l, "\"%s\": a host name may hold %s and ASCII "
			    "letters, digits, '-' and '.'", s, DOMAIN_PH);
			goto out;
		}
		buf_putc(&t, ascii_tolower(*p));
		buf_putc(&out, ascii_tolower(*p));
	}
	if (out.len > 0 && out.data[out.len - 1] == '.')
		out.data[--out.len] = '\0';
	p = t.data;
	if (wildcard && strncmp(p, "*.", 2) == 0)
		p += 2;
	if (domain_normalize(p, strlen(p), dom, sizeof(dom), &why) < 0)
		err(l, "\"%s\" is not a valid host name: %s", s, why);
	else {
		l->templated = true;
		r = region_strdup(l->r, out.data);
	}
out:
	buf_free(&t);
	buf_free(&out);
	return r;
}

/* A host name; with wildcard, "*." may lead (an MTA-STS mx pattern,
 * RFC 8461 4.1). */
static const char *
host_name(struct ld *l, json_t *v, bool wildcard)
{
	char dom[DOMAIN_MAX + 3];
	const char *why, *s;
	size_t off = 0;

	if (!json_is_string(v)) {
		err(l, "expected a string, found %s", json_type_name(v));
		return NULL;
	}
	s = json_string_value(v);
	if (strchr(s, '%') != NULL)
		return host_template(l, s, wildcard);
	if (wildcard && strncmp(s, "*.", 2) == 0) {
		memcpy(dom, "*.", 2);
		off = 2;
	}
	if (domain_normalize(s + off, json_string_length(v) - off, dom + off,
	    sizeof(dom) - off, &why) < 0) {
		err(l, "\"%s\" is not a valid host name: %s", s, why);
		return NULL;
	}
	if (domain_is_ipv4(dom))
		warn(l, W_IP_HOST, "an IP address as host: clients check the "
		    "TLS certificate against it, and certificates rarely name "
		    "one");
	return region_strdup(l->r, dom);
}

static const char *
host_value(struct ld *l, json_t *v)
{
	return host_name(l, v, false);
}

static void
load_server(struct ld *l, json_t *js, struct server *sv)
{
	static const char *const keys[] = { "protocol", "host", "port",
	    "security", "auth", "username", "leave_messages_on_server", NULL };
	json_t *v;
	size_t s;
	int e;

	check_keys(l, js, keys);
	if ((v = member(l, js, "protocol", JSON_STRING, true, &s)) != NULL) {
		e = enum_value(l, v, proto_names, PROTO_COUNT);
		sv->proto = e < 0 ? PROTO_IMAP : (enum proto)e;
		pop(l, s);
	}
	if ((v = member(l, js, "host", JSON_STRING, true, &s)) != NULL) {
		sv->host = host_value(l, v);
		pop(l, s);
	}
	/* ManageSieve has its own port and STARTTLS (RFC 5804). */
	bool sieve = sv->proto == PROTO_MANAGESIEVE;
	sv->port = sieve ? 4190 : 0;
	sv->security = sieve ? SEC_STARTTLS : SEC_SSL;
	if ((v = member(l, js, "port", JSON_INTEGER, !sieve, &s)) != NULL) {
		json_int_t port = json_integer_value(v);

		if (port < 1 || port > 65535)
			err(l, "expected integer 1-65535, found %lld",
			    (long long)port);
		else
			sv->port = (uint16_t)port;
		pop(l, s);
	}
	if ((v = member(l, js, "security", JSON_STRING, !sieve, &s)) != NULL) {
		e = enum_value(l, v, security_names, ARRAY_LEN(security_names));
		sv->security = e < 0 ? SEC_SSL : (enum security)e;
		pop(l, s);
	}
	sv->nauth = 0;
	if ((v = member(l, js, "auth", JSON_ARRAY, false, &s)) != NULL) {
		size_t i, n = json_array_size(v);

		if (n == 0)
			err(l, "must list at least one method");
		if (n > AUTH_MAX)
			err(l, "at most %d methods", AUTH_MAX);
		for (i = 0; i < n && i < AUTH_MAX; i++) {
			size_t s2 = push_idx(l, i);

			e = enum_value(l, json_array_get(v, i), auth_names,
			    AUTH_COUNT);
			if (e >= 0) {
				for (size_t k = 0; k < sv->nauth; k++)
					if (sv->auth[k] == (enum auth)e) {
						err(l, "\"%s\" listed twice",
						    auth_names[e]);
						e = -1;
						break;
					}
			}
			if (e >= 0)
				sv->auth[sv->nauth++] = (enum auth)e;
			pop(l, s2);
		}
		pop(l, s);
	} else if (json_object_get(js, "auth") == NULL)
		sv->auth[sv->nauth++] = AUTH_PASSWORD_CLEARTEXT;
	sv->username = "%EMAILADDRESS%";
	if ((v = json_object_get(js, "username")) != NULL) {
		s = push_key(l, "username");
		const char *u = string_value(l, v, 256);
		if (u != NULL && username_ok(l, u))
			sv->username = u;
		pop(l, s);
	}
	if ((v = member(l, js, "leave_messages_on_server", JSON_TRUE, false,
	    &s)) != NULL) {
		if (sv->proto != PROTO_POP3)
			err(l, "only pop3 servers keep messages on the server");
		sv->leave_on_server = json_is_true(v);
		pop(l, s);
	}
}

/* Checks one server against what real clients accept (PROTOCOLS.md §1, §2). */
static void
check_server(struct ld *l, const struct server *sv)
{
	bool pw = false, oauth = false, k9 = false;

	/* Only autoconfig's <setupServer> carries ManageSieve, and neither
	 * Thunderbird reads it. */
	if (sv->proto == PROTO_MANAGESIEVE)
		return;
	for (size_t i = 0; i < sv->nauth; i++) {
		if (sv->auth[i] == AUTH_PASSWORD_CLEARTEXT ||
		    sv->auth[i] == AUTH_PASSWORD_ENCRYPTED)
			pw = true;
		if (sv->auth[i] == AUTH_OAUTH2)
			oauth = true;
	}
	k9 = pw || oauth;
	if (oauth && !pw)
		err(l, "OAuth2 alone makes Thunderbird reject the config for "
		    "hosts it does not know; list password-cleartext or "
		    "password-encrypted after it");
	else if (!k9 && sv->proto != PROTO_POP3 && server_advertised(sv))
		err(l, "Thunderbird for Android rejects the whole file when an "
		    "%s server offers none of OAuth2, password-cleartext, "
		    "password-encrypted", proto_names[sv->proto]);
	if (sv->security == SEC_STARTTLS && sv->port != 143 && sv->port != 587)
		warn(l, W_STARTTLS_PORT, "STARTTLS on port %u%s: Thunderbird's "
		    "Exchange (Autodiscover) setup takes STARTTLS on any port "
		    "but 143 and 587 for implicit TLS", sv->port,
		    sv->port == 465 || sv->port == 993 || sv->port == 995 ?
		    ", a port for implicit TLS" : "");
	if (sv->security == SEC_SSL && (sv->port == 587 || sv->port == 143 ||
	    sv->port == 110 || sv->port == 25))
		warn(l, W_SSL_PORT, "implicit TLS on port %u, a port for "
		    "STARTTLS%s", sv->port, sv->port == 143 || sv->port == 587 ?
		    ": Thunderbird's Exchange (Autodiscover) setup takes it for "
		    "STARTTLS" : "");
	if (sv->proto == PROTO_SMTP && sv->port == 25)
		warn(l, W_PORT_25, "port 25 is for relaying between servers; "
		    "clients should submit on 587 or 465");
	if (strstr(sv->username, "%REALNAME%") != NULL &&
	    server_advertised(sv))
		warn(l, W_REALNAME_USERNAME, "a username with %%REALNAME%%, "
		    "which only the user knows: Thunderbird for Android logs "
		    "in with it literally, Outlook and Apple devices ask for "
		    "the login");
}

/* ---- providers ------------------------------------------------------- */

/* A domain of "domains" (or a domain file), "*.x" for a wildcard. */
static const char *
domain_text(struct ld *l, const char *s, size_t n)
{
	char dom[DOMAIN_MAX + 3];
	const char *why;
	size_t off = 0;

	if (n > 2 && s[0] == '*' && s[1] == '.') {
		memcpy(dom, "*.", 2);
		off = 2;
	}
	if (domain_normalize(s + off, n - off, dom + off, sizeof(dom) - off,
	    &why) < 0) {
		err(l, "\"%.*s\" is not a valid domain: %s", (int)n, s, why);
		return NULL;
	}
	if (domain_is_ipv4(dom + off))
		warn(l, W_IP_DOMAIN, "\"%s\" is an IP address, not a mail "
		    "domain", s);
	else if (strchr(dom + off, '.') == NULL)
		warn(l, W_SINGLE_LABEL_DOMAIN, "\"%.*s\" has a single label",
		    (int)n, s);
	return region_strdup(l->r, dom);
}

static const char *
domain_value(struct ld *l, json_t *v)
{
	if (!json_is_string(v)) {
		err(l, "expected a string, found %s", json_type_name(v));
		return NULL;
	}
	return domain_text(l, json_string_value(v), json_string_length(v));
}

/* ---- files named by the config ----------------------------------------
 * Domain files ("@PATH" in domains) and "include" name files relative to
 * the file that names them. */

static bool files_forbidden;

void
conf_forbid_files(bool forbid)
{
	files_forbidden = forbid;
}

static bool
files_allowed(struct ld *l)
{
	if (files_forbidden)
		err(l, "files are not read here");
	return !files_forbidden;
}

static const char *
resolve_path(struct ld *l, const char *path)
{
	const char *slash = strrchr(l->name, '/');
	struct buf b = { 0 };
	const char *r;

	if (path[0] == '/' || slash == NULL)
		return region_strdup(l->r, path);
	buf_add(&b, l->name, (size_t)(slash - l->name) + 1);
	buf_puts(&b, path);
	r = region_strdup(l->r, b.data);
	buf_free(&b);
	return r;
}

struct domlist {
	const char **d;
	struct dsrc *src;	/* with files only */
	size_t n, cap;
};

static void
domlist_add(struct domlist *dl, const char *d, const struct dsrc *src)
{
	if (dl->n == dl->cap) {
		dl->cap = dl->cap ? dl->cap * 2 : 16;
		dl->d = xrealloc(dl->d, dl->cap * sizeof(*dl->d));
		if (src != NULL)
			dl->src = xrealloc(dl->src, dl->cap * sizeof(*dl->src));
	}
	dl->d[dl->n] = d;
	if (src != NULL)
		dl->src[dl->n] = *src;
	dl->n++;
}

#define DOMFILE_MAX (256u * 1024 * 1024)

/* The domains of a domain file; l->path names its "@PATH" item. */
static void
domain_file(struct ld *l, const char *path, struct domlist *dl, size_t item)
{
	const char *file = resolve_path(l, path), *why, *key;
	struct dsrc src = { file, 0, item };
	struct domfile f;
	char *text;
	size_t len;

	if (!files_allowed(l))
		return;
	if (file_read(file, DOMFILE_MAX, &text, &len, &why) < 0) {
		err(l, "%s: cannot read: %s", file, why);
		return;
	}
	domfile_begin(&f, text, len);
	while ((key = domfile_next(&f, &len)) != NULL) {
		const char *d;

		l->at_file = file;
		l->at_line = f.line;
		/* Postfix writes ".example.org" for the subdomains. */
		if (len > 1 && key[0] == '.') {
			char w[DOMAIN_MAX + 3];

			snprintf(w, sizeof(w), "*%.*s", (int)len, key);
			d = domain_text(l, w, strlen(w));
		} else
			d = domain_text(l, key, len);
		l->at_file = NULL;
		src.line = f.line;
		if (d != NULL)
			domlist_add(dl, d, &src);
	}
	free(text);
}

/* "domains": names, "*.x" wildcards and "@PATH" files. */
static void
load_domains(struct ld *l, json_t *v, struct provider *p)
{
	size_t n = json_array_size(v), i;
	struct domlist dl = { 0 };
	bool files = false;

	if (n == 0)
		err(l, "must list at least one domain");
	for (i = 0; i < n; i++) {
		const char *t = json_string_value(json_array_get(v, i));

		if (t != NULL && t[0] == '@')
			files = true;
	}
	for (i = 0; i < n; i++) {
		size_t s2 = push_idx(l, i);
		json_t *it = json_array_get(v, i);
		struct dsrc src = { NULL, 0, i };
		const char *d;

		if (json_is_string(it) && json_string_value(it)[0] == '@') {
			if (json_string_value(it)[1] == '\0')
				err(l, "\"@\" needs a file name");
			else
				domain_file(l, json_string_value(it) + 1, &dl,
				    i);
		} else if ((d = domain_value(l, it)) != NULL)
			domlist_add(&dl, d, files ? &src : NULL);
		pop(l, s2);
	}
	p->domains = region_alloc(l->r, (dl.n ? dl.n : 1) * sizeof(*dl.d));
	if (dl.n > 0)
		memcpy(p->domains, dl.d, dl.n * sizeof(*dl.d));
	p->ndomains = dl.n;
	free(dl.d);
	if (files) {
		p->per_domain = true;
		l->x->orig[p->index].dsrc = dl.src;
	}
}

/* "mx_domains": host names whose autoconfig. (or own well-known) name
 * answers for addresses of any domain. */
static void
load_mx_domains(struct ld *l, json_t *v, struct provider *p)
{
	size_t n = json_array_size(v);

	p->mx_domains = region_alloc(l->r, (n ? n : 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		size_t s2 = push_idx(l, i);
		json_t *it = json_array_get(v, i);
		const char *d = json_is_string(it) &&
		    json_string_value(it)[0] == '*' ? NULL :
		    domain_value(l, it);

		if (d == NULL && json_is_string(it) &&
		    json_string_value(it)[0] == '*')
			err(l, "an MX domain is one name, not a wildcard");
		if (d != NULL)
			p->mx_domains[p->nmx_domains++] = d;
		pop(l, s2);
	}
	if (n > 0)
		p->per_domain = true;
}

static void
load_mta_sts(struct ld *l, json_t *o, struct provider *p)
{
	static const char *const keys[] = { "mode", "max_age", "mx",
	    "tls_rpt", NULL };
	static const char *const modes[] = { "enforce", "testing", "none" };
	struct mta_sts *m = region_alloc(l->r, sizeof(*m));
	json_t *v;
	size_t s;
	int e;

	check_keys(l, o, keys);
	if ((v = member(l, o, "mode", JSON_STRING, true, &s)) != NULL) {
		e = enum_value(l, v, modes, ARRAY_LEN(modes));
		m->mode = e < 0 ? STS_TESTING : (enum sts_mode)e;
		pop(l, s);
	}
	m->max_age = 604800;	/* a week: RFC 8461 advises weeks */
	if ((v = member(l, o, "max_age", JSON_INTEGER, false, &s)) != NULL) {
		json_int_t n = json_integer_value(v);

		if (n < 0 || n > (json_int_t)STS_MAX_AGE_MAX)
			err(l, "expected integer 0-%u, found %lld",
			    STS_MAX_AGE_MAX, (long long)n);
		else {
			m->max_age = (unsigned long)n;
			if (n < 86400 && m->mode != STS_NONE)
				warn(l, W_MTA_STS_MAX_AGE, "under a day: RFC "
				    "8461 advises weeks, so that a policy "
				    "outlives an attack");
		}
		pop(l, s);
	}
	if ((v = member(l, o, "mx", JSON_ARRAY, false, &s)) != NULL) {
		size_t n = json_array_size(v);

		if (n == 0)
			err(l, "must list at least one host (leave it out "
			    "for the SMTP hosts of the provider)");
		m->mx = region_alloc(l->r, (n ? n : 1) * sizeof(char *));
		for (size_t i = 0; i < n; i++) {
			size_t s2 = push_idx(l, i);
			const char *h = host_name(l, json_array_get(v, i),
			    true);

			if (h != NULL)
				m->mx[m->nmx++] = h;
			pop(l, s2);
		}
		pop(l, s);
	}
	if ((v = member(l, o, "tls_rpt", JSON_STRING, false, &s)) != NULL) {
		const char *u = string_value(l, v, 2048);

		if (u != NULL && strncmp(u, "mailto:", 7) != 0 &&
		    strncmp(u, "https://", 8) != 0)
			err(l, "expected a mailto: or https: URI");
		else if (u != NULL && (strpbrk(u, " ;,\"\\") != NULL ||
		    u[7] == '\0'))
			err(l, "not a valid URI for a TXT record");
		else
			m->tls_rpt = u;
		pop(l, s);
	}
	p->mta_sts = m;
}

/* True when host (a concrete SMTP host) matches an MTA-STS mx pattern;
 * templates are compared as written. */
static bool
mx_matches(const char *pattern, const char *host)
{
	if (strncmp(pattern, "*.", 2) == 0) {
		const char *dot = strchr(host, '.');

		return dot != NULL && strcmp(dot + 1, pattern + 2) == 0;
	}
	return strcmp(pattern, host) == 0;
}

/* -t: a policy naming other hosts than the provider's SMTP servers is
 * usually an oversight (or a policy copied from another domain). */
static void
check_mta_sts(struct ld *l, const struct provider *p)
{
	const struct mta_sts *m = p->mta_sts;
	size_t s;

	if (m != NULL && m->nmx == 0) {
		for (size_t i = 0; i < p->nservers; i++)
			if (p->servers[i].proto == PROTO_SMTP)
				return;
		s = push_key(l, "mta_sts");
		err(l, "the provider has no SMTP server: list the MX hosts "
		    "in \"mx\"");
		pop(l, s);
		return;
	}
	if (m == NULL)
		return;
	s = push_key(l, "mta_sts");
	push_key(l, "mx");
	for (size_t i = 0; i < p->nservers; i++) {
		const struct server *sv = &p->servers[i];
		bool found = false;

		if (sv->proto != PROTO_SMTP)
			continue;
		for (size_t k = 0; k < m->nmx && !found; k++)
			found = mx_matches(m->mx[k], sv->host);
		if (!found)
			warn(l, W_MTA_STS_MX, "the SMTP host %s of this "
			    "provider is not in the policy's mx", sv->host);
	}
	for (size_t k = 0; k < m->nmx; k++) {
		bool found = false;

		for (size_t i = 0; i < p->nservers && !found; i++)
			found = p->servers[i].proto == PROTO_SMTP &&
			    mx_matches(m->mx[k], p->servers[i].host);
		if (!found)
			warn(l, W_MTA_STS_MX, "%s is not an SMTP host of this "
			    "provider", m->mx[k]);
	}
	pop(l, s);
}

static void
load_oauth2(struct ld *l, json_t *o, struct provider *p)
{
	static const char *const keys[] = { "issuer", "scope", "auth_url",
	    "token_url", NULL };
	struct oauth2 *oa = region_alloc(l->r, sizeof(*oa));
	json_t *v;
	size_t s;

	check_keys(l, o, keys);
	if ((v = member(l, o, "issuer", JSON_STRING, true, &s)) != NULL) {
		oa->issuer = url_value(l, v, true);
		pop(l, s);
	}
	oa->scope = opt_string(l, o, "scope", 1024);
	if ((v = json_object_get(o, "auth_url")) != NULL) {
		s = push_key(l, "auth_url");
		oa->auth_url = url_value(l, v, true);
		pop(l, s);
	}
	if ((v = json_object_get(o, "token_url")) != NULL) {
		s = push_key(l, "token_url");
		oa->token_url = url_value(l, v, true);
		pop(l, s);
	}
	p->oauth2 = oa;
}

static void
load_mobileconfig(struct ld *l, json_t *o, struct provider *p)
{
	static const char *const keys[] = { "identifier", "organization",
	    NULL };
	const char *id;

	check_keys(l, o, keys);
	id = opt_string(l, o, "identifier", 200);
	if (id != NULL) {
		for (const char *c = id; *c != '\0'; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' &&
			    *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			    *c == '.' || *c == '-')) {
				size_t s = push_key(l, "identifier");
				err(l, "expected a reverse-DNS identifier "
				    "(letters, digits, '.', '-')");
				pop(l, s);
				id = NULL;
				break;
			}
	}
	p->mobileconfig.identifier = id;
	p->mobileconfig.organization = opt_string(l, o, "organization", 200);
}

/* "accept_warnings": names of warnings the admin has weighed; read before
 * anything else of the provider, so that they are silent. */
static uint32_t
load_accepted(struct ld *l, json_t *jp)
{
	uint32_t mask = 0;
	json_t *v;
	size_t s;

	if ((v = member(l, jp, "accept_warnings", JSON_ARRAY, false, &s)) ==
	    NULL)
		return 0;
	for (size_t i = 0; i < json_array_size(v); i++) {
		size_t s2 = push_idx(l, i);
		int e = enum_value(l, json_array_get(v, i), warning_names,
		    W_COUNT);

		if (e >= 0)
			mask |= UINT32_C(1) << e;
		pop(l, s2);
	}
	pop(l, s);
	return mask;
}

static void
load_provider(struct ld *l, json_t *jp, struct provider *p)
{
	static const char *const keys[] = { "id", "name", "short_name",
	    "domains", "servers", "documentation", "webmail", "activesync",
	    "caldav", "carddav", "webdav", "jmap", "ews", "oauth2",
	    "mobileconfig", "accept_warnings", "mx_domains", "mta_sts", NULL };
	json_t *v;
	size_t s, i;

	check_keys(l, jp, keys);
	l->accepted = load_accepted(l, jp);
	l->templated = false;

	if ((v = member(l, jp, "name", JSON_STRING, true, &s)) != NULL) {
		p->name = string_value(l, v, 60);
		if (p->name != NULL && utf8_chars(p->name) > 30)
			warn(l, W_LONG_NAME, "longer than the 30 characters "
			    "clients show");
		pop(l, s);
	}
	if ((v = json_object_get(jp, "short_name")) != NULL) {
		s = push_key(l, "short_name");
		p->short_name = string_value(l, v, 20);
		if (p->short_name != NULL && utf8_chars(p->short_name) > 12)
			warn(l, W_LONG_SHORT_NAME, "longer than the 12 "
			    "characters clients show");
		pop(l, s);
	}
	if (p->short_name == NULL)
		p->short_name = p->name;

	if ((v = member(l, jp, "domains", JSON_ARRAY, true, &s)) != NULL) {
		load_domains(l, v, p);
		pop(l, s);
	}
	if ((v = member(l, jp, "mx_domains", JSON_ARRAY, false, &s)) != NULL) {
		load_mx_domains(l, v, p);
		pop(l, s);
	}

	if ((v = json_object_get(jp, "id")) != NULL) {
		char dom[DOMAIN_MAX + 1];
		const char *why;

		s = push_key(l, "id");
		if (!json_is_string(v))
			err(l, "expected a string, found %s", json_type_name(v));
		else if (domain_normalize(json_string_value(v),
		    json_string_length(v), dom, sizeof(dom), &why) < 0)
			err(l, "must be a host name (%s)", why);
		else
			p->id = region_strdup(l->r, dom);
		pop(l, s);
	} else if (p->ndomains > 0) {
		/* Thunderbird wants a real host name here, never "*.x". */
		const char *d = p->domains[0];
		p->id = d[0] == '*' ? d + 2 : d;
	} else if (p->nmx_domains > 0)
		p->id = p->mx_domains[0];
	else if (json_is_array(json_object_get(jp, "domains")) &&
	    json_array_size(json_object_get(jp, "domains")) > 0 &&
	    l->d->nerrors == 0)
		err(l, "no domain in its files: give the provider an \"id\"");

	if ((v = member(l, jp, "servers", JSON_ARRAY, true, &s)) != NULL) {
		size_t n = json_array_size(v);
		bool offered[PROTO_COUNT] = { 0 }, secure[PROTO_COUNT] = { 0 };

		if (n == 0)
			err(l, "must list at least one server");
		p->servers = region_alloc(l->r, (n ? n : 1) *
		    sizeof(struct server));
		for (i = 0; i < n; i++) {
			size_t s2 = push_idx(l, i);
			json_t *js = json_array_get(v, i);
			struct server *sv = &p->servers[p->nservers];
			int before = l->d->nerrors;

			if (!json_is_object(js))
				err(l, "expected an object, found %s",
				    json_type_name(js));
			else {
				load_server(l, js, sv);
				if (l->d->nerrors == before) {
					check_server(l, sv);
					offered[sv->proto] = true;
					if (server_advertised(sv))
						secure[sv->proto] = true;
					p->nservers++;
				}
			}
			pop(l, s2);
		}
		for (i = 0; i < PROTO_COUNT; i++)
			if (offered[i] && !secure[i])
				warn(l, W_PLAIN_ONLY, "%s is offered only "
				    "without encryption; no client will be "
				    "told about it", proto_names[i]);
		if (!secure[PROTO_IMAP] && p->nservers == n)
			warn(l, W_NO_IMAP, "no IMAP server with encryption: "
			    "Thunderbird for Android sets up IMAP accounts "
			    "only and refuses the autoconfig file");
		pop(l, s);
	}

	p->documentation = opt_url(l, jp, "documentation");
	p->webmail = opt_url(l, jp, "webmail");
	p->activesync = opt_url(l, jp, "activesync");
	p->caldav = opt_url(l, jp, "caldav");
	p->carddav = opt_url(l, jp, "carddav");
	p->webdav = opt_url(l, jp, "webdav");
	p->jmap = opt_url(l, jp, "jmap");
	if ((v = json_object_get(jp, "ews")) != NULL) {
		s = push_key(l, "ews");
		p->ews = url_value(l, v, true);
		pop(l, s);
	}
	if ((v = member(l, jp, "oauth2", JSON_OBJECT, false, &s)) != NULL) {
		load_oauth2(l, v, p);
		pop(l, s);
	}
	if ((v = member(l, jp, "mobileconfig", JSON_OBJECT, false, &s)) !=
	    NULL) {
		load_mobileconfig(l, v, p);
		pop(l, s);
	}
	if ((v = member(l, jp, "mta_sts", JSON_OBJECT, false, &s)) != NULL) {
		load_mta_sts(l, v, p);
		pop(l, s);
	}
	check_mta_sts(l, p);
	p->templated = l->templated;
	p->per_domain |= l->templated;
	l->accepted = 0;
}

/* ---- domain index ---------------------------------------------------- */

static uint64_t
hash_domain(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The slot of key in an open-addressing table, or the empty one where it
 * would go. */
static struct dom_slot *
slot_find(struct dom_slot *tab, size_t mask, const char *key)
{
	size_t i = (size_t)hash_domain(key) & mask;

	for (;; i = (i + 1) & mask) {
		struct dom_slot *sl = &tab[i];

		if (sl->domain == NULL || strcmp(sl->domain, key) == 0)
			return sl;
	}
}

static struct dom_slot *
dtab_slot(const struct conf *c, const char *domain)
{
	return slot_find(c->dtab, c->dtab_mask, domain);
}

/* A power of two at least twice n, so that probes stay short. */
static size_t
table_size(size_t n)
{
	size_t size = 16;

	while (size < n * 2)
		size *= 2;
	return size;
}

/* A loader context whose messages point at provider i where it was
 * written (the main file or an included one), its path at the provider. */
static void
at_provider(const struct ld *l, size_t i, struct ld *out)
{
	const struct porigin *o = &l->x->orig[i];

	*out = *l;
	out->pathlen = 0;
	out->path[0] = '\0';
	if (o->name != NULL) {
		out->name = o->name;
		out->text = o->text;
		out->len = o->len;
		if (o->prefix[0] != '\0')
			push_key(out, o->prefix);
	} else {
		push_key(out, "providers");
		push_idx(out, i);
	}
}

/* The same at domain j of provider i: the JSON item, or the line of the
 * file it was read from. */
static void
at_domain(const struct ld *l, size_t i, size_t j, struct ld *out)
{
	const struct dsrc *src = l->x->orig[i].dsrc;

	at_provider(l, i, out);
	push_key(out, "domains");
	push_idx(out, src != NULL ? src[j].item : j);
	if (src != NULL && src[j].file != NULL) {
		out->at_file = src[j].file;
		out->at_line = src[j].line;
	}
}

/* Where another part of the config is, for an error about two places:
 * "file:line:col: path" of a context made by at_provider() or
 * at_domain(), or the path alone if the scan cannot find it. */
static void
place(const struct ld *at, struct buf *out)
{
	int line, col;

	if (at->at_file != NULL)
		buf_printf(out, "%s:%u:1: %s", at->at_file, at->at_line,
		    at->path);
	else if (jpos_find(at->text, at->len, at->path, 0, &line, &col) == 0)
		buf_printf(out, "%s:%d:%d: %s", at->name, line, col, at->path);
	else
		buf_puts(out, at->path);
}

/* A context at provider i's "id", or at the provider itself when its id
 * was taken from its first domain (then false). */
static bool
id_at(const struct ld *l, size_t i, struct ld *out)
{
	int line, col;
	size_t saved;

	at_provider(l, i, out);
	saved = push_key(out, "id");
	if (jpos_find(out->text, out->len, out->path, 0, &line, &col) == 0)
		return true;
	pop(out, saved);
	return false;
}

/* Two providers with one id: reported at the later one, naming the
 * first. */
static void
check_ids(struct ld *l, struct conf *c)
{
	size_t size = table_size(c->nproviders);
	struct dom_slot *tab = xcalloc(size, sizeof(*tab));

	for (size_t i = 0; i < c->nproviders; i++) {
		struct provider *p = &c->providers[i];
		struct dom_slot *sl;
		struct buf where = { 0 };
		struct ld first, at;
		bool explicit;

		if (p->id == NULL)
			continue;
		sl = slot_find(tab, size - 1, p->id);
		if (sl->domain == NULL) {
			sl->domain = p->id;
			sl->p = p;
			continue;
		}

		id_at(l, sl->p->index, &first);
		place(&first, &where);
		explicit = id_at(l, i, &at);
		err(&at, "id \"%s\"%s already used by providers[%zu] (%s)", p->id,
		    explicit ? "" : " (its first domain)", sl->p->index,
		    where.data);
		buf_free(&where);
	}
	free(tab);
}

/* A name of p's list (domains or mx_domains) that another entry of an
 * index already holds. */
typedef void dup_fn(struct ld *l, const struct provider *p, size_t j,
    const struct dom_slot *sl);

/* An index of one list of names of every provider (at offset names, its
 * length at count); a name in it twice goes to dup(). */
static struct dom_slot *
index_names(struct ld *l, struct conf *c, size_t names, size_t count,
    size_t *mask, dup_fn *dup)
{
	struct dom_slot *tab;
	size_t total = 0, size;

	for (size_t i = 0; i < c->nproviders; i++)
		total += *(const size_t *)(const void *)((const char *)
		    &c->providers[i] + count);
	size = table_size(total);
	tab = region_alloc(l->r, size * sizeof(struct dom_slot));
	*mask = size - 1;
	for (size_t i = 0; i < c->nproviders; i++) {
		struct provider *p = &c->providers[i];
		const char *const *list = *(const char *const *const *)
		    (const void *)((const char *)p + names);
		size_t n = *(const size_t *)(const void *)((const char *)p +
		    count);

		for (size_t j = 0; j < n; j++) {
			struct dom_slot *sl = slot_find(tab, *mask, list[j]);

			if (sl->domain == NULL) {
				sl->domain = list[j];
				sl->p = p;
			} else
				dup(l, p, j, sl);
		}
	}
	return tab;
}

/* The index k of the string sl holds among the n of list: the first
 * place of a name listed twice. */
static size_t
first_place(const char *const *list, size_t n, const struct dom_slot *sl)
{
	size_t k = 0;

	while (k < n && list[k] != sl->domain)
		k++;
	return k;
}

static void
dup_mx_domain(struct ld *l, const struct provider *p, size_t j,
    const struct dom_slot *sl)
{
	struct ld first, at;
	struct buf where = { 0 };

	at_provider(l, sl->p->index, &first);
	push_key(&first, "mx_domains");
	push_idx(&first, first_place(sl->p->mx_domains, sl->p->nmx_domains,
	    sl));
	place(&first, &where);
	at_provider(l, p->index, &at);
	push_key(&at, "mx_domains");
	push_idx(&at, j);
	err(&at, "MX domain \"%s\" already belongs to provider \"%s\" (%s)",
	    p->mx_domains[j], sl->p->id, where.data);
	buf_free(&where);
}

/* Reported at the later of two places that list a domain, naming the
 * first with its own line and column (in a domain file, its line). */
static void
dup_domain(struct ld *l, const struct provider *p, size_t j,
    const struct dom_slot *sl)
{
	struct ld first, at;
	struct buf where = { 0 };

	at_domain(l, sl->p->index, first_place(sl->p->domains,
	    sl->p->ndomains, sl), &first);
	place(&first, &where);
	at_domain(l, p->index, j, &at);
	if (sl->p == p)
		err(&at, "domain \"%s\" listed twice (also at %s)",
		    p->domains[j], where.data);
	else
		err(&at, "domain \"%s\" already belongs to provider \"%s\" "
		    "(%s)", p->domains[j], sl->p->id, where.data);
	buf_free(&where);
}

static void
build_index(struct ld *l, struct conf *c)
{
	c->mxtab = index_names(l, c, offsetof(struct provider, mx_domains),
	    offsetof(struct provider, nmx_domains), &c->mxtab_mask,
	    dup_mx_domain);
	c->dtab = index_names(l, c, offsetof(struct provider, domains),
	    offsetof(struct provider, ndomains), &c->dtab_mask, dup_domain);
}

struct provider *
conf_lookup(const struct conf *c, const char *domain)
{
	struct dom_slot *sl = dtab_slot(c, domain);
	char wild[DOMAIN_MAX + 3];
	const char *dot;

	if (sl->domain != NULL)
		return sl->p;
	/* Closest wildcard: a.b.example.org tries *.b.example.org, then
	 * *.example.org, then *.org. */
	for (dot = strchr(domain, '.'); dot != NULL;
	    dot = strchr(dot + 1, '.')) {
		size_t n = strlen(dot + 1);

		if (n == 0 || n + 3 > sizeof(wild))
			break;
		wild[0] = '*';
		memcpy(wild + 1, dot, n + 2);
		sl = dtab_slot(c, wild);
		if (sl->domain != NULL)
			return sl->p;
	}
	return NULL;
}

struct provider *
conf_lookup_mx(const struct conf *c, const char *domain)
{
	if (c->mxtab == NULL)
		return NULL;
	return slot_find(c->mxtab, c->mxtab_mask, domain)->p;
}

/* ---- listen addresses and proxies --------------------------------------- */

int
parse_listen(const char *text, bool any_port, struct sockaddr_storage *ss,
    socklen_t *len, const char **why)
{
	char host[64];
	const char *colon, *hs;
	size_t hl;
	char *end;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		const char *rb = strchr(text, ']');

		if (rb == NULL || rb[1] != ':') {
			*why = "expected [IPv6]:port";
			return -1;
		}
		hs = text + 1;
		hl = (size_t)(rb - hs);
		colon = rb + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL) {
			*why = "expected ADDRESS:PORT";
			return -1;
		}
		hs = text;
		hl = (size_t)(colon - text);
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 ||
	    port < (any_port ? 0 : 1) || port > 65535) {
		*why = any_port ? "port must be 0-65535" :
		    "port must be 1-65535";
		return -1;
	}
	if (hl >= sizeof(host)) {
		*why = "address too long";
		return -1;
	}
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (text[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
			*why = "not an IPv6 address";
			return -1;
		}
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		if (strcmp(host, "*") == 0 || host[0] == '\0')
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			*why = "not an IPv4 address (IPv6 goes in brackets)";
			return -1;
		}
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
	}
	return 0;
}

static int
parse_cidr(const char *text, struct cidr *out)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	unsigned int max;

	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, text, n);
	addr[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else
		return -1;
	out->prefix = max;
	if (slash != NULL) {
		char *end;
		long p;

		errno = 0;
		p = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || p < 0 ||
		    p > (long)max)
			return -1;
		out->prefix = (unsigned int)p;
	}
	return 0;
}

static bool
cidr_match(const struct cidr *c, const uint8_t *addr)
{
	unsigned int full = c->prefix / 8, rest = c->prefix % 8;

	if (memcmp(c->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (c->addr[full] & mask) == (addr[full] & mask);
}

bool
conf_is_trusted(const struct conf *c, const struct sockaddr *sa)
{
	const uint8_t *a;
	uint8_t v4[4];
	int family = sa->sa_family;

	if (family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		a = s6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memcpy(v4, a + 12, 4);
			a = v4;
			family = AF_INET;
		}
	} else
		return false;
	for (size_t i = 0; i < c->ntrusted; i++)
		if (c->trusted[i].family == family &&
		    cidr_match(&c->trusted[i], a))
			return true;
	return false;
}

/* ---- top level --------------------------------------------------------- */

/* An optional integer key within [min, max]. */
static void
opt_uint(struct ld *l, json_t *obj, const char *key, unsigned int min,
    unsigned int max, unsigned int *out)
{
	json_t *v;
	size_t s;

	if ((v = member(l, obj, key, JSON_INTEGER, false, &s)) == NULL)
		return;
	json_int_t n = json_integer_value(v);
	if (n < (json_int_t)min || n > (json_int_t)max)
		err(l, "expected integer %u-%u, found %lld", min, max,
		    (long long)n);
	else
		*out = (unsigned int)n;
	pop(l, s);
}

static bool
opt_bool(struct ld *l, json_t *obj, const char *key, bool dflt)
{
	json_t *v;
	size_t s;
	bool r = dflt;

	if ((v = member(l, obj, key, JSON_TRUE, false, &s)) != NULL) {
		r = json_is_true(v);
		pop(l, s);
	}
	return r;
}

static void
load_limits(struct ld *l, json_t *o, struct limits *lim)
{
	static const char *const keys[] = { "threads", "connections",
	    "connections_per_ip", "timeout", "request_timeout", "header_max",
	    "body_max", NULL };

	check_keys(l, o, keys);
	opt_uint(l, o, "threads", 0, 256, &lim->threads);
	opt_uint(l, o, "connections", 1, 1000000, &lim->connections);
	opt_uint(l, o, "connections_per_ip", 0, 1000000, &lim->per_ip);
	opt_uint(l, o, "timeout", 1, 3600, &lim->timeout);
	opt_uint(l, o, "request_timeout", 1, 3600, &lim->request_timeout);
	opt_uint(l, o, "header_max", 4096, 1024 * 1024, &lim->header_max);
	opt_uint(l, o, "body_max", 1024, 1024 * 1024, &lim->body_max);
}

/* An absolute file name; l->path must name it. */
static const char *
file_value(struct ld *l, json_t *v)
{
	const char *f = string_value(l, v, 4096);

	if (f != NULL && f[0] != '/') {
		err(l, "expected an absolute file name, found \"%s\"", f);
		return NULL;
	}
	return f;
}

static const char *file_member(struct ld *l, json_t *o, const char *key,
    bool required);

/* "certificates": [{"certificate": ..., "key": ...}], chosen by SNI. */
static void
load_tls_pairs(struct ld *l, json_t *v, struct tls_conf *t)
{
	static const char *const keys[] = { "certificate", "key", NULL };
	size_t n = json_array_size(v);

	t->pairs = region_alloc(l->r, (n ? n : 1) * sizeof(*t->pairs));
	for (size_t i = 0; i < n; i++) {
		size_t s2 = push_idx(l, i);
		json_t *o = json_array_get(v, i);
		struct tls_pair *tp = &t->pairs[t->npairs];

		if (!json_is_object(o))
			err(l, "expected an object, found %s",
			    json_type_name(o));
		else {
			check_keys(l, o, keys);
			tp->certificate = file_member(l, o, "certificate",
			    true);
			tp->key = file_member(l, o, "key", true);
			if (tp->certificate != NULL && tp->key != NULL)
				t->npairs++;
		}
		pop(l, s2);
	}
}

static void
load_tls(struct ld *l, json_t *o, struct conf *c)
{
	static const char *const keys[] = { "certificate", "key", "ports",
	    "certificates", "certificate_dir", "session_tickets", NULL };
	struct tls_conf *t = region_alloc(l->r, sizeof(*t));
	/* The default pair may go when SNI has certificates to choose. */
	bool dflt = json_object_get(o, "certificates") == NULL &&
	    json_object_get(o, "certificate_dir") == NULL;
	json_t *v;
	size_t s;

	check_keys(l, o, keys);
	if (json_object_get(o, "certificate") != NULL ||
	    json_object_get(o, "key") != NULL)
		dflt = true;
	if ((v = member(l, o, "certificate", JSON_STRING, dflt, &s)) != NULL) {
		t->certificate = file_value(l, v);
		pop(l, s);
	}
	if ((v = member(l, o, "key", JSON_STRING, dflt, &s)) != NULL) {
		t->key = file_value(l, v);
		pop(l, s);
	}
	if ((v = member(l, o, "certificates", JSON_ARRAY, false, &s)) != NULL) {
		load_tls_pairs(l, v, t);
		pop(l, s);
	}
	if ((v = member(l, o, "certificate_dir", JSON_STRING, false, &s)) !=
	    NULL) {
		t->certificate_dir = file_value(l, v);
		pop(l, s);
	}
	if ((v = member(l, o, "ports", JSON_ARRAY, false, &s)) != NULL) {
		size_t n = json_array_size(v);

		if (n == 0 || n > ARRAY_LEN(t->ports))
			err(l, "expected 1-%zu ports", ARRAY_LEN(t->ports));
		for (size_t i = 0; i < n && i < ARRAY_LEN(t->ports); i++) {
			size_t s2 = push_idx(l, i);
			json_t *jp = json_array_get(v, i);

			if (!json_is_integer(jp) || json_integer_value(jp) < 1 ||
			    json_integer_value(jp) > 65535)
				err(l, "expected integer 1-65535");
			else
				t->ports[t->nports++] =
				    (uint16_t)json_integer_value(jp);
			pop(l, s2);
		}
		pop(l, s);
	} else
		t->ports[t->nports++] = 443;
	t->session_tickets = opt_bool(l, o, "session_tickets", true);
	c->tls = t;
}

static const char *
file_member(struct ld *l, json_t *o, const char *key, bool required)
{
	const char *f = NULL;
	json_t *v;
	size_t s;

	if ((v = member(l, o, key, JSON_STRING, required, &s)) != NULL) {
		f = file_value(l, v);
		pop(l, s);
	}
	return f;
}

static void
load_signing(struct ld *l, json_t *o, struct conf *c)
{
	static const char *const keys[] = { "certificate", "key", "chain",
	    NULL };
	struct signing_conf *sg = region_alloc(l->r, sizeof(*sg));

	check_keys(l, o, keys);
	sg->certificate = file_member(l, o, "certificate", true);
	sg->key = file_member(l, o, "key", true);
	sg->chain = file_member(l, o, "chain", false);
	/* The files are read and checked with the site (signer.c), so a
	 * reload with a bad key fails as a whole. */
	c->signing = sg;
}

static void
load_operations(struct ld *l, json_t *root, struct conf *c)
{
	static const struct limits dflt = LIMITS_DEFAULT;
	json_t *v;
	size_t s;

	c->limits = dflt;
	if ((v = member(l, root, "limits", JSON_OBJECT, false, &s)) != NULL) {
		load_limits(l, v, &c->limits);
		pop(l, s);
	}
	if ((v = member(l, root, "access_log", JSON_STRING, false, &s)) !=
	    NULL) {
		const char *a = json_string_value(v);

		if (strcmp(a, "stderr") == 0)
			c->access_log = "stderr";
		else if (a[0] == '/')
			c->access_log = string_value(l, v, 4096);
		else if (strcmp(a, "off") != 0)
			err(l, "expected \"off\", \"stderr\" or an absolute "
			    "file name, found \"%s\"", a);
		pop(l, s);
	}
	c->log_full_addresses = opt_bool(l, root, "log_full_addresses", false);
	c->healthz = opt_bool(l, root, "healthz", true);
	c->metrics = opt_bool(l, root, "metrics", true);
	if ((v = member(l, root, "tls", JSON_OBJECT, false, &s)) != NULL) {
		load_tls(l, v, c);
		pop(l, s);
	}
}

/* A syntax error as jansson words it. Its columns point at the offending
 * character, or just past a longer token (0 when it is a line break); its
 * text quotes the input. A trailing comma, which jansson reports at the
 * bracket after it, is reported at the comma. */
static void
syntax_error(struct ld *l, const json_error_t *je, int line, int col)
{
	struct diag *d = l->d;
	char closer;

	if (col > 0 && jpos_trailing_comma(l->text, l->len, &line, &col,
	    &closer) == 0) {
		buf_printf(&d->errors, "%s:%d:%d: trailing comma before '%c' "
		    "(JSON allows none)\n", l->name, line, col, closer);
		d->nerrors++;
		return;
	}
	buf_printf(&d->errors, "%s:%d:%d: ", l->name, line, col > 0 ? col : 1);
	buf_ctl_escape(&d->errors, je->text, strlen(je->text));
	buf_putc(&d->errors, '\n');
	d->nerrors++;
}

static void
buf_rewind(struct buf *b, size_t len)
{
	b->len = len;
	if (b->data != NULL)
		b->data[len] = '\0';
}

/* Parses providers[i] on its own, in the arena memory of the one before.
 * A syntax error in it is the first in the file (the elements before
 * parsed, the rest of the file comes after), and the only error a parse
 * of the whole file reports: it replaces what the load has said so far. */
static json_t *
provider_parse(struct ld *l, size_t i)
{
	const struct jpos_span *e = &l->split->elem[i];
	json_error_t je;
	json_t *jp;

	arena_release(l->mark);
	jp = json_loadb(l->text + e->at.off, e->len, JSON_REJECT_DUPLICATES,
	    &je);
	if (jp != NULL)
		return jp;
	buf_rewind(&l->d->errors, l->before.errors.len);
	buf_rewind(&l->d->warnings, l->before.warnings.len);
	l->d->nerrors = l->before.nerrors;
	l->d->nwarnings = l->before.nwarnings;
	/* jansson counts from the element's first character. */
	syntax_error(l, &je, e->at.line + je.line - 1,
	    je.line == 1 ? e->at.col - 1 + je.column : je.column);
	l->broken = true;
	return NULL;
}

/* Room for add more providers in c (zeroed, in l->x until the end). */
static void
providers_grow(struct ld *l, struct conf *c, size_t add)
{
	struct ldx *x = l->x;

	if (add == 0)
		return;
	if (x->nprov + add > x->cap) {
		size_t cap = x->cap ? x->cap : 16;

		while (cap < x->nprov + add)
			cap *= 2;
		x->prov = xrealloc(x->prov, cap * sizeof(*x->prov));
		x->orig = xrealloc(x->orig, cap * sizeof(*x->orig));
		x->cap = cap;
	}
	memset(x->prov + x->nprov, 0, add * sizeof(*x->prov));
	memset(x->orig + x->nprov, 0, add * sizeof(*x->orig));
	x->nprov += add;
	c->providers = x->prov;
}

static void
load_acme(struct ld *l, json_t *root, struct conf *c)
{
	struct stat st;
	json_t *v;
	size_t s;

	if ((v = member(l, root, "acme_challenge_dir", JSON_STRING, false,
	    &s)) == NULL)
		return;
	if ((c->acme_challenge_dir = file_value(l, v)) != NULL) {
		char *d = region_strdup(l->r, c->acme_challenge_dir);
		size_t n = strlen(d);

		while (n > 1 && d[n - 1] == '/')
			d[--n] = '\0';
		c->acme_challenge_dir = d;
		/* certbot makes it on its first run: not an error. */
		if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))
			warn(l, W_ACME_DIR, "%s is not a directory (yet): "
			    "challenges get 404 until it is", d);
	}
	pop(l, s);
}

/* An included file: one provider object, or {"providers": [...]}. */
static void
include_file(struct ld *l, const char *file, struct conf *c)
{
	static const char *const keys[] = { "providers", NULL };
	struct ldx *x = l->x;
	const char *why;
	json_error_t je;
	json_t *root, *arr;
	struct ld sub;
	char *text;
	size_t len, n, first;

	if (file_read(file, CONF_FILE_MAX, &text, &len, &why) < 0) {
		err(l, "%s: cannot read: %s", file, why);
		return;
	}
	x->texts = xrealloc(x->texts, (x->ntexts + 1) * sizeof(char *));
	x->texts[x->ntexts++] = text;
	sub = *l;
	sub.name = region_strdup(l->r, file);
	sub.text = text;
	sub.len = len;
	sub.split = NULL;
	sub.pathlen = 0;
	sub.path[0] = '\0';
	arena_release(l->mark);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		syntax_error(&sub, &je, je.line, je.column);
		return;
	}
	if (!json_is_object(root)) {
		err(&sub, "expected a provider (an object) or {\"providers\": "
		    "[...]}, found %s", json_type_name(root));
		return;
	}
	arr = json_object_get(root, "providers");
	if (arr != NULL) {
		check_keys(&sub, root, keys);
		if (!json_is_array(arr)) {
			push_key(&sub, "providers");
			err(&sub, "expected an array, found %s",
			    json_type_name(arr));
			return;
		}
	}
	n = arr != NULL ? json_array_size(arr) : 1;
	first = l->x->nprov;
	providers_grow(l, c, n);
	for (size_t i = 0; i < n; i++) {
		struct porigin *o = &x->orig[first + i];
		struct provider *p = &c->providers[first + i];
		json_t *jp = arr != NULL ? json_array_get(arr, i) : root;

		o->name = sub.name;
		o->text = text;
		o->len = len;
		if (arr != NULL)
			snprintf(o->prefix, sizeof(o->prefix), "providers[%zu]",
			    i);
		sub.pathlen = 0;
		sub.path[0] = '\0';
		if (o->prefix[0] != '\0')
			push_key(&sub, o->prefix);
		p->index = first + i;
		if (!json_is_object(jp))
			err(&sub, "expected an object, found %s",
			    json_type_name(jp));
		else
			load_provider(&sub, jp, p);
	}
	c->nproviders = x->nprov;
}

/* glob() tells of directories it cannot read only through a callback. */
static _Thread_local int glob_errno;
static _Thread_local char glob_epath[256];

static int
glob_error(const char *epath, int eerrno)
{
	if (eerrno != ENOENT && glob_errno == 0) {
		glob_errno = eerrno;
		snprintf(glob_epath, sizeof(glob_epath), "%s", epath);
	}
	return 0;
}

/* "include": a file, a glob (conf.d/\*.json: no match is no provider),
 * or an array of them, relative to the config file. */
static void
include_one(struct ld *l, json_t *v, struct conf *c)
{
	const char *pat = string_value(l, v, 4096), *full;
	glob_t g;
	int r;

	if (pat == NULL || !files_allowed(l))
		return;
	full = resolve_path(l, pat);
	if (strpbrk(pat, "*?[") == NULL) {
		include_file(l, full, c);
		return;
	}
	glob_errno = 0;
	r = glob(full, 0, glob_error, &g);
	if (glob_errno != 0)
		err(l, "%s: %s", glob_epath, strerror(glob_errno));
	else if (r != 0 && r != GLOB_NOMATCH)
		err(l, "%s: cannot expand", full);
	for (size_t i = 0; r == 0 && i < g.gl_pathc; i++)
		include_file(l, g.gl_pathv[i], c);
	if (r == 0 || r == GLOB_NOMATCH)
		globfree(&g);
}

static void
load_includes(struct ld *l, json_t *root, struct conf *c)
{
	json_t *v = json_object_get(root, "include");
	size_t s;

	if (v == NULL)
		return;
	s = push_key(l, "include");
	if (json_is_array(v)) {
		if (json_array_size(v) == 0)
			err(l, "must name at least one file");
		for (size_t i = 0; i < json_array_size(v); i++) {
			size_t s2 = push_idx(l, i);

			include_one(l, json_array_get(v, i), c);
			pop(l, s2);
		}
	} else if (json_is_string(v))
		include_one(l, v, c);
	else
		err(l, "expected a file name or an array of them, found %s",
		    json_type_name(v));
	pop(l, s);
}

static void
load_top(struct ld *l, json_t *root, struct conf *c)
{
	static const char *const keys[] = { "listen", "public_url",
	    "trusted_proxies", "providers", "limits", "access_log",
	    "log_full_addresses", "healthz", "metrics", "tls", "signing",
	    "include", "acme_challenge_dir", NULL };
	json_t *v;
	size_t s, i;

	check_keys(l, root, keys);

	if ((v = member(l, root, "listen", JSON_ARRAY, false, &s)) != NULL) {
		size_t n = json_array_size(v);

		c->listen = region_alloc(l->r, (n ? n : 1) *
		    sizeof(struct listen_addr));
		for (i = 0; i < n; i++) {
			size_t s2 = push_idx(l, i);
			const char *t = string_value(l, json_array_get(v, i), 80);
			struct listen_addr *la = &c->listen[c->nlisten];
			const char *why;

			if (t != NULL && parse_listen(t, false, &la->ss,
			    &la->sslen, &why) < 0)
				err(l, "\"%s\": %s", t, why);
			else if (t != NULL) {
				la->text = t;
				c->nlisten++;
			}
			pop(l, s2);
		}
		pop(l, s);
	}

	if ((v = json_object_get(root, "public_url")) != NULL) {
		s = push_key(l, "public_url");
		const char *u = url_value(l, v, false);
		if (u != NULL) {
			if (strstr(u, DOMAIN_PH) != NULL)
				err(l, "%s is filled in provider URLs only",
				    DOMAIN_PH);
			else if (strpbrk(u, "?#") != NULL)
				err(l, "must not hold a query or fragment");
			else {
				char *t = region_strdup(l->r, u);
				size_t n = strlen(t);
				while (n > 0 && t[n - 1] == '/')
					t[--n] = '\0';
				c->public_url = t;
			}
		}
		pop(l, s);
	}

	if ((v = member(l, root, "trusted_proxies", JSON_ARRAY, false, &s)) !=
	    NULL) {
		size_t n = json_array_size(v);

		c->trusted = region_alloc(l->r, (n ? n : 1) *
		    sizeof(struct cidr));
		for (i = 0; i < n; i++) {
			size_t s2 = push_idx(l, i);
			const char *t = string_value(l, json_array_get(v, i), 64);

			if (t != NULL && parse_cidr(t, &c->trusted[c->ntrusted])
			    < 0)
				err(l, "\"%s\" is not an IP address or "
				    "address/prefix", t);
			else if (t != NULL)
				c->ntrusted++;
			pop(l, s2);
		}
		pop(l, s);
	}

	load_operations(l, root, c);
	if ((v = member(l, root, "signing", JSON_OBJECT, false, &s)) != NULL) {
		load_signing(l, v, c);
		pop(l, s);
	}
	load_acme(l, root, c);

	/* With "include", the providers may all be in other files. */
	if ((v = member(l, root, "providers", JSON_ARRAY,
	    json_object_get(root, "include") == NULL, &s)) != NULL) {
		size_t n = l->split != NULL ? l->split->n :
		    json_array_size(v);

		providers_grow(l, c, n);
		for (i = 0; i < n; i++) {
			size_t s2 = push_idx(l, i);
			json_t *jp = l->split != NULL ? provider_parse(l, i) :
			    json_array_get(v, i);
			struct provider *p = &c->providers[i];

			if (jp == NULL)
				return;		/* all there is to say */
			p->index = i;
			if (!json_is_object(jp))
				err(l, "expected an object, found %s",
				    json_type_name(jp));
			else
				load_provider(l, jp, p);
			pop(l, s2);
		}
		c->nproviders = n;
		pop(l, s);
	}
	load_includes(l, root, c);
	/* Everything points at the providers from here on: their place in
	 * the region is final. */
	c->providers = c->nproviders == 0 ? NULL : region_memdup(l->r,
	    l->x->prov, c->nproviders * sizeof(struct provider));
	if (c->nproviders == 0 && l->d->nerrors == 0) {
		s = push_key(l, json_object_get(root, "providers") != NULL ?
		    "providers" : "include");
		err(l, "must list at least one provider");
		pop(l, s);
	}
	check_ids(l, c);
	if (l->d->nerrors == 0)
		build_index(l, c);
}

/* Feeds jansson the text without the providers' elements: only their
 * line breaks, then spaces up to the column of the ']', so that every
 * position after it stays what it is in the file. */
struct gap {
	const char *text;
	size_t len, pos, end, resume;
	int nl, sp;
};

static size_t
gap_read(void *buf, size_t size, void *arg)
{
	struct gap *g = arg;
	char *out = buf;
	size_t n = 0;

	while (n < size) {
		if (g->pos < g->end) {
			size_t k = g->end - g->pos;

			if (k > size - n)
				k = size - n;
			memcpy(out + n, g->text + g->pos, k);
			g->pos += k;
			n += k;
		} else if (g->nl > 0) {
			out[n++] = '\n';
			g->nl--;
		} else if (g->sp > 0) {
			out[n++] = ' ';
			g->sp--;
		} else if (g->end < g->len) {
			g->pos = g->resume;
			g->end = g->len;
		} else
			break;
	}
	return n;
}

static json_t *
parse_top(struct ld *l, json_error_t *je)
{
	const struct jpos_at *o = &l->split->open, *c = &l->split->close;
	struct gap g = { l->text, l->len, 0, o->off + 1, c->off,
	    c->line - o->line,
	    c->line > o->line ? c->col - 1 : c->col - o->col - 1 };

	return json_load_callback(gap_read, &g, JSON_REJECT_DUPLICATES, je);
}

static struct conf *
load_buffer(const char *name, const char *text, size_t len, struct diag *d,
    bool stream)
{
	struct ldx x = { 0 };
	struct ld l = { .name = name, .d = d, .before = *d, .x = &x };
	struct jpos_array split;
	json_error_t je;
	json_t *root;
	struct conf *c = NULL;

	/* A byte order mark, which some editors write: not JSON, but no
	 * mistake either. Lines and columns count from after it, as the
	 * editor shows them. */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	l.text = text;
	l.len = len;

	if (stream && jpos_split(text, len, "providers", &split) == 0)
		l.split = &split;
	arena_begin();
	root = l.split != NULL ? parse_top(&l, &je) :
	    json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		/* An error past the '[' comes after any in the providers. */
		if (l.split != NULL && (size_t)je.position > split.open.off + 1) {
			l.mark = arena_mark();
			for (size_t i = 0; i < split.n && !l.broken; i++)
				provider_parse(&l, i);
		}
		if (!l.broken)
			syntax_error(&l, &je, je.line, je.column);
		goto out;
	}
	if (!json_is_object(root)) {
		err(&l, "the top level must be an object, found %s",
		    json_type_name(root));
		goto out;
	}
	l.mark = arena_mark();
	l.r = region_new();
	c = region_alloc(l.r, sizeof(*c));
	c->region = l.r;
	c->path = region_strdup(l.r, name);
	load_top(&l, root, c);
	if (!l.broken && d->nerrors > ERRORS_MAX)
		buf_printf(&d->errors, "%s: %d more errors not shown\n", name,
		    d->nerrors - ERRORS_MAX);
	if (d->nerrors > 0) {
		region_free(l.r);
		c = NULL;
	}
out:
	arena_end();		/* every tree */
	if (l.split != NULL)
		jpos_array_free(&split);
	for (size_t i = 0; i < x.nprov; i++)
		free(x.orig[i].dsrc);
	for (size_t i = 0; i < x.ntexts; i++)
		free(x.texts[i]);
	free(x.texts);
	free(x.orig);
	free(x.prov);
	return c;
}

struct conf *
conf_load_buffer(const char *name, const char *text, size_t len,
    struct diag *d)
{
	return load_buffer(name, text, len, d, true);
}

struct conf *
conf_load_buffer_whole(const char *name, const char *text, size_t len,
    struct diag *d)
{
	return load_buffer(name, text, len, d, false);
}

struct conf *
conf_load(const char *path, struct diag *d)
{
	struct conf *c;
	const char *why;
	char *text;
	size_t size;

	switch (file_read(path, CONF_FILE_MAX, &text, &size, &why)) {
	case 0:
		break;
	case FILE_OPEN:
		buf_printf(&d->errors, "%s: cannot open: %s\n", path, why);
		d->nerrors++;
		return NULL;
	case FILE_SIZE:
		buf_printf(&d->errors, "%s: not a regular file under %u MiB\n",
		    path, CONF_FILE_MAX >> 20);
		d->nerrors++;
		return NULL;
	default:
		buf_printf(&d->errors, "%s: read error: %s\n", path, why);
		d->nerrors++;
		return NULL;
	}
	c = conf_load_buffer(path, text, size, d);
	free(text);
	return c;
}

void
conf_free(struct conf *c)
{
	if (c != NULL)
		region_free(c->region);
}

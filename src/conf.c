#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
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
};
_Static_assert(W_COUNT <= 32, "accepted warnings are a 32-bit mask");
static const char *const placeholders[] = {
	"%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%", "%REALNAME%",
};

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

	if (jpos_find(l->text, l->len, l->path, at_key, &line, &col) == 0)
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

static const char *
host_value(struct ld *l, json_t *v)
{
	char dom[DOMAIN_MAX + 1];
	const char *why, *s;

	if (!json_is_string(v)) {
		err(l, "expected a string, found %s", json_type_name(v));
		return NULL;
	}
	s = json_string_value(v);
	if (domain_normalize(s, json_string_length(v), dom, sizeof(dom),
	    &why) < 0) {
		err(l, "\"%s\" is not a valid host name: %s", s, why);
		return NULL;
	}
	if (domain_is_ipv4(dom))
		warn(l, W_IP_HOST, "an IP address as host: clients check the "
		    "TLS certificate against it, and certificates rarely name "
		    "one");
	return region_strdup(l->r, dom);
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

static const char *
domain_value(struct ld *l, json_t *v)
{
	char dom[DOMAIN_MAX + 3];
	const char *why, *s;
	size_t n, off = 0;

	if (!json_is_string(v)) {
		err(l, "expected a string, found %s", json_type_name(v));
		return NULL;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n > 2 && s[0] == '*' && s[1] == '.') {
		memcpy(dom, "*.", 2);
		off = 2;
	}
	if (domain_normalize(s + off, n - off, dom + off, sizeof(dom) - off,
	    &why) < 0) {
		err(l, "\"%s\" is not a valid domain: %s", s, why);
		return NULL;
	}
	if (domain_is_ipv4(dom + off))
		warn(l, W_IP_DOMAIN, "\"%s\" is an IP address, not a mail "
		    "domain", s);
	else if (strchr(dom + off, '.') == NULL)
		warn(l, W_SINGLE_LABEL_DOMAIN, "\"%s\" has a single label",
		    s);
	return region_strdup(l->r, dom);
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
	    "mobileconfig", "accept_warnings", NULL };
	json_t *v;
	size_t s, i;

	check_keys(l, jp, keys);
	l->accepted = load_accepted(l, jp);

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
		size_t n = json_array_size(v);

		if (n == 0)
			err(l, "must list at least one domain");
		p->domains = region_alloc(l->r, (n ? n : 1) * sizeof(char *));
		for (i = 0; i < n; i++) {
			size_t s2 = push_idx(l, i);
			const char *d = domain_value(l, json_array_get(v, i));

			if (d != NULL)
				p->domains[p->ndomains++] = d;
			pop(l, s2);
		}
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
	}

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

/* Where another part of the file is, for an error about two places:
 * "file:line:col: path", or the path alone if the scan cannot find it. */
static void
place(struct ld *l, struct buf *out, const char *path)
{
	int line, col;

	if (jpos_find(l->text, l->len, path, 0, &line, &col) == 0)
		buf_printf(out, "%s:%d:%d: %s", l->name, line, col, path);
	else
		buf_puts(out, path);
}

/* The path of providers[i]'s "id", or of the provider itself when its id
 * was taken from its first domain (then false). */
static bool
id_path(struct ld *l, size_t i, char *path, size_t size)
{
	int line, col;

	snprintf(path, size, "providers[%zu].id", i);
	if (jpos_find(l->text, l->len, path, 0, &line, &col) == 0)
		return true;
	path[strlen(path) - 3] = '\0';
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
		char path[64];
		size_t saved;
		bool explicit;

		if (p->id == NULL)
			continue;
		sl = slot_find(tab, size - 1, p->id);
		if (sl->domain == NULL) {
			sl->domain = p->id;
			sl->p = p;
			continue;
		}
		id_path(l, sl->p->index, path, sizeof(path));
		place(l, &where, path);
		/* l->path is "providers" here. */
		saved = push_idx(l, i);
		explicit = id_path(l, i, path, sizeof(path));
		if (explicit)
			push_key(l, "id");
		err(l, "id \"%s\"%s already used by providers[%zu] (%s)", p->id,
		    explicit ? "" : " (its first domain)", sl->p->index,
		    where.data);
		pop(l, saved);
		buf_free(&where);
	}
	free(tab);
}

/* Reported at the later of two places that list a domain, naming the
 * first with its own line and column. */
static void
build_index(struct ld *l, struct conf *c)
{
	size_t total = 0, size;

	for (size_t i = 0; i < c->nproviders; i++)
		total += c->providers[i].ndomains;
	size = table_size(total);
	c->dtab = region_alloc(l->r, size * sizeof(struct dom_slot));
	c->dtab_mask = size - 1;
	for (size_t i = 0; i < c->nproviders; i++) {
		struct provider *p = &c->providers[i];

		for (size_t j = 0; j < p->ndomains; j++) {
			struct dom_slot *sl = dtab_slot(c, p->domains[j]);
			struct buf where = { 0 };
			char path[64];
			size_t k = 0;

			if (sl->domain == NULL) {
				sl->domain = p->domains[j];
				sl->p = p;
				continue;
			}
			/* The first place: the slot keeps its string. */
			while (k < sl->p->ndomains &&
			    sl->p->domains[k] != sl->domain)
				k++;
			snprintf(path, sizeof(path), "providers[%zu].domains"
			    "[%zu]", sl->p->index, k);
			place(l, &where, path);
			/* l->path is "providers" here. */
			size_t s1 = push_idx(l, p->index);
			push_key(l, "domains");
			push_idx(l, j);
			if (sl->p == p)
				err(l, "domain \"%s\" listed twice (also at "
				    "%s)", p->domains[j], where.data);
			else
				err(l, "domain \"%s\" already belongs to "
				    "provider \"%s\" (%s)", p->domains[j],
				    sl->p->id, where.data);
			pop(l, s1);
			buf_free(&where);
		}
	}
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

static void
load_tls(struct ld *l, json_t *o, struct conf *c)
{
	static const char *const keys[] = { "certificate", "key", "ports",
	    "session_tickets", NULL };
	struct tls_conf *t = region_alloc(l->r, sizeof(*t));
	json_t *v;
	size_t s;

	check_keys(l, o, keys);
	if ((v = member(l, o, "certificate", JSON_STRING, true, &s)) != NULL) {
		t->certificate = file_value(l, v);
		pop(l, s);
	}
	if ((v = member(l, o, "key", JSON_STRING, true, &s)) != NULL) {
		t->key = file_value(l, v);
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

static void
load_top(struct ld *l, json_t *root, struct conf *c)
{
	static const char *const keys[] = { "listen", "public_url",
	    "trusted_proxies", "providers", "limits", "access_log",
	    "log_full_addresses", "healthz", "metrics", "tls", "signing",
	    NULL };
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
			if (strpbrk(u, "?#") != NULL)
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

	if ((v = member(l, root, "providers", JSON_ARRAY, true, &s)) != NULL) {
		size_t n = l->split != NULL ? l->split->n :
		    json_array_size(v);

		if (n == 0)
			err(l, "must list at least one provider");
		c->providers = region_alloc(l->r, (n ? n : 1) *
		    sizeof(struct provider));
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
		check_ids(l, c);
		if (l->d->nerrors == 0)
			build_index(l, c);
		pop(l, s);
	}
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
	struct ld l = { .name = name, .d = d, .before = *d };
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
	struct stat st;
	struct conf *c;
	char *text;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		buf_printf(&d->errors, "%s: cannot open: %s\n", path,
		    strerror(errno));
		d->nerrors++;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uintmax_t)st.st_size > CONF_FILE_MAX) {
		buf_printf(&d->errors, "%s: not a regular file under %u MiB\n",
		    path, CONF_FILE_MAX >> 20);
		d->nerrors++;
		close(fd);
		return NULL;
	}
	size_t size = (size_t)st.st_size, got = 0;
	text = xmalloc(size + 1);
	while (got < size) {
		ssize_t n = read(fd, text + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			buf_printf(&d->errors, "%s: read error: %s\n", path,
			    n < 0 ? strerror(errno) : "file shrank");
			d->nerrors++;
			close(fd);
			free(text);
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	text[size] = '\0';
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

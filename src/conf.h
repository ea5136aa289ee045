/* The provider config: JSON in, an immutable validated model out. One region
 * owns every byte of a loaded config, so a reload is a pointer swap and a
 * conf_free(). */
#ifndef AUTOCONFD_CONF_H
#define AUTOCONFD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util.h"

/* Mail protocols, then ManageSieve (RFC 5804), which sets up filters for
 * the mail account: only autoconfig's <setupServer> and the settings page
 * name it. */
enum proto { PROTO_IMAP, PROTO_POP3, PROTO_SMTP, PROTO_MANAGESIEVE,
    PROTO_COUNT };
enum security { SEC_SSL, SEC_STARTTLS, SEC_PLAIN };

/* config-v1.1 authentication values, in a fixed enumeration. */
enum auth {
	AUTH_PASSWORD_CLEARTEXT,
	AUTH_PASSWORD_ENCRYPTED,
	AUTH_NTLM,
	AUTH_GSSAPI,
	AUTH_TLS_CLIENT_CERT,
	AUTH_OAUTH2,
	AUTH_CLIENT_IP_ADDRESS,
	AUTH_NONE,
	AUTH_SMTP_AFTER_POP,
	AUTH_COUNT
};

#define AUTH_MAX 8	/* methods per server */

struct server {
	enum proto proto;
	enum security security;
	uint16_t port;
	uint8_t nauth;
	enum auth auth[AUTH_MAX];	/* most preferred first */
	const char *host;
	const char *username;		/* may hold %PLACEHOLDERS% */
	bool leave_on_server;		/* pop3 only; false unless set */
};

struct oauth2 {
	const char *issuer;
	const char *scope;
	const char *auth_url;
	const char *token_url;
};

struct mobileconfig_opts {
	const char *identifier;		/* reverse-DNS prefix */
	const char *organization;
};

/* An MTA-STS policy ("mta_sts", RFC 8461). */
enum sts_mode { STS_ENFORCE, STS_TESTING, STS_NONE };

#define STS_MAX_AGE_MAX 31557600u	/* RFC 8461 3.2: one year */

struct mta_sts {
	enum sts_mode mode;
	unsigned long max_age;		/* seconds */
	const char **mx;		/* may hold %EMAILDOMAIN%, "*." */
	size_t nmx;			/* 0: the provider's SMTP hosts */
	const char *tls_rpt;		/* mailto: or https: URI, or NULL */
};

struct provider {
	size_t index;
	const char *id;
	const char *name;
	const char *short_name;
	const char **domains;		/* normalised; "*.x" for wildcards */
	size_t ndomains;
	struct server *servers;		/* in config order */
	size_t nservers;
	const char *documentation;
	const char *webmail;
	const char *activesync;		/* EAS URL */
	const char *caldav, *carddav, *webdav, *jmap;
	const char *ews;		/* Exchange Web Services URL, https */
	struct oauth2 *oauth2;
	struct mobileconfig_opts mobileconfig;
	void *cache;			/* owned by site.c: rendered documents */
	/* Hosting: answers for any address when the Host names one of
	 * mx_domains; an MTA-STS policy. */
	const char **mx_domains;
	size_t nmx_domains;
	struct mta_sts *mta_sts;
	bool templated;			/* %EMAILDOMAIN% in a host or URL */
	/* The answers depend on the domain asked for (templated, MX mode,
	 * or domains from files): rendered per domain, not once. */
	bool per_domain;
};

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t sslen;
	const char *text;		/* as written */
};

struct cidr {
	int family;
	uint8_t addr[16];
	unsigned int prefix;
};

/* Server limits ("limits"); applied when the server starts. */
struct limits {
	unsigned int threads;		/* workers per socket; 0: one per CPU */
	unsigned int connections;	/* open connections per socket */
	unsigned int per_ip;		/* per client address; 0: no limit */
	unsigned int timeout;		/* seconds a connection may idle */
	unsigned int request_timeout;	/* seconds for a request's headers */
	unsigned int header_max;	/* bytes for request line and headers */
	unsigned int body_max;		/* bytes of request body accepted */
};

#define LIMITS_DEFAULT { 0, 1024, 0, 15, 30, 8 * 1024, 8 * 1024 }

/* Direct HTTPS ("tls"): certificates chosen by the client's SNI, and
 * a default for the rest. */
struct tls_pair {
	const char *certificate;	/* PEM chain, leaf first */
	const char *key;		/* PEM private key */
};

struct tls_conf {
	const char *certificate;	/* the default (or NULL): PEM chain */
	const char *key;		/* PEM private key */
	uint16_t ports[8];		/* sockets on these ports speak TLS */
	size_t nports;
	struct tls_pair *pairs;		/* "certificates" */
	size_t npairs;
	const char *certificate_dir;	/* certbot's live/, or NULL */
	bool session_tickets;		/* resumption offered (default) */
};

/* Signing of Apple profiles ("signing"): absolute PEM file names. */
struct signing_conf {
	const char *certificate;	/* signer first; more certs = chain */
	const char *key;		/* unencrypted PEM private key */
	const char *chain;		/* intermediates, or NULL */
};

struct conf {
	struct region *region;
	const char *path;
	struct listen_addr *listen;
	size_t nlisten;
	const char *public_url;		/* no trailing slash, or NULL */
	struct cidr *trusted;
	size_t ntrusted;
	struct provider *providers;
	size_t nproviders;
	/* domain index: open addressing, lowercase keys */
	struct dom_slot { const char *domain; struct provider *p; } *dtab;
	size_t dtab_mask;
	uint64_t generation;
	struct limits limits;
	const char *access_log;		/* NULL: off; "stderr"; or a path */
	bool log_full_addresses;	/* else only the domain of an address */
	bool healthz, metrics;		/* endpoints switched on */
	struct tls_conf *tls;		/* NULL: plain HTTP only */
	struct signing_conf *signing;	/* NULL: profiles go unsigned */
	const char *acme_challenge_dir;	/* http-01 tokens, or NULL */
	struct dom_slot *mxtab;		/* mx_domains index, as dtab */
	size_t mxtab_mask;
};

/* The warnings of the loader, each with a stable name that is printed with
 * it and that a provider's "accept_warnings" lists to silence it. */
enum warning {
	W_HTTP_URL, W_IP_HOST, W_IP_DOMAIN, W_SINGLE_LABEL_DOMAIN,
	W_LONG_NAME, W_LONG_SHORT_NAME, W_STARTTLS_PORT, W_SSL_PORT,
	W_PORT_25, W_PLAIN_ONLY, W_REALNAME_USERNAME, W_NO_IMAP,
	W_MTA_STS_MX, W_MTA_STS_MAX_AGE, W_ACME_DIR,
	W_COUNT
};

/* Diagnostics: "file:line:col: path: message", one per line; a warning
 * ends with its name in brackets. */
struct diag {
	struct buf errors;
	struct buf warnings;
	int nerrors, nwarnings;
};

void diag_free(struct diag *d);

/* Loads and validates a config file. Returns NULL on error; d->errors then
 * says why. Warnings (legal but doubtful setups) go to d->warnings. */
struct conf *conf_load(const char *path, struct diag *d);
/* The same from memory; name is used in messages. */
struct conf *conf_load_buffer(const char *name, const char *text, size_t len,
    struct diag *d);
/* For tests: the same with one parse of the whole text, which the loader
 * otherwise does only when it cannot take the providers one at a time. */
struct conf *conf_load_buffer_whole(const char *name, const char *text,
    size_t len, struct diag *d);
void conf_free(struct conf *c);
/* With true, the files a config names ("@PATH" domain lists, "include")
 * are errors, not read: for the fuzzers, which must not wander the file
 * system. */
void conf_forbid_files(bool forbid);

/* Finds the provider of a normalised domain: exact match first, then the
 * closest "*.parent" wildcard. */
struct provider *conf_lookup(const struct conf *c, const char *domain);

/* The provider that declares domain (normalised) in its mx_domains. */
struct provider *conf_lookup_mx(const struct conf *c, const char *domain);

/* True when addr (AF_INET/AF_INET6 sockaddr) is a trusted proxy. */
bool conf_is_trusted(const struct conf *c, const struct sockaddr *addr);

/* The servers of a provider that clients may be given (never plain). */
bool server_advertised(const struct server *s);

const char *proto_name(enum proto p);		/* "imap" */
const char *security_name(enum security s);	/* "ssl" */
const char *auth_name(enum auth a);		/* "password-cleartext" */
const char *warning_name(enum warning w);	/* "no-imap" */

/* IMAP and POP3: the servers a mail account reads from. */
static inline bool
proto_incoming(enum proto p)
{
	return p == PROTO_IMAP || p == PROTO_POP3;
}

/* Parses "1.2.3.4:80", "[::1]:80", "*:80" into a socket address; port 0
 * (a port the kernel picks) only with any_port, as -l allows it and the
 * config's "listen" does not. Returns 0 or -1 with *why set. */
int parse_listen(const char *text, bool any_port,
    struct sockaddr_storage *ss, socklen_t *len, const char **why);

#endif

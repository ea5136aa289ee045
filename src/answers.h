/* Answers read back the way a client reads them: the autoconfig file,
 * Outlook's POX answer, an Apple profile and the PACC document, each from
 * its bytes into plain fields. "autoconfd show" reads the answers the
 * renderers make in memory, "autoconfd probe" the ones a live server sends,
 * so both describe what a client gets from the same bytes.
 *
 * The bytes of a probe come from the network: the parses load nothing,
 * expand no entity, refuse a document that declares any, and stop at
 * ANSWER_MAX bytes. Every field is cut to its size; nothing here fails on
 * a value a client would not like: the client rules (clients.c) judge. */
#ifndef AUTOCONFD_ANSWERS_H
#define AUTOCONFD_ANSWERS_H

#include <stdbool.h>
#include <stddef.h>

#define ANSWER_MAX (256 * 1024)	/* bytes of an answer read */
#define ANS_SERVERS_MAX 16	/* server sections kept per direction */
#define ANS_AUTH_MAX 8		/* methods kept per server */
#define ANS_TEXT 256		/* a host, a username, a method */
#define ANS_URL 1024

/* One <incomingServer> or <outgoingServer> as written. */
struct ans_server {
	char type[32];			/* "imap", "pop3", "smtp", "ews" ... */
	char host[ANS_TEXT];		/* <hostname>; empty if missing */
	long port;			/* <port>; -1 if missing or no number */
	char socket[32];		/* <socketType>: "SSL", "STARTTLS" ... */
	char username[ANS_TEXT];
	bool has_username;
	char url[ANS_URL];		/* <url> of the draft's URL entries */
	char auth[ANS_AUTH_MAX][32];	/* <authentication>, in order */
	size_t nauth;
	bool text_attr;		/* a text child carries an attribute */
	bool nested;		/* a child holds elements (<pop3> ...) */
};

struct ans_autoconfig {
	char id[ANS_TEXT];		/* emailProvider id */
	size_t ndomains;		/* plain <domain> elements */
	char display_name[ANS_TEXT];
	struct ans_server in[ANS_SERVERS_MAX], out[ANS_SERVERS_MAX];
	size_t nin, nout;
};

/* One <Protocol> of an Outlook (2006a) answer. */
struct ans_pox_proto {
	char type[16];			/* IMAP, POP3, SMTP */
	char server[ANS_TEXT];
	long port;
	char ssl[8];			/* "on" / "off" / "" */
	char encryption[16];		/* SSL, TLS, None, Auto, "" */
	char login[ANS_TEXT];
	bool has_login;
	char spa[8];
	char auth_required[8];
};

struct ans_pox {
	bool error;			/* an <Error> document */
	char error_code[16];
	char error_message[ANS_TEXT];
	char action[32];		/* settings, redirectAddr, redirectUrl */
	char redirect[ANS_URL];		/* <RedirectAddr> or <RedirectUrl> */
	struct ans_pox_proto proto[ANS_SERVERS_MAX];
	size_t nproto;
};

/* The mail payload of an Apple profile (com.apple.mail.managed). */
struct ans_profile_server {
	char host[ANS_TEXT];
	long port;			/* -1 if missing */
	bool use_ssl;
	char auth[32];			/* EmailAuthPassword ... */
	char username[ANS_TEXT];
	bool has_username;
};

struct ans_profile {
	bool is_signed;			/* CMS SignedData around the plist */
	bool has_mail;			/* a mail payload was found */
	char account_type[32];		/* EmailTypeIMAP, EmailTypePOP */
	char address[ANS_TEXT];
	struct ans_profile_server in, out;
};

/* PACC: the text protocols by host, and the authentication offered. */
struct ans_pacc {
	char imap[ANS_TEXT], pop3[ANS_TEXT], smtp[ANS_TEXT];	/* "" if none */
	bool password;
	bool oauth;
};

/* Autodiscover v2: {"Protocol": .., "Url": ..}. */
struct ans_ad_json {
	char protocol[64];
	char url[ANS_URL];
};

/* Each returns 0, or -1 with *why set to a short static reason when the
 * bytes are not such a document at all. */
int answer_autoconfig(const char *body, size_t len, struct ans_autoconfig *a,
    const char **why);
int answer_pox(const char *body, size_t len, struct ans_pox *a,
    const char **why);
int answer_profile(const char *body, size_t len, struct ans_profile *a,
    const char **why);
int answer_pacc(const char *body, size_t len, struct ans_pacc *a,
    const char **why);
int answer_ad_json(const char *body, size_t len, struct ans_ad_json *a,
    const char **why);

#endif

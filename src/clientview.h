/* The client families and what each makes of an answer: the account it
 * configures, and whether that works, falls back to something else or
 * fails, with the reason. Pure functions over answers read back by
 * answers.c: "autoconfd show" gives them the answers rendered from the
 * config, "autoconfd probe" the answers a live server sent. The rules are
 * PROTOCOLS.md's (Thunderbird takes the first server it can use, Android
 * refuses a whole file for one bad server, Evolution keeps the last server
 * of each protocol, Apple carries one incoming and one outgoing server,
 * PACC implicit TLS on the standard ports). */
#ifndef AUTOCONFD_CLIENTVIEW_H
#define AUTOCONFD_CLIENTVIEW_H

#include <stdbool.h>

#include "answers.h"
#include "client.h"
#include "conf.h"
#include "email.h"
#include "util.h"

/* The families show and probe report on, in their order: those of
 * client.h (the same CONTRACT names as /metrics's) from Thunderbird to
 * PACC. Arrays of views are indexed by enum client. */
#define FAMILY_FIRST CLIENT_THUNDERBIRD
#define FAMILY_END (CLIENT_PACC + 1)

/* What a client ends up with: the "outcome" of show and probe. */
enum verdict { VERDICT_WORKS, VERDICT_FALLBACK, VERDICT_FAILS };

#define VIEW_REASON 2048

/* A server of the account as the client sets it up. */
struct acct_server {
	bool set;
	char protocol[32];		/* "imap", "pop3", "smtp" */
	char host[ANS_TEXT];
	long port;
	enum security security;
	char auth[32];			/* config-v1.1 names: "password-cleartext" */
	char username[ANS_TEXT * 2];	/* placeholders filled in */
};

struct client_view {
	enum client client;
	enum verdict outcome;		/* works, fallback, fails */
	char reason[VIEW_REASON];
	char url[ANS_URL];		/* the first URL the client fetches */
	char answer_url[ANS_URL];	/* the one whose answer it took */
	struct acct_server in, out;
};

const char *family_title(enum client c);	/* for people */
/* The family of a name ("thunderbird-android"), or -1. */
int family_by_name(const char *name);
const char *verdict_name(enum verdict o);	/* "works" */

/* What a client makes of an answer; em fills the placeholders. Each sets
 * v's outcome, reason and servers, and leaves its URLs alone. */
/* c: CLIENT_THUNDERBIRD, CLIENT_THUNDERBIRD_ANDROID or CLIENT_EVOLUTION. */
void client_autoconfig(enum client c, const struct ans_autoconfig *a,
    const struct email *em, struct client_view *v);
/* Outlook, or Thunderbird's Exchange set-up (c CLIENT_THUNDERBIRD), which
 * reads the same answer its own way. */
void client_pox(enum client c, const struct ans_pox *a, struct client_view *v);
void client_profile(const struct ans_profile *a, struct client_view *v);
void client_pacc(const struct ans_pacc *a, const struct email *em,
    struct client_view *v);

/* Appends to a view's reason: "; " and the text. */
void view_note(struct client_view *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sets outcome and reason (replacing the reason). */
void view_set(struct client_view *v, enum verdict o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True when two accounts are the same servers (protocol, host, port,
 * security, auth, username). */
bool acct_same(const struct acct_server *a, const struct acct_server *b);
/* "imap imap.example.com:993 ssl" into out. */
void acct_describe(const struct acct_server *s, char *out, size_t outsz);

#endif

/* The readers of answers (answers.c), which "autoconfd probe" runs on
 * whatever a server sends, and the client rules (clients.c) after them.
 * Besides not crashing: a refusal gives a static reason, never answer
 * bytes; what is read is bounded and NUL-terminated; every client view
 * has an outcome and a reason. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <libxml/parser.h>

#include "answers.h"
#include "clientview.h"
#include "fuzz.h"

static struct email em;

static void
silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *why;

	(void)argc;
	(void)argv;
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, silent);
	FUZZ_ASSERT(email_parse("alice@example.com", 17, &em, &why) == 0);
	return 0;
}

static void
refused(const char *why, const char *body, size_t size)
{
	FUZZ_ASSERT(why != NULL && why[0] != '\0');
	FUZZ_ASSERT(why < body || why >= body + size);
}

static void
view_ok(const struct client_view *v)
{
	FUZZ_ASSERT(v->outcome == VERDICT_WORKS ||
	    v->outcome == VERDICT_FALLBACK || v->outcome == VERDICT_FAILS);
	FUZZ_ASSERT(v->reason[0] != '\0');
	FUZZ_ASSERT(memchr(v->reason, '\0', sizeof(v->reason)) != NULL);
	FUZZ_ASSERT(v->outcome == VERDICT_FAILS || (v->in.set && v->out.set));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ans_autoconfig ac;
	static struct ans_pox px;
	static struct ans_profile pf;
	struct ans_pacc pc;
	struct ans_ad_json aj;
	struct client_view v;
	const char *body = (const char *)data, *why;

	if (size > ANSWER_MAX)
		return 0;
	why = NULL;
	if (answer_autoconfig(body, size, &ac, &why) == 0) {
		static const enum client cl[] = { CLIENT_THUNDERBIRD, CLIENT_THUNDERBIRD_ANDROID,
		    CLIENT_EVOLUTION };

		FUZZ_ASSERT(ac.nin <= ANS_SERVERS_MAX &&
		    ac.nout <= ANS_SERVERS_MAX);
		for (size_t i = 0; i < ac.nin; i++)
			FUZZ_ASSERT(ac.in[i].nauth <= ANS_AUTH_MAX &&
			    strlen(ac.in[i].host) < ANS_TEXT);
		for (size_t i = 0; i < 3; i++) {
			memset(&v, 0, sizeof(v));
			client_autoconfig(cl[i], &ac, &em, &v);
			view_ok(&v);
		}
	} else
		refused(why, body, size);
	why = NULL;
	if (answer_pox(body, size, &px, &why) == 0) {
		FUZZ_ASSERT(px.nproto <= ANS_SERVERS_MAX);
		memset(&v, 0, sizeof(v));
		client_pox(CLIENT_OUTLOOK, &px, &v);
		view_ok(&v);
		memset(&v, 0, sizeof(v));
		client_pox(CLIENT_THUNDERBIRD, &px, &v);
		view_ok(&v);
	} else
		refused(why, body, size);
	why = NULL;
	if (answer_profile(body, size, &pf, &why) == 0) {
		memset(&v, 0, sizeof(v));
		client_profile(&pf, &v);
		view_ok(&v);
	} else
		refused(why, body, size);
	why = NULL;
	if (answer_pacc(body, size, &pc, &why) == 0) {
		memset(&v, 0, sizeof(v));
		client_pacc(&pc, &em, &v);
		view_ok(&v);
	} else
		refused(why, body, size);
	why = NULL;
	if (answer_ad_json(body, size, &aj, &why) == 0)
		FUZZ_ASSERT(aj.url[0] != '\0');
	else
		refused(why, body, size);
	return 0;
}

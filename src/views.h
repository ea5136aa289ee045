/* What every client sees, from the config ("autoconfd show") and as a
 * report for people or scripts (show and probe). Pure: no I/O. */
#ifndef AUTOCONFD_VIEWS_H
#define AUTOCONFD_VIEWS_H

#include <stdbool.h>
#include <stddef.h>

#include "clientview.h"
#include "conf.h"
#include "email.h"
#include "util.h"

/* One thing the probe looked at: a DNS record, a certificate, an answer
 * compared with the config's. */
struct check {
	char name[160];
	bool ok;
	char detail[VIEW_REASON];
};

/* The views of every client for em, from the answers the daemon's own
 * renderers make for p, read back as each client reads them (answers.c,
 * clients.c), with each client's first URL (plan.c). The reason of a
 * client that gets no server names the config's servers no answer
 * carries. -1 if a renderer failed. */
int views_from_config(const struct conf *c, const struct provider *p,
    const struct email *em, struct client_view views[CLIENT_COUNT]);

/* Notes in v's reason which of p's servers the answers leave out, when v
 * got no incoming or no outgoing server. */
void views_explain(const struct provider *p, struct client_view *v);

/* The report: {"address", "provider", "clients": [...]}, each client
 * {"client", "outcome", "reason", "url", "incoming", "outgoing"} with a
 * server {"protocol", "host", "port", "security", "auth", "username"} or
 * null. A probe report (probe true) adds each client's "answer_url" and
 * "checks": [{"name", "ok", "detail"}]. provider NULL: null. */
struct report {
	const char *address;
	const char *provider;
	const struct client_view *views;
	size_t nviews;
	bool probe;
	const struct check *checks;
	size_t nchecks;
};

void report_json(const struct report *r, struct buf *out);
void report_text(const struct report *r, struct buf *out);

#endif

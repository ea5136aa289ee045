#include "config.h"

#include "endpoints.h"
#include "site.h"

void
ep_healthz(const struct request *rq, struct reply *rp)
{
	/* A request only gets here with a loaded config: that is health. */
	if (!rq->site->conf->healthz) {
		reply_text(rp, 404, "not found");
		return;
	}
	reply_text(rp, 200, "ok");
	reply_header(rp, "Cache-Control", "no-store");
}

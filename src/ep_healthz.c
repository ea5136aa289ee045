#include "config.h"

#include "endpoints.h"
#include "metrics.h"
#include "site.h"

void
ep_healthz(const struct request *rq, struct reply *rp)
{
	/* A request only gets here with a loaded config: that is health. */
	if (!rq->site->conf->healthz) {
		reply_text(rp, 404, "not found");
		return;
	}
	char which[64];
	unsigned int n = metrics_stalled_workers(which, sizeof(which));

	/* A worker stuck is a daemon that no longer answers some of its
	 * clients: not healthy, whatever this one request shows. */
	if (n > 0) {
		reply_text(rp, 503, "%s %s stalled", n == 1 ? "worker" :
		    "workers", which);
		reply_header(rp, "Cache-Control", "no-store");
		return;
	}
	reply_text(rp, 200, "ok");
	reply_header(rp, "Cache-Control", "no-store");
}

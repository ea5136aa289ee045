#include "config.h"

#include "endpoints.h"
#include "metrics.h"
#include "site.h"
#include "tls.h"

void
ep_metrics(const struct request *rq, struct reply *rp)
{
	if (!rq->site->conf->metrics) {
		reply_text(rp, 404, "not found");
		return;
	}
	rp->status = 200;
	rp->ctype = "text/plain; version=0.0.4; charset=utf-8";
	metrics_render(&rp->body);
	tls_metrics(&rp->body);
	reply_header(rp, "Cache-Control", "no-store");
}

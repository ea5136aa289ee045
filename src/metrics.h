/* Counters for /metrics, updated lock-free by the workers. */
#ifndef AUTOCONFD_METRICS_H
#define AUTOCONFD_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "client.h"
#include "request.h"
#include "util.h"

/* One answered request: endpoint label (a static string), status, and the
 * microseconds from its headers to its response. */
void metrics_request(const char *endpoint, unsigned int status,
    uint64_t usec);
/* One mail client's request and how it ended; nothing is counted for
 * CLIENT_NONE or OUTCOME_UNSET. */
void metrics_client(enum client client, enum outcome outcome);
/* A connection closed for sending its request headers too slowly. */
void metrics_request_timeout(void);
/* Open connections go up and down by delta. */
void metrics_connections(int delta);
/* A reload finished: ok or failed; generation is the one now serving. */
void metrics_reload(bool ok, uint64_t generation);
/* A load of the config (at start or a reload) took this long. */
void metrics_config_load_time(double seconds);

/* A request or connection refused at the edge (reason: a short static
 * label, e.g. "framing", "per_ip_limit"). */
void metrics_edge_rejection(const char *reason);

/* The workers, as the edge reports them: open connections and whether
 * the worker has stalled. */
struct worker_state {
	unsigned int connections;
	bool stalled;
};
void metrics_set_workers(unsigned int n,
    void (*probe)(unsigned int i, struct worker_state *st));
/* How many workers have stalled now; their numbers in which (as text,
 * "0, 3"). */
unsigned int metrics_stalled_workers(char *which, size_t size);

/* The Prometheus text exposition (format 0.0.4). */
void metrics_render(struct buf *out);

#endif

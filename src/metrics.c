#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics.h"

#define ENDPOINTS_MAX 32

/* Statuses with their own counter; the rest are counted as "other". */
static const unsigned int codes[] = { 200, 204, 301, 302, 304, 400, 401,
    403, 404, 405, 408, 413, 414, 429, 431, 500, 501, 503, 505 };
#define NCODES (ARRAY_LEN(codes) + 1)

/* Upper bounds of the response time buckets, in microseconds. */
static const uint64_t bounds[] = { 50, 100, 250, 500, 1000, 2500, 5000,
    10000, 25000, 100000, 1000000 };
#define NBOUNDS ARRAY_LEN(bounds)

struct ep_stats {
	atomic_ullong by_code[NCODES];
	atomic_ullong hist[NBOUNDS + 1];	/* last: over every bound */
	atomic_ullong usec_sum;
};

/* Each thread counts requests in its own shard, which no other thread
 * writes; /metrics adds the shards up. (One shared set of counters had its
 * cache lines bounce between the cores on every request.) */
struct shard {
	struct ep_stats eps[ENDPOINTS_MAX];
	struct shard *next;
};

static _Atomic(const char *) ep_names[ENDPOINTS_MAX];
static _Atomic(struct shard *) shards;
static _Thread_local struct shard *my_shard;
static atomic_int open_conns;
static atomic_ullong reloads, reload_failures, request_timeouts;
static atomic_ullong generation;
static time_t started;

/* The slot of an endpoint label, claimed on first use without a lock. */
static size_t
ep_slot(const char *name)
{
	for (size_t i = 0; i < ENDPOINTS_MAX; i++) {
		const char *cur = atomic_load_explicit(&ep_names[i],
		    memory_order_acquire);

		if (cur == NULL) {
			const char *expect = NULL;

			if (atomic_compare_exchange_strong(&ep_names[i],
			    &expect, name))
				return i;
			cur = expect;
		}
		if (cur == name || strcmp(cur, name) == 0)
			return i;
	}
	return ENDPOINTS_MAX - 1;	/* full: lump into the last one */
}

static struct shard *
shard(void)
{
	struct shard *sh = my_shard;

	if (sh != NULL)
		return sh;
	if (posix_memalign((void **)&sh, 64, sizeof(*sh)) != 0)
		fatalx("out of memory");
	memset(sh, 0, sizeof(*sh));
	sh->next = atomic_load(&shards);
	while (!atomic_compare_exchange_weak(&shards, &sh->next, sh))
		;
	my_shard = sh;
	return sh;
}

/* Only the owning thread writes a shard: no locked instruction needed. */
static void
bump(atomic_ullong *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c,
	    memory_order_relaxed) + n, memory_order_relaxed);
}

static size_t
code_index(unsigned int status)
{
	for (size_t i = 0; i < ARRAY_LEN(codes); i++)
		if (codes[i] == status)
			return i;
	return NCODES - 1;
}

void
metrics_request(const char *endpoint, unsigned int status, uint64_t usec)
{
	struct ep_stats *e = &shard()->eps[ep_slot(endpoint != NULL ?
	    endpoint : "other")];
	size_t b = 0;

	while (b < NBOUNDS && usec > bounds[b])
		b++;
	bump(&e->by_code[code_index(status)], 1);
	bump(&e->hist[b], 1);
	bump(&e->usec_sum, usec);
}

void
metrics_request_timeout(void)
{
	atomic_fetch_add_explicit(&request_timeouts, 1, memory_order_relaxed);
}

void
metrics_connections(int delta)
{
	atomic_fetch_add_explicit(&open_conns, delta, memory_order_relaxed);
}

void
metrics_reload(bool ok, uint64_t gen)
{
	if (started == 0)
		started = time(NULL);
	else
		atomic_fetch_add(ok ? &reloads : &reload_failures, 1);
	atomic_store(&generation, gen);
}

/* ---- the edge ---------------------------------------------------------
 * Refusals are rare: shared counters. The labels are a fixed set. */
static const char *const edge_reasons[] = {
	"framing", "malformed", "body_too_large", "uri_too_long",
	"headers_too_large", "version", "per_ip_limit", "request_timeout",
	"accept_failed", "no_config", "other",
};
static atomic_ullong edge_counts[ARRAY_LEN(edge_reasons)];
static unsigned int nworkers;
static void (*worker_probe)(unsigned int, struct worker_state *);

void
metrics_edge_rejection(const char *reason)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(edge_reasons) - 1; i++)
		if (strcmp(edge_reasons[i], reason) == 0)
			break;
	atomic_fetch_add_explicit(&edge_counts[i], 1, memory_order_relaxed);
}

void
metrics_set_workers(unsigned int n,
    void (*probe)(unsigned int, struct worker_state *))
{
	nworkers = n;
	worker_probe = probe;
}

unsigned int
metrics_stalled_workers(char *which, size_t size)
{
	unsigned int n = 0;
	size_t len = 0;

	if (size > 0)
		which[0] = '\0';
	for (unsigned int i = 0; worker_probe != NULL && i < nworkers; i++) {
		struct worker_state st;

		worker_probe(i, &st);
		if (!st.stalled)
			continue;
		if (len < size) {
			int k = snprintf(which + len, size - len, "%s%u",
			    n > 0 ? ", " : "", i);

			if (k > 0)
				len += (size_t)k;
		}
		n++;
	}
	return n;
}

static void
render_edge(struct buf *o)
{
	buf_puts(o,
	    "# HELP autoconfd_edge_rejections_total Requests and connections "
	    "refused before an endpoint saw them, by reason.\n"
	    "# TYPE autoconfd_edge_rejections_total counter\n");
	for (size_t i = 0; i < ARRAY_LEN(edge_reasons); i++)
		buf_printf(o, "autoconfd_edge_rejections_total{reason=\"%s\"} "
		    "%llu\n", edge_reasons[i], atomic_load_explicit(
		    &edge_counts[i], memory_order_relaxed));
	if (worker_probe == NULL)
		return;
	buf_puts(o,
	    "# HELP autoconfd_worker_connections Connections open on each "
	    "worker thread.\n"
	    "# TYPE autoconfd_worker_connections gauge\n");
	for (unsigned int i = 0; i < nworkers; i++) {
		struct worker_state st;

		worker_probe(i, &st);
		buf_printf(o, "autoconfd_worker_connections{worker=\"%u\"} "
		    "%u\n", i, st.connections);
	}
	buf_puts(o,
	    "# HELP autoconfd_worker_stalled 1 while the worker has made no "
	    "progress for several seconds.\n"
	    "# TYPE autoconfd_worker_stalled gauge\n");
	for (unsigned int i = 0; i < nworkers; i++) {
		struct worker_state st;

		worker_probe(i, &st);
		buf_printf(o, "autoconfd_worker_stalled{worker=\"%u\"} %d\n",
		    i, st.stalled ? 1 : 0);
	}
}

static unsigned long long
get(atomic_ullong *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

/* The counters of endpoint i over every thread. */
struct totals {
	unsigned long long by_code[NCODES], hist[NBOUNDS + 1], usec_sum;
};

static void
totals(size_t i, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (struct shard *sh = atomic_load(&shards); sh != NULL;
	    sh = sh->next) {
		struct ep_stats *e = &sh->eps[i];

		for (size_t k = 0; k < NCODES; k++)
			t->by_code[k] += get(&e->by_code[k]);
		for (size_t b = 0; b <= NBOUNDS; b++)
			t->hist[b] += get(&e->hist[b]);
		t->usec_sum += get(&e->usec_sum);
	}
}

void
metrics_render(struct buf *o)
{
	buf_puts(o,
	    "# HELP autoconfd_requests_total Requests answered, by endpoint "
	    "and status.\n"
	    "# TYPE autoconfd_requests_total counter\n");
	for (size_t i = 0; i < ENDPOINTS_MAX; i++) {
		const char *n = atomic_load(&ep_names[i]);
		struct totals t;

		if (n == NULL)
			break;
		totals(i, &t);
		for (size_t k = 0; k < NCODES; k++) {
			unsigned long long v = t.by_code[k];

			if (v == 0)
				continue;
			if (k < ARRAY_LEN(codes))
				buf_printf(o, "autoconfd_requests_total{endpoint="
				    "\"%s\",code=\"%u\"} %llu\n", n, codes[k], v);
			else
				buf_printf(o, "autoconfd_requests_total{endpoint="
				    "\"%s\",code=\"other\"} %llu\n", n, v);
		}
	}
	buf_puts(o,
	    "# HELP autoconfd_request_duration_seconds Time from the request "
	    "headers to the queued response.\n"
	    "# TYPE autoconfd_request_duration_seconds histogram\n");
	for (size_t i = 0; i < ENDPOINTS_MAX; i++) {
		const char *n = atomic_load(&ep_names[i]);
		unsigned long long cum = 0;
		struct totals t;

		if (n == NULL)
			break;
		totals(i, &t);
		for (size_t b = 0; b <= NBOUNDS; b++) {
			cum += t.hist[b];
			if (b < NBOUNDS)
				buf_printf(o, "autoconfd_request_duration_seconds"
				    "_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
				    n, (double)bounds[b] / 1e6, cum);
			else
				buf_printf(o, "autoconfd_request_duration_seconds"
				    "_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
				    n, cum);
		}
		buf_printf(o, "autoconfd_request_duration_seconds_sum"
		    "{endpoint=\"%s\"} %.6f\n", n,
		    (double)t.usec_sum / 1e6);
		buf_printf(o, "autoconfd_request_duration_seconds_count"
		    "{endpoint=\"%s\"} %llu\n", n, cum);
	}
	buf_printf(o,
	    "# HELP autoconfd_open_connections Client connections open now.\n"
	    "# TYPE autoconfd_open_connections gauge\n"
	    "autoconfd_open_connections %d\n"
	    "# HELP autoconfd_request_timeouts_total Connections closed for "
	    "not sending a request within limits.request_timeout.\n"
	    "# TYPE autoconfd_request_timeouts_total counter\n"
	    "autoconfd_request_timeouts_total %llu\n"
	    "# HELP autoconfd_config_generation Generation of the config "
	    "serving now (1 at start, +1 per successful reload).\n"
	    "# TYPE autoconfd_config_generation gauge\n"
	    "autoconfd_config_generation %llu\n"
	    "# HELP autoconfd_config_reloads_total Successful reloads.\n"
	    "# TYPE autoconfd_config_reloads_total counter\n"
	    "autoconfd_config_reloads_total %llu\n"
	    "# HELP autoconfd_config_reload_failures_total Reloads refused "
	    "because the new config was invalid.\n"
	    "# TYPE autoconfd_config_reload_failures_total counter\n"
	    "autoconfd_config_reload_failures_total %llu\n"
	    "# HELP autoconfd_start_time_seconds Start time, seconds since "
	    "the epoch.\n"
	    "# TYPE autoconfd_start_time_seconds gauge\n"
	    "autoconfd_start_time_seconds %lld\n"
	    "# HELP autoconfd_build_info Version of the running daemon.\n"
	    "# TYPE autoconfd_build_info gauge\n"
	    "autoconfd_build_info{version=\"%s\"} 1\n",
	    atomic_load(&open_conns), get(&request_timeouts), get(&generation), get(&reloads),
	    get(&reload_failures), (long long)started, PACKAGE_VERSION);
	render_edge(o);
}

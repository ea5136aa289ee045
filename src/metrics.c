#include "config.h"

#include <sys/resource.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <microhttpd.h>

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
	atomic_ullong clients[CLIENT_COUNT][OUTCOME_COUNT];
	struct shard *next;
};

static _Atomic(const char *) ep_names[ENDPOINTS_MAX];
static _Atomic(struct shard *) shards;
static _Thread_local struct shard *my_shard;
static atomic_int open_conns;
static atomic_ullong reloads, reload_failures, request_timeouts;
static atomic_ullong generation;
static time_t started;
/* The serving config: when it was loaded (ms since the epoch); how long
 * the last load took (µs); whether the last reload succeeded. */
static atomic_ullong loaded_at_ms, load_usec;
static atomic_bool last_reload_ok = true;

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
metrics_client(enum client client, enum outcome outcome)
{
	if (client == CLIENT_NONE || (unsigned int)client >= CLIENT_COUNT ||
	    outcome == OUTCOME_UNSET || (unsigned int)outcome >= OUTCOME_COUNT)
		return;
	bump(&shard()->clients[client][outcome], 1);
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

static void
config_loaded(bool ok)
{
	struct timespec now;

	atomic_store(&last_reload_ok, ok);
	if (!ok)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	atomic_store(&loaded_at_ms, (unsigned long long)now.tv_sec * 1000 +
	    (unsigned long long)now.tv_nsec / 1000000);
}

void
metrics_reload(bool ok, uint64_t gen)
{
	if (started == 0)
		started = time(NULL);
	else
		atomic_fetch_add(ok ? &reloads : &reload_failures, 1);
	atomic_store(&generation, gen);
	config_loaded(ok);
}

void
metrics_config_load_time(double seconds)
{
	atomic_store(&load_usec, seconds > 0 ?
	    (unsigned long long)(seconds * 1e6) : 0);
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

/* Every client and outcome, 0 until it happens: a rate() over a series
 * that appears only later misses its first requests. */
static void
render_clients(struct buf *o)
{
	buf_puts(o,
	    "# HELP autoconfd_client_requests_total Requests of mail clients, "
	    "by client family and how they ended.\n"
	    "# TYPE autoconfd_client_requests_total counter\n");
	for (int c = CLIENT_NONE + 1; c < CLIENT_COUNT; c++)
		for (int k = OUTCOME_UNSET + 1; k < OUTCOME_COUNT; k++) {
			unsigned long long v = 0;

			for (struct shard *sh = atomic_load(&shards);
			    sh != NULL; sh = sh->next)
				v += get(&sh->clients[c][k]);
			buf_printf(o, "autoconfd_client_requests_total{client="
			    "\"%s\",outcome=\"%s\"} %llu\n",
			    client_name((enum client)c),
			    outcome_name((enum outcome)k), v);
		}
}

static void
render_config(struct buf *o)
{
	buf_printf(o,
	    "# HELP autoconfd_config_load_timestamp_seconds When the config "
	    "serving now was loaded, seconds since the epoch.\n"
	    "# TYPE autoconfd_config_load_timestamp_seconds gauge\n"
	    "autoconfd_config_load_timestamp_seconds %.3f\n"
	    "# HELP autoconfd_config_load_duration_seconds How long the last "
	    "load of the config took (parsing and checking), successful or "
	    "not.\n"
	    "# TYPE autoconfd_config_load_duration_seconds gauge\n"
	    "autoconfd_config_load_duration_seconds %.6f\n"
	    "# HELP autoconfd_config_last_reload_successful 1 if the last "
	    "load of the config succeeded, 0 if the previous config is still "
	    "serving because the new one was refused.\n"
	    "# TYPE autoconfd_config_last_reload_successful gauge\n"
	    "autoconfd_config_last_reload_successful %d\n",
	    (double)get(&loaded_at_ms) / 1e3, (double)get(&load_usec) / 1e6,
	    atomic_load(&last_reload_ok) ? 1 : 0);
}

/* A label as the text format wants it: backslash, quote and newline
 * escaped. */
static void
put_label(struct buf *o, const char *name, const char *value)
{
	buf_printf(o, "%s=\"", name);
	for (const char *p = value != NULL ? value : ""; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			buf_putc(o, '\\');
		if (*p == '\n')
			buf_puts(o, "\\n");
		else
			buf_putc(o, *p);
	}
	buf_putc(o, '"');
}

/* The libraries' versions as loaded at run time, not as compiled against:
 * what a security update changed is what an admin wants to see. */
static void
render_build_info(struct buf *o)
{
	char xml[32];
	int xv = atoi(xmlParserVersion);	/* "20914" is 2.9.14 */

	snprintf(xml, sizeof(xml), "%d.%d.%d", xv / 10000, xv / 100 % 100,
	    xv % 100);
	buf_puts(o,
	    "# HELP autoconfd_build_info The running daemon's version and the "
	    "versions of the libraries it loaded; always 1.\n"
	    "# TYPE autoconfd_build_info gauge\n"
	    "autoconfd_build_info{");
	put_label(o, "version", PACKAGE_VERSION);
	buf_putc(o, ',');
	put_label(o, "libmicrohttpd", MHD_get_version());
	buf_putc(o, ',');
	put_label(o, "gnutls", gnutls_check_version(NULL));
	buf_putc(o, ',');
#if JANSSON_VERSION_HEX >= 0x020d00
	put_label(o, "jansson", jansson_version_str());
#else
	put_label(o, "jansson", JANSSON_VERSION);
#endif
	buf_putc(o, ',');
	put_label(o, "libxml2", xml);
	buf_puts(o, "} 1\n");
}

/* The first line of a small /proc file into buf; -1 if unreadable. */
static int
read_proc(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* Descriptors open now, without the one that lists them. */
static long
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			n++;
	closedir(d);
	return n;
}

/* The process's start, seconds since the epoch: /proc/self/stat counts
 * it in clock ticks since boot. (/proc/stat's boot time is hidden by the
 * unit's ProcSubset=pid, so the boot is found from CLOCK_BOOTTIME.) */
static double
start_time(void)
{
	char st[1024];
	const char *p;
	unsigned long long ticks;
	struct timespec real, boot;
	long hz = sysconf(_SC_CLK_TCK);

	if (hz <= 0 || read_proc("/proc/self/stat", st, sizeof(st)) < 0 ||
	    (p = strrchr(st, ')')) == NULL)
		return -1;
	/* Field 22, starttime; the 2nd, the name, may hold spaces. */
	for (int field = 2; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (p == NULL)
			return -1;
	}
	ticks = strtoull(p + 1, NULL, 10);
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	return (double)real.tv_sec + (double)real.tv_nsec / 1e9 -
	    ((double)boot.tv_sec + (double)boot.tv_nsec / 1e9) +
	    (double)ticks / (double)hz;
}

/* process_* by the names Prometheus's client libraries use, so the usual
 * dashboards and alerts work unchanged. A value the system does not give
 * is left out, family and all. */
static void
render_process(struct buf *o)
{
	char statm[256];
	unsigned long long vsz, rss;
	struct rusage ru;
	struct rlimit rl;
	long page = sysconf(_SC_PAGESIZE), fds = open_fds();
	double t0 = start_time();

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		buf_printf(o,
		    "# HELP process_cpu_seconds_total User and system CPU time "
		    "spent, in seconds.\n"
		    "# TYPE process_cpu_seconds_total counter\n"
		    "process_cpu_seconds_total %.6f\n",
		    (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	if (read_proc("/proc/self/statm", statm, sizeof(statm)) == 0 &&
	    sscanf(statm, "%llu %llu", &vsz, &rss) == 2 && page > 0)
		buf_printf(o,
		    "# HELP process_resident_memory_bytes Resident memory "
		    "size in bytes.\n"
		    "# TYPE process_resident_memory_bytes gauge\n"
		    "process_resident_memory_bytes %llu\n"
		    "# HELP process_virtual_memory_bytes Virtual memory size "
		    "in bytes.\n"
		    "# TYPE process_virtual_memory_bytes gauge\n"
		    "process_virtual_memory_bytes %llu\n",
		    rss * (unsigned long long)page,
		    vsz * (unsigned long long)page);
	if (fds >= 0)
		buf_printf(o,
		    "# HELP process_open_fds Number of open files and sockets "
		    "(fds in use).\n"
		    "# TYPE process_open_fds gauge\n"
		    "process_open_fds %ld\n", fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		buf_printf(o,
		    "# HELP process_max_fds Maximum number of open files and "
		    "sockets (RLIMIT_NOFILE).\n"
		    "# TYPE process_max_fds gauge\n"
		    "process_max_fds %.0f\n", rl.rlim_cur == RLIM_INFINITY ?
		    1.8446744073709552e19 : (double)rl.rlim_cur);
	if (t0 > 0)
		buf_printf(o,
		    "# HELP process_start_time_seconds Start time of the "
		    "process since the epoch, in seconds.\n"
		    "# TYPE process_start_time_seconds gauge\n"
		    "process_start_time_seconds %.2f\n", t0);
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
	    "autoconfd_start_time_seconds %lld\n",
	    atomic_load(&open_conns), get(&request_timeouts), get(&generation), get(&reloads),
	    get(&reload_failures), (long long)started);
	render_clients(o);
	render_edge(o);
	render_config(o);
	render_build_info(o);
	render_process(o);
}

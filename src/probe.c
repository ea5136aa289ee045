/* "autoconfd probe DOMAIN": looks the domain up as the clients do, fetches
 * what they fetch, and reports what each ends up with. This file is the
 * I/O: the command line, the DNS questions (dnsq.c), the requests
 * (fetch.c), the certificates (certcheck.c) and the output; the verdicts
 * are probe_judge.c's. */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpsl.h>
#include <libxml/parser.h>

#include "probe.h"
#include "verbs.h"

#define PROBE_USAGE "usage: autoconfd probe DOMAIN [--address ADDR] " \
	"[--resolver IP[:PORT]] [--ca FILE]\n" \
	"                       [--connect-to HOST:PORT:ADDR:PORT] [--json] " \
	"[-c FILE]\n"
#define TIMEOUT_MS 10000
#define CONNECT_TO_MAX 8
#define EXIT_TROUBLE 2		/* the probe itself could not run */

/* --connect-to HOST:PORT:ADDR:PORT, as curl's: an empty HOST or PORT
 * matches any, an empty ADDR or PORT keeps what DNS gave and the URL's
 * port. */
struct connect_rule {
	char host[DOMAIN_MAX + 1];
	long port;		/* 0: any */
	char addr[INET6_ADDRSTRLEN + 2];
	long to_port;		/* 0: the same */
};

static int
parse_port(const char *s, size_t n, long *port)
{
	char t[8];

	*port = 0;
	if (n == 0)
		return 0;
	if (n > 5)
		return -1;
	memcpy(t, s, n);
	t[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (t[i] < '0' || t[i] > '9')
			return -1;
	*port = strtol(t, NULL, 10);
	return *port >= 1 && *port <= 65535 ? 0 : -1;
}

static int
parse_connect_to(const char *s, struct connect_rule *r)
{
	const char *c1 = strchr(s, ':'), *c2, *a, *c3;
	char addr[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];
	size_t n;

	memset(r, 0, sizeof(*r));
	if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
		return -1;
	n = (size_t)(c1 - s);
	if (n >= sizeof(r->host))
		return -1;
	memcpy(r->host, s, n);
	if (parse_port(c1 + 1, (size_t)(c2 - c1 - 1), &r->port) < 0)
		return -1;
	a = c2 + 1;
	if (*a == '[') {
		const char *end = strchr(a, ']');

		if (end == NULL || end[1] != ':')
			return -1;
		c3 = end + 1;
		n = (size_t)(end - a - 1);
		a++;
	} else {
		if ((c3 = strchr(a, ':')) == NULL)
			return -1;
		n = (size_t)(c3 - a);
	}
	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, a, n);
	addr[n] = '\0';
	if (n > 0 && inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1)
		return -1;
	snprintf(r->addr, sizeof(r->addr), "%s", addr);
	return parse_port(c3 + 1, strlen(c3 + 1), &r->to_port);
}

struct run {
	struct probe *pr;
	struct dnsq *q;
	struct connect_rule rules[CONNECT_TO_MAX];
	size_t nrules;
	struct fetch_opts fo;
	struct buf pox_request;
};

/* ---- DNS ------------------------------------------------------------- */

static void
ask(struct run *r, const char *name, enum dns_type t)
{
	struct probe *pr = r->pr;

	if (probe_dns(pr, name, t) != NULL || pr->ndns == PROBE_DNS_MAX)
		return;
	dnsq_ask(r->q, &pr->dns[pr->ndns++], name, t);
}

static void
ask_domain(struct run *r)
{
	static const char *const srv[] = { "_imaps", "_imap", "_pop3s",
	    "_pop3", "_submissions", "_submission", "_sieve",
	    "_autodiscover" };
	char name[DOMAIN_MAX + 48];
	const char *d = r->pr->domain;

	ask(r, d, DNS_MX);
	for (size_t i = 0; i < ARRAY_LEN(srv); i++) {
		snprintf(name, sizeof(name), "%s._tcp.%s", srv[i], d);
		ask(r, name, DNS_SRV);
	}
	snprintf(name, sizeof(name), "_ua-auto-config.%s", d);
	ask(r, name, DNS_TXT);
	snprintf(name, sizeof(name), "_mta-sts.%s", d);
	ask(r, name, DNS_TXT);
	for (int pn = 0; pn < PN_COUNT; pn++) {
		probe_name(r->pr, (enum probe_name)pn, name, sizeof(name));
		ask(r, name, DNS_A);
		ask(r, name, DNS_AAAA);
	}
	dnsq_run(r->q);
}

/* The routes DNS gives: Thunderbird's MX route (the preferred MX host's
 * parent and registrable domain) and the _autodiscover._tcp targets. */
static void
dns_routes(struct probe *pr)
{
	const struct dns_answer *mx = probe_dns(pr, pr->domain, DNS_MX);
	const struct dns_answer *srv;
	char name[DOMAIN_MAX + 32], out[2][DOMAIN_MAX + 1];
	const struct dns_rr *best = NULL;

	for (size_t i = 0; mx != NULL && i < mx->n; i++)
		if (best == NULL || mx->rr[i].a < best->a)
			best = &mx->rr[i];
	if (best != NULL && strcmp(best->text, ".") != 0) {
		psl_ctx_t *latest = psl_latest(NULL);
		const psl_ctx_t *psl = latest != NULL ? latest : psl_builtin();
		const char *base = psl != NULL ?
		    psl_registrable_domain(psl, best->text) : NULL;
		size_t n = plan_mx_domains(best->text, base != NULL ? base : "",
		    pr->domain, out);

		for (size_t i = 0; i < n && pr->pdns.nmx < PLAN_MX_MAX; i++) {
			memcpy(pr->mx_domains[pr->pdns.nmx], out[i],
			    DOMAIN_MAX + 1);
			pr->pdns.mx_domains[pr->pdns.nmx] =
			    pr->mx_domains[pr->pdns.nmx];
			pr->pdns.nmx++;
		}
		psl_free(latest);
	}
	snprintf(name, sizeof(name), "_autodiscover._tcp.%s", pr->domain);
	srv = probe_dns(pr, name, DNS_SRV);
	/* In priority order, as Outlook takes them. */
	for (unsigned int prio = 0; srv != NULL && prio <= 65535 &&
	    pr->pdns.nsrv < srv->n && pr->pdns.nsrv < PLAN_SRV_MAX; prio++)
		for (size_t i = 0; i < srv->n; i++) {
			const struct dns_rr *rr = &srv->rr[i];
			char *t = pr->srv_targets[pr->pdns.nsrv];

			if (rr->a != prio || strcmp(rr->text, ".") == 0 ||
			    pr->pdns.nsrv == PLAN_SRV_MAX)
				continue;
			if (rr->c == 443)
				snprintf(t, DOMAIN_MAX + 8, "%s", rr->text);
			else
				snprintf(t, DOMAIN_MAX + 8, "%s:%u", rr->text,
				    rr->c);
			pr->pdns.srv[pr->pdns.nsrv++] = t;
		}
}

/* ---- fetches --------------------------------------------------------- */

static int
url_parts(struct probe_fetch *pf)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *scheme = NULL;
	int rc = -1;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, pf->f.url, 0) ==
	    CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) ==
	    CURLUE_OK && curl_url_get(u, CURLUPART_PORT, &port,
	    CURLU_DEFAULT_PORT) == CURLUE_OK && curl_url_get(u,
	    CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK) {
		snprintf(pf->host, sizeof(pf->host), "%s", host);
		pf->port = strtol(port, NULL, 10);
		pf->https = strcmp(scheme, "https") == 0;
		rc = 0;
	}
	curl_free(host);
	curl_free(port);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

/* The fetch of url; the same one for every client that asks it, unless
 * fresh (a redirect's target is asked again). */
static int
add_fetch(struct run *r, const char *url, bool post, enum extra_kind extra,
    bool fresh)
{
	struct probe *pr = r->pr;
	struct probe_fetch *pf;

	for (size_t i = 0; i < pr->nfetch && extra == EX_NONE && !fresh; i++)
		if (pr->fetch[i].extra == EX_NONE && pr->fetch[i].depth == 0 &&
		    pr->fetch[i].f.post == post &&
		    strcmp(pr->fetch[i].f.url, url) == 0)
			return (int)i;
	if (pr->nfetch == PROBE_FETCH_MAX)
		return -1;
	pf = &pr->fetch[pr->nfetch];
	memset(pf, 0, sizeof(*pf));
	pf->hop = -1;
	pf->extra = extra;
	snprintf(pf->f.url, sizeof(pf->f.url), "%s", url);
	pf->f.post = post;
	pf->f.body = post ? r->pox_request.data : NULL;
	if (url_parts(pf) < 0) {
		pf->f.done = true;
		pf->f.curl_code = -1;
		snprintf(pf->f.error, sizeof(pf->f.error), "not a URL");
	}
	return (int)pr->nfetch++;
}

static bool
has_address(const struct probe *pr, const char *host)
{
	const struct dns_answer *a = probe_dns(pr, host, DNS_A);
	const struct dns_answer *aaaa = probe_dns(pr, host, DNS_AAAA);

	return (a != NULL && a->status == DNS_OK) ||
	    (aaaa != NULL && aaaa->status == DNS_OK);
}

static void
plan_fetches(struct run *r)
{
	struct probe *pr = r->pr;
	char h[DOMAIN_MAX + 32], url[ANS_URL];
	struct buf q = { 0 };

	for (int c = FAMILY_FIRST; c < FAMILY_END; c++) {
		pr->nplan[c] = plan_client((enum client)c, &pr->em,
		    pr->conf != NULL ? pr->conf->public_url : NULL, &pr->pdns,
		    pr->plan[c]);
		for (size_t i = 0; i < pr->nplan[c]; i++) {
			const struct attempt *a = &pr->plan[c][i];
			int k = add_fetch(r, a->url, a->kind == FK_POX,
			    EX_NONE, false);

			pr->plan_fetch[c][i] = k;
			if (k < 0)
				continue;
			if (a->kind == FK_AUTOCONFIG || a->kind == FK_PROFILE)
				pr->fetch[k].follow = true;
			if (a->kind == FK_POX_REDIRECT)
				pr->fetch[k].follow = pr->fetch[k].follow_post =
				    true;
		}
	}
	/* What the checks look at: the same answers at the other names
	 * clients use. */
	probe_name(pr, PN_AUTODISCOVER, h, sizeof(h));
	if (!has_address(pr, h))
		probe_name(pr, PN_DOMAIN, h, sizeof(h));
	if (has_address(pr, h)) {
		snprintf(url, sizeof(url), "https://%s/Autodiscover/"
		    "Autodiscover.xml", h);
		add_fetch(r, url, true, EX_POX_CASE, false);
		snprintf(url, sizeof(url), "https://%s/AutoDiscover/"
		    "AutoDiscover.xml", h);
		add_fetch(r, url, true, EX_POX_CASE, false);
		url_query_encode(pr->em.addr, &q);
		snprintf(url, sizeof(url), "https://%s/autodiscover/"
		    "autodiscover.json?Email=%s&Protocol=AutodiscoverV1", h,
		    q.data);
		add_fetch(r, url, false, EX_AD_JSON, false);
		snprintf(url, sizeof(url), "https://%s/autodiscover/"
		    "autodiscover.json/v1.0/%s?Protocol=AutodiscoverV1", h,
		    pr->em.addr);
		add_fetch(r, url, false, EX_AD_JSON_V1, false);
		buf_free(&q);
	}
	probe_name(pr, PN_PACC, h, sizeof(h));
	if (has_address(pr, h)) {
		snprintf(url, sizeof(url), "https://%s/.well-known/"
		    "user-agent-configuration", h);
		add_fetch(r, url, false, EX_PACC_NOEXT, false);
	}
	probe_name(pr, PN_AUTOCONFIG, h, sizeof(h));
	if (has_address(pr, h)) {
		snprintf(url, sizeof(url), "https://%s/v1.1/mail/"
		    "config-v1.1.xml", h);
		add_fetch(r, url, false, EX_AC_V11, false);
	}
	probe_name(pr, PN_MTA_STS, h, sizeof(h));
	if (has_address(pr, h)) {
		snprintf(url, sizeof(url), "https://%s/.well-known/"
		    "mta-sts.txt", h);
		add_fetch(r, url, false, EX_MTA_STS, false);
	}
}

static bool
is_ip_literal(const char *host)
{
	unsigned char bin[16];
	char t[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	if (host[0] == '[' && n > 2 && n - 2 < sizeof(t)) {
		memcpy(t, host + 1, n - 2);
		t[n - 2] = '\0';
		return inet_pton(AF_INET6, t, bin) == 1;
	}
	return inet_pton(AF_INET, host, bin) == 1;
}

/* Where a fetch connects: the first address DNS gave (IPv4 first), or the
 * literal, moved by --connect-to; curl keeps the URL's name for the
 * Host header, SNI and the certificate. */
static void
route(struct run *r, struct probe_fetch *pf)
{
	const struct dns_answer *a = probe_dns(r->pr, pf->host, DNS_A);
	const struct dns_answer *aaaa = probe_dns(r->pr, pf->host, DNS_AAAA);
	char addr[DNS_TEXT + 2] = "";
	long port = pf->port;

	if (is_ip_literal(pf->host))
		snprintf(addr, sizeof(addr), "%s", pf->host);
	else if (a != NULL && a->status == DNS_OK)
		snprintf(addr, sizeof(addr), "%s", a->rr[0].text);
	else if (aaaa != NULL && aaaa->status == DNS_OK)
		snprintf(addr, sizeof(addr), "[%s]", aaaa->rr[0].text);
	else {
		pf->no_address = true;
		pf->f.done = true;
		pf->f.curl_code = -1;
		snprintf(pf->f.error, sizeof(pf->f.error), "no address");
		return;
	}
	for (size_t i = 0; i < r->nrules; i++) {
		const struct connect_rule *cr = &r->rules[i];

		if ((cr->host[0] != '\0' &&
		    ascii_strcasecmp(cr->host, pf->host) != 0) ||
		    (cr->port != 0 && cr->port != pf->port))
			continue;
		if (cr->addr[0] != '\0')
			snprintf(addr, sizeof(addr), strchr(cr->addr, ':') ?
			    "[%s]" : "%s", cr->addr);
		if (cr->to_port != 0)
			port = cr->to_port;
		break;
	}
	snprintf(pf->f.connect_to, sizeof(pf->f.connect_to), "%s:%ld:%s:%ld",
	    pf->host, pf->port, addr, port);
}

/* Asks DNS for the hosts of fetches [from, nfetch) not yet known, routes
 * them, and performs them. */
static int
perform(struct run *r, size_t from)
{
	struct probe *pr = r->pr;
	struct fetch **todo;
	size_t n = 0;
	int rc;

	for (size_t i = from; i < pr->nfetch; i++)
		if (!pr->fetch[i].f.done && !is_ip_literal(pr->fetch[i].host)) {
			ask(r, pr->fetch[i].host, DNS_A);
			ask(r, pr->fetch[i].host, DNS_AAAA);
		}
	dnsq_run(r->q);
	todo = xcalloc(pr->nfetch - from + 1, sizeof(*todo));
	for (size_t i = from; i < pr->nfetch; i++) {
		if (pr->fetch[i].f.done)
			continue;
		route(r, &pr->fetch[i]);
		if (!pr->fetch[i].f.done)
			todo[n++] = &pr->fetch[i].f;
	}
	rc = fetch_all(todo, n, &r->fo);
	free(todo);
	return rc;
}

/* The redirects clients follow, up to PROBE_HOPS deep. */
static int
follow(struct run *r)
{
	struct probe *pr = r->pr;
	size_t from = 0;

	for (int round = 0; round < PROBE_HOPS; round++) {
		size_t start = pr->nfetch;

		for (size_t i = from; i < start; i++) {
			struct probe_fetch *pf = &pr->fetch[i];
			long st = pf->f.status;
			int k;

			if (!pf->follow || pf->f.curl_code != 0 || st < 300 ||
			    st > 399 || pf->f.location[0] == '\0' ||
			    pf->depth >= PROBE_HOPS)
				continue;
			k = add_fetch(r, pf->f.location, pf->follow_post,
			    EX_NONE, true);
			if (k < 0)
				continue;
			pf->hop = k;
			pr->fetch[k].depth = pf->depth + 1;
			pr->fetch[k].follow = true;
			pr->fetch[k].follow_post = pf->follow_post;
			pr->fetch[k].f.body = pf->follow_post ?
			    r->pox_request.data : NULL;
		}
		if (pr->nfetch == start)
			break;
		if (perform(r, start) < 0)
			return -1;
		from = start;
	}
	return 0;
}

/* The certificate chain of every https host:port contacted, judged. */
static int
certificates(struct run *r, const struct certcheck *cc)
{
	struct probe *pr = r->pr;
	struct fetch *f = xcalloc(PROBE_CERTS_MAX, sizeof(*f));
	struct fetch *todo[PROBE_CERTS_MAX];
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < pr->nfetch && pr->ncerts < PROBE_CERTS_MAX;
	    i++) {
		const struct probe_fetch *pf = &pr->fetch[i];
		struct probe_cert *pc;
		bool seen = false;

		if (!pf->https || pf->no_address || pf->f.connect_to[0] == '\0')
			continue;
		for (size_t k = 0; k < pr->ncerts; k++)
			seen |= pr->certs[k].port == pf->port &&
			    ascii_strcasecmp(pr->certs[k].host, pf->host) == 0;
		if (seen)
			continue;
		pc = &pr->certs[pr->ncerts++];
		snprintf(pc->host, sizeof(pc->host), "%s", pf->host);
		pc->port = pf->port;
		snprintf(f[n].url, sizeof(f[n].url), "https://%s:%ld/",
		    pf->host, pf->port);
		snprintf(f[n].connect_to, sizeof(f[n].connect_to), "%s",
		    pf->f.connect_to);
		f[n].certs_only = true;
		todo[n] = &f[n];
		n++;
	}
	rc = fetch_all(todo, n, &r->fo);
	for (size_t i = 0; i < n; i++) {
		struct probe_cert *pc = &pr->certs[i];

		if (f[i].curl_code == 0 && f[i].ncerts > 0) {
			pc->reached = true;
			certcheck_run(cc, f[i].certs, f[i].ncerts, pc->host,
			    pr->now, &pc->r);
		} else
			snprintf(pc->error, sizeof(pc->error), "%s",
			    f[i].curl_code == 0 ? "no certificate came" :
			    f[i].error);
		fetch_free(&f[i]);
	}
	free(f);
	return rc;
}

/* ---- the verb -------------------------------------------------------- */

static struct conf *
load_conf(const char *path, bool explicit, int *trouble)
{
	struct diag d = { 0 };
	struct conf *c;

	*trouble = 0;
	/* Without a config here, the probe still runs: it compares
	 * nothing. */
	if (!explicit && access(path, F_OK) != 0)
		return NULL;
	c = conf_load(path, &d);
	if (d.errors.len > 0)
		fputs(d.errors.data, stderr);
	diag_free(&d);
	if (c == NULL)
		*trouble = 1;
	return c;
}

static int
run_probe(struct run *r, const char *ca)
{
	struct probe *pr = r->pr;
	struct certcheck *cc;
	const char *why;

	if ((cc = certcheck_new(ca, &why)) == NULL) {
		fprintf(stderr, "autoconfd: probe: %s: %s\n", ca != NULL ? ca :
		    "trust store", why);
		return -1;
	}
	ask_domain(r);
	dns_routes(pr);
	probe_pox_request(&pr->em, &r->pox_request);
	plan_fetches(r);
	if (perform(r, 0) < 0 || follow(r) < 0 || certificates(r, cc) < 0) {
		fprintf(stderr, "autoconfd: probe: libcurl cannot start\n");
		certcheck_free(cc);
		return -1;
	}
	certcheck_free(cc);
	probe_judge(pr);
	return 0;
}

int
probe_main(int argc, char **argv, const char *conf_path)
{
	static const struct option longopts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "ca", required_argument, NULL, 'A' },
		{ "connect-to", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run r = { 0 };
	struct probe *pr;
	struct conf *c = NULL;
	struct buf out = { 0 };
	const char *address = NULL, *resolver = NULL, *ca = NULL, *why;
	bool json = false, explicit = false;
	int ch, rc = EXIT_TROUBLE, trouble;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			address = optarg;
			break;
		case 'r':
			resolver = optarg;
			break;
		case 'A':
			ca = optarg;
			break;
		case 'T':
			if (r.nrules == CONNECT_TO_MAX ||
			    parse_connect_to(optarg, &r.rules[r.nrules]) < 0) {
				fprintf(stderr, "autoconfd: probe: --connect-to "
				    "%s: HOST:PORT:ADDR:PORT, at most %d\n",
				    optarg, CONNECT_TO_MAX);
				return EXIT_TROUBLE;
			}
			r.nrules++;
			break;
		case 'j':
			json = true;
			break;
		case 'c':
			conf_path = optarg;
			explicit = true;
			break;
		case 'h':
			fputs(PROBE_USAGE, stdout);
			return 0;
		default:
			fputs(PROBE_USAGE, stderr);
			return EXIT_TROUBLE;
		}
	}
	if (argc - optind != 1) {
		fputs(PROBE_USAGE, stderr);
		return EXIT_TROUBLE;
	}
	pr = xcalloc(1, sizeof(*pr));
	r.pr = pr;
	if (domain_normalize(argv[optind], strlen(argv[optind]), pr->domain,
	    sizeof(pr->domain), &why) < 0) {
		fprintf(stderr, "autoconfd: probe: \"%s\": %s\n", argv[optind],
		    why);
		goto done;
	}
	{
		char deflt[DOMAIN_MAX + 16];
		const char *a = address;

		if (a == NULL) {
			snprintf(deflt, sizeof(deflt), "postmaster@%s",
			    pr->domain);
			a = deflt;
		}
		if (email_parse(a, strlen(a), &pr->em, &why) < 0 ||
		    strcmp(pr->em.domain, pr->domain) != 0) {
			fprintf(stderr, "autoconfd: probe: --address %s: %s\n",
			    a, why != NULL && strcmp(pr->em.domain,
			    pr->domain) == 0 ? why : "not an address at the "
			    "domain");
			goto done;
		}
	}
	c = load_conf(conf_path, explicit, &trouble);
	if (trouble)
		goto done;
	pr->conf = c;
	pr->p = c != NULL ? conf_lookup(c, pr->domain) : NULL;
	pr->now = time(NULL);
	if ((r.q = dnsq_new(resolver, &why)) == NULL) {
		fprintf(stderr, "autoconfd: probe: --resolver %s: %s\n",
		    resolver != NULL ? resolver : "(system)", why);
		goto done;
	}
	r.fo.ca_file = ca;
	r.fo.timeout_ms = TIMEOUT_MS;
	r.fo.user_agent = "autoconfd-probe/" PACKAGE_VERSION;
	xmlInitParser();
	if (run_probe(&r, ca) == 0) {
		struct report rep = {
			.address = pr->em.addr,
			.provider = pr->p != NULL ? pr->p->id : NULL,
			.views = pr->views + FAMILY_FIRST,
			.nviews = FAMILY_END - FAMILY_FIRST, .probe = true,
			.checks = pr->checks, .nchecks = pr->nchecks,
		};

		if (json)
			report_json(&rep, &out);
		else
			report_text(&rep, &out);
		fwrite(out.data, 1, out.len, stdout);
		rc = fflush(stdout) != 0 ? EXIT_TROUBLE :
		    probe_all_work(pr) ? 0 : 1;
	}
	xmlCleanupParser();
done:
	for (size_t i = 0; i < pr->nfetch; i++)
		fetch_free(&pr->fetch[i].f);
	buf_free(&out);
	buf_free(&r.pox_request);
	dnsq_free(r.q);
	conf_free(c);
	free(pr);
	return rc;
}

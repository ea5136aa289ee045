/* autoconfd: command line, start-up, signals, reload and shutdown. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "accesslog.h"
#include "conf.h"
#include "email.h"
#include "log.h"
#include "render.h"
#include "metrics.h"
#include "notify.h"
#include "site.h"
#include "tls.h"
#include "verbs.h"
#include "view.h"
#include "worker.h"

#ifndef AUTOCONFD_CONF
#define AUTOCONFD_CONF "/etc/autoconfd/autoconfd.json"
#endif

#define LISTEN_ARGS_MAX 16
/* Requests in progress get this long at a stop; then every connection is
 * closed. A request needs milliseconds: only a client that does not read
 * its answer waits so long. */
#define DRAIN_MS 3000
/* The main thread's tick: access log buffers written out, workers
 * checked. */
#define TICK_NS (250 * 1000 * 1000)

/* Whether the sockets are the config's "listen" (not -l, not passed by the
 * service manager): only then is a change of it worth a warning. */
static bool listen_from_conf;

static void
usage(FILE *f)
{
	fprintf(f,
"usage: autoconfd [-tv] [-c FILE] [-l ADDR:PORT]...\n"
"       autoconfd dns DOMAIN [-c FILE]\n"
"       autoconfd show ADDRESS [--client NAME] [--json] [-c FILE]\n"
"       autoconfd probe DOMAIN [--address ADDR] [--resolver IP[:PORT]]\n"
"                       [--ca FILE] [--connect-to HOST:PORT:ADDR:PORT]\n"
"                       [--json] [-c FILE]\n"
"\n"
"Serves mail client autoconfiguration (Thunderbird autoconfig, Outlook and\n"
"ActiveSync Autodiscover, and more) from one provider config file.\n"
"\n"
"  -c, --config FILE    provider config (default " AUTOCONFD_CONF ")\n"
"  -l, --listen ADDR:PORT\n"
"                       listen here instead of the config's \"listen\";\n"
"                       repeatable: 127.0.0.1:8080, [::1]:8080, *:80;\n"
"                       port 0: one the kernel picks (logged)\n"
"  -t, --check          check the config, print what is wrong, exit 0 or 1;\n"
"                       a warning ends with its [name], which a provider's\n"
"                       \"accept_warnings\" silences\n"
"  -v, --verbose        log more (debug messages)\n"
"  -q, --quiet          log warnings and errors only\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"Verbs:\n"
"  dns DOMAIN           print the DNS records to publish for DOMAIN (zone\n"
"                       file lines: autoconfig/autodiscover names, RFC 6186\n"
"                       SRV, _autodiscover._tcp, the PACC TXT digest, the\n"
"                       MTA-STS and TLS-RPT records)\n"
"  show ADDRESS         what each client family configures for ADDRESS,\n"
"                       from the config: incoming and outgoing server,\n"
"                       the URL it fetches first, works, fallback or fails\n"
"                       and why. Clients: thunderbird, thunderbird-android,\n"
"                       outlook, apple, evolution, pacc.\n"
"                       --client NAME  only that client\n"
"                       --json         one JSON object, for scripts\n"
"  probe DOMAIN         the same, live: looks up MX, SRV, the autoconfig.,\n"
"                       autodiscover., mta-sts. and ua-auto-config. names\n"
"                       and the PACC digest, fetches every URL the clients\n"
"                       try, checks the certificates, compares the answers\n"
"                       with the config's; exit 0 only when every client\n"
"                       works.\n"
"                       --address ADDR  the address asked for (default\n"
"                                      postmaster@DOMAIN)\n"
"                       --resolver IP[:PORT]  the DNS server to ask\n"
"                       --ca FILE      trust these CAs, not the system's\n"
"                       --connect-to HOST:PORT:ADDR:PORT  connect there\n"
"                                      instead (tests, unusual set-ups;\n"
"                                      an empty part matches any or keeps)\n"
"                       --json         the show JSON plus \"checks\"\n"
"\n"
"Signals: SIGHUP reloads the config (a broken one is reported and the old\n"
"one keeps serving) and reopens the access log; SIGUSR1 only reopens the\n"
"access log (for logrotate); SIGTERM and SIGINT finish requests and exit.\n"
"Under systemd it reports its state on $NOTIFY_SOCKET\n"
"and serves the sockets of autoconfd.socket ($LISTEN_FDS) if given.\n"
"See autoconfd(8) and autoconfd.json(5).\n");
}

/* Errors first: they are what stops the config. */
static void
print_diag(const struct diag *d)
{
	if (d->errors.len > 0)
		fputs(d->errors.data, stderr);
	if (d->warnings.len > 0)
		fputs(d->warnings.data, stderr);
}

static const char *
plural(size_t n, const char *one, const char *more)
{
	return n == 1 ? one : more;
}

static size_t
count_domains(const struct conf *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nproviders; i++)
		n += c->providers[i].ndomains;
	return n;
}

/* The certificate and key of s, if it has "tls"; the site is freed and
 * NULL returned if they cannot be loaded. */
static struct site *
with_tls(struct site *s, const char *path, struct tls_creds **creds,
    struct diag *d)
{
	*creds = NULL;
	if (s == NULL || s->conf->tls == NULL)
		return s;
	*creds = tls_load(path, s->conf->tls, d);
	if (*creds != NULL)
		return s;
	site_free(s);
	return NULL;
}

static struct site *
load_site(const char *path, struct tls_creds **creds)
{
	struct diag d = { 0 };
	struct conf *c;
	struct site *s = NULL;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	c = conf_load(path, &d);
	if (c != NULL)
		s = site_new(c, &d);
	s = with_tls(s, path, creds, &d);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	metrics_config_load_time((double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	print_diag(&d);
	diag_free(&d);
	return s;
}

/* The access log of the config serving now, opened anew: after logrotate
 * renamed it, and after a reload that failed (the rename that came with
 * it must not leave the log in the rotated file). */
static void
reopen_log(void)
{
	struct site *s = site_acquire();

	if (s != NULL && alog_open(s->conf->access_log) == 0 &&
	    s->conf->access_log != NULL)
		log_info("reopened the access log %s", s->conf->access_log);
	site_release(s);
}

static void
edge_opts_from(struct edge_opts *ho, const struct limits *lim)
{
	edge_default_opts(ho);
	if (lim->threads > 0)
		ho->threads = lim->threads;
	ho->conn_limit = lim->connections;
	ho->per_ip_limit = lim->per_ip;
	ho->timeout = lim->timeout;
	ho->request_timeout = lim->request_timeout;
	ho->header_max = lim->header_max;
	ho->body_max = lim->body_max;
}

static bool
same_listen(const struct conf *a, const struct conf *b)
{
	if (a->nlisten != b->nlisten)
		return false;
	for (size_t i = 0; i < a->nlisten; i++)
		if (a->listen[i].sslen != b->listen[i].sslen ||
		    memcmp(&a->listen[i].ss, &b->listen[i].ss,
		    a->listen[i].sslen) != 0)
			return false;
	return true;
}

static void
reload(const char *path)
{
	struct site *s, *old;
	struct tls_creds *creds;
	struct timespec t0, t1;
	uint64_t gen;

	log_info("reloading %s", path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = load_site(path, &creds);
	if (s == NULL) {
		old = site_acquire();
		gen = old != NULL ? old->generation : 0;
		site_release(old);
		metrics_reload(false, gen);
		log_warnx("reload of %s failed; the previous config keeps "
		    "serving", path);
		reopen_log();
		notify("READY=1\nSTATUS=reload failed; serving config "
		    "generation %llu", (unsigned long long)gen);
		return;
	}
	old = site_acquire();
	if (old != NULL && memcmp(&old->conf->limits, &s->conf->limits,
	    sizeof(struct limits)) != 0)
		log_warnx("changed \"limits\" take effect at the next "
		    "restart");
	if (old != NULL && listen_from_conf && !same_listen(old->conf, s->conf))
		log_warnx("changed \"listen\" takes effect at the next "
		    "restart");
	if (old != NULL && (old->conf->tls == NULL) != (s->conf->tls == NULL))
		log_warnx("\"tls\" %s: takes effect at the next restart",
		    s->conf->tls != NULL ? "added" : "removed");
	site_release(old);
	/* New handshakes get the new certificate; connections open keep
	 * theirs. */
	if (creds != NULL)
		tls_publish(creds);
	/* A log that cannot be opened keeps the previous one. */
	alog_open(s->conf->access_log);
	site_publish(s);
	metrics_reload(true, s->generation);
	notify("READY=1\nSTATUS=serving %zu providers, config generation "
	    "%llu", s->conf->nproviders, (unsigned long long)s->generation);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("loaded %s in %.3f s: generation %llu, %zu providers, %zu "
	    "domains", path, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    (unsigned long long)s->generation, s->conf->nproviders,
	    count_domains(s->conf));
}

/* "autoconfd dns DOMAIN": the records for the zone of DOMAIN. */
static int
dns_verb(const char *path, const char *arg)
{
	char dom[DOMAIN_MAX + 1];
	struct diag d = { 0 };
	struct buf out = { 0 };
	const struct provider *p;
	const char *why;
	struct conf *c;
	int rc = 1;

	if (domain_normalize(arg, strlen(arg), dom, sizeof(dom), &why) < 0) {
		fprintf(stderr, "autoconfd: dns: \"%s\": %s\n", arg, why);
		return 1;
	}
	c = conf_load(path, &d);
	if (d.errors.len > 0)
		fputs(d.errors.data, stderr);
	diag_free(&d);
	if (c == NULL)
		return 1;
	p = conf_lookup(c, dom);
	if (p == NULL)
		fprintf(stderr, "autoconfd: dns: no provider in %s serves %s\n",
		    path, dom);
	else {
		/* As the domain's answers see the provider: the PACC and
		 * MTA-STS digests are of what is served for it. */
		struct provider_view v;

		provider_view(p, dom, &v);
		if (render_dns(c, &v.p, dom, &out) < 0)
			fprintf(stderr, "autoconfd: dns: cannot render the "
			    "records\n");
		else {
			fwrite(out.data, 1, out.len, stdout);
			rc = fflush(stdout) == 0 ? 0 : 1;
		}
		provider_view_free(&v);
	}
	buf_free(&out);
	conf_free(c);
	return rc;
}

/* "autoconfd probe ...": runs autoconfd-probe, beside this program (a
 * build tree) or where it was installed, with the verb's command line. */
static int
probe_exec(char **argv)
{
	static const char name[] = "autoconfd-probe";
	char self[4096], path[4096 + sizeof(name)];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/%s", self, name);
			if (access(path, X_OK) == 0)
				execv(path, argv);
		}
	}
	execv(AUTOCONFD_PROBE, argv);
	fprintf(stderr, "autoconfd: probe: cannot run %s: %s (built without "
	    "--enable-probe?)\n", AUTOCONFD_PROBE, strerror(errno));
	return 2;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "check", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct listen_addr largs[LISTEN_ARGS_MAX];
	size_t nlargs = 0;
	const char *path = AUTOCONFD_CONF;
	enum log_level level = LOG_LEVEL_INFO;
	bool check = false, listen_args;
	struct edge_opts ho;
	int nfds;
	sigset_t set;
	int ch;

	/* The verbs with options of their own parse their command line. */
	if (argc > 1 && strcmp(argv[1], "show") == 0)
		return show_main(argc - 1, argv + 1, path);
	if (argc > 1 && strcmp(argv[1], "probe") == 0)
		return probe_exec(argv + 1);
	while ((ch = getopt_long(argc, argv, "c:l:tvqhV", longopts, NULL)) !=
	    -1) {
		const char *why;

		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'l':
			if (nlargs == LISTEN_ARGS_MAX) {
				fprintf(stderr, "autoconfd: at most %d -l\n",
				    LISTEN_ARGS_MAX);
				return 1;
			}
			if (parse_listen(optarg, true, &largs[nlargs].ss,
			    &largs[nlargs].sslen, &why) < 0) {
				fprintf(stderr, "autoconfd: -l %s: %s\n",
				    optarg, why);
				return 1;
			}
			largs[nlargs++].text = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'v':
			level = LOG_LEVEL_DEBUG;
			break;
		case 'q':
			level = LOG_LEVEL_WARN;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("autoconfd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc && strcmp(argv[optind], "dns") == 0) {
		if (argc - optind != 2) {
			fprintf(stderr, "autoconfd: usage: autoconfd dns DOMAIN "
			    "[-c FILE]\n");
			return 1;
		}
		return dns_verb(path, argv[optind + 1]);
	}
	if (optind != argc) {
		fprintf(stderr, "autoconfd: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return 1;
	}
	log_init(level, STDERR_FILENO);
	xmlInitParser();

	if (check) {
		struct diag d = { 0 };
		struct conf *c = conf_load(path, &d);
		struct site *s = c != NULL ? site_new(c, &d) : NULL;

		/* A server renders documents when first asked; a check
		 * renders them all. */
		if (s != NULL && site_render_all(s, &d) < 0) {
			site_free(s);
			s = NULL;
		}
		struct tls_creds *creds;
		s = with_tls(s, path, &creds, &d);
		tls_free(creds);
		print_diag(&d);
		if (s != NULL) {
			size_t np = s->conf->nproviders;
			size_t nd = count_domains(s->conf);
			size_t nw = (size_t)d.nwarnings;

			printf("%s: OK: %zu %s, %zu %s, %zu %s\n", path, np,
			    plural(np, "provider", "providers"), nd,
			    plural(nd, "domain", "domains"), nw,
			    plural(nw, "warning", "warnings"));
		}
		diag_free(&d);
		site_free(s);
		xmlCleanupParser();
		return s != NULL ? 0 : 1;
	}

	struct tls_creds *creds;
	struct site *s = load_site(path, &creds);
	if (s == NULL)
		fatalx("%s: config not loaded", path);
	listen_args = nlargs > 0;
	if (nlargs == 0 && s->conf->nlisten == 0) {
		parse_listen("127.0.0.1:8080", false, &largs[0].ss,
		    &largs[0].sslen, &(const char *){ NULL });
		largs[nlargs++].text = "127.0.0.1:8080";
	}
	/* Block the signals before any thread starts: the workers inherit
	 * the mask and only this thread takes them, in sigtimedwait(). */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (s->conf->tls != NULL && !tls_supported())
		fatalx("this libmicrohttpd cannot serve TLS (\"tls\" in %s)",
		    path);
	tls_publish(creds);
	if (alog_open(s->conf->access_log) < 0)
		fatalx("cannot open the access log");
	site_publish(s);
	metrics_reload(true, s->generation);
	log_info("loaded %s: generation %llu, %zu providers, %zu domains",
	    path, (unsigned long long)s->generation, s->conf->nproviders,
	    count_domains(s->conf));
	if ((nfds = notify_listen_fds()) > 0) {
		/* Socket activation: the .socket unit decides where. */
		if (nlargs > 0 || s->conf->nlisten > 0)
			log_info("serving the %d sockets passed by the service "
			    "manager; \"listen\" and -l are not used", nfds);
		for (int i = 0; i < nfds; i++)
			if (edge_adopt(NOTIFY_FD_START + i) < 0)
				fatalx("cannot serve the passed sockets");
	} else if (nlargs > 0 ? edge_listen(largs, nlargs) < 0 :
	    edge_listen(s->conf->listen, s->conf->nlisten) < 0)
		fatalx("cannot listen");
	else
		listen_from_conf = !listen_args;
	edge_opts_from(&ho, &s->conf->limits);
	if (s->conf->tls != NULL) {
		ho.tls_ports = s->conf->tls->ports;
		ho.ntls_ports = s->conf->tls->nports;
	}
	if (edge_start(&ho) < 0)
		fatalx("cannot start the HTTP server");
	log_info("autoconfd %s ready", PACKAGE_VERSION);
	notify("READY=1\nSTATUS=serving %zu providers, config generation "
	    "%llu", s->conf->nproviders, (unsigned long long)s->generation);

	for (;;) {
		struct timespec tick = { 0, TICK_NS };
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig < 0) {
			alog_flush();
			edge_check_workers();
			continue;
		}
		if (sig == SIGHUP) {
			notify_reloading();
			reload(path);
			continue;
		}
		if (sig == SIGUSR1) {
			reopen_log();
			continue;
		}
		log_info("signal %d: finishing requests and exiting", sig);
		notify("STOPPING=1\nSTATUS=finishing requests");
		break;
	}
	if (!edge_stop(DRAIN_MS)) {
		/* A stuck worker may hold anything: leave without freeing. */
		alog_flush();
		log_warnx("stopped with a worker stuck");
		_exit(1);
	}
	alog_flush();
	site_publish(NULL);
	xmlCleanupParser();
	log_info("stopped");
	return 0;
}

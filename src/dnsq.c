#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include <ares.h>

#include "dnsq.h"
#include "util.h"

struct dnsq {
	ares_channel ch;
};

static const char *const type_names[] = {
	[DNS_A] = "A", [DNS_AAAA] = "AAAA", [DNS_MX] = "MX",
	[DNS_SRV] = "SRV", [DNS_TXT] = "TXT",
};

static const int type_codes[] = {
	[DNS_A] = ns_t_a, [DNS_AAAA] = ns_t_aaaa, [DNS_MX] = ns_t_mx,
	[DNS_SRV] = ns_t_srv, [DNS_TXT] = ns_t_txt,
};

const char *
dns_type_name(enum dns_type t)
{
	return type_names[t];
}

const char *
dns_status_text(const struct dns_answer *a, char *buf, size_t bufsz)
{
	switch (a->status) {
	case DNS_OK:
		snprintf(buf, bufsz, "%zu %s record%s", a->n,
		    type_names[a->type], a->n == 1 ? "" : "s");
		break;
	case DNS_NXDOMAIN:
		snprintf(buf, bufsz, "no such name (NXDOMAIN)");
		break;
	case DNS_NODATA:
		snprintf(buf, bufsz, "no %s record", type_names[a->type]);
		break;
	default:
		snprintf(buf, bufsz, "DNS error: %s", a->error);
		break;
	}
	return buf;
}

struct dnsq *
dnsq_new(const char *server, const char **why)
{
	static bool initialised;
	struct ares_options o;
	struct dnsq *q;
	int e;

	if (!initialised) {
		if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
			*why = "c-ares cannot start";
			return NULL;
		}
		initialised = true;
	}
	q = xcalloc(1, sizeof(*q));
	memset(&o, 0, sizeof(o));
	/* Clients give up on a lookup after a few seconds: so does this. */
	o.timeout = 3000;
	o.tries = 2;
	o.flags = ARES_FLAG_NOSEARCH;
	if (ares_init_options(&q->ch, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_FLAGS) != ARES_SUCCESS) {
		free(q);
		*why = "c-ares cannot read the resolver configuration";
		return NULL;
	}
	if (server != NULL &&
	    (e = ares_set_servers_ports_csv(q->ch, server)) != ARES_SUCCESS) {
		ares_destroy(q->ch);
		free(q);
		*why = e == ARES_EBADSTR ? "not IP, IP:PORT or [IPv6]:PORT" :
		    ares_strerror(e);
		return NULL;
	}
	return q;
}

void
dnsq_free(struct dnsq *q)
{
	if (q == NULL)
		return;
	ares_destroy(q->ch);
	free(q);
}

static void
add_rr(struct dns_answer *a, unsigned int x, unsigned int y, unsigned int z,
    const char *text)
{
	struct dns_rr *r;

	if (a->n == DNS_RR_MAX)
		return;
	r = &a->rr[a->n++];
	r->a = x;
	r->b = y;
	r->c = z;
	snprintf(r->text, sizeof(r->text), "%s", text);
}

static int
parse_addrs(struct dns_answer *a, const unsigned char *buf, int len)
{
	char text[INET6_ADDRSTRLEN];
	int n = DNS_RR_MAX, e;

	if (a->type == DNS_A) {
		struct ares_addrttl ttl[DNS_RR_MAX];

		if ((e = ares_parse_a_reply(buf, len, NULL, ttl, &n)) !=
		    ARES_SUCCESS)
			return e;
		for (int i = 0; i < n; i++)
			add_rr(a, 0, 0, 0, inet_ntop(AF_INET, &ttl[i].ipaddr,
			    text, sizeof(text)));
	} else {
		struct ares_addr6ttl ttl[DNS_RR_MAX];

		if ((e = ares_parse_aaaa_reply(buf, len, NULL, ttl, &n)) !=
		    ARES_SUCCESS)
			return e;
		for (int i = 0; i < n; i++)
			add_rr(a, 0, 0, 0, inet_ntop(AF_INET6, &ttl[i].ip6addr,
			    text, sizeof(text)));
	}
	return n > 0 ? ARES_SUCCESS : ARES_ENODATA;
}

/* The strings of each TXT record joined, as RFC 7208-style readers and
 * PACC's digest check take them. */
static int
parse_txt(struct dns_answer *a, const unsigned char *buf, int len)
{
	struct ares_txt_ext *txt, *t;
	struct buf rec = { 0 };
	int e;

	if ((e = ares_parse_txt_reply_ext(buf, len, &txt)) != ARES_SUCCESS)
		return e;
	for (t = txt; t != NULL; t = t->next) {
		if (t->record_start && rec.len > 0) {
			add_rr(a, 0, 0, 0, rec.data);
			rec.len = 0;
		}
		buf_add(&rec, t->txt, t->length);
		buf_putc(&rec, '\0');
		rec.len--;
	}
	if (rec.data != NULL)
		add_rr(a, 0, 0, 0, rec.data);
	buf_free(&rec);
	ares_free_data(txt);
	return ARES_SUCCESS;
}

static int
parse(struct dns_answer *a, const unsigned char *buf, int len)
{
	int e;

	switch (a->type) {
	case DNS_A:
	case DNS_AAAA:
		return parse_addrs(a, buf, len);
	case DNS_MX: {
		struct ares_mx_reply *mx;

		if ((e = ares_parse_mx_reply(buf, len, &mx)) != ARES_SUCCESS)
			return e;
		for (struct ares_mx_reply *m = mx; m != NULL; m = m->next)
			add_rr(a, m->priority, 0, 0, m->host);
		ares_free_data(mx);
		return ARES_SUCCESS;
	}
	case DNS_SRV: {
		struct ares_srv_reply *srv;

		if ((e = ares_parse_srv_reply(buf, len, &srv)) != ARES_SUCCESS)
			return e;
		for (struct ares_srv_reply *s = srv; s != NULL; s = s->next)
			add_rr(a, s->priority, s->weight, s->port,
			    s->host[0] != '\0' ? s->host : ".");
		ares_free_data(srv);
		return ARES_SUCCESS;
	}
	default:
		return parse_txt(a, buf, len);
	}
}

static void
answered(void *arg, int status, int timeouts, unsigned char *buf, int len)
{
	struct dns_answer *a = arg;

	(void)timeouts;
	if (status == ARES_SUCCESS)
		status = parse(a, buf, len);
	switch (status) {
	case ARES_SUCCESS:
		a->status = a->n > 0 ? DNS_OK : DNS_NODATA;
		break;
	case ARES_ENOTFOUND:
		a->status = DNS_NXDOMAIN;
		break;
	case ARES_ENODATA:
		a->status = DNS_NODATA;
		break;
	default:
		a->status = DNS_FAIL;
		snprintf(a->error, sizeof(a->error), "%s",
		    ares_strerror(status));
		break;
	}
}

void
dnsq_ask(struct dnsq *q, struct dns_answer *a, const char *name,
    enum dns_type type)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->type = type;
	a->status = DNS_PENDING;
	ares_query(q->ch, a->name, ns_c_in, type_codes[type], answered, a);
}

void
dnsq_run(struct dnsq *q)
{
	for (;;) {
		struct timeval tv, *tvp;
		fd_set r, w;
		int nfds;

		FD_ZERO(&r);
		FD_ZERO(&w);
		if ((nfds = ares_fds(q->ch, &r, &w)) == 0)
			break;
		tvp = ares_timeout(q->ch, NULL, &tv);
		select(nfds, &r, &w, NULL, tvp);
		ares_process(q->ch, &r, &w);
	}
}

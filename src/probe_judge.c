/* "autoconfd probe", the pure half: what each client makes of the DNS
 * answers and HTTP answers probe.c gathered, and the checks of the
 * records, certificates and answers against the config. No I/O. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answers.h"
#include "digest.h"
#include "probe.h"
#include "render.h"
#include "splice.h"
#include "xmlreq.h"

static const char *const name_labels[PN_COUNT] = {
	[PN_DOMAIN] = "", [PN_AUTOCONFIG] = "autoconfig.",
	[PN_AUTODISCOVER] = "autodiscover.", [PN_PACC] = "ua-auto-config.",
	[PN_MTA_STS] = "mta-sts.",
};

void
probe_name(const struct probe *pr, enum probe_name pn, char *out,
    size_t outsz)
{
	snprintf(out, outsz, "%s%s", name_labels[pn], pr->domain);
}

const struct dns_answer *
probe_dns(const struct probe *pr, const char *name, enum dns_type type)
{
	for (size_t i = 0; i < pr->ndns; i++)
		if (pr->dns[i].type == type &&
		    ascii_strcasecmp(pr->dns[i].name, name) == 0)
			return &pr->dns[i];
	return NULL;
}

void
probe_pox_request(const struct email *em, struct buf *out)
{
	buf_puts(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	    "<Autodiscover xmlns=\"" AD_NS_OUTLOOK_REQUEST "\"><Request>"
	    "<EMailAddress>");
	buf_xml_escape(out, em->addr, strlen(em->addr));
	buf_puts(out, "</EMailAddress><AcceptableResponseSchema>"
	    AD_NS_OUTLOOK_RESPONSE "</AcceptableResponseSchema></Request>"
	    "</Autodiscover>\n");
}

int
pacc_txt_digest(const char *txt, char *d, size_t dsz)
{
	bool v = false, a = false;
	const char *p = txt;

	d[0] = '\0';
	while (*p != '\0') {
		const char *end = p + strcspn(p, ";");
		size_t n;

		while (p < end && *p == ' ')
			p++;
		n = (size_t)(end - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 7 && strncmp(p, "v=UAAC1", 7) == 0)
			v = true;
		else if (n == 8 && strncmp(p, "a=sha256", 8) == 0)
			a = true;
		else if (n > 2 && strncmp(p, "d=", 2) == 0 && n - 2 < dsz) {
			memcpy(d, p + 2, n - 2);
			d[n - 2] = '\0';
		}
		p = *end == ';' ? end + 1 : end;
	}
	return v && a && d[0] != '\0' ? 0 : -1;
}

__attribute__((format(printf, 4, 5)))
static void
check(struct probe *pr, bool ok, const char *name, const char *fmt, ...)
{
	struct check *c;
	va_list ap;

	if (pr->nchecks == PROBE_CHECKS_MAX)
		return;
	c = &pr->checks[pr->nchecks++];
	c->ok = ok;
	snprintf(c->name, sizeof(c->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static void
dns_text(const struct dns_answer *a, char *out, size_t outsz)
{
	if (a == NULL)
		snprintf(out, outsz, "not asked");
	else
		dns_status_text(a, out, outsz);
}

/* ---- fetches --------------------------------------------------------- */

static const struct probe_cert *
cert_of(const struct probe *pr, const struct probe_fetch *pf)
{
	for (size_t i = 0; i < pr->ncerts; i++)
		if (pr->certs[i].port == pf->port &&
		    ascii_strcasecmp(pr->certs[i].host, pf->host) == 0)
			return &pr->certs[i];
	return NULL;
}

static bool
ok_status(const struct probe_fetch *pf)
{
	return pf->f.done && pf->f.curl_code == 0 && pf->f.status >= 200 &&
	    pf->f.status < 300;
}

/* Why a fetch gave no answer a client takes. */
static void
fetch_why(const struct probe *pr, const struct probe_fetch *pf, char *out,
    size_t outsz)
{
	const struct probe_cert *pc;
	char dt[160];

	if (pf->no_address) {
		const struct dns_answer *a = probe_dns(pr, pf->host, DNS_A);

		dns_text(a, dt, sizeof(dt));
		snprintf(out, outsz, "no address for %s (%s)", pf->host, dt);
	} else if (pf->f.cert_failed && (pc = cert_of(pr, pf)) != NULL &&
	    pc->reached)
		snprintf(out, outsz, "certificate refused: %s", pc->r.detail);
	else if (pf->f.curl_code != 0)
		snprintf(out, outsz, "%s", pf->f.error);
	else if (pf->f.status >= 300 && pf->f.status < 400)
		snprintf(out, outsz, "HTTP %ld to %s", pf->f.status,
		    pf->f.location[0] ? pf->f.location : "nowhere");
	else
		snprintf(out, outsz, "HTTP %ld", pf->f.status);
}

/* The fetch whose answer a client takes: the end of the redirects it
 * follows. */
static const struct probe_fetch *
final_fetch(const struct probe *pr, int i)
{
	for (int hops = 0; hops <= PROBE_HOPS && pr->fetch[i].follow &&
	    pr->fetch[i].hop >= 0; hops++)
		i = pr->fetch[i].hop;
	return &pr->fetch[i];
}

static bool
xml_ctype(const char *ct)
{
	return strncmp(ct, "text/xml", 8) == 0 ||
	    strncmp(ct, "application/xml", 15) == 0;
}

/* ---- each client ----------------------------------------------------- */

/* Reads the answer of pf as client c; false if it is no such answer
 * (v then says so). */
static void
read_answer(struct probe *pr, enum client c, const struct attempt *a,
    const struct probe_fetch *pf, struct client_view *v)
{
	const char *body = pf->f.body_out.data != NULL ?
	    pf->f.body_out.data : "";
	size_t len = pf->f.body_out.len;
	const char *why = NULL;

	switch (a->kind) {
	case FK_AUTOCONFIG: {
		struct ans_autoconfig *ac = xcalloc(1, sizeof(*ac));

		if (c == CLIENT_THUNDERBIRD && !xml_ctype(pf->f.ctype))
			view_set(v, VERDICT_FAILS, "answered with Content-Type "
			    "\"%s\": Thunderbird takes the answer and cannot "
			    "read it", pf->f.ctype);
		else if (answer_autoconfig(body, len, ac, &why) < 0)
			view_set(v, VERDICT_FAILS, "the answer is no autoconfig "
			    "file: %s", why);
		else
			client_autoconfig(c, ac, &pr->em, v);
		free(ac);
		break;
	}
	case FK_POX:
	case FK_POX_REDIRECT: {
		struct ans_pox *px = xcalloc(1, sizeof(*px));

		if (answer_pox(body, len, px, &why) < 0)
			view_set(v, VERDICT_FAILS, "the answer is no Outlook "
			    "Autodiscover answer: %s", why);
		else
			client_pox(c == CLIENT_OUTLOOK ? CLIENT_OUTLOOK :
			    CLIENT_THUNDERBIRD, px, v);
		free(px);
		break;
	}
	case FK_PROFILE: {
		struct ans_profile pf_ans;

		if (strncmp(pf->f.ctype, "application/x-apple-aspen-config",
		    32) != 0)
			view_set(v, VERDICT_FAILS, "answered with Content-Type "
			    "\"%s\": the device shows it instead of installing "
			    "it", pf->f.ctype);
		else if (answer_profile(body, len, &pf_ans, &why) < 0)
			view_set(v, VERDICT_FAILS, "the answer is no profile: "
			    "%s", why);
		else
			client_profile(&pf_ans, v);
		break;
	}
	case FK_PACC: {
		char name[DOMAIN_MAX + 32], want[DIGEST_B64_LEN + 1], d[64];
		const struct dns_answer *txt;
		struct ans_pacc pc;
		bool found = false, match = false;

		if (answer_pacc(body, len, &pc, &why) < 0) {
			view_set(v, VERDICT_FAILS, "the answer is no PACC "
			    "document: %s", why);
			break;
		}
		client_pacc(&pc, &pr->em, v);
		/* The client takes the document only if the digest in DNS
		 * is that of these very bytes. */
		digest_sha256_b64(body, len, want);
		snprintf(name, sizeof(name), "_ua-auto-config.%s",
		    pr->domain);
		txt = probe_dns(pr, name, DNS_TXT);
		for (size_t i = 0; txt != NULL && i < txt->n && !match; i++)
			if (pacc_txt_digest(txt->rr[i].text, d,
			    sizeof(d)) == 0) {
				found = true;
				match = strcmp(d, want) == 0;
			}
		if (!found)
			view_set(v, VERDICT_FAILS, "no \"v=UAAC1; a=sha256; "
			    "d=...\" TXT record at %s: PACC clients refuse "
			    "the document", name);
		else if (!match)
			view_set(v, VERDICT_FAILS, "stale digest: the TXT "
			    "record at %s says d=%s, the document served "
			    "hashes to %s (publish \"autoconfd dns %s\" "
			    "again)", name, d, want, pr->domain);
		break;
	}
	}
}

static enum fetch_kind
primary_kind(enum client c)
{
	switch (c) {
	case CLIENT_OUTLOOK: return FK_POX;
	case CLIENT_APPLE: return FK_PROFILE;
	case CLIENT_PACC: return FK_PACC;
	default: return FK_AUTOCONFIG;
	}
}

/* Notes how the live account departs from the config's. */
static void
compare_config(const struct client_view *want, struct client_view *v)
{
	char got[ANS_TEXT + 64], exp[ANS_TEXT + 64];

	if (acct_same(&want->in, &v->in) && acct_same(&want->out, &v->out))
		return;
	if (!acct_same(&want->in, &v->in)) {
		acct_describe(&v->in, got, sizeof(got));
		acct_describe(&want->in, exp, sizeof(exp));
	} else {
		acct_describe(&v->out, got, sizeof(got));
		acct_describe(&want->out, exp, sizeof(exp));
	}
	view_note(v, "not what the config serves: %s, the config gives %s",
	    got, exp);
	if (v->outcome == VERDICT_WORKS)
		v->outcome = VERDICT_FALLBACK;
}

static void
judge_client(struct probe *pr, enum client c, const struct client_view *want)
{
	struct client_view *v = &pr->views[c];
	struct buf failed = { 0 };
	char why[VIEW_REASON], rest[VIEW_REASON];

	memset(v, 0, sizeof(*v));
	v->client = c;
	if (pr->nplan[c] > 0)
		str_copy(v->url, sizeof(v->url), pr->plan[c][0].url);
	for (size_t i = 0; i < pr->nplan[c]; i++) {
		const struct attempt *a = &pr->plan[c][i];
		const struct probe_fetch *pf;

		if (pr->plan_fetch[c][i] < 0)
			continue;
		pf = final_fetch(pr, pr->plan_fetch[c][i]);
		/* A redirect the client expects must lead somewhere. */
		if (a->kind == FK_POX_REDIRECT &&
		    pf == &pr->fetch[pr->plan_fetch[c][i]] && ok_status(pf)) {
			buf_printf(&failed, "%s%s: answered instead of "
			    "redirecting to https", failed.len ? "; " : "",
			    a->url);
			continue;
		}
		if (!ok_status(pf)) {
			fetch_why(pr, pf, why, sizeof(why));
			buf_printf(&failed, "%s%s: %s", failed.len ? "; " : "",
			    pf->f.url, why);
			continue;
		}
		str_copy(v->answer_url, sizeof(v->answer_url), pf->f.url);
		read_answer(pr, c, a, pf, v);
		if (!a->primary && v->outcome == VERDICT_WORKS) {
			snprintf(rest, sizeof(rest), "%s", v->reason);
			view_set(v, VERDICT_FALLBACK, "falls back to %s (%s); "
			    "%s", a->via, pf->f.url, rest);
		}
		if (failed.len > 0)
			view_note(v, "before that: %s", failed.data);
		if (want != NULL && a->kind == primary_kind(c))
			compare_config(want, v);
		buf_free(&failed);
		return;
	}
	view_set(v, VERDICT_FAILS, "no answer: %s", failed.len > 0 ?
	    failed.data : "nothing to ask");
	if (c == CLIENT_OUTLOOK && pr->pdns.nsrv == 0) {
		char name[DOMAIN_MAX + 32], dt[160];

		snprintf(name, sizeof(name), "_autodiscover._tcp.%s",
		    pr->domain);
		dns_text(probe_dns(pr, name, DNS_SRV), dt, sizeof(dt));
		view_note(v, "%s: %s", name, dt);
	}
	buf_free(&failed);
}

/* ---- checks ---------------------------------------------------------- */

static void
check_names(struct probe *pr)
{
	char name[DOMAIN_MAX + 32], cname[DOMAIN_MAX + 64];

	for (int pn = 0; pn < PN_COUNT; pn++) {
		const struct dns_answer *a, *aaaa;
		struct buf d = { 0 };
		bool any;

		probe_name(pr, (enum probe_name)pn, name, sizeof(name));
		a = probe_dns(pr, name, DNS_A);
		aaaa = probe_dns(pr, name, DNS_AAAA);
		any = (a != NULL && a->status == DNS_OK) ||
		    (aaaa != NULL && aaaa->status == DNS_OK);
		for (size_t k = 0; a != NULL && k < a->n; k++)
			buf_printf(&d, "%s%s", d.len ? ", " : "", a->rr[k].text);
		for (size_t k = 0; aaaa != NULL && k < aaaa->n; k++)
			buf_printf(&d, "%s%s", d.len ? ", " : "",
			    aaaa->rr[k].text);
		if (!any) {
			char dt[160];

			dns_text(a, dt, sizeof(dt));
			buf_printf(&d, "no address (%s)", dt);
		}
		snprintf(cname, sizeof(cname), "dns A/AAAA %s", name);
		if (pn == PN_DOMAIN && !any)
			buf_puts(&d, ": the well-known autoconfig URL and "
			    "Outlook's first URL go unanswered");
		if (pn == PN_MTA_STS && !any)
			buf_puts(&d, ": no MTA-STS policy can be fetched");
		check(pr, any || pn == PN_DOMAIN || pn == PN_MTA_STS, cname,
		    "%s", d.data);
		buf_free(&d);
	}
}

static void
check_mx(struct probe *pr)
{
	const struct dns_answer *mx = probe_dns(pr, pr->domain, DNS_MX);
	char name[DOMAIN_MAX + 16], dt[160];
	struct buf d = { 0 };

	snprintf(name, sizeof(name), "dns MX %s", pr->domain);
	for (size_t i = 0; mx != NULL && i < mx->n; i++)
		buf_printf(&d, "%s%u %s", d.len ? ", " : "", mx->rr[i].a,
		    mx->rr[i].text);
	if (d.len == 0) {
		dns_text(mx, dt, sizeof(dt));
		buf_printf(&d, "%s: Thunderbird's MX route is not taken", dt);
	} else if (pr->pdns.nmx > 0) {
		buf_puts(&d, "; Thunderbird's MX route asks autoconfig.");
		for (size_t i = 0; i < pr->pdns.nmx; i++)
			buf_printf(&d, "%s%s", i ? " and autoconfig." : "",
			    pr->pdns.mx_domains[i]);
	}
	check(pr, mx != NULL && mx->status != DNS_FAIL, name, "%s", d.data);
	buf_free(&d);
}

static bool
srv_has(const struct dns_answer *a, unsigned int prio, unsigned int port,
    const char *target)
{
	for (size_t i = 0; a != NULL && i < a->n; i++) {
		const char *t = a->rr[i].text;
		size_t n = strlen(t);

		if (n > 1 && t[n - 1] == '.')
			n--;
		if (a->rr[i].a == prio && a->rr[i].c == port &&
		    strlen(target) == n && ascii_strncasecmp(t, target, n) == 0)
			return true;
	}
	return false;
}

static void
srv_list(const struct dns_answer *a, struct buf *d)
{
	char dt[160];

	if (a == NULL || a->status != DNS_OK) {
		dns_text(a, dt, sizeof(dt));
		buf_puts(d, dt);
		return;
	}
	for (size_t i = 0; i < a->n; i++)
		buf_printf(d, "%s%u %u %u %s", i ? ", " : "", a->rr[i].a,
		    a->rr[i].b, a->rr[i].c, a->rr[i].text);
}

/* RFC 6186/8314 records against those "autoconfd dns" prints. */
static void
check_srv(struct probe *pr)
{
	static const char *const labels[] = { "_imaps", "_imap", "_pop3s",
	    "_pop3", "_submissions", "_submission", "_sieve" };
	struct srv_rec want[DNS_SRV_MAX];
	size_t nwant = pr->p != NULL ? dns_srv_records(pr->p, want,
	    ARRAY_LEN(want)) : 0;

	for (size_t l = 0; l < ARRAY_LEN(labels); l++) {
		char name[DOMAIN_MAX + 32], cname[DOMAIN_MAX + 48];
		const struct dns_answer *a;
		struct buf exp = { 0 }, got = { 0 };
		bool ok = true, offered = false, listed = false;
		size_t nexp = 0;

		snprintf(name, sizeof(name), "%s._tcp.%s", labels[l],
		    pr->domain);
		snprintf(cname, sizeof(cname), "dns SRV %s", name);
		a = probe_dns(pr, name, DNS_SRV);
		srv_list(a, &got);
		for (size_t i = 0; i < nwant; i++) {
			if (strcmp(want[i].label, labels[l]) != 0)
				continue;
			listed = true;
			if (strcmp(want[i].target, ".") == 0)
				continue;
			offered = true;
			nexp++;
			buf_printf(&exp, "%s%u %u %u %s", exp.len ? ", " : "",
			    want[i].priority, want[i].weight, want[i].port,
			    want[i].target);
			ok &= srv_has(a, want[i].priority, want[i].port,
			    want[i].target);
		}
		if (pr->p == NULL || !listed) {
			/* Nothing to compare with: what is there. */
			if (a != NULL && a->status == DNS_OK)
				check(pr, true, cname, "%s", got.data);
		} else if (!offered)
			check(pr, a == NULL || a->status != DNS_OK ||
			    (a->n == 1 && strcmp(a->rr[0].text, ".") == 0),
			    cname, "%s; the config offers none (publish "
			    "\"0 0 0 .\" or nothing)", got.data);
		else
			check(pr, ok && a != NULL && a->n == nexp, cname,
			    "%s%s; the config gives %s", a != NULL &&
			    a->status == DNS_OK ? "publishes " : "",
			    got.data, exp.data);
		buf_free(&exp);
		buf_free(&got);
	}
}

static void
check_autodiscover_srv(struct probe *pr)
{
	char name[DOMAIN_MAX + 32], cname[DOMAIN_MAX + 48];
	char adname[DOMAIN_MAX + 32];
	char host[DOMAIN_MAX + 1];
	const struct dns_answer *a, *ad;
	unsigned int port = 0;
	bool https = false, expected;
	struct buf got = { 0 };

	snprintf(name, sizeof(name), "_autodiscover._tcp.%s", pr->domain);
	snprintf(cname, sizeof(cname), "dns SRV %s", name);
	probe_name(pr, PN_AUTODISCOVER, adname, sizeof(adname));
	a = probe_dns(pr, name, DNS_SRV);
	ad = probe_dns(pr, adname, DNS_A);
	srv_list(a, &got);
	expected = pr->p != NULL && dns_public_host(pr->conf, host,
	    sizeof(host), &port, &https) == 0 && https;
	if (expected)
		check(pr, srv_has(a, 0, port, host), cname, "%s; the config "
		    "gives 0 0 %u %s", got.data, port, host);
	else if (a != NULL && a->status == DNS_OK)
		check(pr, true, cname, "%s", got.data);
	else
		check(pr, ad != NULL && ad->status == DNS_OK, cname, "%s%s",
		    got.data, ad != NULL && ad->status == DNS_OK ?
		    ": Outlook finds autodiscover by name" :
		    ": Outlook has no route to autodiscover");
	buf_free(&got);
}

static void
check_pacc_txt(struct probe *pr)
{
	char name[DOMAIN_MAX + 32], cname[DOMAIN_MAX + 48], d[64];
	char want[DIGEST_B64_LEN + 1];
	const struct dns_answer *a;
	struct buf doc = { 0 };
	bool have = false;

	snprintf(name, sizeof(name), "_ua-auto-config.%s", pr->domain);
	snprintf(cname, sizeof(cname), "dns TXT %s", name);
	a = probe_dns(pr, name, DNS_TXT);
	for (size_t i = 0; a != NULL && i < a->n && !have; i++)
		have = pacc_txt_digest(a->rr[i].text, d, sizeof(d)) == 0;
	if (pr->p == NULL || render_pacc(pr->p, &doc) < 0) {
		check(pr, have, cname, have ? "d=%s" : "no PACC digest "
		    "record", d);
		buf_free(&doc);
		return;
	}
	digest_sha256_b64(doc.data, doc.len, want);
	buf_free(&doc);
	if (!have)
		check(pr, false, cname, "no \"v=UAAC1; a=sha256; d=...\" "
		    "record; the config's document needs d=%s", want);
	else
		check(pr, strcmp(d, want) == 0, cname, "d=%s%s%s", d,
		    strcmp(d, want) == 0 ? ", the digest of the config's "
		    "document" : "; the config's document needs d=",
		    strcmp(d, want) == 0 ? "" : want);
}

/* An MTA-STS policy (RFC 8461): its lines, and whether each MX is
 * covered. */
static void
check_mta_sts(struct probe *pr)
{
	char name[DOMAIN_MAX + 32], cname[DOMAIN_MAX + 48];
	const struct dns_answer *txt, *mx;
	const struct probe_fetch *pf = NULL;
	struct buf d = { 0 };
	bool have_txt = false, ok = true;

	snprintf(name, sizeof(name), "_mta-sts.%s", pr->domain);
	snprintf(cname, sizeof(cname), "mta-sts %s", pr->domain);
	txt = probe_dns(pr, name, DNS_TXT);
	for (size_t i = 0; txt != NULL && i < txt->n; i++)
		have_txt |= strncmp(txt->rr[i].text, "v=STSv1", 7) == 0;
	for (size_t i = 0; i < pr->nfetch; i++)
		if (pr->fetch[i].extra == EX_MTA_STS)
			pf = &pr->fetch[i];
	if (!have_txt && (pf == NULL || !ok_status(pf))) {
		check(pr, true, cname, "not published (no v=STSv1 TXT record "
		    "at %s)", name);
		return;
	}
	if (!have_txt) {
		ok = false;
		buf_printf(&d, "a policy is served but %s has no v=STSv1 "
		    "record", name);
	}
	if (pf == NULL || !ok_status(pf)) {
		char why[VIEW_REASON];

		if (pf != NULL)
			fetch_why(pr, pf, why, sizeof(why));
		check(pr, false, cname, "%s has a v=STSv1 record, but the "
		    "policy cannot be fetched: %s", name, pf != NULL ? why :
		    "no address for mta-sts.");
		buf_free(&d);
		return;
	}
	{
		const char *body = pf->f.body_out.data != NULL ?
		    pf->f.body_out.data : "";
		char mode[32] = "", line[512];
		const char *p = body;
		bool first = true, version = false;
		char pats[16][DNS_TEXT];
		size_t npat = 0;
		long max_age = -1;

		if (strncmp(pf->f.ctype, "text/plain", 10) != 0) {
			ok = false;
			buf_printf(&d, "%sContent-Type \"%s\", not text/plain",
			    d.len ? "; " : "", pf->f.ctype);
		}
		while (*p != '\0') {
			size_t n = strcspn(p, "\r\n");

			snprintf(line, sizeof(line), "%.*s", (int)n, p);
			p += n;
			p += strspn(p, "\r\n");
			if (line[0] == '\0')
				continue;
			if (first)
				version = strcmp(line, "version: STSv1") == 0;
			first = false;
			if (strncmp(line, "mode: ", 6) == 0)
				snprintf(mode, sizeof(mode), "%.31s", line + 6);
			else if (strncmp(line, "max_age: ", 9) == 0)
				max_age = strtol(line + 9, NULL, 10);
			else if (strncmp(line, "mx: ", 4) == 0 && npat < 16)
				snprintf(pats[npat++], DNS_TEXT, "%s",
				    line + 4);
		}
		if (!version || (strcmp(mode, "enforce") != 0 &&
		    strcmp(mode, "testing") != 0 && strcmp(mode, "none") != 0) ||
		    max_age < 0 || max_age > 31557600) {
			ok = false;
			buf_printf(&d, "%sthe policy needs \"version: STSv1\" "
			    "first, a mode of enforce, testing or none and a "
			    "max_age up to 31557600", d.len ? "; " : "");
		}
		mx = probe_dns(pr, pr->domain, DNS_MX);
		for (size_t i = 0; mx != NULL && i < mx->n &&
		    strcmp(mode, "none") != 0; i++) {
			bool covered = false;
			const char *h = mx->rr[i].text;

			for (size_t k = 0; k < npat && !covered; k++) {
				const char *pt = pats[k];
				const char *dot = strchr(h, '.');

				covered = ascii_strcasecmp(pt, h) == 0 ||
				    (strncmp(pt, "*.", 2) == 0 && dot != NULL &&
				    ascii_strcasecmp(pt + 2, dot + 1) == 0);
			}
			if (!covered) {
				ok = false;
				buf_printf(&d, "%sthe MX %s is not in the policy",
				    d.len ? "; " : "", h);
			}
		}
		if (ok)
			buf_printf(&d, "mode %s, %zu mx pattern%s, max_age %ld",
			    mode, npat, npat == 1 ? "" : "s", max_age);
	}
	check(pr, ok, cname, "%s", d.data);
	buf_free(&d);
}

static void
check_certs(struct probe *pr)
{
	for (size_t i = 0; i < pr->ncerts; i++) {
		const struct probe_cert *pc = &pr->certs[i];
		char name[DOMAIN_MAX + 32];

		snprintf(name, sizeof(name), "tls %s:%ld", pc->host, pc->port);
		if (pc->reached)
			check(pr, pc->r.ok, name, "%s", pc->r.detail);
		else
			check(pr, false, name, "no TLS handshake: %s", pc->error);
	}
}

/* The answer each client took, byte for byte against the config's. */
static void
check_answers(struct probe *pr)
{
	const char *seen[CLIENT_COUNT];
	size_t nseen = 0;

	if (pr->p == NULL)
		return;
	for (int c = FAMILY_FIRST; c < FAMILY_END; c++) {
		const struct client_view *v = &pr->views[c];
		const struct probe_fetch *pf = NULL;
		struct buf want = { 0 };
		struct splice sp;
		struct splice_values vals;
		char name[ANS_URL + 16];
		bool dup = false;
		int rendered = -1;

		if (v->answer_url[0] == '\0')
			continue;
		for (size_t i = 0; i < nseen; i++)
			dup |= strcmp(seen[i], v->answer_url) == 0;
		for (size_t i = 0; i < pr->nfetch && pf == NULL; i++)
			if (strcmp(pr->fetch[i].f.url, v->answer_url) == 0 &&
			    ok_status(&pr->fetch[i]))
				pf = &pr->fetch[i];
		if (dup || pf == NULL)
			continue;
		seen[nseen++] = v->answer_url;
		if (strstr(pf->f.url, "config-v1.1.xml") != NULL)
			rendered = render_autoconfig(pr->p, &want);
		else if (strstr(pf->f.url, "user-agent-configuration") != NULL)
			rendered = render_pacc(pr->p, &want);
		else if (ascii_strcasecmp(pf->f.url + strlen(pf->f.url) -
		    strlen("autodiscover.xml"), "autodiscover.xml") == 0 &&
		    render_ad_outlook(pr->p, &sp) == 0) {
			splice_address_values(&pr->em, &vals);
			splice_fill(&sp, &vals, &want);
			splice_free(&sp);
			rendered = 0;
		}
		if (rendered < 0) {
			buf_free(&want);
			continue;
		}
		snprintf(name, sizeof(name), "answer %s", pf->f.url);
		if (want.len == pf->f.body_out.len && (want.len == 0 ||
		    memcmp(want.data, pf->f.body_out.data, want.len) == 0))
			check(pr, true, name, "the config's answer, byte for "
			    "byte (%zu bytes)", want.len);
		else
			check(pr, false, name, "not the config's answer: %zu "
			    "bytes served, the config renders %zu (an old "
			    "config, or another server)", pf->f.body_out.len,
			    want.len);
		buf_free(&want);
	}
}

static const struct probe_fetch *
twin(const struct probe *pr, const struct probe_fetch *pf,
    const char *path_suffix)
{
	for (size_t i = 0; i < pr->nfetch; i++) {
		const struct probe_fetch *o = &pr->fetch[i];
		size_t n = strlen(o->f.url), m = strlen(path_suffix);

		if (o->extra == EX_NONE && o->f.post == pf->f.post &&
		    ascii_strcasecmp(o->host, pf->host) == 0 &&
		    o->https == pf->https && n >= m &&
		    strcmp(o->f.url + n - m, path_suffix) == 0)
			return o;
	}
	return NULL;
}

static bool
same_answer(const struct probe_fetch *a, const struct probe_fetch *b)
{
	return a->f.status == b->f.status && a->f.curl_code == b->f.curl_code &&
	    a->f.body_out.len == b->f.body_out.len &&
	    (a->f.body_out.len == 0 || memcmp(a->f.body_out.data,
	    b->f.body_out.data, a->f.body_out.len) == 0);
}

/* The URLs no client plan names but some client sends. */
static void
check_extras(struct probe *pr)
{
	for (size_t i = 0; i < pr->nfetch; i++) {
		const struct probe_fetch *pf = &pr->fetch[i], *o = NULL;
		char name[ANS_URL + 32], why[VIEW_REASON];
		struct ans_ad_json aj;
		const char *jwhy;

		switch (pf->extra) {
		case EX_POX_CASE:
			o = twin(pr, pf, "/autodiscover/autodiscover.xml");
			break;
		case EX_PACC_NOEXT:
			o = twin(pr, pf, "/user-agent-configuration.json");
			break;
		case EX_AC_V11:
			o = twin(pr, pf, "/mail/config-v1.1.xml");
			break;
		default:
			break;
		}
		snprintf(name, sizeof(name), "%s %s", pf->f.post ? "POST" :
		    "GET", pf->f.url);
		fetch_why(pr, pf, why, sizeof(why));
		switch (pf->extra) {
		case EX_POX_CASE:
		case EX_PACC_NOEXT:
		case EX_AC_V11:
			if (o == NULL)
				break;
			if (same_answer(pf, o))
				check(pr, ok_status(pf), name, "%s as %s",
				    ok_status(pf) ? "the same answer" : why,
				    o->f.url);
			else
				check(pr, false, name, "%s, where %s gives "
				    "another answer", why, o->f.url);
			break;
		case EX_AD_JSON:
		case EX_AD_JSON_V1:
			if (!ok_status(pf))
				check(pr, false, name, "%s (Outlook 2016 and "
				    "later, Outlook mobile)", why);
			else if (answer_ad_json(pf->f.body_out.data,
			    pf->f.body_out.len, &aj, &jwhy) < 0)
				check(pr, false, name, "no Autodiscover v2 "
				    "answer: %s", jwhy);
			else
				check(pr, strncmp(aj.url, "https://", 8) == 0 &&
				    strlen(aj.url) > 16 && ascii_strcasecmp(
				    aj.url + strlen(aj.url) - 16,
				    "autodiscover.xml") == 0, name,
				    "Protocol %s, Url %s", aj.protocol, aj.url);
			break;
		default:
			break;
		}
	}
}

void
probe_judge(struct probe *pr)
{
	struct client_view *want = NULL;

	pr->nchecks = 0;
	if (pr->p != NULL) {
		want = xcalloc(CLIENT_COUNT, sizeof(*want));
		if (views_from_config(pr->conf, pr->p, &pr->em, want) < 0) {
			free(want);
			want = NULL;
		}
	}
	for (int c = FAMILY_FIRST; c < FAMILY_END; c++)
		judge_client(pr, (enum client)c, want != NULL ? &want[c] :
		    NULL);
	check_names(pr);
	check_mx(pr);
	check_srv(pr);
	check_autodiscover_srv(pr);
	check_pacc_txt(pr);
	check_mta_sts(pr);
	check_certs(pr);
	check_answers(pr);
	check_extras(pr);
	free(want);
}

bool
probe_all_work(const struct probe *pr)
{
	for (int c = FAMILY_FIRST; c < FAMILY_END; c++)
		if (pr->views[c].outcome != VERDICT_WORKS)
			return false;
	return true;
}

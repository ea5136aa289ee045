#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "fetch.h"

struct xfer {
	struct fetch *f;
	CURL *h;
	struct curl_slist *connect_to, *headers;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct fetch *f = arg;
	size_t n = size * nmemb;

	if (f->body_out.len + n > ANSWER_MAX) {
		f->too_big = true;
		return 0;	/* stops the transfer */
	}
	buf_add(&f->body_out, data, n);
	return n;
}

static void
copy_header(CURL *h, CURLINFO what, char *dst, size_t dstsz)
{
	char *v = NULL;

	dst[0] = '\0';
	if (curl_easy_getinfo(h, what, &v) == CURLE_OK && v != NULL)
		snprintf(dst, dstsz, "%s", v);
}

static void
take_certs(struct xfer *x)
{
	struct curl_certinfo *ci = NULL;

	if (curl_easy_getinfo(x->h, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL)
		return;
	for (int i = 0; i < ci->num_of_certs &&
	    x->f->ncerts < FETCH_CERTS_MAX; i++)
		for (struct curl_slist *s = ci->certinfo[i]; s != NULL;
		    s = s->next)
			if (strncmp(s->data, "Cert:", 5) == 0)
				x->f->certs[x->f->ncerts++] =
				    xstrdup(s->data + 5);
}

static void
finish(struct xfer *x, CURLcode code)
{
	struct fetch *f = x->f;

	f->done = true;
	f->curl_code = (int)code;
	if (code != CURLE_OK) {
		snprintf(f->error, sizeof(f->error), "%s", x->errbuf[0] ?
		    x->errbuf : curl_easy_strerror(code));
		f->cert_failed = code == CURLE_PEER_FAILED_VERIFICATION ||
		    code == CURLE_SSL_CACERT_BADFILE;
	}
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &f->status);
	copy_header(x->h, CURLINFO_CONTENT_TYPE, f->ctype, sizeof(f->ctype));
	copy_header(x->h, CURLINFO_REDIRECT_URL, f->location,
	    sizeof(f->location));
	if (f->certs_only)
		take_certs(x);
	if (f->too_big)
		snprintf(f->error, sizeof(f->error), "answer larger than "
		    "%d bytes", ANSWER_MAX);
}

static void
setup(struct xfer *x, const struct fetch_opts *o)
{
	struct fetch *f = x->f;
	CURL *h = x->h;

	curl_easy_setopt(h, CURLOPT_URL, f->url);
	curl_easy_setopt(h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(h, CURLOPT_USERAGENT, o->user_agent);
	/* One connection per request: each is a client's first contact. */
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	if (o->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	if (f->connect_to[0] != '\0') {
		x->connect_to = curl_slist_append(NULL, f->connect_to);
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, x->connect_to);
	}
	if (f->certs_only) {
		/* The chain as sent, whatever it is: certcheck.c judges. */
		curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
		curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
		return;
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
	if (f->post) {
		x->headers = curl_slist_append(NULL,
		    "Content-Type: text/xml; charset=utf-8");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, f->body);
	}
}

int
fetch_all(struct fetch **f, size_t n, const struct fetch_opts *o)
{
	struct xfer *x;
	CURLM *m;
	CURLMsg *msg;
	size_t next = 0;
	int running = 0, left;

	if (n == 0)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (m = curl_multi_init()) == NULL)
		return -1;
	x = xcalloc(n, sizeof(*x));
	for (size_t i = 0; i < n; i++) {
		x[i].f = f[i];
		if ((x[i].h = curl_easy_init()) == NULL)
			abort();	/* only out of memory */
		setup(&x[i], o);
	}
	/* A few at a time, as clients ask: a timeout then measures the
	 * server, not a queue of the probe's own. */
	for (; next < n && next < FETCH_PARALLEL; next++)
		curl_multi_add_handle(m, x[next].h);
	do {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct xfer *done;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&done);
			finish(done, msg->data.result);
			curl_multi_remove_handle(m, done->h);
			if (next < n) {
				curl_multi_add_handle(m, x[next++].h);
				running++;
			}
		}
		if (running > 0)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	} while (running > 0 || next < n);
	for (size_t i = 0; i < n; i++) {
		if (!f[i]->done) {
			f[i]->done = true;
			f[i]->curl_code = -1;
			snprintf(f[i]->error, sizeof(f[i]->error),
			    "libcurl stopped");
			curl_multi_remove_handle(m, x[i].h);
		}
		curl_easy_cleanup(x[i].h);
		curl_slist_free_all(x[i].connect_to);
		curl_slist_free_all(x[i].headers);
	}
	free(x);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	return 0;
}

void
fetch_free(struct fetch *f)
{
	buf_free(&f->body_out);
	for (size_t i = 0; i < f->ncerts; i++)
		free(f->certs[i]);
	f->ncerts = 0;
}

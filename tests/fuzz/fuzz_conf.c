/* The config loader: JSON syntax, every validation rule, the JSON path to
 * line:column scan behind the error messages, and, for a config that
 * loads, rendering every per-provider document from it. The loader parses
 * the providers one at a time; what it says must be byte for byte what
 * one parse of the whole text says. */
#include "config.h"

#include <string.h>

#include "conf.h"
#include "fuzz.h"
#include "site.h"

#define NAME "fuzz.json"

/* Each message is "fuzz.json:LINE:COL: ..." or "fuzz.json: ...", with a
 * position inside the text. */
static void
check_messages(const char *msgs, const char *text, size_t len)
{
	long lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	for (const char *p = msgs; *p != '\0'; ) {
		const char *nl = strchr(p, '\n');
		char *end;

		FUZZ_ASSERT(nl != NULL);
		FUZZ_ASSERT(strncmp(p, NAME ":", sizeof(NAME)) == 0);
		p += sizeof(NAME);
		FUZZ_ASSERT(*p == ' ' || (*p >= '0' && *p <= '9'));
		if (*p != ' ') {
			long line = strtol(p, &end, 10), col;

			FUZZ_ASSERT(*end == ':');
			col = strtol(end + 1, &end, 10);
			FUZZ_ASSERT(*end == ':');
			/* jansson counts a line past the end for some errors. */
			FUZZ_ASSERT(line >= 1 && line <= lines + 1);
			FUZZ_ASSERT(col >= 0);
		}
		p = nl + 1;
	}
}

/* Both loaders agree: the same verdict, errors and warnings. */
static void
check_whole(const char *text, size_t size, const struct conf *c,
    const struct diag *d)
{
	struct diag w = { 0 };
	struct conf *cw = conf_load_buffer_whole(NAME, text, size, &w);

	FUZZ_ASSERT((c == NULL) == (cw == NULL));
	FUZZ_ASSERT(d->nerrors == w.nerrors && d->nwarnings == w.nwarnings);
	FUZZ_ASSERT(d->errors.len == w.errors.len && (d->errors.len == 0 ||
	    memcmp(d->errors.data, w.errors.data, d->errors.len) == 0));
	FUZZ_ASSERT(d->warnings.len == w.warnings.len &&
	    (d->warnings.len == 0 ||
	    memcmp(d->warnings.data, w.warnings.data, d->warnings.len) == 0));
	if (c != NULL)
		FUZZ_ASSERT(c->nproviders == cw->nproviders);
	conf_free(cw);
	diag_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { 0 };
	struct conf *c;

	conf_forbid_files(true);
	c = conf_load_buffer(NAME, (const char *)data, size, &d);
	check_whole((const char *)data, size, c, &d);
	if (c == NULL) {
		FUZZ_ASSERT(d.nerrors > 0 && d.errors.len > 0);
		check_messages(d.errors.data, (const char *)data, size);
		diag_free(&d);
		return 0;
	}
	FUZZ_ASSERT(d.nerrors == 0);
	if (d.warnings.len > 0)
		check_messages(d.warnings.data, (const char *)data, size);
	for (size_t i = 0; i < c->nproviders; i++) {
		const struct provider *p = &c->providers[i];

		for (size_t k = 0; k < p->ndomains; k++)
			if (p->domains[k][0] != '*')
				FUZZ_ASSERT(conf_lookup(c, p->domains[k]) == p);
	}
	struct site *s = site_new(c, &d);
	if (s != NULL)
		site_free(s);
	diag_free(&d);
	return 0;
}

/* "autoconfd show ADDRESS": what every client family gets for an address,
 * from the config alone (views.c); this file is the command line and the
 * output. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "conf.h"
#include "email.h"
#include "verbs.h"
#include "views.h"

#define SHOW_USAGE "usage: autoconfd show ADDRESS [--client NAME] [--json] " \
	"[-c FILE]\n"

static void
client_names(FILE *f)
{
	for (int i = FAMILY_FIRST; i < FAMILY_END; i++)
		fprintf(f, "%s%s", i > FAMILY_FIRST ? ", " : "",
		    client_name((enum client)i));
	fputc('\n', f);
}

int
show_main(int argc, char **argv, const char *conf_path)
{
	static const struct option longopts[] = {
		{ "client", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct client_view views[CLIENT_COUNT];
	struct diag d = { 0 };
	struct buf out = { 0 };
	struct email em;
	struct conf *c;
	const struct provider *p;
	const char *why;
	int ch, only = -1, rc = 1;
	bool json = false;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			if ((only = family_by_name(optarg)) < 0) {
				fprintf(stderr, "autoconfd: show: unknown client "
				    "\"%s\"; the clients are: ", optarg);
				client_names(stderr);
				return 1;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 'h':
			fputs(SHOW_USAGE, stdout);
			fputs("clients: ", stdout);
			client_names(stdout);
			return 0;
		default:
			fputs(SHOW_USAGE, stderr);
			return 1;
		}
	}
	if (argc - optind != 1) {
		fputs(SHOW_USAGE, stderr);
		return 1;
	}
	if (email_parse(argv[optind], strlen(argv[optind]), &em, &why) < 0) {
		fprintf(stderr, "autoconfd: show: \"%s\": %s\n", argv[optind],
		    why);
		return 1;
	}
	c = conf_load(conf_path, &d);
	if (d.errors.len > 0)
		fputs(d.errors.data, stderr);
	diag_free(&d);
	if (c == NULL)
		return 1;
	xmlInitParser();
	if ((p = conf_lookup(c, em.domain)) == NULL)
		fprintf(stderr, "autoconfd: show: no provider in %s serves %s\n",
		    conf_path, em.domain);
	else if (views_from_config(c, p, &em, views) < 0)
		fprintf(stderr, "autoconfd: show: cannot render the answers\n");
	else {
		struct report r = {
			.address = em.addr, .provider = p->id,
			.views = only >= 0 ? &views[only] :
			    views + FAMILY_FIRST,
			.nviews = only >= 0 ? 1 : FAMILY_END - FAMILY_FIRST,
		};

		if (json)
			report_json(&r, &out);
		else
			report_text(&r, &out);
		fwrite(out.data, 1, out.len, stdout);
		rc = fflush(stdout) == 0 ? 0 : 1;
	}
	buf_free(&out);
	conf_free(c);
	xmlCleanupParser();
	return rc;
}

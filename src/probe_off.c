/* "autoconfd probe" in a build without it (configure --enable-probe=no,
 * or libcurl or c-ares missing under auto). */
#include "config.h"

#include <stdio.h>

#include "verbs.h"

int
probe_main(int argc, char **argv, const char *conf_path)
{
	(void)argc;
	(void)argv;
	(void)conf_path;
	fputs("autoconfd: probe: not built in: configure --enable-probe "
	    "with libcurl (GnuTLS), c-ares and libpsl\n", stderr);
	return 2;
}

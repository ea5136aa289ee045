/* autoconfd-probe: "autoconfd probe", as a program of its own (see
 * Makefile.am for why). The daemon executes it with the verb's command
 * line: argv[0] is "probe". */
#include "config.h"

#include "verbs.h"

int
main(int argc, char **argv)
{
	return probe_main(argc, argv, AUTOCONFD_CONF);
}

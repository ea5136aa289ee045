/* The verbs besides serving, each in its own file: main() hands them the
 * command line from the verb on (argv[0] is the verb). */
#ifndef AUTOCONFD_VERBS_H
#define AUTOCONFD_VERBS_H

/* autoconfd show ADDRESS [--client NAME] [--json] [-c FILE] */
int show_main(int argc, char **argv, const char *conf_path);
/* autoconfd probe DOMAIN [--address A] [--resolver IP[:PORT]] [--ca FILE]
 * [--connect-to HOST:PORT:ADDR:PORT] [--json] [-c FILE]; in the program
 * autoconfd-probe, which the daemon executes for the verb. */
int probe_main(int argc, char **argv, const char *conf_path);

#endif

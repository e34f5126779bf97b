/* The verbs that talk to hosts: pair, unpair, hosts, info, list, quit, wake (stream is in
 * client/stream.c). */
#ifndef SKY_CLIENT_HOST_CMDS_H
#define SKY_CLIENT_HOST_CMDS_H

#include <stdbool.h>
#include <stdio.h>

/* True if verb is one of these. */
bool sky_host_cmd_exists(const char *verb);
/* Runs the verb (argv[0] is its name). Returns the exit status: 0 done, 1 failed, 2 usage. */
int sky_host_cmd_main(int argc, char **argv);
void sky_host_cmd_usage(const char *verb);
/* One "  verb ARGS   summary" line per verb, for skylight --help. */
void sky_host_cmd_list(FILE *out);

#endif

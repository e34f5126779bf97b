/* The verbs that talk to hosts: pair, unpair, hosts, info, list, boxart, quit, discover, wake
 * (stream is in client/stream.c). */
#ifndef SKY_CLIENT_HOST_CMDS_H
#define SKY_CLIENT_HOST_CMDS_H

#include <stddef.h>
#include <stdio.h>

#include "client/cli.h"

/* The verbs, from i = 0 until NULL (for client/verbs.c). */
const SkyVerb *sky_host_cmd_verb(size_t i);
/* One "  verb ARGS   summary" line per verb, for skylight --help. */
void sky_host_cmd_list(FILE *out);

#endif

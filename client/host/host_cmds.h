/* The verbs that talk to hosts: pair, unpair, hosts, info, list, boxart, quit, discover, wake
 * (stream is in client/stream.c). */
#ifndef SKY_CLIENT_HOST_CMDS_H
#define SKY_CLIENT_HOST_CMDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client/cli.h"

/* The verbs, from i = 0 until NULL (for client/verbs.c). */
const SkyVerb *sky_host_cmd_verb(size_t i);
/* Sends wake-on-LAN packets for mac (aa:bb:cc:dd:ee:ff) to address (the host's last one, may
 * be NULL or "") and to the local broadcast address, on port (0: the usual ports). Returns 0
 * or an error with a one-line reason in err. */
int sky_host_wake(const char *mac, const char *address, uint16_t port, char *err,
                  size_t errlen);
/* One "  verb ARGS   summary" line per verb, for skylight --help. */
void sky_host_cmd_list(FILE *out);

#endif

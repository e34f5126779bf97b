/* `skylight stream HOST [APP]`: launch (or resume) an app and play it. */
#ifndef SKY_CLIENT_STREAM_H
#define SKY_CLIENT_STREAM_H

#include "client/cli.h"

/* The verb: its option groups; its main returns the exit status: 0 the stream ended normally
 * (the user, the host's app, --duration, --dry-run), 1 it failed, 2 usage errors. */
extern const SkyVerb sky_stream_verb;

#endif

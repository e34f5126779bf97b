/* `skylight play FILE`: the media pipeline on a local file (see source_file.h). */
#ifndef SKY_CLIENT_PLAY_H
#define SKY_CLIENT_PLAY_H

#include "client/cli.h"

/* The verb: its option groups; its main returns the process exit status: 0 done, 1 runtime
 * error, 2 usage error. */
extern const SkyVerb sky_play_verb;

#endif

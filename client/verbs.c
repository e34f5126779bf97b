/* The list of verbs: host verbs (client/host/host_cmds.c), then stream, play and ui. */
#include "client/verbs.h"

#include <string.h>

#include "client/host/host_cmds.h"
#include "client/play.h"
#include "client/stream.h"
#include "client/ui/launcher.h"

const SkyVerb *sky_verb_at(size_t i)
{
    const SkyVerb *v = sky_host_cmd_verb(i);
    if (v)
        return v;
    for (size_t n = 0; sky_host_cmd_verb(n); n++)
        i--;
    return i == 0 ? &sky_stream_verb : i == 1 ? &sky_play_verb : i == 2 ? &sky_ui_verb : NULL;
}

const SkyVerb *sky_verb_find(const char *name)
{
    for (size_t i = 0; sky_verb_at(i); i++)
        if (strcmp(sky_verb_at(i)->name, name) == 0)
            return sky_verb_at(i);
    return NULL;
}

/* Every verb of skylight: the one list main.c dispatches on and the config file's keys are
 * checked against. */
#ifndef SKY_CLIENT_VERBS_H
#define SKY_CLIENT_VERBS_H

#include <stddef.h>

#include "client/cli.h"

/* The verbs, from i = 0 until NULL. */
const SkyVerb *sky_verb_at(size_t i);
/* The verb named name, or NULL. */
const SkyVerb *sky_verb_find(const char *name);

#endif

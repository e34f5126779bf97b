/* `skylight ui` (and `skylight` with no verb, and the desktop entry): the launcher. Hosts
 * (known and found by mDNS) with their state, pairing with a large PIN, each host's apps with
 * box art, settings globally and per host, and streams started in the launcher's own window,
 * all driven by gamepad, keyboard, mouse or touch. */
#ifndef SKY_CLIENT_UI_LAUNCHER_H
#define SKY_CLIENT_UI_LAUNCHER_H

#include "client/cli.h"

extern const SkyVerb sky_ui_verb;

#endif

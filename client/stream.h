/* `skylight stream HOST [APP]`: launch (or resume) an app and play it, as the verb (its own
 * window, SDL set up and shut down) or inside the launcher's window (sky_stream_run_embedded). */
#ifndef SKY_CLIENT_STREAM_H
#define SKY_CLIENT_STREAM_H

#include <stdbool.h>

#include "client/cli.h"
#include "client/render/render.h"

/* The verb: its option groups; its main returns the exit status: 0 the stream ended normally
 * (the user, the host's app, --duration, --dry-run), 1 it failed, 2 usage errors. */
extern const SkyVerb sky_stream_verb;

typedef struct SkyStreamEmbed {
    SkyRender *render;   /* the launcher's window: used for the stream, never destroyed; its
                          * screen picture is hidden while the stream plays */
    void *script;        /* optional SkyInputScript* the launcher drives (tests): stepped on
                          * every loop turn of the stream, like --input-script's */
    /* out */
    char reason[512];    /* why the stream ended, one sentence for the screen ("the host quit
                          * the app", "stream ended by the user", "cannot reach host: ...") */
    bool failed;         /* it ended in an error */
} SkyStreamEmbed;

/* Main thread. Runs `skylight stream` as argv says (argv[0] "stream", then options, HOST, APP;
 * parsed with the config file and [host NAME] sections exactly as the verb does) in e->render's
 * window. Returns the exit status the verb would have (0, 1, 2); e->reason is always set. SDL
 * stays initialised; the window stays open, with its title back and no screen picture (the
 * launcher shows its own again); its presentation is stopped (sky_render_stop), so the launcher
 * draws in it again with sky_render_poll. The window options (--renderer, --window-*) and
 * --headless do not apply: the window is the launcher's. The launcher's signal handlers stay
 * (they may call sky_stream_cancel). A window closed during the stream ends it as the user's
 * choice and leaves an SDL_QUIT event in the queue for the launcher. The stream's SDL events
 * are read by the stream's loop until it returns. */
int sky_stream_run_embedded(int argc, char **argv, SkyStreamEmbed *e);

/* Any thread, and async-signal-safe: ends the running stream as the user would (Ctrl+C), or
 * cancels its start. */
void sky_stream_cancel(void);

#endif

/* The main thread's loop for `play` and `stream`: SDL events (input), pictures (shown by the
 * SkyRender: on its render thread, or through sky_render_poll on this thread for SDL's
 * renderer; headless, taken here and their timelines finished), the per-second stats line and
 * overlay (their figures gathered once a second, not every turn), and the end conditions (the
 * stream ended, --duration, Ctrl+C, the window closed). The decoder thread wakes it with an SDL
 * user event, posted at most once until the loop has seen it. */
#ifndef SKY_CLIENT_PRESENTER_H
#define SKY_CLIENT_PRESENTER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>

#include "client/render/render.h"
#include "client/stats_out.h"
#include "client/media/video_pipeline.h"
#include "common/core/opts.h"

/* The options of a run of the loop, shared by `play` and `stream`. */
typedef struct SkyPresenterOpts {
    bool headless;       /* no window: the caller creates no renderer */
    double duration_s;   /* for sky_presenter_run; 0: no limit */
    bool overlay;        /* the stats overlay shown from the start (a window only) */
} SkyPresenterOpts;

extern const SkyOpt sky_presenter_opts_table[];

typedef struct SkyPresenterHooks {
    /* Every loop turn: cheap checks only (flags, due times); true ends the loop. Optional. */
    bool (*poll)(void *opaque, int64_t now_us);
    /* Once a second, for the stats line and the overlay: fill the figures (either may be left
     * alone). Optional. */
    void (*figures)(void *opaque, SkyAudioFigures *audio, SkyNetFigures *net);
    /* Every SDL event the loop does not handle itself, and SDL_QUIT after the loop took it as
     * the end. Optional. */
    void (*event)(void *opaque, const SDL_Event *ev);
    void *opaque;
} SkyPresenterHooks;

typedef struct SkyPresenter SkyPresenter;

/* render NULL: headless. quit: set by signal handlers (may be NULL). */
int sky_presenter_create(SkyPresenter **out, SkyRender *render, SkyStatsOut *stats,
                         const SkyPresenterHooks *hooks, volatile sig_atomic_t *quit);
void sky_presenter_destroy(SkyPresenter **p);
/* The pipeline to take pictures from (made after the presenter, since its wake is ours). */
void sky_presenter_attach(SkyPresenter *p, SkyVideoPipeline *vp);
/* Headless: read SDL events too (the caller has initialised SDL's event subsystem), for input.
 * A window always does. */
void sky_presenter_read_events(SkyPresenter *p);
/* Shows or hides the stats overlay (a window only). */
void sky_presenter_toggle_overlay(SkyPresenter *p);
/* A video pipeline `wake` callback (decoder thread); opaque is the presenter. */
void sky_presenter_wake(void *opaque);

typedef enum SkyPresenterEnd {
    SKY_PRESENTER_END_STREAM,    /* the pipeline finished (the file ended) */
    SKY_PRESENTER_END_HOOK,      /* the poll hook said so (the stream ended) */
    SKY_PRESENTER_END_DURATION,  /* --duration passed */
    SKY_PRESENTER_END_USER,      /* Ctrl+C, SIGTERM or the window closed */
} SkyPresenterEnd;

/* Runs until one of the ends above (duration_s 0: no limit). Returns 0 with *why set, or a
 * fatal decoder error. */
int sky_presenter_run(SkyPresenter *p, double duration_s, SkyPresenterEnd *why);

#endif

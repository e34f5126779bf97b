/* The in-stream menu: a pad combination held (--menu-combo, Start+Select+L1+R1 by default) or
 * Ctrl+Alt+Shift+Enter opens a small menu over the video: Resume, Quit stream, Quit app, Stats
 * overlay, Mouse mode. It is drawn on the CPU (client/ui/canvas.h) into a window-sized picture
 * that the renderer shows as its screen picture (a translucent dark backdrop, a centred panel,
 * the focused item framed), redrawn only when something on it changes.
 *
 * The menu decides and draws; the session acts: it keeps input from the host while the menu
 * is open (sky_input_suspend) and carries out what was chosen. Reports go up as returned
 * actions, never as callbacks. Main thread only. */
#ifndef SKY_CLIENT_UI_STREAM_MENU_H
#define SKY_CLIENT_UI_STREAM_MENU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <SDL.h>

#include "client/render/render.h"
#include "common/ui/nav.h"

typedef enum SkyStreamMenuItem {
    SKY_STREAM_MENU_RESUME = 0,
    SKY_STREAM_MENU_QUIT_STREAM,
    SKY_STREAM_MENU_QUIT_APP,
    SKY_STREAM_MENU_STATS,
    SKY_STREAM_MENU_MOUSE,
    SKY_STREAM_MENU_ITEMS,
} SkyStreamMenuItem;

/* What the session is to do. */
typedef enum SkyStreamMenuAction {
    SKY_STREAM_MENU_NONE = 0,
    SKY_STREAM_MENU_OPENED,       /* hold input back from the host */
    SKY_STREAM_MENU_CLOSED,       /* resume: input flows again */
    SKY_STREAM_MENU_END_STREAM,   /* closed; end the stream (the app keeps running) */
    SKY_STREAM_MENU_END_APP,      /* closed; end the stream and quit the app on the host */
    SKY_STREAM_MENU_TOGGLE_STATS, /* still open */
    SKY_STREAM_MENU_TOGGLE_MOUSE, /* still open */
} SkyStreamMenuAction;

/* The menu's decisions, without SDL or drawing (unit-tested on their own). Zeroed: closed. */
typedef struct SkyStreamMenuState {
    bool open;
    int focus;                    /* SkyStreamMenuItem; Resume whenever it opens */
} SkyStreamMenuState;

/* One navigation action: SKY_NAV_MENU opens a closed menu and closes an open one; while open,
 * Up/Down move the focus (no wrapping), Accept chooses the focused item, Back resumes. Anything
 * else, and everything but SKY_NAV_MENU while closed, does nothing. Returns what the session is
 * to do; *changed says whether what is drawn changed (open, focus). */
SkyStreamMenuAction sky_stream_menu_step(SkyStreamMenuState *st, SkyNavAction a, bool *changed);

/* Parses --menu-combo (sky_nav_combo_parse; an empty text is the default). Returns 0, or
 * SKY_ERR(EINVAL) with err saying what is expected, for the user. */
int sky_stream_menu_parse_combo(const char *text, uint32_t *mask, char *err, size_t errlen);

typedef struct SkyStreamMenuCfg {
    SkyRender *render;            /* where it is shown; not owned */
    const char *combo;            /* the pad combination, as --menu-combo takes it */
    bool swap_ab;                 /* --swap-ab: the first pad's A and B trade places */
    const char *title;            /* shown over the items (the app's name); may be NULL */
} SkyStreamMenuCfg;

typedef struct SkyStreamMenu SkyStreamMenu;

/* Main thread. Returns 0, SKY_ERR(EINVAL) for a combination sky_nav_combo_parse refuses
 * (err says why, for the user), SKY_ERR(ENOMEM). SDL_ttf is started here (and stopped by
 * destroy); the canvas and its fonts are made the first time the menu opens. */
int sky_stream_menu_create(SkyStreamMenu **out, const SkyStreamMenuCfg *cfg, char *err,
                           size_t errlen);
/* Hides the menu's picture if shown. Accepts NULL; NULLs the pointer. */
void sky_stream_menu_destroy(SkyStreamMenu **m);

/* Every SDL event of the stream's loop (it follows held pads for the combination even while
 * closed). Keys with Ctrl+Alt+Shift held are the shortcuts' and left alone. */
SkyStreamMenuAction sky_stream_menu_event(SkyStreamMenu *m, const SDL_Event *ev, int64_t now_us);
/* Every loop turn: the combination held long enough, a held direction repeating. */
SkyStreamMenuAction sky_stream_menu_poll(SkyStreamMenu *m, int64_t now_us);
/* Opens a closed menu, closes an open one (the keyboard shortcut). Returns OPENED or
 * CLOSED. */
SkyStreamMenuAction sky_stream_menu_toggle(SkyStreamMenu *m);
/* Closes it without a choice (the stream ended under it); nothing to report. */
void sky_stream_menu_close(SkyStreamMenu *m);
bool sky_stream_menu_is_open(const SkyStreamMenu *m);
/* What the toggles show ("Stats overlay: on", "Mouse: absolute"); redrawn if open. */
void sky_stream_menu_set_toggles(SkyStreamMenu *m, bool stats_on, bool mouse_absolute);

#endif

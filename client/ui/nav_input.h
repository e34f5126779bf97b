/* The launcher's and the in-stream menu's input: SDL keyboard and game controller events onto
 * navigation actions (common/ui/nav.h), with held directions repeating, sticks, the first
 * pad's A/B swapped with --swap-ab, and the menu combination held on any pad. Mouse and touch
 * point at things and are the screens' to hit-test. Main thread only. */
#ifndef SKY_CLIENT_UI_NAV_INPUT_H
#define SKY_CLIENT_UI_NAV_INPUT_H

#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>

#include "common/ui/nav.h"

#define SKY_UI_NAV_PADS 8 /* pads tracked for sticks and the combination; more are ignored */

typedef struct SkyUiNavInput {
    bool swap_ab;                 /* the first pad's A and B trade places */
    SDL_JoystickID first_pad;     /* -1 until a pad has been seen */
    SkyNavRepeat repeat;
    uint32_t combo_mask;
    struct {
        SDL_JoystickID id;        /* -1: free */
        SkyNavStick stick;
        SkyNavCombo combo;
    } pads[SKY_UI_NAV_PADS];
} SkyUiNavInput;

/* combo_mask: sky_nav_combo_parse's, for the in-stream menu; 0 in the launcher, where Start
 * alone opens its menu (buttons in the combination act only as part of it). */
void sky_ui_nav_input_init(SkyUiNavInput *in, bool swap_ab, uint32_t combo_mask);
/* An SDL event: the action it fires now, or SKY_NAV_NONE. Keys: arrows, Enter/Space (accept),
 * Escape/Backspace (back), Page Up/Down, Tab/Shift+Tab (next/previous page), the context-menu
 * key or F10 (menu). Pads: d-pad, left stick, A (accept), B (back), L1/R1 (pages), Start
 * (menu). A removed pad lets go of what it held. */
SkyNavAction sky_ui_nav_input_event(SkyUiNavInput *in, const SDL_Event *ev, int64_t now_us);
/* What is due by now_us: a repeat of the held direction, or SKY_NAV_MENU when a pad has held
 * the combination long enough. At most one action per call. */
SkyNavAction sky_ui_nav_input_poll(SkyUiNavInput *in, int64_t now_us);
/* When sky_ui_nav_input_poll next has something to say, or INT64_MAX (the loop sleeps until
 * then or the next event). */
int64_t sky_ui_nav_input_deadline(const SkyUiNavInput *in);
/* Lets go of everything held (a screen change, focus lost). */
void sky_ui_nav_input_release_all(SkyUiNavInput *in);

#endif

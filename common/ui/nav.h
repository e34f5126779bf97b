/* Navigation input for the launcher and the in-stream menu, with no SDL: what a held direction
 * does over time (fire, wait, repeat), an analogue stick turned into directions with
 * hysteresis, a button combination held long enough (the in-stream menu's), and focus moving
 * in a grid. Every decision takes now_us; every repeating thing says when it next needs to be
 * asked (so the UI can sleep until then and idle at zero CPU).
 *
 * The client maps its events (keys, controller buttons and axes, mouse, touch) onto these;
 * see client/ui/. */
#ifndef SKY_COMMON_UI_NAV_H
#define SKY_COMMON_UI_NAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum SkyNavAction {
    SKY_NAV_NONE = 0,
    SKY_NAV_UP,
    SKY_NAV_DOWN,
    SKY_NAV_LEFT,
    SKY_NAV_RIGHT,
    SKY_NAV_ACCEPT,
    SKY_NAV_BACK,
    SKY_NAV_PAGE_PREV,
    SKY_NAV_PAGE_NEXT,
    SKY_NAV_MENU,
} SkyNavAction;

/* Whether an action is one of the four directions (the ones that repeat while held). */
bool sky_nav_is_direction(SkyNavAction a);

/* ---- a held direction ---- */

/* The first repeat after this long held, then one every interval (what desktop keyboards and
 * console menus do). */
#define SKY_NAV_REPEAT_DELAY_US    400000
#define SKY_NAV_REPEAT_INTERVAL_US 90000

/* Which direction is held, by which source: the newest press wins (holding Up, then pressing
 * Down, moves down), and a release only counts for the direction that source holds. Zeroed is
 * ready. */
typedef struct SkyNavRepeat {
    SkyNavAction held;      /* SKY_NAV_NONE when nothing is held */
    int source;             /* who holds it (the caller's ids: a key, a pad, a stick) */
    int64_t next_us;        /* when it fires again */
} SkyNavRepeat;

/* `source` pressed direction `dir`: returns dir (it fires at once) and starts repeating it. */
SkyNavAction sky_nav_repeat_press(SkyNavRepeat *r, int source, SkyNavAction dir, int64_t now_us);
/* `source` let go of `dir`. Other sources' directions and other directions are unaffected. */
void sky_nav_repeat_release(SkyNavRepeat *r, int source, SkyNavAction dir);
/* Everything let go (focus lost, a screen change). */
void sky_nav_repeat_clear(SkyNavRepeat *r);
/* The direction to move once more if a repeat is due at now_us (at most one per call: a UI
 * that was busy does not jump several items), else SKY_NAV_NONE. */
SkyNavAction sky_nav_repeat_poll(SkyNavRepeat *r, int64_t now_us);
/* When sky_nav_repeat_poll next has something to say, or INT64_MAX. */
int64_t sky_nav_repeat_deadline(const SkyNavRepeat *r);

/* ---- an analogue stick ---- */

/* A stick counts as pushed past half way and as released again below a third (hysteresis, so
 * a stick resting near the threshold does not flicker). Axis values as SDL's: -32768..32767. */
#define SKY_NAV_STICK_PRESS   16384
#define SKY_NAV_STICK_RELEASE 10923

typedef struct SkyNavStick {
    int16_t x, y;             /* the latest values */
    SkyNavAction dir;         /* the direction it holds, or SKY_NAV_NONE */
} SkyNavStick;

/* A new value for one axis (0 = x, 1 = y; y grows downwards, as SDL's). Presses and releases
 * the stick's direction on r as `source`; returns the direction that fires now, if any. The
 * dominant axis decides a diagonal. */
SkyNavAction sky_nav_stick_axis(SkyNavStick *s, SkyNavRepeat *r, int source, int axis,
                                int16_t value, int64_t now_us);

/* ---- a held button combination ---- */

/* Controller buttons by bit, as the combination names them. */
enum {
    SKY_NAV_BTN_A = 1u << 0,
    SKY_NAV_BTN_B = 1u << 1,
    SKY_NAV_BTN_X = 1u << 2,
    SKY_NAV_BTN_Y = 1u << 3,
    SKY_NAV_BTN_BACK = 1u << 4,    /* "Select" */
    SKY_NAV_BTN_GUIDE = 1u << 5,
    SKY_NAV_BTN_START = 1u << 6,
    SKY_NAV_BTN_LSTICK = 1u << 7,
    SKY_NAV_BTN_RSTICK = 1u << 8,
    SKY_NAV_BTN_L1 = 1u << 9,
    SKY_NAV_BTN_R1 = 1u << 10,
    SKY_NAV_BTN_UP = 1u << 11,
    SKY_NAV_BTN_DOWN = 1u << 12,
    SKY_NAV_BTN_LEFT = 1u << 13,
    SKY_NAV_BTN_RIGHT = 1u << 14,
    SKY_NAV_BTN_L2 = 1u << 15,     /* a trigger pulled past half way */
    SKY_NAV_BTN_R2 = 1u << 16,
};

/* Moonlight's: Start+Select+L1+R1, held a moment. */
#define SKY_NAV_COMBO_DEFAULT "Start+Select+L1+R1"
#define SKY_NAV_COMBO_HOLD_US 250000

/* Parses "Start+Select+L1+R1" (names case-insensitive: A B X Y Select|Back Guide|Home Start
 * L1|LB R1|RB L2|LT R2|RT L3|LS R3|RS Up Down Left Right; '+' between them) into *mask.
 * Returns 0, or SKY_ERR(EINVAL) for an unknown or repeated name, an empty combination or fewer
 * than two buttons (one button alone would be taken from the game). */
int sky_nav_combo_parse(const char *text, uint32_t *mask);

/* One pad's buttons against the combination. Zero it, then set mask and hold_us. */
typedef struct SkyNavCombo {
    uint32_t mask;            /* the combination */
    int64_t hold_us;          /* how long all of it must be held */
    uint32_t held;            /* the buttons down now */
    int64_t complete_us;      /* when the last of them went down; valid while all are held */
    bool fired;               /* fired since complete: not again until one is released */
} SkyNavCombo;

/* A button (SKY_NAV_BTN_*) went down or up. */
void sky_nav_combo_button(SkyNavCombo *c, uint32_t button, bool down, int64_t now_us);
/* True once when the whole combination has been held hold_us, then not until it is let go
 * and held again. */
bool sky_nav_combo_poll(SkyNavCombo *c, int64_t now_us);
/* When sky_nav_combo_poll may next return true, or INT64_MAX. */
int64_t sky_nav_combo_deadline(const SkyNavCombo *c);
/* Whether every button of the combination is down (the caller may hold their presses back
 * from the game meanwhile). */
bool sky_nav_combo_complete(const SkyNavCombo *c);

/* ---- focus in a grid ---- */

/* Moves focus (0..count-1) by a direction in a grid of `cols` columns filled row by row: no
 * wrapping at the edges; down from above a short last row lands on its last item; page moves
 * by `page_rows` rows (at least one), stopping at the first or last item. Other actions, an
 * empty grid or cols < 1 leave it where it is (clamped to the grid). */
int sky_nav_grid_move(int focus, int count, int cols, int page_rows, SkyNavAction a);

#endif

/* Navigation input: held directions, sticks, button combinations, grid focus (nav.h). */
#include "common/ui/nav.h"

#include <ctype.h>
#include <string.h>

#include "common/core/error.h"

bool sky_nav_is_direction(SkyNavAction a)
{
    return a == SKY_NAV_UP || a == SKY_NAV_DOWN || a == SKY_NAV_LEFT || a == SKY_NAV_RIGHT;
}

/* ---- a held direction ---- */

SkyNavAction sky_nav_repeat_press(SkyNavRepeat *r, int source, SkyNavAction dir, int64_t now_us)
{
    if (!sky_nav_is_direction(dir))
        return SKY_NAV_NONE;
    *r = (SkyNavRepeat){.held = dir, .source = source, .next_us = now_us + SKY_NAV_REPEAT_DELAY_US};
    return dir;
}

void sky_nav_repeat_release(SkyNavRepeat *r, int source, SkyNavAction dir)
{
    if (r->held == dir && r->source == source)
        sky_nav_repeat_clear(r);
}

void sky_nav_repeat_clear(SkyNavRepeat *r)
{
    *r = (SkyNavRepeat){0};
}

SkyNavAction sky_nav_repeat_poll(SkyNavRepeat *r, int64_t now_us)
{
    if (r->held == SKY_NAV_NONE || now_us < r->next_us)
        return SKY_NAV_NONE;
    r->next_us = now_us + SKY_NAV_REPEAT_INTERVAL_US;
    return r->held;
}

int64_t sky_nav_repeat_deadline(const SkyNavRepeat *r)
{
    return r->held == SKY_NAV_NONE ? INT64_MAX : r->next_us;
}

/* ---- an analogue stick ---- */

static int magnitude(int16_t v)
{
    return v < 0 ? -(int)v : v;
}

/* Whether the stick still pushes towards dir (past the release threshold). */
static bool still_pushed(const SkyNavStick *s, SkyNavAction dir)
{
    switch (dir) {
    case SKY_NAV_LEFT: return s->x < -SKY_NAV_STICK_RELEASE;
    case SKY_NAV_RIGHT: return s->x > SKY_NAV_STICK_RELEASE;
    case SKY_NAV_UP: return s->y < -SKY_NAV_STICK_RELEASE;
    case SKY_NAV_DOWN: return s->y > SKY_NAV_STICK_RELEASE;
    default: return false;
    }
}

/* The direction a stick pushed past the press threshold points to (its dominant axis). */
static SkyNavAction pushed(const SkyNavStick *s)
{
    if (magnitude(s->x) >= magnitude(s->y)) {
        if (magnitude(s->x) > SKY_NAV_STICK_PRESS)
            return s->x < 0 ? SKY_NAV_LEFT : SKY_NAV_RIGHT;
    } else if (magnitude(s->y) > SKY_NAV_STICK_PRESS) {
        return s->y < 0 ? SKY_NAV_UP : SKY_NAV_DOWN;
    }
    return SKY_NAV_NONE;
}

SkyNavAction sky_nav_stick_axis(SkyNavStick *s, SkyNavRepeat *r, int source, int axis,
                                int16_t value, int64_t now_us)
{
    if (axis == 0)
        s->x = value;
    else if (axis == 1)
        s->y = value;
    else
        return SKY_NAV_NONE;
    if (s->dir != SKY_NAV_NONE && !still_pushed(s, s->dir)) {
        sky_nav_repeat_release(r, source, s->dir);
        s->dir = SKY_NAV_NONE;
    }
    SkyNavAction want = pushed(s);
    if (want == SKY_NAV_NONE || want == s->dir)
        return SKY_NAV_NONE;
    if (s->dir != SKY_NAV_NONE)
        sky_nav_repeat_release(r, source, s->dir);
    s->dir = want;
    return sky_nav_repeat_press(r, source, want, now_us);
}

/* ---- a held button combination ---- */

static const struct {
    const char *name;
    uint32_t bit;
} button_names[] = {
    {"a", SKY_NAV_BTN_A},          {"b", SKY_NAV_BTN_B},          {"x", SKY_NAV_BTN_X},
    {"y", SKY_NAV_BTN_Y},          {"select", SKY_NAV_BTN_BACK},  {"back", SKY_NAV_BTN_BACK},
    {"guide", SKY_NAV_BTN_GUIDE},  {"home", SKY_NAV_BTN_GUIDE},   {"start", SKY_NAV_BTN_START},
    {"l1", SKY_NAV_BTN_L1},        {"lb", SKY_NAV_BTN_L1},        {"r1", SKY_NAV_BTN_R1},
    {"rb", SKY_NAV_BTN_R1},        {"l2", SKY_NAV_BTN_L2},        {"lt", SKY_NAV_BTN_L2},
    {"r2", SKY_NAV_BTN_R2},        {"rt", SKY_NAV_BTN_R2},        {"l3", SKY_NAV_BTN_LSTICK},
    {"ls", SKY_NAV_BTN_LSTICK},    {"r3", SKY_NAV_BTN_RSTICK},    {"rs", SKY_NAV_BTN_RSTICK},
    {"up", SKY_NAV_BTN_UP},        {"down", SKY_NAV_BTN_DOWN},    {"left", SKY_NAV_BTN_LEFT},
    {"right", SKY_NAV_BTN_RIGHT},
};

/* The bit of the name in text[0..len), or 0. */
static uint32_t button_bit(const char *text, size_t len)
{
    char low[8];
    if (len == 0 || len >= sizeof(low))
        return 0;
    for (size_t i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)text[i]);
    low[len] = '\0';
    for (size_t i = 0; i < sizeof(button_names) / sizeof(button_names[0]); i++)
        if (strcmp(low, button_names[i].name) == 0)
            return button_names[i].bit;
    return 0;
}

int sky_nav_combo_parse(const char *text, uint32_t *mask)
{
    uint32_t m = 0;
    int n = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, "+");
        size_t name_len = len;
        while (name_len > 0 && p[name_len - 1] == ' ')
            name_len--;
        uint32_t bit = button_bit(p, name_len);
        if (!bit || (m & bit))
            return SKY_ERR(EINVAL);
        m |= bit;
        n++;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    if (n < 2)
        return SKY_ERR(EINVAL);
    *mask = m;
    return 0;
}

bool sky_nav_combo_complete(const SkyNavCombo *c)
{
    return c->mask && (c->held & c->mask) == c->mask;
}

void sky_nav_combo_button(SkyNavCombo *c, uint32_t button, bool down, int64_t now_us)
{
    bool was = sky_nav_combo_complete(c);
    c->held = down ? c->held | button : c->held & ~button;
    bool is = sky_nav_combo_complete(c);
    if (is && !was)
        c->complete_us = now_us;
    if (!is)
        c->fired = false;
}

bool sky_nav_combo_poll(SkyNavCombo *c, int64_t now_us)
{
    if (!sky_nav_combo_complete(c) || c->fired || now_us - c->complete_us < c->hold_us)
        return false;
    c->fired = true;
    return true;
}

int64_t sky_nav_combo_deadline(const SkyNavCombo *c)
{
    return sky_nav_combo_complete(c) && !c->fired ? c->complete_us + c->hold_us : INT64_MAX;
}

/* ---- focus in a grid ---- */

int sky_nav_grid_move(int focus, int count, int cols, int page_rows, SkyNavAction a)
{
    if (count <= 0)
        return 0;
    if (focus < 0)
        focus = 0;
    if (focus >= count)
        focus = count - 1;
    if (cols < 1)
        return focus;
    int last = count - 1;
    int page = (page_rows < 1 ? 1 : page_rows) * cols;
    switch (a) {
    case SKY_NAV_LEFT: return focus % cols > 0 ? focus - 1 : focus;
    case SKY_NAV_RIGHT: return focus % cols < cols - 1 && focus < last ? focus + 1 : focus;
    case SKY_NAV_UP: return focus >= cols ? focus - cols : focus;
    case SKY_NAV_DOWN:
        if (focus + cols <= last)
            return focus + cols;
        return focus / cols < last / cols ? last : focus; /* onto a short last row */
    case SKY_NAV_PAGE_NEXT: return focus + page <= last ? focus + page : last;
    case SKY_NAV_PAGE_PREV: return focus - page >= 0 ? focus - page : 0;
    default: return focus;
    }
}

/* The in-stream menu: its decisions, its input and its picture (stream_menu.h). */
/* Threads: the main thread only (SDL events, the canvas, the renderer's screen picture). */
#include "client/ui/stream_menu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL_ttf.h>

#include "client/ui/canvas.h"
#include "client/ui/nav_input.h"
#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "stream"

/* Colours (0xRRGGBBAA): the video stays visible, dimmed, around a panel that reads over any
 * picture. */
#define BACKDROP 0x000000a0u
#define PANEL 0x1c2230f0u
#define ITEM_FOCUSED 0x2c3a55ffu
#define FOCUS_RING 0x5aa0ffffu
#define TEXT 0xf0f0f0ffu
#define TEXT_DIM 0xa0a8b8ffu

struct SkyStreamMenu {
    SkyStreamMenuCfg cfg;
    char title[256];
    SkyStreamMenuState st;
    SkyUiNavInput nav;
    bool ttf_started;
    SkyCanvas *canvas;
    bool stats_on, mouse_absolute;
    bool shown;                   /* our picture is the renderer's screen picture */
};

/* ---- decisions ---- */

static const char *item_log_name(int item)
{
    static const char *names[SKY_STREAM_MENU_ITEMS] = {"resume", "quit stream", "quit app",
                                                      "stats overlay", "mouse mode"};
    return item >= 0 && item < SKY_STREAM_MENU_ITEMS ? names[item] : "?";
}

SkyStreamMenuAction sky_stream_menu_step(SkyStreamMenuState *st, SkyNavAction a, bool *changed)
{
    *changed = false;
    if (!st->open) {
        if (a != SKY_NAV_MENU)
            return SKY_STREAM_MENU_NONE;
        *st = (SkyStreamMenuState){.open = true, .focus = SKY_STREAM_MENU_RESUME};
        *changed = true;
        return SKY_STREAM_MENU_OPENED;
    }
    switch (a) {
    case SKY_NAV_UP:
    case SKY_NAV_DOWN: {
        int to = sky_nav_grid_move(st->focus, SKY_STREAM_MENU_ITEMS, 1, 1, a);
        *changed = to != st->focus;
        st->focus = to;
        return SKY_STREAM_MENU_NONE;
    }
    case SKY_NAV_BACK:
    case SKY_NAV_MENU:
        st->open = false;
        *changed = true;
        return SKY_STREAM_MENU_CLOSED;
    case SKY_NAV_ACCEPT:
        switch (st->focus) {
        case SKY_STREAM_MENU_STATS:
            *changed = true; /* its label */
            return SKY_STREAM_MENU_TOGGLE_STATS;
        case SKY_STREAM_MENU_MOUSE:
            *changed = true;
            return SKY_STREAM_MENU_TOGGLE_MOUSE;
        default:
            break;
        }
        st->open = false;
        *changed = true;
        return st->focus == SKY_STREAM_MENU_QUIT_STREAM ? SKY_STREAM_MENU_END_STREAM
               : st->focus == SKY_STREAM_MENU_QUIT_APP  ? SKY_STREAM_MENU_END_APP
                                                        : SKY_STREAM_MENU_CLOSED;
    default:
        return SKY_STREAM_MENU_NONE;
    }
}

/* ---- the picture ---- */

static void hide(SkyStreamMenu *m)
{
    if (m->shown)
        sky_render_set_screen(m->cfg.render, NULL, 0, 0, 0);
    m->shown = false;
}

/* A canvas the size of the window (made at the first opening, remade when the window's size
 * changed). */
static int fit_canvas(SkyStreamMenu *m)
{
    int w = 0, h = 0;
    sky_render_output_size(m->cfg.render, &w, &h);
    if (w <= 0 || h <= 0)
        return SKY_ERR(EAGAIN);
    if (!m->canvas)
        return sky_canvas_create(&m->canvas, w, h);
    if (m->canvas->surface->w != w || m->canvas->surface->h != h)
        return sky_canvas_resize(m->canvas, w, h);
    return 0;
}

static void draw(SkyStreamMenu *m)
{
    if (fit_canvas(m) < 0) {
        SKY_LOGW(TAG, "menu: cannot draw it; choices still work");
        return;
    }
    SkyCanvas *c = m->canvas;
    int u = c->unit, w = c->surface->w, h = c->surface->h;
    sky_canvas_clear(c, 0);
    sky_canvas_fill(c, (SDL_Rect){0, 0, w, h}, 0, BACKDROP);
    char labels[SKY_STREAM_MENU_ITEMS][64] = {"Resume", "Quit stream", "Quit app"};
    snprintf(labels[SKY_STREAM_MENU_STATS], sizeof(labels[0]), "Stats overlay: %s",
             m->stats_on ? "on" : "off");
    snprintf(labels[SKY_STREAM_MENU_MOUSE], sizeof(labels[0]), "Mouse: %s",
             m->mouse_absolute ? "absolute" : "relative");
    int row_h = 3 * u, pad = u;
    int pw = 24 * u < w - 2 * pad ? 24 * u : w - 2 * pad;
    int ph = 4 * u + SKY_STREAM_MENU_ITEMS * row_h + 2 * pad;
    SDL_Rect panel = {(w - pw) / 2, (h - ph) / 2, pw, ph};
    sky_canvas_fill(c, panel, u, PANEL);
    SDL_Rect head = {panel.x + pad, panel.y + pad, pw - 2 * pad, 3 * u};
    sky_canvas_text(c, SKY_FONT_TITLE, m->title, head, SKY_ALIGN_CENTRE, TEXT);
    for (int i = 0; i < SKY_STREAM_MENU_ITEMS; i++) {
        SDL_Rect row = {panel.x + pad, panel.y + pad + 4 * u + i * row_h, pw - 2 * pad,
                        row_h - u / 3};
        bool focused = i == m->st.focus;
        if (focused) {
            sky_canvas_fill(c, row, u / 2, ITEM_FOCUSED);
            sky_canvas_frame(c, row, u / 2, u / 4 > 1 ? u / 4 : 2, FOCUS_RING);
        }
        SDL_Rect text = {row.x + u, row.y, row.w - 2 * u, row.h};
        sky_canvas_text(c, SKY_FONT_BODY, labels[i], text, SKY_ALIGN_LEFT,
                        focused ? TEXT : TEXT_DIM);
    }
    sky_render_set_screen(m->cfg.render, c->surface->pixels, w, h, (size_t)c->surface->pitch);
    m->shown = true;
}

/* ---- input ---- */

/* Carries out an action's effect on the menu itself: log, picture, held input. */
static SkyStreamMenuAction apply(SkyStreamMenu *m, SkyNavAction a)
{
    int focus = m->st.focus;
    bool changed;
    SkyStreamMenuAction act = sky_stream_menu_step(&m->st, a, &changed);
    switch (act) {
    case SKY_STREAM_MENU_OPENED:
        SKY_LOGI(TAG, "menu: opened");
        sky_ui_nav_input_release_all(&m->nav); /* a direction held in the game moves nothing */
        break;
    case SKY_STREAM_MENU_CLOSED:
        SKY_LOGI(TAG, "menu: closed");
        break;
    case SKY_STREAM_MENU_END_STREAM:
    case SKY_STREAM_MENU_END_APP:
    case SKY_STREAM_MENU_TOGGLE_STATS:
    case SKY_STREAM_MENU_TOGGLE_MOUSE:
        SKY_LOGI(TAG, "menu: %s", item_log_name(focus));
        break;
    default:
        break;
    }
    if (!m->st.open) {
        if (changed)
            sky_ui_nav_input_release_all(&m->nav);
        hide(m);
    } else if (changed && act != SKY_STREAM_MENU_TOGGLE_STATS &&
               act != SKY_STREAM_MENU_TOGGLE_MOUSE) {
        draw(m); /* the toggles redraw once the session says their new state */
    }
    return act;
}

SkyStreamMenuAction sky_stream_menu_event(SkyStreamMenu *m, const SDL_Event *ev, int64_t now_us)
{
    if ((ev->type == SDL_KEYDOWN || ev->type == SDL_KEYUP) &&
        (ev->key.keysym.mod & KMOD_CTRL) && (ev->key.keysym.mod & KMOD_ALT) &&
        (ev->key.keysym.mod & KMOD_SHIFT))
        return SKY_STREAM_MENU_NONE;
    if (ev->type == SDL_WINDOWEVENT && ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED &&
        m->st.open) {
        draw(m); /* the picture follows the window's size */
        return SKY_STREAM_MENU_NONE;
    }
    SkyNavAction a = sky_ui_nav_input_event(&m->nav, ev, now_us);
    /* Closed, only the combination opens it (from poll): the game has every other button. */
    return m->st.open && a != SKY_NAV_NONE ? apply(m, a) : SKY_STREAM_MENU_NONE;
}

SkyStreamMenuAction sky_stream_menu_poll(SkyStreamMenu *m, int64_t now_us)
{
    SkyNavAction a = sky_ui_nav_input_poll(&m->nav, now_us);
    if (a == SKY_NAV_NONE || (!m->st.open && a != SKY_NAV_MENU))
        return SKY_STREAM_MENU_NONE;
    return apply(m, a);
}

SkyStreamMenuAction sky_stream_menu_toggle(SkyStreamMenu *m)
{
    return apply(m, SKY_NAV_MENU);
}

void sky_stream_menu_close(SkyStreamMenu *m)
{
    m->st.open = false;
    sky_ui_nav_input_release_all(&m->nav);
    hide(m);
}

bool sky_stream_menu_is_open(const SkyStreamMenu *m)
{
    return m->st.open;
}

void sky_stream_menu_set_toggles(SkyStreamMenu *m, bool stats_on, bool mouse_absolute)
{
    if (stats_on == m->stats_on && mouse_absolute == m->mouse_absolute)
        return;
    m->stats_on = stats_on;
    m->mouse_absolute = mouse_absolute;
    if (m->st.open)
        draw(m);
}

/* ---- lifetime ---- */

int sky_stream_menu_parse_combo(const char *text, uint32_t *mask, char *err, size_t errlen)
{
    const char *combo = text && text[0] ? text : SKY_NAV_COMBO_DEFAULT;
    if (sky_nav_combo_parse(combo, mask) == 0)
        return 0;
    snprintf(err, errlen, "--menu-combo '%s' is not a button combination: two or more of A B X Y "
                          "Select Guide Start L1 R1 L2 R2 L3 R3 Up Down Left Right, joined by "
                          "'+', each once",
             combo);
    return SKY_ERR(EINVAL);
}

int sky_stream_menu_create(SkyStreamMenu **out, const SkyStreamMenuCfg *cfg, char *err,
                           size_t errlen)
{
    *out = NULL;
    uint32_t mask = 0;
    int ret = sky_stream_menu_parse_combo(cfg->combo, &mask, err, errlen);
    if (ret < 0)
        return ret;
    SkyStreamMenu *m = calloc(1, sizeof(*m));
    if (!m)
        return SKY_ERR(ENOMEM);
    m->cfg = *cfg;
    snprintf(m->title, sizeof(m->title), "%s", cfg->title && cfg->title[0] ? cfg->title
                                                                             : "Skylight");
    m->cfg.title = m->title;
    m->cfg.combo = NULL; /* parsed: not kept */
    sky_ui_nav_input_init(&m->nav, cfg->swap_ab, mask);
    if (TTF_Init() == 0)
        m->ttf_started = true;
    else
        SKY_LOGW(TAG, "menu: no text (%s); it still opens", TTF_GetError());
    *out = m;
    return 0;
}

void sky_stream_menu_destroy(SkyStreamMenu **pm)
{
    SkyStreamMenu *m = *pm;
    if (!m)
        return;
    hide(m);
    sky_canvas_destroy(&m->canvas);
    if (m->ttf_started)
        TTF_Quit();
    free(m);
    *pm = NULL;
}

/* SDL events onto navigation actions (nav_input.h). */
#include "client/ui/nav_input.h"

/* Sources of held directions: the keyboard, else a pad's d-pad or stick by its slot. */
enum { SRC_KEYBOARD = -1 };

static int dpad_source(int slot)
{
    return 2 * slot;
}

static int stick_source(int slot)
{
    return 2 * slot + 1;
}

void sky_ui_nav_input_init(SkyUiNavInput *in, bool swap_ab, uint32_t combo_mask)
{
    *in = (SkyUiNavInput){.swap_ab = swap_ab, .first_pad = -1, .combo_mask = combo_mask};
    for (int i = 0; i < SKY_UI_NAV_PADS; i++)
        in->pads[i].id = -1;
}

/* The pad's slot (taking a free one for a new pad), or -1 when all are taken. */
static int slot_of(SkyUiNavInput *in, SDL_JoystickID id, bool take)
{
    int free_slot = -1;
    for (int i = 0; i < SKY_UI_NAV_PADS; i++) {
        if (in->pads[i].id == id)
            return i;
        if (in->pads[i].id == -1 && free_slot < 0)
            free_slot = i;
    }
    if (!take || free_slot < 0)
        return -1;
    in->pads[free_slot].id = id;
    in->pads[free_slot].stick = (SkyNavStick){0};
    in->pads[free_slot].combo = (SkyNavCombo){.mask = in->combo_mask,
                                              .hold_us = SKY_NAV_COMBO_HOLD_US};
    if (in->first_pad < 0)
        in->first_pad = id;
    return free_slot;
}

static SkyNavAction key_action(const SDL_KeyboardEvent *k)
{
    switch (k->keysym.sym) {
    case SDLK_UP: return SKY_NAV_UP;
    case SDLK_DOWN: return SKY_NAV_DOWN;
    case SDLK_LEFT: return SKY_NAV_LEFT;
    case SDLK_RIGHT: return SKY_NAV_RIGHT;
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
    case SDLK_SPACE: return SKY_NAV_ACCEPT;
    case SDLK_ESCAPE:
    case SDLK_BACKSPACE:
    case SDLK_AC_BACK: return SKY_NAV_BACK;
    case SDLK_PAGEUP: return SKY_NAV_PAGE_PREV;
    case SDLK_PAGEDOWN: return SKY_NAV_PAGE_NEXT;
    case SDLK_TAB: return (k->keysym.mod & KMOD_SHIFT) ? SKY_NAV_PAGE_PREV : SKY_NAV_PAGE_NEXT;
    case SDLK_APPLICATION: /* the context-menu key */
    case SDLK_MENU:
    case SDLK_F10: return SKY_NAV_MENU;
    default: return SKY_NAV_NONE;
    }
}

static SkyNavAction button_action(Uint8 b)
{
    switch (b) {
    case SDL_CONTROLLER_BUTTON_DPAD_UP: return SKY_NAV_UP;
    case SDL_CONTROLLER_BUTTON_DPAD_DOWN: return SKY_NAV_DOWN;
    case SDL_CONTROLLER_BUTTON_DPAD_LEFT: return SKY_NAV_LEFT;
    case SDL_CONTROLLER_BUTTON_DPAD_RIGHT: return SKY_NAV_RIGHT;
    case SDL_CONTROLLER_BUTTON_A: return SKY_NAV_ACCEPT;
    case SDL_CONTROLLER_BUTTON_B: return SKY_NAV_BACK;
    case SDL_CONTROLLER_BUTTON_LEFTSHOULDER: return SKY_NAV_PAGE_PREV;
    case SDL_CONTROLLER_BUTTON_RIGHTSHOULDER: return SKY_NAV_PAGE_NEXT;
    case SDL_CONTROLLER_BUTTON_START: return SKY_NAV_MENU;
    default: return SKY_NAV_NONE;
    }
}

static uint32_t button_bit(Uint8 b)
{
    static const uint32_t bits[SDL_CONTROLLER_BUTTON_MAX] = {
        [SDL_CONTROLLER_BUTTON_A] = SKY_NAV_BTN_A,
        [SDL_CONTROLLER_BUTTON_B] = SKY_NAV_BTN_B,
        [SDL_CONTROLLER_BUTTON_X] = SKY_NAV_BTN_X,
        [SDL_CONTROLLER_BUTTON_Y] = SKY_NAV_BTN_Y,
        [SDL_CONTROLLER_BUTTON_BACK] = SKY_NAV_BTN_BACK,
        [SDL_CONTROLLER_BUTTON_GUIDE] = SKY_NAV_BTN_GUIDE,
        [SDL_CONTROLLER_BUTTON_START] = SKY_NAV_BTN_START,
        [SDL_CONTROLLER_BUTTON_LEFTSTICK] = SKY_NAV_BTN_LSTICK,
        [SDL_CONTROLLER_BUTTON_RIGHTSTICK] = SKY_NAV_BTN_RSTICK,
        [SDL_CONTROLLER_BUTTON_LEFTSHOULDER] = SKY_NAV_BTN_L1,
        [SDL_CONTROLLER_BUTTON_RIGHTSHOULDER] = SKY_NAV_BTN_R1,
        [SDL_CONTROLLER_BUTTON_DPAD_UP] = SKY_NAV_BTN_UP,
        [SDL_CONTROLLER_BUTTON_DPAD_DOWN] = SKY_NAV_BTN_DOWN,
        [SDL_CONTROLLER_BUTTON_DPAD_LEFT] = SKY_NAV_BTN_LEFT,
        [SDL_CONTROLLER_BUTTON_DPAD_RIGHT] = SKY_NAV_BTN_RIGHT,
    };
    return b < SDL_CONTROLLER_BUTTON_MAX ? bits[b] : 0;
}

static SkyNavAction pad_button(SkyUiNavInput *in, const SDL_ControllerButtonEvent *e,
                               int64_t now_us)
{
    int slot = slot_of(in, e->which, true);
    if (slot < 0)
        return SKY_NAV_NONE;
    bool down = e->state == SDL_PRESSED;
    SkyNavCombo *combo = &in->pads[slot].combo;
    sky_nav_combo_button(combo, button_bit(e->button), down, now_us);
    Uint8 b = e->button;
    if (in->swap_ab && e->which == in->first_pad &&
        (b == SDL_CONTROLLER_BUTTON_A || b == SDL_CONTROLLER_BUTTON_B))
        b = b == SDL_CONTROLLER_BUTTON_A ? SDL_CONTROLLER_BUTTON_B : SDL_CONTROLLER_BUTTON_A;
    SkyNavAction a = button_action(b);
    if (sky_nav_is_direction(a)) {
        if (down)
            return sky_nav_repeat_press(&in->repeat, dpad_source(slot), a, now_us);
        sky_nav_repeat_release(&in->repeat, dpad_source(slot), a);
        return SKY_NAV_NONE;
    }
    /* Buttons act when pressed, unless they are part of the menu combination held (its
     * buttons pressed one by one would otherwise page and open menus on the way). */
    if (!down || (combo->mask & button_bit(e->button)))
        return SKY_NAV_NONE;
    return a;
}

static void forget_pad(SkyUiNavInput *in, SDL_JoystickID id)
{
    int slot = slot_of(in, id, false);
    if (slot < 0)
        return;
    if (in->repeat.source == dpad_source(slot) || in->repeat.source == stick_source(slot))
        sky_nav_repeat_clear(&in->repeat);
    in->pads[slot].id = -1;
    if (in->first_pad == id)
        in->first_pad = -1;
}

SkyNavAction sky_ui_nav_input_event(SkyUiNavInput *in, const SDL_Event *ev, int64_t now_us)
{
    switch (ev->type) {
    case SDL_KEYDOWN: {
        SkyNavAction a = key_action(&ev->key);
        if (ev->key.repeat)
            return SKY_NAV_NONE; /* our own repeat runs instead of the system's */
        return sky_nav_is_direction(a) ? sky_nav_repeat_press(&in->repeat, SRC_KEYBOARD, a, now_us)
                                       : a;
    }
    case SDL_KEYUP:
        sky_nav_repeat_release(&in->repeat, SRC_KEYBOARD, key_action(&ev->key));
        return SKY_NAV_NONE;
    case SDL_CONTROLLERBUTTONDOWN:
    case SDL_CONTROLLERBUTTONUP: return pad_button(in, &ev->cbutton, now_us);
    case SDL_CONTROLLERAXISMOTION: {
        int axis = ev->caxis.axis == SDL_CONTROLLER_AXIS_LEFTX   ? 0
                   : ev->caxis.axis == SDL_CONTROLLER_AXIS_LEFTY ? 1
                                                                 : -1;
        int slot = axis < 0 ? -1 : slot_of(in, ev->caxis.which, true);
        if (slot < 0)
            return SKY_NAV_NONE;
        return sky_nav_stick_axis(&in->pads[slot].stick, &in->repeat, stick_source(slot), axis,
                                  ev->caxis.value, now_us);
    }
    case SDL_CONTROLLERDEVICEREMOVED: forget_pad(in, ev->cdevice.which); return SKY_NAV_NONE;
    default: return SKY_NAV_NONE;
    }
}

SkyNavAction sky_ui_nav_input_poll(SkyUiNavInput *in, int64_t now_us)
{
    for (int i = 0; i < SKY_UI_NAV_PADS; i++)
        if (in->pads[i].id != -1 && sky_nav_combo_poll(&in->pads[i].combo, now_us))
            return SKY_NAV_MENU;
    return sky_nav_repeat_poll(&in->repeat, now_us);
}

int64_t sky_ui_nav_input_deadline(const SkyUiNavInput *in)
{
    int64_t t = sky_nav_repeat_deadline(&in->repeat);
    for (int i = 0; i < SKY_UI_NAV_PADS; i++) {
        if (in->pads[i].id == -1)
            continue;
        int64_t c = sky_nav_combo_deadline(&in->pads[i].combo);
        if (c < t)
            t = c;
    }
    return t;
}

void sky_ui_nav_input_release_all(SkyUiNavInput *in)
{
    sky_nav_repeat_clear(&in->repeat);
    for (int i = 0; i < SKY_UI_NAV_PADS; i++) {
        in->pads[i].stick = (SkyNavStick){0};
        in->pads[i].combo.held = 0;
        in->pads[i].combo.fired = false;
    }
}

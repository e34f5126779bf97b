/* Input capture on the main thread: SDL events to records, gamepads, shortcuts, pointer capture,
 * the host's feedback to pads (input.h). */
/* Threads (docs/threading.md): everything here runs on the main thread except sky_input_stats
 * (any thread). The host's feedback to pads arrives through the session's SkyFeedback. */
#define _POSIX_C_SOURCE 200809L
#include "client/input/input.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/fsutil.h"
#include "client/input/pads.h"
#include "client/render/render.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/proto/sdp.h"
#include "common/core/time.h"
#include "common/ui/nav.h"

#define TAG "input"
#define TAP_MAX_US 250000       /* trackpad: a touch this short and still is a click */
#define TAP_MAX_TRAVEL 0.01f    /* of the window's width */
#define RAD_TO_DEG 57.29577951f

const SkyOpt sky_input_opts_table[] = {
    {"capture-system-keys", SKY_OPT_CHOICE, offsetof(SkyInputOpts, capture_system_keys), 0, 0, 0,
     "never|fullscreen|always", "fullscreen", NULL,
     "send system shortcuts (Alt+Tab, the Super key) to the host while the mouse is captured"},
    {"mouse", SKY_OPT_CHOICE, offsetof(SkyInputOpts, mouse_mode), 0, 0, 0, "relative|absolute",
     "relative", NULL,
     "relative: captured pointer, for games; absolute: the pointer's position, for desktops "
     "(Ctrl+Alt+Shift+M switches)"},
    {"touch", SKY_OPT_CHOICE, offsetof(SkyInputOpts, touch_mode), 0, 0, 0, "absolute|trackpad",
     "absolute", NULL, "a touchscreen touches where it is touched, or moves the pointer"},
    {"swap-ab", SKY_OPT_BOOL, offsetof(SkyInputOpts, swap_ab), 0, 0, 0, NULL, "no", NULL,
     "swap A/B and X/Y on gamepads (Nintendo layouts)"},
    {"gamepads", SKY_OPT_BOOL, offsetof(SkyInputOpts, gamepads), 0, 0, 0, NULL, "yes", NULL,
     "send game controllers to the host"},
    {"menu-combo", SKY_OPT_STRING, offsetof(SkyInputOpts, menu_combo),
     sizeof(((SkyInputOpts *)0)->menu_combo), 0, 0, NULL, SKY_NAV_COMBO_DEFAULT, "BUTTONS",
     "the pad buttons that, held together, open the in-stream menu (A B X Y Select Guide Start "
     "L1 R1 L2 R2 L3 R3 Up Down Left Right, joined by '+'; Ctrl+Alt+Shift+Enter opens it too)"},
    {"input-script", SKY_OPT_STRING, offsetof(SkyInputOpts, script),
     sizeof(((SkyInputOpts *)0)->script), 0, 0, NULL, "", "FILE",
     "replay synthetic input from FILE; a FIFO is read live, each line run as it comes "
     "(tests and benchmarks; docs/input-script.md)"},
    SKY_OPT_END,
};

typedef struct Pad {
    SDL_GameController *gc;
    SDL_JoystickID id;
    SkyInputRec state;            /* SKY_REC_PAD_STATE as last sent */
    uint16_t motion_rate_hz[2];   /* requested by the host: accel, gyro (0: off) */
    int64_t motion_last_us[2];
} Pad;

struct SkyInput {
    SkyInputCfg cfg;
    SkyInputSender *sender;
    bool gc_subsystem;
    Pad pads[SKY_INPUT_MAX_PADS];

    /* Main thread. */
    bool captured;                /* the user has not released the pointer (Ctrl+Alt+Shift+Z) */
    bool suspended;               /* the in-stream menu is open: nothing goes to the host */
    bool absolute;                /* mouse mode */
    bool swallow[SDL_NUM_SCANCODES]; /* shortcut keys whose release is not sent */
    bool swallow_click;           /* the click that recaptured the pointer */
    bool text_from_key;           /* the last key-down sent has not had its text event yet */
    SDL_FingerID touch_finger;    /* trackpad / emulated mouse: the finger that drives */
    bool touch_active;
    int64_t touch_down_us;
    float touch_x, touch_y, touch_travel;
    int64_t event_us;             /* the event being handled entered SDL's queue (0: none) */
};

/* When SDL queued an event, on our clock: its timestamp is SDL_GetTicks() milliseconds at that
 * moment, so the time it waited in the queue is counted in capture -> socket. An event without
 * a timestamp, or an impossible one, counts from now. */
static int64_t event_time_us(const SDL_Event *ev)
{
    int64_t now = sky_time_us();
    uint32_t age_ms = (uint32_t)SDL_GetTicks() - ev->common.timestamp;
    if (ev->common.timestamp == 0 || age_ms > 10000)
        return now;
    return now - (int64_t)age_ms * 1000;
}

/* The capture time of what is pushed now: the event's, outside an event now. */
static int64_t capture_now(const SkyInput *in)
{
    return in->event_us ? in->event_us : sky_time_us();
}

static void push(SkyInput *in, SkyInputRec *r)
{
    r->capture_us = r->capture_us ? r->capture_us : capture_now(in);
    sky_input_sender_push(in->sender, r);
}

static void push_type(SkyInput *in, SkyInputRecType t)
{
    SkyInputRec r = {.type = t};
    push(in, &r);
}

/* ---- Pointer capture and keyboard grab ---- */

static bool fullscreen(SDL_Window *w)
{
    return (SDL_GetWindowFlags(w) & (SDL_WINDOW_FULLSCREEN | SDL_WINDOW_FULLSCREEN_DESKTOP)) != 0;
}

static void apply_capture(SkyInput *in)
{
    if (!in->cfg.window)
        return;
    bool grab_keys = in->captured && (in->cfg.opts.capture_system_keys == SKY_CAPTURE_KEYS_ALWAYS ||
                                      (in->cfg.opts.capture_system_keys ==
                                           SKY_CAPTURE_KEYS_FULLSCREEN &&
                                       fullscreen(in->cfg.window)));
    SDL_SetWindowKeyboardGrab(in->cfg.window, grab_keys ? SDL_TRUE : SDL_FALSE);
    SDL_SetRelativeMouseMode(in->captured && !in->absolute ? SDL_TRUE : SDL_FALSE);
    SDL_ShowCursor(in->captured ? SDL_DISABLE : SDL_ENABLE);
}

static void set_captured(SkyInput *in, bool on)
{
    if (in->captured == on)
        return;
    in->captured = on;
    if (!on)
        push_type(in, SKY_REC_RELEASE_ALL);
    SKY_LOGI(TAG, "%s", on ? "pointer captured (Ctrl+Alt+Shift+Z releases it)"
                           : "pointer released: click in the window to capture it again");
    apply_capture(in);
}

/* The window's size and the picture's letterboxed rectangle in it (headless: the stream's). */
typedef struct View {
    int win_w, win_h;
    int x, y, w, h;
} View;

static View view_of(const SkyInput *in)
{
    View v = {in->cfg.stream_width, in->cfg.stream_height, 0, 0, in->cfg.stream_width,
              in->cfg.stream_height};
    if (in->cfg.window) {
        SDL_GetWindowSize(in->cfg.window, &v.win_w, &v.win_h);
        sky_render_letterbox(v.win_w, v.win_h,
                             (double)in->cfg.stream_width / in->cfg.stream_height, &v.x, &v.y,
                             &v.w, &v.h);
    }
    return v;
}

/* Window position -> position within the video, and its reference size. */
static bool video_position(SkyInput *in, float wx, float wy, SkyInputRec *r)
{
    View v = view_of(in);
    if (!isfinite(wx) || !isfinite(wy) || v.w <= 0 || v.h <= 0 || wx < v.x || wy < v.y ||
        wx >= v.x + v.w || wy >= v.y + v.h)
        return false; /* in the black bars */
    r->type = SKY_REC_POSITION;
    r->u.position.x = (int16_t)((wx - v.x) * in->cfg.stream_width / v.w);
    r->u.position.y = (int16_t)((wy - v.y) * in->cfg.stream_height / v.h);
    r->u.position.w = (int16_t)in->cfg.stream_width;
    r->u.position.h = (int16_t)in->cfg.stream_height;
    return true;
}

/* ---- Keyboard ---- */

static uint8_t modifiers(uint16_t kmod)
{
    return (uint8_t)(((kmod & KMOD_SHIFT) ? SKY_INPUT_MOD_SHIFT : 0) |
                     ((kmod & KMOD_CTRL) ? SKY_INPUT_MOD_CTRL : 0) |
                     ((kmod & KMOD_ALT) ? SKY_INPUT_MOD_ALT : 0) |
                     ((kmod & KMOD_GUI) ? SKY_INPUT_MOD_META : 0));
}

/* Whether k is (part of) a shortcut; *session gets the ones the session carries out. */
static bool shortcut(SkyInput *in, const SDL_KeyboardEvent *k, SkyShortcut *session)
{
    SDL_Scancode sc = k->keysym.scancode;
    if (k->type == SDL_KEYUP) {
        bool was = in->swallow[sc];
        in->swallow[sc] = false;
        return was;
    }
    uint16_t m = k->keysym.mod;
    if (!((m & KMOD_CTRL) && (m & KMOD_ALT) && (m & KMOD_SHIFT)))
        return false;
    switch (sc) {
    case SDL_SCANCODE_Q:
        *session = SKY_SHORTCUT_QUIT;
        break;
    case SDL_SCANCODE_S:
        *session = SKY_SHORTCUT_OVERLAY;
        break;
    case SDL_SCANCODE_X:
        *session = SKY_SHORTCUT_FULLSCREEN;
        break;
    case SDL_SCANCODE_Z:
        set_captured(in, !in->captured);
        break;
    case SDL_SCANCODE_M:
        sky_input_toggle_mouse_mode(in);
        break;
    case SDL_SCANCODE_RETURN:
    case SDL_SCANCODE_KP_ENTER:
        *session = SKY_SHORTCUT_MENU;
        break;
    default:
        return false;
    }
    in->swallow[sc] = true;
    return true;
}

static SkyShortcut key_event(SkyInput *in, const SDL_KeyboardEvent *k)
{
    SkyShortcut session = SKY_SHORTCUT_NONE;
    if (shortcut(in, k, &session) || (!in->captured && k->type == SDL_KEYDOWN) ||
        (in->suspended && k->type == SDL_KEYDOWN))
        return session;
    bool mapped = sky_input_vk_from_usage(k->keysym.scancode) != 0;
    if (k->type == SDL_KEYDOWN)
        in->text_from_key = mapped; /* its text event, if one follows at once, is this key's */
    if (k->repeat)
        return SKY_SHORTCUT_NONE; /* the host repeats keys itself */
    SkyInputRec r = {.type = SKY_REC_KEY};
    r.u.key.usage = (uint16_t)k->keysym.scancode;
    r.u.key.down = k->type == SDL_KEYDOWN;
    r.u.key.modifiers = modifiers(k->keysym.mod);
    push(in, &r);
    return SKY_SHORTCUT_NONE;
}

/* Text for characters the keys sent do not give (compose, input methods, keys the host has no
 * code for): a text event right after the key-down of a key we send is that key's, and not
 * sent again (dead keys compose on the host, from the keys). */
static void text_event(SkyInput *in, const SDL_TextInputEvent *t)
{
    if (!in->captured)
        return;
    if (in->text_from_key) {
        in->text_from_key = false;
        return;
    }
    SkyInputRec r = {.type = SKY_REC_TEXT};
    size_t n = strnlen(t->text, sizeof(t->text));
    if (n == 0 || n > SKY_INPUT_TEXT_MAX)
        return;
    memcpy(r.u.text, t->text, n);
    push(in, &r);
}

/* ---- Mouse ---- */

static void mouse_event(SkyInput *in, const SDL_Event *ev)
{
    SkyInputRec r;
    memset(&r, 0, sizeof(r));
    switch (ev->type) {
    case SDL_MOUSEMOTION:
        if (!in->captured)
            return;
        if (in->absolute) {
            if (video_position(in, (float)ev->motion.x, (float)ev->motion.y, &r))
                push(in, &r);
        } else if (ev->motion.xrel || ev->motion.yrel) {
            r.type = SKY_REC_MOTION;
            r.u.motion.dx = ev->motion.xrel;
            r.u.motion.dy = ev->motion.yrel;
            push(in, &r);
        }
        return;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
        bool down = ev->type == SDL_MOUSEBUTTONDOWN;
        if (!in->captured) {
            if (down && ev->button.button == SDL_BUTTON_LEFT && in->cfg.window) {
                set_captured(in, true); /* the click only captures */
                in->swallow_click = true;
            }
            return;
        }
        if (!down && in->swallow_click && ev->button.button == SDL_BUTTON_LEFT) {
            in->swallow_click = false;
            return;
        }
        if (ev->button.button < 1 || ev->button.button > SKY_INPUT_BUTTON_MAX)
            return;
        if (in->absolute && down &&
            video_position(in, (float)ev->button.x, (float)ev->button.y, &r))
            push(in, &r); /* press where the pointer is */
        memset(&r, 0, sizeof(r));
        r.type = SKY_REC_BUTTON;
        r.u.button.button = ev->button.button;
        r.u.button.down = down;
        push(in, &r);
        return;
    }
    case SDL_MOUSEWHEEL: {
        if (!in->captured)
            return;
        float sign = ev->wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -1.0f : 1.0f;
        r.type = SKY_REC_WHEEL;
        r.u.wheel.x = sign * ev->wheel.preciseX;
        r.u.wheel.y = sign * ev->wheel.preciseY;
        push(in, &r);
        return;
    }
    default:
        return;
    }
}

/* ---- Touch ---- */

static void touch_as_mouse(SkyInput *in, const SDL_TouchFingerEvent *f, int64_t now)
{
    SkyInputRec r;
    memset(&r, 0, sizeof(r));
    if (f->type == SDL_FINGERDOWN) {
        if (in->touch_active)
            return; /* one finger drives the pointer */
        in->touch_active = true;
        in->touch_finger = f->fingerId;
        in->touch_down_us = now;
        in->touch_x = f->x;
        in->touch_y = f->y;
        in->touch_travel = 0;
    } else if (!in->touch_active || f->fingerId != in->touch_finger) {
        return;
    }
    View v = view_of(in);
    if (in->cfg.opts.touch_mode == 1) { /* trackpad */
        if (f->type == SDL_FINGERMOTION) {
            in->touch_travel += fabsf(f->dx) + fabsf(f->dy);
            r.type = SKY_REC_MOTION;
            r.u.motion.dx = (int32_t)lroundf(f->dx * v.win_w);
            r.u.motion.dy = (int32_t)lroundf(f->dy * v.win_h);
            push(in, &r);
        } else if (f->type == SDL_FINGERUP) {
            in->touch_active = false;
            if (now - in->touch_down_us < TAP_MAX_US && in->touch_travel < TAP_MAX_TRAVEL) {
                SkyInputRec b = {.type = SKY_REC_BUTTON};
                b.u.button.button = 1;
                b.u.button.down = true;
                push(in, &b);
                b.u.button.down = false;
                push(in, &b);
            }
        }
        return;
    }
    /* Absolute, on a host without touch support: the finger is the pointer and left button. */
    if (video_position(in, f->x * v.win_w, f->y * v.win_h, &r))
        push(in, &r);
    if (f->type == SDL_FINGERMOTION)
        return;
    SkyInputRec b = {.type = SKY_REC_BUTTON};
    b.u.button.button = 1;
    b.u.button.down = f->type == SDL_FINGERDOWN;
    push(in, &b);
    if (f->type == SDL_FINGERUP)
        in->touch_active = false;
}

static void touch_event(SkyInput *in, const SDL_TouchFingerEvent *f)
{
    /* (fractions of the window; a device that reports others is ignored) */
    if (!in->captured || !isfinite(f->x) || !isfinite(f->y) || !isfinite(f->dx) ||
        !isfinite(f->dy) || fabsf(f->dx) > 2 || fabsf(f->dy) > 2)
        return;
    int64_t now = capture_now(in);
    if (in->cfg.opts.touch_mode == 1 || !(in->cfg.host_features & SKY_SS_FF_PEN_TOUCH)) {
        touch_as_mouse(in, f, now);
        return;
    }
    /* Native touch: coordinates within the video, 0..1. */
    View v = view_of(in);
    SkyInputRec r = {.type = SKY_REC_TOUCH, .capture_us = now};
    SkyInputPacket *p = &r.u.packet;
    p->kind = SKY_IN_TOUCH;
    p->u.touch.event = f->type == SDL_FINGERDOWN ? SKY_TOUCH_DOWN
                       : f->type == SDL_FINGERUP ? SKY_TOUCH_UP
                                                 : SKY_TOUCH_MOVE;
    p->u.touch.pointer = (uint32_t)f->fingerId;
    p->u.touch.rotation = SKY_TOUCH_ROTATION_UNKNOWN;
    float vx = v.w > 0 ? (f->x * v.win_w - v.x) / v.w : 0;
    float vy = v.h > 0 ? (f->y * v.win_h - v.y) / v.h : 0;
    p->u.touch.x = vx < 0 ? 0 : vx > 1 ? 1 : vx;
    p->u.touch.y = vy < 0 ? 0 : vy > 1 ? 1 : vy;
    p->u.touch.pressure = isfinite(f->pressure) ? f->pressure : 0;
    push(in, &r);
}

/* ---- Gamepads ---- */

static const uint32_t pad_flag[SDL_CONTROLLER_BUTTON_MAX] = {
    [SDL_CONTROLLER_BUTTON_A] = SKY_PAD_A,
    [SDL_CONTROLLER_BUTTON_B] = SKY_PAD_B,
    [SDL_CONTROLLER_BUTTON_X] = SKY_PAD_X,
    [SDL_CONTROLLER_BUTTON_Y] = SKY_PAD_Y,
    [SDL_CONTROLLER_BUTTON_BACK] = SKY_PAD_BACK,
    [SDL_CONTROLLER_BUTTON_GUIDE] = SKY_PAD_GUIDE,
    [SDL_CONTROLLER_BUTTON_START] = SKY_PAD_START,
    [SDL_CONTROLLER_BUTTON_LEFTSTICK] = SKY_PAD_LS,
    [SDL_CONTROLLER_BUTTON_RIGHTSTICK] = SKY_PAD_RS,
    [SDL_CONTROLLER_BUTTON_LEFTSHOULDER] = SKY_PAD_LB,
    [SDL_CONTROLLER_BUTTON_RIGHTSHOULDER] = SKY_PAD_RB,
    [SDL_CONTROLLER_BUTTON_DPAD_UP] = SKY_PAD_UP,
    [SDL_CONTROLLER_BUTTON_DPAD_DOWN] = SKY_PAD_DOWN,
    [SDL_CONTROLLER_BUTTON_DPAD_LEFT] = SKY_PAD_LEFT,
    [SDL_CONTROLLER_BUTTON_DPAD_RIGHT] = SKY_PAD_RIGHT,
    [SDL_CONTROLLER_BUTTON_MISC1] = SKY_PAD_MISC,
    [SDL_CONTROLLER_BUTTON_PADDLE1] = SKY_PAD_PADDLE1,
    [SDL_CONTROLLER_BUTTON_PADDLE2] = SKY_PAD_PADDLE2,
    [SDL_CONTROLLER_BUTTON_PADDLE3] = SKY_PAD_PADDLE3,
    [SDL_CONTROLLER_BUTTON_PADDLE4] = SKY_PAD_PADDLE4,
    [SDL_CONTROLLER_BUTTON_TOUCHPAD] = SKY_PAD_TOUCHPAD,
};

static uint32_t button_flag(const SkyInput *in, int b)
{
    if (b < 0 || b >= SDL_CONTROLLER_BUTTON_MAX)
        return 0;
    if (in->cfg.opts.swap_ab) {
        if (b == SDL_CONTROLLER_BUTTON_A || b == SDL_CONTROLLER_BUTTON_B)
            b = b == SDL_CONTROLLER_BUTTON_A ? SDL_CONTROLLER_BUTTON_B : SDL_CONTROLLER_BUTTON_A;
        else if (b == SDL_CONTROLLER_BUTTON_X || b == SDL_CONTROLLER_BUTTON_Y)
            b = b == SDL_CONTROLLER_BUTTON_X ? SDL_CONTROLLER_BUTTON_Y : SDL_CONTROLLER_BUTTON_X;
    }
    return pad_flag[b];
}

static Pad *pad_by_id(SkyInput *in, SDL_JoystickID id, int *number)
{
    for (int i = 0; i < SKY_INPUT_MAX_PADS; i++)
        if (in->pads[i].gc && in->pads[i].id == id) {
            *number = i;
            return &in->pads[i];
        }
    return NULL;
}

static uint8_t pad_type(SDL_GameController *gc)
{
    switch (SDL_GameControllerGetType(gc)) {
    case SDL_CONTROLLER_TYPE_XBOX360:
    case SDL_CONTROLLER_TYPE_XBOXONE:
        return SKY_PAD_TYPE_XBOX;
    case SDL_CONTROLLER_TYPE_PS3:
    case SDL_CONTROLLER_TYPE_PS4:
    case SDL_CONTROLLER_TYPE_PS5:
        return SKY_PAD_TYPE_PS;
    case SDL_CONTROLLER_TYPE_NINTENDO_SWITCH_PRO:
#if SDL_VERSION_ATLEAST(2, 24, 0)
    case SDL_CONTROLLER_TYPE_NINTENDO_SWITCH_JOYCON_LEFT:
    case SDL_CONTROLLER_TYPE_NINTENDO_SWITCH_JOYCON_RIGHT:
    case SDL_CONTROLLER_TYPE_NINTENDO_SWITCH_JOYCON_PAIR:
#endif
        return SKY_PAD_TYPE_NINTENDO;
    default:
        return SKY_PAD_TYPE_UNKNOWN;
    }
}

static void battery(SkyInput *in, int number, SDL_JoystickPowerLevel level, int64_t now)
{
    SkyInputRec r = {.type = SKY_REC_PAD_BATTERY, .capture_us = now};
    SkyInputPacket *p = &r.u.packet;
    p->kind = SKY_IN_PAD_BATTERY;
    p->u.battery.number = (uint8_t)number;
    p->u.battery.state = SKY_BATTERY_DISCHARGING;
    switch (level) {
    case SDL_JOYSTICK_POWER_EMPTY:
        p->u.battery.percent = 5;
        break;
    case SDL_JOYSTICK_POWER_LOW:
        p->u.battery.percent = 20;
        break;
    case SDL_JOYSTICK_POWER_MEDIUM:
        p->u.battery.percent = 70;
        break;
    case SDL_JOYSTICK_POWER_FULL:
        p->u.battery.percent = 100;
        break;
    case SDL_JOYSTICK_POWER_WIRED:
        p->u.battery.state = SKY_BATTERY_CHARGING;
        p->u.battery.percent = SKY_BATTERY_PERCENT_UNKNOWN;
        break;
    default:
        return;
    }
    if (in->cfg.sunshine)
        push(in, &r);
}

static void pad_added(SkyInput *in, int device_index)
{
    SDL_JoystickID id = SDL_JoystickGetDeviceInstanceID(device_index);
    int number;
    if (pad_by_id(in, id, &number))
        return; /* already open (SDL announces pads present at start too) */
    for (number = 0; number < SKY_INPUT_MAX_PADS && in->pads[number].gc; number++)
        ;
    if (number == SKY_INPUT_MAX_PADS) {
        SKY_LOGW(TAG, "a 17th game controller is ignored (the host takes 16)");
        return;
    }
    SDL_GameController *gc = SDL_GameControllerOpen(device_index);
    if (!gc) {
        SKY_LOGW(TAG, "cannot open game controller %d: %s", device_index, SDL_GetError());
        return;
    }
    Pad *pad = &in->pads[number];
    memset(pad, 0, sizeof(*pad));
    pad->gc = gc;
    pad->id = id;
    SkyInputRec r = {.type = SKY_REC_PAD_ADD};
    r.u.pad.number = (uint8_t)number;
    SkyInputPacket *a = &r.u.pad.arrival;
    a->kind = SKY_IN_PAD_ARRIVAL;
    a->u.arrival.number = (uint8_t)number;
    a->u.arrival.type = pad_type(gc);
    uint16_t caps = 0;
    if (a->u.arrival.type != SKY_PAD_TYPE_NINTENDO) /* Switch triggers are buttons */
        caps |= SKY_PAD_CAP_ANALOG_TRIGGERS;
    if (SDL_GameControllerHasRumble(gc))
        caps |= SKY_PAD_CAP_RUMBLE;
    if (SDL_GameControllerHasRumbleTriggers(gc))
        caps |= SKY_PAD_CAP_TRIGGER_RUMBLE;
    if (SDL_GameControllerGetNumTouchpads(gc) > 0)
        caps |= SKY_PAD_CAP_TOUCHPAD;
    if (SDL_GameControllerHasSensor(gc, SDL_SENSOR_ACCEL))
        caps |= SKY_PAD_CAP_ACCEL;
    if (SDL_GameControllerHasSensor(gc, SDL_SENSOR_GYRO))
        caps |= SKY_PAD_CAP_GYRO;
    if (SDL_GameControllerHasLED(gc))
        caps |= SKY_PAD_CAP_RGB_LED;
    SDL_JoystickPowerLevel power = SDL_JoystickCurrentPowerLevel(SDL_GameControllerGetJoystick(gc));
    if (power != SDL_JOYSTICK_POWER_UNKNOWN)
        caps |= SKY_PAD_CAP_BATTERY;
    a->u.arrival.capabilities = caps;
    for (int b = 0; b < SDL_CONTROLLER_BUTTON_MAX; b++)
        if (SDL_GameControllerHasButton(gc, (SDL_GameControllerButton)b))
            a->u.arrival.supported_buttons |= button_flag(in, b);
    pad->state.type = SKY_REC_PAD_STATE;
    pad->state.u.pad.number = (uint8_t)number;
    push(in, &r);
    static const char *type_names[] = {"unknown type", "Xbox", "PlayStation", "Nintendo"};
    char caps_text[128];
    snprintf(caps_text, sizeof(caps_text), "%s%s%s%s%s%s%s",
             caps & SKY_PAD_CAP_RUMBLE ? ", rumble" : "",
             caps & SKY_PAD_CAP_TRIGGER_RUMBLE ? ", trigger rumble" : "",
             caps & SKY_PAD_CAP_TOUCHPAD ? ", touchpad" : "",
             caps & SKY_PAD_CAP_GYRO ? ", gyro" : "", caps & SKY_PAD_CAP_ACCEL ? ", accel" : "",
             caps & SKY_PAD_CAP_RGB_LED ? ", LED" : "",
             caps & SKY_PAD_CAP_BATTERY ? ", battery" : "");
    SKY_LOGI(TAG, "gamepad %d attached: %s (%s%s)%s", number,
             SDL_GameControllerName(gc) ? SDL_GameControllerName(gc) : "unnamed",
             type_names[a->u.arrival.type], caps_text,
             in->cfg.opts.swap_ab ? ", A/B and X/Y swapped" : "");
    if (caps & SKY_PAD_CAP_BATTERY)
        battery(in, number, power, capture_now(in));
}

static void pad_removed(SkyInput *in, SDL_JoystickID id)
{
    int number;
    Pad *pad = pad_by_id(in, id, &number);
    if (!pad)
        return;
    SKY_LOGI(TAG, "gamepad %d detached", number);
    SDL_GameControllerClose(pad->gc);
    memset(pad, 0, sizeof(*pad));
    SkyInputRec r = {.type = SKY_REC_PAD_REMOVE};
    r.u.pad.number = (uint8_t)number;
    push(in, &r);
}

static int16_t invert_axis(int16_t v)
{
    return v == INT16_MIN ? INT16_MAX : (int16_t)-v;
}

static void pad_input(SkyInput *in, const SDL_Event *ev)
{
    int number;
    SDL_JoystickID id = ev->type == SDL_CONTROLLERAXISMOTION ? ev->caxis.which : ev->cbutton.which;
    Pad *pad = pad_by_id(in, id, &number);
    if (!pad)
        return;
    SkyInputRec r = pad->state;
    if (ev->type == SDL_CONTROLLERAXISMOTION) {
        int16_t v = ev->caxis.value;
        uint8_t trig = (uint8_t)(v <= 0 ? 0 : (uint32_t)v * 255u / 32767u);
        switch (ev->caxis.axis) {
        case SDL_CONTROLLER_AXIS_LEFTX:
            r.u.pad.ls_x = v;
            break;
        case SDL_CONTROLLER_AXIS_LEFTY:
            r.u.pad.ls_y = invert_axis(v); /* SDL: + down; the host: + up */
            break;
        case SDL_CONTROLLER_AXIS_RIGHTX:
            r.u.pad.rs_x = v;
            break;
        case SDL_CONTROLLER_AXIS_RIGHTY:
            r.u.pad.rs_y = invert_axis(v);
            break;
        case SDL_CONTROLLER_AXIS_TRIGGERLEFT:
            r.u.pad.left_trigger = trig;
            break;
        case SDL_CONTROLLER_AXIS_TRIGGERRIGHT:
            r.u.pad.right_trigger = trig;
            break;
        default:
            return;
        }
    } else {
        uint32_t flag = button_flag(in, ev->cbutton.button);
        if (ev->type == SDL_CONTROLLERBUTTONDOWN)
            r.u.pad.buttons |= flag;
        else
            r.u.pad.buttons &= ~flag;
    }
    const SkyInputRec *o = &pad->state;
    if (r.u.pad.buttons == o->u.pad.buttons && r.u.pad.left_trigger == o->u.pad.left_trigger &&
        r.u.pad.right_trigger == o->u.pad.right_trigger && r.u.pad.ls_x == o->u.pad.ls_x &&
        r.u.pad.ls_y == o->u.pad.ls_y && r.u.pad.rs_x == o->u.pad.rs_x &&
        r.u.pad.rs_y == o->u.pad.rs_y)
        return; /* nothing the host sees changed (fields compared: padding is not state) */
    pad->state = r;
    r.capture_us = 0;
    push(in, &r);
}

static void pad_touchpad(SkyInput *in, const SDL_ControllerTouchpadEvent *t)
{
    int number;
    if (!(in->cfg.host_features & SKY_SS_FF_CONTROLLER_TOUCH) || !pad_by_id(in, t->which, &number))
        return;
    SkyInputRec r = {.type = SKY_REC_PAD_TOUCH};
    SkyInputPacket *p = &r.u.packet;
    p->kind = SKY_IN_PAD_TOUCH;
    p->u.pad_touch.number = (uint8_t)number;
    p->u.pad_touch.event = t->type == SDL_CONTROLLERTOUCHPADDOWN ? SKY_TOUCH_DOWN
                           : t->type == SDL_CONTROLLERTOUCHPADUP ? SKY_TOUCH_UP
                                                                 : SKY_TOUCH_MOVE;
    p->u.pad_touch.touchpad = (uint8_t)t->touchpad;
    p->u.pad_touch.pointer = (uint32_t)t->finger;
    p->u.pad_touch.x = isfinite(t->x) ? t->x : 0;
    p->u.pad_touch.y = isfinite(t->y) ? t->y : 0;
    p->u.pad_touch.pressure = isfinite(t->pressure) ? t->pressure : 0;
    push(in, &r);
}

static void pad_sensor(SkyInput *in, const SDL_ControllerSensorEvent *s)
{
    int number;
    Pad *pad = pad_by_id(in, s->which, &number);
    if (!pad || (s->sensor != SDL_SENSOR_ACCEL && s->sensor != SDL_SENSOR_GYRO))
        return;
    int k = s->sensor == SDL_SENSOR_ACCEL ? 0 : 1;
    int64_t now = capture_now(in);
    uint16_t rate = pad->motion_rate_hz[k];
    if (rate == 0 || now - pad->motion_last_us[k] < 1000000 / rate)
        return; /* not asked for, or faster than the host asked */
    pad->motion_last_us[k] = now;
    SkyInputRec r = {.type = SKY_REC_PAD_MOTION, .capture_us = now};
    SkyInputPacket *p = &r.u.packet;
    p->kind = SKY_IN_PAD_MOTION;
    p->u.motion.number = (uint8_t)number;
    p->u.motion.type = k == 0 ? SKY_MOTION_ACCEL : SKY_MOTION_GYRO;
    float scale = k == 0 ? 1.0f : RAD_TO_DEG; /* SDL: m/s^2 and rad/s; the host: deg/s */
    p->u.motion.x = s->data[0] * scale;
    p->u.motion.y = s->data[1] * scale;
    p->u.motion.z = s->data[2] * scale;
    if (isfinite(p->u.motion.x) && isfinite(p->u.motion.y) && isfinite(p->u.motion.z))
        push(in, &r);
}

/* ---- The host's feedback (rumble, LEDs, motion requests) ---- */

static Pad *pad_by_number(SkyInput *in, uint16_t number)
{
    return number < SKY_INPUT_MAX_PADS && in->pads[number].gc ? &in->pads[number] : NULL;
}

static void apply_feedback(SkyInput *in, const SkyControlHostMsg *m)
{
    Pad *pad;
    switch (m->kind) {
    case SKY_CONTROL_HOST_RUMBLE:
        if ((pad = pad_by_number(in, m->u.rumble.controller)))
            /* Duration 0: until the host changes it, as the protocol means. */
            SDL_GameControllerRumble(pad->gc, m->u.rumble.low_freq, m->u.rumble.high_freq, 0);
        break;
    case SKY_CONTROL_HOST_RUMBLE_TRIGGERS:
        if ((pad = pad_by_number(in, m->u.trigger_rumble.controller)))
            SDL_GameControllerRumbleTriggers(pad->gc, m->u.trigger_rumble.left,
                                             m->u.trigger_rumble.right, 0);
        break;
    case SKY_CONTROL_HOST_SET_LED:
        if ((pad = pad_by_number(in, m->u.led.controller)))
            SDL_GameControllerSetLED(pad->gc, m->u.led.r, m->u.led.g, m->u.led.b);
        break;
    case SKY_CONTROL_HOST_MOTION_EVENT: {
        const SkyControlMotionState *ms = &m->u.motion;
        if (!(pad = pad_by_number(in, ms->controller)) ||
            (ms->motion_type != SKY_MOTION_ACCEL && ms->motion_type != SKY_MOTION_GYRO))
            break;
        int k = ms->motion_type == SKY_MOTION_ACCEL ? 0 : 1;
        SDL_SensorType st = k == 0 ? SDL_SENSOR_ACCEL : SDL_SENSOR_GYRO;
        pad->motion_rate_hz[k] = ms->report_rate_hz;
        pad->motion_last_us[k] = 0;
        if (SDL_GameControllerHasSensor(pad->gc, st))
            SDL_GameControllerSetSensorEnabled(pad->gc, st, ms->report_rate_hz ? SDL_TRUE
                                                                               : SDL_FALSE);
        SKY_LOGV(TAG, "gamepad %u: %s reports %s%.0u Hz", ms->controller,
                 k == 0 ? "accelerometer" : "gyro", ms->report_rate_hz ? "at " : "off",
                 ms->report_rate_hz);
        break;
    }
    default:
        SKY_LOGV(TAG, "adaptive trigger effects are not supported; ignored");
        break;
    }
}

void sky_input_toggle_mouse_mode(SkyInput *in)
{
    in->absolute = !in->absolute;
    SKY_LOGI(TAG, "mouse mode: %s", in->absolute ? "absolute" : "relative");
    apply_capture(in);
}

void sky_input_suspend(SkyInput *in, bool suspend)
{
    if (in->suspended == suspend)
        return;
    in->suspended = suspend;
    if (!suspend)
        return;
    push_type(in, SKY_REC_RELEASE_ALL);
    for (int i = 0; i < SKY_INPUT_MAX_PADS; i++) {
        Pad *pad = &in->pads[i];
        SkyInputRec rest = {.type = SKY_REC_PAD_STATE};
        rest.u.pad.number = (uint8_t)i;
        const SkyInputRec *o = &pad->state;
        if (!pad->gc || (o->u.pad.buttons == 0 && o->u.pad.left_trigger == 0 &&
                         o->u.pad.right_trigger == 0 && o->u.pad.ls_x == 0 &&
                         o->u.pad.ls_y == 0 && o->u.pad.rs_x == 0 && o->u.pad.rs_y == 0))
            continue; /* at rest already (fields compared: padding is not state) */
        pad->state = rest;
        push(in, &rest);
    }
}

bool sky_input_suspended(const SkyInput *in)
{
    return in->suspended;
}

bool sky_input_mouse_absolute(const SkyInput *in)
{
    return in->absolute;
}

void sky_input_window_changed(SkyInput *in)
{
    apply_capture(in);
}

void sky_input_take_feedback(SkyInput *in)
{
    SkyControlHostMsg m;
    while (sky_feedback_take_host_message(in->cfg.feedback, &m))
        apply_feedback(in, &m);
}

/* ---- Events ---- */

/* What a suspended SkyInput still reads: keys (for the shortcuts; a key-up of a key the host
 * holds is dropped by the input thread, which lifted it), pads coming and going, the window. */
static bool read_while_suspended(Uint32 type)
{
    switch (type) {
    case SDL_KEYDOWN:
    case SDL_KEYUP:
    case SDL_CONTROLLERDEVICEADDED:
    case SDL_CONTROLLERDEVICEREMOVED:
    case SDL_JOYBATTERYUPDATED:
    case SDL_WINDOWEVENT:
        return true;
    default:
        return false;
    }
}

static SkyShortcut handle_event(SkyInput *in, const SDL_Event *ev)
{
    if (ev->type != SDL_TEXTINPUT)
        in->text_from_key = false;
    if (in->suspended && !read_while_suspended(ev->type))
        return SKY_SHORTCUT_NONE;
    switch (ev->type) {
    case SDL_KEYDOWN:
    case SDL_KEYUP:
        return key_event(in, &ev->key);
    case SDL_TEXTINPUT:
        text_event(in, &ev->text);
        break;
    case SDL_MOUSEMOTION:
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
    case SDL_MOUSEWHEEL:
        /* Touch is handled as touch; SDL's mouse copies of it are not sent twice. */
        if (ev->motion.which != SDL_TOUCH_MOUSEID)
            mouse_event(in, ev);
        break;
    case SDL_FINGERDOWN:
    case SDL_FINGERUP:
    case SDL_FINGERMOTION:
        touch_event(in, &ev->tfinger);
        break;
    case SDL_CONTROLLERDEVICEADDED:
        if (in->gc_subsystem)
            pad_added(in, ev->cdevice.which);
        break;
    case SDL_CONTROLLERDEVICEREMOVED:
        pad_removed(in, ev->cdevice.which);
        break;
    case SDL_CONTROLLERBUTTONDOWN:
    case SDL_CONTROLLERBUTTONUP:
    case SDL_CONTROLLERAXISMOTION:
        pad_input(in, ev);
        break;
    case SDL_CONTROLLERTOUCHPADDOWN:
    case SDL_CONTROLLERTOUCHPADMOTION:
    case SDL_CONTROLLERTOUCHPADUP:
        pad_touchpad(in, &ev->ctouchpad);
        break;
    case SDL_CONTROLLERSENSORUPDATE:
        pad_sensor(in, &ev->csensor);
        break;
    case SDL_JOYBATTERYUPDATED: {
        int number;
        if (pad_by_id(in, ev->jbattery.which, &number))
            battery(in, number, ev->jbattery.level, capture_now(in));
        break;
    }
    case SDL_WINDOWEVENT:
        if (ev->window.event == SDL_WINDOWEVENT_FOCUS_LOST)
            push_type(in, SKY_REC_RELEASE_ALL); /* no key stays held on the host */
        else if (ev->window.event == SDL_WINDOWEVENT_FOCUS_GAINED ||
                 ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
            apply_capture(in); /* fullscreen may have changed */
        break;
    default:
        break;
    }
    return SKY_SHORTCUT_NONE;
}

SkyShortcut sky_input_event(SkyInput *in, const SDL_Event *ev)
{
    in->event_us = event_time_us(ev);
    SkyShortcut sc = handle_event(in, ev);
    in->event_us = 0;
    return sc;
}

int sky_input_create(SkyInput **out, const SkyInputCfg *cfg)
{
    *out = NULL;
    SkyInput *in = calloc(1, sizeof(*in));
    if (!in)
        return SKY_ERR(ENOMEM);
    in->cfg = *cfg;
    in->captured = true;
    in->absolute = cfg->opts.mouse_mode == 1;
    SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "0");
    SDL_SetHint(SDL_HINT_JOYSTICK_ALLOW_BACKGROUND_EVENTS, "1");
    SkyInputSenderCfg sc = {cfg->control, cfg->sunshine};
    int ret = sky_input_sender_create(&in->sender, &sc);
    if (ret == 0 && cfg->opts.gamepads) {
        /* Hints, the subsystem, the user's mappings (client/input/pads.h); pads present now
         * arrive as DEVICEADDED events. No config directory: SDL's mappings alone. */
        char config_dir[4096];
        bool have_dir = sky_config_dir(config_dir, sizeof(config_dir)) == 0;
        in->gc_subsystem = sky_pads_open(have_dir ? config_dir : NULL) == 0;
    }
    if (ret < 0) {
        sky_input_destroy(&in);
        return ret;
    }
    if (cfg->window)
        SDL_StartTextInput();
    apply_capture(in);
    *out = in;
    return 0;
}

void sky_input_destroy(SkyInput **pin)
{
    SkyInput *in = *pin;
    if (!in)
        return;
    if (in->sender) {
        push_type(in, SKY_REC_RELEASE_ALL);
        sky_input_sender_destroy(&in->sender);
    }
    for (int i = 0; i < SKY_INPUT_MAX_PADS; i++)
        if (in->pads[i].gc)
            SDL_GameControllerClose(in->pads[i].gc);
    if (in->gc_subsystem)
        sky_pads_close();
    if (in->cfg.window) {
        SDL_SetRelativeMouseMode(SDL_FALSE);
        SDL_SetWindowKeyboardGrab(in->cfg.window, SDL_FALSE);
        SDL_ShowCursor(SDL_ENABLE);
    }
    free(in);
    *pin = NULL;
}

void sky_input_stats(SkyInput *in, SkyInputSenderStats *out)
{
    sky_input_sender_stats(in->sender, out);
}

/* GameStream input packets: what the client sends inside control message 0x0206 (keyboard,
 * text, mouse, scroll, gamepads, touch), built from one decoded form, and the map from physical
 * keys to the key codes the host expects. Pure: no SDL, no sockets, no allocation.
 * docs/protocol.md "Input" has the overview. The host side, parsing packets back into the
 * decoded form, is the test host's (tests/host/proto/input_parse.h).
 *
 * Every packet is BE32 size (the bytes after this field), LE32 magic, then the body. Field byte
 * orders differ by packet, as GFE defined them and Sunshine kept them: mouse coordinates and
 * scroll amounts are big-endian, key codes and gamepad fields little-endian, Sunshine's newer
 * packets (0x55xxxxxx) little-endian with IEEE floats. */
#ifndef SKY_COMMON_INPUT_H
#define SKY_COMMON_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/error.h"

/* Magics (LE32 after the size). */
#define SKY_INPUT_KEY_DOWN 0x00000003u
#define SKY_INPUT_KEY_UP 0x00000004u
#define SKY_INPUT_MOUSE_ABS 0x00000005u
#define SKY_INPUT_MOUSE_REL 0x00000007u   /* the Gen 5+ magic (0x06 before) */
#define SKY_INPUT_MOUSE_DOWN 0x00000008u
#define SKY_INPUT_MOUSE_UP 0x00000009u
#define SKY_INPUT_SCROLL 0x0000000Au      /* Gen 5+ */
#define SKY_INPUT_MULTI_CONTROLLER 0x0000000Cu /* Gen 5+ */
#define SKY_INPUT_HAPTICS 0x0000000Du     /* "enable haptics", sent once at the start */
#define SKY_INPUT_UTF8 0x00000017u
#define SKY_INPUT_HSCROLL 0x55000001u
#define SKY_INPUT_TOUCH 0x55000002u
#define SKY_INPUT_PEN 0x55000003u
#define SKY_INPUT_CONTROLLER_ARRIVAL 0x55000004u
#define SKY_INPUT_CONTROLLER_TOUCH 0x55000005u
#define SKY_INPUT_CONTROLLER_MOTION 0x55000006u
#define SKY_INPUT_CONTROLLER_BATTERY 0x55000007u

/* The longest packet we build (UTF-8 text: 8 + 32). */
#define SKY_INPUT_MAX_PACKET 64
#define SKY_INPUT_TEXT_MAX 32
/* One wheel notch, in high-resolution scroll units (Windows' WHEEL_DELTA). */
#define SKY_INPUT_WHEEL_DELTA 120
/* Gamepads the protocol can address (activeGamepadMask has 16 bits). */
#define SKY_INPUT_MAX_PADS 16

/* Keyboard modifiers (the packet's modifier byte). */
#define SKY_INPUT_MOD_SHIFT 0x01
#define SKY_INPUT_MOD_CTRL 0x02
#define SKY_INPUT_MOD_ALT 0x04
#define SKY_INPUT_MOD_META 0x08
/* Keyboard flags (Sunshine): the key code is the host layout's, not a US-layout position. */
#define SKY_INPUT_KEY_NON_NORMALIZED 0x01

/* Mouse buttons: 1 left, 2 middle, 3 right, 4 back (X1), 5 forward (X2). */
#define SKY_INPUT_BUTTON_MAX 5

/* Gamepad buttons (buttonFlags low 16 bits, buttonFlags2 the high ones). */
#define SKY_PAD_UP 0x0001u
#define SKY_PAD_DOWN 0x0002u
#define SKY_PAD_LEFT 0x0004u
#define SKY_PAD_RIGHT 0x0008u
#define SKY_PAD_START 0x0010u
#define SKY_PAD_BACK 0x0020u
#define SKY_PAD_LS 0x0040u
#define SKY_PAD_RS 0x0080u
#define SKY_PAD_LB 0x0100u
#define SKY_PAD_RB 0x0200u
#define SKY_PAD_GUIDE 0x0400u
#define SKY_PAD_A 0x1000u
#define SKY_PAD_B 0x2000u
#define SKY_PAD_X 0x4000u
#define SKY_PAD_Y 0x8000u
#define SKY_PAD_PADDLE1 0x010000u
#define SKY_PAD_PADDLE2 0x020000u
#define SKY_PAD_PADDLE3 0x040000u
#define SKY_PAD_PADDLE4 0x080000u
#define SKY_PAD_TOUCHPAD 0x100000u /* the touchpad's click */
#define SKY_PAD_MISC 0x200000u     /* share / capture / mute */

/* Gamepad types and capabilities (arrival packet). */
#define SKY_PAD_TYPE_UNKNOWN 0
#define SKY_PAD_TYPE_XBOX 1
#define SKY_PAD_TYPE_PS 2
#define SKY_PAD_TYPE_NINTENDO 3
#define SKY_PAD_CAP_ANALOG_TRIGGERS 0x01
#define SKY_PAD_CAP_RUMBLE 0x02
#define SKY_PAD_CAP_TRIGGER_RUMBLE 0x04
#define SKY_PAD_CAP_TOUCHPAD 0x08
#define SKY_PAD_CAP_ACCEL 0x10
#define SKY_PAD_CAP_GYRO 0x20
#define SKY_PAD_CAP_BATTERY 0x40
#define SKY_PAD_CAP_RGB_LED 0x80

#define SKY_MOTION_ACCEL 1 /* m/s^2 */
#define SKY_MOTION_GYRO 2  /* degrees/s */

#define SKY_BATTERY_UNKNOWN 0
#define SKY_BATTERY_NOT_PRESENT 1
#define SKY_BATTERY_DISCHARGING 2
#define SKY_BATTERY_CHARGING 3
#define SKY_BATTERY_NOT_CHARGING 4
#define SKY_BATTERY_FULL 5
#define SKY_BATTERY_PERCENT_UNKNOWN 0xFF

/* Touch event types (touch and gamepad touchpad packets). */
#define SKY_TOUCH_HOVER 0
#define SKY_TOUCH_DOWN 1
#define SKY_TOUCH_UP 2
#define SKY_TOUCH_MOVE 3
#define SKY_TOUCH_CANCEL 4
#define SKY_TOUCH_ROTATION_UNKNOWN 0xFFFF

typedef enum SkyInputKind {
    SKY_IN_UNKNOWN = 0,
    SKY_IN_KEY,
    SKY_IN_TEXT,
    SKY_IN_MOUSE_REL,
    SKY_IN_MOUSE_ABS,
    SKY_IN_MOUSE_BUTTON,
    SKY_IN_SCROLL,
    SKY_IN_HSCROLL,
    SKY_IN_PAD,
    SKY_IN_PAD_ARRIVAL,
    SKY_IN_PAD_TOUCH,
    SKY_IN_PAD_MOTION,
    SKY_IN_PAD_BATTERY,
    SKY_IN_TOUCH,
    SKY_IN_HAPTICS,
} SkyInputKind;

/* One input packet, decoded. */
typedef struct SkyInputPacket {
    SkyInputKind kind;
    uint32_t magic;
    union {
        struct {
            bool down;
            uint16_t code;     /* 0x8000 | Windows virtual-key code, as Moonlight sends */
            uint8_t modifiers; /* SKY_INPUT_MOD_* */
            uint8_t flags;     /* SKY_INPUT_KEY_* */
        } key;
        struct {
            char utf8[SKY_INPUT_TEXT_MAX + 1]; /* NUL-terminated; 1 to 32 bytes on the wire */
        } text;
        struct {
            int16_t dx, dy;
        } rel;
        struct {
            int16_t x, y;
            int16_t width, height; /* the reference size x and y are within (minus one) */
        } abs;
        struct {
            bool down;
            uint8_t button; /* 1..5 */
        } button;
        struct {
            int16_t amount; /* + up / right; SKY_INPUT_WHEEL_DELTA per notch */
        } scroll;
        struct {
            uint8_t number;     /* 0..15 */
            uint16_t active_mask;
            uint32_t buttons;   /* SKY_PAD_* */
            uint8_t left_trigger, right_trigger;
            int16_t ls_x, ls_y, rs_x, rs_y; /* + right / up */
        } pad;
        struct {
            uint8_t number;
            uint8_t type;          /* SKY_PAD_TYPE_* */
            uint16_t capabilities; /* SKY_PAD_CAP_* */
            uint32_t supported_buttons;
        } arrival;
        struct {
            uint8_t number;
            uint8_t event;         /* SKY_TOUCH_* */
            uint8_t touchpad;
            uint32_t pointer;
            float x, y, pressure;  /* 0..1 */
        } pad_touch;
        struct {
            uint8_t number;
            uint8_t type;          /* SKY_MOTION_* */
            float x, y, z;
        } motion;
        struct {
            uint8_t number;
            uint8_t state;         /* SKY_BATTERY_* */
            uint8_t percent;       /* 0..100, or SKY_BATTERY_PERCENT_UNKNOWN */
        } battery;
        struct {
            uint8_t event;         /* SKY_TOUCH_* */
            uint16_t rotation;     /* degrees, or SKY_TOUCH_ROTATION_UNKNOWN */
            uint32_t pointer;
            float x, y;            /* 0..1 within the video */
            float pressure, contact_major, contact_minor;
        } touch;
        struct {
            uint16_t enable;
        } haptics;
    } u;
} SkyInputPacket;

/* Builds one packet into out[cap]. Returns 0 with *out_len set, SKY_ERR(E2BIG) if cap is too
 * small, SKY_ERR(EINVAL) for a kind we do not build or a field out of range (a mouse button
 * outside 1..5, a pad number past 15, text empty or longer than 32 bytes, a NaN float). */
int sky_input_build(const SkyInputPacket *p, uint8_t *out, size_t cap, size_t *out_len);

/* True if pkt is framed as one packet: a BE32 size equal to the bytes after it, then at least
 * the LE32 magic. What the control stream checks before it carries a packet either way. */
bool sky_input_well_formed(const uint8_t *pkt, size_t len);

/* The Windows virtual-key code (US layout) for the key at a physical position, given as a USB
 * HID keyboard usage (what SDL scancodes are). 0 for keys the host has no code for. */
uint8_t sky_input_vk_from_usage(uint32_t usage);

/* Relative mouse motion, batched: motion is added as it comes and sent at most once per
 * interval; anything else that goes to the host must take the pending motion first, so nothing
 * is reordered. */
typedef struct SkyMotionBatch {
    int64_t interval_us;
    int64_t last_sent_us; /* INT64_MIN: nothing sent yet */
    int32_t dx, dy;       /* pending */
    int64_t first_capture_us; /* the oldest pending motion's capture time */
} SkyMotionBatch;

void sky_motion_batch_init(SkyMotionBatch *b, int64_t interval_us);
void sky_motion_batch_add(SkyMotionBatch *b, int32_t dx, int32_t dy, int64_t capture_us);
bool sky_motion_batch_pending(const SkyMotionBatch *b);
/* When the pending motion may go (INT64_MAX: none pending). */
int64_t sky_motion_batch_due_us(const SkyMotionBatch *b);
/* Takes up to one packet's worth (each axis clamped to int16; the rest stays pending) and
 * notes now_us as the send time. Returns false if nothing is pending. */
bool sky_motion_batch_take(SkyMotionBatch *b, int64_t now_us, int16_t *dx, int16_t *dy,
                           int64_t *capture_us);

#endif

/* GameStream input packets, the client side: building them, the key map, motion batching
 * (input.h). */
#include "common/proto/input.h"

#include <math.h>
#include <string.h>

#include "common/core/bytes.h"

/* Fixed words of the multi-controller packet. */
#define MC_HEADER_B 0x001A
#define MC_MID_B 0x0014
#define MC_TAIL_A 0x009C
#define MC_TAIL_B 0x0055

/* ---- Building ---- */

static bool finite3(float a, float b, float c)
{
    return isfinite(a) && isfinite(b) && isfinite(c);
}

/* Body length by kind (the bytes after the magic); 0 for kinds we do not build. */
static size_t body_len(const SkyInputPacket *p)
{
    switch (p->kind) {
    case SKY_IN_KEY:
        return 6;
    case SKY_IN_TEXT:
        return strnlen(p->u.text.utf8, SKY_INPUT_TEXT_MAX + 1);
    case SKY_IN_MOUSE_REL:
        return 4;
    case SKY_IN_MOUSE_ABS:
        return 10;
    case SKY_IN_MOUSE_BUTTON:
        return 1;
    case SKY_IN_SCROLL:
        return 6;
    case SKY_IN_HSCROLL:
        return 2;
    case SKY_IN_PAD:
        return 26;
    case SKY_IN_PAD_ARRIVAL:
        return 8;
    case SKY_IN_PAD_TOUCH:
        return 20;
    case SKY_IN_PAD_MOTION:
        return 16;
    case SKY_IN_PAD_BATTERY:
        return 4;
    case SKY_IN_TOUCH:
        return 28;
    case SKY_IN_HAPTICS:
        return 2;
    default:
        return 0;
    }
}

static uint32_t magic_of(const SkyInputPacket *p)
{
    switch (p->kind) {
    case SKY_IN_KEY:
        return p->u.key.down ? SKY_INPUT_KEY_DOWN : SKY_INPUT_KEY_UP;
    case SKY_IN_TEXT:
        return SKY_INPUT_UTF8;
    case SKY_IN_MOUSE_REL:
        return SKY_INPUT_MOUSE_REL;
    case SKY_IN_MOUSE_ABS:
        return SKY_INPUT_MOUSE_ABS;
    case SKY_IN_MOUSE_BUTTON:
        return p->u.button.down ? SKY_INPUT_MOUSE_DOWN : SKY_INPUT_MOUSE_UP;
    case SKY_IN_SCROLL:
        return SKY_INPUT_SCROLL;
    case SKY_IN_HSCROLL:
        return SKY_INPUT_HSCROLL;
    case SKY_IN_PAD:
        return SKY_INPUT_MULTI_CONTROLLER;
    case SKY_IN_PAD_ARRIVAL:
        return SKY_INPUT_CONTROLLER_ARRIVAL;
    case SKY_IN_PAD_TOUCH:
        return SKY_INPUT_CONTROLLER_TOUCH;
    case SKY_IN_PAD_MOTION:
        return SKY_INPUT_CONTROLLER_MOTION;
    case SKY_IN_PAD_BATTERY:
        return SKY_INPUT_CONTROLLER_BATTERY;
    case SKY_IN_TOUCH:
        return SKY_INPUT_TOUCH;
    case SKY_IN_HAPTICS:
        return SKY_INPUT_HAPTICS;
    default:
        return 0;
    }
}

static bool valid_for_build(const SkyInputPacket *p)
{
    switch (p->kind) {
    case SKY_IN_TEXT: {
        size_t n = strnlen(p->u.text.utf8, SKY_INPUT_TEXT_MAX + 1);
        return n >= 1 && n <= SKY_INPUT_TEXT_MAX;
    }
    case SKY_IN_MOUSE_BUTTON:
        return p->u.button.button >= 1 && p->u.button.button <= SKY_INPUT_BUTTON_MAX;
    case SKY_IN_PAD:
        return p->u.pad.number < SKY_INPUT_MAX_PADS;
    case SKY_IN_PAD_ARRIVAL:
        return p->u.arrival.number < SKY_INPUT_MAX_PADS;
    case SKY_IN_PAD_TOUCH:
        return p->u.pad_touch.number < SKY_INPUT_MAX_PADS &&
               finite3(p->u.pad_touch.x, p->u.pad_touch.y, p->u.pad_touch.pressure);
    case SKY_IN_PAD_MOTION:
        return p->u.motion.number < SKY_INPUT_MAX_PADS &&
               (p->u.motion.type == SKY_MOTION_ACCEL || p->u.motion.type == SKY_MOTION_GYRO) &&
               finite3(p->u.motion.x, p->u.motion.y, p->u.motion.z);
    case SKY_IN_PAD_BATTERY:
        return p->u.battery.number < SKY_INPUT_MAX_PADS;
    case SKY_IN_TOUCH:
        return finite3(p->u.touch.x, p->u.touch.y, p->u.touch.pressure) &&
               finite3(p->u.touch.contact_major, p->u.touch.contact_minor, 0.0f);
    default:
        return body_len(p) > 0;
    }
}

static void write_body(SkyWriter *wr, const SkyInputPacket *p)
{
    switch (p->kind) {
    case SKY_IN_KEY:
        sky_wr_u8(wr, p->u.key.flags);
        sky_wr_u16le(wr, p->u.key.code);
        sky_wr_u8(wr, p->u.key.modifiers);
        sky_wr_u16le(wr, 0);
        break;
    case SKY_IN_TEXT:
        sky_wr_bytes(wr, p->u.text.utf8, strlen(p->u.text.utf8));
        break;
    case SKY_IN_MOUSE_REL:
        sky_wr_u16be(wr, (uint16_t)p->u.rel.dx);
        sky_wr_u16be(wr, (uint16_t)p->u.rel.dy);
        break;
    case SKY_IN_MOUSE_ABS:
        sky_wr_u16be(wr, (uint16_t)p->u.abs.x);
        sky_wr_u16be(wr, (uint16_t)p->u.abs.y);
        sky_wr_u16be(wr, 0);
        sky_wr_u16be(wr, (uint16_t)p->u.abs.width);
        sky_wr_u16be(wr, (uint16_t)p->u.abs.height);
        break;
    case SKY_IN_MOUSE_BUTTON:
        sky_wr_u8(wr, p->u.button.button);
        break;
    case SKY_IN_SCROLL:
        /* The amount twice, then zero (GFE's layout). */
        sky_wr_u16be(wr, (uint16_t)p->u.scroll.amount);
        sky_wr_u16be(wr, (uint16_t)p->u.scroll.amount);
        sky_wr_u16be(wr, 0);
        break;
    case SKY_IN_HSCROLL:
        sky_wr_u16be(wr, (uint16_t)p->u.scroll.amount);
        break;
    case SKY_IN_PAD:
        sky_wr_u16le(wr, MC_HEADER_B);
        sky_wr_u16le(wr, p->u.pad.number);
        sky_wr_u16le(wr, p->u.pad.active_mask);
        sky_wr_u16le(wr, MC_MID_B);
        sky_wr_u16le(wr, (uint16_t)(p->u.pad.buttons & 0xFFFF));
        sky_wr_u8(wr, p->u.pad.left_trigger);
        sky_wr_u8(wr, p->u.pad.right_trigger);
        sky_wr_u16le(wr, (uint16_t)p->u.pad.ls_x);
        sky_wr_u16le(wr, (uint16_t)p->u.pad.ls_y);
        sky_wr_u16le(wr, (uint16_t)p->u.pad.rs_x);
        sky_wr_u16le(wr, (uint16_t)p->u.pad.rs_y);
        sky_wr_u16le(wr, MC_TAIL_A);
        sky_wr_u16le(wr, (uint16_t)(p->u.pad.buttons >> 16));
        sky_wr_u16le(wr, MC_TAIL_B);
        break;
    case SKY_IN_PAD_ARRIVAL:
        sky_wr_u8(wr, p->u.arrival.number);
        sky_wr_u8(wr, p->u.arrival.type);
        sky_wr_u16le(wr, p->u.arrival.capabilities);
        sky_wr_u32le(wr, p->u.arrival.supported_buttons);
        break;
    case SKY_IN_PAD_TOUCH:
        sky_wr_u8(wr, p->u.pad_touch.number);
        sky_wr_u8(wr, p->u.pad_touch.event);
        sky_wr_u8(wr, 0);
        sky_wr_u8(wr, p->u.pad_touch.touchpad);
        sky_wr_u32le(wr, p->u.pad_touch.pointer);
        sky_wr_f32le(wr, p->u.pad_touch.x);
        sky_wr_f32le(wr, p->u.pad_touch.y);
        sky_wr_f32le(wr, p->u.pad_touch.pressure);
        break;
    case SKY_IN_PAD_MOTION:
        sky_wr_u8(wr, p->u.motion.number);
        sky_wr_u8(wr, p->u.motion.type);
        sky_wr_u16le(wr, 0);
        sky_wr_f32le(wr, p->u.motion.x);
        sky_wr_f32le(wr, p->u.motion.y);
        sky_wr_f32le(wr, p->u.motion.z);
        break;
    case SKY_IN_PAD_BATTERY:
        sky_wr_u8(wr, p->u.battery.number);
        sky_wr_u8(wr, p->u.battery.state);
        sky_wr_u8(wr, p->u.battery.percent);
        sky_wr_u8(wr, 0);
        break;
    case SKY_IN_TOUCH:
        sky_wr_u8(wr, p->u.touch.event);
        sky_wr_u8(wr, 0);
        sky_wr_u16le(wr, p->u.touch.rotation);
        sky_wr_u32le(wr, p->u.touch.pointer);
        sky_wr_f32le(wr, p->u.touch.x);
        sky_wr_f32le(wr, p->u.touch.y);
        sky_wr_f32le(wr, p->u.touch.pressure);
        sky_wr_f32le(wr, p->u.touch.contact_major);
        sky_wr_f32le(wr, p->u.touch.contact_minor);
        break;
    case SKY_IN_HAPTICS:
        sky_wr_u16le(wr, p->u.haptics.enable);
        break;
    default:
        break;
    }
}

int sky_input_build(const SkyInputPacket *p, uint8_t *out, size_t cap, size_t *out_len)
{
    if (!valid_for_build(p))
        return SKY_ERR(EINVAL);
    size_t body = body_len(p);
    size_t total = 8 + body;
    if (cap < total)
        return SKY_ERR(E2BIG);
    SkyWriter wr = sky_wr_init(out, cap);
    sky_wr_u32be(&wr, (uint32_t)(4 + body));
    sky_wr_u32le(&wr, magic_of(p));
    write_body(&wr, p);
    if (wr.error || wr.pos != total)
        return SKY_ERR(E2BIG);
    *out_len = total;
    return 0;
}

/* ---- Framing ---- */

bool sky_input_well_formed(const uint8_t *pkt, size_t len)
{
    SkyReader rd = sky_rd_init(pkt, len);
    uint32_t size, magic;
    return sky_rd_u32be(&rd, &size) && sky_rd_u32le(&rd, &magic) && (size_t)size == len - 4;
}

/* ---- Physical keys ---- */

/* USB HID keyboard usages (page 7) 0x04..0xE7 to Windows virtual-key codes, US layout: the host
 * turns the code back into the key at that position, so any layout the host uses works. */
static const uint8_t vk_by_usage[0xE8] = {
    /* letters */
    [0x04] = 'A', [0x05] = 'B', [0x06] = 'C', [0x07] = 'D', [0x08] = 'E', [0x09] = 'F',
    [0x0A] = 'G', [0x0B] = 'H', [0x0C] = 'I', [0x0D] = 'J', [0x0E] = 'K', [0x0F] = 'L',
    [0x10] = 'M', [0x11] = 'N', [0x12] = 'O', [0x13] = 'P', [0x14] = 'Q', [0x15] = 'R',
    [0x16] = 'S', [0x17] = 'T', [0x18] = 'U', [0x19] = 'V', [0x1A] = 'W', [0x1B] = 'X',
    [0x1C] = 'Y', [0x1D] = 'Z',
    /* digits 1..9, 0 */
    [0x1E] = '1', [0x1F] = '2', [0x20] = '3', [0x21] = '4', [0x22] = '5', [0x23] = '6',
    [0x24] = '7', [0x25] = '8', [0x26] = '9', [0x27] = '0',
    [0x28] = 0x0D, /* Return */
    [0x29] = 0x1B, /* Escape */
    [0x2A] = 0x08, /* Backspace */
    [0x2B] = 0x09, /* Tab */
    [0x2C] = 0x20, /* Space */
    [0x2D] = 0xBD, /* - (VK_OEM_MINUS) */
    [0x2E] = 0xBB, /* = (VK_OEM_PLUS) */
    [0x2F] = 0xDB, /* [ (VK_OEM_4) */
    [0x30] = 0xDD, /* ] (VK_OEM_6) */
    [0x31] = 0xDC, /* \ (VK_OEM_5) */
    [0x32] = 0xDC, /* ISO # (same position code as \) */
    [0x33] = 0xBA, /* ; (VK_OEM_1) */
    [0x34] = 0xDE, /* ' (VK_OEM_7) */
    [0x35] = 0xC0, /* ` (VK_OEM_3) */
    [0x36] = 0xBC, /* , */
    [0x37] = 0xBE, /* . */
    [0x38] = 0xBF, /* / (VK_OEM_2) */
    [0x39] = 0x14, /* Caps Lock */
    /* F1..F12 */
    [0x3A] = 0x70, [0x3B] = 0x71, [0x3C] = 0x72, [0x3D] = 0x73, [0x3E] = 0x74, [0x3F] = 0x75,
    [0x40] = 0x76, [0x41] = 0x77, [0x42] = 0x78, [0x43] = 0x79, [0x44] = 0x7A, [0x45] = 0x7B,
    [0x46] = 0x2C, /* Print Screen (VK_SNAPSHOT) */
    [0x47] = 0x91, /* Scroll Lock */
    [0x48] = 0x13, /* Pause */
    [0x49] = 0x2D, /* Insert */
    [0x4A] = 0x24, /* Home */
    [0x4B] = 0x21, /* Page Up */
    [0x4C] = 0x2E, /* Delete */
    [0x4D] = 0x23, /* End */
    [0x4E] = 0x22, /* Page Down */
    [0x4F] = 0x27, /* Right */
    [0x50] = 0x25, /* Left */
    [0x51] = 0x28, /* Down */
    [0x52] = 0x26, /* Up */
    [0x53] = 0x90, /* Num Lock */
    [0x54] = 0x6F, /* keypad / */
    [0x55] = 0x6A, /* keypad * */
    [0x56] = 0x6D, /* keypad - */
    [0x57] = 0x6B, /* keypad + */
    [0x58] = 0x0D, /* keypad Enter */
    /* keypad 1..9, 0, . */
    [0x59] = 0x61, [0x5A] = 0x62, [0x5B] = 0x63, [0x5C] = 0x64, [0x5D] = 0x65, [0x5E] = 0x66,
    [0x5F] = 0x67, [0x60] = 0x68, [0x61] = 0x69, [0x62] = 0x60, [0x63] = 0x6E,
    [0x64] = 0xE2, /* ISO \ between left Shift and Z (VK_OEM_102) */
    [0x65] = 0x5D, /* Application / Menu (VK_APPS) */
    [0x67] = 0x92, /* keypad = (VK_OEM_NEC_EQUAL) */
    /* F13..F24 */
    [0x68] = 0x7C, [0x69] = 0x7D, [0x6A] = 0x7E, [0x6B] = 0x7F, [0x6C] = 0x80, [0x6D] = 0x81,
    [0x6E] = 0x82, [0x6F] = 0x83, [0x70] = 0x84, [0x71] = 0x85, [0x72] = 0x86, [0x73] = 0x87,
    [0x74] = 0x2B, /* Execute */
    [0x75] = 0x2F, /* Help */
    [0x76] = 0x5D, /* Menu */
    [0x77] = 0x29, /* Select */
    [0x7F] = 0xAD, /* Mute */
    [0x80] = 0xAF, /* Volume Up */
    [0x81] = 0xAE, /* Volume Down */
    [0x85] = 0x6C, /* keypad , (VK_SEPARATOR) */
    [0x87] = 0xC1, /* International1: Japanese Ro (VK_ABNT_C1) */
    [0x88] = 0x15, /* International2: Katakana/Hiragana (VK_KANA) */
    [0x89] = 0xDC, /* International3: Yen (the \ position) */
    [0x8A] = 0x1C, /* International4: Henkan (VK_CONVERT) */
    [0x8B] = 0x1D, /* International5: Muhenkan (VK_NONCONVERT) */
    [0x90] = 0x15, /* Lang1: Hangul / Kana */
    [0x91] = 0x19, /* Lang2: Hanja / Kanji */
    [0x9A] = 0x2A, /* SysReq (VK_PRINT) */
    [0x9C] = 0x0C, /* Clear */
    /* modifiers: each side has its own code */
    [0xE0] = 0xA2, /* left Ctrl */
    [0xE1] = 0xA0, /* left Shift */
    [0xE2] = 0xA4, /* left Alt */
    [0xE3] = 0x5B, /* left GUI (Windows / Super) */
    [0xE4] = 0xA3, /* right Ctrl */
    [0xE5] = 0xA1, /* right Shift */
    [0xE6] = 0xA5, /* right Alt / AltGr */
    [0xE7] = 0x5C, /* right GUI */
};

/* Consumer-page keys as SDL numbers them past the keyboard page (SDL_SCANCODE_AUDIONEXT = 258
 * onwards). */
static const uint8_t vk_by_sdl_media[] = {
    0xB0, /* 258 next track */
    0xB1, /* 259 previous track */
    0xB2, /* 260 stop */
    0xB3, /* 261 play / pause */
    0xAD, /* 262 mute */
    0xB5, /* 263 media select */
    0,    /* 264 WWW */
    0xB4, /* 265 mail */
    0xB6, /* 266 calculator (VK_LAUNCH_APP2) */
    0xB7, /* 267 computer (VK_LAUNCH_APP1) */
    0xAA, /* 268 browser search */
    0xAC, /* 269 browser home */
    0xA6, /* 270 browser back */
    0xA7, /* 271 browser forward */
    0xA9, /* 272 browser stop */
    0xA8, /* 273 browser refresh */
    0xAB, /* 274 browser favourites */
};

uint8_t sky_input_vk_from_usage(uint32_t usage)
{
    if (usage < sizeof(vk_by_usage))
        return vk_by_usage[usage];
    if (usage >= 258 && usage - 258 < sizeof(vk_by_sdl_media))
        return vk_by_sdl_media[usage - 258];
    return 0;
}

/* ---- Relative motion batching ---- */

void sky_motion_batch_init(SkyMotionBatch *b, int64_t interval_us)
{
    memset(b, 0, sizeof(*b));
    b->interval_us = interval_us;
    b->last_sent_us = INT64_MIN;
}

void sky_motion_batch_add(SkyMotionBatch *b, int32_t dx, int32_t dy, int64_t capture_us)
{
    if (dx == 0 && dy == 0)
        return;
    if (!sky_motion_batch_pending(b))
        b->first_capture_us = capture_us;
    /* Saturate: a pending sum past +-2^31 is not motion anyone made. */
    int64_t x = (int64_t)b->dx + dx, y = (int64_t)b->dy + dy;
    b->dx = x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : (int32_t)x;
    b->dy = y > INT32_MAX ? INT32_MAX : y < INT32_MIN ? INT32_MIN : (int32_t)y;
}

bool sky_motion_batch_pending(const SkyMotionBatch *b)
{
    return b->dx != 0 || b->dy != 0;
}

int64_t sky_motion_batch_due_us(const SkyMotionBatch *b)
{
    if (!sky_motion_batch_pending(b))
        return INT64_MAX;
    if (b->last_sent_us == INT64_MIN)
        return INT64_MIN;
    return b->last_sent_us + b->interval_us;
}

static int16_t take_axis(int32_t *v)
{
    int32_t t = *v > INT16_MAX ? INT16_MAX : *v < INT16_MIN ? INT16_MIN : *v;
    *v -= t;
    return (int16_t)t;
}

bool sky_motion_batch_take(SkyMotionBatch *b, int64_t now_us, int16_t *dx, int16_t *dy,
                           int64_t *capture_us)
{
    if (!sky_motion_batch_pending(b))
        return false;
    *capture_us = b->first_capture_us;
    *dx = take_axis(&b->dx);
    *dy = take_axis(&b->dy);
    b->last_sent_us = now_us;
    return true;
}

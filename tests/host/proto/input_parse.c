/* The host side of GameStream input packets, for the test host: parsing and the text form
 * (input_parse.h). */
#include "tests/host/proto/input_parse.h"

#include <stdio.h>
#include <string.h>

#include "common/core/bytes.h"
#include "common/core/error.h"

static int16_t rd_s16be(SkyReader *rd)
{
    uint16_t v = 0;
    sky_rd_u16be(rd, &v);
    return (int16_t)v;
}

static int16_t rd_s16le(SkyReader *rd)
{
    uint16_t v = 0;
    sky_rd_u16le(rd, &v);
    return (int16_t)v;
}

/* Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF, no NUL. */
static bool valid_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t len;
        uint32_t cp;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += len;
    }
    return true;
}

static bool parse_body(SkyReader *rd, uint32_t magic, SkyInputPacket *p)
{
    uint8_t u8 = 0;
    uint16_t u16 = 0;
    size_t left = sky_rd_left(rd);
    switch (magic) {
    case SKY_INPUT_KEY_DOWN:
    case SKY_INPUT_KEY_UP:
        p->kind = SKY_IN_KEY;
        p->u.key.down = magic == SKY_INPUT_KEY_DOWN;
        sky_rd_u8(rd, &p->u.key.flags);
        sky_rd_u16le(rd, &p->u.key.code);
        sky_rd_u8(rd, &p->u.key.modifiers);
        return sky_rd_skip(rd, 2);
    case SKY_INPUT_UTF8: {
        const uint8_t *s;
        p->kind = SKY_IN_TEXT;
        if (left < 1 || left > SKY_INPUT_TEXT_MAX || !sky_rd_view(rd, &s, left) ||
            !valid_utf8(s, left))
            return false;
        memcpy(p->u.text.utf8, s, left);
        p->u.text.utf8[left] = '\0';
        return true;
    }
    case SKY_INPUT_MOUSE_REL:
    case 0x00000006u: /* the pre-Gen 5 magic */
        p->kind = SKY_IN_MOUSE_REL;
        p->u.rel.dx = rd_s16be(rd);
        p->u.rel.dy = rd_s16be(rd);
        return !rd->error;
    case SKY_INPUT_MOUSE_ABS:
        p->kind = SKY_IN_MOUSE_ABS;
        p->u.abs.x = rd_s16be(rd);
        p->u.abs.y = rd_s16be(rd);
        sky_rd_skip(rd, 2);
        p->u.abs.width = rd_s16be(rd);
        p->u.abs.height = rd_s16be(rd);
        return !rd->error;
    case SKY_INPUT_MOUSE_DOWN:
    case SKY_INPUT_MOUSE_UP:
        p->kind = SKY_IN_MOUSE_BUTTON;
        p->u.button.down = magic == SKY_INPUT_MOUSE_DOWN;
        return sky_rd_u8(rd, &p->u.button.button) && p->u.button.button >= 1 &&
               p->u.button.button <= SKY_INPUT_BUTTON_MAX;
    case SKY_INPUT_SCROLL:
        p->kind = SKY_IN_SCROLL;
        p->u.scroll.amount = rd_s16be(rd);
        return sky_rd_skip(rd, 4);
    case SKY_INPUT_HSCROLL:
        p->kind = SKY_IN_HSCROLL;
        p->u.scroll.amount = rd_s16be(rd);
        return !rd->error;
    case SKY_INPUT_MULTI_CONTROLLER: {
        uint16_t lo = 0, hi = 0;
        p->kind = SKY_IN_PAD;
        sky_rd_skip(rd, 2);
        sky_rd_u16le(rd, &u16);
        p->u.pad.number = (uint8_t)u16;
        sky_rd_u16le(rd, &p->u.pad.active_mask);
        sky_rd_skip(rd, 2);
        sky_rd_u16le(rd, &lo);
        sky_rd_u8(rd, &p->u.pad.left_trigger);
        sky_rd_u8(rd, &p->u.pad.right_trigger);
        p->u.pad.ls_x = rd_s16le(rd);
        p->u.pad.ls_y = rd_s16le(rd);
        p->u.pad.rs_x = rd_s16le(rd);
        p->u.pad.rs_y = rd_s16le(rd);
        sky_rd_skip(rd, 2);
        /* GFE-era packets end here (tail B in place of buttonFlags2): 24 bytes. */
        if (sky_rd_left(rd) >= 4)
            sky_rd_u16le(rd, &hi);
        if (!sky_rd_skip(rd, 2))
            return false;
        p->u.pad.buttons = (uint32_t)lo | (uint32_t)hi << 16;
        return u16 < SKY_INPUT_MAX_PADS;
    }
    case SKY_INPUT_CONTROLLER_ARRIVAL:
        p->kind = SKY_IN_PAD_ARRIVAL;
        sky_rd_u8(rd, &p->u.arrival.number);
        sky_rd_u8(rd, &p->u.arrival.type);
        sky_rd_u16le(rd, &p->u.arrival.capabilities);
        return sky_rd_u32le(rd, &p->u.arrival.supported_buttons) &&
               p->u.arrival.number < SKY_INPUT_MAX_PADS;
    case SKY_INPUT_CONTROLLER_TOUCH:
        p->kind = SKY_IN_PAD_TOUCH;
        sky_rd_u8(rd, &p->u.pad_touch.number);
        sky_rd_u8(rd, &p->u.pad_touch.event);
        sky_rd_u8(rd, &u8);
        sky_rd_u8(rd, &p->u.pad_touch.touchpad);
        sky_rd_u32le(rd, &p->u.pad_touch.pointer);
        sky_rd_f32le(rd, &p->u.pad_touch.x);
        sky_rd_f32le(rd, &p->u.pad_touch.y);
        sky_rd_f32le(rd, &p->u.pad_touch.pressure);
        return !rd->error && p->u.pad_touch.number < SKY_INPUT_MAX_PADS;
    case SKY_INPUT_CONTROLLER_MOTION:
        p->kind = SKY_IN_PAD_MOTION;
        sky_rd_u8(rd, &p->u.motion.number);
        sky_rd_u8(rd, &p->u.motion.type);
        sky_rd_skip(rd, 2);
        sky_rd_f32le(rd, &p->u.motion.x);
        sky_rd_f32le(rd, &p->u.motion.y);
        sky_rd_f32le(rd, &p->u.motion.z);
        return !rd->error && p->u.motion.number < SKY_INPUT_MAX_PADS;
    case SKY_INPUT_CONTROLLER_BATTERY:
        p->kind = SKY_IN_PAD_BATTERY;
        sky_rd_u8(rd, &p->u.battery.number);
        sky_rd_u8(rd, &p->u.battery.state);
        sky_rd_u8(rd, &p->u.battery.percent);
        return sky_rd_skip(rd, 1) && p->u.battery.number < SKY_INPUT_MAX_PADS;
    case SKY_INPUT_TOUCH:
        p->kind = SKY_IN_TOUCH;
        sky_rd_u8(rd, &p->u.touch.event);
        sky_rd_skip(rd, 1);
        sky_rd_u16le(rd, &p->u.touch.rotation);
        sky_rd_u32le(rd, &p->u.touch.pointer);
        sky_rd_f32le(rd, &p->u.touch.x);
        sky_rd_f32le(rd, &p->u.touch.y);
        sky_rd_f32le(rd, &p->u.touch.pressure);
        sky_rd_f32le(rd, &p->u.touch.contact_major);
        sky_rd_f32le(rd, &p->u.touch.contact_minor);
        return !rd->error;
    case SKY_INPUT_HAPTICS:
        p->kind = SKY_IN_HAPTICS;
        return sky_rd_u16le(rd, &p->u.haptics.enable);
    default:
        p->kind = SKY_IN_UNKNOWN;
        return true;
    }
}

int sky_input_parse(const uint8_t *pkt, size_t len, SkyInputPacket *out)
{
    memset(out, 0, sizeof(*out));
    SkyReader rd = sky_rd_init(pkt, len);
    uint32_t size, magic;
    if (!sky_rd_u32be(&rd, &size) || size != len - 4 || !sky_rd_u32le(&rd, &magic))
        return SKY_ERR(EBADMSG);
    out->magic = magic;
    if (!parse_body(&rd, magic, out)) {
        memset(out, 0, sizeof(*out));
        return SKY_ERR(EBADMSG);
    }
    return 0;
}

/* ---- Text form ---- */

bool sky_input_format(const SkyInputPacket *p, char *out, size_t cap)
{
    int n;
    switch (p->kind) {
    case SKY_IN_KEY:
        n = snprintf(out, cap, "key %s code=0x%04x mods=0x%02x flags=0x%02x",
                     p->u.key.down ? "down" : "up", p->u.key.code, p->u.key.modifiers,
                     p->u.key.flags);
        break;
    case SKY_IN_TEXT: {
        /* Hex, so the line stays one word whatever the text holds. */
        char hex[2 * SKY_INPUT_TEXT_MAX + 1];
        size_t k = 0;
        for (const unsigned char *s = (const unsigned char *)p->u.text.utf8; *s; s++, k += 2)
            snprintf(hex + k, 3, "%02x", *s);
        hex[k] = '\0';
        n = snprintf(out, cap, "text utf8=%s", hex);
        break;
    }
    case SKY_IN_MOUSE_REL:
        n = snprintf(out, cap, "mouse-rel dx=%d dy=%d", p->u.rel.dx, p->u.rel.dy);
        break;
    case SKY_IN_MOUSE_ABS:
        n = snprintf(out, cap, "mouse-abs x=%d y=%d w=%d h=%d", p->u.abs.x, p->u.abs.y,
                     p->u.abs.width, p->u.abs.height);
        break;
    case SKY_IN_MOUSE_BUTTON:
        n = snprintf(out, cap, "button %s %u", p->u.button.down ? "down" : "up",
                     p->u.button.button);
        break;
    case SKY_IN_SCROLL:
    case SKY_IN_HSCROLL:
        n = snprintf(out, cap, "%s amount=%d", p->kind == SKY_IN_SCROLL ? "scroll" : "hscroll",
                     p->u.scroll.amount);
        break;
    case SKY_IN_PAD:
        n = snprintf(out, cap,
                     "pad %u mask=0x%04x buttons=0x%06x lt=%u rt=%u ls=%d,%d rs=%d,%d",
                     p->u.pad.number, p->u.pad.active_mask, p->u.pad.buttons,
                     p->u.pad.left_trigger, p->u.pad.right_trigger, p->u.pad.ls_x, p->u.pad.ls_y,
                     p->u.pad.rs_x, p->u.pad.rs_y);
        break;
    case SKY_IN_PAD_ARRIVAL:
        n = snprintf(out, cap, "pad-arrival %u type=%u caps=0x%04x buttons=0x%06x",
                     p->u.arrival.number, p->u.arrival.type, p->u.arrival.capabilities,
                     p->u.arrival.supported_buttons);
        break;
    case SKY_IN_PAD_TOUCH:
        n = snprintf(out, cap, "pad-touch %u event=%u pad=%u id=%u x=%.3f y=%.3f p=%.3f",
                     p->u.pad_touch.number, p->u.pad_touch.event, p->u.pad_touch.touchpad,
                     p->u.pad_touch.pointer, (double)p->u.pad_touch.x, (double)p->u.pad_touch.y,
                     (double)p->u.pad_touch.pressure);
        break;
    case SKY_IN_PAD_MOTION:
        n = snprintf(out, cap, "pad-motion %u type=%u x=%.3f y=%.3f z=%.3f", p->u.motion.number,
                     p->u.motion.type, (double)p->u.motion.x, (double)p->u.motion.y,
                     (double)p->u.motion.z);
        break;
    case SKY_IN_PAD_BATTERY:
        n = snprintf(out, cap, "pad-battery %u state=%u percent=%u", p->u.battery.number,
                     p->u.battery.state, p->u.battery.percent);
        break;
    case SKY_IN_TOUCH:
        n = snprintf(out, cap, "touch event=%u id=%u x=%.4f y=%.4f p=%.3f rot=%u",
                     p->u.touch.event, p->u.touch.pointer, (double)p->u.touch.x,
                     (double)p->u.touch.y, (double)p->u.touch.pressure, p->u.touch.rotation);
        break;
    case SKY_IN_HAPTICS:
        n = snprintf(out, cap, "haptics enable=%u", p->u.haptics.enable);
        break;
    default:
        n = snprintf(out, cap, "unknown magic=0x%08x", p->magic);
        break;
    }
    return n >= 0 && (size_t)n < cap;
}

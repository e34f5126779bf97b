/* Input packets: every input packet moonlight-embedded sent in the recorded sessions
 * (tests/data/captures/stream-*.control.tsv, type 0x0206) parses to what Sunshine's log says it
 * applied and rebuilds byte for byte; every kind we build has the layout the host reads; hostile
 * packets are refused; the physical key map; relative motion batching. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/core/error.h"
#include "common/core/hex.h"
#include "common/proto/input.h"
#include "tests/host/proto/input_parse.h"

#ifndef SKY_TEST_DATA
#error "SKY_TEST_DATA must name tests/data"
#endif

static size_t from_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    assert_int_equal(sky_hex_decode(hex, strlen(hex), out, cap, &n), 0);
    return n;
}

static void assert_builds(const SkyInputPacket *p, const char *hex)
{
    uint8_t want[SKY_INPUT_MAX_PACKET], got[SKY_INPUT_MAX_PACKET];
    size_t wn = from_hex(hex, want, sizeof(want)), gn = 0;
    assert_int_equal(sky_input_build(p, got, sizeof(got), &gn), 0);
    assert_int_equal(gn, wn);
    assert_memory_equal(got, want, wn);
    /* and back */
    SkyInputPacket q;
    assert_int_equal(sky_input_parse(got, gn, &q), 0);
    assert_int_equal(q.kind, p->kind);
    uint8_t again[SKY_INPUT_MAX_PACKET];
    size_t an = 0;
    assert_int_equal(sky_input_build(&q, again, sizeof(again), &an), 0);
    assert_int_equal(an, gn);
    assert_memory_equal(again, got, gn);
}

/* ---- The recorded sessions ---- */

static int recorded(const char *name, SkyInputPacket *pkts, uint8_t (*raw)[64], size_t *raw_len,
                    int cap)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/captures/%s", SKY_TEST_DATA, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        char from[4], type[16], hex[300];
        double t;
        unsigned seq;
        if (sscanf(line, "%lf %3s %u %15s %299s", &t, from, &seq, type, hex) != 5 ||
            strcmp(type, "0x0206") != 0)
            continue;
        assert_true(n < cap);
        raw_len[n] = from_hex(hex, raw[n], 64);
        assert_int_equal(sky_input_parse(raw[n], raw_len[n], &pkts[n]), 0);
        n++;
    }
    fclose(f);
    return n;
}

static void test_recorded_packets(void **state)
{
    (void)state;
    static SkyInputPacket pkts[128];
    static uint8_t raw[128][64];
    static size_t raw_len[128];
    const char *files[] = {"stream-h264.control.tsv", "stream-h264-videoenc.control.tsv"};
    for (size_t f = 0; f < 2; f++) {
        int n = recorded(files[f], pkts, raw, raw_len, 128);
        assert_true(n >= 33);
        int keys = 0, moves = 0, buttons = 0, haptics = 0;
        for (int i = 0; i < n; i++) {
            assert_int_not_equal(pkts[i].kind, SKY_IN_UNKNOWN);
            uint8_t again[SKY_INPUT_MAX_PACKET];
            size_t an = 0;
            assert_int_equal(sky_input_build(&pkts[i], again, sizeof(again), &an), 0);
            assert_int_equal(an, raw_len[i]);
            assert_memory_equal(again, raw[i], an);
            keys += pkts[i].kind == SKY_IN_KEY;
            moves += pkts[i].kind == SKY_IN_MOUSE_REL;
            buttons += pkts[i].kind == SKY_IN_MOUSE_BUTTON;
            haptics += pkts[i].kind == SKY_IN_HAPTICS;
        }
        /* (the videoenc capture holds ENet retransmissions: the same packet twice) */
        assert_true(haptics >= 1); /* the first packet of each session */
        assert_int_equal(pkts[0].kind, SKY_IN_HAPTICS);
        assert_int_equal(pkts[0].u.haptics.enable, 1);
        assert_true(moves >= 5);
        assert_true(buttons >= 2);
        assert_true(keys >= 24);
    }
    /* stream-h264 in detail, as the host logged it (stream-h264.sunshine.log): deltas (1, 1),
     * (-1, -1), four of (30, 15); button 1 down and up; "stream-h264" and Return typed. */
    int n = recorded("stream-h264.control.tsv", pkts, raw, raw_len, 128);
    assert_int_equal(pkts[1].kind, SKY_IN_MOUSE_REL);
    assert_int_equal(pkts[1].u.rel.dx, 1);
    assert_int_equal(pkts[1].u.rel.dy, 1);
    assert_int_equal(pkts[2].u.rel.dx, -1);
    assert_int_equal(pkts[2].u.rel.dy, -1);
    for (int i = 3; i < 7; i++) {
        assert_int_equal(pkts[i].kind, SKY_IN_MOUSE_REL);
        assert_int_equal(pkts[i].u.rel.dx, 30);
        assert_int_equal(pkts[i].u.rel.dy, 15);
    }
    assert_int_equal(pkts[7].kind, SKY_IN_MOUSE_BUTTON);
    assert_true(pkts[7].u.button.down);
    assert_int_equal(pkts[7].u.button.button, 1);
    assert_false(pkts[8].u.button.down);
    const char typed[] = "STREAM-H264\r";
    int k = 0;
    for (int i = 9; i < n; i++) {
        assert_int_equal(pkts[i].kind, SKY_IN_KEY);
        assert_int_equal(pkts[i].u.key.modifiers, 0);
        assert_int_equal(pkts[i].u.key.flags, 0);
        assert_int_equal(pkts[i].u.key.code & 0xFF00, 0x8000);
        assert_true(pkts[i].u.key.down == ((i - 9) % 2 == 0));
        if (pkts[i].u.key.down) {
            uint8_t vk = typed[k] == '-' ? 0xBD : (uint8_t)typed[k];
            assert_int_equal(pkts[i].u.key.code & 0xFF, vk);
            k++;
        }
    }
    assert_int_equal(k, (int)strlen(typed));
}

/* ---- Layouts of what we build ---- */

static void test_layouts(void **state)
{
    (void)state;
    SkyInputPacket p;
    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_KEY;
    p.u.key.down = true;
    p.u.key.code = 0x80A0;
    p.u.key.modifiers = SKY_INPUT_MOD_SHIFT | SKY_INPUT_MOD_CTRL;
    p.u.key.flags = 0;
    assert_builds(&p, "0000000a0300000000a080030000");

    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_TEXT;
    strcpy(p.u.text.utf8, "\xc3\xa9");
    assert_builds(&p, "0000000617000000c3a9");

    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_MOUSE_ABS;
    p.u.abs.x = 100;
    p.u.abs.y = -2;
    p.u.abs.width = 1279;
    p.u.abs.height = 719;
    assert_builds(&p, "0000000e050000000064fffe000004ff02cf");

    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_SCROLL;
    p.u.scroll.amount = -120;
    assert_builds(&p, "0000000a0a000000ff88ff880000");
    p.kind = SKY_IN_HSCROLL;
    p.u.scroll.amount = 60;
    assert_builds(&p, "0000000601000055003c");

    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_MOUSE_BUTTON;
    p.u.button.down = false;
    p.u.button.button = 5;
    assert_builds(&p, "000000050900000005");

    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_PAD;
    p.u.pad.number = 2;
    p.u.pad.active_mask = 0x0005;
    p.u.pad.buttons = SKY_PAD_A | SKY_PAD_UP | SKY_PAD_PADDLE1;
    p.u.pad.left_trigger = 0x10;
    p.u.pad.right_trigger = 0xff;
    p.u.pad.ls_x = -32768;
    p.u.pad.ls_y = 32767;
    p.u.pad.rs_x = 1;
    p.u.pad.rs_y = -1;
    assert_builds(&p, "0000001e0c0000001a00020005001400011010ff0080ff7f0100ffff9c0001005500");

    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_PAD_ARRIVAL;
    p.u.arrival.number = 1;
    p.u.arrival.type = SKY_PAD_TYPE_PS;
    p.u.arrival.capabilities = SKY_PAD_CAP_RUMBLE | SKY_PAD_CAP_GYRO;
    p.u.arrival.supported_buttons = 0x1ff7ff;
    assert_builds(&p, "0000000c0400005501022200fff71f00");

    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_PAD_TOUCH;
    p.u.pad_touch.number = 0;
    p.u.pad_touch.event = SKY_TOUCH_DOWN;
    p.u.pad_touch.touchpad = 0;
    p.u.pad_touch.pointer = 7;
    p.u.pad_touch.x = 0.5f;
    p.u.pad_touch.y = 1.0f;
    p.u.pad_touch.pressure = 0.0f;
    assert_builds(&p, "00000018050000550001000007000000" "0000003f" "0000803f" "00000000");

    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_PAD_MOTION;
    p.u.motion.number = 3;
    p.u.motion.type = SKY_MOTION_GYRO;
    p.u.motion.x = -2.0f;
    p.u.motion.y = 0.25f;
    p.u.motion.z = 9.5f;
    assert_builds(&p, "0000001406000055030200000000" "00c0" "0000803e" "00001841");

    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_PAD_BATTERY;
    p.u.battery.number = 4;
    p.u.battery.state = SKY_BATTERY_CHARGING;
    p.u.battery.percent = 80;
    assert_builds(&p, "00000008070000550403" "5000");

    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_TOUCH;
    p.u.touch.event = SKY_TOUCH_MOVE;
    p.u.touch.rotation = SKY_TOUCH_ROTATION_UNKNOWN;
    p.u.touch.pointer = 0x01020304;
    p.u.touch.x = 0.25f;
    p.u.touch.y = 0.75f;
    p.u.touch.pressure = 1.0f;
    assert_builds(&p, "00000020020000550300ffff04030201" "0000803e" "0000403f" "0000803f"
                      "00000000" "00000000");

    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_MOUSE_REL;
    p.u.rel.dx = 30;
    p.u.rel.dy = 15;
    assert_builds(&p, "0000000807000000001e000f"); /* as the recorded client sent it */
}

/* ---- Hostile packets and bad arguments ---- */

static void test_refused(void **state)
{
    (void)state;
    uint8_t b[80];
    SkyInputPacket p;
    const char *bad[] = {
        "",                                   /* nothing */
        "000000",                             /* short header */
        "0000000903000000000080000000",       /* size says 9, 10 follow */
        "0000000603000000",                   /* size 6, 4 follow */
        "000000090300000000008000",           /* keyboard body short */
        "000000050800000000",                 /* button 0 */
        "000000050800000006",                 /* button 6 */
        "0000000417000000",                   /* empty text */
        "0000000617000000c328",               /* broken UTF-8 */
        "0000000617000000c0af",               /* overlong '/' */
        "0000000717000000eda080",             /* a surrogate */
        "000000051700000000",                 /* NUL */
        "0000001e0c0000001a001000050014000110100000000000000000009c0000005500", /* pad 16 */
        "0000000c0400005510022200fff71f00", /* arrival for pad 16 */
        "000000080c0000001a000200",           /* pad body short */
        "00000006060000550102",               /* motion short */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = from_hex(bad[i], b, sizeof(b));
        p.kind = SKY_IN_KEY;
        assert_int_equal(sky_input_parse(b, n, &p), SKY_ERR(EBADMSG));
        assert_int_equal(p.kind, SKY_IN_UNKNOWN);
        /* The framing check sees only the size word and the magic: the first five are wrong. */
        assert_int_equal(sky_input_well_formed(b, n), i >= 5);
    }
    /* 33 bytes of text */
    memset(b, 'a', sizeof(b));
    b[0] = 0, b[1] = 0, b[2] = 0, b[3] = 37;
    b[4] = 0x17, b[5] = 0, b[6] = 0, b[7] = 0;
    assert_int_equal(sky_input_parse(b, 41, &p), SKY_ERR(EBADMSG));
    /* An unknown magic is not an error. */
    size_t n = from_hex("00000006aabbccdd0102", b, sizeof(b));
    assert_int_equal(sky_input_parse(b, n, &p), 0);
    assert_int_equal(p.kind, SKY_IN_UNKNOWN);
    assert_int_equal(p.magic, 0xddccbbaau);
    /* GFE-era pad packet (no second button word) still parses. */
    n = from_hex("0000001c0c0000001a000000010014000010000000000000000000009c005500", b,
                 sizeof(b));
    assert_int_equal(sky_input_parse(b, n, &p), 0);
    assert_int_equal(p.kind, SKY_IN_PAD);
    assert_int_equal(p.u.pad.buttons, SKY_PAD_A);

    /* Builder arguments */
    size_t len;
    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_MOUSE_BUTTON;
    p.u.button.button = 0;
    assert_int_equal(sky_input_build(&p, b, sizeof(b), &len), SKY_ERR(EINVAL));
    p.kind = SKY_IN_PAD;
    p.u.pad.number = 16;
    assert_int_equal(sky_input_build(&p, b, sizeof(b), &len), SKY_ERR(EINVAL));
    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_TEXT;
    assert_int_equal(sky_input_build(&p, b, sizeof(b), &len), SKY_ERR(EINVAL));
    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_PAD_MOTION;
    p.u.motion.type = SKY_MOTION_ACCEL;
    p.u.motion.x = NAN;
    assert_int_equal(sky_input_build(&p, b, sizeof(b), &len), SKY_ERR(EINVAL));
    p.kind = SKY_IN_UNKNOWN;
    assert_int_equal(sky_input_build(&p, b, sizeof(b), &len), SKY_ERR(EINVAL));
    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_KEY;
    assert_int_equal(sky_input_build(&p, b, 13, &len), SKY_ERR(E2BIG));
    assert_int_equal(sky_input_build(&p, b, 14, &len), 0);
}

static void test_format(void **state)
{
    (void)state;
    SkyInputPacket p;
    char line[160];
    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_KEY;
    p.u.key.down = true;
    p.u.key.code = 0x8041;
    p.u.key.modifiers = 2;
    assert_true(sky_input_format(&p, line, sizeof(line)));
    assert_string_equal(line, "key down code=0x8041 mods=0x02 flags=0x00");
    memset(&p, 0, sizeof(p));
    p.kind = SKY_IN_TEXT;
    strcpy(p.u.text.utf8, "a b");
    assert_true(sky_input_format(&p, line, sizeof(line)));
    assert_string_equal(line, "text utf8=612062");
    assert_false(sky_input_format(&p, line, 5));
    assert_int_equal(strlen(line), 4);
}

static void test_key_map(void **state)
{
    (void)state;
    assert_int_equal(sky_input_vk_from_usage(0x04), 'A');  /* A */
    assert_int_equal(sky_input_vk_from_usage(0x1D), 'Z');  /* Z: the key a German layout calls Y */
    assert_int_equal(sky_input_vk_from_usage(0x27), '0');
    assert_int_equal(sky_input_vk_from_usage(0x28), 0x0D); /* Return */
    assert_int_equal(sky_input_vk_from_usage(0x64), 0xE2); /* ISO key left of Z */
    assert_int_equal(sky_input_vk_from_usage(0xE1), 0xA0); /* left Shift */
    assert_int_equal(sky_input_vk_from_usage(0xE6), 0xA5); /* AltGr */
    assert_int_equal(sky_input_vk_from_usage(0xE7), 0x5C);
    assert_int_equal(sky_input_vk_from_usage(261), 0xB3);  /* SDL's play/pause */
    assert_int_equal(sky_input_vk_from_usage(0), 0);
    assert_int_equal(sky_input_vk_from_usage(0x66), 0);    /* Power: nothing to send */
    assert_int_equal(sky_input_vk_from_usage(0xE8), 0);
    assert_int_equal(sky_input_vk_from_usage(100000), 0);
    /* No two keyboard-page keys of the main block share a code by accident. */
    for (uint32_t a = 0x04; a <= 0x38; a++)
        for (uint32_t b = a + 1; b <= 0x38; b++)
            if (!(a == 0x31 && b == 0x32))
                assert_int_not_equal(sky_input_vk_from_usage(a), sky_input_vk_from_usage(b));
}

static void test_motion_batch(void **state)
{
    (void)state;
    SkyMotionBatch b;
    int16_t dx, dy;
    int64_t cap;
    sky_motion_batch_init(&b, 1000);
    assert_false(sky_motion_batch_pending(&b));
    assert_int_equal(sky_motion_batch_due_us(&b), INT64_MAX);
    sky_motion_batch_add(&b, 0, 0, 5);
    assert_false(sky_motion_batch_pending(&b));
    sky_motion_batch_add(&b, 3, -4, 100);
    assert_int_equal(sky_motion_batch_due_us(&b), INT64_MIN); /* first: at once */
    assert_true(sky_motion_batch_take(&b, 100, &dx, &dy, &cap));
    assert_int_equal(dx, 3);
    assert_int_equal(dy, -4);
    assert_int_equal(cap, 100);
    assert_false(sky_motion_batch_take(&b, 101, &dx, &dy, &cap));
    /* within the interval: summed, due a millisecond after the last send */
    sky_motion_batch_add(&b, 1, 1, 300);
    sky_motion_batch_add(&b, 2, 2, 600);
    assert_int_equal(sky_motion_batch_due_us(&b), 1100);
    assert_true(sky_motion_batch_take(&b, 1100, &dx, &dy, &cap));
    assert_int_equal(dx, 3);
    assert_int_equal(dy, 3);
    assert_int_equal(cap, 300); /* the oldest motion in the batch */
    /* past int16: split over packets, nothing lost */
    sky_motion_batch_add(&b, 40000, -70000, 2000);
    int32_t sx = 0, sy = 0;
    int packets = 0;
    while (sky_motion_batch_take(&b, 3000, &dx, &dy, &cap)) {
        sx += dx;
        sy += dy;
        packets++;
    }
    assert_int_equal(sx, 40000);
    assert_int_equal(sy, -70000);
    assert_int_equal(packets, 3);
    /* saturation instead of overflow */
    sky_motion_batch_add(&b, INT32_MAX, 0, 1);
    sky_motion_batch_add(&b, INT32_MAX, 0, 2);
    assert_int_equal(b.dx, INT32_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recorded_packets), cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_refused),          cmocka_unit_test(test_format),
        cmocka_unit_test(test_key_map),          cmocka_unit_test(test_motion_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

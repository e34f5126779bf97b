/* Unit tests for common/core/bytes.h: the bounds-checked reader and writer, its text helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/core/bytes.h"

static const uint8_t seq8[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
static const uint8_t high8[8] = {0xFF, 0x80, 0x7F, 0x00, 0xFE, 0x81, 0x01, 0x80};

static void test_read_little_and_big_endian(void **state)
{
    (void)state;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    SkyReader rd;

    rd = sky_rd_init(seq8, sizeof(seq8));
    assert_true(sky_rd_u8(&rd, &u8));
    assert_int_equal(u8, 0x01);
    assert_true(sky_rd_u16le(&rd, &u16));
    assert_int_equal(u16, 0x0302);
    assert_true(sky_rd_u16be(&rd, &u16));
    assert_int_equal(u16, 0x0405);
    assert_int_equal(sky_rd_left(&rd), 3);

    rd = sky_rd_init(seq8, sizeof(seq8));
    assert_true(sky_rd_u32le(&rd, &u32));
    assert_int_equal(u32, 0x04030201u);
    assert_true(sky_rd_u32be(&rd, &u32));
    assert_int_equal(u32, 0x05060708u);

    rd = sky_rd_init(seq8, sizeof(seq8));
    assert_true(sky_rd_u64le(&rd, &u64));
    assert_true(u64 == 0x0807060504030201ull);
    rd = sky_rd_init(seq8, sizeof(seq8));
    assert_true(sky_rd_u64be(&rd, &u64));
    assert_true(u64 == 0x0102030405060708ull);

    /* High bits set in every position: no sign extension, no lost bits. */
    rd = sky_rd_init(high8, sizeof(high8));
    assert_true(sky_rd_u16be(&rd, &u16));
    assert_int_equal(u16, 0xFF80);
    assert_true(sky_rd_u16le(&rd, &u16));
    assert_int_equal(u16, 0x007F);
    assert_true(sky_rd_u32be(&rd, &u32));
    assert_int_equal(u32, 0xFE810180u);
    rd = sky_rd_init(high8, sizeof(high8));
    assert_true(sky_rd_u32le(&rd, &u32));
    assert_int_equal(u32, 0x007F80FFu);
    rd = sky_rd_init(high8, sizeof(high8));
    assert_true(sky_rd_u64be(&rd, &u64));
    assert_true(u64 == 0xFF807F00FE810180ull);
    rd = sky_rd_init(high8, sizeof(high8));
    assert_true(sky_rd_u64le(&rd, &u64));
    assert_true(u64 == 0x800181FE007F80FFull);
    assert_int_equal(sky_rd_left(&rd), 0);
    assert_false(rd.error);
}

static void test_write_layout(void **state)
{
    (void)state;
    uint8_t buf[32];
    memset(buf, 0xAA, sizeof(buf));
    SkyWriter wr = sky_wr_init(buf, sizeof(buf));
    assert_true(sky_wr_u8(&wr, 0x9C));
    assert_true(sky_wr_u16le(&wr, 0x1234));
    assert_true(sky_wr_u16be(&wr, 0x1234));
    assert_true(sky_wr_u32le(&wr, 0x89ABCDEFu));
    assert_true(sky_wr_u32be(&wr, 0x89ABCDEFu));
    assert_true(sky_wr_u64le(&wr, 0x0102030405060708ull));
    assert_true(sky_wr_u64be(&wr, 0xF1F2F3F4F5F6F7F8ull));
    assert_true(sky_wr_bytes(&wr, "xyz", 3));
    static const uint8_t want[] = {
        0x9C,                                           /* u8 */
        0x34, 0x12,                                     /* u16le */
        0x12, 0x34,                                     /* u16be */
        0xEF, 0xCD, 0xAB, 0x89,                         /* u32le */
        0x89, 0xAB, 0xCD, 0xEF,                         /* u32be */
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* u64le */
        0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, /* u64be */
        'x',  'y',  'z',
    };
    assert_int_equal(wr.pos, sizeof(want));
    assert_false(wr.error);
    assert_memory_equal(buf, want, sizeof(want));
}

static void test_round_trip_extremes(void **state)
{
    (void)state;
    static const uint64_t values[] = {0,          1,          0x7F,       0x80,
                                      0xFF,       0x7FFF,     0x8000,     0xFFFF,
                                      0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x8000000000000000ull,
                                      UINT64_MAX, 0x0123456789ABCDEFull};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        uint64_t v = values[i];
        uint8_t buf[1 + 2 * 2 + 4 * 2 + 8 * 2];
        SkyWriter wr = sky_wr_init(buf, sizeof(buf));
        assert_true(sky_wr_u8(&wr, (uint8_t)v));
        assert_true(sky_wr_u16le(&wr, (uint16_t)v));
        assert_true(sky_wr_u16be(&wr, (uint16_t)v));
        assert_true(sky_wr_u32le(&wr, (uint32_t)v));
        assert_true(sky_wr_u32be(&wr, (uint32_t)v));
        assert_true(sky_wr_u64le(&wr, v));
        assert_true(sky_wr_u64be(&wr, v));
        assert_int_equal(wr.pos, sizeof(buf));
        /* Exactly full: one more byte must fail. */
        assert_false(sky_wr_u8(&wr, 0));

        SkyReader rd = sky_rd_init(buf, sizeof(buf));
        uint8_t a;
        uint16_t b, c;
        uint32_t d, e;
        uint64_t f, g;
        assert_true(sky_rd_u8(&rd, &a));
        assert_true(sky_rd_u16le(&rd, &b));
        assert_true(sky_rd_u16be(&rd, &c));
        assert_true(sky_rd_u32le(&rd, &d));
        assert_true(sky_rd_u32be(&rd, &e));
        assert_true(sky_rd_u64le(&rd, &f));
        assert_true(sky_rd_u64be(&rd, &g));
        assert_int_equal(a, (uint8_t)v);
        assert_int_equal(b, (uint16_t)v);
        assert_int_equal(c, (uint16_t)v);
        assert_int_equal(d, (uint32_t)v);
        assert_int_equal(e, (uint32_t)v);
        assert_true(f == v);
        assert_true(g == v);
        assert_int_equal(sky_rd_left(&rd), 0);
        assert_false(rd.error);
    }
}

static void test_read_exact_boundary(void **state)
{
    (void)state;
    uint32_t u32;
    uint8_t u8;
    uint8_t out[4];

    SkyReader rd = sky_rd_init(seq8, 4);
    assert_true(sky_rd_u32be(&rd, &u32));
    assert_int_equal(u32, 0x01020304u);
    assert_int_equal(sky_rd_left(&rd), 0);
    assert_false(rd.error);
    /* Zero bytes at the very end are still available. */
    assert_true(sky_rd_skip(&rd, 0));
    assert_true(sky_rd_bytes(&rd, out, 0));
    assert_false(rd.error);
    assert_false(sky_rd_u8(&rd, &u8));
    assert_true(rd.error);

    /* Every width, with its buffer one byte short and exactly long enough. */
    for (size_t width = 1; width <= 8; width *= 2) {
        for (size_t len = width - 1; len <= width; len++) {
            SkyReader r = sky_rd_init(seq8, len);
            uint8_t a;
            uint16_t b;
            uint32_t c;
            uint64_t d;
            bool ok = width == 1 ? sky_rd_u8(&r, &a)
                      : width == 2 ? sky_rd_u16le(&r, &b)
                      : width == 4 ? sky_rd_u32le(&r, &c)
                                   : sky_rd_u64le(&r, &d);
            assert_int_equal(ok, len == width);
            assert_int_equal(r.error, len != width);
            r = sky_rd_init(seq8, len);
            ok = width == 1 ? sky_rd_u8(&r, &a)
                 : width == 2 ? sky_rd_u16be(&r, &b)
                 : width == 4 ? sky_rd_u32be(&r, &c)
                              : sky_rd_u64be(&r, &d);
            assert_int_equal(ok, len == width);
            r = sky_rd_init(seq8, len);
            assert_int_equal(sky_rd_bytes(&r, out, width > 4 ? 4 : width), len >= (width > 4 ? 4 : width));
        }
    }
}

static void test_reader_is_sticky(void **state)
{
    (void)state;
    uint8_t u8 = 0x55;
    uint16_t u16 = 0x5555;
    uint32_t u32 = 0x55555555;
    uint64_t u64;
    uint8_t out[3] = {0x55, 0x55, 0x55};
    const uint8_t *view = NULL;

    SkyReader rd = sky_rd_init(seq8, 3);
    assert_false(sky_rd_u32le(&rd, &u32));
    assert_true(rd.error);
    assert_int_equal(u32, 0x55555555u); /* untouched on failure */
    assert_int_equal(rd.pos, 0);
    assert_int_equal(sky_rd_left(&rd), 0);
    /* Three bytes are there, but the reader has failed: everything keeps failing. */
    assert_false(sky_rd_u8(&rd, &u8));
    assert_int_equal(u8, 0x55);
    assert_false(sky_rd_u16be(&rd, &u16));
    assert_false(sky_rd_bytes(&rd, out, 1));
    assert_int_equal(out[0], 0x55);
    assert_false(sky_rd_view(&rd, &view, 1));
    assert_false(sky_rd_skip(&rd, 0));
    assert_false(sky_rd_bytes(&rd, out, 0));
    assert_true(rd.error);

    /* A u64 whose second half is missing fails, and so does everything after it. */
    rd = sky_rd_init(seq8, 6);
    assert_false(sky_rd_u64le(&rd, &u64));
    assert_true(rd.error);
    assert_false(sky_rd_u8(&rd, &u8));
    rd = sky_rd_init(seq8, 6);
    assert_false(sky_rd_u64be(&rd, &u64));
    assert_false(sky_rd_u16le(&rd, &u16));
    assert_int_equal(sky_rd_left(&rd), 0);
}

static void test_view_skip_and_copy(void **state)
{
    (void)state;
    uint8_t data[16];
    for (int i = 0; i < 16; i++)
        data[i] = (uint8_t)(0xA0 + i);
    SkyReader rd = sky_rd_init(data, sizeof(data));
    const uint8_t *view = NULL;
    uint8_t out[4];

    assert_true(sky_rd_skip(&rd, 3));
    assert_true(sky_rd_view(&rd, &view, 5));
    assert_ptr_equal(view, data + 3); /* points into the buffer, no copy */
    assert_int_equal(view[0], 0xA3);
    assert_true(sky_rd_bytes(&rd, out, 4));
    assert_int_equal(out[0], 0xA8);
    assert_int_equal(out[3], 0xAB);
    assert_int_equal(sky_rd_left(&rd), 4);
    /* A view of zero bytes at the current position. */
    assert_true(sky_rd_view(&rd, &view, 0));
    assert_ptr_equal(view, data + 12);
    /* Past the end, including sizes that would overflow pos + n. */
    SkyReader r2 = rd;
    assert_false(sky_rd_skip(&r2, 5));
    r2 = rd;
    assert_false(sky_rd_skip(&r2, SIZE_MAX));
    r2 = rd;
    assert_false(sky_rd_view(&r2, &view, SIZE_MAX - 3));
    r2 = rd;
    assert_false(sky_rd_bytes(&r2, out, (size_t)-1));
    /* Exactly the rest. */
    assert_true(sky_rd_view(&rd, &view, 4));
    assert_ptr_equal(view, data + 12);
    assert_int_equal(sky_rd_left(&rd), 0);
    assert_false(rd.error);
}

static const uint8_t one_byte = 1;

static void test_null_buffers(void **state)
{
    (void)state;
    uint8_t u8;
    uint32_t u32;
    SkyReader rd = sky_rd_init(NULL, 100);
    assert_int_equal(rd.len, 0);
    assert_int_equal(sky_rd_left(&rd), 0);
    assert_false(sky_rd_u8(&rd, &u8));
    assert_true(rd.error);
    rd = sky_rd_init(NULL, 100);
    assert_false(sky_rd_u32be(&rd, &u32));
    /* Zero bytes from an empty (NULL) buffer: available, and the view is not dereferenced. */
    rd = sky_rd_init(NULL, 0);
    const uint8_t *view = &one_byte;
    assert_true(sky_rd_skip(&rd, 0));
    assert_true(sky_rd_view(&rd, &view, 0));
    assert_true(sky_rd_bytes(&rd, NULL, 0));
    assert_false(rd.error);

    SkyWriter wr = sky_wr_init(NULL, 100);
    assert_int_equal(wr.cap, 0);
    assert_false(sky_wr_u8(&wr, 1));
    assert_true(wr.error);
    wr = sky_wr_init(NULL, 100);
    assert_false(sky_wr_bytes(&wr, "ab", 2));
    wr = sky_wr_init(NULL, 0);
    assert_true(sky_wr_bytes(&wr, NULL, 0));
    assert_false(wr.error);

    /* An empty buffer that is not NULL behaves the same. */
    uint8_t one = 7;
    rd = sky_rd_init(&one, 0);
    assert_false(sky_rd_u8(&rd, &u8));
    wr = sky_wr_init(&one, 0);
    assert_false(sky_wr_u8(&wr, 9));
    assert_int_equal(one, 7);
}

static void test_writer_boundary_and_sticky(void **state)
{
    (void)state;
    uint8_t buf[16];
    memset(buf, 0xCC, sizeof(buf));

    /* cap 5 inside a 16-byte buffer: nothing may be written at or after index 5. */
    SkyWriter wr = sky_wr_init(buf, 5);
    assert_true(sky_wr_u32be(&wr, 0x01020304u));
    assert_false(sky_wr_u32be(&wr, 0x05060708u));
    assert_true(wr.error);
    assert_int_equal(wr.pos, 4);
    for (size_t i = 4; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xCC);
    /* Sticky: a byte that would fit is refused after the failure. */
    assert_false(sky_wr_u8(&wr, 0x99));
    assert_int_equal(buf[4], 0xCC);
    assert_false(sky_wr_bytes(&wr, "", 0));

    /* Exactly full. */
    memset(buf, 0xCC, sizeof(buf));
    wr = sky_wr_init(buf, 8);
    assert_true(sky_wr_u64le(&wr, UINT64_MAX));
    assert_int_equal(wr.pos, 8);
    assert_true(sky_wr_bytes(&wr, NULL, 0));
    assert_false(wr.error);
    assert_false(sky_wr_u8(&wr, 0));
    assert_int_equal(buf[8], 0xCC);

    /* Each width one byte short. */
    for (size_t width = 1; width <= 8; width *= 2) {
        memset(buf, 0xCC, sizeof(buf));
        wr = sky_wr_init(buf, width - 1);
        bool ok = width == 1 ? sky_wr_u8(&wr, 0)
                  : width == 2 ? sky_wr_u16le(&wr, 0)
                  : width == 4 ? sky_wr_u32le(&wr, 0)
                               : sky_wr_u64be(&wr, 0);
        assert_false(ok);
        assert_true(wr.error);
        for (size_t i = width - 1; i < sizeof(buf); i++)
            assert_int_equal(buf[i], 0xCC);
    }

    /* A too-long byte string writes nothing. */
    memset(buf, 0xCC, sizeof(buf));
    wr = sky_wr_init(buf, 4);
    assert_false(sky_wr_bytes(&wr, "hello", 5));
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal(buf[i], 0xCC);
    wr = sky_wr_init(buf, 4);
    assert_false(sky_wr_bytes(&wr, "hello", SIZE_MAX));
}

/* The text helpers: a string without its NUL, decimals of every sign and size. */
static void test_write_text(void **state)
{
    (void)state;
    static const struct {
        int64_t v;
        const char *text;
    } cases[] = {
        {0, "0"},
        {7, "7"},
        {-7, "-7"},
        {65535, "65535"},
        {4294967295, "4294967295"},
        {INT64_MAX, "9223372036854775807"},
        {INT64_MIN, "-9223372036854775808"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        SkyWriter wr = sky_wr_init(buf, sizeof(buf));
        assert_true(sky_wr_str(&wr, "x=") && sky_wr_dec(&wr, cases[i].v) && sky_wr_str(&wr, ""));
        assert_int_equal(wr.pos, 2 + strlen(cases[i].text));
        assert_memory_equal(buf, "x=", 2);
        assert_memory_equal(buf + 2, cases[i].text, strlen(cases[i].text));
    }

    /* Too long: nothing of it is written, and the writer stays failed. */
    memset(buf, 0xCC, sizeof(buf));
    SkyWriter wr = sky_wr_init(buf, 4);
    assert_false(sky_wr_dec(&wr, -12345));
    assert_true(wr.error);
    assert_false(sky_wr_str(&wr, "a"));
    for (size_t i = 0; i < sizeof(buf); i++)
        assert_int_equal((uint8_t)buf[i], 0xCC);
    wr = sky_wr_init(buf, 3);
    assert_false(sky_wr_str(&wr, "abcd"));
    assert_int_equal(wr.pos, 0);
}

static void test_float_le(void **state)
{
    (void)state;
    uint8_t buf[8];
    SkyWriter wr = sky_wr_init(buf, sizeof(buf));
    assert_true(sky_wr_f32le(&wr, 1.0f));
    assert_true(sky_wr_f32le(&wr, -0.5f));
    assert_false(sky_wr_f32le(&wr, 2.0f)); /* no room */
    /* 1.0f is 0x3f800000, little-endian on the wire. */
    static const uint8_t one[4] = {0x00, 0x00, 0x80, 0x3f};
    assert_memory_equal(buf, one, 4);
    SkyReader rd = sky_rd_init(buf, sizeof(buf));
    float a = 0, b = 0, c = 7.0f;
    assert_true(sky_rd_f32le(&rd, &a));
    assert_true(sky_rd_f32le(&rd, &b));
    assert_true(a == 1.0f && b == -0.5f);
    assert_false(sky_rd_f32le(&rd, &c)); /* past the end: untouched */
    assert_true(c == 7.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_little_and_big_endian),
        cmocka_unit_test(test_write_layout),
        cmocka_unit_test(test_round_trip_extremes),
        cmocka_unit_test(test_read_exact_boundary),
        cmocka_unit_test(test_reader_is_sticky),
        cmocka_unit_test(test_view_skip_and_copy),
        cmocka_unit_test(test_null_buffers),
        cmocka_unit_test(test_writer_boundary_and_sticky),
        cmocka_unit_test(test_write_text),
        cmocka_unit_test(test_float_le),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

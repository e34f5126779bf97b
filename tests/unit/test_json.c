/* Unit tests for common/json: the allocation-free JSON writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/json.h"
#include "json_check.h"

static void test_scalars(void **state)
{
    (void)state;
    char buf[256];
    SkyJson j;
    sky_json_init(&j, buf, sizeof(buf));
    assert_string_equal(buf, "");
    sky_json_obj_begin(&j, NULL);
    sky_json_int(&j, "i", -42);
    sky_json_int(&j, "imin", INT64_MIN);
    sky_json_int(&j, "imax", INT64_MAX);
    sky_json_uint(&j, "u", 0);
    sky_json_uint(&j, "umax", UINT64_MAX);
    sky_json_bool(&j, "t", true);
    sky_json_bool(&j, "f", false);
    sky_json_null(&j, "n");
    sky_json_str(&j, "s", "hello");
    sky_json_str(&j, "empty", "");
    sky_json_str(&j, "nullstr", NULL);
    sky_json_obj_end(&j);
    assert_true(sky_json_ok(&j));
    assert_string_equal(buf, "{\"i\":-42,\"imin\":-9223372036854775808,"
                             "\"imax\":9223372036854775807,\"u\":0,"
                             "\"umax\":18446744073709551615,\"t\":true,\"f\":false,\"n\":null,"
                             "\"s\":\"hello\",\"empty\":\"\",\"nullstr\":\"\"}");
    assert_int_equal(j.len, strlen(buf));
    assert_true(tjson_valid(buf));
}

static void test_nesting_and_commas(void **state)
{
    (void)state;
    char buf[256];
    SkyJson j;
    sky_json_init(&j, buf, sizeof(buf));
    sky_json_obj_begin(&j, NULL);
    sky_json_obj_begin(&j, "a");
    sky_json_int(&j, "x", 1);
    sky_json_obj_begin(&j, "empty");
    sky_json_obj_end(&j);
    sky_json_obj_begin(&j, "b");
    sky_json_obj_begin(&j, "c");
    sky_json_bool(&j, "deep", true);
    sky_json_obj_end(&j);
    sky_json_obj_end(&j);
    sky_json_int(&j, "y", 2);
    sky_json_obj_end(&j);
    sky_json_int(&j, "z", 3);
    sky_json_obj_begin(&j, "last");
    sky_json_obj_end(&j);
    sky_json_obj_end(&j);
    assert_true(sky_json_ok(&j));
    assert_string_equal(buf, "{\"a\":{\"x\":1,\"empty\":{},\"b\":{\"c\":{\"deep\":true}},\"y\":2},"
                             "\"z\":3,\"last\":{}}");
    assert_true(tjson_valid(buf));
    double v;
    assert_true(tjson_number(buf, "a.y", &v));
    assert_true(v == 2);
    char raw[16];
    assert_true(tjson_get(buf, "a.b.c.deep", raw, sizeof(raw)));
    assert_string_equal(raw, "true");

    /* An empty top-level object. */
    sky_json_init(&j, buf, sizeof(buf));
    sky_json_obj_begin(&j, NULL);
    sky_json_obj_end(&j);
    assert_string_equal(buf, "{}");
}

static void test_string_escaping(void **state)
{
    (void)state;
    char buf[512];
    SkyJson j;
    sky_json_init(&j, buf, sizeof(buf));
    sky_json_obj_begin(&j, NULL);
    sky_json_str(&j, "q", "say \"hi\"");
    sky_json_str(&j, "bs", "C:\\path\\");
    sky_json_str(&j, "ws", "a\nb\rc\td");
    sky_json_str(&j, "ctl", "\x01\x08\x0c\x1f|\x7f");
    sky_json_str(&j, "utf8", "caf\xc3\xa9 \xe2\x9c\x93");
    sky_json_str(&j, "key \"with\"\n\\odd", "v");
    sky_json_obj_end(&j);
    assert_true(sky_json_ok(&j));
    assert_string_equal(buf, "{\"q\":\"say \\\"hi\\\"\","
                             "\"bs\":\"C:\\\\path\\\\\","
                             "\"ws\":\"a\\nb\\rc\\td\","
                             "\"ctl\":\"\\u0001\\u0008\\u000c\\u001f|\x7f\","
                             "\"utf8\":\"caf\xc3\xa9 \xe2\x9c\x93\","
                             "\"key \\\"with\\\"\\n\\\\odd\":\"v\"}");
    assert_true(tjson_valid(buf));

    /* Every control character comes out escaped, so the result is valid JSON. */
    char all[32];
    for (int c = 1; c < 32; c++)
        all[c - 1] = (char)c;
    all[31] = '\0';
    sky_json_init(&j, buf, sizeof(buf));
    sky_json_obj_begin(&j, NULL);
    sky_json_str(&j, "all", all);
    sky_json_obj_end(&j);
    assert_true(sky_json_ok(&j));
    assert_true(tjson_valid(buf));
    for (const char *p = buf; *p; p++)
        assert_true((unsigned char)*p >= 0x20);
}

static void test_doubles(void **state)
{
    (void)state;
    char buf[1024];
    SkyJson j;
    sky_json_init(&j, buf, sizeof(buf));
    sky_json_obj_begin(&j, NULL);
    sky_json_double(&j, "pi", 3.14159, 3);
    sky_json_double(&j, "half", -0.5, 1);
    sky_json_double(&j, "two", 2.0, 2);
    sky_json_double(&j, "neg_decimals", 7.0, -3); /* clamped to 0 */
    sky_json_double(&j, "many", 0.1, 20);         /* clamped to 9 */
    sky_json_double(&j, "nan", NAN, 2);
    sky_json_double(&j, "inf", INFINITY, 2);
    sky_json_double(&j, "ninf", -INFINITY, 0);
    sky_json_double(&j, "zero", 0.0, 0);
    sky_json_obj_end(&j);
    assert_true(sky_json_ok(&j));
    assert_string_equal(buf, "{\"pi\":3.142,\"half\":-0.5,\"two\":2.00,\"neg_decimals\":7,"
                             "\"many\":0.100000000,\"nan\":null,\"inf\":null,\"ninf\":null,"
                             "\"zero\":0}");
    assert_true(tjson_valid(buf));

    /* Large magnitudes are written in full, not dropped, when the buffer has room. */
    sky_json_init(&j, buf, sizeof(buf));
    sky_json_obj_begin(&j, NULL);
    sky_json_double(&j, "big", 1e300, 2);
    sky_json_double(&j, "max", -DBL_MAX, 9);
    sky_json_double(&j, "tiny", 1e-300, 9);
    sky_json_obj_end(&j);
    assert_true(sky_json_ok(&j));
    assert_true(tjson_valid(buf));
    double v;
    assert_true(tjson_number(buf, "big", &v));
    assert_true(v == 1e300);
    assert_true(tjson_number(buf, "max", &v));
    assert_true(v == -DBL_MAX);
    assert_true(tjson_number(buf, "tiny", &v));
    assert_true(v == 0.0);
}

/* Writes the same document into buffers of every size: each result is ok exactly when it fits,
 * is always NUL-terminated, never writes past cap, and is a prefix of the full document
 * (nothing is appended after the first cut). */
static void write_doc(SkyJson *j)
{
    sky_json_obj_begin(j, NULL);
    sky_json_str(j, "name", "a \"quoted\"\tvalue");
    sky_json_obj_begin(j, "inner");
    sky_json_uint(j, "big", UINT64_MAX);
    sky_json_double(j, "d", 12.25, 2);
    sky_json_null(j, "n");
    sky_json_obj_end(j);
    sky_json_bool(j, "b", true);
    sky_json_int(j, "i", 1); /* short items after long ones would fit again after a cut */
    sky_json_obj_end(j);
}

static void test_overflow(void **state)
{
    (void)state;
    char full[256];
    SkyJson j;
    sky_json_init(&j, full, sizeof(full));
    write_doc(&j);
    assert_true(sky_json_ok(&j));
    assert_true(tjson_valid(full));
    size_t full_len = strlen(full);

    for (size_t cap = 0; cap <= full_len + 2; cap++) {
        char buf[300];
        memset(buf, '#', sizeof(buf));
        sky_json_init(&j, buf, cap);
        write_doc(&j);
        if (cap > full_len) {
            assert_true(sky_json_ok(&j));
            assert_string_equal(buf, full);
        } else {
            assert_false(sky_json_ok(&j));
            if (cap > 0) {
                size_t n = strnlen(buf, cap);
                assert_true(n < cap); /* NUL-terminated inside the buffer */
                assert_memory_equal(buf, full, n);
            }
        }
        for (size_t i = cap; i < sizeof(buf); i++)
            if (buf[i] != '#')
                fail_msg("cap %zu: byte %zu written", cap, i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_nesting_and_commas),
        cmocka_unit_test(test_string_escaping),
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

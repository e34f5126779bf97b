/* Unit tests for common/core/hex: hex text to bytes and back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/core/error.h"
#include "common/core/hex.h"

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t in[256], out[256];
    char text[513];
    size_t n;
    for (int i = 0; i < 256; i++)
        in[i] = (uint8_t)i;
    sky_hex_encode(in, sizeof(in), text, false);
    assert_int_equal(strlen(text), 512);
    assert_memory_equal(text, "000102", 6);
    assert_string_equal(text + 508, "feff");
    assert_int_equal(sky_hex_decode(text, 512, out, sizeof(out), &n), 0);
    assert_int_equal(n, 256);
    assert_memory_equal(in, out, 256);
    sky_hex_encode(in + 250, 6, text, true);
    assert_string_equal(text, "FAFBFCFDFEFF");
    assert_int_equal(sky_hex_decode("aBcD", 4, out, 2, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[0], 0xab);
    assert_int_equal(out[1], 0xcd);
    sky_hex_encode(in, 0, text, false);
    assert_string_equal(text, "");
    assert_int_equal(sky_hex_decode("", 0, out, 0, &n), 0);
    assert_int_equal(n, 0);
}

static void test_bad_input(void **state)
{
    (void)state;
    uint8_t out[4];
    size_t n = 99;
    assert_int_equal(sky_hex_decode("abc", 3, out, sizeof(out), &n), SKY_ERR(EBADMSG));
    assert_int_equal(n, 0);
    assert_int_equal(sky_hex_decode("0g", 2, out, sizeof(out), &n), SKY_ERR(EBADMSG));
    assert_int_equal(sky_hex_decode("g0", 2, out, sizeof(out), &n), SKY_ERR(EBADMSG));
    assert_int_equal(sky_hex_decode(" 0", 2, out, sizeof(out), &n), SKY_ERR(EBADMSG));
    assert_int_equal(sky_hex_decode("0011223344", 10, out, sizeof(out), &n), SKY_ERR(E2BIG));
    assert_int_equal(sky_hex_decode("00112233", 8, out, sizeof(out), &n), 0);
    assert_int_equal(n, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

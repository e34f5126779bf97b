/* Unit tests for common/core/error: sky_strerror and its describer for non-errno codes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/core/error.h"

static void test_never_null(void **state)
{
    (void)state;
    for (int e = -5000; e <= 5000; e++) {
        const char *s = sky_strerror(e);
        assert_non_null(s);
        assert_true(s[0] != '\0');
    }
    /* Extremes, and libavcodec-style tags (large negative values). */
    static const int odd[] = {INT_MIN, INT_MIN + 1, INT_MAX, -0x10000000, -(int)0x20464F45};
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        const char *s = sky_strerror(odd[i]);
        assert_non_null(s);
        assert_true(s[0] != '\0');
    }
}

static void test_system_messages(void **state)
{
    (void)state;
    assert_string_equal(sky_strerror(0), "success");
    assert_string_equal(sky_strerror(7), "success");
    /* Any errno has the system's own text, not only the ones the project returns. */
    static const int some[] = {EINVAL, ENOMEM, EAGAIN, ETIMEDOUT, ECONNREFUSED, EKEYREJECTED,
                               EADDRINUSE, ENETUNREACH, EMFILE, ENOSPC, EROFS, ESTALE};
    for (size_t i = 0; i < sizeof(some) / sizeof(some[0]); i++) {
        char want[256];
        snprintf(want, sizeof(want), "%s", strerror(some[i]));
        assert_string_equal(sky_strerror(SKY_ERR(some[i])), want);
    }
    /* Codes the system has no text for are named by their number. */
    assert_string_equal(sky_strerror(SKY_ERR(41)), "error -41");
}

static int describe(int err, char *buf, size_t size)
{
    if (err != -0x10000000)
        return -1; /* leaves buf empty: not one of "ours" */
    snprintf(buf, size, "a described tag");
    return 0;
}

static void test_describer(void **state)
{
    (void)state;
    /* Without a describer, a code that is no errno is named by its number. */
    sky_error_set_describer(NULL);
    assert_string_equal(sky_strerror(-4000), "error -4000");
    assert_string_equal(sky_strerror(INT_MIN), "error -2147483648");
    sky_error_set_describer(describe);
    assert_string_equal(sky_strerror(-0x10000000), "a described tag");
    assert_string_equal(sky_strerror(-4000), "error -4000");
    /* errnos stay the system's. */
    char want[256];
    snprintf(want, sizeof(want), "%s", strerror(EIO));
    assert_string_equal(sky_strerror(SKY_ERR(EIO)), want);
    sky_error_set_describer(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_never_null),
        cmocka_unit_test(test_system_messages),
        cmocka_unit_test(test_describer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for common/error: sky_strerror. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
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

static void test_known_codes(void **state)
{
    (void)state;
    assert_string_equal(sky_strerror(0), "success");
    assert_string_equal(sky_strerror(7), "success");
    assert_string_equal(sky_strerror(SKY_ERR(EINVAL)), "invalid argument");
    assert_string_equal(sky_strerror(SKY_ERR(ETIMEDOUT)), "timed out");
    assert_string_equal(sky_strerror(SKY_ERR(ESHUTDOWN)), "aborted");
    assert_string_equal(sky_strerror(SKY_ERR(EAGAIN)), "try again");
    /* Every code the project returns has its own text, not the generic one. */
    static const int ours[] = {EINVAL,  ENOMEM,    EAGAIN, ENOENT, EIO,    ENOSYS,
                               ENODEV,  ERANGE,    EPROTO, EBADMSG, ETIMEDOUT,
                               ECANCELED, EPIPE,   EEXIST, EACCES, E2BIG,  EOVERFLOW,
                               ESHUTDOWN};
    for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
        const char *s = sky_strerror(SKY_ERR(ours[i]));
        if (strcmp(s, "error") == 0)
            fail_msg("errno %d has no message", ours[i]);
        for (size_t k = 0; k < i; k++)
            if (strcmp(s, sky_strerror(SKY_ERR(ours[k]))) == 0)
                fail_msg("errno %d and %d share '%s'", ours[i], ours[k], s);
    }
    assert_string_equal(sky_strerror(-4000), "error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_never_null),
        cmocka_unit_test(test_known_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for common/time. These check ordering only (the clock never goes back, a sleep
 * never ends early), never how long something took. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/core/time.h"

static void test_monotonic(void **state)
{
    (void)state;
    int64_t prev = sky_time_us();
    assert_true(prev > 0);
    for (int i = 0; i < 100000; i++) {
        int64_t now = sky_time_us();
        assert_true(now >= prev);
        prev = now;
    }
}

static void test_sleep_until_not_early(void **state)
{
    (void)state;
    static const int64_t offsets_us[] = {1, 50, 333, 1000, 3999, 2500, 10000};
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof(offsets_us) / sizeof(offsets_us[0]); i++) {
            int64_t deadline = sky_time_us() + offsets_us[i];
            sky_sleep_until_us(deadline);
            assert_true(sky_time_us() >= deadline);
        }
    }
    /* A deadline that has passed, zero or negative returns (nothing to measure). */
    sky_sleep_until_us(sky_time_us() - 1000);
    sky_sleep_until_us(0);
    sky_sleep_until_us(-5);
}

static void test_sleep_us_not_early(void **state)
{
    (void)state;
    for (int64_t us = 1; us <= 4096; us *= 4) {
        int64_t before = sky_time_us();
        sky_sleep_us(us);
        assert_true(sky_time_us() - before >= us);
    }
    sky_sleep_us(0);
    sky_sleep_us(-100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_sleep_until_not_early),
        cmocka_unit_test(test_sleep_us_not_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

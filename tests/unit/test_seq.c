/* Unit tests for common/core/seq.h: wraparound-safe sequence arithmetic. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/core/seq.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void)
{
    /* xorshift64: deterministic, so a failure reproduces. */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_seq16_basics(void **state)
{
    (void)state;
    assert_int_equal(sky_seq16_diff(1, 2), 1);
    assert_int_equal(sky_seq16_diff(2, 1), -1);
    assert_int_equal(sky_seq16_diff(7, 7), 0);
    assert_true(sky_seq16_before(1, 2));
    assert_false(sky_seq16_before(2, 1));
    assert_false(sky_seq16_before(7, 7));

    /* 0xFFFF -> 0 is one step forward. */
    assert_int_equal(sky_seq16_diff(0xFFFF, 0), 1);
    assert_int_equal(sky_seq16_diff(0, 0xFFFF), -1);
    assert_true(sky_seq16_before(0xFFFF, 0));
    assert_false(sky_seq16_before(0, 0xFFFF));
    assert_int_equal(sky_seq16_diff(0xFFF0, 0x0010), 0x20);
    assert_true(sky_seq16_before(0xFFF0, 0x0010));

    /* The largest distances either way. */
    assert_int_equal(sky_seq16_diff(0, 0x7FFF), 32767);
    assert_true(sky_seq16_before(0, 0x7FFF));
    assert_int_equal(sky_seq16_diff(0, 0x8001), -32767);
    assert_true(sky_seq16_before(0x8001, 0));
    assert_false(sky_seq16_before(0, 0x8001));
    /* Exactly half the space apart: ambiguous, neither is before the other. */
    assert_int_equal(sky_seq16_diff(0, 0x8000), INT16_MIN);
    assert_int_equal(sky_seq16_diff(0x8000, 0), INT16_MIN);
    assert_false(sky_seq16_before(0, 0x8000));
    assert_false(sky_seq16_before(0x8000, 0));
    assert_false(sky_seq16_before(0x1234, 0x9234));
    assert_false(sky_seq16_before(0x9234, 0x1234));
}

static void test_seq16_random_distances(void **state)
{
    (void)state;
    for (int i = 0; i < 100000; i++) {
        uint16_t a = (uint16_t)rng();
        int d = (int)(rng() % 65535) - 32767; /* [-32767, 32767] */
        uint16_t b = (uint16_t)(a + d);
        assert_int_equal(sky_seq16_diff(a, b), d);
        assert_int_equal(sky_seq16_diff(b, a), -d);
        assert_int_equal(sky_seq16_before(a, b), d > 0);
        assert_int_equal(sky_seq16_before(b, a), d < 0);
    }
}

static void test_seq32_basics(void **state)
{
    (void)state;
    assert_int_equal(sky_seq32_diff(10, 15), 5);
    assert_int_equal(sky_seq32_diff(15, 10), -5);
    assert_false(sky_seq32_before(5, 5));
    assert_int_equal(sky_seq32_diff(0xFFFFFFFFu, 0), 1);
    assert_true(sky_seq32_before(0xFFFFFFFFu, 0));
    assert_false(sky_seq32_before(0, 0xFFFFFFFFu));
    assert_int_equal(sky_seq32_diff(0xFFFFFF00u, 0x100), 0x200);
    assert_int_equal(sky_seq32_diff(0, 0x7FFFFFFFu), INT32_MAX);
    assert_true(sky_seq32_before(0, 0x7FFFFFFFu));
    assert_int_equal(sky_seq32_diff(0, 0x80000001u), -INT32_MAX);
    assert_true(sky_seq32_before(0x80000001u, 0));
    assert_true(sky_seq32_diff(0, 0x80000000u) == INT32_MIN);
    assert_true(sky_seq32_diff(0x80000000u, 0) == INT32_MIN);
    assert_false(sky_seq32_before(0, 0x80000000u));
    assert_false(sky_seq32_before(0x80000000u, 0));
    for (int i = 0; i < 100000; i++) {
        uint32_t a = (uint32_t)rng();
        int64_t d = (int64_t)(rng() % 0xFFFFFFFFull) - INT32_MAX;
        uint32_t b = (uint32_t)(a + (uint32_t)d);
        assert_true(sky_seq32_diff(a, b) == d);
        assert_int_equal(sky_seq32_before(a, b), d > 0);
    }
}

static void test_extend_forward_many_wraps(void **state)
{
    (void)state;
    uint64_t truth = 0, ext = 0;
    /* Steps of 1 to 30000 carry the counter around the 16-bit space about 1500 times. */
    for (int i = 0; i < 200000; i++) {
        truth += 1 + rng() % 30000;
        ext = sky_seq16_extend(ext, (uint16_t)truth);
        assert_true(ext == truth);
    }
    assert_true(truth > 1000ull * 65536);

    /* Crossing each wrap one step at a time. */
    ext = 0;
    for (uint64_t v = 1; v <= 5 * 65536 + 17; v++) {
        ext = sky_seq16_extend(ext, (uint16_t)v);
        assert_true(ext == v);
    }
    /* The largest forward step that is still read as forward. */
    assert_true(sky_seq16_extend(100000, (uint16_t)(100000 + 32767)) == 100000 + 32767);
}

static void test_extend_backward_small_steps(void **state)
{
    (void)state;
    /* Reordered packets: a little behind the newest one, also across a wrap. */
    const uint64_t bases[] = {3 * 65536 + 2, 65536, 10 * 65536 + 40000, 7 * 65536 - 1,
                              1000000007ull};
    for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
        for (uint64_t k = 0; k <= 32767; k += (k < 100 ? 1 : 97)) {
            uint64_t want = bases[b] - k;
            assert_true(sky_seq16_extend(bases[b], (uint16_t)want) == want);
        }
    }
    /* Going back and then forward again keeps tracking. */
    uint64_t ext = 5 * 65536 + 3;
    ext = sky_seq16_extend(ext, (uint16_t)(5 * 65536 - 4));
    assert_true(ext == 5 * 65536 - 4);
    ext = sky_seq16_extend(ext, (uint16_t)(5 * 65536 + 10));
    assert_true(ext == 5 * 65536 + 10);
    /* Before the very start there is no negative value: the candidate at or above 0 is used. */
    assert_true(sky_seq16_extend(5, 0xFFFF) == 0xFFFF);
    assert_true(sky_seq16_extend(0, 0) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq16_basics),
        cmocka_unit_test(test_seq16_random_distances),
        cmocka_unit_test(test_seq32_basics),
        cmocka_unit_test(test_extend_forward_many_wraps),
        cmocka_unit_test(test_extend_backward_small_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

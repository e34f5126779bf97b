/* Unit tests for common/decode_policy: the decoder's error decisions, without a codec. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/media/decode_policy.h"
#include "common/core/error.h"

#define ERR SKY_ERR(EIO)

static SkyDecodePolicy make(uint32_t max_hw_failures, bool resync, bool hw)
{
    SkyDecodePolicyCfg cfg = {.max_hw_failures = max_hw_failures, .resync_on_error = resync};
    SkyDecodePolicy p;
    sky_decode_policy_init(&p, &cfg, hw);
    return p;
}

static void test_clean_stream(void **state)
{
    (void)state;
    SkyDecodePolicy p = make(3, true, true);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(sky_decode_policy_result(&p, 0), SKY_DECODE_OK);
    }
    /* Positive results (bytes, counts) are successes too. */
    assert_int_equal(sky_decode_policy_result(&p, 5), SKY_DECODE_OK);
    assert_int_equal(p.errors, 0);
    assert_int_equal(p.resyncs, 0);
    assert_int_equal(p.fallbacks, 0);
}

static void test_fallback_after_n_consecutive(void **state)
{
    (void)state;
    /* Files mode, so the errors before the limit do not resync: just OK and go on. */
    SkyDecodePolicy p = make(3, false, true);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_OK);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_OK);
    assert_int_equal(p.fallbacks, 0);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_FALLBACK);
    assert_int_equal(p.fallbacks, 1);
    assert_int_equal(p.errors, 3);

    /* Stream mode: the errors before the limit resync. */
    p = make(3, true, true);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_RESYNC);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_RESYNC);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_FALLBACK);
    assert_int_equal(p.resyncs, 2);
    assert_int_equal(p.fallbacks, 1);

    /* A limit of 1 falls back on the first error; 0 is treated as 1. */
    p = make(1, true, true);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_FALLBACK);
    p = make(0, true, true);
    assert_int_equal(p.cfg.max_hw_failures, 1);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_FALLBACK);
}

static void test_success_resets_count(void **state)
{
    (void)state;
    SkyDecodePolicy p = make(3, false, true);
    for (int round = 0; round < 10; round++) {
        assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_OK);
        assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_OK);
        assert_int_equal(sky_decode_policy_result(&p, 0), SKY_DECODE_OK);
    }
    assert_int_equal(p.fallbacks, 0);
    assert_int_equal(p.errors, 20);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_OK);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_OK);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_FALLBACK);
}

static void test_resync_every_error(void **state)
{
    (void)state;
    /* Stream mode in software: every error asks for a new generation, none is a fallback. */
    SkyDecodePolicy p = make(3, true, false);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_RESYNC);
    assert_int_equal(sky_decode_policy_result(&p, 0), SKY_DECODE_OK);
    for (int i = 0; i < 50; i++)
        assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_RESYNC);
    assert_int_equal(p.resyncs, 51);
    assert_int_equal(p.errors, 51);
    assert_int_equal(p.fallbacks, 0);
}

static void test_files_mode_keeps_going(void **state)
{
    (void)state;
    SkyDecodePolicy p = make(3, false, false);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_OK);
    }
    assert_int_equal(p.errors, 50);
    assert_int_equal(p.resyncs, 0);
    assert_int_equal(p.fallbacks, 0);
}

static void test_after_fallback(void **state)
{
    (void)state;
    /* Stream mode. */
    SkyDecodePolicy p = make(2, true, true);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_RESYNC);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_FALLBACK);
    sky_decode_policy_fell_back(&p);
    assert_false(p.hw);
    assert_int_equal(sky_decode_policy_result(&p, 0), SKY_DECODE_OK);
    /* No second fallback, ever. */
    for (int i = 0; i < 20; i++)
        assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_RESYNC);
    assert_int_equal(p.fallbacks, 1);

    /* Files mode. */
    p = make(2, false, true);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_OK);
    assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_FALLBACK);
    sky_decode_policy_fell_back(&p);
    for (int i = 0; i < 20; i++)
        assert_int_equal(sky_decode_policy_result(&p, ERR), SKY_DECODE_OK);
    assert_int_equal(p.fallbacks, 1);
    assert_int_equal(p.errors, 22);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_stream),
        cmocka_unit_test(test_fallback_after_n_consecutive),
        cmocka_unit_test(test_success_resets_count),
        cmocka_unit_test(test_resync_every_error),
        cmocka_unit_test(test_files_mode_keeps_going),
        cmocka_unit_test(test_after_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The jitter buffer's clock on synthetic arrivals: lowest adds nothing; balanced releases
 * frames on the host's cadence despite network jitter, with a target that follows the jitter;
 * drifting clocks and late frames are handled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "common/core/error.h"
#include "common/proto/jitter.h"

static uint64_t g_rng = 12345;

static int64_t urand(int64_t max) /* 0..max */
{
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (int64_t)((g_rng >> 33) % (uint64_t)(max + 1));
}

static SkyJitter *make(int mode)
{
    SkyJitter *j = NULL;
    SkyJitterCfg cfg = {mode, 90000, 0};
    assert_int_equal(sky_jitter_create(&j, &cfg), 0);
    return j;
}

#define FRAME_US 16667

static void test_lowest(void **state)
{
    (void)state;
    SkyJitter *j = make(SKY_LATENCY_LOWEST);
    for (int i = 0; i < 100; i++) {
        int64_t arrival = 1000000 + i * FRAME_US + urand(10000);
        SkyJitterTimes t = sky_jitter_frame(j, (uint32_t)(i * 1500), arrival);
        assert_int_equal(t.release_us, arrival);
        assert_int_equal(t.present_us, 0);
    }
    assert_int_equal(sky_jitter_target_us(j), 0);
    sky_jitter_destroy(&j);
    assert_null(j);
}

/* Arrival = host time + fixed path delay + up to 10 ms of jitter. */
static void test_balanced_absorbs_jitter(void **state)
{
    (void)state;
    SkyJitter *j = make(SKY_LATENCY_BALANCED);
    int64_t prev_release = 0, prev_arrival = 0, sum_dev = 0, sum_adev = 0;
    for (int i = 0; i < 600; i++) {
        int64_t arrival = 5000000 + i * FRAME_US + urand(10000);
        SkyJitterTimes t = sky_jitter_frame(j, (uint32_t)(i * 1500), arrival);
        assert_true(t.release_us >= arrival);
        assert_true(t.release_us - arrival <= 10000 + 1); /* never more than the jitter */
        if (i >= 200) { /* once the estimate has settled */
            sum_dev += llabs(t.release_us - prev_release - FRAME_US);
            sum_adev += llabs(arrival - prev_arrival - FRAME_US);
        }
        prev_release = t.release_us;
        prev_arrival = arrival;
    }
    /* Releases keep the host's cadence far better than arrivals do (on average: the few frames
     * later than the target's 95th percentile go at once). */
    assert_true(sum_adev / 400 > 2500);
    assert_true(sum_dev < sum_adev / 8);
    int64_t target = sky_jitter_target_us(j);
    assert_true(target >= 8000 && target <= 10000);
    /* The network calms down: the target falls, slowly. */
    for (int i = 600; i < 700; i++)
        sky_jitter_frame(j, (uint32_t)(i * 1500), 5000000 + i * FRAME_US);
    int64_t mid = sky_jitter_target_us(j);
    assert_true(mid < target && mid > 0);
    for (int i = 700; i < 1200; i++)
        sky_jitter_frame(j, (uint32_t)(i * 1500), 5000000 + i * FRAME_US);
    assert_true(sky_jitter_target_us(j) < 1000);
    sky_jitter_destroy(&j);
}

/* The host's clock runs 400 ppm fast or slow (crystals stay within 100): the target stays near
 * the real jitter (2 ms) and releases stay at a steady distance from the quick path. */
static void test_clock_drift(void **state)
{
    (void)state;
    for (int dir = -1; dir <= 1; dir += 2) {
        SkyJitter *j = make(SKY_LATENCY_BALANCED);
        for (int i = 0; i < 3000; i++) {
            int64_t host_us = (int64_t)i * FRAME_US;
            uint32_t ts = (uint32_t)((double)host_us * 0.09 * (1 + dir * 0.0004));
            int64_t arrival = 1000000 + host_us + urand(2000);
            SkyJitterTimes t = sky_jitter_frame(j, ts, arrival);
            /* The quick path is "no jitter": a release is at most the target past it. */
            if (i > 200 && (t.release_us > 1000000 + host_us + 2300 ||
                            t.release_us < 1000000 + host_us + 1500))
                fail_msg("drift %d, frame %d: released %lld us after the quick path", dir, i,
                         (long long)(t.release_us - 1000000 - host_us));
        }
        int64_t target = sky_jitter_target_us(j);
        if (target > 2300 || target < 1500)
            fail_msg("drift %d: target %lld", dir, (long long)target);
        sky_jitter_destroy(&j);
    }
}

/* One very late frame goes at once; the cap holds; a reset starts over. */
static void test_late_and_cap(void **state)
{
    (void)state;
    SkyJitter *j = make(SKY_LATENCY_BALANCED);
    for (int i = 0; i < 50; i++)
        sky_jitter_frame(j, (uint32_t)(i * 1500), i * FRAME_US + urand(1000));
    SkyJitterTimes t = sky_jitter_frame(j, 50 * 1500, 50 * FRAME_US + 400000);
    assert_int_equal(t.release_us, 50 * FRAME_US + 400000);
    assert_true(sky_jitter_target_us(j) <= 150000);
    /* After a reset the first frame sets the time base again: it waits at most the target. */
    int64_t target = sky_jitter_target_us(j);
    sky_jitter_reset(j);
    t = sky_jitter_frame(j, 0, 99000000);
    assert_true(t.release_us >= 99000000 && t.release_us <= 99000000 + target);
    /* Timestamps wrap around 2^32. */
    SkyJitter *w = make(SKY_LATENCY_BALANCED);
    uint32_t ts = 0xFFFFF000u;
    for (int i = 0; i < 100; i++, ts += 1500) {
        t = sky_jitter_frame(w, ts, 1000000 + i * FRAME_US);
        assert_true(t.release_us - (1000000 + i * FRAME_US) < 1000);
    }
    sky_jitter_destroy(&w);
    sky_jitter_destroy(&j);
}

static void test_smooth_present_times(void **state)
{
    (void)state;
    SkyJitter *j = make(SKY_LATENCY_SMOOTH);
    for (int i = 0; i < 200; i++) {
        sky_jitter_decoded(j, 3000 + urand(4000));
        SkyJitterTimes t = sky_jitter_frame(j, (uint32_t)(i * 1500), i * FRAME_US + urand(3000));
        assert_true(t.present_us >= t.release_us);
        if (i > 100) /* covers nearly the slowest decodes */
            assert_true(t.present_us - t.release_us >= 6000);
    }
    SkyJitter *bad = NULL;
    SkyJitterCfg cfg = {7, 90000, 0};
    assert_int_equal(sky_jitter_create(&bad, &cfg), SKY_ERR(EINVAL));
    sky_jitter_destroy(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lowest),
        cmocka_unit_test(test_balanced_absorbs_jitter),
        cmocka_unit_test(test_clock_drift),
        cmocka_unit_test(test_late_and_cap),
        cmocka_unit_test(test_smooth_present_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

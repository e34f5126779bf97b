/* Unit tests for common/stats: counters and log-linear histograms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "common/core/stats.h"

/* cmocka's assert_float_equal works in float; these values need double. */
#define assert_near(a, b, eps)                                                                \
    do {                                                                                      \
        double a_ = (a), b_ = (b);                                                            \
        if (!(fabs(a_ - b_) <= (eps)))                                                        \
            fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);                               \
    } while (0)

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A histogram is ~16 KiB: keep them off the stack. */
static SkyHistogram *new_hist(void)
{
    SkyHistogram *h = malloc(sizeof(*h));
    assert_non_null(h);
    sky_hist_init(h);
    return h;
}

static void check_value(uint64_t v)
{
    unsigned idx = sky_hist_bucket_of(v);
    if (idx >= SKY_HIST_BUCKETS)
        fail_msg("value %llu: bucket %u out of range", (unsigned long long)v, idx);
    if (!(sky_hist_bucket_low(idx) <= v && v <= sky_hist_bucket_high(idx)))
        fail_msg("value %llu: bucket %u spans [%llu, %llu]", (unsigned long long)v, idx,
                 (unsigned long long)sky_hist_bucket_low(idx),
                 (unsigned long long)sky_hist_bucket_high(idx));
}

static void test_counter(void **state)
{
    (void)state;
    SkyCounter c;
    atomic_init(&c.v, 0);
    assert_int_equal(sky_counter_get(&c), 0);
    sky_counter_add(&c, 5);
    sky_counter_add(&c, 0);
    sky_counter_add(&c, 1000000000000ull);
    assert_true(sky_counter_get(&c) == 1000000000005ull);
}

static void test_bucket_boundaries(void **state)
{
    (void)state;
    for (uint64_t v = 0; v < 4096; v++)
        check_value(v);
    for (unsigned k = 0; k < 64; k++) {
        uint64_t p = (uint64_t)1 << k;
        check_value(p - 1);
        check_value(p);
        check_value(p + 1);
    }
    check_value(UINT64_MAX);
    check_value(UINT64_MAX - 1);
    for (int i = 0; i < 200000; i++) {
        /* Random bit widths, so every power of two gets values. */
        uint64_t v = rng() >> (rng() % 64);
        check_value(v);
    }
}

static void test_buckets_tile_the_range(void **state)
{
    (void)state;
    assert_int_equal(sky_hist_bucket_low(0), 0);
    assert_true(sky_hist_bucket_high(SKY_HIST_BUCKETS - 1) == UINT64_MAX);
    assert_int_equal(sky_hist_bucket_of(UINT64_MAX), SKY_HIST_BUCKETS - 1);
    for (unsigned i = 0; i < SKY_HIST_BUCKETS; i++) {
        uint64_t lo = sky_hist_bucket_low(i), hi = sky_hist_bucket_high(i);
        assert_true(lo <= hi);
        assert_int_equal(sky_hist_bucket_of(lo), i);
        assert_int_equal(sky_hist_bucket_of(hi), i);
        if (i + 1 < SKY_HIST_BUCKETS)
            assert_true(hi + 1 == sky_hist_bucket_low(i + 1)); /* no gap, no overlap */
        if (i < 64)
            assert_true(lo == i && hi == i); /* exact below 64 */
        else
            assert_true((double)(hi - lo) <= (double)lo / 32.0); /* about 3% wide */
    }
}

static void test_empty(void **state)
{
    (void)state;
    SkyHistogram *h = new_hist();
    assert_int_equal(sky_hist_count(h), 0);
    assert_int_equal(sky_hist_percentile(h, 50), 0);
    assert_int_equal(sky_hist_percentile(h, 100), 0);
    assert_int_equal(sky_hist_min(h), 0);
    assert_int_equal(sky_hist_max(h), 0);
    assert_true(sky_hist_mean(h) == 0.0);
    free(h);
}

static void test_percentiles_exact_below_64(void **state)
{
    (void)state;
    SkyHistogram *h = new_hist();
    /* 0..63 once each, in a scrambled order. */
    for (unsigned i = 0; i < 64; i++)
        sky_hist_record(h, (i * 37) % 64);
    assert_int_equal(sky_hist_count(h), 64);
    for (unsigned k = 1; k <= 64; k++) {
        /* The k-th smallest sample is k - 1. */
        double p = ((double)k - 0.5) * 100.0 / 64.0;
        assert_int_equal(sky_hist_percentile(h, p), k - 1);
    }
    assert_int_equal(sky_hist_percentile(h, 0), 0);
    assert_int_equal(sky_hist_percentile(h, 100), 63);
    assert_int_equal(sky_hist_percentile(h, -5), 0);   /* clamped to 0 */
    assert_int_equal(sky_hist_percentile(h, 250), 63); /* clamped to 100 */
    assert_int_equal(sky_hist_min(h), 0);
    assert_int_equal(sky_hist_max(h), 63);
    assert_near(sky_hist_mean(h), 31.5, 1e-12);
    free(h);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_percentiles_within_3_percent(void **state)
{
    (void)state;
    enum { N = 10000 };
    uint64_t *vals = malloc(N * sizeof(*vals));
    assert_non_null(vals);
    SkyHistogram *h = new_hist();
    long double sum = 0;
    for (int i = 0; i < N; i++) {
        /* Log-uniform between 64 and about 2^40. */
        unsigned bits = 6 + (unsigned)(rng() % 34);
        uint64_t v = ((uint64_t)1 << bits) + rng() % ((uint64_t)1 << bits);
        vals[i] = v;
        sum += v;
        sky_hist_record(h, v);
    }
    qsort(vals, N, sizeof(*vals), cmp_u64);
    static const double ps[] = {0.01, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100};
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
        uint64_t rank = (uint64_t)ceil(ps[i] / 100.0 * N - 1e-9);
        if (rank < 1)
            rank = 1;
        uint64_t truth = vals[rank - 1];
        uint64_t got = sky_hist_percentile(h, ps[i]);
        double err = fabs((double)got - (double)truth) / (double)truth;
        if (err > 0.032)
            fail_msg("p%g: got %llu, true %llu (%.2f%% off)", ps[i], (unsigned long long)got,
                     (unsigned long long)truth, err * 100);
    }
    assert_true(sky_hist_min(h) == vals[0]);
    assert_true(sky_hist_max(h) == vals[N - 1]);
    assert_near(sky_hist_mean(h), (double)(sum / N), 1e-6 * (double)(sum / N));
    free(vals);
    free(h);
}

static void test_single_value_and_extremes(void **state)
{
    (void)state;
    SkyHistogram *h = new_hist();
    sky_hist_record(h, 1000);
    /* One sample: every percentile is that sample (clamped to min and max). */
    assert_int_equal(sky_hist_percentile(h, 0), 1000);
    assert_int_equal(sky_hist_percentile(h, 50), 1000);
    assert_int_equal(sky_hist_percentile(h, 100), 1000);
    free(h);

    h = new_hist();
    sky_hist_record(h, UINT64_MAX);
    sky_hist_record(h, 0);
    assert_true(sky_hist_max(h) == UINT64_MAX);
    assert_int_equal(sky_hist_min(h), 0);
    assert_int_equal(sky_hist_percentile(h, 50), 0);
    uint64_t top = sky_hist_percentile(h, 100);
    assert_true(top >= sky_hist_bucket_low(SKY_HIST_BUCKETS - 1));
    free(h);
}

static void test_record_signed(void **state)
{
    (void)state;
    SkyHistogram *h = new_hist();
    sky_hist_record_signed(h, -5);
    sky_hist_record_signed(h, INT64_MIN);
    assert_int_equal(sky_hist_count(h), 2);
    assert_int_equal(sky_hist_min(h), 0);
    assert_int_equal(sky_hist_max(h), 0);
    assert_int_equal(sky_hist_percentile(h, 100), 0);
    assert_true(sky_hist_mean(h) == 0.0);
    sky_hist_record_signed(h, 40);
    sky_hist_record_signed(h, INT64_MAX);
    assert_true(sky_hist_max(h) == (uint64_t)INT64_MAX);
    assert_int_equal(sky_hist_percentile(h, 75), 40);
    free(h);
}

static void test_merge(void **state)
{
    (void)state;
    SkyHistogram *a = new_hist(), *b = new_hist(), *all = new_hist(), *empty = new_hist();
    for (uint64_t v = 1; v <= 100; v++) {
        sky_hist_record(a, v * 3);
        sky_hist_record(all, v * 3);
    }
    for (uint64_t v = 1000; v <= 2000; v += 7) {
        sky_hist_record(b, v);
        sky_hist_record(all, v);
    }
    sky_hist_merge(a, b);
    assert_int_equal(sky_hist_count(a), sky_hist_count(all));
    assert_int_equal(sky_hist_min(a), 3);
    assert_int_equal(sky_hist_max(a), sky_hist_max(all));
    assert_near(sky_hist_mean(a), sky_hist_mean(all), 1e-9);
    for (double p = 0; p <= 100; p += 2.5)
        assert_int_equal(sky_hist_percentile(a, p), sky_hist_percentile(all, p));
    /* b is unchanged. */
    assert_int_equal(sky_hist_min(b), 1000);

    /* Merging an empty histogram changes nothing, min included. */
    sky_hist_merge(a, empty);
    assert_int_equal(sky_hist_count(a), sky_hist_count(all));
    assert_int_equal(sky_hist_min(a), 3);
    /* Merging into an empty one copies min and max. */
    sky_hist_merge(empty, b);
    assert_int_equal(sky_hist_min(empty), 1000);
    assert_int_equal(sky_hist_max(empty), sky_hist_max(b));
    assert_int_equal(sky_hist_count(empty), sky_hist_count(b));
    free(a);
    free(b);
    free(all);
    free(empty);
}

/* Recording from several threads at once loses nothing. */
#define REC_THREADS 4
#define REC_PER_THREAD 50000

typedef struct Rec {
    SkyHistogram *h;
    SkyCounter *c;
    uint64_t base;
} Rec;

static void *recorder(void *arg)
{
    Rec *r = arg;
    for (uint64_t i = 0; i < REC_PER_THREAD; i++) {
        sky_hist_record(r->h, r->base + i);
        sky_counter_add(r->c, 2);
    }
    return NULL;
}

static void test_concurrent_recording(void **state)
{
    (void)state;
    SkyHistogram *h = new_hist();
    SkyCounter c;
    atomic_init(&c.v, 0);
    pthread_t th[REC_THREADS];
    Rec rec[REC_THREADS];
    for (int i = 0; i < REC_THREADS; i++) {
        rec[i] = (Rec){h, &c, 10 + (uint64_t)i * 1000000};
        assert_int_equal(pthread_create(&th[i], NULL, recorder, &rec[i]), 0);
    }
    for (int i = 0; i < REC_THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(sky_hist_count(h), REC_THREADS * REC_PER_THREAD);
    assert_int_equal(sky_counter_get(&c), 2 * REC_THREADS * REC_PER_THREAD);
    assert_int_equal(sky_hist_min(h), 10);
    assert_int_equal(sky_hist_max(h), 10 + (REC_THREADS - 1) * 1000000 + REC_PER_THREAD - 1);
    double want_mean = 10 + (REC_THREADS - 1) * 1000000 / 2.0 + (REC_PER_THREAD - 1) / 2.0;
    assert_near(sky_hist_mean(h), want_mean, 1e-6);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter),
        cmocka_unit_test(test_bucket_boundaries),
        cmocka_unit_test(test_buckets_tile_the_range),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_percentiles_exact_below_64),
        cmocka_unit_test(test_percentiles_within_3_percent),
        cmocka_unit_test(test_single_value_and_extremes),
        cmocka_unit_test(test_record_signed),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_concurrent_recording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Cheap statistics: counters and log-linear histograms. Recording is a relaxed atomic add, so
 * any thread may record; reading is a snapshot that may be a few samples behind. Nothing is
 * computed until someone reads. */
#ifndef SKY_COMMON_STATS_H
#define SKY_COMMON_STATS_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct SkyCounter {
    _Atomic uint64_t v;
} SkyCounter;

static inline void sky_counter_add(SkyCounter *c, uint64_t n)
{
    atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

static inline uint64_t sky_counter_get(const SkyCounter *c)
{
    return atomic_load_explicit(&((SkyCounter *)c)->v, memory_order_relaxed);
}

/* 32 sub-buckets per power of two: a reported percentile is within about 3% of the truth
 * (and exact below 64). Values are unsigned; record microseconds, bytes, counts. */
#define SKY_HIST_SUB_BITS 5
#define SKY_HIST_BUCKETS (64 + 58 * 32)

typedef struct SkyHistogram {
    _Atomic uint64_t buckets[SKY_HIST_BUCKETS];
    _Atomic uint64_t count;
    _Atomic uint64_t sum;
    _Atomic uint64_t min;  /* UINT64_MAX while empty */
    _Atomic uint64_t max;
} SkyHistogram;

void sky_hist_init(SkyHistogram *h);
/* Empties a histogram others may be recording into (a sample racing the clear may be lost). */
void sky_hist_clear(SkyHistogram *h);
void sky_hist_record(SkyHistogram *h, uint64_t v);
/* Negative values (clock skew between threads) are recorded as 0. */
void sky_hist_record_signed(SkyHistogram *h, int64_t v);
uint64_t sky_hist_count(const SkyHistogram *h);
/* p in [0, 100]. Returns 0 when empty. */
uint64_t sky_hist_percentile(const SkyHistogram *h, double p);
double sky_hist_mean(const SkyHistogram *h);
uint64_t sky_hist_min(const SkyHistogram *h);
uint64_t sky_hist_max(const SkyHistogram *h);
/* Adds src's samples into dst (dst must not be recorded into concurrently). */
void sky_hist_merge(SkyHistogram *dst, const SkyHistogram *src);

/* Bucket arithmetic, exposed for tests. */
unsigned sky_hist_bucket_of(uint64_t v);
uint64_t sky_hist_bucket_low(unsigned idx);
uint64_t sky_hist_bucket_high(unsigned idx);

#endif

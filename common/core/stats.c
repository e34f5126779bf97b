/* Atomic counters and log-linear histograms (stats.h). */
#include "common/core/stats.h"

#define SUB (1u << SKY_HIST_SUB_BITS)

void sky_hist_init(SkyHistogram *h)
{
    for (unsigned i = 0; i < SKY_HIST_BUCKETS; i++)
        atomic_init(&h->buckets[i], 0);
    atomic_init(&h->count, 0);
    atomic_init(&h->sum, 0);
    atomic_init(&h->min, UINT64_MAX);
    atomic_init(&h->max, 0);
}

void sky_hist_clear(SkyHistogram *h)
{
    for (unsigned i = 0; i < SKY_HIST_BUCKETS; i++)
        atomic_store_explicit(&h->buckets[i], 0, memory_order_relaxed);
    atomic_store_explicit(&h->count, 0, memory_order_relaxed);
    atomic_store_explicit(&h->sum, 0, memory_order_relaxed);
    atomic_store_explicit(&h->min, UINT64_MAX, memory_order_relaxed);
    atomic_store_explicit(&h->max, 0, memory_order_relaxed);
}

unsigned sky_hist_bucket_of(uint64_t v)
{
    if (v < 2 * SUB)
        return (unsigned)v;
    unsigned k = 63u - (unsigned)__builtin_clzll(v); /* v in [2^k, 2^(k+1)), k >= 6 */
    unsigned shift = k - SKY_HIST_SUB_BITS;          /* >= 1 */
    return 2 * SUB + (shift - 1) * SUB + (unsigned)((v >> shift) - SUB);
}

uint64_t sky_hist_bucket_low(unsigned idx)
{
    if (idx < 2 * SUB)
        return idx;
    unsigned shift = (idx - 2 * SUB) / SUB + 1;
    uint64_t m = (idx - 2 * SUB) % SUB + SUB;
    return m << shift;
}

uint64_t sky_hist_bucket_high(unsigned idx)
{
    if (idx < 2 * SUB)
        return idx;
    unsigned shift = (idx - 2 * SUB) / SUB + 1;
    uint64_t m = (idx - 2 * SUB) % SUB + SUB;
    return ((m + 1) << shift) - 1;
}

void sky_hist_record(SkyHistogram *h, uint64_t v)
{
    atomic_fetch_add_explicit(&h->buckets[sky_hist_bucket_of(v)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum, v, memory_order_relaxed);
    uint64_t cur = atomic_load_explicit(&h->min, memory_order_relaxed);
    while (v < cur && !atomic_compare_exchange_weak_explicit(&h->min, &cur, v, memory_order_relaxed,
                                                             memory_order_relaxed)) {
    }
    cur = atomic_load_explicit(&h->max, memory_order_relaxed);
    while (v > cur && !atomic_compare_exchange_weak_explicit(&h->max, &cur, v, memory_order_relaxed,
                                                             memory_order_relaxed)) {
    }
}

void sky_hist_record_signed(SkyHistogram *h, int64_t v)
{
    sky_hist_record(h, v < 0 ? 0 : (uint64_t)v);
}

#define LOAD(x) atomic_load_explicit(&((SkyHistogram *)h)->x, memory_order_relaxed)

uint64_t sky_hist_count(const SkyHistogram *h)
{
    return LOAD(count);
}

uint64_t sky_hist_min(const SkyHistogram *h)
{
    uint64_t v = LOAD(min);
    return v == UINT64_MAX ? 0 : v;
}

uint64_t sky_hist_max(const SkyHistogram *h)
{
    return LOAD(max);
}

double sky_hist_mean(const SkyHistogram *h)
{
    uint64_t n = LOAD(count);
    return n ? (double)LOAD(sum) / (double)n : 0.0;
}

uint64_t sky_hist_percentile(const SkyHistogram *h, double p)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < SKY_HIST_BUCKETS; i++)
        total += LOAD(buckets[i]);
    if (total == 0)
        return 0;
    if (p < 0)
        p = 0;
    if (p > 100)
        p = 100;
    /* Rank of the sample wanted, 1-based: the smallest value with at least p% at or below. */
    uint64_t rank = (uint64_t)((p / 100.0) * (double)total + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < SKY_HIST_BUCKETS; i++) {
        seen += LOAD(buckets[i]);
        if (seen >= rank) {
            uint64_t lo = sky_hist_bucket_low(i), hi = sky_hist_bucket_high(i);
            uint64_t v = lo + (hi - lo) / 2;
            uint64_t mn = sky_hist_min(h), mx = LOAD(max);
            return v < mn ? mn : v > mx ? mx : v;
        }
    }
    return LOAD(max);
}

void sky_hist_merge(SkyHistogram *dst, const SkyHistogram *h)
{
    for (unsigned i = 0; i < SKY_HIST_BUCKETS; i++)
        atomic_fetch_add_explicit(&dst->buckets[i], LOAD(buckets[i]), memory_order_relaxed);
    atomic_fetch_add_explicit(&dst->count, LOAD(count), memory_order_relaxed);
    atomic_fetch_add_explicit(&dst->sum, LOAD(sum), memory_order_relaxed);
    if (LOAD(count)) {
        if (LOAD(min) < atomic_load(&dst->min))
            atomic_store(&dst->min, LOAD(min));
        if (LOAD(max) > atomic_load(&dst->max))
            atomic_store(&dst->max, LOAD(max));
    }
}

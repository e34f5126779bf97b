#include "common/jitter.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

/* Recent samples kept for the percentiles (about two seconds at 60 fps). */
#define SAMPLES 128
/* Memory of the clock-rate fit, per frame: 0.995 is about 200 frames. */
#define FORGET 0.995
/* How fast the target may fall: 1 ms per 100 ms. */
#define TARGET_FALL_PER_US 0.01

struct SkyJitter {
    SkyJitterCfg cfg;
    bool have_base;
    uint32_t last_ts;
    int64_t ts_ext_us;         /* extended timestamp of the last frame, in µs */
    int64_t t0_us;             /* arrival of the first frame: the fit's origin */
    int64_t last_arrival_us;
    /* Least-squares fit of arrival = a + b * host time, with forgetting (weights, sums). */
    double w, sx, sy, sxx, sxy;
    /* Residuals of recent frames against the fit; the lowest is the no-jitter path. */
    double resid[SAMPLES];
    int64_t jitter[SAMPLES];
    unsigned n_jitter, next_jitter;
    int64_t decode[SAMPLES];
    unsigned n_decode, next_decode;
    int64_t target_us;
};

int sky_jitter_create(SkyJitter **out, const SkyJitterCfg *cfg)
{
    *out = NULL;
    if (cfg->mode < SKY_LATENCY_LOWEST || cfg->mode > SKY_LATENCY_SMOOTH || cfg->clock_hz == 0 ||
        cfg->max_delay_us < 0)
        return SKY_ERR(EINVAL);
    SkyJitter *j = calloc(1, sizeof(*j));
    if (!j)
        return SKY_ERR(ENOMEM);
    j->cfg = *cfg;
    if (!j->cfg.max_delay_us)
        j->cfg.max_delay_us = 150000;
    *out = j;
    return 0;
}

void sky_jitter_destroy(SkyJitter **pj)
{
    free(*pj);
    *pj = NULL;
}

void sky_jitter_reset(SkyJitter *j)
{
    j->have_base = false;
    j->n_jitter = j->next_jitter = 0;
    j->w = j->sx = j->sy = j->sxx = j->sxy = 0;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t percentile(const int64_t *v, unsigned n, int pct)
{
    int64_t tmp[SAMPLES];
    if (n == 0)
        return 0;
    memcpy(tmp, v, n * sizeof(*v));
    qsort(tmp, n, sizeof(*tmp), cmp64);
    unsigned i = (n * (unsigned)pct + 99) / 100;
    return tmp[i ? i - 1 : 0];
}

/* Arrival predicted for host time x (µs since the first frame), relative to t0. */
static double predict(const SkyJitter *j, double x)
{
    double var = j->sxx * j->w - j->sx * j->sx;
    /* Until the fit has seen enough spread, assume the clocks run at the same rate. */
    double b = var > 1e6 * j->w * j->w ? (j->sxy * j->w - j->sx * j->sy) / var : 1.0;
    if (b < 0.9 || b > 1.1)
        b = 1.0; /* no real clock is that far off: the data is not a fit yet */
    return (j->sy - b * j->sx) / j->w + b * x;
}

SkyJitterTimes sky_jitter_frame(SkyJitter *j, uint32_t ts, int64_t arrival_us)
{
    SkyJitterTimes t = {arrival_us, 0};
    if (j->cfg.mode == SKY_LATENCY_LOWEST)
        return t;
    int64_t dt = 0;
    if (!j->have_base) {
        j->have_base = true;
        j->ts_ext_us = 0;
        j->t0_us = arrival_us;
    } else {
        int32_t dts = (int32_t)(ts - j->last_ts);
        j->ts_ext_us += (int64_t)dts * 1000000 / (int64_t)j->cfg.clock_hz;
        dt = arrival_us - j->last_arrival_us;
    }
    j->last_ts = ts;
    j->last_arrival_us = arrival_us;
    double x = (double)j->ts_ext_us, y = (double)(arrival_us - j->t0_us);
    j->w = j->w * FORGET + 1;
    j->sx = j->sx * FORGET + x;
    j->sy = j->sy * FORGET + y;
    j->sxx = j->sxx * FORGET + x * x;
    j->sxy = j->sxy * FORGET + x * y;
    double pred = predict(j, x);
    j->resid[j->next_jitter] = y - pred;
    unsigned slot = j->next_jitter;
    j->next_jitter = (j->next_jitter + 1) % SAMPLES;
    if (j->n_jitter < SAMPLES)
        j->n_jitter++;
    double floor = j->resid[slot];
    for (unsigned i = 0; i < j->n_jitter; i++)
        if (j->resid[i] < floor)
            floor = j->resid[i];
    j->jitter[slot] = (int64_t)(y - pred - floor);
    /* Target: the 95th percentile; up at once, down slowly. */
    int64_t want = percentile(j->jitter, j->n_jitter, 95);
    if (j->cfg.mode == SKY_LATENCY_SMOOTH && j->n_decode)
        want += percentile(j->decode, j->n_decode, 95) - percentile(j->decode, j->n_decode, 50);
    if (want > j->cfg.max_delay_us)
        want = j->cfg.max_delay_us;
    if (want >= j->target_us) {
        j->target_us = want;
    } else {
        int64_t fall = (int64_t)(TARGET_FALL_PER_US * (double)dt);
        j->target_us = j->target_us - fall > want ? j->target_us - fall : want;
    }
    int64_t release = j->t0_us + (int64_t)(pred + floor) + j->target_us;
    t.release_us = release > arrival_us ? release : arrival_us;
    /* Smooth: shown once decoding is surely done, so decode time does not jitter the
     * cadence; the presenter aligns it to the refresh (one frame per refresh, in order). */
    if (j->cfg.mode == SKY_LATENCY_SMOOTH)
        t.present_us = t.release_us + (j->n_decode ? percentile(j->decode, j->n_decode, 95) : 0);
    return t;
}

void sky_jitter_decoded(SkyJitter *j, int64_t decode_us)
{
    j->decode[j->next_decode] = decode_us < 0 ? 0 : decode_us;
    j->next_decode = (j->next_decode + 1) % SAMPLES;
    if (j->n_decode < SAMPLES)
        j->n_decode++;
}

int64_t sky_jitter_target_us(const SkyJitter *j)
{
    return j->cfg.mode == SKY_LATENCY_LOWEST ? 0 : j->target_us;
}

/* The video jitter buffer's clock: release and present times per latency mode (jitter.h). */
#include "common/proto/jitter.h"

#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"

/* Recent frames kept for the percentiles (about two seconds at 60 fps). */
#define SAMPLES 128
/* Memory of the clock-rate fit, per frame: 0.999 is about 1000 frames. */
#define FORGET 0.999
/* The host's clock may run this far from ours (crystals are within 100 ppm; allow 500). */
#define MAX_SKEW 0.0005
/* The fit's rate is used once it spans this much host time. */
#define MIN_FIT_SPAN_US 2000000.0
/* How fast the target may fall: 1 ms per 100 ms. */
#define TARGET_FALL_PER_US 0.01
/* A frame this far from the others' delay is a new time base (host clock jump, restart). */
#define BREAK_US 1000000.0

struct SkyJitter {
    SkyJitterCfg cfg;
    bool have_base;
    uint32_t last_ts;
    int64_t ts_ext;            /* extended timestamp of the last frame, in clock ticks */
    int64_t ts_ext_us;         /* the same in µs of host time (converted once, no drift) */
    int64_t t0_us;             /* arrival of the first frame: the origin of y */
    int64_t last_arrival_us;
    /* Least-squares fit of y = a + b x (x host time, y arrival, both µs since the first
     * frame) with forgetting; only its rate b is used, to take clock skew out. */
    double w, sx, sy, sxx, sxy;
    /* Recent frames: host time and arrival. */
    double x[SAMPLES], y[SAMPLES];
    unsigned n, next;
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
    j->n = j->next = 0;
    j->w = j->sx = j->sy = j->sxx = j->sxy = 0;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
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

/* The host clock's rate against ours: 1 until the fit spans enough time, then the fit's
 * slope within MAX_SKEW. */
static double rate(const SkyJitter *j, double x)
{
    if (x < MIN_FIT_SPAN_US)
        return 1.0;
    double var = j->sxx * j->w - j->sx * j->sx;
    if (var <= 0)
        return 1.0;
    double b = (j->sxy * j->w - j->sx * j->sy) / var;
    return b < 1 - MAX_SKEW ? 1 - MAX_SKEW : b > 1 + MAX_SKEW ? 1 + MAX_SKEW : b;
}

SkyJitterTimes sky_jitter_frame(SkyJitter *j, uint32_t ts, int64_t arrival_us)
{
    SkyJitterTimes t = {arrival_us, 0};
    if (j->cfg.mode == SKY_LATENCY_LOWEST)
        return t;
    int64_t dt = 0;
    if (j->have_base) {
        int32_t dts = (int32_t)(ts - j->last_ts);
        j->ts_ext += dts;
        j->ts_ext_us = j->ts_ext * 1000000 / (int64_t)j->cfg.clock_hz;
        dt = arrival_us - j->last_arrival_us;
        /* A jump far outside what the network does: start over from this frame. */
        double d = (double)(arrival_us - j->t0_us) - (double)j->ts_ext_us;
        double d_prev = j->y[(j->next + SAMPLES - 1) % SAMPLES] -
                        j->x[(j->next + SAMPLES - 1) % SAMPLES];
        if (d - d_prev > BREAK_US || d_prev - d > BREAK_US)
            sky_jitter_reset(j);
    }
    if (!j->have_base) {
        j->have_base = true;
        j->ts_ext = j->ts_ext_us = 0;
        j->t0_us = arrival_us;
    }
    j->last_ts = ts;
    j->last_arrival_us = arrival_us;
    double x = (double)j->ts_ext_us, y = (double)(arrival_us - j->t0_us);
    j->w = j->w * FORGET + 1;
    j->sx = j->sx * FORGET + x;
    j->sy = j->sy * FORGET + y;
    j->sxx = j->sxx * FORGET + x * x;
    j->sxy = j->sxy * FORGET + x * y;
    j->x[j->next] = x;
    j->y[j->next] = y;
    j->next = (j->next + 1) % SAMPLES;
    if (j->n < SAMPLES)
        j->n++;

    /* Each recent frame's delay, with the clock skew taken out; the 5th percentile is the
     * network's quick path (the lowest, less outliers), the 95th what the target covers. */
    double b = rate(j, x), d[SAMPLES];
    for (unsigned i = 0; i < j->n; i++)
        d[i] = j->y[i] - b * j->x[i];
    qsort(d, j->n, sizeof(d[0]), cmpd);
    double base = d[(j->n * 5) / 100];
    int64_t want = (int64_t)(d[(j->n * 95 + 99) / 100 - 1] - base);
    if (want > j->cfg.max_delay_us)
        want = j->cfg.max_delay_us;
    if (want < 0)
        want = 0;
    /* Up at once, down slowly. */
    if (want >= j->target_us) {
        j->target_us = want;
    } else {
        int64_t fall = (int64_t)(TARGET_FALL_PER_US * (double)dt);
        j->target_us = j->target_us - fall > want ? j->target_us - fall : want;
    }
    int64_t release = j->t0_us + (int64_t)(b * x + base) + j->target_us;
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

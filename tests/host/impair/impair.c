/* The seeded network impairment model and its spec parser (impair.h). */
#include "tests/host/impair/impair.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "impair"

/* ---------------------------------------------------------------------------------------------
 * PRNG: splitmix64 to seed, xoshiro256** to draw (both public-domain algorithms by Vigna;
 * written here from their definitions). */

uint64_t sky_impair_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void sky_impair_rng_seed(SkyImpairRng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = sky_impair_splitmix64(&x);
    /* An all-zero state would only ever produce zeros; splitmix64 cannot give four zeros in a
     * row, but keep the invariant explicit. */
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
        rng->s[0] = 1;
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sky_impair_rng_next(SkyImpairRng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* A probability as a threshold on a 32-bit draw: the event happens when draw < threshold, so 0
 * never happens and 2^32 always does. */
static uint64_t prob_threshold(double p)
{
    if (!(p > 0))
        return 0;
    if (p >= 1)
        return 1ull << 32;
    return (uint64_t)(p * 4294967296.0 + 0.5);
}

static bool draw_hit(SkyImpairRng *rng, uint64_t threshold)
{
    return (sky_impair_rng_next(rng) >> 32) < threshold;
}

/* ---------------------------------------------------------------------------------------------
 * Configuration. */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void sky_impair_cfg_default(SkyImpairCfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ge_loss_bad = 1.0;
    cfg->jitter_dist = SKY_IMPAIR_DIST_UNIFORM;
    cfg->reorder_delay_us = 2000;
}

int sky_impair_cfg_set_burst(SkyImpairCfg *cfg, double loss, double burst_len)
{
    if (!(loss >= 0 && loss < 1) || !(burst_len >= 1 && burst_len <= 1e6))
        return SKY_ERR(ERANGE);
    if (loss == 0) {
        cfg->loss = 0;
        cfg->ge_p = 0;
        cfg->ge_r = 0;
        cfg->ge_loss_good = 0;
        cfg->ge_loss_bad = 1;
        return 0;
    }
    double r = 1.0 / burst_len;
    double p = loss * r / (1.0 - loss);
    if (p > 1)
        return SKY_ERR(ERANGE);
    cfg->loss = 0;
    cfg->ge_p = p;
    cfg->ge_r = r;
    cfg->ge_loss_bad = 1;
    cfg->ge_loss_good = 0;
    return 0;
}

static bool prob_ok(double p)
{
    return p >= 0 && p <= 1; /* false for NaN */
}

int sky_impair_cfg_check(const SkyImpairCfg *cfg, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        size_t offset;
    } probs[] = {
        {"loss", offsetof(SkyImpairCfg, loss)},
        {"ge_p", offsetof(SkyImpairCfg, ge_p)},
        {"ge_r", offsetof(SkyImpairCfg, ge_r)},
        {"ge_loss_bad", offsetof(SkyImpairCfg, ge_loss_bad)},
        {"ge_loss_good", offsetof(SkyImpairCfg, ge_loss_good)},
        {"reorder", offsetof(SkyImpairCfg, reorder)},
        {"dup", offsetof(SkyImpairCfg, dup)},
        {"corrupt", offsetof(SkyImpairCfg, corrupt)},
    };
    for (size_t i = 0; i < sizeof(probs) / sizeof(probs[0]); i++) {
        double p;
        memcpy(&p, (const char *)cfg + probs[i].offset, sizeof(p));
        if (!prob_ok(p)) {
            seterr(err, errlen, "%s: %g is not a probability in [0, 1]", probs[i].name, p);
            return SKY_ERR(ERANGE);
        }
    }
    if (cfg->ge_p > 0 && cfg->ge_r == 0) {
        seterr(err, errlen, "ge_r must be > 0 when ge_p > 0 (else the bad state never ends)");
        return SKY_ERR(EINVAL);
    }
    if (cfg->ge_p == 0 && (cfg->ge_r > 0 || cfg->ge_loss_good > 0)) {
        seterr(err, errlen, "ge_r and ge_loss_good need ge_p > 0");
        return SKY_ERR(EINVAL);
    }
    if (cfg->delay_us < 0 || cfg->delay_us > SKY_IMPAIR_MAX_DELAY_US) {
        seterr(err, errlen, "delay: %lld us is out of range [0, 60 s]", (long long)cfg->delay_us);
        return SKY_ERR(ERANGE);
    }
    if (cfg->jitter_us < 0 || cfg->jitter_us > SKY_IMPAIR_MAX_JITTER_US) {
        seterr(err, errlen, "jitter: %lld us is out of range [0, 10 s]",
               (long long)cfg->jitter_us);
        return SKY_ERR(ERANGE);
    }
    if (cfg->jitter_dist != SKY_IMPAIR_DIST_UNIFORM && cfg->jitter_dist != SKY_IMPAIR_DIST_NORMAL) {
        seterr(err, errlen, "dist: unknown distribution %d", (int)cfg->jitter_dist);
        return SKY_ERR(EINVAL);
    }
    if (cfg->reorder_delay_us < 0 || cfg->reorder_delay_us > SKY_IMPAIR_MAX_DELAY_US) {
        seterr(err, errlen, "reorder_delay: %lld us is out of range [0, 60 s]",
               (long long)cfg->reorder_delay_us);
        return SKY_ERR(ERANGE);
    }
    if (cfg->reorder > 0 && cfg->reorder_delay_us == 0) {
        seterr(err, errlen, "reorder needs reorder_delay > 0");
        return SKY_ERR(EINVAL);
    }
    if (cfg->reorder > 0 && cfg->keep_order) {
        seterr(err, errlen, "reorder and keep_order contradict each other");
        return SKY_ERR(EINVAL);
    }
    if (cfg->rate_bits_per_s > SKY_IMPAIR_MAX_RATE) {
        seterr(err, errlen, "rate: %llu bit/s is out of range [0, 1 tbit]",
               (unsigned long long)cfg->rate_bits_per_s);
        return SKY_ERR(ERANGE);
    }
    if (cfg->limit_bytes > SKY_IMPAIR_MAX_LIMIT) {
        seterr(err, errlen, "limit: %llu bytes is out of range [0, 1 GiB]",
               (unsigned long long)cfg->limit_bytes);
        return SKY_ERR(ERANGE);
    }
    if (cfg->limit_bytes > 0 && cfg->rate_bits_per_s == 0) {
        seterr(err, errlen, "limit needs a rate (the queue only fills behind a bottleneck)");
        return SKY_ERR(EINVAL);
    }
    return 0;
}

bool sky_impair_cfg_is_none(const SkyImpairCfg *cfg)
{
    return cfg->loss == 0 && cfg->ge_p == 0 && cfg->delay_us == 0 && cfg->jitter_us == 0 &&
           cfg->reorder == 0 && cfg->dup == 0 && cfg->corrupt == 0 && cfg->rate_bits_per_s == 0;
}

/* ---------------------------------------------------------------------------------------------
 * The model. */

/* One random stream per knob, so that the draws of one never shift those of another. */
enum { ST_LOSS, ST_GE, ST_CORRUPT, ST_JITTER, ST_REORDER, ST_DUP, ST_COUNT };

#define US_BITS_PER_BYTE 8000000ull /* 8 bits * 10^6 us/s: len * this / rate = us */

struct SkyImpair {
    SkyImpairCfg cfg;
    uint64_t thr_loss, thr_ge_p, thr_ge_r, thr_ge_loss_bad, thr_ge_loss_good;
    uint64_t thr_reorder, thr_dup, thr_corrupt;
    uint64_t limit_bytes; /* effective: SKY_IMPAIR_MAX_LIMIT when cfg says 0 and there is a rate */
    SkyImpairRng rng[ST_COUNT];

    /* State. */
    bool ge_bad;
    bool started;
    int64_t last_now_us;
    /* The bottleneck is free from link_free_us + link_free_rem / rate (exact; rem < rate). */
    int64_t link_free_us;
    uint64_t link_free_rem;
    int64_t last_deliver_us; /* latest delivery time handed out (for keep_order) */
    SkyImpairStats stats;
};

int sky_impair_create(SkyImpair **out, const SkyImpairCfg *cfg)
{
    *out = NULL;
    char err[160];
    int ret = sky_impair_cfg_check(cfg, err, sizeof(err));
    if (ret < 0) {
        SKY_LOGE(TAG, "bad configuration: %s", err);
        return ret;
    }
    SkyImpair *imp = calloc(1, sizeof(*imp));
    if (!imp)
        return SKY_ERR(ENOMEM);
    imp->cfg = *cfg;
    imp->thr_loss = prob_threshold(cfg->loss);
    imp->thr_ge_p = prob_threshold(cfg->ge_p);
    imp->thr_ge_r = prob_threshold(cfg->ge_r);
    imp->thr_ge_loss_bad = prob_threshold(cfg->ge_loss_bad);
    imp->thr_ge_loss_good = prob_threshold(cfg->ge_loss_good);
    imp->thr_reorder = prob_threshold(cfg->reorder);
    imp->thr_dup = prob_threshold(cfg->dup);
    imp->thr_corrupt = prob_threshold(cfg->corrupt);
    imp->limit_bytes = cfg->limit_bytes ? cfg->limit_bytes : SKY_IMPAIR_MAX_LIMIT;
    uint64_t x = cfg->seed;
    for (int i = 0; i < ST_COUNT; i++)
        sky_impair_rng_seed(&imp->rng[i], sky_impair_splitmix64(&x));
    imp->last_deliver_us = INT64_MIN;
    *out = imp;
    return 0;
}

void sky_impair_destroy(SkyImpair **imp)
{
    if (!imp || !*imp)
        return;
    free(*imp);
    *imp = NULL;
}

/* A jitter value in [-j, j]: uniform (one draw) or an Irwin-Hall sum of twelve uniforms (an
 * approximate normal with sigma = j/3, clipped to +-j; twelve draws). Integer arithmetic only. */
static int64_t draw_jitter(SkyImpairRng *rng, int64_t j, SkyImpairDist dist)
{
    if (dist == SKY_IMPAIR_DIST_NORMAL) {
        int64_t sum = 0;
        for (int i = 0; i < 12; i++)
            sum += (int64_t)(sky_impair_rng_next(rng) >> 32);
        /* sum has mean 6 * 2^32 and standard deviation 2^32; |x| <= 6 * 2^32, j <= 10^7. */
        int64_t x = sum - 6 * (INT64_C(1) << 32);
        int64_t v = x * j / (3 * (INT64_C(1) << 32));
        return v < -j ? -j : v > j ? j : v;
    }
    uint64_t span = 2 * (uint64_t)j + 1; /* <= 2 * 10^7 + 1 */
    return (int64_t)(((sky_impair_rng_next(rng) >> 32) * span) >> 32) - j;
}

uint64_t sky_impair_backlog_bytes(const SkyImpair *imp, int64_t now_us)
{
    uint64_t rate = imp->cfg.rate_bits_per_s;
    if (rate == 0 || !imp->started)
        return 0;
    if (imp->link_free_us < now_us || (imp->link_free_us == now_us && imp->link_free_rem == 0))
        return 0;
    uint64_t ahead_us = (uint64_t)(imp->link_free_us - now_us);
    /* The queue holds at most limit (<= 1 GiB) plus one packet (<= 16 MiB), so the time ahead
     * times the rate stays below about 9e15; saturate anyway if now_us ran backwards. */
    if (ahead_us > UINT64_MAX / 2 / rate)
        return UINT64_MAX / US_BITS_PER_BYTE;
    uint64_t num = ahead_us * rate + imp->link_free_rem;
    return (num + US_BITS_PER_BYTE - 1) / US_BITS_PER_BYTE;
}

typedef struct Draws {
    bool lost_random, lost_burst, corrupt, reorder, dup;
    uint64_t corrupt_r;
    int64_t jitter_us, dup_jitter_us;
} Draws;

/* Every enabled knob draws a fixed number of values per offered packet, dropped or not. */
static void draw_all(SkyImpair *imp, Draws *d)
{
    const SkyImpairCfg *c = &imp->cfg;
    memset(d, 0, sizeof(*d));
    if (c->loss > 0)
        d->lost_random = draw_hit(&imp->rng[ST_LOSS], imp->thr_loss);
    if (c->ge_p > 0) {
        SkyImpairRng *r = &imp->rng[ST_GE];
        bool flip = draw_hit(r, imp->ge_bad ? imp->thr_ge_r : imp->thr_ge_p);
        if (flip)
            imp->ge_bad = !imp->ge_bad;
        d->lost_burst = draw_hit(r, imp->ge_bad ? imp->thr_ge_loss_bad : imp->thr_ge_loss_good);
    }
    if (c->corrupt > 0) {
        d->corrupt = draw_hit(&imp->rng[ST_CORRUPT], imp->thr_corrupt);
        d->corrupt_r = sky_impair_rng_next(&imp->rng[ST_CORRUPT]);
    }
    if (c->jitter_us > 0)
        d->jitter_us = draw_jitter(&imp->rng[ST_JITTER], c->jitter_us, c->jitter_dist);
    if (c->reorder > 0)
        d->reorder = draw_hit(&imp->rng[ST_REORDER], imp->thr_reorder);
    if (c->dup > 0) {
        d->dup = draw_hit(&imp->rng[ST_DUP], imp->thr_dup);
        if (c->jitter_us > 0)
            d->dup_jitter_us = draw_jitter(&imp->rng[ST_DUP], c->jitter_us, c->jitter_dist);
    }
}

static void note_backlog(SkyImpair *imp, int64_t now_us)
{
    uint64_t b = sky_impair_backlog_bytes(imp, now_us);
    imp->stats.backlog_bytes = b;
    if (b > imp->stats.backlog_max_bytes)
        imp->stats.backlog_max_bytes = b;
}

SkyImpairVerdict sky_impair_packet(SkyImpair *imp, size_t len, int64_t now_us, SkyImpairOut *out)
{
    const SkyImpairCfg *c = &imp->cfg;
    SKY_ASSERT(len <= SKY_IMPAIR_MAX_PACKET);
    if (imp->started && now_us < imp->last_now_us)
        now_us = imp->last_now_us;
    imp->started = true;
    imp->last_now_us = now_us;
    memset(out, 0, sizeof(*out));
    imp->stats.offered++;
    imp->stats.offered_bytes += len;

    Draws d;
    draw_all(imp, &d);

    /* 1. Bottleneck: tail drop, then serialisation behind the previous packet. */
    int64_t leave_us = now_us;
    uint64_t rate = c->rate_bits_per_s;
    if (rate > 0) {
        uint64_t backlog = sky_impair_backlog_bytes(imp, now_us);
        if (backlog + len > imp->limit_bytes) {
            imp->stats.dropped_queue++;
            note_backlog(imp, now_us);
            out->drop_cause = SKY_IMPAIR_DROP_QUEUE;
            return SKY_IMPAIR_DROP;
        }
        if (backlog == 0) {
            imp->link_free_us = now_us;
            imp->link_free_rem = 0;
        }
        uint64_t tx = (uint64_t)len * US_BITS_PER_BYTE; /* <= 2^24 * 8e6 */
        imp->link_free_us += (int64_t)(tx / rate);
        imp->link_free_rem += tx % rate;
        if (imp->link_free_rem >= rate) {
            imp->link_free_rem -= rate;
            imp->link_free_us++;
        }
        leave_us = imp->link_free_us + (imp->link_free_rem ? 1 : 0);
        note_backlog(imp, now_us);
    }

    /* 2. Loss on the wire. */
    if (d.lost_burst || d.lost_random) {
        out->drop_cause = d.lost_burst ? SKY_IMPAIR_DROP_BURST : SKY_IMPAIR_DROP_RANDOM;
        if (d.lost_burst)
            imp->stats.dropped_burst++;
        else
            imp->stats.dropped_random++;
        return SKY_IMPAIR_DROP;
    }
    imp->stats.delivered++;

    /* 3. Corruption. */
    if (d.corrupt && len > 0) {
        out->corrupt = true;
        out->corrupt_bit = (size_t)(d.corrupt_r % ((uint64_t)len * 8));
        imp->stats.corrupted++;
    }

    /* 4., 5. Delay, jitter, reordering. */
    int64_t delay = c->delay_us + d.jitter_us;
    int64_t deliver = leave_us + (delay > 0 ? delay : 0);
    if (d.reorder) {
        deliver += c->reorder_delay_us;
        out->reordered = true;
        imp->stats.reordered++;
    }
    if (c->keep_order && deliver < imp->last_deliver_us)
        deliver = imp->last_deliver_us;
    out->deliver_at_us = deliver;
    if (deliver > imp->last_deliver_us)
        imp->last_deliver_us = deliver;

    /* 6. Duplication. */
    if (!d.dup)
        return SKY_IMPAIR_DELIVER;
    int64_t dup_delay = c->delay_us + d.dup_jitter_us;
    int64_t dup_at = leave_us + (dup_delay > 0 ? dup_delay : 0);
    if (c->keep_order && dup_at < imp->last_deliver_us)
        dup_at = imp->last_deliver_us;
    out->dup_deliver_at_us = dup_at;
    if (dup_at > imp->last_deliver_us)
        imp->last_deliver_us = dup_at;
    imp->stats.duplicated++;
    return SKY_IMPAIR_DELIVER_DUP;
}

void sky_impair_get_stats(const SkyImpair *imp, SkyImpairStats *stats)
{
    *stats = imp->stats;
}

void sky_impair_flip_bit(uint8_t *buf, size_t len, size_t bit)
{
    if (bit / 8 < len)
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

/* ---------------------------------------------------------------------------------------------
 * The text form. */

typedef enum KeyKind {
    K_PROB,  /* "5%" or "0.05" */
    K_TIME,  /* us, ms, s */
    K_RATE,  /* bit, kbit, mbit, gbit */
    K_SIZE,  /* bytes, b, kb, mb */
    K_U64,   /* decimal or 0x hex */
    K_BURST, /* plain decimal >= 1 */
    K_DIST,  /* uniform | normal */
    K_FLAG,  /* bare, or =yes/no */
} KeyKind;

typedef struct Key {
    const char *name;
    KeyKind kind;
    size_t offset; /* in SkyImpairCfg; burst has none */
    const char *help;
} Key;

#define NO_FIELD ((size_t)-1)

static const Key keys[] = {
    {"seed", K_U64, offsetof(SkyImpairCfg, seed), "N  PRNG seed, decimal or 0x hex (default 0)"},
    {"loss", K_PROB, offsetof(SkyImpairCfg, loss),
     "P  independent loss probability; with burst, the average loss"},
    {"burst", K_BURST, NO_FIELD,
     "B  losses come in runs of mean length B packets (>= 1; Gilbert model, needs loss)"},
    {"ge_p", K_PROB, offsetof(SkyImpairCfg, ge_p), "P  Gilbert-Elliott: good -> bad per packet"},
    {"ge_r", K_PROB, offsetof(SkyImpairCfg, ge_r), "P  Gilbert-Elliott: bad -> good per packet"},
    {"ge_loss_bad", K_PROB, offsetof(SkyImpairCfg, ge_loss_bad),
     "P  Gilbert-Elliott: loss in the bad state (default 100%)"},
    {"ge_loss_good", K_PROB, offsetof(SkyImpairCfg, ge_loss_good),
     "P  Gilbert-Elliott: loss in the good state (default 0)"},
    {"delay", K_TIME, offsetof(SkyImpairCfg, delay_us), "T  fixed one-way delay"},
    {"jitter", K_TIME, offsetof(SkyImpairCfg, jitter_us), "T  delay varies by up to +-T"},
    {"dist", K_DIST, offsetof(SkyImpairCfg, jitter_dist),
     "uniform|normal  jitter distribution (normal: sigma = jitter/3, clipped)"},
    {"keep_order", K_FLAG, offsetof(SkyImpairCfg, keep_order), "   jitter never reorders"},
    {"reorder", K_PROB, offsetof(SkyImpairCfg, reorder),
     "P  probability that a packet is held back by reorder_delay"},
    {"reorder_delay", K_TIME, offsetof(SkyImpairCfg, reorder_delay_us),
     "T  how long a reordered packet is held back (default 2ms)"},
    {"dup", K_PROB, offsetof(SkyImpairCfg, dup), "P  duplication probability"},
    {"corrupt", K_PROB, offsetof(SkyImpairCfg, corrupt),
     "P  probability that one bit is flipped"},
    {"rate", K_RATE, offsetof(SkyImpairCfg, rate_bits_per_s),
     "R  bottleneck rate: bit, kbit, mbit, gbit"},
    {"limit", K_SIZE, offsetof(SkyImpairCfg, limit_bytes),
     "S  bottleneck queue, tail drop beyond it: bytes, kb, mb (default 1 GiB; needs rate)"},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

void sky_impair_spec_help(FILE *out)
{
    fprintf(out, "Impairment spec: key=value items separated by commas, e.g.\n"
                 "  loss=5%%,burst=3,delay=20ms,jitter=5ms,reorder=1%%,rate=20mbit,limit=64kb\n"
                 "P: \"5%%\" or \"0.05\". T: us, ms, s. R: bit, kbit, mbit, gbit (x1000). "
                 "S: bytes, kb, mb (x1024).\n");
    for (size_t i = 0; i < NKEYS; i++)
        fprintf(out, "  %-14s %s\n", keys[i].name, keys[i].help);
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

static char lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static bool eq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (lower(*a) != lower(*b))
            return false;
    return *a == *b;
}

/* A trimmed slice of the spec, NUL-terminated in the caller's copy. */
static char *trim(char *s)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_space(s[n - 1]))
        s[--n] = '\0';
    return s;
}

#define MAX_MANT 1000000000000000000ull /* 10^18 */
#define MAX_FRAC 9

/* A plain decimal "123", "1.5": digits, then optionally '.' and at least one digit. Sets *mant
 * and *frac (the value is mant / 10^frac) and points *end past it. */
static int parse_decimal(const char *s, const char **end, uint64_t *mant, unsigned *frac)
{
    uint64_t m = 0;
    unsigned f = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return SKY_ERR(EINVAL);
    for (; *p >= '0' && *p <= '9'; p++) {
        if (m > (MAX_MANT - 9) / 10)
            return SKY_ERR(ERANGE);
        m = m * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return SKY_ERR(EINVAL);
        for (; *p >= '0' && *p <= '9'; p++) {
            if (f == MAX_FRAC || m > (MAX_MANT - 9) / 10)
                return SKY_ERR(ERANGE);
            m = m * 10 + (uint64_t)(*p - '0');
            f++;
        }
    }
    *end = p;
    *mant = m;
    *frac = f;
    return 0;
}

static uint64_t pow10u(unsigned n)
{
    uint64_t v = 1;
    while (n--)
        v *= 10;
    return v;
}

/* mant / 10^frac * mult, rounded half up. SKY_ERR(ERANGE) if it does not fit in 63 bits. */
static int scale(uint64_t mant, unsigned frac, uint64_t mult, uint64_t *out)
{
    uint64_t q = pow10u(frac);
    uint64_t whole = mant / q, part = mant % q; /* part < 10^9, mult <= 2^30 */
    if (whole > (uint64_t)INT64_MAX / mult)
        return SKY_ERR(ERANGE);
    uint64_t v = whole * mult;
    uint64_t f = (part * mult + q / 2) / q;
    if (v > (uint64_t)INT64_MAX - f)
        return SKY_ERR(ERANGE);
    *out = v + f;
    return 0;
}

typedef struct Unit {
    const char *name;
    uint64_t mult;
} Unit;

static const Unit time_units[] = {{"us", 1}, {"ms", 1000}, {"s", 1000000}, {NULL, 0}};
static const Unit rate_units[] = {
    {"bit", 1}, {"kbit", 1000}, {"mbit", 1000000}, {"gbit", 1000000000}, {NULL, 0}};
static const Unit size_units[] = {
    {"", 1}, {"b", 1}, {"kb", 1024}, {"mb", 1024 * 1024}, {NULL, 0}};

/* "number unit" (spaces allowed between) with a unit from the table. */
static int parse_scaled(const Key *k, const char *v, const Unit *units, uint64_t *out, char *err,
                        size_t errlen)
{
    const char *end;
    uint64_t mant;
    unsigned frac;
    int ret = parse_decimal(v, &end, &mant, &frac);
    if (ret < 0) {
        seterr(err, errlen, ret == SKY_ERR(ERANGE) ? "%s: '%.32s' has too many digits"
                                                   : "%s: '%.32s' is not a number",
               k->name, v);
        return ret;
    }
    while (is_space(*end))
        end++;
    for (const Unit *u = units; u->name; u++) {
        if (!eq_nocase(end, u->name))
            continue;
        if (scale(mant, frac, u->mult, out) < 0) {
            seterr(err, errlen, "%s: '%.32s' is too large", k->name, v);
            return SKY_ERR(ERANGE);
        }
        return 0;
    }
    if (*end == '\0')
        seterr(err, errlen, "%s: '%.32s' needs a unit (%s)", k->name, v,
               k->kind == K_TIME ? "us, ms, s" : "bit, kbit, mbit, gbit");
    else
        seterr(err, errlen, "%s: unknown unit '%.16s' (%s)", k->name, end,
               k->kind == K_TIME ? "us, ms, s"
               : k->kind == K_RATE ? "bit, kbit, mbit, gbit"
                                   : "bytes, b, kb, mb");
    return SKY_ERR(EINVAL);
}

static int parse_prob(const Key *k, const char *v, double *out, char *err, size_t errlen)
{
    const char *end;
    uint64_t mant;
    unsigned frac;
    int ret = parse_decimal(v, &end, &mant, &frac);
    if (ret < 0) {
        seterr(err, errlen, ret == SKY_ERR(ERANGE) ? "%s: '%.32s' has too many digits"
                                                   : "%s: '%.32s' is not a number",
               k->name, v);
        return ret;
    }
    double p = (double)mant / (double)pow10u(frac);
    while (is_space(*end))
        end++;
    bool percent = *end == '%';
    if (percent) {
        p /= 100;
        end++;
    }
    if (*end != '\0') {
        seterr(err, errlen, "%s: unknown unit '%.16s' (a probability is '5%%' or '0.05')",
               k->name, end);
        return SKY_ERR(EINVAL);
    }
    if (p > 1) {
        seterr(err, errlen, "%s: %.32s is out of range [%s]", k->name, v,
               percent ? "0%, 100%" : "0, 1");
        return SKY_ERR(ERANGE);
    }
    *out = p;
    return 0;
}

static int parse_u64(const Key *k, const char *v, uint64_t *out, char *err, size_t errlen)
{
    uint64_t x = 0;
    const char *p = v;
    bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
    if (hex)
        p += 2;
    if (*p == '\0')
        goto bad;
    for (; *p; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (hex && lower(*p) >= 'a' && lower(*p) <= 'f')
            d = (unsigned)(lower(*p) - 'a' + 10);
        else
            goto bad;
        unsigned base = hex ? 16 : 10;
        if (x > (UINT64_MAX - d) / base) {
            seterr(err, errlen, "%s: '%.32s' does not fit in 64 bits", k->name, v);
            return SKY_ERR(ERANGE);
        }
        x = x * base + d;
    }
    *out = x;
    return 0;
bad:
    seterr(err, errlen, "%s: '%.32s' is not a whole number", k->name, v);
    return SKY_ERR(EINVAL);
}

static int parse_bool_word(const char *v, bool *out)
{
    static const char *const yes[] = {"1", "yes", "true", "on"};
    static const char *const no[] = {"0", "no", "false", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (eq_nocase(v, yes[i])) {
            *out = true;
            return 0;
        }
        if (eq_nocase(v, no[i])) {
            *out = false;
            return 0;
        }
    }
    return SKY_ERR(EINVAL);
}

/* Parses one value into c (or *burst). v is NULL for a bare key. */
static int parse_value(const Key *k, const char *v, SkyImpairCfg *c, double *burst, char *err,
                       size_t errlen)
{
    char *field = k->offset == NO_FIELD ? NULL : (char *)c + k->offset;
    if (!v && k->kind != K_FLAG) {
        seterr(err, errlen, "%s needs a value (%s=...)", k->name, k->name);
        return SKY_ERR(EINVAL);
    }
    if (v && *v == '\0') {
        seterr(err, errlen, "%s: empty value", k->name);
        return SKY_ERR(EINVAL);
    }
    int ret;
    uint64_t u;
    switch (k->kind) {
    case K_PROB:
        return parse_prob(k, v, (double *)(void *)field, err, errlen);
    case K_TIME:
        ret = parse_scaled(k, v, time_units, &u, err, errlen);
        if (ret < 0)
            return ret;
        if (u > (uint64_t)SKY_IMPAIR_MAX_DELAY_US) {
            seterr(err, errlen, "%s: %.32s is out of range [0, 60 s]", k->name, v);
            return SKY_ERR(ERANGE);
        }
        *(int64_t *)(void *)field = (int64_t)u;
        return 0;
    case K_RATE:
        ret = parse_scaled(k, v, rate_units, &u, err, errlen);
        if (ret == 0)
            *(uint64_t *)(void *)field = u;
        return ret;
    case K_SIZE:
        ret = parse_scaled(k, v, size_units, &u, err, errlen);
        if (ret == 0)
            *(uint64_t *)(void *)field = u;
        return ret;
    case K_U64:
        return parse_u64(k, v, (uint64_t *)(void *)field, err, errlen);
    case K_BURST: {
        const char *end;
        uint64_t mant;
        unsigned frac;
        if (parse_decimal(v, &end, &mant, &frac) < 0 || *end != '\0') {
            seterr(err, errlen, "%s: '%.32s' is not a number of packets", k->name, v);
            return SKY_ERR(EINVAL);
        }
        double b = (double)mant / (double)pow10u(frac);
        if (b < 1 || b > 1e6) {
            seterr(err, errlen, "%s: %.32s is out of range [1, 1000000]", k->name, v);
            return SKY_ERR(ERANGE);
        }
        *burst = b;
        return 0;
    }
    case K_DIST:
        if (eq_nocase(v, "uniform"))
            *(SkyImpairDist *)(void *)field = SKY_IMPAIR_DIST_UNIFORM;
        else if (eq_nocase(v, "normal"))
            *(SkyImpairDist *)(void *)field = SKY_IMPAIR_DIST_NORMAL;
        else {
            seterr(err, errlen, "%s: '%.32s' is not uniform or normal", k->name, v);
            return SKY_ERR(EINVAL);
        }
        return 0;
    case K_FLAG: {
        bool b = true;
        if (v && parse_bool_word(v, &b) < 0) {
            seterr(err, errlen, "%s: '%.32s' is not yes/no", k->name, v);
            return SKY_ERR(EINVAL);
        }
        *(bool *)(void *)field = b;
        return 0;
    }
    }
    return SKY_ERR(EINVAL);
}

static const Key *find_key(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static bool is_ge_key(const Key *k)
{
    return strncmp(k->name, "ge_", 3) == 0;
}

int sky_impair_parse(const char *spec, SkyImpairCfg *cfg, char *err, size_t errlen)
{
    char buf[SKY_IMPAIR_MAX_SPEC + 1];
    size_t n = strnlen(spec, SKY_IMPAIR_MAX_SPEC + 1);
    if (n > SKY_IMPAIR_MAX_SPEC) {
        seterr(err, errlen, "impairment spec longer than %d characters", SKY_IMPAIR_MAX_SPEC);
        return SKY_ERR(ERANGE);
    }
    memcpy(buf, spec, n + 1);

    SkyImpairCfg c;
    sky_impair_cfg_default(&c);
    uint32_t seen = 0; /* bit i: keys[i] */
    double burst = 0;
    bool any_ge = false;
    char *s = trim(buf);
    if (*s != '\0') {
        char *item = s;
        for (;;) {
            char *comma = strchr(item, ',');
            if (comma)
                *comma = '\0';
            char *eq = strchr(item, '=');
            if (eq)
                *eq = '\0';
            char *key = trim(item);
            char *val = eq ? trim(eq + 1) : NULL;
            if (*key == '\0') {
                seterr(err, errlen, eq ? "missing key before '='" : "empty item (stray comma)");
                return SKY_ERR(EINVAL);
            }
            const Key *k = find_key(key);
            if (!k) {
                seterr(err, errlen, "unknown key '%.32s' (keys: seed loss burst ge_p ge_r "
                                    "ge_loss_bad ge_loss_good delay jitter dist keep_order "
                                    "reorder reorder_delay dup corrupt rate limit)",
                       key);
                return SKY_ERR(EINVAL);
            }
            uint32_t bit = 1u << (k - keys);
            if (seen & bit) {
                seterr(err, errlen, "%s given twice", k->name);
                return SKY_ERR(EINVAL);
            }
            seen |= bit;
            any_ge |= is_ge_key(k);
            int ret = parse_value(k, val, &c, &burst, err, errlen);
            if (ret < 0)
                return ret;
            if (!comma)
                break;
            item = comma + 1;
        }
    }

    const Key *kburst = find_key("burst"), *kloss = find_key("loss");
    if (seen & (1u << (kburst - keys))) {
        if (!(seen & (1u << (kloss - keys)))) {
            seterr(err, errlen, "burst needs loss (the average loss rate)");
            return SKY_ERR(EINVAL);
        }
        if (any_ge) {
            seterr(err, errlen, "burst and the ge_* keys both set the burst model; use one");
            return SKY_ERR(EINVAL);
        }
        if (sky_impair_cfg_set_burst(&c, c.loss, burst) < 0) {
            seterr(err, errlen, "loss=%g with burst=%g is impossible: need loss < 1 and "
                                "loss/(1-loss) <= burst", c.loss, burst);
            return SKY_ERR(ERANGE);
        }
    } else if (any_ge && !(c.ge_p > 0)) {
        seterr(err, errlen, "the ge_* keys need ge_p > 0");
        return SKY_ERR(EINVAL);
    }
    int ret = sky_impair_cfg_check(&c, err, errlen);
    if (ret < 0)
        return ret;
    *cfg = c;
    return 0;
}

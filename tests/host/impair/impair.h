/* Network impairment model: a seeded, reproducible stand-in for the kernel's netem, in user space.
 * The test host's (tests/host/impair/): the client never links it.
 *
 * Pure logic. It never sleeps, reads a clock or touches a socket: the caller offers each datagram
 * (its length and the time it was sent, now_us) and gets back what happens to it: dropped, or
 * delivered at deliver_at_us (maybe twice, maybe with one bit flipped). The caller holds the
 * datagram until then (delayq.h is a queue for that) and only then sends or hands it on.
 * Use one model per direction. A model is owned by one thread; it has no locks.
 *
 * What happens to an offered packet, in this order:
 *   1. Bottleneck (rate, limit). A link of `rate` bits per second with a FIFO in front of it. A
 *      packet starts serialising when it arrives or when the previous packet has finished,
 *      whichever is later, and takes len*8/rate seconds. Times are kept exactly (integer
 *      arithmetic, remainders carried), and the packet leaves at the first whole microsecond at
 *      or after the exact finish. If the bytes still waiting or being serialised (the backlog)
 *      plus this packet would exceed `limit`, the packet is dropped at the tail and takes no link
 *      time. rate = 0: no bottleneck (the packet "finishes" at now_us). limit = 0: the largest
 *      limit, 1 GiB.
 *   2. Loss on the wire (a packet that got through the bottleneck still used its link time):
 *      - `loss`: each packet is lost independently with this probability.
 *      - Gilbert-Elliott burst loss (on while ge_p > 0): a two-state Markov chain, stepped once
 *        per offered packet before the packet's fate is drawn. good -> bad with probability
 *        ge_p, bad -> good with ge_r; a packet is lost with ge_loss_bad in the bad state and
 *        ge_loss_good in the good one. The mean stay in the bad state is 1/ge_r packets and the
 *        long-run share of time in it is ge_p/(ge_p+ge_r). sky_impair_cfg_set_burst() (and the
 *        spec "loss=L,burst=B") picks the simple Gilbert model with average loss L and losses in
 *        runs of mean length B: ge_loss_bad = 1, ge_loss_good = 0, ge_r = 1/B,
 *        ge_p = L*ge_r/(1-L).
 *      Both may be on: a packet is lost if either says so.
 *   3. Corruption: with probability `corrupt` the caller must flip one bit, bit index
 *      out.corrupt_bit (< len*8) of the delivered copy (sky_impair_flip_bit()). Packets of
 *      length 0 are never corrupted.
 *   4. Delay: deliver_at = leave time + delay + jitter. Jitter is drawn in [-jitter, +jitter]:
 *      uniform, or (dist=normal) an approximate normal with sigma = jitter/3, truncated to
 *      +-jitter. delay + jitter is clipped to >= 0.
 *   5. Reordering: with probability `reorder` the packet is held back by a further
 *      `reorder_delay`, so that it lands after the packets sent within that time after it. (Real
 *      reorders are usually short; keep reorder_delay larger than the packet spacing, or nothing
 *      is overtaken.) Jitter larger than the packet spacing reorders packets too, unless
 *      keep_order is set: then no copy is delivered before one offered earlier (delivery times
 *      never decrease; equal times keep offer order in SkyDelayQ). keep_order and reorder
 *      together are refused.
 *   6. Duplication: with probability `dup` a second, intact copy is delivered too, at the same
 *      leave time + delay + its own jitter draw (not reordered, not corrupted, no link time).
 *
 * Units: probabilities in [0, 1]; times in microseconds (delay, reorder_delay up to 60 s,
 * jitter up to 10 s); rate in bits per second (up to 10^12); limit in bytes (up to 1 GiB, and
 * only with a rate).
 *
 * Reproducibility: the same seed and configuration give the same decisions for the same
 * sequence of (len, now_us), on every machine (integer arithmetic and our own PRNG,
 * xoshiro256** seeded through splitmix64; never rand()). Each knob draws from its own random
 * stream a fixed number of times per offered packet, so turning one knob never changes the
 * decisions of another: the same seed loses the same packets with or without jitter.
 *
 * Text form (tests, CLI, benchmarks): comma-separated key=value items, e.g.
 *   "loss=5%,burst=3,delay=20ms,jitter=5ms,reorder=1%,dup=0.5%,rate=20mbit,limit=64kb,seed=7"
 * Probabilities: "5%" or a fraction "0.05". Times need a unit: us, ms, s. Rates need a unit:
 * bit, kbit, mbit, gbit (powers of 1000). Sizes: bare bytes or b, kb, mb (powers of 1024).
 * Numbers are plain decimals (no signs, exponents, inf or nan). sky_impair_spec_help() lists
 * every key. */
#ifndef SKY_TESTHOST_IMPAIR_IMPAIR_H
#define SKY_TESTHOST_IMPAIR_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SKY_IMPAIR_MAX_DELAY_US 60000000LL
#define SKY_IMPAIR_MAX_JITTER_US 10000000LL
#define SKY_IMPAIR_MAX_RATE 1000000000000ULL /* bits per second */
#define SKY_IMPAIR_MAX_LIMIT (1ULL << 30)    /* bytes */
#define SKY_IMPAIR_MAX_PACKET (1u << 24)     /* bytes; a larger len is a programmer error */
#define SKY_IMPAIR_MAX_SPEC 1024             /* characters in a spec string */

typedef enum SkyImpairDist {
    SKY_IMPAIR_DIST_UNIFORM = 0,
    SKY_IMPAIR_DIST_NORMAL = 1,
} SkyImpairDist;

typedef struct SkyImpairCfg {
    uint64_t seed;
    double loss;            /* independent loss probability */
    double ge_p;            /* Gilbert-Elliott good -> bad per packet; 0 = burst model off */
    double ge_r;            /* bad -> good per packet; > 0 when ge_p > 0 */
    double ge_loss_bad;     /* loss probability in the bad state */
    double ge_loss_good;    /* loss probability in the good state */
    int64_t delay_us;       /* fixed one-way delay */
    int64_t jitter_us;      /* largest deviation from delay_us */
    SkyImpairDist jitter_dist;
    bool keep_order;        /* jitter never reorders; refused together with reorder */
    double reorder;         /* probability that a packet is held back by reorder_delay_us */
    int64_t reorder_delay_us; /* > 0 when reorder > 0 */
    double dup;             /* duplication probability */
    double corrupt;         /* probability of one flipped bit */
    uint64_t rate_bits_per_s; /* bottleneck rate; 0 = none */
    uint64_t limit_bytes;   /* tail-drop limit of the bottleneck queue; 0 = 1 GiB */
} SkyImpairCfg;

/* No impairment at all; reorder_delay_us = 2000, ge_loss_bad = 1 (so setting ge_p and ge_r is
 * enough for the simple Gilbert model). */
void sky_impair_cfg_default(SkyImpairCfg *cfg);
/* Sets the simple Gilbert model for average loss `loss` in runs of mean length `burst_len`
 * packets (see the top of this file) and clears cfg->loss. burst_len >= 1 and loss < 1, and
 * loss/(1-loss) <= burst_len (else the model cannot reach that average). loss = 0 turns the burst
 * model off. Returns 0, or SKY_ERR(ERANGE) and leaves cfg unchanged. */
int sky_impair_cfg_set_burst(SkyImpairCfg *cfg, double loss, double burst_len);
/* Checks ranges and combinations. Returns 0, or SKY_ERR(EINVAL)/SKY_ERR(ERANGE) and writes a
 * one-line reason into err (err may be NULL). */
int sky_impair_cfg_check(const SkyImpairCfg *cfg, char *err, size_t errlen);
/* True when cfg changes nothing (every knob off). */
bool sky_impair_cfg_is_none(const SkyImpairCfg *cfg);

/* Parses a spec (see the top of this file) into *cfg, starting from sky_impair_cfg_default().
 * The empty string (or only spaces) is no impairment. Spaces around keys and values are allowed.
 * Each key may appear once; "keep_order" may stand alone. On success the result has passed
 * sky_impair_cfg_check(). On failure returns SKY_ERR(EINVAL) (syntax, unknown key, bad unit,
 * conflicting keys) or SKY_ERR(ERANGE) (out of range), writes a one-line reason into err (may be
 * NULL) and leaves *cfg unchanged. */
int sky_impair_parse(const char *spec, SkyImpairCfg *cfg, char *err, size_t errlen);
/* One help line per key, for the CLI. */
void sky_impair_spec_help(FILE *out);

typedef struct SkyImpair SkyImpair;

typedef enum SkyImpairVerdict {
    SKY_IMPAIR_DROP = 0,     /* nothing is delivered; out.drop_cause says why */
    SKY_IMPAIR_DELIVER = 1,  /* one copy, at out.deliver_at_us */
    SKY_IMPAIR_DELIVER_DUP = 2, /* two copies: also one at out.dup_deliver_at_us */
} SkyImpairVerdict;

typedef enum SkyImpairDropCause {
    SKY_IMPAIR_DROP_NONE = 0,
    SKY_IMPAIR_DROP_QUEUE = 1,  /* tail drop: the bottleneck queue was over limit */
    SKY_IMPAIR_DROP_RANDOM = 2, /* independent loss */
    SKY_IMPAIR_DROP_BURST = 3,  /* Gilbert-Elliott loss */
} SkyImpairDropCause;

typedef struct SkyImpairOut {
    int64_t deliver_at_us;     /* DELIVER, DELIVER_DUP: when the (first) copy is due */
    int64_t dup_deliver_at_us; /* DELIVER_DUP: when the intact second copy is due */
    SkyImpairDropCause drop_cause;
    bool corrupt;              /* flip bit corrupt_bit of the first copy */
    bool reordered;            /* held back by reorder_delay_us */
    size_t corrupt_bit;        /* < len*8 when corrupt */
} SkyImpairOut;

/* Counters since creation. "backlog" is the bottleneck queue in bytes (waiting or being
 * serialised), measured just after the last offered packet was queued. */
typedef struct SkyImpairStats {
    uint64_t offered;
    uint64_t offered_bytes;
    uint64_t delivered;       /* packets not dropped (first copies) */
    uint64_t dropped_queue;
    uint64_t dropped_random;
    uint64_t dropped_burst;
    uint64_t duplicated;
    uint64_t reordered;
    uint64_t corrupted;
    uint64_t backlog_bytes;
    uint64_t backlog_max_bytes;
} SkyImpairStats;

/* Copies and checks cfg (reason logged on failure). Returns 0, SKY_ERR(EINVAL),
 * SKY_ERR(ERANGE) or SKY_ERR(ENOMEM); *out is NULL on failure. */
int sky_impair_create(SkyImpair **out, const SkyImpairCfg *cfg);
/* Accepts NULL; NULLs the pointer. */
void sky_impair_destroy(SkyImpair **imp);

/* Decides the fate of one packet of len bytes (<= SKY_IMPAIR_MAX_PACKET) sent at now_us. Offer
 * packets in the order they are sent, with now_us never decreasing (a smaller now_us is taken
 * as the previous one). Fills *out. Owns nothing of the caller's. */
SkyImpairVerdict sky_impair_packet(SkyImpair *imp, size_t len, int64_t now_us,
                                   SkyImpairOut *out);
/* Bytes in the bottleneck queue at now_us, the unsent part of the packet on the link rounded up
 * (0 without a rate). Does not change the model. */
uint64_t sky_impair_backlog_bytes(const SkyImpair *imp, int64_t now_us);
void sky_impair_get_stats(const SkyImpair *imp, SkyImpairStats *stats);

/* Flips bit `bit` (bit 0 = least significant bit of buf[0]) if it lies inside buf. */
void sky_impair_flip_bit(uint8_t *buf, size_t len, size_t bit);

/* The model's PRNG, for tests and benchmarks that want reproducible data too:
 * xoshiro256** whose state is four successive splitmix64 outputs from seed. */
typedef struct SkyImpairRng {
    uint64_t s[4];
} SkyImpairRng;

void sky_impair_rng_seed(SkyImpairRng *rng, uint64_t seed);
uint64_t sky_impair_rng_next(SkyImpairRng *rng);
/* The splitmix64 step: advances *state and returns the next output. */
uint64_t sky_impair_splitmix64(uint64_t *state);

#endif

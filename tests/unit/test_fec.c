/* Reed-Solomon FEC: the generator matrices against an independent GF(2^8) reference, random
 * round trips, every loss pattern of small codes, bad arguments, and the hosts' own parity in
 * the captured video and audio (tests/data/captures), rebuilt byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/proto/fec.h"
#include "dgrams.h"

#ifndef SKY_TEST_DATA
#error "SKY_TEST_DATA must name tests/data"
#endif

/* ---- an independent GF(2^8) (0x11d) and the matrices as the hosts define them ---- */

static uint8_t gexp[512], glog[256];

static void gf_setup(void)
{
    unsigned x = 1;
    for (int i = 0; i < 255; i++) {
        gexp[i] = gexp[i + 255] = (uint8_t)x;
        glog[x] = (uint8_t)i;
        x = (x << 1) ^ ((x & 0x80) ? 0x11d : 0);
    }
}

static uint8_t gmul(uint8_t a, uint8_t b)
{
    return a && b ? gexp[glog[a] + glog[b]] : 0;
}

static uint8_t ginv(uint8_t a)
{
    return gexp[255 - glog[a]];
}

static uint8_t ref_coef(SkyFecKind kind, int m, int j, int i)
{
    static const uint8_t audio[2][4] = {{0x77, 0x40, 0x38, 0x0e}, {0xc7, 0xa7, 0x0d, 0x6c}};
    return kind == SKY_FEC_AUDIO ? audio[j][i] : ginv((uint8_t)((m + i) ^ j));
}

/* Parity byte `col` of parity shard j, the slow way. */
static uint8_t ref_parity(SkyFecKind kind, int k, int m, uint8_t *const *data, int j, size_t col)
{
    uint8_t acc = 0;
    for (int i = 0; i < k; i++)
        acc ^= gmul(ref_coef(kind, m, j, i), data[i][col]);
    return acc;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int rnd_range(int lo, int hi) /* inclusive */
{
    return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

static void fill_random(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
}

/* k + m shard buffers of len bytes in one allocation, plus a pristine copy. */
typedef struct Shards {
    int n;
    size_t len;
    uint8_t *mem, *orig;
    uint8_t *p[SKY_FEC_MAX_SHARDS];
    bool present[SKY_FEC_MAX_SHARDS];
} Shards;

static void shards_init(Shards *s, int n, size_t len)
{
    s->n = n;
    s->len = len;
    s->mem = malloc((size_t)n * len);
    s->orig = malloc((size_t)n * len);
    assert_non_null(s->mem);
    assert_non_null(s->orig);
    for (int i = 0; i < n; i++) {
        s->p[i] = s->mem + (size_t)i * len;
        s->present[i] = true;
    }
}

static void shards_free(Shards *s)
{
    free(s->mem);
    free(s->orig);
}

static void shards_snapshot(Shards *s)
{
    memcpy(s->orig, s->mem, (size_t)s->n * s->len);
}

/* Overwrites the shards that are not present with garbage. */
static void shards_erase(Shards *s)
{
    for (int i = 0; i < s->n; i++)
        if (!s->present[i])
            memset(s->p[i], 0xa5 ^ i, s->len);
}

/* Encodes random data and checks the parity against the reference at some columns (all of
 * them for short shards). */
static void encode_and_check(SkyFec *f, SkyFecKind kind, Shards *s, int k, int m)
{
    for (int i = 0; i < k; i++)
        fill_random(s->p[i], s->len);
    for (int j = 0; j < m; j++)
        memset(s->p[k + j], 0x5a, s->len);
    assert_int_equal(sky_fec_encode(f, kind, k, m, s->p, s->p + k, s->len), 0);
    size_t step = s->len <= 64 ? 1 : s->len / 13;
    for (int j = 0; j < m; j++) {
        for (size_t col = 0; col < s->len; col += step)
            assert_int_equal(s->p[k + j][col], ref_parity(kind, k, m, s->p, j, col));
        assert_int_equal(s->p[k + j][s->len - 1], ref_parity(kind, k, m, s->p, j, s->len - 1));
    }
    shards_snapshot(s);
}

/* Reconstructs with s->present and checks: data restored, present shards untouched, absent
 * parity untouched. */
static void reconstruct_and_check(SkyFec *f, SkyFecKind kind, Shards *s, int k, int m)
{
    shards_erase(s);
    uint8_t *parity_before = malloc((size_t)m * s->len + 1);
    assert_non_null(parity_before);
    const uint8_t *parity = s->mem + (size_t)k * s->len; /* s->p[k] may be past the end */
    memcpy(parity_before, parity, (size_t)m * s->len);
    assert_int_equal(sky_fec_reconstruct(f, kind, k, m, s->p, s->present, s->len), 0);
    assert_memory_equal(s->mem, s->orig, (size_t)k * s->len);
    assert_memory_equal(parity, parity_before, (size_t)m * s->len);
    free(parity_before);
}

static void test_create_destroy(void **state)
{
    (void)state;
    SkyFec *f = NULL;
    assert_int_equal(sky_fec_create(NULL), SKY_ERR(EINVAL));
    assert_int_equal(sky_fec_create(&f), 0);
    assert_non_null(f);
    sky_fec_destroy(&f);
    assert_null(f);
    sky_fec_destroy(&f);
    sky_fec_destroy(NULL);
}

/* The matrices themselves: encoding unit vectors gives their columns. Video k=4, m=2 is the
 * nanors matrix (8e f4 47 a7 / f4 8e a7 47), not ISA-L's cauchy1 (47 a7 7a ba / ...). */
static void test_matrices(void **state)
{
    (void)state;
    static const uint8_t video42[2][4] = {{0x8e, 0xf4, 0x47, 0xa7}, {0xf4, 0x8e, 0xa7, 0x47}};
    static const uint8_t audio42[2][4] = {{0x77, 0x40, 0x38, 0x0e}, {0xc7, 0xa7, 0x0d, 0x6c}};
    SkyFec *f = NULL;
    assert_int_equal(sky_fec_create(&f), 0);
    for (int kind = SKY_FEC_VIDEO; kind <= SKY_FEC_AUDIO; kind++) {
        const uint8_t(*want)[4] = kind == SKY_FEC_VIDEO ? video42 : audio42;
        uint8_t d[4][3], p[2][3];
        uint8_t *dp[4] = {d[0], d[1], d[2], d[3]}, *pp[2] = {p[0], p[1]};
        for (int col = 0; col < 4; col++) {
            memset(d, 0, sizeof(d));
            d[col][0] = 1;
            d[col][1] = 2;
            assert_int_equal(sky_fec_encode(f, (SkyFecKind)kind, 4, 2, dp, pp, 3), 0);
            for (int j = 0; j < 2; j++) {
                assert_int_equal(p[j][0], want[j][col]);
                assert_int_equal(p[j][1], gmul(2, want[j][col]));
                assert_int_equal(p[j][2], 0);
            }
        }
    }
    /* A bigger video matrix, coefficient by coefficient. */
    uint8_t d[60][1], p[40][1];
    uint8_t *dp[60], *pp[40];
    for (int i = 0; i < 60; i++)
        dp[i] = d[i];
    for (int j = 0; j < 40; j++)
        pp[j] = p[j];
    for (int col = 0; col < 60; col += 7) {
        memset(d, 0, sizeof(d));
        d[col][0] = 1;
        assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 60, 40, dp, pp, 1), 0);
        for (int j = 0; j < 40; j++)
            assert_int_equal(p[j][0], ginv((uint8_t)((40 + col) ^ j)));
    }
    sky_fec_destroy(&f);
}

static void test_bad_args(void **state)
{
    (void)state;
    SkyFec *f = NULL;
    assert_int_equal(sky_fec_create(&f), 0);
    uint8_t buf[8][16];
    uint8_t *p[8];
    bool present[8];
    for (int i = 0; i < 8; i++) {
        p[i] = buf[i];
        present[i] = true;
    }
    memset(buf, 0x11, sizeof(buf));
    const int einval = SKY_ERR(EINVAL);

    assert_int_equal(sky_fec_encode(NULL, SKY_FEC_VIDEO, 4, 2, p, p + 4, 16), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 4, 2, NULL, p + 4, 16), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 4, 2, p, NULL, 16), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 0, 2, p, p + 4, 16), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, -1, 2, p, p + 4, 16), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 4, -1, p, p + 4, 16), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 250, 6, p, p + 4, 16), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 256, 0, p, p + 4, 16), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 1, 0x7fffffff, p, p + 4, 16), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 0x7fffffff, 1, p, p + 4, 16), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 4, 2, p, p + 4, 0), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 4, 2, p, p + 4, SKY_FEC_MAX_LEN + 1),
                     einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_AUDIO, 4, 1, p, p + 4, 16), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_AUDIO, 3, 2, p, p + 4, 16), einval);
    assert_int_equal(sky_fec_encode(f, (SkyFecKind)7, 4, 2, p, p + 4, 16), einval);
    uint8_t *with_null[6] = {p[0], p[1], NULL, p[3], p[4], p[5]};
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 4, 2, with_null, p + 4, 16), einval);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 4, 2, p, with_null + 1, 16), einval);
    /* Nothing was written by any of them. */
    for (int i = 0; i < 8; i++)
        for (int b = 0; b < 16; b++)
            assert_int_equal(buf[i][b], 0x11);
    /* m = 0 is valid and writes nothing; parity may then be NULL. */
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 4, 0, p, NULL, 16), 0);

    assert_int_equal(sky_fec_reconstruct(NULL, SKY_FEC_VIDEO, 4, 2, p, present, 16), einval);
    assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_VIDEO, 4, 2, NULL, present, 16), einval);
    assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_VIDEO, 4, 2, p, NULL, 16), einval);
    assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_VIDEO, 0, 2, p, present, 16), einval);
    assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_VIDEO, 200, 56, p, present, 16), einval);
    assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_VIDEO, 4, 2, p, present, 0), einval);
    assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_AUDIO, 4, 3, p, present, 16), einval);
    assert_int_equal(sky_fec_reconstruct(f, (SkyFecKind)-1, 4, 2, p, present, 16), einval);
    /* A present shard without a buffer, or a missing data shard without one. */
    assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_VIDEO, 4, 2, with_null, present, 16), einval);
    present[2] = false;
    assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_VIDEO, 4, 2, with_null, present, 16), einval);
    present[2] = true;
    /* ...but a missing parity shard may be NULL: it is neither read nor written. */
    uint8_t *parity_null[6] = {p[0], p[1], p[2], p[3], NULL, p[5]};
    present[4] = false;
    assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_VIDEO, 4, 2, parity_null, present, 16), 0);
    present[0] = false;
    present[5] = false;
    assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_VIDEO, 4, 2, parity_null, present, 16),
                     SKY_ERR(EAGAIN));
    for (int i = 0; i < 8; i++)
        for (int b = 0; b < 16; b++)
            assert_int_equal(buf[i][b], 0x11);
    /* With a real codeword, a missing data shard is rebuilt past the NULL parity pointer. */
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 16; b++)
            buf[i][b] = (uint8_t)(i * 31 + b * 7);
    assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, 4, 2, p, p + 4, 16), 0);
    uint8_t want[16];
    memcpy(want, buf[0], 16);
    memset(buf[0], 0, 16);
    present[5] = true;
    assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_VIDEO, 4, 2, parity_null, present, 16), 0);
    assert_memory_equal(buf[0], want, 16);
    sky_fec_destroy(&f);
}

/* Random codes of every shape: k 1..255-m, m 0..60, 1..1500 bytes, losing up to m shards. */
static void test_random_round_trips(void **state)
{
    (void)state;
    rng_state = 1;
    SkyFec *f = NULL;
    assert_int_equal(sky_fec_create(&f), 0);
    for (int iter = 0; iter < 300; iter++) {
        int m = rnd_range(0, 60);
        int k = iter < 20 ? SKY_FEC_MAX_SHARDS - m : rnd_range(1, SKY_FEC_MAX_SHARDS - m);
        size_t len = (size_t)(iter % 5 == 0 ? rnd_range(1, 40) : rnd_range(1, 1500));
        Shards s;
        shards_init(&s, k + m, len);
        encode_and_check(f, SKY_FEC_VIDEO, &s, k, m);
        for (int round = 0; round < 3; round++) {
            /* Lose `lost` random shards, data and parity alike. */
            int lost = rnd_range(0, m);
            for (int i = 0; i < k + m; i++)
                s.present[i] = true;
            for (int l = 0; l < lost;) {
                int i = rnd_range(0, k + m - 1);
                if (s.present[i]) {
                    s.present[i] = false;
                    l++;
                }
            }
            reconstruct_and_check(f, SKY_FEC_VIDEO, &s, k, m);
            memcpy(s.mem, s.orig, (size_t)(k + m) * len);
        }
        shards_free(&s);
    }
    sky_fec_destroy(&f);
}

/* Every erasure pattern of every small code: any k of the k + m shards rebuild the data;
 * fewer than k give EAGAIN and leave every buffer as it was. */
static void exhaustive(SkyFec *f, SkyFecKind kind, int k, int m, size_t len)
{
    int n = k + m;
    Shards s;
    shards_init(&s, n, len);
    encode_and_check(f, kind, &s, k, m);
    for (unsigned mask = 0; mask < (1u << n); mask++) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            s.present[i] = (mask >> i) & 1;
            count += s.present[i];
        }
        if (count >= k) {
            reconstruct_and_check(f, kind, &s, k, m);
        } else {
            shards_erase(&s);
            uint8_t *before = malloc((size_t)n * len);
            assert_non_null(before);
            memcpy(before, s.mem, (size_t)n * len);
            assert_int_equal(sky_fec_reconstruct(f, kind, k, m, s.p, s.present, len),
                             SKY_ERR(EAGAIN));
            assert_memory_equal(s.mem, before, (size_t)n * len);
            free(before);
        }
        memcpy(s.mem, s.orig, (size_t)n * len);
    }
    shards_free(&s);
}

static void test_any_k_of_n(void **state)
{
    (void)state;
    rng_state = 2;
    SkyFec *f = NULL;
    assert_int_equal(sky_fec_create(&f), 0);
    for (int n = 1; n <= 11; n++)
        for (int k = 1; k <= n; k++)
            exhaustive(f, SKY_FEC_VIDEO, k, n - k, (size_t)(n * 7 % 40 + 1));
    exhaustive(f, SKY_FEC_AUDIO, 4, 2, 64);
    exhaustive(f, SKY_FEC_AUDIO, 4, 2, 1);
    sky_fec_destroy(&f);
}

/* The extremes: all parity needed (exactly k present), the most missing shards a code can
 * have (127), a single data shard with 254 parity, 254 data with one parity. */
static void test_exactly_k(void **state)
{
    (void)state;
    rng_state = 3;
    SkyFec *f = NULL;
    assert_int_equal(sky_fec_create(&f), 0);
    static const int shapes[][2] = {{128, 127}, {127, 128}, {1, 254}, {254, 1}, {200, 55},
                                    {10, 2}, {2, 2}};
    for (size_t t = 0; t < sizeof(shapes) / sizeof(shapes[0]); t++) {
        int k = shapes[t][0], m = shapes[t][1];
        int w = k < m ? k : m;
        Shards s;
        shards_init(&s, k + m, 1040);
        encode_and_check(f, SKY_FEC_VIDEO, &s, k, m);
        /* Lose the first w data shards and the last m - w parity shards: exactly k left. */
        for (int i = 0; i < k + m; i++)
            s.present[i] = !(i < w || i >= k + w);
        reconstruct_and_check(f, SKY_FEC_VIDEO, &s, k, m);
        /* Same count, other shards: the last w data shards and the first m - w parity. */
        memcpy(s.mem, s.orig, (size_t)(k + m) * s.len);
        for (int i = 0; i < k + m; i++)
            s.present[i] = !((i >= k - w && i < k) || (i >= k && i < k + (m - w)));
        reconstruct_and_check(f, SKY_FEC_VIDEO, &s, k, m);
        /* One more lost: EAGAIN. */
        memcpy(s.mem, s.orig, (size_t)(k + m) * s.len);
        for (int i = 0; i < k + m; i++)
            if (s.present[i]) {
                s.present[i] = false;
                break;
            }
        assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_VIDEO, k, m, s.p, s.present, s.len),
                         SKY_ERR(EAGAIN));
        assert_memory_equal(s.mem, s.orig, (size_t)(k + m) * s.len);
        shards_free(&s);
    }
    sky_fec_destroy(&f);
}

/* More shapes than the cache holds, interleaved, and one loss pattern reused with new data:
 * cached tables must never be used for the wrong shape or pattern. */
static void test_caches(void **state)
{
    (void)state;
    rng_state = 4;
    SkyFec *f = NULL;
    assert_int_equal(sky_fec_create(&f), 0);
    static const int shapes[][2] = {{10, 2}, {20, 4}, {11, 3}, {4, 2}, {30, 6}, {10, 3}, {3, 10}};
    for (int round = 0; round < 40; round++) {
        int t = (round * 5) % 7;
        SkyFecKind kind = round % 9 == 4 ? SKY_FEC_AUDIO : SKY_FEC_VIDEO;
        int k = kind == SKY_FEC_AUDIO ? 4 : shapes[t][0], m = kind == SKY_FEC_AUDIO ? 2 : shapes[t][1];
        Shards s;
        shards_init(&s, k + m, 100);
        for (int rep = 0; rep < 2; rep++) { /* same pattern twice, different data */
            encode_and_check(f, kind, &s, k, m);
            for (int i = 0; i < k + m; i++)
                s.present[i] = i != 1 && i != k;
            reconstruct_and_check(f, kind, &s, k, m);
        }
        shards_free(&s);
    }
    sky_fec_destroy(&f);
}

/* ---- the captures ---- */

#define MAX_FRAMES 64
#define AUDIO_DURATION_MS 5 /* the captures' SDP x-nv-aqos.packetDuration */

typedef struct VFrame {
    uint32_t index;
    int n, p, pct, got;
    uint8_t *shard[SKY_FEC_MAX_SHARDS]; /* plaintext datagrams, shard_len bytes */
} VFrame;

typedef struct AudioPkt {
    const uint8_t *data; /* whole RTP datagram, in the file buffer */
    size_t len;
} AudioPkt;

typedef struct Capture {
    TDgramKeys keys;
    uint8_t *file;
    size_t file_len;
    size_t shard_len; /* packet_size + 16 */
    VFrame frames[MAX_FRAMES];
    int nframes;
    AudioPkt audio_data[512];    /* by RTP sequence */
    AudioPkt audio_fec[128][2];  /* by base sequence / 4, shard index */
    int video_datagrams, audio_datagrams;
} Capture;

static uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void add_video(Capture *c, SkyGcm *gcm, const TDgram *d)
{
    uint8_t *pl = malloc(c->shard_len);
    assert_non_null(pl);
    if (c->keys.video_encrypted) {
        /* IV[12] (used as sent), LE32 frame number, tag[16], ciphertext. */
        assert_int_equal(d->len, SKY_AES_BLOCK * 2 + c->shard_len);
        assert_int_equal(sky_gcm_decrypt(gcm, d->data, 12, d->data + 32, c->shard_len,
                                         d->data + 16, pl), 0);
        assert_int_equal(rd_le32(d->data + 12), rd_le32(pl + 20));
    } else {
        assert_int_equal(d->len, c->shard_len);
        memcpy(pl, d->data, c->shard_len);
    }
    uint32_t fidx = rd_le32(pl + 20), fec = rd_le32(pl + 28);
    int n = (int)(fec >> 22), idx = (int)((fec >> 12) & 0x3ff), pct = (int)((fec >> 4) & 0xff);
    assert_int_equal(pl[27], 0); /* one FEC block per frame in these captures */
    assert_true(fidx >= (uint32_t)c->keys.first_frame && fidx <= (uint32_t)c->keys.last_frame);
    VFrame *fr = &c->frames[fidx - (uint32_t)c->keys.first_frame];
    if (!fr->got) {
        fr->index = fidx;
        fr->n = n;
        fr->pct = pct;
        fr->p = (n * pct + 99) / 100;
        assert_true(n >= 1 && n + fr->p <= SKY_FEC_MAX_SHARDS);
    }
    assert_int_equal(n, fr->n);
    assert_int_equal(pct, fr->pct);
    assert_true(idx < fr->n + fr->p);
    assert_null(fr->shard[idx]);
    fr->shard[idx] = pl;
    fr->got++;
}

static void add_audio(Capture *c, const TDgram *d)
{
    assert_true(d->len > 24);
    assert_int_equal(d->data[0], 0x80);
    int pt = d->data[1] & 0x7f;
    uint16_t seq = rd_be16(d->data + 2);
    if (pt == 97) {
        assert_true(seq < 512);
        c->audio_data[seq] = (AudioPkt){d->data, d->len};
    } else {
        assert_int_equal(pt, 127);
        int idx = d->data[12];
        uint16_t base = rd_be16(d->data + 14);
        assert_true(idx < 2 && base % 4 == 0 && base / 4 < 128);
        assert_int_equal(seq, base + 4 + idx);
        c->audio_fec[base / 4][idx] = (AudioPkt){d->data, d->len};
    }
}

static void capture_load(Capture *c, const char *name)
{
    memset(c, 0, sizeof(*c));
    assert_int_equal(tdgram_load_capture(SKY_TEST_DATA, name, &c->file, &c->file_len, &c->keys),
                     0);
    assert_string_equal(c->keys.capture, name);
    c->shard_len = (size_t)c->keys.packet_size + 16;
    c->nframes = c->keys.frames;
    assert_true(c->nframes >= 1 && c->nframes <= MAX_FRAMES);
    SkyGcm *gcm = NULL;
    assert_int_equal(sky_gcm_create(&gcm, c->keys.rikey), 0);
    TDgramReader r;
    TDgram d;
    int ret;
    assert_int_equal(tdgram_init(&r, c->file, c->file_len), 0);
    uint64_t last_us = 0;
    while ((ret = tdgram_next(&r, &d)) == 1) {
        assert_true(d.time_us >= last_us);
        last_us = d.time_us;
        if (d.stream == TDGRAM_VIDEO) {
            add_video(c, gcm, &d);
            c->video_datagrams++;
        } else {
            add_audio(c, &d);
            c->audio_datagrams++;
        }
    }
    assert_int_equal(ret, 0);
    assert_int_equal(c->video_datagrams, c->keys.video_datagrams);
    assert_int_equal(c->audio_datagrams, c->keys.audio_datagrams);
    for (int i = 0; i < c->nframes; i++)
        assert_int_equal(c->frames[i].got, c->frames[i].n + c->frames[i].p);
    sky_gcm_destroy(&gcm);
}

static void capture_free(Capture *c)
{
    for (int i = 0; i < c->nframes; i++)
        for (int s = 0; s < SKY_FEC_MAX_SHARDS; s++)
            free(c->frames[i].shard[s]);
    free(c->file);
}

/* Column `col` of a video datagram holds real parity in parity shards: the bytes the host does
 * not overwrite after encoding (media notes §2.3). */
static bool real_parity_byte(size_t col)
{
    return col == 1 || (col >= 8 && col <= 19) || (col >= 24 && col <= 26) || col >= 32;
}

/* Recomputes each frame's parity from its data shards, with the header bytes the host fills
 * after encoding (0-7: RTP byte 0, sequence, timestamp; 28-31: fecInfo) zeroed as they were. */
static void check_video_parity(SkyFec *f, Capture *c)
{
    size_t len = c->shard_len;
    for (int fi = 0; fi < c->nframes; fi++) {
        VFrame *fr = &c->frames[fi];
        uint8_t *bufs[SKY_FEC_MAX_SHARDS];
        uint8_t *mem = malloc((size_t)(fr->n + fr->p) * len);
        assert_non_null(mem);
        for (int i = 0; i < fr->n + fr->p; i++)
            bufs[i] = mem + (size_t)i * len;
        for (int i = 0; i < fr->n; i++) {
            memcpy(bufs[i], fr->shard[i], len);
            memset(bufs[i], 0, 8);
            memset(bufs[i] + 28, 0, 4);
        }
        assert_int_equal(sky_fec_encode(f, SKY_FEC_VIDEO, fr->n, fr->p, bufs, bufs + fr->n, len),
                         0);
        for (int j = 0; j < fr->p; j++) {
            const uint8_t *wire = fr->shard[fr->n + j];
            for (size_t col = 0; col < len; col++)
                if (real_parity_byte(col) && bufs[fr->n + j][col] != wire[col])
                    fail_msg("%s frame %u parity %d byte %zu: computed %02x, host sent %02x",
                             c->keys.capture, fr->index, j, col, bufs[fr->n + j][col], wire[col]);
        }
        free(mem);
    }
}

/* Writes the header fields a receiver knows for data shard idx of fr (everything but the
 * per-shard timestamp), as the notes' §2.3 recipe says. */
static void fix_video_header(const VFrame *fr, int idx, uint8_t *pl)
{
    assert_true(fr->p >= 1);
    const uint8_t *any = fr->shard[fr->n]; /* the first parity shard: its RTP header is real */
    uint16_t base_seq = (uint16_t)(rd_be16(any + 2) - fr->n);
    uint16_t seq = (uint16_t)(base_seq + idx);
    uint32_t fec = (uint32_t)fr->n << 22 | (uint32_t)idx << 12 | (uint32_t)fr->pct << 4;
    pl[0] = 0x90;
    pl[1] = 0;
    pl[2] = (uint8_t)(seq >> 8);
    pl[3] = (uint8_t)seq;
    memset(pl + 8, 0, 8); /* SSRC and the reserved word */
    for (int b = 0; b < 4; b++) {
        pl[20 + b] = (uint8_t)(fr->index >> (8 * b));
        pl[28 + b] = (uint8_t)(fec >> (8 * b));
    }
    pl[27] = any[27];
}

/* Appends the frame's bitstream (frame header removed, last shard cut to its length). */
static void append_es(const VFrame *fr, uint8_t *const *data, size_t len, uint8_t *es,
                      size_t cap, size_t *es_len)
{
    size_t payload = len - 32;
    const uint8_t *hdr = data[0] + 32;
    assert_int_equal(hdr[0], 0x01);
    size_t last = (size_t)(hdr[4] | hdr[5] << 8);
    assert_true(last >= 1 && last <= payload);
    size_t total = payload * (size_t)(fr->n - 1) + last;
    assert_true(total >= 8 && *es_len + total - 8 <= cap);
    size_t skip = 8;
    for (int i = 0; i < fr->n; i++) {
        size_t n = i == fr->n - 1 ? last : payload;
        const uint8_t *p = data[i] + 32;
        size_t s = skip < n ? skip : n;
        skip -= s;
        memcpy(es + *es_len, p + s, n - s);
        *es_len += n - s;
    }
}

/* Drops data shards (and some parity) in a pattern that depends on `pattern`, rebuilds from
 * the shards as received and checks the payload and predicted header bytes; the rebuilt
 * frames then reassemble into exactly the stream the capture's keys describe. */
static void check_video_rebuild(SkyFec *f, Capture *c, int pattern)
{
    size_t len = c->shard_len;
    size_t cap = (size_t)c->keys.video_es_bytes;
    uint8_t *es = malloc(cap);
    assert_non_null(es);
    size_t es_len = 0;
    int rebuilt = 0;
    for (int fi = 0; fi < c->nframes; fi++) {
        VFrame *fr = &c->frames[fi];
        int n = fr->n, p = fr->p;
        int w = n < p ? n : p;
        uint8_t *mem = malloc((size_t)(n + p) * len);
        uint8_t *bufs[SKY_FEC_MAX_SHARDS];
        bool present[SKY_FEC_MAX_SHARDS];
        assert_non_null(mem);
        for (int i = 0; i < n + p; i++) {
            bufs[i] = mem + (size_t)i * len;
            memcpy(bufs[i], fr->shard[i], len);
            present[i] = true;
        }
        int lose = pattern == 0 ? w : 1 + (fi + pattern) % w;
        for (int l = 0; l < lose; l++) {
            int d;
            switch (pattern % 4) {
            case 0: d = l; break;                          /* the first ones */
            case 1: d = n - 1 - l; break;                  /* the last ones (short shard) */
            case 2: d = (fi * 7 + l * 3) % n; break;       /* scattered */
            default: d = (l * (n / (lose + 1) + 1)) % n; break;
            }
            while (!present[d])
                d = (d + 1) % n;
            present[d] = false;
            memset(bufs[d], 0xee, len);
        }
        /* Parity beyond what is needed is lost too, on odd patterns. */
        if (pattern & 1)
            for (int j = p - 1, spare = p - lose; spare > 0; j--, spare--)
                present[n + j] = false;
        assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_VIDEO, n, p, bufs, present, len), 0);
        for (int i = 0; i < n; i++) {
            if (present[i])
                continue;
            const uint8_t *want = fr->shard[i];
            assert_memory_equal(bufs[i] + 32, want + 32, len - 32);
            assert_memory_equal(bufs[i] + 8, want + 8, 12);  /* SSRC, reserved, stream index */
            assert_memory_equal(bufs[i] + 24, want + 24, 3); /* flags, reserved, multiFecFlags */
            assert_int_equal(bufs[i][1], 0);
            fix_video_header(fr, i, bufs[i]);
            /* Everything but the per-shard timestamp (SS 0.23) now matches. */
            assert_memory_equal(bufs[i], want, 4);
            assert_memory_equal(bufs[i] + 8, want + 8, len - 8);
            rebuilt++;
        }
        append_es(fr, bufs, len, es, cap, &es_len);
        free(mem);
    }
    assert_true(rebuilt >= c->nframes);
    assert_int_equal(es_len, c->keys.video_es_bytes);
    uint8_t sha[SKY_SHA256_LEN];
    sky_sha256(es, es_len, sha);
    assert_memory_equal(sha, c->keys.video_es_sha256, SKY_SHA256_LEN);
    free(es);
}

/* Audio: parity of every complete block against the host's FEC packets, then every loss of 1
 * or 2 packets of a block rebuilt byte for byte (payload by RS, RTP header synthesised as a
 * receiver does); the Opus stream through lost-and-rebuilt packets is the capture's. */
static void check_audio(SkyFec *f, Capture *c)
{
    SkyCbc *cbc = NULL;
    assert_int_equal(sky_cbc_create(&cbc, c->keys.rikey), 0);
    int blocks = 0, rebuilt = 0;
    uint8_t opus_stream[512 * 64];
    size_t opus_len = 0;
    int opus_packets = 0;
    for (int b = 0; b < 128; b++) {
        const AudioPkt *fec = c->audio_fec[b];
        const AudioPkt *data = &c->audio_data[b * 4];
        bool complete = fec[0].data && fec[1].data;
        for (int i = 0; i < 4; i++)
            complete = complete && data[i].data;
        if (!complete)
            continue;
        size_t plen = data[0].len - 12;
        for (int i = 0; i < 4; i++)
            assert_int_equal(data[i].len - 12, plen);
        assert_int_equal(fec[0].len - 24, plen);
        uint8_t shard[6][256];
        uint8_t *sp[6];
        assert_true(plen <= sizeof(shard[0]));
        for (int i = 0; i < 6; i++)
            sp[i] = shard[i];
        for (int i = 0; i < 4; i++)
            memcpy(shard[i], data[i].data + 12, plen);
        assert_int_equal(sky_fec_encode(f, SKY_FEC_AUDIO, 4, 2, sp, sp + 4, plen), 0);
        for (int j = 0; j < 2; j++) {
            assert_int_equal(rd_be16(fec[j].data + 14), b * 4);
            assert_int_equal(fec[j].data[13], 97);
            assert_memory_equal(shard[4 + j], fec[j].data + 24, plen);
        }
        uint32_t base_ts = rd_be32(fec[0].data + 16);
        uint32_t ssrc = rd_be32(fec[0].data + 20);
        for (unsigned mask = 0; mask < 64; mask++) {
            int count = __builtin_popcount(mask);
            if (count < 4 || (mask & 0xf) == 0xf)
                continue; /* too few, or no data lost */
            bool present[6];
            for (int i = 0; i < 6; i++) {
                present[i] = (mask >> i) & 1;
                memcpy(shard[i], i < 4 ? data[i].data + 12 : fec[i - 4].data + 24, plen);
                if (!present[i])
                    memset(shard[i], 0, plen);
            }
            assert_int_equal(sky_fec_reconstruct(f, SKY_FEC_AUDIO, 4, 2, sp, present, plen), 0);
            for (int i = 0; i < 4; i++) {
                if (present[i])
                    continue;
                uint8_t pkt[12 + 256];
                uint16_t seq = (uint16_t)(b * 4 + i);
                uint32_t ts = base_ts + (uint32_t)i * AUDIO_DURATION_MS;
                uint8_t hdr[12] = {0x80, 97, (uint8_t)(seq >> 8), (uint8_t)seq,
                                   (uint8_t)(ts >> 24), (uint8_t)(ts >> 16), (uint8_t)(ts >> 8),
                                   (uint8_t)ts, (uint8_t)(ssrc >> 24), (uint8_t)(ssrc >> 16),
                                   (uint8_t)(ssrc >> 8), (uint8_t)ssrc};
                memcpy(pkt, hdr, 12);
                memcpy(pkt + 12, shard[i], plen);
                assert_memory_equal(pkt, data[i].data, data[i].len);
                rebuilt++;
            }
        }
        blocks++;
    }
    assert_true(blocks >= 30);
    /* Per block: 6 masks lose 2 data (12 packets), 8 lose 1 data + 1 parity, 4 lose 1 data. */
    assert_int_equal(rebuilt, blocks * 24);
    /* The Opus packets, decrypted in sequence order (rebuilt ones are byte-identical). */
    for (int seq = 0; seq < 512; seq++) {
        const AudioPkt *a = &c->audio_data[seq];
        if (!a->data)
            continue;
        uint8_t iv[16] = {0};
        uint32_t ivs = c->keys.rikeyid + (uint32_t)seq;
        iv[0] = (uint8_t)(ivs >> 24);
        iv[1] = (uint8_t)(ivs >> 16);
        iv[2] = (uint8_t)(ivs >> 8);
        iv[3] = (uint8_t)ivs;
        size_t out_len;
        assert_true(opus_len + 2 + a->len <= sizeof(opus_stream));
        assert_int_equal(sky_cbc_decrypt(cbc, iv, a->data + 12, a->len - 12, opus_stream + opus_len + 2,
                                         sizeof(opus_stream) - opus_len - 2, &out_len), 0);
        opus_stream[opus_len] = (uint8_t)(out_len >> 8);
        opus_stream[opus_len + 1] = (uint8_t)out_len;
        opus_len += 2 + out_len;
        opus_packets++;
    }
    assert_int_equal(opus_packets, c->keys.audio_data_packets);
    uint8_t sha[SKY_SHA256_LEN];
    sky_sha256(opus_stream, opus_len, sha);
    assert_memory_equal(sha, c->keys.opus_sha256, SKY_SHA256_LEN);
    sky_cbc_destroy(&cbc);
}

static void check_capture(const char *name)
{
    static Capture c; /* large: keep it off the stack */
    capture_load(&c, name);
    SkyFec *f = NULL;
    assert_int_equal(sky_fec_create(&f), 0);
    check_video_parity(f, &c);
    for (int pattern = 0; pattern < 6; pattern++)
        check_video_rebuild(f, &c, pattern);
    check_audio(f, &c);
    sky_fec_destroy(&f);
    capture_free(&c);
}

static void test_capture_h264(void **state)
{
    (void)state;
    check_capture("stream-h264");
}

static void test_capture_hevc(void **state)
{
    (void)state;
    check_capture("stream-hevc");
}

static void test_capture_videoenc(void **state)
{
    (void)state;
    check_capture("stream-h264-videoenc");
}

/* The fixture reader refuses what it cannot read. */
static void test_dgram_reader(void **state)
{
    (void)state;
    uint8_t buf[64] = "SKYDGRM1";
    uint8_t rec[] = {1, 0, 3, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0xaa, 0xbb, 0xcc};
    memcpy(buf + 8, rec, sizeof(rec));
    TDgramReader r;
    TDgram d;
    assert_int_equal(tdgram_init(&r, buf, 8 + sizeof(rec)), 0);
    assert_int_equal(tdgram_next(&r, &d), 1);
    assert_int_equal(d.stream, TDGRAM_VIDEO);
    assert_int_equal(d.time_us, 9);
    assert_int_equal(d.len, 3);
    assert_int_equal(d.data[2], 0xcc);
    assert_int_equal(tdgram_next(&r, &d), 0);
    /* Truncated payload, truncated header, bad stream, reserved bytes, bad magic. */
    assert_int_equal(tdgram_init(&r, buf, 8 + sizeof(rec) - 1), 0);
    assert_int_equal(tdgram_next(&r, &d), SKY_ERR(EBADMSG));
    assert_int_equal(tdgram_next(&r, &d), SKY_ERR(EBADMSG));
    assert_int_equal(tdgram_init(&r, buf, 8 + 5), 0);
    assert_int_equal(tdgram_next(&r, &d), SKY_ERR(EBADMSG));
    buf[8] = 3;
    assert_int_equal(tdgram_init(&r, buf, 8 + sizeof(rec)), 0);
    assert_int_equal(tdgram_next(&r, &d), SKY_ERR(EBADMSG));
    buf[8] = 2;
    buf[12] = 1;
    assert_int_equal(tdgram_init(&r, buf, 8 + sizeof(rec)), 0);
    assert_int_equal(tdgram_next(&r, &d), SKY_ERR(EBADMSG));
    buf[0] = 'X';
    assert_int_equal(tdgram_init(&r, buf, 8 + sizeof(rec)), SKY_ERR(EBADMSG));
    assert_int_equal(tdgram_init(&r, buf, 7), SKY_ERR(EBADMSG));
}

int main(void)
{
    gf_setup();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_destroy),
        cmocka_unit_test(test_matrices),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_random_round_trips),
        cmocka_unit_test(test_any_k_of_n),
        cmocka_unit_test(test_exactly_k),
        cmocka_unit_test(test_caches),
        cmocka_unit_test(test_dgram_reader),
        cmocka_unit_test(test_capture_h264),
        cmocka_unit_test(test_capture_hevc),
        cmocka_unit_test(test_capture_videoenc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* GameStream audio over RTP: the packetizer's datagrams (checked field by field and against
 * Sunshine's in the captures, byte for byte), and the queue that takes them back: round trips
 * with and without encryption and FEC, every loss pattern of 1, 2 and 3 shards per block,
 * reordering, duplicates, the 16-bit wrap, far jumps, malformed datagrams, blocks FEC cannot
 * cover, decryption failures, the reorder deadline, and the captured audio with and without
 * losses FEC can repair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/proto/audio_rtp.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/proto/fec.h"
#include "tests/host/proto/audio_packetizer.h"
#include "tests/unit/dgrams.h"

#ifndef SKY_TEST_DATA
#error "SKY_TEST_DATA must name tests/data"
#endif

#define DUR 5
#define WAIT_US ((2 * DUR + 5) * 1000) /* the queue's default reorder wait */
/* key_id + seq wraps 32 bits within the first packets: the IV must wrap too. */
#define KEY_ID 0xfffffff0u

static const uint8_t KEY[16] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
                                0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f};

static uint64_t rng_state;

static uint32_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)(z ^ (z >> 31));
}

/* ---- streams made by the packetizer ---- */

typedef struct Dg {
    uint8_t b[SKY_AUDIO_MAX_DATAGRAM];
    size_t len;
    int64_t t;    /* arrival time */
    size_t pkt;   /* data: packet index in the stream */
    size_t block; /* block index in the stream */
    int shard;    /* 0..3 data, 4..5 parity */
} Dg;

typedef struct Stream {
    size_t n;     /* Opus packets */
    uint8_t (*opus)[SKY_AUDIO_MAX_OPUS];
    size_t *len;
    uint16_t first_seq;
    uint32_t first_ts;
    size_t n_dg;
    Dg *dg;
} Stream;

/* Opus packet lengths: one per block (CBR), different between blocks. */
static void cbr_lengths(size_t *len, size_t n)
{
    for (size_t i = 0; i < n; i++)
        len[i] = 20 + (i / 4 * 37) % 300;
}

/* Packetizes n Opus packets of the given lengths (random bytes) after `skip` packets that are
 * packetized and thrown away (to start at any sequence number). Data packet k arrives at
 * k * DUR ms, a block's parity with its last data packet. */
static Stream make_stream(const uint8_t *key, bool fec, size_t skip, size_t n, const size_t *len)
{
    Stream s = {n, calloc(n, SKY_AUDIO_MAX_OPUS), calloc(n, sizeof(size_t)),
                (uint16_t)skip, (uint32_t)(skip * DUR), 0, calloc(n * 3, sizeof(Dg))};
    assert_non_null(s.opus);
    assert_non_null(s.len);
    assert_non_null(s.dg);
    SkyAudioPacketizerCfg cfg = {key, KEY_ID, DUR, fec};
    SkyAudioPacketizer *p = NULL;
    assert_int_equal(sky_audio_packetizer_create(&p, &cfg), 0);
    const uint8_t *const *data;
    const size_t *lens;
    size_t count;
    uint8_t filler[1] = {0xec};
    for (size_t k = 0; k < skip; k++)
        assert_int_equal(sky_audio_packetize(p, filler, 1, &data, &lens, &count), 0);
    for (size_t k = 0; k < n; k++) {
        s.len[k] = len[k];
        for (size_t i = 0; i < len[k]; i++)
            s.opus[k][i] = (uint8_t)rnd();
        assert_int_equal(sky_audio_packetize(p, s.opus[k], len[k], &data, &lens, &count), 0);
        assert_true(count == 1 || count == 3);
        for (size_t j = 0; j < count; j++) {
            Dg *d = &s.dg[s.n_dg++];
            assert_true(lens[j] <= sizeof(d->b));
            memcpy(d->b, data[j], lens[j]);
            d->len = lens[j];
            d->t = (int64_t)k * DUR * 1000;
            d->pkt = k;
            d->block = (skip + k) / 4 - skip / 4;
            d->shard = j == 0 ? (int)((skip + k) % 4) : 3 + (int)j;
        }
    }
    sky_audio_packetizer_destroy(&p);
    assert_null(p);
    return s;
}

static void free_stream(Stream *s)
{
    free(s->opus);
    free(s->len);
    free(s->dg);
}

/* ---- collecting what the queue hands out ---- */

typedef struct Rec {
    uint16_t seq;
    uint32_t ts;
    bool lost, recovered;
    size_t len;
    uint8_t opus[SKY_AUDIO_MAX_OPUS];
} Rec;

typedef struct Sink {
    Rec *r;
    size_t n, cap;
} Sink;

static void drain(SkyAudioQueue *q, int64_t now, Sink *s)
{
    SkyAudioOut o;
    for (int guard = 0; sky_audio_queue_poll(q, now, &o); guard++) {
        assert_true(guard < 100000);
        if (s->n == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 256;
            s->r = realloc(s->r, s->cap * sizeof(*s->r));
            assert_non_null(s->r);
        }
        Rec *r = &s->r[s->n++];
        r->seq = o.seq;
        r->ts = o.timestamp_ms;
        r->lost = o.lost;
        r->recovered = o.recovered;
        r->len = o.len;
        if (o.lost) {
            assert_null(o.opus);
            assert_int_equal(o.len, 0);
        } else {
            assert_non_null(o.opus);
            assert_true(o.len >= 1 && o.len <= SKY_AUDIO_MAX_OPUS);
            memcpy(r->opus, o.opus, o.len);
        }
    }
    /* Nothing is ready or overdue any more. */
    assert_true(sky_audio_queue_deadline(q) > now);
}

static SkyAudioQueue *new_queue(const uint8_t *key, int64_t wait_us)
{
    SkyAudioQueueCfg cfg = {key, KEY_ID, DUR, wait_us};
    SkyAudioQueue *q = NULL;
    assert_int_equal(sky_audio_queue_create(&q, &cfg), 0);
    return q;
}

/* Feeds the stream's datagrams in `order` (indices into s->dg; NULL: as made), skipping the
 * dropped ones, polling before and after each; then waits out the last deadline. */
static void feed(SkyAudioQueue *q, const Stream *s, const size_t *order, const bool *drop,
                 Sink *sink)
{
    int64_t last = 0;
    for (size_t n = 0; n < s->n_dg; n++) {
        size_t i = order ? order[n] : n;
        if (drop && drop[i])
            continue;
        const Dg *d = &s->dg[i];
        int64_t t = order ? (int64_t)n * 1000 : d->t;
        drain(q, t, sink);
        assert_int_equal(sky_audio_queue_add(q, d->b, d->len, t), 0);
        drain(q, t, sink);
        last = t;
    }
    drain(q, last + 10 * WAIT_US, sink);
}

/* Every packet came out once, in order, with its own bytes and timestamp, except the ones
 * `lost` names (NULL: none), which came out lost. */
static void check_out(const Stream *s, const Sink *sink, const bool *lost)
{
    assert_int_equal(sink->n, s->n);
    for (size_t k = 0; k < s->n; k++) {
        const Rec *r = &sink->r[k];
        assert_int_equal(r->seq, (uint16_t)(s->first_seq + k));
        assert_int_equal(r->ts, (uint32_t)(s->first_ts + k * DUR));
        bool want_lost = lost && lost[k];
        assert_int_equal(r->lost, want_lost);
        if (!want_lost) {
            assert_int_equal(r->len, s->len[k]);
            assert_memory_equal(r->opus, s->opus[k], s->len[k]);
        }
    }
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- hand-made datagrams (unencrypted), for what the packetizer never makes ---- */

static size_t build_data(uint8_t *b, uint16_t seq, uint32_t ts, const uint8_t *pay, size_t len)
{
    const uint8_t h[12] = {0x80, 97, (uint8_t)(seq >> 8), (uint8_t)seq, (uint8_t)(ts >> 24),
                           (uint8_t)(ts >> 16), (uint8_t)(ts >> 8), (uint8_t)ts, 0, 0, 0, 0};
    memcpy(b, h, 12);
    memcpy(b + 12, pay, len);
    return 12 + len;
}

static size_t build_fec(uint8_t *b, uint16_t base, uint32_t base_ts, int idx,
                        const uint8_t *parity, size_t len)
{
    uint16_t seq = (uint16_t)(base + 4 + idx);
    const uint8_t h[24] = {0x80, 127, (uint8_t)(seq >> 8), (uint8_t)seq, 0, 0, 0, 0, 0, 0, 0, 0,
                           (uint8_t)idx, 97, (uint8_t)(base >> 8), (uint8_t)base,
                           (uint8_t)(base_ts >> 24), (uint8_t)(base_ts >> 16),
                           (uint8_t)(base_ts >> 8), (uint8_t)base_ts, 0, 0, 0, 0};
    memcpy(b, h, 24);
    memcpy(b + 24, parity, len);
    return 24 + len;
}

/* A payload for sequence number seq (deterministic). */
static void payload_for(uint16_t seq, uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seq * 31 + i * 7 + 1);
}

/* Adds block `base` (4 data + 2 parity, payloads of len bytes, timestamps base * DUR) at time t,
 * except the shards `drop` names (bit i: shard i). */
static void add_block(SkyAudioQueue *q, uint16_t base, size_t len, int64_t t, unsigned drop)
{
    uint8_t pay[4][64], par[2][64], dg[128];
    uint8_t *d[4] = {pay[0], pay[1], pay[2], pay[3]}, *p[2] = {par[0], par[1]};
    assert_true(len <= 64);
    uint32_t ts = (uint32_t)base * DUR;
    for (int i = 0; i < 4; i++)
        payload_for((uint16_t)(base + i), pay[i], len);
    SkyFec *fec = NULL;
    assert_int_equal(sky_fec_create(&fec), 0);
    assert_int_equal(sky_fec_encode(fec, SKY_FEC_AUDIO, 4, 2, d, p, len), 0);
    sky_fec_destroy(&fec);
    for (int i = 0; i < 4; i++)
        if (!(drop >> i & 1))
            assert_int_equal(sky_audio_queue_add(q, dg,
                                                 build_data(dg, (uint16_t)(base + i),
                                                            ts + (uint32_t)i * DUR, pay[i], len),
                                                 t + i * DUR * 1000),
                             0);
    for (int j = 0; j < 2; j++)
        if (!(drop >> (4 + j) & 1))
            assert_int_equal(sky_audio_queue_add(q, dg, build_fec(dg, base, ts, j, par[j], len),
                                                 t + 3 * DUR * 1000),
                             0);
}

/* The records from `from` on hold sequence numbers first, first + 1, ... (count of them), all
 * present with the payloads payload_for gives. */
static void check_run(const Sink *s, size_t from, uint16_t first, size_t count, size_t len)
{
    uint8_t want[64];
    assert_true(s->n >= from + count);
    for (size_t k = 0; k < count; k++) {
        const Rec *r = &s->r[from + k];
        uint16_t seq = (uint16_t)(first + k);
        assert_int_equal(r->seq, seq);
        assert_false(r->lost);
        assert_int_equal(r->ts, (uint32_t)seq * DUR);
        assert_int_equal(r->len, len);
        payload_for(seq, want, len);
        assert_memory_equal(r->opus, want, len);
    }
}

/* ---- tests ---- */

static void test_create_args(void **state)
{
    (void)state;
    SkyAudioPacketizer *p = (SkyAudioPacketizer *)1;
    SkyAudioPacketizerCfg pc = {NULL, 0, 0, true};
    assert_int_equal(sky_audio_packetizer_create(&p, &pc), SKY_ERR(EINVAL));
    assert_null(p);
    pc.packet_duration_ms = 121;
    assert_int_equal(sky_audio_packetizer_create(&p, &pc), SKY_ERR(EINVAL));
    SkyAudioQueue *q = (SkyAudioQueue *)1;
    SkyAudioQueueCfg qc = {NULL, 0, 0, 0};
    assert_int_equal(sky_audio_queue_create(&q, &qc), SKY_ERR(EINVAL));
    assert_null(q);
    qc.packet_duration_ms = DUR;
    qc.reorder_wait_us = -1;
    assert_int_equal(sky_audio_queue_create(&q, &qc), SKY_ERR(EINVAL));
    qc.reorder_wait_us = 1000001;
    assert_int_equal(sky_audio_queue_create(&q, &qc), SKY_ERR(EINVAL));
    sky_audio_packetizer_destroy(NULL);
    sky_audio_packetizer_destroy(&p);
    sky_audio_queue_destroy(NULL);
    sky_audio_queue_destroy(&q);
    assert_null(p);
    assert_null(q);

    /* Nothing is handed out before anything arrived. */
    q = new_queue(NULL, 0);
    SkyAudioOut o;
    assert_false(sky_audio_queue_poll(q, 0, &o));
    assert_true(sky_audio_queue_deadline(q) == INT64_MAX);
    sky_audio_queue_destroy(&q);
}

/* AES-128-CBC decryption done with the ECB primitive, independently of SkyCbc. */
static size_t cbc_decrypt_ref(const uint8_t *in, size_t len, uint32_t iv_word, uint8_t *out)
{
    uint8_t prev[16] = {(uint8_t)(iv_word >> 24), (uint8_t)(iv_word >> 16),
                        (uint8_t)(iv_word >> 8), (uint8_t)iv_word};
    assert_int_equal(len % 16, 0);
    assert_int_equal(sky_aes128_ecb(KEY, false, in, len, out), 0);
    for (size_t i = 0; i < len; i++)
        out[i] ^= i < 16 ? prev[i] : in[i - 16];
    uint8_t pad = out[len - 1];
    assert_true(pad >= 1 && pad <= 16);
    for (size_t i = len - pad; i < len; i++)
        assert_int_equal(out[i], pad);
    return len - pad;
}

static void test_packetizer_format(void **state)
{
    (void)state;
    rng_state = 1;
    size_t lens[8];
    for (int i = 0; i < 8; i++)
        lens[i] = i < 4 ? 60 : 64; /* a multiple of 16 grows by a whole block */
    Stream s = make_stream(KEY, true, 0, 8, lens);
    assert_int_equal(s.n_dg, 12);
    SkyFec *fec = NULL;
    assert_int_equal(sky_fec_create(&fec), 0);
    size_t n = 0;
    for (int blk = 0; blk < 2; blk++) {
        uint8_t *pay[4];
        size_t plen = 0;
        for (int i = 0; i < 4; i++) {
            const Dg *d = &s.dg[n++];
            uint16_t seq = (uint16_t)(blk * 4 + i);
            assert_int_equal(d->b[0], 0x80);
            assert_int_equal(d->b[1], 97);
            assert_int_equal(be16(d->b + 2), seq);
            assert_int_equal(be32(d->b + 4), seq * DUR);
            assert_int_equal(be32(d->b + 8), 0);
            plen = (s.len[seq] / 16 + 1) * 16;
            assert_int_equal(d->len, 12 + plen);
            uint8_t plain[SKY_AUDIO_MAX_OPUS + 16];
            assert_int_equal(cbc_decrypt_ref(d->b + 12, plen, KEY_ID + seq, plain), s.len[seq]);
            assert_memory_equal(plain, s.opus[seq], s.len[seq]);
            pay[i] = (uint8_t *)d->b + 12;
        }
        uint8_t par[2][SKY_AUDIO_MAX_OPUS + 16];
        uint8_t *pp[2] = {par[0], par[1]};
        assert_int_equal(sky_fec_encode(fec, SKY_FEC_AUDIO, 4, 2, pay, pp, plen), 0);
        for (int j = 0; j < 2; j++) {
            const Dg *d = &s.dg[n++];
            assert_int_equal(d->len, 24 + plen);
            assert_int_equal(d->b[0], 0x80);
            assert_int_equal(d->b[1], 127);
            assert_int_equal(be16(d->b + 2), blk * 4 + 4 + j);
            assert_int_equal(be32(d->b + 4), 0);
            assert_int_equal(be32(d->b + 8), 0);
            assert_int_equal(d->b[12], j);
            assert_int_equal(d->b[13], 97);
            assert_int_equal(be16(d->b + 14), blk * 4);
            assert_int_equal(be32(d->b + 16), blk * 4 * DUR);
            assert_int_equal(be32(d->b + 20), 0);
            assert_memory_equal(d->b + 24, par[j], plen);
        }
    }
    sky_fec_destroy(&fec);
    free_stream(&s);

    /* Without encryption the payload is the Opus packet; without FEC no parity is sent. */
    lens[0] = 1;
    lens[1] = SKY_AUDIO_MAX_OPUS;
    s = make_stream(NULL, false, 0, 8, lens);
    assert_int_equal(s.n_dg, 8);
    for (size_t k = 0; k < 8; k++) {
        assert_int_equal(s.dg[k].len, 12 + s.len[k]);
        assert_memory_equal(s.dg[k].b + 12, s.opus[k], s.len[k]);
    }
    free_stream(&s);

    /* Bad lengths send nothing and do not use up a sequence number. */
    SkyAudioPacketizerCfg cfg = {KEY, KEY_ID, DUR, true};
    SkyAudioPacketizer *p = NULL;
    assert_int_equal(sky_audio_packetizer_create(&p, &cfg), 0);
    const uint8_t *const *data;
    const size_t *dl;
    size_t count = 9;
    uint8_t big[SKY_AUDIO_MAX_OPUS + 1] = {0};
    assert_int_equal(sky_audio_packetize(p, big, 0, &data, &dl, &count), SKY_ERR(EINVAL));
    assert_int_equal(count, 0);
    assert_int_equal(sky_audio_packetize(p, big, sizeof(big), &data, &dl, &count),
                     SKY_ERR(EINVAL));
    assert_int_equal(sky_audio_packetize(p, NULL, 10, &data, &dl, &count), SKY_ERR(EINVAL));
    assert_int_equal(sky_audio_packetize(p, big, 10, &data, &dl, &count), 0);
    assert_int_equal(count, 1);
    assert_int_equal(be16(data[0] + 2), 0);
    sky_audio_packetizer_destroy(&p);
}

static void test_round_trip(void **state)
{
    (void)state;
    enum { N = 203 }; /* ends in a partial block */
    size_t lens[N];
    for (int mode = 0; mode < 4; mode++) {
        const uint8_t *key = mode & 1 ? KEY : NULL;
        bool fec = mode & 2;
        rng_state = 100 + (uint64_t)mode;
        cbr_lengths(lens, N);
        Stream s = make_stream(key, fec, 0, N, lens);
        assert_int_equal(s.n_dg, N + (fec ? 2 * (N / 4) : 0));
        SkyAudioQueue *q = new_queue(key, 0);
        Sink sink = {0};
        feed(q, &s, NULL, NULL, &sink);
        check_out(&s, &sink, NULL);
        for (size_t k = 0; k < sink.n; k++)
            assert_false(sink.r[k].recovered);
        SkyAudioQueueStats st;
        sky_audio_queue_stats(q, &st);
        assert_int_equal(st.datagrams, s.n_dg);
        assert_int_equal(st.data, N);
        assert_int_equal(st.fec, s.n_dg - N);
        assert_int_equal(st.duplicates + st.late + st.far + st.malformed + st.decrypt_failures +
                             st.recovered + st.lost + st.resyncs + st.skipped,
                         0);
        sky_audio_queue_destroy(&q);
        free(sink.r);
        free_stream(&s);
    }
}

/* Drops the shards in `mask` from every block but the first (the first datagram sets where the
 * stream starts) and the last (a loss there would wait for ever); returns how many data
 * packets. */
static size_t drop_pattern(const Stream *s, unsigned mask, bool *drop, bool *lost_pkt)
{
    size_t last_block = s->dg[s->n_dg - 1].block, n = 0;
    memset(lost_pkt, 0, s->n * sizeof(*lost_pkt));
    for (size_t i = 0; i < s->n_dg; i++) {
        const Dg *d = &s->dg[i];
        drop[i] = d->block > 0 && d->block < last_block && (mask >> d->shard & 1);
        if (drop[i] && d->shard < 4) {
            lost_pkt[d->pkt] = true;
            n++;
        }
    }
    return n;
}

static int bits6(unsigned v)
{
    int n = 0;
    for (int i = 0; i < 6; i++)
        n += v >> i & 1;
    return n;
}

static void run_loss_patterns(int lost_per_block)
{
    enum { N = 160 };
    size_t lens[N];
    int patterns = 0;
    for (unsigned mask = 1; mask < 64; mask++) {
        if (bits6(mask) != lost_per_block)
            continue;
        patterns++;
        const uint8_t *key = mask & 1 ? KEY : NULL;
        rng_state = 1000 + mask;
        cbr_lengths(lens, N);
        Stream s = make_stream(key, true, 0, N, lens);
        bool drop[3 * N], dropped_pkt[N];
        size_t ndrop = drop_pattern(&s, mask, drop, dropped_pkt);
        SkyAudioQueue *q = new_queue(key, 0);
        Sink sink = {0};
        feed(q, &s, NULL, drop, &sink);
        SkyAudioQueueStats st;
        sky_audio_queue_stats(q, &st);
        if (lost_per_block <= 2) {
            /* Everything comes back; exactly the dropped packets were rebuilt. */
            check_out(&s, &sink, NULL);
            for (size_t k = 0; k < N; k++)
                assert_int_equal(sink.r[k].recovered, dropped_pkt[k]);
            assert_int_equal(st.recovered, ndrop);
            assert_int_equal(st.lost, 0);
        } else {
            /* 3 of 6 is beyond FEC: the dropped data packets go out lost, in their place. */
            check_out(&s, &sink, dropped_pkt);
            for (size_t k = 0; k < N; k++)
                assert_false(sink.r[k].recovered);
            assert_int_equal(st.recovered, 0);
            assert_int_equal(st.lost, ndrop);
        }
        sky_audio_queue_destroy(&q);
        free(sink.r);
        free_stream(&s);
    }
    assert_int_equal(patterns, lost_per_block == 1 ? 6 : lost_per_block == 2 ? 15 : 20);
}

static void test_loss_one(void **state)
{
    (void)state;
    run_loss_patterns(1);
}

static void test_loss_two(void **state)
{
    (void)state;
    run_loss_patterns(2);
}

static void test_loss_three(void **state)
{
    (void)state;
    run_loss_patterns(3);
}

static void test_reorder(void **state)
{
    (void)state;
    enum { N = 400 };
    size_t lens[N];
    for (int fec = 0; fec < 2; fec++) {
        rng_state = 77 + (uint64_t)fec;
        cbr_lengths(lens, N);
        Stream s = make_stream(KEY, fec, 0, N, lens);
        /* Shuffle within runs of 6 (not the first: it sets the start): no datagram moves more
         * than 5 places (5 ms here). */
        size_t *order = malloc(s.n_dg * sizeof(*order));
        assert_non_null(order);
        for (size_t i = 0; i < s.n_dg; i++)
            order[i] = i;
        for (size_t start = 6; start < s.n_dg; start += 6) {
            size_t n = s.n_dg - start < 6 ? s.n_dg - start : 6;
            for (size_t i = n; i > 1; i--) {
                size_t j = rnd() % i, tmp = order[start + i - 1];
                order[start + i - 1] = order[start + j];
                order[start + j] = tmp;
            }
        }
        SkyAudioQueue *q = new_queue(KEY, 0);
        Sink sink = {0};
        feed(q, &s, order, NULL, &sink);
        check_out(&s, &sink, NULL);
        SkyAudioQueueStats st;
        sky_audio_queue_stats(q, &st);
        assert_int_equal(st.lost, 0);
        /* A packet whose parity overtook it is rebuilt; its own copy then arrives as a
         * duplicate or, once handed out, late. */
        assert_int_equal(st.duplicates + st.late, st.recovered);
        if (!fec)
            assert_int_equal(st.recovered, 0);
        else
            assert_true(st.recovered > 0); /* the shuffle did overtake some */
        sky_audio_queue_destroy(&q);
        free(sink.r);
        free(order);
        free_stream(&s);
    }
}

static void test_duplicates(void **state)
{
    (void)state;
    enum { N = 64 };
    size_t lens[N];
    rng_state = 5;
    cbr_lengths(lens, N);
    Stream s = make_stream(KEY, true, 0, N, lens);
    SkyAudioQueue *q = new_queue(KEY, 0);
    Sink sink = {0};
    for (size_t i = 0; i < s.n_dg; i++) {
        for (int copy = 0; copy < 2; copy++)
            assert_int_equal(sky_audio_queue_add(q, s.dg[i].b, s.dg[i].len, s.dg[i].t), 0);
        drain(q, s.dg[i].t, &sink);
    }
    check_out(&s, &sink, NULL);
    SkyAudioQueueStats st;
    sky_audio_queue_stats(q, &st);
    /* Parity copies for blocks already handed out are not counted. */
    assert_int_equal(st.duplicates, N);
    assert_int_equal(st.late, 0);
    /* The whole stream again: all of it is older than what went out. */
    for (size_t i = 0; i < s.n_dg; i++)
        assert_int_equal(sky_audio_queue_add(q, s.dg[i].b, s.dg[i].len, 1000000), 0);
    drain(q, 2000000, &sink);
    assert_int_equal(sink.n, N);
    sky_audio_queue_stats(q, &st);
    assert_int_equal(st.late, N);
    assert_int_equal(st.datagrams, 3 * s.n_dg);
    sky_audio_queue_destroy(&q);
    free(sink.r);
    free_stream(&s);
}

static void test_wraparound(void **state)
{
    (void)state;
    enum { SKIP = 65480, N = 160 };
    size_t lens[N];
    rng_state = 9;
    cbr_lengths(lens, N);
    Stream s = make_stream(KEY, true, SKIP, N, lens);
    /* The block 65532..65535 has its parity at sequence numbers 0 and 1. */
    bool seen_wrapped_fec = false;
    for (size_t i = 0; i < s.n_dg; i++)
        if (s.dg[i].b[1] == 127 && be16(s.dg[i].b + 14) == 65532) {
            assert_int_equal(be16(s.dg[i].b + 2), s.dg[i].shard - 4);
            seen_wrapped_fec = true;
        }
    assert_true(seen_wrapped_fec);
    for (unsigned mask = 0; mask < 64; mask += 9) { /* 0, 1+8, 2+16, ... */
        if (bits6(mask) > 2)
            continue;
        bool drop[3 * N], dropped_pkt[N];
        size_t ndrop = drop_pattern(&s, mask, drop, dropped_pkt);
        SkyAudioQueue *q = new_queue(KEY, 0);
        Sink sink = {0};
        feed(q, &s, NULL, drop, &sink);
        check_out(&s, &sink, NULL);
        assert_int_equal(sink.r[N - 1].seq, (uint16_t)(SKIP + N - 1));
        SkyAudioQueueStats st;
        sky_audio_queue_stats(q, &st);
        assert_int_equal(st.recovered, ndrop);
        assert_int_equal(st.lost + st.late + st.far + st.resyncs, 0);
        sky_audio_queue_destroy(&q);
        free(sink.r);
    }
    free_stream(&s);
}

static void test_far_jump(void **state)
{
    (void)state;
    SkyAudioQueue *q = new_queue(NULL, 0);
    Sink sink = {0};
    int64_t t = 0;
    for (uint16_t b = 0; b < 40; b += 4, t += 20000)
        add_block(q, b, 40, t, 0);
    drain(q, t, &sink);
    check_run(&sink, 0, 0, 40, 40);

    /* A lone far packet (garbage) changes nothing. */
    uint8_t pay[40], dg[64];
    payload_for(30000, pay, 40);
    assert_int_equal(sky_audio_queue_add(q, dg, build_data(dg, 30000, 1, pay, 40), t), 0);
    payload_for(41000, pay, 40);
    assert_int_equal(sky_audio_queue_add(q, dg, build_data(dg, 41000, 1, pay, 40), t), 0);
    for (uint16_t b = 40; b < 60; b += 4, t += 20000) {
        add_block(q, b, 40, t, 0);
        /* Far packets close to each other, but with the stream going on between them. */
        payload_for((uint16_t)(30000 + b), pay, 40);
        assert_int_equal(
            sky_audio_queue_add(q, dg, build_data(dg, (uint16_t)(30000 + b), 1, pay, 40), t), 0);
    }
    drain(q, t, &sink);
    check_run(&sink, 40, 40, 20, 40);
    SkyAudioQueueStats st;
    sky_audio_queue_stats(q, &st);
    assert_int_equal(st.far, 2 + 5);
    assert_int_equal(st.resyncs, 0);

    /* The host jumps ahead to 5000 (its first block arrives data 1 first): the queue restarts
     * there instead of emitting thousands of lost packets. */
    size_t before = sink.n;
    add_block(q, 5000, 40, t, 0x3d);
    payload_for(5000, pay, 40);
    assert_int_equal(sky_audio_queue_add(q, dg, build_data(dg, 5000, 5000 * DUR, pay, 40), t),
                     0);
    add_block(q, 5000, 40, t, 0x03);
    t += 20000;
    for (uint16_t b = 5004; b < 5040; b += 4, t += 20000)
        add_block(q, b, 40, t, 0);
    drain(q, t, &sink);
    assert_int_equal(sink.n, before + 40);
    check_run(&sink, before, 5000, 40, 40);
    sky_audio_queue_stats(q, &st);
    assert_int_equal(st.resyncs, 1);
    assert_int_equal(st.skipped, 5000 - 60);
    assert_int_equal(st.far, 2 + 5 + 2);
    assert_int_equal(st.lost + st.late + st.duplicates, 0);

    /* A restarted host starts again at 0: far behind, the queue follows it. */
    before = sink.n;
    for (uint16_t b = 0; b < 20; b += 4, t += 20000)
        add_block(q, b, 40, t, 0);
    drain(q, t, &sink);
    check_run(&sink, before, 0, 20, 40);
    sky_audio_queue_stats(q, &st);
    assert_int_equal(st.resyncs, 2);
    assert_int_equal(st.skipped, 5000 - 60); /* a backward jump skips nothing */
    assert_int_equal(st.lost, 0);

    /* Within the window, a gap is waited for and reported lost, not skipped. */
    before = sink.n;
    for (uint16_t b = 60; b < 80; b += 4, t += 20000)
        add_block(q, b, 40, t, 0);
    drain(q, t + WAIT_US, &sink);
    assert_int_equal(sink.n, before + 60);
    for (size_t k = 0; k < 40; k++) {
        assert_true(sink.r[before + k].lost);
        assert_int_equal(sink.r[before + k].seq, 20 + k);
        assert_int_equal(sink.r[before + k].ts, (20 + k) * DUR);
    }
    check_run(&sink, before + 40, 60, 20, 40);
    sky_audio_queue_destroy(&q);
    free(sink.r);
}

static void test_malformed(void **state)
{
    (void)state;
    for (int enc = 0; enc < 2; enc++) {
        const uint8_t *key = enc ? KEY : NULL;
        SkyAudioQueue *q = new_queue(key, 0);
        rng_state = 3;
        size_t lens[8];
        cbr_lengths(lens, 8);
        Stream s = make_stream(key, true, 0, 8, lens);
        const Dg *data = &s.dg[0], *par = &s.dg[4];
        static uint8_t bad[2 * SKY_AUDIO_MAX_DATAGRAM];
        int count = 0;
#define BAD(len_)                                                                               \
    do {                                                                                        \
        assert_int_equal(sky_audio_queue_add(q, bad, (len_), 0), SKY_ERR(EBADMSG));            \
        count++;                                                                                \
    } while (0)
#define FROM(d) memcpy(bad, (d)->b, (d)->len)
        for (size_t n = 0; n <= 12; n++) { /* no payload */
            FROM(data);
            BAD(n);
        }
        for (size_t n = 12; n <= 24; n++) { /* parity without a payload */
            FROM(par);
            BAD(n);
        }
        FROM(data);
        bad[0] = 0x90; /* video's byte 0 */
        BAD(data->len);
        FROM(data);
        bad[0] = 0xa0; /* padding */
        BAD(data->len);
        FROM(data);
        bad[0] = 0x81; /* a CSRC */
        BAD(data->len);
        FROM(data);
        bad[1] = 96;
        BAD(data->len);
        FROM(par);
        bad[12] = 2; /* shard index */
        BAD(par->len);
        FROM(par);
        bad[13] = 96; /* protected payload type */
        BAD(par->len);
        FROM(par);
        bad[15] = 1; /* base not a multiple of 4 */
        BAD(par->len);
        FROM(par);
        bad[3] = 5; /* RTP sequence not base + 4 + index */
        BAD(par->len);
        /* Oversized: a payload past what an Opus packet of SKY_AUDIO_MAX_OPUS can be. */
        size_t max_pay = enc ? (SKY_AUDIO_MAX_OPUS / 16 + 1) * 16 : SKY_AUDIO_MAX_OPUS;
        FROM(data);
        memset(bad + 12, 0x55, sizeof(bad) - 12);
        BAD(12 + max_pay + 1);
        BAD(sizeof(bad));
        FROM(par);
        BAD(24 + max_pay + 1);
        assert_int_equal(sky_audio_queue_add(q, NULL, 0, 0), SKY_ERR(EBADMSG));
        count++;
#undef BAD
#undef FROM
        /* None of it started or disturbed the stream. */
        Sink sink = {0};
        SkyAudioOut o;
        assert_false(sky_audio_queue_poll(q, INT64_MAX, &o));
        feed(q, &s, NULL, NULL, &sink);
        check_out(&s, &sink, NULL);
        SkyAudioQueueStats st;
        sky_audio_queue_stats(q, &st);
        assert_int_equal(st.malformed, count);
        assert_int_equal(st.datagrams, count + (int)s.n_dg);
        assert_int_equal(st.data + st.fec, s.n_dg);
        /* The largest payload is accepted. */
        uint8_t ok[SKY_AUDIO_MAX_DATAGRAM], fill[SKY_AUDIO_MAX_DATAGRAM];
        memset(fill, 0xaa, sizeof(fill));
        assert_int_equal(sky_audio_queue_add(q, ok, build_data(ok, 8, 40, fill, max_pay), 0), 0);
        sky_audio_queue_stats(q, &st);
        assert_int_equal(st.malformed, count);
        assert_int_equal(st.data, 9);
        sky_audio_queue_destroy(&q);
        free(sink.r);
        free_stream(&s);
    }
}

static void test_mismatched_lengths(void **state)
{
    (void)state;
    /* The packetizer leaves a block with unequal lengths unprotected. */
    /* 60 and 64 bytes encrypt to 64 and 80 */
    size_t lens[12] = {60, 60, 60, 60, 60, 60, 64, 60, 70, 70, 70, 70};
    rng_state = 11;
    Stream s = make_stream(KEY, true, 0, 12, lens);
    assert_int_equal(s.n_dg, 12 + 4);
    for (size_t i = 0; i < s.n_dg; i++)
        if (s.dg[i].block == 1)
            assert_true(s.dg[i].shard < 4);
    /* Dropping a data packet in each block: blocks 0 and 2 are repaired, block 1 cannot be. */
    bool drop[36] = {0}, lost[12] = {0};
    for (size_t i = 0; i < s.n_dg; i++)
        drop[i] = s.dg[i].shard == 1;
    lost[5] = true;
    SkyAudioQueue *q = new_queue(KEY, 0);
    Sink sink = {0};
    feed(q, &s, NULL, drop, &sink);
    check_out(&s, &sink, lost);
    assert_true(sink.r[1].recovered && sink.r[9].recovered);
    SkyAudioQueueStats st;
    sky_audio_queue_stats(q, &st);
    assert_int_equal(st.recovered, 2);
    assert_int_equal(st.lost, 1);
    sky_audio_queue_destroy(&q);
    free(sink.r);
    free_stream(&s);

    /* A parity shard of another length than the data: the block is not rebuilt from it. */
    q = new_queue(NULL, 0);
    sink = (Sink){0};
    add_block(q, 0, 40, 0, 0x02 | 0x30); /* data 1 and both parities dropped */
    uint8_t dg[128], junk[50] = {0};
    assert_int_equal(sky_audio_queue_add(q, dg, build_fec(dg, 0, 0, 0, junk, 50), 15000), 0);
    assert_int_equal(sky_audio_queue_add(q, dg, build_fec(dg, 0, 0, 1, junk, 50), 15000), 0);
    add_block(q, 4, 40, 20000, 0);
    drain(q, 100000, &sink);
    assert_int_equal(sink.n, 8);
    assert_true(sink.r[1].lost);
    assert_int_equal(sink.r[1].ts, 1 * DUR);
    check_run(&sink, 2, 2, 6, 40);
    sky_audio_queue_destroy(&q);
    free(sink.r);
}

static void test_decrypt_failure(void **state)
{
    (void)state;
    rng_state = 12;
    size_t lens[8];
    cbr_lengths(lens, 8);
    Stream s = make_stream(KEY, false, 0, 8, lens);
    /* Packet 2: the ciphertext of 16 zero bytes without padding (its last byte cannot be
     * valid padding); packet 5: a length that is not whole blocks. */
    uint8_t zero[16] = {0}, iv[16] = {0}, ct[16];
    uint32_t w = KEY_ID + 2;
    iv[0] = (uint8_t)(w >> 24), iv[1] = (uint8_t)(w >> 16), iv[2] = (uint8_t)(w >> 8),
    iv[3] = (uint8_t)w;
    for (int i = 0; i < 16; i++)
        zero[i] ^= iv[i];
    assert_int_equal(sky_aes128_ecb(KEY, true, zero, 16, ct), 0);
    memcpy(s.dg[2].b + 12, ct, 16);
    s.dg[2].len = 28;
    s.dg[5].len -= 5;
    /* Packets 6 and 7 decrypt, but to no Opus packet: empty, and one byte too long. */
    SkyCbc *cbc = NULL;
    assert_int_equal(sky_cbc_create(&cbc, KEY), 0);
    static uint8_t big[SKY_AUDIO_MAX_OPUS + 1];
    for (int k = 6; k < 8; k++) {
        memset(iv, 0, sizeof(iv));
        w = KEY_ID + (uint32_t)k;
        iv[0] = (uint8_t)(w >> 24), iv[1] = (uint8_t)(w >> 16), iv[2] = (uint8_t)(w >> 8),
        iv[3] = (uint8_t)w;
        size_t n = 0;
        assert_int_equal(sky_cbc_encrypt(cbc, iv, big, k == 6 ? 0 : sizeof(big), s.dg[k].b + 12,
                                         sizeof(s.dg[k].b) - 12, &n),
                         0);
        s.dg[k].len = 12 + n;
    }
    sky_cbc_destroy(&cbc);
    bool lost[8] = {false, false, true, false, false, true, true, true};
    SkyAudioQueue *q = new_queue(KEY, 0);
    Sink sink = {0};
    feed(q, &s, NULL, NULL, &sink);
    check_out(&s, &sink, lost);
    SkyAudioQueueStats st;
    sky_audio_queue_stats(q, &st);
    assert_int_equal(st.decrypt_failures, 4);
    assert_int_equal(st.lost, 4);
    assert_int_equal(sink.r[2].ts, 2 * DUR);

    /* The wrong key: nothing decrypts to an Opus packet of the right bytes. */
    sky_audio_queue_destroy(&q);
    uint8_t other[16];
    memcpy(other, KEY, 16);
    other[0] ^= 1;
    SkyAudioQueueCfg cfg = {other, KEY_ID, DUR, 0};
    assert_int_equal(sky_audio_queue_create(&q, &cfg), 0);
    free(sink.r);
    sink = (Sink){0};
    feed(q, &s, NULL, NULL, &sink);
    assert_int_equal(sink.n, 8);
    for (size_t k = 0; k < 8; k++)
        assert_true(sink.r[k].lost || sink.r[k].len != s.len[k] ||
                    memcmp(sink.r[k].opus, s.opus[k], s.len[k]) != 0);
    sky_audio_queue_destroy(&q);
    free(sink.r);
    free_stream(&s);
}

static void test_deadline(void **state)
{
    (void)state;
    const int64_t wait = 12345;
    SkyAudioQueue *q = new_queue(NULL, wait);
    Sink sink = {0};
    uint8_t pay[30], dg[64];
    SkyAudioOut o;
#define ADD(seq_, t_)                                                                          \
    do {                                                                                       \
        payload_for((seq_), pay, 30);                                                          \
        assert_int_equal(sky_audio_queue_add(q, dg,                                            \
                                             build_data(dg, (seq_), (uint32_t)(seq_) * DUR,    \
                                                        pay, 30),                              \
                                             (t_)),                                            \
                         0);                                                                   \
    } while (0)
    ADD(10, 1000); /* the first datagram sets the start */
    assert_int_equal(sky_audio_queue_deadline(q), 1000);
    assert_true(sky_audio_queue_poll(q, 1000, &o));
    assert_int_equal(o.seq, 10);
    assert_int_equal(o.arrival_us, 1000);
    assert_false(sky_audio_queue_poll(q, 1000000, &o)); /* 11 awaited; nothing later is here */
    assert_true(sky_audio_queue_deadline(q) == INT64_MAX);
    ADD(13, 20000);
    ADD(12, 21000);
    assert_int_equal(sky_audio_queue_deadline(q), 20000 + wait);
    assert_false(sky_audio_queue_poll(q, 20000 + wait - 1, &o));
    assert_true(sky_audio_queue_poll(q, 20000 + wait, &o));
    assert_int_equal(o.seq, 11);
    assert_true(o.lost);
    assert_int_equal(o.timestamp_ms, 11 * DUR); /* from 10's block */
    assert_int_equal(o.arrival_us, 20000 + wait);
    drain(q, 20000 + wait, &sink);
    check_run(&sink, 0, 12, 2, 30);
    ADD(11, 40000); /* too late */
    /* A whole block missing: the lost packets' timestamps continue from the last one. */
    ADD(20, 50000);
    assert_int_equal(sky_audio_queue_deadline(q), 50000 + wait);
    drain(q, 50000 + wait, &sink);
    assert_int_equal(sink.n, 2 + 7);
    for (size_t k = 2; k < 8; k++) {
        assert_true(sink.r[k].lost);
        assert_int_equal(sink.r[k].seq, 14 + k - 2);
        assert_int_equal(sink.r[k].ts, (14 + k - 2) * DUR);
    }
    check_run(&sink, 8, 20, 1, 30);
    SkyAudioQueueStats st;
    sky_audio_queue_stats(q, &st);
    assert_int_equal(st.late, 1);
    assert_int_equal(st.lost, 7);
#undef ADD
    sky_audio_queue_destroy(&q);
    free(sink.r);

    /* A parity datagram counts as later than every data packet of its block; the first
     * datagram being parity starts the stream at the next block. */
    q = new_queue(NULL, 0);
    sink = (Sink){0};
    add_block(q, 0, 20, 0, 0x0f); /* parity only, at 15 ms */
    add_block(q, 4, 20, 20000, 0x08 | 0x30);
    drain(q, 35000, &sink);
    check_run(&sink, 0, 4, 3, 20);
    assert_int_equal(sky_audio_queue_deadline(q), INT64_MAX);
    add_block(q, 0, 20, 40000, 0x30); /* its data: late */
    SkyAudioQueueStats st2;
    sky_audio_queue_stats(q, &st2);
    assert_int_equal(st2.late, 4);
    add_block(q, 4, 20, 40000, 0x0f); /* 7 rebuilt from 4, 5, 6 and parity */
    drain(q, 40000 + 3 * DUR * 1000, &sink);
    check_run(&sink, 0, 4, 4, 20);
    assert_true(sink.r[3].recovered);
    sky_audio_queue_destroy(&q);
    free(sink.r);

    /* Data 1, 3 and parity 0 lost: 1 is given up after data 2 arrived, 3 after parity 1. */
    q = new_queue(NULL, 0);
    sink = (Sink){0};
    add_block(q, 0, 20, 0, 0x02 | 0x08 | 0x10); /* 0 at 0 ms, 2 at 10, parity 1 at 15 */
    drain(q, 0, &sink);
    assert_int_equal(sky_audio_queue_deadline(q), 10000 + WAIT_US);
    drain(q, 10000 + WAIT_US, &sink);
    assert_int_equal(sink.n, 3);
    assert_true(sink.r[1].lost && !sink.r[2].lost);
    assert_int_equal(sky_audio_queue_deadline(q), 15000 + WAIT_US);
    drain(q, 15000 + WAIT_US, &sink);
    assert_int_equal(sink.n, 4);
    assert_true(sink.r[3].lost);
    assert_int_equal(sink.r[3].ts, 3 * DUR);
    assert_true(sky_audio_queue_deadline(q) == INT64_MAX);
    sky_audio_queue_destroy(&q);
    free(sink.r);
}

/* ---- the captures ---- */

typedef struct Capture {
    uint8_t *file;
    size_t file_len;
    TDgramKeys keys;
    size_t n;                  /* audio datagrams */
    const uint8_t *dg[256];
    size_t len[256];
    int64_t t[256];
    size_t n_opus;             /* data packets, in sequence order */
    uint8_t opus[256][SKY_AUDIO_MAX_OPUS];
    size_t opus_len[256];
} Capture;

static void sha_opus(const Sink *s, uint8_t out[32])
{
    size_t cap = 0;
    for (size_t k = 0; k < s->n; k++)
        cap += 2 + s->r[k].len;
    uint8_t *buf = malloc(cap + 1), *p = buf;
    assert_non_null(buf);
    for (size_t k = 0; k < s->n; k++) {
        *p++ = (uint8_t)(s->r[k].len >> 8);
        *p++ = (uint8_t)s->r[k].len;
        memcpy(p, s->r[k].opus, s->r[k].len);
        p += s->r[k].len;
    }
    sky_sha256(buf, cap, out);
    free(buf);
}

static Capture *load_capture(const char *name)
{
    Capture *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    assert_int_equal(tdgram_load_capture(SKY_TEST_DATA, name, &c->file, &c->file_len, &c->keys),
                     0);
    TDgramReader r;
    TDgram d;
    int ret;
    assert_int_equal(tdgram_init(&r, c->file, c->file_len), 0);
    while ((ret = tdgram_next(&r, &d)) == 1) {
        if (d.stream != TDGRAM_AUDIO)
            continue;
        assert_true(c->n < 256);
        c->dg[c->n] = d.data;
        c->len[c->n] = d.len;
        c->t[c->n] = (int64_t)d.time_us;
        c->n++;
    }
    assert_int_equal(ret, 0);
    assert_int_equal(c->n, c->keys.audio_datagrams);

    /* The Opus packets, decrypted here on their own (they arrived in order, from 0). */
    SkyCbc *cbc = NULL;
    assert_int_equal(sky_cbc_create(&cbc, c->keys.rikey), 0);
    for (size_t i = 0; i < c->n; i++) {
        if (c->dg[i][1] != 97)
            continue;
        uint16_t seq = be16(c->dg[i] + 2);
        assert_int_equal(seq, c->n_opus);
        uint8_t iv[16] = {0};
        uint32_t w = c->keys.rikeyid + seq;
        iv[0] = (uint8_t)(w >> 24), iv[1] = (uint8_t)(w >> 16), iv[2] = (uint8_t)(w >> 8),
        iv[3] = (uint8_t)w;
        assert_int_equal(sky_cbc_decrypt(cbc, iv, c->dg[i] + 12, c->len[i] - 12,
                                         c->opus[c->n_opus], SKY_AUDIO_MAX_OPUS,
                                         &c->opus_len[c->n_opus]),
                         0);
        c->n_opus++;
    }
    sky_cbc_destroy(&cbc);
    assert_int_equal(c->n_opus, c->keys.audio_data_packets);
    Sink s = {calloc(c->n_opus, sizeof(Rec)), c->n_opus, c->n_opus};
    assert_non_null(s.r);
    for (size_t k = 0; k < c->n_opus; k++) {
        s.r[k].len = c->opus_len[k];
        memcpy(s.r[k].opus, c->opus[k], c->opus_len[k]);
    }
    uint8_t sha[32];
    sha_opus(&s, sha);
    assert_memory_equal(sha, c->keys.opus_sha256, 32);
    free(s.r);
    return c;
}

static void free_capture(Capture *c)
{
    free(c->file);
    free(c);
}

/* Feeds the captured audio at its captured times, without the shards pattern(block) names
 * (bit i: data base + i, bits 4..5: parity) in the blocks FEC protects but the first (whose
 * first datagram sets the start) (NULL: all of it); the
 * Opus stream must come out whole, the dropped packets rebuilt. */
static void capture_feed(const Capture *c, unsigned (*pattern)(size_t block))
{
    SkyAudioQueue *q = NULL;
    SkyAudioQueueCfg cfg = {c->keys.rikey, c->keys.rikeyid, DUR, 0};
    assert_int_equal(sky_audio_queue_create(&q, &cfg), 0);
    size_t protected_blocks = c->keys.audio_fec_packets / 2, dropped = 0;
    Sink sink = {0};
    int64_t last = 0;
    for (size_t i = 0; i < c->n; i++) {
        const uint8_t *d = c->dg[i];
        bool fec = d[1] == 127;
        uint16_t base = fec ? be16(d + 14) : (uint16_t)(be16(d + 2) & ~3u);
        int shard = fec ? 4 + d[12] : be16(d + 2) % 4;
        size_t block = base / 4u;
        if (pattern && block > 0 && block < protected_blocks && (pattern(block) >> shard & 1)) {
            dropped += shard < 4;
            continue;
        }
        drain(q, c->t[i], &sink);
        assert_int_equal(sky_audio_queue_add(q, d, c->len[i], c->t[i]), 0);
        drain(q, c->t[i], &sink);
        last = c->t[i];
    }
    drain(q, last + 1000000, &sink);
    assert_int_equal(sink.n, c->n_opus);
    for (size_t k = 0; k < sink.n; k++) {
        assert_int_equal(sink.r[k].seq, k);
        assert_int_equal(sink.r[k].ts, k * DUR);
        assert_false(sink.r[k].lost);
    }
    uint8_t sha[32];
    sha_opus(&sink, sha);
    assert_memory_equal(sha, c->keys.opus_sha256, 32);
    SkyAudioQueueStats st;
    sky_audio_queue_stats(q, &st);
    assert_int_equal(st.recovered, dropped);
    assert_int_equal(st.lost + st.malformed + st.decrypt_failures + st.late + st.far, 0);
    if (pattern)
        assert_true(dropped >= protected_blocks - 1);
    sky_audio_queue_destroy(&q);
    free(sink.r);
}

static unsigned drop_one(size_t block)
{
    return 1u << (block % 4);
}

static unsigned drop_two_data(size_t block)
{
    return 1u << (block % 4) | 1u << ((block + 1) % 4);
}

static unsigned drop_data_and_parity(size_t block)
{
    return 1u << ((block + 2) % 4) | 1u << (4 + block % 2);
}

static unsigned drop_far_pair(size_t block)
{
    return block % 2 ? 0x9 : 0x6; /* 0 and 3, or 1 and 2 */
}

static void run_capture(const char *name)
{
    Capture *c = load_capture(name);
    capture_feed(c, NULL);
    capture_feed(c, drop_one);
    capture_feed(c, drop_two_data);
    capture_feed(c, drop_data_and_parity);
    capture_feed(c, drop_far_pair);

    /* The packetizer, given the same Opus packets and keys, sends what Sunshine sent. */
    SkyAudioPacketizerCfg cfg = {c->keys.rikey, c->keys.rikeyid, DUR, true};
    SkyAudioPacketizer *p = NULL;
    assert_int_equal(sky_audio_packetizer_create(&p, &cfg), 0);
    size_t i = 0;
    for (size_t k = 0; k < c->n_opus; k++) {
        const uint8_t *const *data;
        const size_t *lens;
        size_t count;
        assert_int_equal(sky_audio_packetize(p, c->opus[k], c->opus_len[k], &data, &lens, &count),
                         0);
        for (size_t j = 0; j < count; j++, i++) {
            assert_true(i < c->n);
            assert_int_equal(lens[j], c->len[i]);
            assert_memory_equal(data[j], c->dg[i], c->len[i]);
        }
    }
    assert_int_equal(i, c->n);
    sky_audio_packetizer_destroy(&p);
    free_capture(c);
}

static void test_capture_h264(void **state)
{
    (void)state;
    run_capture("stream-h264");
}

static void test_capture_hevc(void **state)
{
    (void)state;
    run_capture("stream-hevc");
}

static void test_capture_videoenc(void **state)
{
    (void)state;
    run_capture("stream-h264-videoenc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_args),
        cmocka_unit_test(test_packetizer_format),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_loss_one),
        cmocka_unit_test(test_loss_two),
        cmocka_unit_test(test_loss_three),
        cmocka_unit_test(test_reorder),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_far_jump),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_mismatched_lengths),
        cmocka_unit_test(test_decrypt_failure),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_capture_h264),
        cmocka_unit_test(test_capture_hevc),
        cmocka_unit_test(test_capture_videoenc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

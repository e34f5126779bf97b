/* GameStream audio over RTP, the client side: the reorder/FEC/decrypt queue (audio_rtp.h). */
#include "common/proto/audio_rtp.h"

#include <stdlib.h>
#include <string.h>

#include "common/core/bytes.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/proto/fec.h"
#include "common/core/log.h"
#include "common/core/seq.h"

#define TAG "audio_rtp"

#define K SKY_AUDIO_FEC_DATA
#define M SKY_AUDIO_FEC_PARITY
#define SHARDS (K + M)
#define RTP_V2 0x80
#define HDR SKY_AUDIO_RTP_HEADER_LEN
#define FEC_HDR (SKY_AUDIO_RTP_HEADER_LEN + SKY_AUDIO_FEC_HEADER_LEN)
#define MAX_REORDER_WAIT_US 1000000
/* Blocks in the queue's ring. Slot = base / 4 % BLOCKS; BLOCKS divides 65536 / 4, so the slot
 * of a block stays the same across the 16-bit wrap. The ring spans every block that a packet up
 * to SKY_AUDIO_MAX_JUMP after the next one to hand out can fall in. */
#define BLOCKS 32
/* A far data packet confirms the held one when their sequence numbers are this close. */
#define RESYNC_NEAR 8

_Static_assert((BLOCKS - 1) * K >= SKY_AUDIO_MAX_JUMP + K, "ring too small for the window");
_Static_assert(FEC_HDR + SKY_AUDIO_MAX_PAYLOAD <= SKY_AUDIO_MAX_DATAGRAM,
               "datagram bound too small");
_Static_assert((65536 / K) % BLOCKS == 0, "ring must divide the sequence space");

/* ---- Both sides ---- */

void sky_audio_iv(uint8_t iv[SKY_AES_BLOCK], uint32_t key_id, uint16_t seq)
{
    memset(iv, 0, SKY_AES_BLOCK);
    SkyWriter wr = sky_wr_init(iv, SKY_AES_BLOCK);
    sky_wr_u32be(&wr, key_id + seq);
}

/* Computes the audio tables once, so that later encodes and rebuilds (at most 2 missing) do
 * not allocate. */
static int fec_warm_up(SkyFec *fec)
{
    uint8_t buf[SHARDS][SKY_AES_BLOCK] = {{0}};
    uint8_t *ptr[SHARDS];
    bool present[SHARDS];
    for (int i = 0; i < SHARDS; i++) {
        ptr[i] = buf[i];
        present[i] = i >= 2;
    }
    int r = sky_fec_encode(fec, SKY_FEC_AUDIO, K, M, ptr, ptr + K, sizeof(buf[0]));
    return r < 0 ? r : sky_fec_reconstruct(fec, SKY_FEC_AUDIO, K, M, ptr, present, sizeof(buf[0]));
}

int sky_audio_fec_create(SkyFec **out)
{
    int ret = sky_fec_create(out);
    if (ret == 0 && (ret = fec_warm_up(*out)) < 0)
        sky_fec_destroy(out);
    return ret;
}

/* ---- Client side ---- */

typedef struct Block {
    bool used;
    bool mismatch;          /* shards of different lengths arrived: no FEC for this block */
    bool have_base_ts;
    bool fec_base_ts;       /* base_ts came from a parity header (else derived from data) */
    uint16_t base;          /* sequence number of data shard 0 */
    uint32_t base_ts;
    uint8_t present;        /* bit i: shard i is here (data 0..3 received or rebuilt, parity 4..5) */
    uint8_t recovered;      /* bit i: data shard i was rebuilt */
    size_t shard_len;       /* length of the first shard that arrived */
    size_t len[K];          /* data payload lengths */
    uint32_t ts[K];         /* data RTP timestamps */
    int64_t arrival_us[SHARDS];
    uint8_t shard[SHARDS][SKY_AUDIO_MAX_PAYLOAD];
} Block;

typedef struct Parsed {
    bool fec;
    uint16_t seq;           /* data: its sequence number */
    uint32_t ts;            /* data: its timestamp */
    uint8_t idx;            /* parity: shard index 0..M-1 */
    uint16_t base;          /* the block's first sequence number */
    uint32_t base_ts;       /* parity: from its header */
    const uint8_t *payload; /* borrowed from the datagram */
    size_t len;
} Parsed;

struct SkyAudioQueue {
    SkyAudioQueueCfg cfg;   /* key cleared: it lives in cbc; reorder_wait_us resolved */
    SkyCbc *cbc;            /* NULL without encryption */
    SkyFec *fec;
    size_t max_payload;
    bool started;
    uint16_t next;          /* sequence number of the next packet to hand out */
    bool have_last_ts;
    uint32_t last_ts;       /* of the last packet handed out */
    /* A far data packet, held as the possible start of a new stream. */
    bool held;
    uint16_t held_seq;
    int64_t held_us;
    size_t held_len;
    uint8_t held_pkt[SKY_AUDIO_MAX_DATAGRAM];
    uint8_t out[SKY_AUDIO_MAX_PAYLOAD]; /* the last decrypted Opus packet handed out */
    SkyAudioQueueStats stats;
    SkyLogLimit log_limit;
    Block blocks[BLOCKS];
};

int sky_audio_queue_create(SkyAudioQueue **out, const SkyAudioQueueCfg *cfg)
{
    *out = NULL;
    if (cfg->packet_duration_ms < 1 || cfg->packet_duration_ms > SKY_AUDIO_MAX_DURATION_MS ||
        cfg->reorder_wait_us < 0 || cfg->reorder_wait_us > MAX_REORDER_WAIT_US)
        return SKY_ERR(EINVAL);
    SkyAudioQueue *q = calloc(1, sizeof(*q));
    if (!q)
        return SKY_ERR(ENOMEM);
    int ret = 0;
    q->cfg = *cfg;
    q->cfg.key = NULL;
    if (!q->cfg.reorder_wait_us)
        q->cfg.reorder_wait_us = 2 * (int64_t)cfg->packet_duration_ms * 1000 + 5000;
    q->max_payload = cfg->key ? SKY_AUDIO_MAX_PAYLOAD : SKY_AUDIO_MAX_OPUS;
    q->log_limit = (SkyLogLimit)SKY_LOG_LIMIT_INIT;
    if (cfg->key && (ret = sky_cbc_create(&q->cbc, cfg->key)) < 0)
        goto fail;
    if ((ret = sky_audio_fec_create(&q->fec)) < 0)
        goto fail;
    *out = q;
    return 0;
fail:
    sky_audio_queue_destroy(&q);
    return ret;
}

void sky_audio_queue_destroy(SkyAudioQueue **pq)
{
    if (!pq || !*pq)
        return;
    SkyAudioQueue *q = *pq;
    sky_cbc_destroy(&q->cbc);
    sky_fec_destroy(&q->fec);
    free(q);
    *pq = NULL;
}

/* Checks everything a datagram says about itself. Field values the host always sends the same
 * (version byte, parity header invariants) are required exactly; the SSRC is ignored. */
static bool parse(const SkyAudioQueue *q, const uint8_t *pkt, size_t len, Parsed *p)
{
    if (!pkt || len > SKY_AUDIO_MAX_DATAGRAM)
        return false;
    SkyReader rd = sky_rd_init(pkt, len);
    uint8_t v, pt;
    uint32_t ssrc;
    if (!sky_rd_u8(&rd, &v) || !sky_rd_u8(&rd, &pt) || !sky_rd_u16be(&rd, &p->seq) ||
        !sky_rd_u32be(&rd, &p->ts) || !sky_rd_u32be(&rd, &ssrc))
        return false;
    if (v != RTP_V2) /* version 2, no padding, extension or CSRCs */
        return false;
    pt &= 0x7f; /* the marker bit means nothing here */
    if (pt == SKY_AUDIO_PT_DATA) {
        p->fec = false;
        p->base = (uint16_t)(p->seq & ~(unsigned)(K - 1));
    } else if (pt == SKY_AUDIO_PT_FEC) {
        uint8_t fec_pt;
        p->fec = true;
        if (!sky_rd_u8(&rd, &p->idx) || !sky_rd_u8(&rd, &fec_pt) ||
            !sky_rd_u16be(&rd, &p->base) || !sky_rd_u32be(&rd, &p->base_ts) ||
            !sky_rd_u32be(&rd, &ssrc))
            return false;
        if (p->idx >= M || fec_pt != SKY_AUDIO_PT_DATA || p->base % K ||
            p->seq != (uint16_t)(p->base + K + p->idx))
            return false;
    } else {
        return false;
    }
    p->len = sky_rd_left(&rd);
    return p->len >= 1 && p->len <= q->max_payload && sky_rd_view(&rd, &p->payload, p->len);
}

static Block *find_block(const SkyAudioQueue *q, uint16_t base)
{
    const Block *b = &q->blocks[(base / K) % BLOCKS];
    return b->used && b->base == base ? (Block *)b : NULL;
}

static Block *get_block(SkyAudioQueue *q, uint16_t base)
{
    Block *b = &q->blocks[(base / K) % BLOCKS];
    if (b->used && b->base == base)
        return b;
    /* Free, or a block the window has left (not expected: blocks are released as the next
     * packet passes them). */
    b->used = true;
    b->mismatch = b->have_base_ts = b->fec_base_ts = false;
    b->base = base;
    b->present = b->recovered = 0;
    b->shard_len = 0;
    return b;
}

static void release_all(SkyAudioQueue *q)
{
    for (int i = 0; i < BLOCKS; i++)
        q->blocks[i].used = false;
}

static int popcount6(uint8_t v)
{
    int n = 0;
    for (int i = 0; i < SHARDS; i++)
        n += (v >> i) & 1;
    return n;
}

/* Rebuilds the block's missing data shards when 4 of its 6 shards are here. */
static void try_rebuild(SkyAudioQueue *q, Block *b, int64_t now_us)
{
    uint8_t missing = (uint8_t)(~b->present & ((1u << K) - 1));
    if (!missing || b->mismatch || popcount6(b->present) < K)
        return;
    /* 4 shards with one data shard missing: a parity shard is here, so is its header. */
    SKY_ASSERT(b->fec_base_ts);
    uint8_t *ptr[SHARDS];
    bool have[SHARDS];
    for (int i = 0; i < SHARDS; i++) {
        ptr[i] = b->shard[i];
        have[i] = (b->present >> i) & 1;
    }
    int r = sky_fec_reconstruct(q->fec, SKY_FEC_AUDIO, K, M, ptr, have, b->shard_len);
    if (r < 0) {
        sky_log_limited(&q->log_limit, now_us, SKY_LOG_WARN, TAG, "FEC rebuild failed: %s",
                        sky_strerror(r));
        return;
    }
    for (int i = 0; i < K; i++) {
        if (!((missing >> i) & 1))
            continue;
        /* The host computes data timestamps as base + i * duration: rebuilt exactly. */
        b->present |= (uint8_t)(1u << i);
        b->recovered |= (uint8_t)(1u << i);
        b->len[i] = b->shard_len;
        b->ts[i] = b->base_ts + (uint32_t)i * (uint32_t)q->cfg.packet_duration_ms;
        b->arrival_us[i] = now_us;
        if (sky_seq16_diff(q->next, (uint16_t)(b->base + i)) >= 0)
            q->stats.recovered++;
    }
}

/* Stores a shard the window accepts (a copy of its payload). */
static void insert(SkyAudioQueue *q, const Parsed *p, int64_t now_us)
{
    Block *b = get_block(q, p->base);
    int i = p->fec ? K + p->idx : p->seq - p->base;
    if ((b->present >> i) & 1) {
        q->stats.duplicates++;
        return;
    }
    if (!b->present)
        b->shard_len = p->len;
    else if (p->len != b->shard_len)
        b->mismatch = true;
    memcpy(b->shard[i], p->payload, p->len);
    b->present |= (uint8_t)(1u << i);
    b->arrival_us[i] = now_us;
    if (p->fec) {
        if (!b->fec_base_ts) {
            b->base_ts = p->base_ts;
            b->have_base_ts = b->fec_base_ts = true;
        }
    } else {
        b->len[i] = p->len;
        b->ts[i] = p->ts;
        if (!b->have_base_ts) {
            b->base_ts = p->ts - (uint32_t)i * (uint32_t)q->cfg.packet_duration_ms;
            b->have_base_ts = true;
        }
    }
    try_rebuild(q, b, now_us);
}

/* Restarts the stream at `start` (everything queued is dropped). */
static void resync(SkyAudioQueue *q, uint16_t start, int64_t now_us)
{
    int d = sky_seq16_diff(q->next, start);
    if (d > 0)
        q->stats.skipped += (uint64_t)d;
    q->stats.resyncs++;
    sky_log_limited(&q->log_limit, now_us, SKY_LOG_INFO, TAG,
                    "audio sequence jumped from %u to %u: restarting there", q->next, start);
    release_all(q);
    q->next = start;
    q->have_last_ts = false;
}

/* A data packet far from the stream: held, or with the held one restarts the stream. */
static void far_packet(SkyAudioQueue *q, const Parsed *p, const uint8_t *pkt, size_t len,
                       int64_t now_us)
{
    q->stats.far++;
    int d = q->held ? sky_seq16_diff(q->held_seq, p->seq) : 0;
    if (q->held && d != 0 && d >= -RESYNC_NEAR && d <= RESYNC_NEAR) {
        Parsed h;
        q->held = false;
        if (parse(q, q->held_pkt, q->held_len, &h)) { /* it parsed when it was held */
            resync(q, d < 0 ? p->seq : q->held_seq, now_us);
            insert(q, &h, q->held_us);
            insert(q, p, now_us);
        }
        return;
    }
    memcpy(q->held_pkt, pkt, len);
    q->held_len = len;
    q->held_seq = p->seq;
    q->held_us = now_us;
    q->held = true;
}

int sky_audio_queue_add(SkyAudioQueue *q, const uint8_t *pkt, size_t len, int64_t now_us)
{
    q->stats.datagrams++;
    Parsed p;
    if (!parse(q, pkt, len, &p)) {
        q->stats.malformed++;
        sky_log_limited(&q->log_limit, now_us, SKY_LOG_DEBUG, TAG,
                        "malformed audio datagram (%zu bytes)", len);
        return SKY_ERR(EBADMSG);
    }
    if (p.fec)
        q->stats.fec++;
    else
        q->stats.data++;
    if (!q->started) {
        /* A parity datagram follows its block's data: those went by before we listened. */
        q->started = true;
        q->next = p.fec ? (uint16_t)(p.base + K) : p.seq;
    }
    if (p.fec) {
        /* Parity for a block already handed out is the usual case when nothing was lost:
         * dropped, not counted. */
        if (sky_seq16_diff(q->next, (uint16_t)(p.base + K - 1)) < 0)
            ;
        else if (sky_seq16_diff(q->next, p.base) > SKY_AUDIO_MAX_JUMP)
            q->stats.far++;
        else
            insert(q, &p, now_us);
        return 0;
    }
    int d = sky_seq16_diff(q->next, p.seq);
    if (d < -SKY_AUDIO_MAX_JUMP || d > SKY_AUDIO_MAX_JUMP) {
        far_packet(q, &p, pkt, len, now_us);
        return 0;
    }
    if (d < 0) {
        q->stats.late++;
        return 0;
    }
    q->held = false; /* the stream goes on where it was */
    insert(q, &p, now_us);
    return 0;
}

/* When the awaited packet is given up: reorder_wait_us after the first arrival of a datagram
 * later than it (INT64_MAX if none is here). */
static int64_t give_up_time(const SkyAudioQueue *q)
{
    bool found = false;
    int64_t first = 0;
    for (int n = 0; n < BLOCKS; n++) {
        const Block *b = &q->blocks[n];
        if (!b->used)
            continue;
        /* Parity is sent after data base + 3, so it is later than all of its block. */
        bool parity_later = sky_seq16_diff(q->next, (uint16_t)(b->base + K - 1)) >= 0;
        for (int i = 0; i < SHARDS; i++) {
            if (!((b->present >> i) & 1))
                continue;
            bool later = i < K ? sky_seq16_diff(q->next, (uint16_t)(b->base + i)) > 0
                               : parity_later;
            if (later && (!found || b->arrival_us[i] < first)) {
                first = b->arrival_us[i];
                found = true;
            }
        }
    }
    if (!found)
        return INT64_MAX;
    if (first > INT64_MAX - 1 - q->cfg.reorder_wait_us)
        return INT64_MAX - 1;
    return first + q->cfg.reorder_wait_us;
}

static void advance(SkyAudioQueue *q, const SkyAudioOut *out)
{
    q->last_ts = out->timestamp_ms;
    q->have_last_ts = true;
    q->next++;
    if (q->next % K == 0) {
        Block *b = find_block(q, (uint16_t)(q->next - K));
        if (b)
            b->used = false;
    }
}

/* Fills out from the present shard i of b: decrypted, or lost if it does not decrypt. */
static void hand_out(SkyAudioQueue *q, Block *b, int i, SkyAudioOut *out)
{
    out->timestamp_ms = b->ts[i];
    out->recovered = (b->recovered >> i) & 1;
    out->arrival_us = b->arrival_us[i];
    if (!q->cbc) {
        out->opus = b->shard[i];
        out->len = b->len[i];
        return;
    }
    uint8_t iv[SKY_AES_BLOCK];
    size_t n = 0;
    sky_audio_iv(iv, q->cfg.key_id, out->seq);
    int r = sky_cbc_decrypt(q->cbc, iv, b->shard[i], b->len[i], q->out, sizeof(q->out), &n);
    if (r < 0 || n == 0 || n > SKY_AUDIO_MAX_OPUS) {
        q->stats.decrypt_failures++;
        q->stats.lost++;
        out->lost = true;
        out->recovered = false;
        return;
    }
    out->opus = q->out;
    out->len = n;
}

bool sky_audio_queue_poll(SkyAudioQueue *q, int64_t now_us, SkyAudioOut *out)
{
    if (!q->started)
        return false;
    uint16_t base = (uint16_t)(q->next & ~(unsigned)(K - 1));
    int i = q->next - base;
    Block *b = find_block(q, base);
    memset(out, 0, sizeof(*out));
    out->seq = q->next;
    if (b && ((b->present >> i) & 1)) {
        hand_out(q, b, i, out);
        advance(q, out);
        return true;
    }
    if (now_us < give_up_time(q))
        return false;
    if (b && b->have_base_ts)
        out->timestamp_ms = b->base_ts + (uint32_t)i * (uint32_t)q->cfg.packet_duration_ms;
    else if (q->have_last_ts)
        out->timestamp_ms = q->last_ts + (uint32_t)q->cfg.packet_duration_ms;
    out->lost = true;
    out->arrival_us = now_us;
    q->stats.lost++;
    advance(q, out);
    return true;
}

int64_t sky_audio_queue_deadline(const SkyAudioQueue *q)
{
    if (!q->started)
        return INT64_MAX;
    uint16_t base = (uint16_t)(q->next & ~(unsigned)(K - 1));
    int i = q->next - base;
    const Block *b = find_block(q, base);
    if (b && ((b->present >> i) & 1))
        return b->arrival_us[i];
    return give_up_time(q);
}

void sky_audio_queue_stats(const SkyAudioQueue *q, SkyAudioQueueStats *out)
{
    *out = q->stats;
}

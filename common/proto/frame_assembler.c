/* Shards to access units: FEC blocks, rebuild, reorder wait, loss and recovery, host restarts
 * (frame_assembler.h). */
#include "common/proto/frame_assembler.h"

#include <stdlib.h>
#include <string.h>

#include "common/core/error.h"
#include "common/proto/fec.h"
#include "common/core/seq.h"
#include "common/proto/video_packet.h"

/* Frames in progress at once (a power of two: slots are frame_index % WINDOW). */
/* Frames being assembled at once: at 240 fps, more than the longest reorder wait. */
#define WINDOW 64
/* First-datagram times of recent frames, to measure how late reordered datagrams come. */
#define FIRST_RING (2 * WINDOW)
/* A frame index at least this far from the one expected is "far": taken only once confirmed. */
#define FAR (2 * WINDOW)
/* A confirmed jump ahead by more than this is a new stream, not a loss. */
#define RESTART_AHEAD (1 << 20)
/* The reorder wait adapts up to this (a wait is only ever spent when a frame is incomplete). */
#define MAX_REORDER_WAIT_US 80000
#define EVENTS 32
#define NO_SLOT 0xFFFF

typedef struct Block {
    bool known;
    bool done;                 /* all data shards present (received or rebuilt) */
    uint16_t n, p;
    uint8_t pct;
    uint16_t base_seq;
    uint16_t have;             /* shards present */
    uint16_t have_data;
    uint16_t recovered;
    uint8_t multi_fec_blocks;  /* the header byte, for rebuilt shards */
    uint8_t seen[(SKY_VIDEO_MAX_BLOCK_SHARDS + 7) / 8]; /* shard indexes received */
    uint16_t slot[SKY_VIDEO_MAX_BLOCK_SHARDS];
} Block;

typedef struct Frame {
    bool used;
    bool failed;               /* FEC could not rebuild it: lost when its turn comes */
    uint32_t index;
    uint8_t nblocks;           /* 0 until a datagram says */
    uint8_t blocks_done;
    uint32_t rtp_ts;
    int64_t first_us, last_us;
    Block block[SKY_VIDEO_MAX_BLOCKS];
} Frame;

struct SkyAssembler {
    SkyAssemblerCfg cfg;
    size_t dlen;               /* plaintext datagram: packet_size + 16 */
    size_t pay;                /* payload per shard */
    SkyFec *fec;
    uint8_t *pool;             /* max_shards * dlen */
    uint16_t *free_slots;
    unsigned n_free;
    uint8_t *au;               /* access-unit buffer */
    size_t au_cap;
    Frame frames[WINDOW];
    uint32_t first_index[FIRST_RING];
    int64_t first_us[FIRST_RING];
    /* Reordering seen: the latest a datagram came after the next frame's first (decaying). */
    int64_t late_max_us, late_decay_us;
    int64_t reorder_wait_us;   /* what the wait is now: cfg's, or more after reordering */
    bool started;
    uint32_t next;             /* next frame to hand out */
    bool far_held;             /* a far datagram waits for confirmation */
    uint32_t far_index;
    /* Recovery. */
    bool waiting_idr;
    bool waiting_rfi;
    bool requested;            /* a request is out for the current wait */
    int64_t requested_us;
    bool seen_idr;             /* an IDR has been handed out: RFI may be used */
    uint32_t last_out;         /* last frame handed out to decode */
    SkyAsmEvent events[EVENTS];
    unsigned ev_head, ev_count;
    SkyAssemblerStats stats;
};

static void push_event(SkyAssembler *a, const SkyAsmEvent *ev)
{
    /* Merge consecutive losses into one range. */
    if (ev->type == SKY_ASM_LOST && a->ev_count) {
        SkyAsmEvent *prev = &a->events[(a->ev_head + a->ev_count - 1) % EVENTS];
        if (prev->type == SKY_ASM_LOST && prev->last + 1 == ev->first) {
            prev->last = ev->last;
            return;
        }
    }
    if (a->ev_count == EVENTS) { /* cannot happen with the poll discipline; never overwrite */
        return;
    }
    a->events[(a->ev_head + a->ev_count) % EVENTS] = *ev;
    a->ev_count++;
}

int sky_assembler_create(SkyAssembler **out, const SkyAssemblerCfg *cfg)
{
    *out = NULL;
    if (cfg->packet_size % 16 || cfg->packet_size < SKY_VIDEO_MIN_PACKET_SIZE ||
        cfg->packet_size > SKY_VIDEO_MAX_PACKET_SIZE || cfg->max_shards > 60000)
        return SKY_ERR(EINVAL);
    SkyAssembler *a = calloc(1, sizeof(*a));
    if (!a)
        return SKY_ERR(ENOMEM);
    a->cfg = *cfg;
    if (!a->cfg.reorder_wait_us)
        a->cfg.reorder_wait_us = 4000;
    a->reorder_wait_us = a->cfg.reorder_wait_us;
    if (!a->cfg.idr_retry_us)
        a->cfg.idr_retry_us = 500000;
    /* Room for the largest frame (four blocks without FEC) and the frames around it. */
    if (!a->cfg.max_shards)
        a->cfg.max_shards = 8192;
    if (a->cfg.max_shards < SKY_VIDEO_MAX_BLOCKS * SKY_VIDEO_MAX_BLOCK_SHARDS)
        a->cfg.max_shards = SKY_VIDEO_MAX_BLOCKS * SKY_VIDEO_MAX_BLOCK_SHARDS;
    a->dlen = cfg->packet_size + 16;
    a->pay = cfg->packet_size - 16;
    a->au_cap = (size_t)SKY_VIDEO_MAX_BLOCKS * SKY_VIDEO_MAX_BLOCK_SHARDS * a->pay;
    a->pool = malloc((size_t)a->cfg.max_shards * a->dlen);
    a->free_slots = malloc(a->cfg.max_shards * sizeof(*a->free_slots));
    a->au = malloc(a->au_cap);
    int ret = a->pool && a->free_slots && a->au ? sky_fec_create(&a->fec) : SKY_ERR(ENOMEM);
    if (ret < 0) {
        sky_assembler_destroy(&a);
        return ret;
    }
    for (unsigned i = 0; i < a->cfg.max_shards; i++)
        a->free_slots[i] = (uint16_t)(a->cfg.max_shards - 1 - i);
    a->n_free = a->cfg.max_shards;
    a->waiting_idr = true; /* a stream starts at an IDR */
    *out = a;
    return 0;
}

void sky_assembler_destroy(SkyAssembler **pa)
{
    SkyAssembler *a = *pa;
    if (!a)
        return;
    sky_fec_destroy(&a->fec);
    free(a->pool);
    free(a->free_slots);
    free(a->au);
    free(a);
    *pa = NULL;
}

static uint8_t *slot_ptr(SkyAssembler *a, uint16_t s)
{
    return a->pool + (size_t)s * a->dlen;
}

static void release_frame(SkyAssembler *a, Frame *f)
{
    for (int b = 0; b < SKY_VIDEO_MAX_BLOCKS; b++) {
        Block *bl = &f->block[b];
        if (!bl->known)
            continue;
        for (int i = 0; i < bl->n + bl->p; i++)
            if (bl->slot[i] != NO_SLOT)
                a->free_slots[a->n_free++] = bl->slot[i];
    }
    memset(f, 0, sizeof(*f));
}

static Frame *frame_of(SkyAssembler *a, uint32_t index)
{
    Frame *f = &a->frames[index % WINDOW];
    return f->used && f->index == index ? f : NULL;
}

/* Starts a wait for a recovery frame after frames up to `lost` could not be used. */
static void lose_references(SkyAssembler *a, uint32_t lost, int64_t now_us)
{
    if (a->waiting_idr || a->waiting_rfi)
        return; /* already waiting: the request covers it */
    if (a->cfg.rfi && a->seen_idr) {
        a->waiting_rfi = true;
        a->stats.rfi_requests++;
        SkyAsmEvent ev = {.type = SKY_ASM_REQUEST_RFI, .first = a->last_out + 1, .last = lost};
        push_event(a, &ev);
    } else {
        a->waiting_idr = true;
        a->stats.idr_requests++;
        SkyAsmEvent ev = {.type = SKY_ASM_REQUEST_IDR};
        push_event(a, &ev);
    }
    a->requested = true;
    a->requested_us = now_us;
}

/* Reports a block's final state (best effort: only while events leave room for the ones that
 * matter). */
static void report_block(SkyAssembler *a, const Frame *f, int b)
{
    const Block *bl = &f->block[b];
    if (!bl->known || a->ev_count >= EVENTS / 2)
        return;
    SkyAsmEvent ev = {.type = SKY_ASM_FEC_STATUS};
    SkyAsmBlockStatus *st = &ev.block;
    st->frame_index = f->index;
    st->block = (uint8_t)b;
    st->blocks = f->nblocks;
    st->fec_percentage = bl->pct;
    st->data_shards = bl->n;
    st->parity_shards = bl->p;
    int highest = -1, contiguous = -1, missing = 0;
    for (int i = 0; i < bl->n + bl->p; i++) {
        bool seen = bl->seen[i / 8] & (1u << (i & 7));
        if (seen) {
            highest = i;
            if (i < bl->n)
                st->received_data++;
            else
                st->received_parity++;
        } else if (contiguous < 0) {
            contiguous = i;
        }
    }
    for (int i = 0; i < highest; i++)
        missing += !(bl->seen[i / 8] & (1u << (i & 7)));
    st->highest_seq = (uint16_t)(bl->base_seq + (highest < 0 ? 0 : highest));
    st->next_contiguous_seq = (uint16_t)(bl->base_seq + (contiguous < 0 ? bl->n + bl->p : contiguous));
    st->missing_before_highest = (uint16_t)missing;
    push_event(a, &ev);
}

static void lose_next(SkyAssembler *a, int64_t now_us)
{
    Frame *f = frame_of(a, a->next);
    if (f) {
        for (int b = 0; b < f->nblocks; b++)
            if (!f->block[b].done)
                report_block(a, f, b);
        release_frame(a, f);
    }
    SkyAsmEvent ev = {.type = SKY_ASM_LOST, .first = a->next, .last = a->next};
    push_event(a, &ev);
    a->stats.frames_lost++;
    lose_references(a, a->next, now_us);
    a->next++;
}

void sky_assembler_need_idr(SkyAssembler *a, int64_t now_us)
{
    a->waiting_rfi = false;
    a->waiting_idr = false; /* force a fresh request */
    bool rfi = a->cfg.rfi;
    a->cfg.rfi = false;
    lose_references(a, a->last_out, now_us);
    a->cfg.rfi = rfi;
}

static void put_le32(uint8_t *d, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        d[i] = (uint8_t)(v >> (8 * i));
}

/* Rebuilds a block's missing data shards and checks them. Returns false if FEC produced
 * something that cannot be this block's data (the frame is then lost). */
static bool recover_block(SkyAssembler *a, Frame *f, int b)
{
    Block *bl = &f->block[b];
    int total = bl->n + bl->p;
    uint8_t *shards[SKY_FEC_MAX_SHARDS] = {0};
    bool present[SKY_FEC_MAX_SHARDS] = {0};
    uint16_t added[SKY_FEC_MAX_SHARDS];
    int n_added = 0;
    for (int i = 0; i < total; i++) {
        present[i] = bl->slot[i] != NO_SLOT;
        if (!present[i] && i < bl->n) {
            if (a->n_free == 0)
                goto fail;
            bl->slot[i] = a->free_slots[--a->n_free];
            added[n_added++] = (uint16_t)i;
        }
        shards[i] = bl->slot[i] != NO_SLOT ? slot_ptr(a, bl->slot[i]) : NULL;
    }
    /* A missing parity shard is neither read nor written: any buffer will do. */
    for (int i = bl->n; i < total; i++)
        if (!shards[i])
            shards[i] = slot_ptr(a, bl->slot[0]);
    if (sky_fec_reconstruct(a->fec, SKY_FEC_VIDEO, bl->n, bl->p, shards, present, a->dlen) < 0)
        goto fail;
    for (int k = 0; k < n_added; k++) {
        int i = added[k];
        uint8_t *d = shards[i];
        uint16_t seq = (uint16_t)(bl->base_seq + i);
        uint32_t spi = (uint32_t)d[16] | (uint32_t)d[17] << 8 | (uint32_t)d[18] << 16 |
                       (uint32_t)d[19] << 24;
        uint8_t flags = d[24];
        uint8_t want = (uint8_t)(SKY_VF_PIC_DATA | (i == 0 ? SKY_VF_SOF : 0) |
                                 (i == bl->n - 1 ? SKY_VF_EOF : 0));
        /* What FEC rebuilt exactly must be what this shard's header has to say. */
        if (flags != want || ((spi >> 8) & 0xFFFF) != seq) {
            a->stats.fec_failures++;
            goto fail;
        }
        /* The fields hosts fill in after computing parity. */
        d[0] = 0x90;
        d[1] = 0;
        d[2] = (uint8_t)(seq >> 8);
        d[3] = (uint8_t)seq;
        for (int j = 0; j < 4; j++)
            d[4 + j] = (uint8_t)(f->rtp_ts >> (24 - 8 * j));
        memset(d + 8, 0, 8);
        put_le32(d + 20, f->index);
        d[27] = bl->multi_fec_blocks;
        put_le32(d + 28, (uint32_t)bl->n << 22 | (uint32_t)i << 12 | (uint32_t)bl->pct << 4);
    }
    bl->recovered = (uint16_t)n_added;
    a->stats.recovered_shards += (uint64_t)n_added;
    return true;
fail:
    return false;
}

/* Frees a finished block's parity. */
static void drop_parity(SkyAssembler *a, Block *bl)
{
    for (int i = bl->n; i < bl->n + bl->p; i++) {
        if (bl->slot[i] != NO_SLOT) {
            a->free_slots[a->n_free++] = bl->slot[i];
            bl->slot[i] = NO_SLOT;
        }
    }
}

static Frame *open_frame(SkyAssembler *a, uint32_t index, int64_t now_us)
{
    if (!a->started) {
        a->started = true;
        a->next = index;
        a->last_out = index - 1;
    }
    /* Too far ahead: the oldest frames cannot complete in time any more. A far jump (a host
     * restart, or garbage) gives up the whole window at once. */
    int32_t ahead = sky_seq32_diff(a->next, index);
    if (ahead >= FAR) {
        for (int i = 0; i < WINDOW; i++)
            if (a->frames[i].used)
                release_frame(a, &a->frames[i]);
        uint32_t first = a->next;
        a->next = index - WINDOW + 1;
        SkyAsmEvent ev = {.type = SKY_ASM_LOST, .first = first, .last = a->next - 1};
        push_event(a, &ev);
        a->stats.frames_lost += (uint64_t)(a->next - first);
        lose_references(a, a->next - 1, now_us);
    }
    while (sky_seq32_diff(a->next, index) >= WINDOW)
        lose_next(a, now_us);
    Frame *f = &a->frames[index % WINDOW];
    if (f->used && f->index != index)
        release_frame(a, f);
    if (!f->used) {
        memset(f, 0, sizeof(*f));
        f->used = true;
        f->index = index;
        f->first_us = now_us;
        a->first_index[index % FIRST_RING] = index;
        a->first_us[index % FIRST_RING] = now_us;
        for (int b = 0; b < SKY_VIDEO_MAX_BLOCKS; b++)
            for (int i = 0; i < SKY_VIDEO_MAX_BLOCK_SHARDS; i++)
                f->block[b].slot[i] = NO_SLOT;
    }
    return f;
}

/* Learns how far the network reorders: a datagram of frame n that comes after frame n + 1's
 * first one was overtaken by that much. The reorder wait follows the largest such delay seen
 * lately (with a margin), so jitter that reorders frames does not make them "lost". */
static void note_lateness(SkyAssembler *a, uint32_t index, int64_t now_us)
{
    /* Forget a quarter per second, continuously. */
    if (now_us > a->late_decay_us) {
        int64_t dt = now_us - a->late_decay_us;
        a->late_max_us -= dt >= 4000000 ? a->late_max_us : a->late_max_us * dt / 4000000;
        a->late_decay_us = now_us;
    }
    uint32_t next = index + 1;
    if (a->first_index[next % FIRST_RING] == next && a->first_us[next % FIRST_RING] &&
        now_us > a->first_us[next % FIRST_RING]) {
        int64_t late = now_us - a->first_us[next % FIRST_RING];
        /* Later than the longest wait: a stale datagram, not reordering worth waiting for. */
        if (late > a->late_max_us && late <= MAX_REORDER_WAIT_US)
            a->late_max_us = late;
    }
    int64_t wait = a->late_max_us + a->late_max_us / 4 + 1000;
    a->reorder_wait_us = wait < a->cfg.reorder_wait_us ? a->cfg.reorder_wait_us
                         : wait > MAX_REORDER_WAIT_US ? MAX_REORDER_WAIT_US
                                                      : wait;
}

/* Forgets every frame and starts over at the next datagram, as at create: the stream restarted
 * (the host's frame numbers jumped). Decoding resumes at an IDR. */
static void restart(SkyAssembler *a, uint32_t index)
{
    for (int i = 0; i < WINDOW; i++)
        if (a->frames[i].used)
            release_frame(a, &a->frames[i]);
    SkyAsmEvent ev = {.type = SKY_ASM_RESTART, .first = index, .last = index};
    push_event(a, &ev);
    a->started = false;
    a->waiting_idr = true;
    a->waiting_rfi = a->requested = a->seen_idr = false;
    a->stats.restarts++;
}

/* Whether a datagram of frame `index` may be used. Near the frame expected (less than FAR
 * ahead or behind: a late one is the caller's business) it may. A far one (a host restart, a
 * stale or forged datagram, a long outage) is held back until a second far datagram of a
 * nearby frame confirms it: then a jump ahead gives up the frames before it (open_frame), and
 * a jump back, or an absurd one ahead, restarts the stream there. */
static bool accept_index(SkyAssembler *a, uint32_t index)
{
    int32_t d = sky_seq32_diff(a->next, index);
    if (d > -FAR && d < FAR) {
        a->far_held = false;
        return true;
    }
    int32_t from_held = sky_seq32_diff(a->far_index, index);
    if (!a->far_held || from_held <= -WINDOW || from_held >= WINDOW) {
        a->far_held = true;
        a->far_index = index;
        a->stats.far++;
        return false;
    }
    a->far_held = false;
    if (d < 0 || d > RESTART_AHEAD)
        restart(a, index);
    return true;
}

int sky_assembler_add(SkyAssembler *a, const uint8_t *pkt, size_t len, int64_t now_us)
{
    SkyVideoShard s;
    a->stats.datagrams++;
    if (sky_video_shard_parse(pkt, len, a->dlen, &s) < 0) {
        a->stats.malformed++;
        return SKY_ERR(EBADMSG);
    }
    note_lateness(a, s.frame_index, now_us);
    if (a->started && !accept_index(a, s.frame_index))
        return 0;
    if (a->started && sky_seq32_before(s.frame_index, a->next)) {
        a->stats.late++;
        return 0;
    }
    Frame *f = open_frame(a, s.frame_index, now_us);
    if (f->failed) {
        a->stats.late++;
        return 0;
    }
    if (f->nblocks && f->nblocks != s.last_block + 1) {
        a->stats.malformed++;
        return SKY_ERR(EBADMSG);
    }
    f->nblocks = (uint8_t)(s.last_block + 1);
    Block *bl = &f->block[s.block];
    uint16_t base = (uint16_t)(s.seq - s.shard_index);
    if (!bl->known) {
        bl->known = true;
        bl->n = s.data_shards;
        bl->p = s.parity_shards;
        bl->pct = s.fec_pct;
        bl->base_seq = base;
        bl->multi_fec_blocks = pkt[27];
    } else if (bl->n != s.data_shards || bl->pct != s.fec_pct || bl->base_seq != base) {
        a->stats.malformed++;
        return SKY_ERR(EBADMSG);
    }
    uint8_t bit = (uint8_t)(1u << (s.shard_index & 7));
    if (bl->seen[s.shard_index / 8] & bit) {
        a->stats.duplicates++;
        return 0;
    }
    bl->seen[s.shard_index / 8] |= bit;
    if (bl->done) { /* parity after the block was whole: normal, not needed */
        a->stats.surplus++;
        return 0;
    }
    /* Out of room: give up the oldest frames (hold on to the newest); if that frees nothing
     * before this frame's turn, this datagram cannot be kept. */
    while (a->n_free == 0 && a->next != s.frame_index)
        lose_next(a, now_us);
    if (a->n_free == 0 || !frame_of(a, s.frame_index)) {
        a->stats.no_room++;
        return 0;
    }
    uint16_t slot = a->free_slots[--a->n_free];
    memcpy(slot_ptr(a, slot), pkt, len);
    bl->slot[s.shard_index] = slot;
    bl->have++;
    if (s.shard_index < bl->n) {
        bl->have_data++;
        if (s.shard_index == 0 && s.block == 0)
            f->rtp_ts = s.rtp_ts;
    }
    if (!f->rtp_ts)
        f->rtp_ts = s.rtp_ts;
    if (bl->have < bl->n)
        return 0;
    /* The block can be finished now. */
    if (bl->have_data < bl->n) {
        if (!recover_block(a, f, s.block)) {
            f->failed = true; /* lost; frames before it may still complete */
            return 0;
        }
        report_block(a, f, s.block);
    }
    bl->done = true;
    drop_parity(a, bl);
    f->blocks_done++;
    f->last_us = now_us;
    return 0;
}

static bool frame_complete(const Frame *f)
{
    return f->nblocks && f->blocks_done == f->nblocks;
}

/* Builds the access unit of a complete frame. Returns false if the frame header does not fit
 * the shards (a malformed frame). */
static bool build_au(SkyAssembler *a, Frame *f, SkyAsmFrameInfo *info)
{
    memset(info, 0, sizeof(*info));
    size_t total = 0;
    for (int b = 0; b < f->nblocks; b++) {
        total += f->block[b].n;
        info->data_shards = (uint16_t)(info->data_shards + f->block[b].n);
        info->parity_shards = (uint16_t)(info->parity_shards + f->block[b].p);
        info->recovered_shards = (uint16_t)(info->recovered_shards + f->block[b].recovered);
    }
    const uint8_t *first = slot_ptr(a, f->block[0].slot[0]) + SKY_VIDEO_HEADER_LEN;
    if (first[0] != 0x01)
        return false;
    size_t last_used = (size_t)first[4] | (size_t)first[5] << 8;
    if (last_used == 0 || last_used > a->pay)
        return false;
    size_t stream_len = (total - 1) * a->pay + last_used;
    if (stream_len < SKY_VIDEO_FRAME_HEADER_LEN)
        return false;
    size_t au_len = stream_len - SKY_VIDEO_FRAME_HEADER_LEN, pos = 0, skip = SKY_VIDEO_FRAME_HEADER_LEN;
    size_t left = stream_len;
    for (int b = 0; b < f->nblocks && left; b++) {
        for (int i = 0; i < f->block[b].n && left; i++) {
            const uint8_t *p = slot_ptr(a, f->block[b].slot[i]) + SKY_VIDEO_HEADER_LEN;
            size_t take = left < a->pay ? left : a->pay;
            left -= take;
            if (skip) { /* the frame header is at the start of the first shard */
                p += skip;
                take -= skip;
                skip = 0;
            }
            memcpy(a->au + pos, p, take);
            pos += take;
        }
    }
    info->frame_index = f->index;
    info->frame_type = first[3];
    info->host_latency_100us = (uint16_t)(first[1] | first[2] << 8);
    info->rtp_ts = f->rtp_ts;
    info->first_packet_us = f->first_us;
    info->last_packet_us = f->last_us;
    info->len = au_len;
    return pos == au_len;
}

/* A frame that resumes decoding after a loss. */
static bool is_recovery(const SkyAssembler *a, uint8_t type)
{
    if (type == SKY_FRAME_TYPE_IDR)
        return true;
    return a->waiting_rfi &&
           (type == SKY_FRAME_TYPE_RFI_RECOVERY || type == SKY_FRAME_TYPE_INTRA_REFRESH);
}

static void hand_out(SkyAssembler *a, Frame *f, int64_t now_us)
{
    SkyAsmEvent ev = {.type = SKY_ASM_FRAME};
    if (!build_au(a, f, &ev.frame)) {
        a->stats.malformed++;
        lose_next(a, now_us);
        return;
    }
    if (a->waiting_idr || a->waiting_rfi) {
        if (is_recovery(a, ev.frame.frame_type)) {
            a->waiting_idr = a->waiting_rfi = a->requested = false;
        } else {
            ev.type = SKY_ASM_DROPPED;
            if (!a->requested) {
                /* The stream did not start at an IDR (joined late): ask for one. */
                a->waiting_idr = false;
                lose_references(a, f->index, now_us);
            }
        }
    }
    if (ev.type == SKY_ASM_FRAME) {
        a->stats.frames++;
        a->last_out = f->index;
        if (ev.frame.frame_type == SKY_FRAME_TYPE_IDR)
            a->seen_idr = true;
    } else {
        a->stats.frames_dropped++;
    }
    release_frame(a, f);
    a->next++;
    push_event(a, &ev);
}

/* The earliest first-datagram time of frames after `next`; INT64_MAX if none. */
static int64_t later_since(const SkyAssembler *a)
{
    int64_t t = INT64_MAX;
    for (int i = 0; i < WINDOW; i++) {
        const Frame *f = &a->frames[i];
        if (f->used && sky_seq32_before(a->next, f->index) && f->first_us < t)
            t = f->first_us;
    }
    return t;
}

bool sky_assembler_poll(SkyAssembler *a, int64_t now_us, SkyAsmEvent *ev)
{
    for (;;) {
        if (a->ev_count) {
            *ev = a->events[a->ev_head];
            a->ev_head = (a->ev_head + 1) % EVENTS;
            a->ev_count--;
            return true;
        }
        if (!a->started)
            return false;
        Frame *f = frame_of(a, a->next);
        if (f && f->failed) {
            lose_next(a, now_us);
            continue;
        }
        if (f && frame_complete(f)) {
            hand_out(a, f, now_us);
            continue;
        }
        int64_t since = later_since(a);
        if (since != INT64_MAX && now_us - since >= a->reorder_wait_us) {
            lose_next(a, now_us);
            continue;
        }
        if ((a->waiting_idr || a->waiting_rfi) && a->requested &&
            now_us - a->requested_us >= a->cfg.idr_retry_us) {
            /* No recovery frame came: ask again, for an IDR this time. */
            a->waiting_rfi = false;
            a->waiting_idr = true;
            a->requested_us = now_us;
            a->stats.idr_requests++;
            SkyAsmEvent req = {.type = SKY_ASM_REQUEST_IDR};
            push_event(a, &req);
            continue;
        }
        return false;
    }
}

const uint8_t *sky_assembler_frame_data(const SkyAssembler *a)
{
    return a->au;
}

int64_t sky_assembler_deadline(const SkyAssembler *a)
{
    int64_t d = INT64_MAX;
    int64_t since = later_since(a);
    if (since != INT64_MAX)
        d = since + a->reorder_wait_us;
    if ((a->waiting_idr || a->waiting_rfi) && a->requested &&
        a->requested_us + a->cfg.idr_retry_us < d)
        d = a->requested_us + a->cfg.idr_retry_us;
    return d;
}

void sky_assembler_stats(const SkyAssembler *a, SkyAssemblerStats *out)
{
    *out = a->stats;
}

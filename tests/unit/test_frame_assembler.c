/* Frame reassembly: frames cut by the packetizer (Sunshine's layout) come back whole and in
 * order through loss within FEC's reach, reordering and duplicates; loss beyond it is reported,
 * recovery is asked for, and nothing that depends on a lost frame is handed out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/core/error.h"
#include "common/proto/frame_assembler.h"
#include "common/proto/video_packet.h"
#include "tests/host/proto/video_packetizer.h"

#define PACKET_SIZE 1024
#define DLEN (PACKET_SIZE + 16)

typedef struct Rng {
    uint64_t s;
} Rng;

static uint32_t rnd(Rng *r)
{
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(r->s >> 33);
}

/* A frame's bitstream: deterministic bytes from its index. */
static uint8_t *frame_bytes(uint32_t index, size_t len)
{
    uint8_t *b = malloc(len ? len : 1);
    Rng r = {index * 7919u + 1};
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)rnd(&r);
    return b;
}

typedef struct Datagrams {
    uint8_t *data; /* count * DLEN */
    size_t count;
} Datagrams;

static Datagrams cut(SkyVideoPacketizer *p, uint32_t index, uint8_t type, size_t len)
{
    uint8_t *bits = frame_bytes(index, len);
    SkyVideoFrameDesc f = {index, type, (uint16_t)(index * 3), index * 1500, bits, len};
    const uint8_t *data;
    size_t dlen, count;
    assert_int_equal(sky_video_packetize(p, &f, &data, &dlen, &count), 0);
    assert_int_equal(dlen, DLEN);
    Datagrams d = {malloc(count * DLEN), count};
    memcpy(d.data, data, count * DLEN);
    free(bits);
    return d;
}

static SkyVideoPacketizer *packetizer(int fec_pct)
{
    SkyVideoPacketizer *p = NULL;
    SkyVideoPacketizerCfg cfg = {PACKET_SIZE, fec_pct, 2, NULL};
    assert_int_equal(sky_video_packetizer_create(&p, &cfg), 0);
    return p;
}

static SkyAssembler *assembler(bool rfi)
{
    SkyAssembler *a = NULL;
    SkyAssemblerCfg cfg = {.packet_size = PACKET_SIZE, .reorder_wait_us = 4000, .rfi = rfi};
    assert_int_equal(sky_assembler_create(&a, &cfg), 0);
    return a;
}

/* Collects the events of one poll round. */
typedef struct Seen {
    int frames, dropped, lost, idr, rfi;
    uint32_t last_frame;
    uint32_t lost_first, lost_last, rfi_first, rfi_last;
    uint16_t recovered;
    int fec_status, fec_status_lost; /* reports; those of blocks FEC could not rebuild */
    int restarts;
    SkyAsmBlockStatus last_status;
} Seen;

static void drain(SkyAssembler *a, int64_t now, Seen *seen, uint8_t expect_type_of_first)
{
    SkyAsmEvent ev;
    (void)expect_type_of_first;
    while (sky_assembler_poll(a, now, &ev)) {
        switch (ev.type) {
        case SKY_ASM_FRAME: {
            seen->frames++;
            seen->last_frame = ev.frame.frame_index;
            seen->recovered = (uint16_t)(seen->recovered + ev.frame.recovered_shards);
            uint8_t *want = frame_bytes(ev.frame.frame_index, ev.frame.len);
            assert_memory_equal(sky_assembler_frame_data(a), want, ev.frame.len);
            assert_int_equal(ev.frame.host_latency_100us, (uint16_t)(ev.frame.frame_index * 3));
            assert_int_equal(ev.frame.rtp_ts, ev.frame.frame_index * 1500);
            free(want);
            break;
        }
        case SKY_ASM_DROPPED:
            seen->dropped++;
            break;
        case SKY_ASM_LOST:
            seen->lost++;
            seen->lost_first = ev.first;
            seen->lost_last = ev.last;
            break;
        case SKY_ASM_REQUEST_IDR:
            seen->idr++;
            break;
        case SKY_ASM_REQUEST_RFI:
            seen->rfi++;
            seen->rfi_first = ev.first;
            seen->rfi_last = ev.last;
            break;
        case SKY_ASM_RESTART:
            seen->restarts++;
            break;
        case SKY_ASM_FEC_STATUS: {
            const SkyAsmBlockStatus *b = &ev.block;
            seen->fec_status++;
            seen->last_status = *b;
            /* Only blocks that lost data are reported; the counts add up. */
            assert_true(b->received_data < b->data_shards);
            assert_true(b->received_parity <= b->parity_shards);
            assert_true(b->block < b->blocks);
            uint16_t span = (uint16_t)(b->highest_seq - b->next_contiguous_seq);
            assert_true(b->missing_before_highest <= span);
            if (b->received_data + b->received_parity < b->data_shards)
                seen->fec_status_lost++;
            break;
        }
        }
    }
}

/* 3 MB: too large for four FEC blocks, sent without FEC (as Sunshine) in four blocks of 745. */
static const size_t sizes[] = {0, 1, 100, 1000, 1008, 1009, 5000, 50000, 200000, 600000, 3000000};

/* Every size, including multi-block frames, comes back byte for byte. */
static void test_round_trip(void **state)
{
    (void)state;
    SkyVideoPacketizer *p = packetizer(20);
    SkyAssembler *a = assembler(false);
    Seen seen = {0};
    int64_t now = 1000;
    uint64_t sent = 0, data_shards = 0;
    for (uint32_t i = 1; i <= 30; i++) {
        size_t len = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
        Datagrams d = cut(p, i, i == 1 ? SKY_FRAME_TYPE_IDR : SKY_FRAME_TYPE_P, len);
        sent += d.count;
        data_shards += (SKY_VIDEO_FRAME_HEADER_LEN + len + PACKET_SIZE - 17) / (PACKET_SIZE - 16);
        for (size_t k = 0; k < d.count; k++)
            assert_int_equal(sky_assembler_add(a, d.data + k * DLEN, DLEN, now), 0);
        drain(a, now, &seen, 0);
        assert_int_equal(seen.frames, (int)i);
        free(d.data);
        now += 16667;
    }
    SkyAssemblerStats st;
    sky_assembler_stats(a, &st);
    assert_int_equal(st.frames, 30);
    assert_int_equal(st.recovered_shards, 0);
    assert_int_equal(seen.lost + seen.dropped + seen.idr, 0);
    /* Parity that arrives after its block is whole is surplus, not a duplicate. */
    assert_int_equal(st.datagrams, sent);
    assert_int_equal(st.duplicates, 0);
    assert_int_equal(st.surplus + st.late, sent - data_shards);
    sky_assembler_destroy(&a);
    sky_video_packetizer_destroy(&p);
}

/* Drop, in each block, as many shards as it has parity: everything is rebuilt. */
static void test_loss_within_fec(void **state)
{
    (void)state;
    SkyVideoPacketizer *p = packetizer(20);
    SkyAssembler *a = assembler(false);
    Rng r = {42};
    Seen seen = {0};
    int64_t now = 0;
    int blocks_losing_data = 0;
    for (uint32_t i = 1; i <= 40; i++) {
        size_t len = 1 + rnd(&r) % 300000;
        Datagrams d = cut(p, i, i == 1 ? SKY_FRAME_TYPE_IDR : SKY_FRAME_TYPE_P, len);
        bool *drop = calloc(d.count, sizeof(bool));
        /* Walk the blocks: each datagram says its block's n and p. */
        for (size_t k = 0; k < d.count;) {
            SkyVideoShard s;
            assert_int_equal(sky_video_shard_parse(d.data + k * DLEN, DLEN, DLEN, &s), 0);
            size_t total = (size_t)s.data_shards + s.parity_shards;
            for (int j = 0; j < s.parity_shards; j++)
                drop[k + rnd(&r) % total] = true; /* data or parity, some twice */
            bool lost_data = false;
            for (size_t j = 0; j < s.data_shards; j++)
                lost_data = lost_data || drop[k + j];
            blocks_losing_data += lost_data;
            k += total;
        }
        for (size_t k = 0; k < d.count; k++)
            if (!drop[k])
                sky_assembler_add(a, d.data + k * DLEN, DLEN, now);
        drain(a, now, &seen, 0);
        assert_int_equal(seen.frames, (int)i);
        free(drop);
        free(d.data);
        now += 16667;
    }
    assert_true(seen.recovered > 40);
    assert_int_equal(seen.lost, 0);
    /* Each block FEC repaired is reported to the host, as repaired. */
    assert_int_equal(seen.fec_status, blocks_losing_data);
    assert_int_equal(seen.fec_status_lost, 0);
    sky_assembler_destroy(&a);
    sky_video_packetizer_destroy(&p);
}

/* Feeds frames first..last whole, except that `broken` loses one shard more than its parity. */
static void feed(SkyVideoPacketizer *p, SkyAssembler *a, uint32_t first, uint32_t last,
                 uint32_t broken, uint32_t idr_at, uint8_t recovery_type, int64_t *now,
                 Seen *seen)
{
    for (uint32_t i = first; i <= last; i++) {
        uint8_t type = i == 1 || i == idr_at ? SKY_FRAME_TYPE_IDR : SKY_FRAME_TYPE_P;
        if (i == idr_at && recovery_type)
            type = recovery_type;
        Datagrams d = cut(p, i, type, 20000);
        SkyVideoShard s;
        sky_video_shard_parse(d.data, DLEN, DLEN, &s);
        for (size_t k = 0; k < d.count; k++)
            if (i != broken || k > s.parity_shards) /* drops p + 1 data shards */
                sky_assembler_add(a, d.data + k * DLEN, DLEN, *now);
        drain(a, *now, seen, 0);
        free(d.data);
        *now += 16667;
    }
}

static void test_unrecoverable_loss_waits_for_idr(void **state)
{
    (void)state;
    SkyVideoPacketizer *p = packetizer(20);
    SkyAssembler *a = assembler(false);
    Seen seen = {0};
    int64_t now = 0;
    feed(p, a, 1, 5, 0, 0, 0, &now, &seen);
    assert_int_equal(seen.frames, 5);
    /* Frame 6 breaks: it is reported lost once frame 7 has been arriving long enough. */
    feed(p, a, 6, 6, 6, 0, 0, &now, &seen);
    assert_int_equal(seen.lost, 0);
    feed(p, a, 7, 7, 0, 0, 0, &now, &seen);
    assert_int_equal(seen.lost, 0); /* frame 7 has only just begun: 6 may still come */
    drain(a, now, &seen, 0);        /* 16 ms later: past the reorder wait */
    assert_int_equal(seen.lost, 1);
    assert_int_equal(seen.lost_first, 6);
    assert_int_equal(seen.lost_last, 6);
    assert_int_equal(seen.idr, 1);
    /* Its block is reported: shards 0..p (p + 1 of them) never came. */
    assert_int_equal(seen.fec_status_lost, 1);
    const SkyAsmBlockStatus *b = &seen.last_status;
    assert_int_equal(b->frame_index, 6);
    assert_int_equal(b->blocks, 1);
    assert_int_equal(b->received_data + b->received_parity,
                     b->data_shards + b->parity_shards - (b->parity_shards + 1));
    assert_int_equal(b->missing_before_highest, b->parity_shards + 1);
    assert_int_equal((uint16_t)(b->highest_seq - b->next_contiguous_seq),
                     b->data_shards + b->parity_shards - 1);
    /* Frame 7 was whole but references 6: dropped, as is everything until the IDR. */
    feed(p, a, 8, 11, 0, 12, 0, &now, &seen);
    assert_int_equal(seen.dropped, 5);
    assert_int_equal(seen.frames, 5);
    feed(p, a, 12, 14, 0, 12, 0, &now, &seen);
    assert_int_equal(seen.frames, 8);
    assert_int_equal(seen.last_frame, 14);
    assert_int_equal(seen.idr, 1); /* one request for the whole episode */
    SkyAssemblerStats st;
    sky_assembler_stats(a, &st);
    assert_int_equal(st.frames_lost, 1);
    assert_int_equal(st.frames_dropped, 5);
    sky_assembler_destroy(&a);
    sky_video_packetizer_destroy(&p);
}

static void test_idr_request_repeated(void **state)
{
    (void)state;
    SkyVideoPacketizer *p = packetizer(20);
    SkyAssembler *a = assembler(false);
    Seen seen = {0};
    int64_t now = 0;
    feed(p, a, 1, 3, 0, 0, 0, &now, &seen);
    feed(p, a, 4, 5, 4, 0, 0, &now, &seen);
    drain(a, now, &seen, 0);
    assert_int_equal(seen.idr, 1);
    /* No IDR for a while: the request is sent again after the retry time. */
    int64_t deadline = sky_assembler_deadline(a);
    assert_true(deadline > now && deadline <= now + 500000);
    drain(a, deadline, &seen, 0);
    assert_int_equal(seen.idr, 2);
    sky_assembler_destroy(&a);
    sky_video_packetizer_destroy(&p);
}

static void test_rfi(void **state)
{
    (void)state;
    SkyVideoPacketizer *p = packetizer(20);
    SkyAssembler *a = assembler(true);
    Seen seen = {0};
    int64_t now = 0;
    feed(p, a, 1, 4, 0, 0, 0, &now, &seen);
    feed(p, a, 5, 6, 5, 0, 0, &now, &seen);
    drain(a, now, &seen, 0);
    assert_int_equal(seen.rfi, 1);
    assert_int_equal(seen.idr, 0);
    assert_int_equal(seen.rfi_first, 5);
    assert_int_equal(seen.rfi_last, 5);
    /* The host answers with a recovery frame (type 5): decoding resumes there. */
    feed(p, a, 7, 9, 0, 8, SKY_FRAME_TYPE_RFI_RECOVERY, &now, &seen);
    assert_int_equal(seen.dropped, 2); /* 6 and 7 */
    assert_int_equal(seen.last_frame, 9);
    assert_int_equal(seen.frames, 6);
    sky_assembler_destroy(&a);
    sky_video_packetizer_destroy(&p);
}

/* Datagrams shuffled across neighbouring frames, and duplicated: same output. */
static void test_reorder_and_duplicates(void **state)
{
    (void)state;
    SkyVideoPacketizer *p = packetizer(20);
    SkyAssembler *a = assembler(false);
    Rng r = {7};
    Seen seen = {0};
    size_t total = 0, cap = 4096;
    uint8_t *all = malloc(cap * DLEN);
    for (uint32_t i = 1; i <= 12; i++) {
        Datagrams d = cut(p, i, i == 1 ? SKY_FRAME_TYPE_IDR : SKY_FRAME_TYPE_P,
                          1 + rnd(&r) % 30000);
        memcpy(all + total * DLEN, d.data, d.count * DLEN);
        total += d.count;
        free(d.data);
    }
    /* Local shuffle: each datagram moves up to 20 places. */
    uint8_t tmp[DLEN];
    for (size_t k = 0; k + 1 < total; k++) {
        size_t j = k + rnd(&r) % (total - k < 20 ? total - k : 20);
        memcpy(tmp, all + k * DLEN, DLEN);
        memcpy(all + k * DLEN, all + j * DLEN, DLEN);
        memcpy(all + j * DLEN, tmp, DLEN);
    }
    uint64_t twice = 0;
    for (size_t k = 0; k < total; k++) {
        sky_assembler_add(a, all + k * DLEN, DLEN, 0);
        if (rnd(&r) % 4 == 0) {
            sky_assembler_add(a, all + k * DLEN, DLEN, 0);
            twice++;
        }
        drain(a, 0, &seen, 0);
    }
    assert_int_equal(seen.frames, 12);
    assert_int_equal(seen.lost, 0);
    SkyAssemblerStats st;
    sky_assembler_stats(a, &st);
    assert_true(st.duplicates > 0);
    assert_true(st.duplicates <= twice); /* the rest were late: their frame was out */
    /* Replaying the whole thing now: every datagram is late. */
    uint64_t late_before = st.late;
    for (size_t k = 0; k < total; k++)
        sky_assembler_add(a, all + k * DLEN, DLEN, 0);
    drain(a, 1000000, &seen, 0);
    assert_int_equal(seen.frames, 12);
    sky_assembler_stats(a, &st);
    assert_int_equal(st.late - late_before, total);
    free(all);
    sky_assembler_destroy(&a);
    sky_video_packetizer_destroy(&p);
}

/* The network reorders across frames by 10 ms, more than the 4 ms wait: the first frame it
 * happens to is given up, then the wait has learnt the reordering and no frame is lost. */
static void test_reorder_wait_adapts(void **state)
{
    (void)state;
    SkyVideoPacketizer *p = packetizer(20);
    SkyAssembler *a = assembler(false);
    Seen seen = {0};
    int64_t t = 1000000;
    Datagrams prev = {NULL, 0};
    for (uint32_t i = 1; i <= 40; i++) {
        /* Every frame an IDR, so a loss needs no recovery wait. */
        Datagrams d = cut(p, i, SKY_FRAME_TYPE_IDR, 5000);
        /* Frame i's first datagram, then (10 ms later) the rest of frame i - 1. */
        sky_assembler_add(a, d.data, DLEN, t);
        drain(a, t, &seen, 0);
        for (int64_t step = 1000; step <= 10000; step += 1000)
            drain(a, t + step, &seen, 0);
        for (size_t k = 1; k < prev.count; k++)
            sky_assembler_add(a, prev.data + k * DLEN, DLEN, t + 10000);
        drain(a, t + 10000, &seen, 0);
        free(prev.data);
        prev = d;
        t += 16667;
    }
    free(prev.data);
    assert_int_equal(seen.lost, 1);
    assert_int_equal(seen.lost_first, 1);
    assert_int_equal(seen.frames, 38); /* 2..39; 40 is still waiting for its rest */
    sky_assembler_destroy(&a);
    sky_video_packetizer_destroy(&p);
}

/* Frames that never complete fill every datagram slot while the frame due never came at all:
 * the oldest are given up to make room (no slot is ever taken twice), and a whole IDR after
 * that still comes out. */
static void test_out_of_room(void **state)
{
    (void)state;
    SkyVideoPacketizer *p = packetizer(20);
    SkyAssembler *a = NULL;
    SkyAssemblerCfg cfg = {.packet_size = PACKET_SIZE, .reorder_wait_us = 80000,
                           .max_shards = 1}; /* raised to the minimum, 4092 */
    assert_int_equal(sky_assembler_create(&a, &cfg), 0);
    Seen seen = {0};
    /* Frame 1 starts the stream, frame 2 never comes, 3..9 are large and one shard short in
     * every block (more than 4092 slots in all). */
    Datagrams one = cut(p, 1, SKY_FRAME_TYPE_IDR, 100);
    for (size_t k = 0; k < one.count; k++)
        sky_assembler_add(a, one.data + k * DLEN, DLEN, 0);
    drain(a, 0, &seen, 0);
    assert_int_equal(seen.frames, 1);
    for (uint32_t i = 3; i <= 9; i++) {
        Datagrams d = cut(p, i, SKY_FRAME_TYPE_P, 800000);
        for (size_t k = 0; k < d.count; k++) {
            SkyVideoShard sh;
            assert_int_equal(sky_video_shard_parse(d.data + k * DLEN, DLEN, DLEN, &sh), 0);
            if (sh.shard_index < sh.data_shards - 1) /* data only, less the last */
                sky_assembler_add(a, d.data + k * DLEN, DLEN, 1000);
        }
        drain(a, 1000, &seen, 0);
        free(d.data);
    }
    SkyAssemblerStats st;
    sky_assembler_stats(a, &st);
    assert_true(st.frames_lost >= 2); /* 2 and the oldest of the large ones */
    Datagrams idr = cut(p, 10, SKY_FRAME_TYPE_IDR, 5000);
    for (size_t k = 0; k < idr.count; k++)
        sky_assembler_add(a, idr.data + k * DLEN, DLEN, 2000);
    drain(a, 1000000, &seen, 0);
    assert_int_equal(seen.last_frame, 10);
    assert_int_equal(seen.frames, 2);
    free(one.data);
    free(idr.data);
    sky_assembler_destroy(&a);
    sky_video_packetizer_destroy(&p);
}

/* Garbage and inconsistent headers are refused without disturbing good frames. */
static void test_hostile(void **state)
{
    (void)state;
    SkyVideoPacketizer *p = packetizer(20);
    SkyAssembler *a = assembler(false);
    Rng r = {99};
    Seen seen = {0};
    uint8_t junk[DLEN];
    for (int i = 0; i < 2000; i++) {
        for (size_t k = 0; k < DLEN; k++)
            junk[k] = (uint8_t)rnd(&r);
        junk[0] = 0x90;
        sky_assembler_add(a, junk, DLEN, 0);
        sky_assembler_add(a, junk, (size_t)(rnd(&r) % DLEN), 0);
    }
    drain(a, 0, &seen, 0);
    /* A good stream after the noise still works (the junk may have claimed frame numbers far
     * away: a real IDR resynchronises). */
    SkyAssembler *b = assembler(false);
    Datagrams d = cut(p, 1, SKY_FRAME_TYPE_IDR, 3000);
    /* The same frame with one datagram claiming a different block layout. */
    uint8_t bad[DLEN];
    memcpy(bad, d.data + DLEN, DLEN);
    bad[31] ^= 0x40; /* data shard count */
    assert_int_equal(sky_assembler_add(b, d.data, DLEN, 0), 0);
    assert_int_equal(sky_assembler_add(b, bad, DLEN, 0), SKY_ERR(EBADMSG));
    for (size_t k = 1; k < d.count; k++)
        sky_assembler_add(b, d.data + k * DLEN, DLEN, 0);
    Seen s2 = {0};
    drain(b, 0, &s2, 0);
    assert_int_equal(s2.frames, 1);
    free(d.data);
    /* One datagram far ahead (stray or forged) changes nothing: frame 2 still comes out. */
    Datagrams far = cut(p, 2000000000u, SKY_FRAME_TYPE_IDR, 3000);
    Seen s3 = {0};
    sky_assembler_add(b, far.data, DLEN, 0);
    Datagrams two = cut(p, 2, SKY_FRAME_TYPE_P, 3000);
    for (size_t k = 0; k < two.count; k++)
        sky_assembler_add(b, two.data + k * DLEN, DLEN, 0);
    drain(b, 0, &s3, 0);
    assert_int_equal(s3.frames, 1);
    assert_int_equal(s3.lost + s3.restarts, 0);
    /* Confirmed by more of its frame, that far a jump is a new stream: it restarts there, at
     * the IDR, in one step. */
    for (size_t k = 0; k < far.count; k++)
        sky_assembler_add(b, far.data + k * DLEN, DLEN, 0);
    drain(b, 0, &s3, 0);
    assert_int_equal(s3.restarts, 1);
    assert_int_equal(s3.lost, 0);
    assert_int_equal(s3.frames, 2);
    assert_int_equal(s3.last_frame, 2000000000u);
    /* A confirmed jump back (a stale datagram alone would be ignored) restarts too. */
    Datagrams back = cut(p, 5, SKY_FRAME_TYPE_IDR, 3000);
    sky_assembler_add(b, back.data, DLEN, 0);
    drain(b, 0, &s3, 0);
    assert_int_equal(s3.restarts, 1);
    for (size_t k = 1; k < back.count; k++)
        sky_assembler_add(b, back.data + k * DLEN, DLEN, 0);
    drain(b, 0, &s3, 0);
    assert_int_equal(s3.restarts, 2);
    assert_int_equal(s3.last_frame, 5);
    /* A confirmed jump of 500 frames ahead (an outage) loses the frames in between. */
    Datagrams gap = cut(p, 506, SKY_FRAME_TYPE_IDR, 3000);
    for (size_t k = 0; k < gap.count; k++)
        sky_assembler_add(b, gap.data + k * DLEN, DLEN, 0);
    drain(b, 0, &s3, 0);
    assert_int_equal(s3.restarts, 2);
    assert_int_equal(s3.lost_first, 6); /* at once, all but the last window's frames */
    drain(b, 1000000, &s3, 0);          /* and those once the reorder wait has passed */
    assert_int_equal(s3.lost_last, 505);
    assert_int_equal(s3.last_frame, 506);
    SkyAssemblerStats st;
    sky_assembler_stats(b, &st);
    assert_int_equal(st.frames_lost, 500);
    free(far.data);
    free(two.data);
    free(back.data);
    free(gap.data);
    sky_assembler_destroy(&b);
    sky_assembler_destroy(&a);
    sky_video_packetizer_destroy(&p);
}

/* The stream joined late (no IDR first): frames are dropped and an IDR is asked for. */
static void test_join_without_idr(void **state)
{
    (void)state;
    SkyVideoPacketizer *p = packetizer(20);
    SkyAssembler *a = assembler(false);
    Seen seen = {0};
    int64_t now = 0;
    for (uint32_t i = 100; i <= 103; i++) {
        Datagrams d = cut(p, i, i == 103 ? SKY_FRAME_TYPE_IDR : SKY_FRAME_TYPE_P, 5000);
        for (size_t k = 0; k < d.count; k++)
            sky_assembler_add(a, d.data + k * DLEN, DLEN, now);
        drain(a, now, &seen, 0);
        free(d.data);
    }
    assert_int_equal(seen.dropped, 3);
    assert_int_equal(seen.idr, 1);
    assert_int_equal(seen.frames, 1);
    sky_assembler_destroy(&a);
    sky_video_packetizer_destroy(&p);
}

static void test_encrypted(void **state)
{
    (void)state;
    uint8_t key[16] = {1, 2, 3};
    SkyVideoPacketizer *p = NULL;
    SkyVideoPacketizerCfg cfg = {PACKET_SIZE - 32, 20, 2, key};
    assert_int_equal(sky_video_packetizer_create(&p, &cfg), 0);
    SkyAssembler *a = NULL;
    SkyAssemblerCfg acfg = {.packet_size = PACKET_SIZE - 32};
    assert_int_equal(sky_assembler_create(&a, &acfg), 0);
    SkyGcm *g = NULL;
    assert_int_equal(sky_gcm_create(&g, key), 0);
    uint8_t *bits = frame_bytes(1, 40000);
    SkyVideoFrameDesc f = {1, SKY_FRAME_TYPE_IDR, 0, 0, bits, 40000};
    const uint8_t *data;
    size_t dlen, count, n;
    assert_int_equal(sky_video_packetize(p, &f, &data, &dlen, &count), 0);
    assert_int_equal(dlen, PACKET_SIZE + 16); /* the wire size does not change */
    uint8_t plain[DLEN];
    for (size_t k = 0; k < count; k++) {
        assert_int_equal(sky_video_encrypted_frame_hint(data + k * dlen, dlen), 1);
        assert_int_equal(sky_video_decrypt(g, data + k * dlen, dlen, plain, sizeof(plain), &n), 0);
        assert_int_equal(sky_assembler_add(a, plain, n, 0), 0);
    }
    SkyAsmEvent ev;
    assert_true(sky_assembler_poll(a, 0, &ev));
    assert_int_equal(ev.type, SKY_ASM_FRAME);
    assert_int_equal(ev.frame.len, 40000);
    assert_memory_equal(sky_assembler_frame_data(a), bits, 40000);
    /* Tampering is caught before anything is parsed. */
    uint8_t bad[DLEN + 32];
    memcpy(bad, data, dlen);
    bad[100] ^= 1;
    assert_int_equal(sky_video_decrypt(g, bad, dlen, plain, sizeof(plain), &n), SKY_ERR(EBADMSG));
    free(bits);
    sky_gcm_destroy(&g);
    sky_assembler_destroy(&a);
    sky_video_packetizer_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_loss_within_fec),
        cmocka_unit_test(test_unrecoverable_loss_waits_for_idr),
        cmocka_unit_test(test_idr_request_repeated),
        cmocka_unit_test(test_rfi),
        cmocka_unit_test(test_reorder_and_duplicates),
        cmocka_unit_test(test_reorder_wait_adapts),
        cmocka_unit_test(test_out_of_room),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_join_without_idr),
        cmocka_unit_test(test_encrypted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Turns received video datagrams (plaintext, see common/proto/video_packet.h) back into frames:
 * collects the shards of each frame's FEC blocks, rebuilds lost data shards from parity
 * (common/proto/fec.h), checks what FEC produced, strips the frame header and padding, and hands out
 * whole access units in frame order. It also decides recovery: after a frame is lost, later
 * frames reference it, so they are dropped until the host sends a frame that does not (an IDR,
 * or with reference frame invalidation a recovery frame), and the host is asked for one.
 *
 * Loss: a frame still incomplete when a later frame has been arriving for the reorder wait is
 * lost (datagrams may be reordered by the network, so a later frame's first datagram is not
 * proof yet). The wait is `reorder_wait_us`, raised to cover the reordering actually seen
 * (how long after the next frame's first datagram a frame's datagrams still come; decaying,
 * at most 80 ms). A datagram of a frame already handed out or given up is ignored.
 *
 * Far datagrams (a frame index 128 or more from the one expected: a host restart, a stale or
 * forged datagram, a long outage) are held back until a second one of a nearby frame confirms
 * them, so one stray datagram changes nothing. A confirmed jump ahead gives up the frames
 * before it (lost); a jump back restarts the stream there (SKY_ASM_RESTART).
 *
 * Pure and single-threaded: the receive thread feeds it and polls it with the time. All memory
 * is allocated at creation (a pool of datagram slots and one access-unit buffer). */
#ifndef SKY_COMMON_FRAME_ASSEMBLER_H
#define SKY_COMMON_FRAME_ASSEMBLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SkyAssemblerCfg {
    size_t packet_size;       /* SDP packetSize (a multiple of 16) */
    int64_t reorder_wait_us;  /* see above; 0 = the default, 4 ms */
    int64_t idr_retry_us;     /* ask again if no recovery frame came; 0 = 500 ms */
    bool rfi;                 /* host and decoder can invalidate references instead of an IDR */
    unsigned max_shards;      /* datagram slots held at once; 0 = 8192 (at least 4092) */
} SkyAssemblerCfg;

typedef enum SkyAsmEventType {
    SKY_ASM_FRAME = 1,        /* a whole frame to decode: sky_assembler_frame_data() */
    SKY_ASM_DROPPED,          /* whole, but it depends on a lost frame: not decoded */
    SKY_ASM_LOST,             /* frames first..last never became whole */
    SKY_ASM_REQUEST_IDR,      /* send the host an IDR request */
    SKY_ASM_REQUEST_RFI,      /* send the host "invalidate references first..last" */
    SKY_ASM_FEC_STATUS,       /* a block FEC repaired or that was lost: report it to the host */
    SKY_ASM_RESTART,          /* the frame numbers jumped back (or absurdly far): everything
                               * before is forgotten, decoding resumes at an IDR */
} SkyAsmEventType;

typedef struct SkyAsmFrameInfo {
    uint32_t frame_index;
    uint8_t frame_type;          /* SKY_FRAME_TYPE_* */
    uint16_t host_latency_100us; /* host processing time, 0 if unknown */
    uint32_t rtp_ts;
    int64_t first_packet_us;     /* arrival of its first datagram */
    int64_t last_packet_us;      /* arrival of the datagram that completed it */
    uint16_t data_shards;        /* over all its FEC blocks */
    uint16_t parity_shards;
    uint16_t recovered_shards;   /* data shards rebuilt from parity */
    size_t len;                  /* access unit bytes */
} SkyAsmFrameInfo;

/* One FEC block's final state, as Sunshine's per-frame FEC status message carries it. */
typedef struct SkyAsmBlockStatus {
    uint32_t frame_index;
    uint8_t block, blocks;       /* this block's index, the frame's number of blocks */
    uint8_t fec_percentage;
    uint16_t data_shards, parity_shards;
    uint16_t received_data, received_parity;
    uint16_t highest_seq;        /* the highest sequence number received in the block */
    uint16_t next_contiguous_seq; /* the first one missing (from the block's first) */
    uint16_t missing_before_highest;
} SkyAsmBlockStatus;

typedef struct SkyAsmEvent {
    SkyAsmEventType type;
    uint32_t first, last;        /* LOST, REQUEST_RFI */
    SkyAsmFrameInfo frame;       /* FRAME, DROPPED */
    SkyAsmBlockStatus block;     /* FEC_STATUS (best effort: skipped when events pile up) */
} SkyAsmEvent;

typedef struct SkyAssemblerStats {
    uint64_t datagrams;          /* offered */
    uint64_t duplicates;         /* a shard received twice */
    uint64_t surplus;            /* shards of a block already whole (parity not needed) */
    uint64_t no_room;            /* dropped: every datagram slot held by frames still due */
    uint64_t far;                /* datagrams far from the frame expected, held back */
    uint64_t restarts;
    uint64_t late;               /* for frames already out or given up */
    uint64_t malformed;          /* bad or inconsistent headers */
    uint64_t recovered_shards;
    uint64_t fec_failures;       /* rebuilt shards that did not check out */
    uint64_t frames;             /* handed out to decode */
    uint64_t frames_dropped;     /* whole but unusable (waiting for recovery) */
    uint64_t frames_lost;
    uint64_t idr_requests;
    uint64_t rfi_requests;
} SkyAssemblerStats;

typedef struct SkyAssembler SkyAssembler;

int sky_assembler_create(SkyAssembler **out, const SkyAssemblerCfg *cfg);
void sky_assembler_destroy(SkyAssembler **a);

/* Offers one plaintext datagram received at now_us (copied; the caller keeps its buffer).
 * Returns 0, or SKY_ERR(EBADMSG) for one that was malformed (ignored; counted). */
int sky_assembler_add(SkyAssembler *a, const uint8_t *pkt, size_t len, int64_t now_us);
/* Takes the next event, if any (call until it returns false after each add and when
 * sky_assembler_deadline() passes). */
bool sky_assembler_poll(SkyAssembler *a, int64_t now_us, SkyAsmEvent *ev);
/* The access unit of the last SKY_ASM_FRAME event; valid until the next poll. */
const uint8_t *sky_assembler_frame_data(const SkyAssembler *a);
/* When poll must run next even without datagrams (INT64_MAX if nothing is pending). */
int64_t sky_assembler_deadline(const SkyAssembler *a);
/* The decoder failed or lost its references: drop until a recovery frame, ask for an IDR. */
void sky_assembler_need_idr(SkyAssembler *a, int64_t now_us);
void sky_assembler_stats(const SkyAssembler *a, SkyAssemblerStats *out);

#endif

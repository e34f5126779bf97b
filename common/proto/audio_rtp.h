/* GameStream audio over RTP (host UDP 48000 -> client), as Sunshine sends it:
 *
 *   data, PT 97:  RTP header (0x80, 97, BE16 sequence from 0, BE32 timestamp in ms
 *                 (+ packet duration per packet), SSRC 0), then one Opus packet, encrypted
 *                 with AES-128-CBC (PKCS#7) when audio encryption is on: key = the session key,
 *                 IV = BE32(rikeyid + sequence) then 12 zero bytes.
 *   FEC, PT 127:  RTP header (0x80, 127, BE16 base + 4 + shard index, timestamp 0, SSRC 0), a
 *                 12-byte FEC header (u8 shard index 0..1, u8 payload type 97, BE16 base
 *                 sequence (a multiple of 4), BE32 base timestamp, BE32 SSRC 0), then the
 *                 parity of the 4 data payloads base..base+3 (the bytes after their RTP
 *                 headers, i.e. the ciphertext), Reed-Solomon 4+2 with SKY_FEC_AUDIO.
 * All payloads of a block have the same length (the host's Opus is CBR); a block whose lengths
 * differ cannot be protected and is passed through without FEC.
 *
 * Here: the layout, what both sides share (the IV, the FEC set-up) and the client side:
 * SkyAudioQueue takes datagrams in any order, rebuilds lost ones from FEC when it can, decrypts,
 * and hands out Opus packets in sequence order, marking the ones that stayed lost (the decoder
 * conceals them), within a reorder window bounded in time. It is pure and single-threaded;
 * nothing is allocated per packet. The host side (Opus packets to datagrams) is the test host's
 * tests/host/proto/audio_packetizer.h. */
#ifndef SKY_COMMON_AUDIO_RTP_H
#define SKY_COMMON_AUDIO_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/crypto.h"
#include "common/proto/fec.h"

#define SKY_AUDIO_RTP_HEADER_LEN 12
#define SKY_AUDIO_FEC_HEADER_LEN 12
#define SKY_AUDIO_PT_DATA 97
#define SKY_AUDIO_PT_FEC 127
#define SKY_AUDIO_FEC_DATA 4
#define SKY_AUDIO_FEC_PARITY 2
/* Largest Opus packet we carry (the host's are 60..~1300 bytes). */
#define SKY_AUDIO_MAX_OPUS 1400
#define SKY_AUDIO_MAX_DATAGRAM \
    (SKY_AUDIO_RTP_HEADER_LEN + SKY_AUDIO_FEC_HEADER_LEN + SKY_AUDIO_MAX_OPUS + 16)

/* Largest payload after the RTP header: a SKY_AUDIO_MAX_OPUS packet, PKCS#7-padded. */
#define SKY_AUDIO_MAX_PAYLOAD ((SKY_AUDIO_MAX_OPUS / SKY_AES_BLOCK + 1) * SKY_AES_BLOCK)
/* packet_duration_ms is 1..this. */
#define SKY_AUDIO_MAX_DURATION_MS 120

/* ---- Both sides ---- */

/* The AES-CBC IV of data packet seq: BE32(key_id + seq), then 12 zero bytes. */
void sky_audio_iv(uint8_t iv[SKY_AES_BLOCK], uint32_t key_id, uint16_t seq);
/* A Reed-Solomon context with the 4+2 audio tables already computed, so that encoding a block
 * and rebuilding up to 2 missing shards never allocate. Returns 0 with *out set (the caller owns
 * it), or the error of sky_fec_create/sky_fec_encode/sky_fec_reconstruct with *out NULL. */
int sky_audio_fec_create(SkyFec **out);

/* ---- Client side ---- */

typedef struct SkyAudioQueueCfg {
    const uint8_t *key;      /* as the host's, or NULL */
    uint32_t key_id;
    int packet_duration_ms;
    int64_t reorder_wait_us; /* how long a missing packet is waited for once later ones are
                              * here (0: 2 packet durations + 5 ms) */
} SkyAudioQueueCfg;

typedef struct SkyAudioQueue SkyAudioQueue;

/* cfg is copied (the key too); packet_duration_ms must be 1..120, reorder_wait_us 0..1 s.
 * Every buffer is allocated here (no allocation per packet afterwards). Returns 0 with *out set
 * (the caller owns it), SKY_ERR(EINVAL) or SKY_ERR(ENOMEM). */
int sky_audio_queue_create(SkyAudioQueue **out, const SkyAudioQueueCfg *cfg);
/* Accepts NULL and a pointer to NULL; sets *q to NULL. */
void sky_audio_queue_destroy(SkyAudioQueue **q);

/* A data packet more than this many sequence numbers before or after the next one to hand out
 * is not placed in the queue: it is held as the possible start of a new stream (a host restart,
 * or a long outage), and a second one close to it (within 8) restarts the queue there. A lone
 * far packet (garbage) is dropped and changes nothing. */
#define SKY_AUDIO_MAX_JUMP 100

/* Offers one datagram received at now_us (pkt is borrowed for the call: what is kept is
 * copied). The first datagram sets where the stream starts: a data packet at its own sequence
 * number, a parity packet at the block after its own. Returns 0 when it was taken or dropped
 * (duplicate, late, far: see the stats), or SKY_ERR(EBADMSG) if malformed (dropped; counted). */
int sky_audio_queue_add(SkyAudioQueue *q, const uint8_t *pkt, size_t len, int64_t now_us);

typedef struct SkyAudioOut {
    uint16_t seq;
    uint32_t timestamp_ms;   /* RTP timestamp (ms) */
    bool lost;               /* never arrived and FEC could not rebuild it, or it did not
                              * decrypt: conceal */
    bool recovered;          /* rebuilt from FEC */
    const uint8_t *opus;     /* decrypted Opus packet, 1..SKY_AUDIO_MAX_OPUS bytes (NULL for
                              * lost ones); owned by the queue, valid until the next call of
                              * any sky_audio_queue_* function on it */
    size_t len;              /* 0 for lost ones */
    int64_t arrival_us;      /* when its datagram arrived (or was rebuilt) */
} SkyAudioOut;

/* The next packet in sequence order, if it is here or known lost: true with *out filled, false
 * when the next one is still awaited. A missing packet is given up (lost = true) once
 * reorder_wait_us has passed since a later datagram arrived (a parity datagram counts as later
 * than every data packet of its block); a packet whose payload does not decrypt goes out lost
 * too. Call until it returns false, at least every SKY_AUDIO_MAX_JUMP packet durations: packets
 * that get further ahead of the one awaited count as a jump. */
bool sky_audio_queue_poll(SkyAudioQueue *q, int64_t now_us, SkyAudioOut *out);
/* When poll must run next even without datagrams: a time not after now when a packet is ready
 * (its arrival), the moment the awaited one is given up, or INT64_MAX if nothing is pending. */
int64_t sky_audio_queue_deadline(const SkyAudioQueue *q);

/* Counters since create. */
typedef struct SkyAudioQueueStats {
    uint64_t datagrams;        /* offered to add, malformed ones included */
    uint64_t data, fec;        /* well-formed data (PT 97) and parity (PT 127) datagrams */
    uint64_t duplicates;       /* a shard the queue already had (received or rebuilt) */
    uint64_t late;             /* data packets already handed out (parity for a block all
                                * handed out is not counted: that is the lossless case) */
    uint64_t far;              /* more than SKY_AUDIO_MAX_JUMP away (also those that then
                                * started a resync) */
    uint64_t malformed;
    uint64_t decrypt_failures; /* handed out as lost (and counted in lost too) */
    uint64_t recovered;        /* data packets rebuilt from FEC before their turn */
    uint64_t lost;             /* handed out with lost = true */
    uint64_t resyncs;          /* restarts at a far sequence number */
    uint64_t skipped;          /* sequence numbers jumped over by forward resyncs: neither
                                * handed out nor counted as lost */
} SkyAudioQueueStats;

void sky_audio_queue_stats(const SkyAudioQueue *q, SkyAudioQueueStats *out);

#endif

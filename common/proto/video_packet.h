/* GameStream video datagrams (host UDP 47998 -> client), as Sunshine sends them:
 *
 *   12  RTP header: 0x90, PT 0, BE16 sequence, BE32 timestamp (90 kHz), SSRC 0
 *    4  reserved (zero)
 *   16  shard header, little-endian: streamPacketIndex (sequence << 8), frameIndex, flags
 *       (0x01 picture data, 0x02 end of block, 0x04 start of block), reserved, multiFecFlags
 *       (0x10), multiFecBlocks (block << 4 | last block << 6), fecInfo (data shards << 22 |
 *       shard index << 12 | FEC percentage << 4)
 *    P  payload: P = packet_size - 16, where packet_size is the SDP's x-nv-video[0].packetSize
 *
 * A frame is "frame header (8 bytes) + bitstream", cut into payloads of P bytes (the last one
 * zero-padded), split into 1 to 4 FEC blocks of at most 255 shards, each block followed by its
 * Reed-Solomon parity shards (common/proto/fec.h, computed over whole datagrams). The frame header:
 * 0x01, LE16 host processing latency in 0.1 ms, frame type (1 P, 2 IDR, 4 intra refresh,
 * 5 P after reference invalidation), LE16 bytes used in the last data shard's payload, 2 zero.
 *
 * With video encryption each datagram is wrapped: 12-byte GCM IV (LE64 counter, 3 zero bytes,
 * 'V'), LE32 frame number (a hint: not authenticated), 16-byte tag, then the datagram encrypted
 * with AES-128-GCM under the session key. */
#ifndef SKY_COMMON_VIDEO_PACKET_H
#define SKY_COMMON_VIDEO_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/crypto.h"
#include "common/proto/fec.h"

#define SKY_VIDEO_HEADER_LEN 32     /* RTP + reserved + shard header */
#define SKY_VIDEO_ENC_PREFIX_LEN 32 /* IV + frame number + tag */
#define SKY_VIDEO_FRAME_HEADER_LEN 8
#define SKY_VIDEO_MAX_BLOCKS 4
/* Shards in one FEC block: with parity, data + parity <= 255 (GF(2^8)); a frame too large for
 * four such blocks goes without FEC, in blocks of up to 1023 data shards (the 10-bit field). */
#define SKY_VIDEO_MAX_BLOCK_SHARDS 1023

#define SKY_VF_PIC_DATA 0x01
#define SKY_VF_EOF 0x02
#define SKY_VF_SOF 0x04

/* Frame types of the frame header. */
#define SKY_FRAME_TYPE_P 1
#define SKY_FRAME_TYPE_IDR 2
#define SKY_FRAME_TYPE_INTRA_REFRESH 4
#define SKY_FRAME_TYPE_RFI_RECOVERY 5

/* packet_size bounds we accept from a session: a multiple of 16. */
#define SKY_VIDEO_MIN_PACKET_SIZE 64
#define SKY_VIDEO_MAX_PACKET_SIZE 4096

typedef struct SkyVideoShard {
    uint16_t seq;
    uint32_t rtp_ts;
    uint32_t stream_index;   /* streamPacketIndex >> 8, 24 bits */
    uint32_t frame_index;
    uint8_t flags;           /* SKY_VF_* */
    uint8_t block;           /* 0..3 */
    uint8_t last_block;      /* 0..3, >= block */
    uint16_t data_shards;    /* n of this block, >= 1 */
    uint16_t parity_shards;  /* ceil(n * pct / 100) */
    uint16_t shard_index;    /* 0..n+p-1; >= n is parity */
    uint8_t fec_pct;
} SkyVideoShard;

/* Parses the 32 header bytes of a plaintext datagram of exactly `datagram_len` bytes (the
 * session's packet_size + 16). Returns 0 or SKY_ERR(EBADMSG) with nothing used from it:
 * wrong length, RTP version, n = 0, n + p > 255 with parity, index past the block, block past
 * the last. */
int sky_video_shard_parse(const uint8_t *pkt, size_t len, size_t datagram_len,
                          SkyVideoShard *out);

/* Decrypts one encrypted datagram into out (len - 32 bytes). SKY_ERR(EBADMSG) if too short or
 * the tag fails. */
int sky_video_decrypt(SkyGcm *g, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                      size_t *out_len);
/* The unauthenticated frame-number hint of an encrypted datagram (0 if too short): only good
 * for dropping a datagram of a frame long gone before paying for its decryption. */
uint32_t sky_video_encrypted_frame_hint(const uint8_t *in, size_t len);

#endif

/* The host side of GameStream video (the test host): cuts each access unit into the datagrams
 * Sunshine sends (common/proto/video_packet.h has the layout): frame header, payloads of
 * packet_size - 16 bytes, 1 to 4 FEC blocks with their Reed-Solomon parity (common/proto/fec.h),
 * AES-GCM encryption when a key is given. The client never links it. */
#ifndef SKY_TESTHOST_PROTO_VIDEO_PACKETIZER_H
#define SKY_TESTHOST_PROTO_VIDEO_PACKETIZER_H

#include <stddef.h>
#include <stdint.h>

#include "common/proto/video_packet.h"

typedef struct SkyVideoPacketizer SkyVideoPacketizer;

typedef struct SkyVideoPacketizerCfg {
    size_t packet_size;      /* SDP packetSize, a multiple of 16 */
    int fec_percent;         /* 0..255; 20 is Sunshine's default */
    int min_parity;          /* minimum parity shards per block (the client asks for 2) */
    const uint8_t *key;      /* 16-byte session key to encrypt with, or NULL */
} SkyVideoPacketizerCfg;

int sky_video_packetizer_create(SkyVideoPacketizer **out, const SkyVideoPacketizerCfg *cfg);
void sky_video_packetizer_destroy(SkyVideoPacketizer **p);

typedef struct SkyVideoFrameDesc {
    uint32_t frame_index;    /* from 1 */
    uint8_t frame_type;      /* SKY_FRAME_TYPE_* */
    uint16_t host_latency_100us;
    uint32_t rtp_ts;
    const uint8_t *bitstream;
    size_t len;
} SkyVideoFrameDesc;

/* Cuts one frame into datagrams: *count datagrams of *datagram_len bytes each, back to back in
 * an internal buffer returned in *data (valid until the next call). Sequence numbers continue
 * from the previous frame. SKY_ERR(E2BIG) for a frame too big for 4 blocks of 255 shards. */
int sky_video_packetize(SkyVideoPacketizer *p, const SkyVideoFrameDesc *f, const uint8_t **data,
                        size_t *datagram_len, size_t *count);

#endif

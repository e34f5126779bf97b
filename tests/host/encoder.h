/* The test host's video encoder: libavcodec's software encoders set up the way a game-streaming
 * host runs them (libx264 for H.264, libx265 for HEVC, libsvtav1 for AV1): low-latency presets,
 * no B-frames, one access unit out per picture in (in order), an IDR at the start and then only
 * on request (infinite GOP, no scene-cut keyframes), constant bitrate (a one-frame buffer for
 * x264 and x265; SVT-AV1's own CBR buffer).
 *
 * SVT-AV1 1.4 cannot force a key frame in low-delay CBR mode: there an IDR request drains the
 * encoder and opens a fresh one (the frames in flight still come out, in order).
 *
 * Chroma: 4:2:0, or 4:4:4 (as Sunshine's software encoder: libx264 High 4:4:4 Predictive,
 * libx265 Main 4:4:4 or Main 4:4:4 10); SVT-AV1 encodes 4:2:0 only.
 * Colour: from the SDP's encoderCscMode (Rec. 601, 709 or 2020 with their own transfer, limited
 * or full range), or, for HDR (pq), BT.2020 primaries and matrix (non-constant luminance) with
 * the SMPTE ST 2084 transfer, signalled in the bitstream (H.264/HEVC VUI, AV1 colour config)
 * together with the mastering display and content light levels (HEVC SEI, AV1 metadata OBUs),
 * as Sunshine does when it captures an HDR display.
 *
 * One thread uses an encoder (the video thread). The picture to draw into is the encoder's own;
 * packets are valid until the next receive. */
#ifndef SKY_TESTHOST_ENCODER_H
#define SKY_TESTHOST_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/proto/control.h"
#include "tests/host/pattern.h"

typedef struct SkyThEncoderCfg {
    int codec;          /* SKY_SDP_CODEC_H264, _HEVC or _AV1 */
    int width, height;  /* even, 16..16384 */
    int fps;            /* 1..1000 */
    int bitrate_kbps;   /* >= 1 */
    int slices;         /* slices per frame (H.264, HEVC); 1..255 */
    bool ten_bit;       /* 10-bit (HEVC Main 10 or Main 4:4:4 10, AV1 10-bit); refused for
                         * H.264 */
    bool yuv444;        /* 4:4:4 chroma; SKY_ERR(ENOTSUP) for AV1 (SVT-AV1 cannot) */
    int csc_mode;       /* SDP encoderCscMode: colour space << 1 | full range */
    bool pq;            /* HDR: BT.2020 + PQ instead of csc_mode's colour space (ten_bit only);
                         * the range is still csc_mode's */
    SkyControlHdrMode mastering; /* with pq and has_metadata: the mastering display and content
                                  * light levels written into the bitstream */
    int threads;        /* encoder threads; 0 lets the library decide */
} SkyThEncoderCfg;

typedef struct SkyThEncoder SkyThEncoder;

/* Opens the encoder. Returns 0, SKY_ERR(EINVAL) for a bad configuration, SKY_ERR(ENOTSUP) for
 * 4:4:4 with AV1, SKY_ERR(ENOSYS) if libavcodec lacks the encoder, or an AVERROR from opening
 * it (logged). */
int sky_th_encoder_create(SkyThEncoder **out, const SkyThEncoderCfg *cfg);
void sky_th_encoder_destroy(SkyThEncoder **e);

/* The name of the libavcodec encoder for a codec ("libx264", ...). */
const char *sky_th_encoder_name(int codec);

/* The writable picture for the next frame: draw into it, then call sky_th_encoder_send. */
int sky_th_encoder_picture(SkyThEncoder *e, SkyThPicture *pic);

/* Encodes the picture with presentation time pts (frame units), as an IDR if force_idr. */
int sky_th_encoder_send(SkyThEncoder *e, int64_t pts, bool force_idr);

typedef struct SkyThPacket {
    const uint8_t *data; /* the access unit (Annex B for H.264 and HEVC, OBUs for AV1) */
    size_t len;
    int64_t pts;
    bool keyframe;
} SkyThPacket;

/* The next encoded access unit, if one is ready: libx264 gives each frame's at once; libx265
 * and SVT-AV1 (which work on their own threads) can be a frame or a few behind. Returns 0,
 * SKY_ERR(EAGAIN) when none is ready, or an AVERROR. */
int sky_th_encoder_receive(SkyThEncoder *e, SkyThPacket *pkt);

#endif

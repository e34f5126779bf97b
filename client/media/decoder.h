/* Video decoder: libavcodec with low-delay settings and hardware acceleration chosen at
 * creation. Backends: software, VAAPI, VDPAU, CUDA (NVDEC), Vulkan (where this FFmpeg offers a
 * Vulkan hwaccel for the codec) and the V4L2 mem2mem decoders of ARM boards.
 *
 * `auto` probes the hardware backends in order and falls back to software when none opens;
 * a backend named explicitly that cannot be opened is an error. Pictures come out in whatever
 * pixel format the decoder produced: hardware frames are downloaded to system memory unless
 * the renderer takes them as they are (keep_hw_frames). */
#ifndef SKY_CLIENT_DECODER_H
#define SKY_CLIENT_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "common/core/opts.h"

typedef enum SkyDecoderBackend {
    SKY_BACKEND_AUTO = 0,
    SKY_BACKEND_SOFTWARE,
    SKY_BACKEND_VAAPI,
    SKY_BACKEND_VDPAU,
    SKY_BACKEND_CUDA,
    SKY_BACKEND_VULKAN,
    SKY_BACKEND_V4L2M2M,
    SKY_BACKEND_COUNT
} SkyDecoderBackend;

typedef struct SkyDecoderOpts {
    int backend;        /* SkyDecoderBackend, --decoder */
    char device[256];   /* --hwdevice: e.g. /dev/dri/renderD129; empty for the default */
    int threads;        /* --decoder-threads: 0 = one per core */
    int max_hw_failures; /* consecutive hardware errors before falling back to software */
} SkyDecoderOpts;

extern const SkyOpt sky_decoder_opts_table[];

const char *sky_decoder_backend_name(SkyDecoderBackend b);

typedef struct SkyDecoderCfg {
    SkyDecoderOpts opts;
    enum AVCodecID codec_id;     /* AV_CODEC_ID_H264, _HEVC or _AV1 */
    const uint8_t *extradata;    /* copied; may be NULL */
    size_t extradata_len;
    int width, height;           /* hints, may be 0 */
    bool low_delay;              /* the stream has no reordering (always true for GameStream) */
    bool keep_hw_frames;         /* hand out hardware pictures as they are (the renderer maps
                                  * or downloads them); else they are downloaded here */
} SkyDecoderCfg;

typedef struct SkyDecoder SkyDecoder;

/* Returns 0; SKY_ERR(ENOSYS) for a codec we do not decode; SKY_ERR(ENODEV) when the forced
 * backend is not available here (the log says why). */
int sky_decoder_create(SkyDecoder **out, const SkyDecoderCfg *cfg);
void sky_decoder_destroy(SkyDecoder **d);

/* The backend in use now (changes to software after a fallback). */
SkyDecoderBackend sky_decoder_backend(const SkyDecoder *d);
bool sky_decoder_is_hw(const SkyDecoder *d);

/* Like avcodec_send_packet (pkt NULL drains). The caller keeps pkt. */
int sky_decoder_send(SkyDecoder *d, const AVPacket *pkt);
/* Like avcodec_receive_frame: 0 with a picture in `frame` (the caller's, unreferenced first):
 * in system memory, or a hardware frame with keep_hw_frames; AVERROR(EAGAIN), AVERROR_EOF or
 * an error. */
int sky_decoder_receive(SkyDecoder *d, AVFrame *frame);
/* Forgets every reference and every frame still inside (a new frame generation starts). */
void sky_decoder_flush(SkyDecoder *d);
/* Reopens the decoder in software (after repeated hardware failures). Pending frames are lost. */
int sky_decoder_fall_back(SkyDecoder *d);

#endif

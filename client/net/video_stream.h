/* The video side of a stream: a UDP socket that pings the host (so it knows where to send) and
 * receives the video datagrams on its own thread, decrypts them when video encryption is on,
 * rebuilds frames (common/proto/frame_assembler.c: FEC, reassembly, loss), times them through the
 * jitter buffer (common/proto/jitter.c) and hands them to the video pipeline. It asks the host, over
 * the control stream, for a keyframe (or reference invalidation) when a frame is lost or the
 * decoder failed. */
#ifndef SKY_CLIENT_VIDEO_STREAM_H
#define SKY_CLIENT_VIDEO_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/net/control_stream.h"
#include "client/media/recorder.h"
#include "client/stats_out.h"
#include "client/media/video_pipeline.h"
#include "common/proto/jitter.h"

typedef struct SkyVideoStreamCfg {
    const char *host;            /* numeric address */
    uint16_t port;
    const char *ping_payload;    /* 16 characters, or NULL for the legacy "PING" */
    const uint8_t *key;          /* session key, for encrypted video */
    bool encrypted;
    size_t packet_size;          /* as announced */
    bool rfi;                    /* reference frame invalidation instead of IDRs */
    int latency_mode;            /* SkyLatencyMode */
    SkyVideoPipeline *vp;        /* not owned */
    SkyStatsOut *stats;          /* not owned */
    SkyControlStream *control;   /* not owned */
    SkyRecorder *recorder;       /* optional, not owned */
    /* Called on the receive thread when the stream fails (no video): only sets a flag or posts
     * an event. */
    void (*on_end)(void *opaque);
    void *opaque;
} SkyVideoStreamCfg;

typedef struct SkyVideoStream SkyVideoStream;

/* Opens the socket, sends the first ping and starts the thread. */
int sky_video_stream_start(SkyVideoStream **out, const SkyVideoStreamCfg *cfg, char *err,
                           size_t errlen);
/* Stops the thread and closes the socket; the object stays, so that the video pipeline's
 * callbacks (need_keyframe, decoded) may still reach it until the pipeline is destroyed. */
void sky_video_stream_stop(SkyVideoStream *vs);
/* Stops (if not yet) and frees. */
void sky_video_stream_destroy(SkyVideoStream **vs);

/* Any thread. */
void sky_video_stream_figures(SkyVideoStream *vs, SkyNetFigures *out);
/* Whether the stream failed on its own (no video), and why. */
bool sky_video_stream_failed(SkyVideoStream *vs, SkyControlEnd *why);
/* From the decoder thread (video pipeline callbacks). */
void sky_video_stream_need_keyframe(SkyVideoStream *vs);
void sky_video_stream_decoded(SkyVideoStream *vs, int64_t decode_us);

#endif

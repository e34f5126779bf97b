/* The video side of a stream: a UDP socket that pings the host (so it knows where to send) and
 * receives the video datagrams on its own thread, decrypts them when video encryption is on,
 * rebuilds frames (common/proto/frame_assembler.c: FEC, reassembly, loss), times them through
 * the jitter buffer (common/proto/jitter.c) and hands them to the video pipeline. It asks the
 * host, over the control stream, for a keyframe (or reference invalidation) when a frame is
 * lost or the decoder failed (SkyFeedback), and starts a new frame generation when the decoder
 * failed or the host restarted its frame numbers. */
#ifndef SKY_CLIENT_VIDEO_STREAM_H
#define SKY_CLIENT_VIDEO_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/feedback.h"
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
    /* Not owned: the decoder's keyframe needs and decode times come from there (its fd is
     * polled), and "the stream has ended" goes there when no video comes. */
    SkyFeedback *feedback;
} SkyVideoStreamCfg;

typedef struct SkyVideoStream SkyVideoStream;

/* Opens the socket, sends the first ping and starts the thread. Errors are logged. */
int sky_video_stream_create(SkyVideoStream **out, const SkyVideoStreamCfg *cfg);
/* Stops the thread, closes the socket and frees. Accepts NULL; NULLs the pointer. */
void sky_video_stream_destroy(SkyVideoStream **vs);

/* Any thread. */
void sky_video_stream_figures(SkyVideoStream *vs, SkyNetFigures *out);
/* Whether the stream failed on its own (no video), and why. */
bool sky_video_stream_failed(SkyVideoStream *vs, SkyControlEnd *why);

#endif

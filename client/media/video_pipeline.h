/* The video path from compressed frames to pictures ready to show:
 *
 *   producer (the file reader, or the video receiver) --submit--> frame queue --> decoder
 *       thread --> "newest wins" mailbox --> presenter (main thread: window or headless)
 *
 * Frames travel in generations: a run of frames that decode from one keyframe. The producer
 * starts a new generation (sky_video_pipeline_new_generation) when what is queued can no longer
 * be decoded: after the decoder asked for a keyframe (a decode error, or the fall-back to
 * software: SkyFeedback) or when the host restarted its frame sequence. Frames of the old
 * generation still queued are dropped, the decoder thread drops those it takes after its
 * generation broke, and it flushes the decoder when the new generation's first frame comes.
 * The producer alone waits for the keyframe that starts the new generation.
 *
 * The mailbox holds one picture: a newer one replaces an unshown older one, which is counted as
 * dropped (superseded), so the presenter never works through a backlog of stale pictures. For
 * smooth presentation it holds a few, in order, each shown no earlier than its present time.
 * A frame's release time (the jitter buffer's) holds it on the decoder thread before decoding.
 * Every frame's timeline goes to the SkyStatsOut exactly once. */
#ifndef SKY_CLIENT_VIDEO_PIPELINE_H
#define SKY_CLIENT_VIDEO_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "client/feedback.h"
#include "client/media/decoder.h"
#include "client/media/frame_md5.h"
#include "client/stats_out.h"
#include "common/media/decode_policy.h"
#include "common/media/timeline.h"

/* Deepest presentation queue (smooth presentation). */
#define SKY_VIDEO_MAX_PRESENT_DEPTH 4

typedef struct SkyVideoPipelineCfg {
    SkyDecoderCfg decoder;
    SkyDecodePolicyCfg policy;
    size_t queue_frames;        /* frame queue capacity */
    unsigned present_depth;     /* 1 (or 0): newest wins; 2..SKY_VIDEO_MAX_PRESENT_DEPTH: in
                                 * order, each at its present time (smooth presentation) */
    SkyStatsOut *stats;         /* required; not owned */
    SkyFrameMd5 *md5;           /* optional; not owned; written on the decoder thread */
    /* Required; not owned: the decoder thread posts keyframe needs and decode times there for
     * the producer. */
    SkyFeedback *feedback;
    /* Called on the decoder thread when a picture is ready or decoding has ended; it must only
     * set a flag or post an event (it runs with no lock held). */
    void (*wake)(void *opaque);
    void *opaque;
} SkyVideoPipelineCfg;

typedef struct SkyVideoPipeline SkyVideoPipeline;

/* Creates the decoder and starts the decoder thread. Errors as sky_decoder_create(). */
int sky_video_pipeline_create(SkyVideoPipeline **out, const SkyVideoPipelineCfg *cfg);
/* Aborts, joins and frees; frames still queued or unshown are counted as flushed. Accepts NULL. */
void sky_video_pipeline_destroy(SkyVideoPipeline **vp);

typedef struct SkyFrameMeta {
    int64_t pts_us;     /* media time, for stats */
    int64_t pts;        /* in the stream's time base, for --frame-md5 */
    int64_t duration;   /* in the stream's time base */
    bool keyframe;
    int64_t release_us; /* decode no earlier than this (the jitter buffer's); 0: at once */
    int64_t present_us; /* show no earlier than this (smooth presentation); 0: at once */
    SkyNetTiming net;   /* streams: what the network said (net.valid) */
} SkyFrameMeta;

/* Queues one compressed frame (an access unit). On success the pipeline owns *pkt and sets it to
 * NULL; on failure the caller keeps it. Blocks up to timeout_us while the queue is full (< 0 for
 * ever). Errors: SKY_ERR(EAGAIN)/SKY_ERR(ETIMEDOUT) full, SKY_ERR(ESHUTDOWN) shutting down. */
int sky_video_pipeline_submit(SkyVideoPipeline *vp, AVPacket **pkt, const SkyFrameMeta *meta,
                              int64_t timeout_us);
/* Producer thread: starts a new generation (frames still queued are dropped as flushed) and
 * returns it; later frames are submitted in it. */
uint32_t sky_video_pipeline_new_generation(SkyVideoPipeline *vp);
/* Producer thread: the generation frames are submitted in now (it starts at 0). */
uint32_t sky_video_pipeline_generation(const SkyVideoPipeline *vp);

/* A frame that will not be decoded (lost in the network, or it depends on a lost one): its
 * timeline is finished as dropped for `why`, numbered like submitted frames. Producer thread. */
void sky_video_pipeline_skip(SkyVideoPipeline *vp, const SkyFrameMeta *meta, uint32_t size_bytes,
                             SkyDropReason why);

/* End of stream: the decoder drains what it holds, then the pipeline finishes. */
int sky_video_pipeline_end(SkyVideoPipeline *vp);

/* Presenter: takes the next picture (the newest, or with present_depth > 1 the oldest that is
 * due). Returns 0 with *frame (the caller's to free) and its
 * timeline in *t; SKY_ERR(EAGAIN) or SKY_ERR(ETIMEDOUT) if none came within timeout_us;
 * SKY_ERR(EPIPE) once the stream has ended and every picture was taken; or a fatal decoder
 * error. The caller finishes *t (presented or dropped) with sky_stats_out_frame_done(). */
int sky_video_pipeline_take(SkyVideoPipeline *vp, AVFrame **frame, SkyFrameTiming *t,
                            int64_t timeout_us);

/* When the oldest waiting picture is due (smooth presentation), INT64_MAX if none is waiting
 * (presenter thread). */
int64_t sky_video_pipeline_next_due(SkyVideoPipeline *vp);

/* The name of the decoder backend in use now (any thread). */
const char *sky_video_pipeline_backend(SkyVideoPipeline *vp);

#endif

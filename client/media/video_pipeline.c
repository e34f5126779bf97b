/* Frame queue, decoder thread, frame generations and the presentation mailbox
 * (video_pipeline.h). */
/* Threads: the producer calls submit/skip/new_generation/end; the decoder thread owns the
 * decoder, the policy, its generation and the pending-timeline ring; the presenter calls take.
 * The mailbox is guarded by mb_lock. */
#define _POSIX_C_SOURCE 200809L
#include "client/media/video_pipeline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/queue.h"
#include "common/core/time.h"

#define TAG "video"
/* Frames the decoder may hold before their picture comes out (reordering depth is at most 16). */
#define PENDING_SLOTS 64

typedef struct Item {
    AVPacket *pkt; /* NULL marks the end of the stream */
    SkyFrameMeta meta;
    SkyFrameTiming timing;
} Item;

typedef struct Picture {
    AVFrame *frame;
    SkyFrameTiming timing;
    int64_t present_us; /* not before (0: at once) */
} Picture;

typedef struct Pending {
    bool used;
    SkyFrameMeta meta;
    SkyFrameTiming timing;
} Pending;

struct SkyVideoPipeline {
    SkyVideoPipelineCfg cfg;
    SkyQueue *queue;
    pthread_t thread;
    bool thread_started;
    _Atomic int backend; /* SkyDecoderBackend now in use; written by the decoder thread */

    /* Producer only. */
    uint64_t next_frame_number;
    uint32_t gen;       /* the generation frames are submitted in */

    /* Decoder thread only. */
    SkyDecoder *decoder;
    SkyDecodePolicy policy;
    uint32_t dec_gen;   /* the generation being decoded */
    bool broken;        /* dec_gen cannot be decoded any more: drop its frames */
    Pending pending[PENDING_SLOTS];
    AVFrame *frame;
    SkyLogLimit err_limit;

    /* Guarded by mb_lock: decoded pictures waiting for the presenter, oldest first. With
     * present_depth 1 a newer picture replaces an unshown one ("newest wins"); deeper, they are
     * kept in order (smooth presentation) and the oldest goes when the mailbox is full. */
    pthread_mutex_t mb_lock;
    pthread_cond_t mb_cond;
    Picture mb[SKY_VIDEO_MAX_PRESENT_DEPTH];
    unsigned mb_count;
    bool mb_ended;    /* the decoder thread has finished */
    bool mb_stopping; /* destroy: stop waiting for release times */
    int mb_error;     /* fatal decoder error, reported by take */
};

static void finish_dropped(SkyVideoPipeline *vp, SkyFrameTiming *t, SkyDropReason why)
{
    t->fate = SKY_FATE_DROPPED;
    t->drop_reason = why;
    sky_stats_out_frame_done(vp->cfg.stats, t);
}

static void free_item(void *opaque, void *p)
{
    SkyVideoPipeline *vp = opaque;
    Item *it = p;
    if (it->pkt)
        finish_dropped(vp, &it->timing, SKY_DROP_FLUSHED);
    av_packet_free(&it->pkt);
    free(it);
}

static void wake(SkyVideoPipeline *vp)
{
    if (vp->cfg.wake)
        vp->cfg.wake(vp->cfg.opaque);
}

/* Hands a picture to the mailbox; when it is full the oldest unshown one is dropped as
 * superseded. Takes *frame. */
static void post_picture(SkyVideoPipeline *vp, AVFrame **frame, const SkyFrameTiming *t,
                         int64_t present_us)
{
    Picture old = {0};
    unsigned depth = vp->cfg.present_depth ? vp->cfg.present_depth : 1;
    pthread_mutex_lock(&vp->mb_lock);
    if (vp->mb_count == depth) {
        old = vp->mb[0];
        memmove(&vp->mb[0], &vp->mb[1], (vp->mb_count - 1) * sizeof(vp->mb[0]));
        vp->mb_count--;
    }
    vp->mb[vp->mb_count++] = (Picture){*frame, *t, present_us};
    *frame = NULL;
    pthread_cond_broadcast(&vp->mb_cond);
    pthread_mutex_unlock(&vp->mb_lock);
    if (old.frame) {
        finish_dropped(vp, &old.timing, SKY_DROP_SUPERSEDED);
        av_frame_free(&old.frame);
    }
    wake(vp);
}

/* Holds the decoder thread until a frame's release time (the jitter buffer's). Returns false
 * when the pipeline is being destroyed. */
static struct timespec abs_time(int64_t us);

static bool wait_release(SkyVideoPipeline *vp, int64_t release_us)
{
    pthread_mutex_lock(&vp->mb_lock);
    while (!vp->mb_stopping && sky_time_us() < release_us) {
        struct timespec ts = abs_time(release_us);
        pthread_cond_timedwait(&vp->mb_cond, &vp->mb_lock, &ts);
    }
    bool go_on = !vp->mb_stopping;
    pthread_mutex_unlock(&vp->mb_lock);
    return go_on;
}

static void output_picture(SkyVideoPipeline *vp)
{
    int64_t now = sky_time_us();
    AVFrame *f = vp->frame;
    int64_t n = f->pts;
    Pending *p = NULL;
    if (n >= 0) {
        p = &vp->pending[n % PENDING_SLOTS];
        if (!p->used || (int64_t)p->timing.frame_number != n)
            p = NULL;
    }
    if (!p) {
        /* A picture we cannot match to its frame (the decoder lost the timestamp): show it,
         * but it has no timeline. */
        sky_log_limited(&vp->err_limit, now, SKY_LOG_VERBOSE, TAG,
                        "picture with unknown frame number %lld", (long long)n);
        SkyFrameTiming t = {.decode_end_us = now};
        if (vp->cfg.md5)
            sky_frame_md5_write(vp->cfg.md5, f, AV_NOPTS_VALUE, 0);
        AVFrame *out = av_frame_clone(f);
        av_frame_unref(f);
        if (out)
            post_picture(vp, &out, &t, 0);
        return;
    }
    p->used = false;
    SkyFrameTiming t = p->timing;
    t.decode_end_us = now;
    t.width = (uint16_t)f->width;
    t.height = (uint16_t)f->height;
    if (vp->cfg.md5)
        sky_frame_md5_write(vp->cfg.md5, f, p->meta.pts, p->meta.duration);
    AVFrame *out = av_frame_alloc();
    if (!out) {
        av_frame_unref(f);
        finish_dropped(vp, &t, SKY_DROP_DECODE_ERROR);
        return;
    }
    av_frame_move_ref(out, f);
    sky_feedback_decoded(vp->cfg.feedback, t.decode_end_us - t.decode_start_us);
    post_picture(vp, &out, &t, p->meta.present_us);
}

/* Receives every picture the decoder has ready. Returns 0 or a decoding error. */
static int receive_all(SkyVideoPipeline *vp)
{
    for (;;) {
        int ret = sky_decoder_receive(vp->decoder, vp->frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return ret;
        output_picture(vp);
    }
}

static void drop_pending(SkyVideoPipeline *vp, SkyDropReason why)
{
    for (int i = 0; i < PENDING_SLOTS; i++) {
        if (vp->pending[i].used) {
            vp->pending[i].used = false;
            finish_dropped(vp, &vp->pending[i].timing, why);
        }
    }
}

/* Applies the policy's verdict on a decode result. Returns 0 or a fatal error. */
static int handle_result(SkyVideoPipeline *vp, int err)
{
    if (err < 0)
        sky_log_limited(&vp->err_limit, sky_time_us(), SKY_LOG_WARN, TAG, "decode error: %s",
                        sky_strerror(err));
    switch (sky_decode_policy_result(&vp->policy, err)) {
    case SKY_DECODE_OK:
        return 0;
    case SKY_DECODE_RESYNC:
        /* What follows in this generation builds on the broken picture. */
        vp->broken = true;
        drop_pending(vp, SKY_DROP_DECODE_ERROR);
        sky_feedback_need_keyframe(vp->cfg.feedback, vp->dec_gen, false);
        return 0;
    case SKY_DECODE_FALLBACK: {
        drop_pending(vp, SKY_DROP_DECODE_ERROR);
        int ret = sky_decoder_fall_back(vp->decoder);
        if (ret < 0)
            return ret;
        sky_decode_policy_fell_back(&vp->policy);
        atomic_store(&vp->backend, (int)sky_decoder_backend(vp->decoder));
        /* The new decoder has no references. */
        vp->broken = true;
        sky_feedback_need_keyframe(vp->cfg.feedback, vp->dec_gen, true);
        return 0;
    }
    }
    return 0;
}

/* The first frame of a newer generation: nothing the decoder holds belongs with it. */
static void enter_generation(SkyVideoPipeline *vp, uint32_t gen)
{
    sky_decoder_flush(vp->decoder);
    drop_pending(vp, SKY_DROP_FLUSHED);
    vp->dec_gen = gen;
    vp->broken = false;
}

static int decode_item(SkyVideoPipeline *vp, Item *it, uint32_t gen)
{
    SkyFrameTiming *t = &it->timing;
    if (gen != vp->dec_gen)
        enter_generation(vp, gen);
    if (vp->broken) {
        finish_dropped(vp, t, SKY_DROP_WAIT_KEYFRAME);
        return 0;
    }
    if (it->meta.release_us && !wait_release(vp, it->meta.release_us)) {
        finish_dropped(vp, t, SKY_DROP_FLUSHED);
        return 0;
    }
    t->decode_start_us = sky_time_us();
    Pending *p = &vp->pending[t->frame_number % PENDING_SLOTS];
    if (p->used) /* the decoder never gave back that frame's picture */
        finish_dropped(vp, &p->timing, SKY_DROP_NO_OUTPUT);
    *p = (Pending){.used = true, .meta = it->meta, .timing = *t};

    it->pkt->pts = (int64_t)t->frame_number;
    it->pkt->dts = AV_NOPTS_VALUE;
    int ret = sky_decoder_send(vp->decoder, it->pkt);
    if (ret == AVERROR(EAGAIN)) {
        /* Not expected, as every send is followed by receive_all; drain and retry once. */
        ret = receive_all(vp);
        if (ret >= 0)
            ret = sky_decoder_send(vp->decoder, it->pkt);
    }
    if (ret < 0) {
        if (p->used && p->timing.frame_number == t->frame_number) {
            p->used = false;
            finish_dropped(vp, &p->timing, SKY_DROP_DECODE_ERROR);
        }
        return handle_result(vp, ret);
    }
    ret = receive_all(vp);
    return handle_result(vp, ret);
}

static void drain_decoder(SkyVideoPipeline *vp)
{
    if (sky_decoder_send(vp->decoder, NULL) >= 0)
        receive_all(vp);
    drop_pending(vp, SKY_DROP_NO_OUTPUT);
}

static void *decoder_thread(void *arg)
{
    SkyVideoPipeline *vp = arg;
    int fatal = 0;
    for (;;) {
        void *p;
        uint32_t gen;
        int ret = sky_queue_pop(vp->queue, &p, &gen, -1);
        if (ret < 0)
            break; /* aborted */
        Item *it = p;
        if (!it->pkt) {
            free(it);
            drain_decoder(vp);
            break;
        }
        fatal = decode_item(vp, it, gen);
        av_packet_free(&it->pkt);
        free(it);
        if (fatal < 0) {
            SKY_LOGE(TAG, "the decoder cannot go on: %s", sky_strerror(fatal));
            break;
        }
    }
    /* Nothing more will be taken from the queue: make producers stop waiting on it. */
    sky_queue_abort(vp->queue);
    pthread_mutex_lock(&vp->mb_lock);
    vp->mb_ended = true;
    vp->mb_error = fatal;
    pthread_cond_broadcast(&vp->mb_cond);
    pthread_mutex_unlock(&vp->mb_lock);
    wake(vp);
    return NULL;
}

int sky_video_pipeline_create(SkyVideoPipeline **out, const SkyVideoPipelineCfg *cfg)
{
    *out = NULL;
    if (!cfg->stats || !cfg->feedback || cfg->present_depth > SKY_VIDEO_MAX_PRESENT_DEPTH)
        return SKY_ERR(EINVAL);
    SkyVideoPipeline *vp = calloc(1, sizeof(*vp));
    if (!vp)
        return SKY_ERR(ENOMEM);
    vp->cfg = *cfg;
    vp->err_limit = (SkyLogLimit)SKY_LOG_LIMIT_INIT;
    pthread_mutex_init(&vp->mb_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&vp->mb_cond, &ca);
    pthread_condattr_destroy(&ca);

    int ret = sky_decoder_create(&vp->decoder, &cfg->decoder);
    if (ret < 0)
        goto fail;
    sky_decode_policy_init(&vp->policy, &cfg->policy, sky_decoder_is_hw(vp->decoder));
    atomic_init(&vp->backend, (int)sky_decoder_backend(vp->decoder));
    vp->frame = av_frame_alloc();
    SkyQueueCfg qc = {cfg->queue_frames ? cfg->queue_frames : 8, free_item, vp};
    ret = vp->frame ? sky_queue_create(&vp->queue, &qc) : SKY_ERR(ENOMEM);
    if (ret < 0)
        goto fail;
    if (pthread_create(&vp->thread, NULL, decoder_thread, vp) != 0) {
        ret = SKY_ERR(EAGAIN);
        goto fail;
    }
    vp->thread_started = true;
    *out = vp;
    return 0;
fail:
    sky_video_pipeline_destroy(&vp);
    return ret;
}

void sky_video_pipeline_destroy(SkyVideoPipeline **pvp)
{
    SkyVideoPipeline *vp = *pvp;
    if (!vp)
        return;
    if (vp->queue)
        sky_queue_abort(vp->queue);
    pthread_mutex_lock(&vp->mb_lock);
    vp->mb_stopping = true;
    pthread_cond_broadcast(&vp->mb_cond);
    pthread_mutex_unlock(&vp->mb_lock);
    if (vp->thread_started)
        pthread_join(vp->thread, NULL);
    sky_queue_destroy(&vp->queue);
    if (vp->decoder)
        drop_pending(vp, SKY_DROP_FLUSHED);
    for (unsigned i = 0; i < vp->mb_count; i++) {
        finish_dropped(vp, &vp->mb[i].timing, SKY_DROP_FLUSHED);
        av_frame_free(&vp->mb[i].frame);
    }
    sky_decoder_destroy(&vp->decoder);
    av_frame_free(&vp->frame);
    pthread_cond_destroy(&vp->mb_cond);
    pthread_mutex_destroy(&vp->mb_lock);
    free(vp);
    *pvp = NULL;
}

int sky_video_pipeline_submit(SkyVideoPipeline *vp, AVPacket **pkt, const SkyFrameMeta *meta,
                              int64_t timeout_us)
{
    Item *it = malloc(sizeof(*it));
    if (!it)
        return SKY_ERR(ENOMEM);
    *it = (Item){.pkt = *pkt, .meta = *meta};
    it->timing = (SkyFrameTiming){
        .frame_number = vp->next_frame_number,
        .pts_us = meta->pts_us,
        .size_bytes = (uint32_t)(*pkt)->size,
        .keyframe = meta->keyframe,
        .enqueued_us = sky_time_us(),
        .net = meta->net,
    };
    int ret = sky_queue_push(vp->queue, it, vp->gen, timeout_us);
    if (ret < 0) {
        free(it);
        return ret;
    }
    vp->next_frame_number++;
    sky_stats_out_frame_in(vp->cfg.stats);
    *pkt = NULL;
    return 0;
}

uint32_t sky_video_pipeline_new_generation(SkyVideoPipeline *vp)
{
    vp->gen = sky_queue_bump_generation(vp->queue);
    return vp->gen;
}

uint32_t sky_video_pipeline_generation(const SkyVideoPipeline *vp)
{
    return vp->gen;
}

void sky_video_pipeline_skip(SkyVideoPipeline *vp, const SkyFrameMeta *meta, uint32_t size_bytes,
                             SkyDropReason why)
{
    SkyFrameTiming t = {
        .frame_number = vp->next_frame_number++,
        .pts_us = meta->pts_us,
        .size_bytes = size_bytes,
        .keyframe = meta->keyframe,
        .net = meta->net,
    };
    sky_stats_out_frame_in(vp->cfg.stats);
    finish_dropped(vp, &t, why);
}

int sky_video_pipeline_end(SkyVideoPipeline *vp)
{
    Item *it = calloc(1, sizeof(*it));
    if (!it)
        return SKY_ERR(ENOMEM);
    int ret = sky_queue_push(vp->queue, it, vp->gen, -1);
    if (ret < 0)
        free(it);
    return ret;
}

/* A monotonic time in µs (sky_time_us's clock) as a condition-variable deadline. */
static struct timespec abs_time(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    return ts;
}

int sky_video_pipeline_take(SkyVideoPipeline *vp, AVFrame **frame, SkyFrameTiming *t,
                            int64_t timeout_us)
{
    int64_t give_up = timeout_us > 0 ? sky_time_us() + timeout_us : INT64_MAX;
    int ret = 0;
    pthread_mutex_lock(&vp->mb_lock);
    for (;;) {
        int64_t now = sky_time_us();
        /* The oldest picture, once its present time has come. */
        if (vp->mb_count && vp->mb[0].present_us <= now)
            break;
        if (vp->mb_ended && !vp->mb_count)
            break;
        if (timeout_us == 0) {
            ret = SKY_ERR(EAGAIN);
            break;
        }
        if (now >= give_up) {
            ret = SKY_ERR(ETIMEDOUT);
            break;
        }
        int64_t until = vp->mb_count && vp->mb[0].present_us < give_up ? vp->mb[0].present_us
                                                                        : give_up;
        if (until == INT64_MAX) {
            pthread_cond_wait(&vp->mb_cond, &vp->mb_lock);
        } else {
            struct timespec ts = abs_time(until);
            pthread_cond_timedwait(&vp->mb_cond, &vp->mb_lock, &ts);
        }
    }
    if (ret == 0 && vp->mb_count) {
        *frame = vp->mb[0].frame;
        *t = vp->mb[0].timing;
        memmove(&vp->mb[0], &vp->mb[1], (vp->mb_count - 1) * sizeof(vp->mb[0]));
        vp->mb_count--;
    } else if (ret == 0) {
        ret = vp->mb_error < 0 ? vp->mb_error : SKY_ERR(EPIPE);
    }
    pthread_mutex_unlock(&vp->mb_lock);
    return ret;
}

int64_t sky_video_pipeline_next_due(SkyVideoPipeline *vp)
{
    pthread_mutex_lock(&vp->mb_lock);
    int64_t due = vp->mb_count ? vp->mb[0].present_us : INT64_MAX;
    pthread_mutex_unlock(&vp->mb_lock);
    return due;
}

const char *sky_video_pipeline_backend(SkyVideoPipeline *vp)
{
    return sky_decoder_backend_name((SkyDecoderBackend)atomic_load(&vp->backend));
}

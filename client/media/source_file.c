/* The file source of `play`: a libavformat reader thread paced at the stream's timestamps
 * (source_file.h). */
/* Threads: open/info/destroy on the caller's thread; the reader thread owns the demuxer once
 * started. `abort_flag` and `done` are atomics shared by both. */
#include "client/media/source_file.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/time.h"

#define TAG "source"

struct SkySourceFile {
    AVFormatContext *fmt;
    int video_index;
    int audio_index; /* -1 if none */
    SkySourceInfo info;
    pthread_t thread;
    bool thread_started;
    _Atomic bool abort_flag;
    _Atomic bool done;

    /* Reader thread only. */
    SkyVideoPipeline *vp;
    SkyAudio *audio;
    SkyFeedback *feedback;
    bool pacing;
    bool wait_keyframe;   /* the decoder asked for one: frames before it are skipped */
    int64_t origin_ts_us; /* first timestamp seen, INT64_MIN before */
    int64_t start_wall_us;
};

static int interrupt_cb(void *opaque)
{
    SkySourceFile *s = opaque;
    return atomic_load(&s->abort_flag);
}

static int err_from_av(int averr)
{
    if (averr == AVERROR_INVALIDDATA)
        return SKY_ERR(EBADMSG);
    return averr < 0 && averr > -4096 ? averr : SKY_ERR(EIO);
}

int sky_source_file_open(SkySourceFile **out, const char *path)
{
    *out = NULL;
    SkySourceFile *s = calloc(1, sizeof(*s));
    if (!s)
        return SKY_ERR(ENOMEM);
    s->audio_index = -1;
    s->video_index = -1;
    atomic_init(&s->abort_flag, false);
    atomic_init(&s->done, false);
    int ret;
    s->fmt = avformat_alloc_context();
    if (!s->fmt) {
        ret = SKY_ERR(ENOMEM);
        goto fail;
    }
    s->fmt->interrupt_callback = (AVIOInterruptCB){interrupt_cb, s};
    ret = avformat_open_input(&s->fmt, path, NULL, NULL);
    if (ret < 0) {
        SKY_LOGE(TAG, "cannot open %s: %s", path, sky_strerror(ret));
        ret = err_from_av(ret);
        goto fail;
    }
    ret = avformat_find_stream_info(s->fmt, NULL);
    if (ret < 0) {
        SKY_LOGE(TAG, "%s: cannot read the streams: %s", path, sky_strerror(ret));
        ret = err_from_av(ret);
        goto fail;
    }
    int vi = av_find_best_stream(s->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (vi < 0) {
        SKY_LOGE(TAG, "%s has no video stream", path);
        ret = SKY_ERR(ENOSYS);
        goto fail;
    }
    AVCodecParameters *vpar = s->fmt->streams[vi]->codecpar;
    if (vpar->codec_id != AV_CODEC_ID_H264 && vpar->codec_id != AV_CODEC_ID_HEVC &&
        vpar->codec_id != AV_CODEC_ID_AV1) {
        SKY_LOGE(TAG, "%s: unsupported video codec '%s' (supported: h264, hevc, av1)", path,
                 avcodec_get_name(vpar->codec_id));
        ret = SKY_ERR(ENOSYS);
        goto fail;
    }
    s->video_index = vi;
    AVStream *vs = s->fmt->streams[vi];
    s->info.video_codec = vpar->codec_id;
    s->info.extradata = vpar->extradata;
    s->info.extradata_len = vpar->extradata_size > 0 ? (size_t)vpar->extradata_size : 0;
    s->info.width = vpar->width;
    s->info.height = vpar->height;
    s->info.pix_fmt = vpar->format;
    s->info.color_trc = vpar->color_trc;
    s->info.time_base = vs->time_base;
    AVRational fr = vs->avg_frame_rate.num ? vs->avg_frame_rate : vs->r_frame_rate;
    s->info.fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0;
    s->info.low_delay = vpar->video_delay == 0;

    for (unsigned i = 0; i < s->fmt->nb_streams; i++) {
        AVCodecParameters *par = s->fmt->streams[i]->codecpar;
        if (par->codec_type != AVMEDIA_TYPE_AUDIO)
            continue;
        if (par->codec_id != AV_CODEC_ID_OPUS) {
            SKY_LOGI(TAG, "skipping audio track %u: %s is not Opus", i,
                     avcodec_get_name(par->codec_id));
            continue;
        }
        if (s->audio_index >= 0)
            continue;
        ret = sky_opus_head_parse(par->extradata, par->extradata_size > 0 ? (size_t)par->extradata_size : 0,
                                  &s->info.opus);
        if (ret < 0) {
            SKY_LOGW(TAG, "skipping Opus track %u: %s layout (%d channels)", i,
                     ret == SKY_ERR(ENOSYS) ? "unsupported" : "malformed", par->ch_layout.nb_channels);
            continue;
        }
        /* Files carry family 1 in the Vorbis channel order; the audio output takes SDL's. */
        if (s->info.opus.mapping_family == 1)
            sky_opus_config_vorbis_to_sdl(&s->info.opus);
        s->audio_index = (int)i;
        s->info.has_audio = true;
    }
    for (unsigned i = 0; i < s->fmt->nb_streams; i++)
        if ((int)i != s->video_index && (int)i != s->audio_index)
            s->fmt->streams[i]->discard = AVDISCARD_ALL;
    SKY_LOGI(TAG, "%s: %s %dx%d%s%.3g fps%s", path, avcodec_get_name(vpar->codec_id),
             vpar->width, vpar->height, s->info.fps > 0 ? " at " : "", s->info.fps,
             s->info.has_audio ? ", Opus audio" : "");
    *out = s;
    return 0;
fail:
    sky_source_file_destroy(&s);
    return ret;
}

void sky_source_file_info(const SkySourceFile *s, SkySourceInfo *info)
{
    *info = s->info;
}

static int64_t packet_time_us(const SkySourceFile *s, const AVPacket *pkt)
{
    int64_t ts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
    if (ts == AV_NOPTS_VALUE)
        return INT64_MIN;
    return av_rescale_q(ts, s->fmt->streams[pkt->stream_index]->time_base, AV_TIME_BASE_Q);
}

/* Sleeps until the packet's media time has come, in short steps so abort stays quick. */
static void pace(SkySourceFile *s, int64_t t_us)
{
    if (!s->pacing || t_us == INT64_MIN)
        return;
    if (s->origin_ts_us == INT64_MIN) {
        s->origin_ts_us = t_us;
        s->start_wall_us = sky_time_us();
    }
    int64_t deadline = s->start_wall_us + (t_us - s->origin_ts_us);
    for (;;) {
        int64_t now = sky_time_us();
        if (now >= deadline || atomic_load(&s->abort_flag))
            return;
        sky_sleep_us(deadline - now < 50000 ? deadline - now : 50000);
    }
}

static void submit_video(SkySourceFile *s, AVPacket **pkt, int64_t *fallback_index)
{
    AVStream *st = s->fmt->streams[s->video_index];
    SkyFrameMeta meta = {
        .pts = (*pkt)->pts != AV_NOPTS_VALUE ? (*pkt)->pts : (*pkt)->dts,
        .duration = (*pkt)->duration,
        .keyframe = ((*pkt)->flags & AV_PKT_FLAG_KEY) != 0,
    };
    if (meta.pts != AV_NOPTS_VALUE)
        meta.pts_us = av_rescale_q(meta.pts, st->time_base, AV_TIME_BASE_Q);
    else if (s->info.fps > 0)
        meta.pts_us = (int64_t)((double)*fallback_index * 1e6 / s->info.fps);
    (*fallback_index)++;
    SkyKeyframeNeed need;
    if (sky_feedback_take_keyframe_need(s->feedback, &need) &&
        need.gen == sky_video_pipeline_generation(s->vp)) {
        sky_video_pipeline_new_generation(s->vp);
        s->wait_keyframe = true;
    }
    if (s->wait_keyframe && !meta.keyframe) {
        sky_video_pipeline_skip(s->vp, &meta, (uint32_t)(*pkt)->size, SKY_DROP_WAIT_KEYFRAME);
        return;
    }
    s->wait_keyframe = false;
    while (!atomic_load(&s->abort_flag)) {
        int ret = sky_video_pipeline_submit(s->vp, pkt, &meta, 100000);
        if (ret != SKY_ERR(ETIMEDOUT))
            break;
    }
}

static void *reader_thread(void *arg)
{
    SkySourceFile *s = arg;
    AVPacket *pkt = av_packet_alloc();
    int64_t index = 0;
    SkyLogLimit audio_limit = SKY_LOG_LIMIT_INIT;
    s->origin_ts_us = INT64_MIN;
    while (pkt && !atomic_load(&s->abort_flag)) {
        int ret = av_read_frame(s->fmt, pkt);
        if (ret == AVERROR_EOF)
            break;
        if (ret < 0) {
            if (ret != AVERROR_EXIT)
                SKY_LOGW(TAG, "reading stopped early: %s", sky_strerror(ret));
            break;
        }
        int64_t t_us = packet_time_us(s, pkt);
        if (pkt->stream_index == s->video_index) {
            /* Elementary streams (.h264, .hevc) carry no timestamps: pace them at the frame
             * rate, as submit_video times them. */
            if (t_us == INT64_MIN && s->info.fps > 0)
                t_us = (int64_t)((double)index * 1e6 / s->info.fps);
            pace(s, t_us);
            AVPacket *owned = av_packet_clone(pkt);
            if (owned) {
                submit_video(s, &owned, &index);
                av_packet_free(&owned); /* still ours if the pipeline refused it */
            }
        } else if (pkt->stream_index == s->audio_index && s->audio) {
            pace(s, t_us);
            int64_t pts_us = pkt->pts != AV_NOPTS_VALUE
                                 ? av_rescale_q(pkt->pts, s->fmt->streams[pkt->stream_index]->time_base,
                                                AV_TIME_BASE_Q)
                                 : t_us;
            ret = sky_audio_submit(s->audio, pkt->data, (size_t)pkt->size, pts_us);
            if (ret < 0 && ret != SKY_ERR(EAGAIN))
                sky_log_limited(&audio_limit, sky_time_us(), SKY_LOG_WARN, TAG,
                                "audio packet refused: %s", sky_strerror(ret));
        }
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    if (!atomic_load(&s->abort_flag))
        sky_video_pipeline_end(s->vp);
    atomic_store(&s->done, true);
    return NULL;
}

int sky_source_file_start(SkySourceFile *s, SkyVideoPipeline *vp, SkyAudio *audio,
                          SkyFeedback *feedback, bool pacing)
{
    if (s->thread_started)
        return SKY_ERR(EINVAL);
    s->vp = vp;
    s->audio = audio;
    s->feedback = feedback;
    s->pacing = pacing;
    if (pthread_create(&s->thread, NULL, reader_thread, s) != 0)
        return SKY_ERR(EAGAIN);
    s->thread_started = true;
    return 0;
}

bool sky_source_file_done(SkySourceFile *s)
{
    return atomic_load(&s->done);
}

void sky_source_file_destroy(SkySourceFile **ps)
{
    SkySourceFile *s = *ps;
    if (!s)
        return;
    atomic_store(&s->abort_flag, true);
    if (s->thread_started)
        pthread_join(s->thread, NULL);
    avformat_close_input(&s->fmt);
    free(s);
    *ps = NULL;
}

/* --record: the received video and Opus remuxed into a file, from the first keyframe (recorder.h). */
/* Threads: open/close on the session's thread; video from the video receive thread, audio from
 * the audio receive thread, both under `lock`. */
#include "client/media/recorder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "record"

struct SkyRecorder {
    SkyRecorderCfg cfg;
    char path[4096];
    pthread_mutex_t lock;
    /* Guarded by lock. */
    AVFormatContext *fmt;
    AVStream *video, *audio;
    bool header_written;
    int error;
    uint32_t last_ts90k;
    int64_t video_ext;       /* 90 kHz since the first frame */
    bool audio_started;
    uint32_t audio_first_ms; /* audio timestamps count from its first packet */
    uint64_t frames, audio_packets;
};

int sky_recorder_open(SkyRecorder **out, const SkyRecorderCfg *cfg)
{
    *out = NULL;
    SkyRecorder *r = calloc(1, sizeof(*r));
    if (!r)
        return SKY_ERR(ENOMEM);
    r->cfg = *cfg;
    snprintf(r->path, sizeof(r->path), "%s", cfg->path);
    r->cfg.path = r->path;
    pthread_mutex_init(&r->lock, NULL);
    const AVOutputFormat *of = av_guess_format(NULL, cfg->path, NULL);
    if (!of)
        of = av_guess_format("matroska", NULL, NULL);
    int ret = avformat_alloc_output_context2(&r->fmt, of, NULL, cfg->path);
    if (ret < 0 || !r->fmt) {
        SKY_LOGE(TAG, "cannot record to %s: %s", cfg->path, sky_strerror(ret));
        goto fail;
    }
    r->video = avformat_new_stream(r->fmt, NULL);
    if (!r->video) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    r->video->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    r->video->codecpar->codec_id = cfg->video_codec;
    r->video->codecpar->width = cfg->width;
    r->video->codecpar->height = cfg->height;
    r->video->time_base = (AVRational){1, 90000};
    if (cfg->audio) {
        r->audio = avformat_new_stream(r->fmt, NULL);
        if (!r->audio) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        AVCodecParameters *a = r->audio->codecpar;
        a->codec_type = AVMEDIA_TYPE_AUDIO;
        a->codec_id = AV_CODEC_ID_OPUS;
        a->sample_rate = SKY_OPUS_SAMPLE_RATE;
        av_channel_layout_default(&a->ch_layout, cfg->opus.channels);
        /* OpusHead: mapping family 0 for stereo; the stream's own mapping (family 255, in the
         * order the stream decodes to) otherwise. */
        const SkyOpusConfig *o = &cfg->opus;
        bool fam0 = o->channels <= 2 && o->streams == 1;
        size_t len = fam0 ? 19 : 21 + (size_t)o->channels;
        a->extradata = av_mallocz(len + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!a->extradata) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        uint8_t *h = a->extradata;
        memcpy(h, "OpusHead", 8);
        h[8] = 1;
        h[9] = (uint8_t)o->channels;
        h[10] = 0x38; /* pre-skip 312 */
        h[11] = 0x01;
        h[12] = 0x80; /* 48000 */
        h[13] = 0xbb;
        h[18] = fam0 ? 0 : 255;
        if (!fam0) {
            h[19] = (uint8_t)o->streams;
            h[20] = (uint8_t)o->coupled;
            memcpy(h + 21, o->mapping, (size_t)o->channels);
        }
        a->extradata_size = (int)len;
        r->audio->time_base = (AVRational){1, SKY_OPUS_SAMPLE_RATE};
    }
    if (!(of->flags & AVFMT_NOFILE)) {
        ret = avio_open(&r->fmt->pb, cfg->path, AVIO_FLAG_WRITE);
        if (ret < 0) {
            SKY_LOGE(TAG, "cannot write %s: %s", cfg->path, sky_strerror(ret));
            goto fail;
        }
    }
    SKY_LOGI(TAG, "recording to %s (%s)", cfg->path, of->name);
    *out = r;
    return 0;
fail:
    sky_recorder_close(&r);
    return ret < 0 ? ret : SKY_ERR(EIO);
}

/* The stream's parameter sets (SPS/PPS/VPS, the AV1 sequence header) from its first keyframe,
 * as the container's codec private data. */
static int set_extradata(SkyRecorder *r, const uint8_t *au, size_t len)
{
    const AVBitStreamFilter *f = av_bsf_get_by_name("extract_extradata");
    AVBSFContext *bsf = NULL;
    AVPacket *pkt = av_packet_alloc();
    int ret = f && pkt ? av_bsf_alloc(f, &bsf) : AVERROR(ENOSYS);
    if (ret >= 0) {
        bsf->par_in->codec_id = r->cfg.video_codec;
        ret = av_bsf_init(bsf);
    }
    if (ret >= 0)
        ret = av_new_packet(pkt, (int)len);
    if (ret >= 0) {
        memcpy(pkt->data, au, len);
        ret = av_bsf_send_packet(bsf, pkt);
    }
    if (ret >= 0)
        ret = av_bsf_receive_packet(bsf, pkt);
    if (ret >= 0) {
        size_t n = 0;
        uint8_t *x = av_packet_get_side_data(pkt, AV_PKT_DATA_NEW_EXTRADATA, &n);
        if (x && n) {
            AVCodecParameters *p = r->video->codecpar;
            p->extradata = av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE);
            if (!p->extradata) {
                ret = AVERROR(ENOMEM);
            } else {
                memcpy(p->extradata, x, n);
                p->extradata_size = (int)n;
            }
        }
    }
    av_packet_free(&pkt);
    av_bsf_free(&bsf);
    return ret < 0 ? ret : 0;
}

/* Writes one packet (lock held); a failure is logged and ends the recording. */
static int write_packet(SkyRecorder *r, AVStream *st, const uint8_t *data, size_t len,
                        int64_t pts, bool keyframe)
{
    AVPacket *pkt = av_packet_alloc();
    int ret = pkt ? av_new_packet(pkt, (int)len) : AVERROR(ENOMEM);
    if (ret >= 0) {
        memcpy(pkt->data, data, len);
        pkt->stream_index = st->index;
        pkt->pts = pkt->dts = pts;
        if (keyframe)
            pkt->flags |= AV_PKT_FLAG_KEY;
        ret = av_interleaved_write_frame(r->fmt, pkt);
    }
    av_packet_free(&pkt);
    if (ret < 0) {
        SKY_LOGE(TAG, "writing %s failed: %s", r->path, sky_strerror(ret));
        r->error = ret;
    }
    return ret;
}

int sky_recorder_video(SkyRecorder *r, const uint8_t *au, size_t len, bool keyframe,
                       uint32_t ts90k)
{
    int ret = 0;
    pthread_mutex_lock(&r->lock);
    if (r->error < 0 || (!r->header_written && !keyframe))
        goto done;
    if (!r->header_written) {
        set_extradata(r, au, len); /* without it most containers still play Annex B */
        ret = avformat_write_header(r->fmt, NULL);
        if (ret < 0) {
            SKY_LOGE(TAG, "cannot start %s: %s", r->path, sky_strerror(ret));
            r->error = ret;
            goto done;
        }
        r->header_written = true;
        r->video_ext = 0;
        r->last_ts90k = ts90k;
    } else {
        int32_t d = (int32_t)(ts90k - r->last_ts90k);
        r->video_ext += d > 0 ? d : 1; /* keep timestamps increasing whatever the host sent */
        r->last_ts90k = ts90k;
    }
    ret = write_packet(r, r->video, au, len,
                       av_rescale_q(r->video_ext, (AVRational){1, 90000}, r->video->time_base),
                       keyframe);
    if (ret >= 0)
        r->frames++;
done:
    pthread_mutex_unlock(&r->lock);
    return ret < 0 ? ret : 0;
}

int sky_recorder_audio(SkyRecorder *r, const uint8_t *opus, size_t len, uint32_t ts_ms)
{
    int ret = 0;
    if (!r->audio)
        return 0;
    pthread_mutex_lock(&r->lock);
    if (r->error < 0 || !r->header_written)
        goto done;
    if (!r->audio_started) {
        r->audio_started = true;
        r->audio_first_ms = ts_ms;
    }
    ret = write_packet(r, r->audio, opus, len,
                       av_rescale_q((int64_t)(uint32_t)(ts_ms - r->audio_first_ms),
                                    (AVRational){1, 1000}, r->audio->time_base),
                       false);
    if (ret >= 0)
        r->audio_packets++;
done:
    pthread_mutex_unlock(&r->lock);
    return ret < 0 ? ret : 0;
}

int sky_recorder_close(SkyRecorder **pr)
{
    SkyRecorder *r = *pr;
    if (!r)
        return 0;
    int err = r->error;
    if (r->fmt) {
        if (r->header_written) {
            int ret = av_write_trailer(r->fmt);
            if (ret < 0 && !err)
                err = ret;
            SKY_LOGI(TAG, "recorded %llu frames and %llu audio packets to %s",
                     (unsigned long long)r->frames, (unsigned long long)r->audio_packets,
                     r->path);
        } else {
            SKY_LOGW(TAG, "nothing was recorded to %s (no keyframe arrived)", r->path);
        }
        if (r->fmt->pb)
            avio_closep(&r->fmt->pb);
        avformat_free_context(r->fmt);
    }
    pthread_mutex_destroy(&r->lock);
    free(r);
    *pr = NULL;
    return err;
}

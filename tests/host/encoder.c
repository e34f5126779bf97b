/* The test host's video encoder over libavcodec's software encoders (encoder.h). */
#include "tests/host/encoder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "common/core/error.h"
#include "common/core/log.h"
#include "common/proto/sdp.h"

#define TAG "th-enc"

/* Packets drained from an AV1 encoder that was reopened for an IDR, not handed out yet. */
#define MAX_HELD 16

struct SkyThEncoder {
    SkyThEncoderCfg cfg;
    const AVCodec *codec;
    AVCodecContext *ctx;
    AVFrame *frame;   /* the picture handed out by sky_th_encoder_picture */
    AVPacket *pkt;    /* the last packet handed out by sky_th_encoder_receive */
    bool reopen_for_idr; /* SVT-AV1 */
    int64_t sent;
    size_t n_held, held_pos;
    AVPacket *held[MAX_HELD];
};

const char *sky_th_encoder_name(int codec)
{
    switch (codec) {
    case SKY_SDP_CODEC_H264:
        return "libx264";
    case SKY_SDP_CODEC_HEVC:
        return "libx265";
    case SKY_SDP_CODEC_AV1:
        return "libsvtav1";
    default:
        return "?";
    }
}

static void set_colour(AVCodecContext *c, int csc_mode, bool pq)
{
    switch (pq ? 3 : csc_mode >> 1) {
    case 3:
        c->colorspace = AVCOL_SPC_BT2020_NCL;
        c->color_primaries = AVCOL_PRI_BT2020;
        c->color_trc = AVCOL_TRC_SMPTE2084;
        break;
    case 1:
        c->colorspace = AVCOL_SPC_BT709;
        c->color_primaries = AVCOL_PRI_BT709;
        c->color_trc = AVCOL_TRC_BT709;
        break;
    case 2:
        c->colorspace = AVCOL_SPC_BT2020_NCL;
        c->color_primaries = AVCOL_PRI_BT2020;
        c->color_trc = AVCOL_TRC_BT2020_10;
        break;
    default:
        c->colorspace = AVCOL_SPC_SMPTE170M;
        c->color_primaries = AVCOL_PRI_SMPTE170M;
        c->color_trc = AVCOL_TRC_SMPTE170M;
        break;
    }
    c->color_range = csc_mode & 1 ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
}

/* Whether the mastering metadata goes into the bitstream. */
static bool has_mastering(const SkyThEncoderCfg *cfg)
{
    return cfg->pq && cfg->mastering.has_metadata;
}

/* x265's master-display and max-cll parameters (":..." for its params). Its units are the
 * message's: chromaticity in 1/50000, luminance in 1/10000 cd/m2. */
static void x265_mastering(const SkyControlHdrMode *m, char *out, size_t cap)
{
    snprintf(out, cap,
             ":master-display=G(%u,%u)B(%u,%u)R(%u,%u)WP(%u,%u)L(%lu,%u):max-cll=%u,%u",
             m->primaries[1][0], m->primaries[1][1], m->primaries[2][0], m->primaries[2][1],
             m->primaries[0][0], m->primaries[0][1], m->white_point[0], m->white_point[1],
             (unsigned long)m->max_display_luminance * 10000, m->min_display_luminance,
             m->max_content_light_level, m->max_frame_average_light_level);
}

/* SVT-AV1's mastering-display and content-light parameters (":..." for its params), in
 * chromaticity and cd/m2. */
static void svtav1_mastering(const SkyControlHdrMode *m, char *out, size_t cap)
{
    snprintf(out, cap,
             ":mastering-display=G(%.5f,%.5f)B(%.5f,%.5f)R(%.5f,%.5f)WP(%.5f,%.5f)L(%u,%.4f)"
             ":content-light=%u,%u",
             m->primaries[1][0] / 50000.0, m->primaries[1][1] / 50000.0,
             m->primaries[2][0] / 50000.0, m->primaries[2][1] / 50000.0,
             m->primaries[0][0] / 50000.0, m->primaries[0][1] / 50000.0,
             m->white_point[0] / 50000.0, m->white_point[1] / 50000.0, m->max_display_luminance,
             m->min_display_luminance / 10000.0, m->max_content_light_level,
             m->max_frame_average_light_level);
}

/* The encoder's private options: low latency, IDRs only at the start and on request. */
static int set_private(AVCodecContext *c, const SkyThEncoderCfg *cfg)
{
    char params[512], mastering[256] = "";
    int ret = 0;
    switch (cfg->codec) {
    case SKY_SDP_CODEC_H264:
        if ((ret = av_opt_set(c->priv_data, "preset", "ultrafast", 0)) < 0 ||
            (ret = av_opt_set(c->priv_data, "tune", "zerolatency", 0)) < 0 ||
            (ret = av_opt_set_int(c->priv_data, "forced-idr", 1, 0)) < 0)
            return ret;
        return av_opt_set(c->priv_data, "x264-params", "keyint=infinite:scenecut=0:bframes=0",
                          0);
    case SKY_SDP_CODEC_HEVC:
        if ((ret = av_opt_set(c->priv_data, "preset", "ultrafast", 0)) < 0 ||
            (ret = av_opt_set(c->priv_data, "tune", "zerolatency", 0)) < 0 ||
            (ret = av_opt_set_int(c->priv_data, "forced-idr", 1, 0)) < 0)
            return ret;
        if (has_mastering(cfg))
            x265_mastering(&cfg->mastering, mastering, sizeof(mastering));
        snprintf(params, sizeof(params),
                 "keyint=-1:min-keyint=1:scenecut=0:open-gop=0:bframes=0:slices=%d:"
                 "frame-threads=1:repeat-headers=1:log-level=error%s",
                 cfg->slices, mastering);
        return av_opt_set(c->priv_data, "x265-params", params, 0);
    case SKY_SDP_CODEC_AV1:
        /* Low-delay prediction (no reordering), CBR, no lookahead, no periodic or scene-cut
         * key frames. Preset 12 (the fastest) leaves small changing areas stale for many
         * frames (the barcode); 10 does not. */
        if ((ret = av_opt_set_int(c->priv_data, "preset", 10, 0)) < 0)
            return ret;
        if (has_mastering(cfg))
            svtav1_mastering(&cfg->mastering, mastering, sizeof(mastering));
        snprintf(params, sizeof(params), "pred-struct=1:rc=2:lookahead=0:keyint=-1:scd=0%s",
                 mastering);
        return av_opt_set(c->priv_data, "svtav1-params", params, 0);
    default:
        return SKY_ERR(EINVAL);
    }
}

/* Ends the stream (SVT-AV1 complains when closed without it) and drops what comes out. */
static void drain_and_drop(SkyThEncoder *e)
{
    if (!e->ctx || !e->pkt || !e->sent || avcodec_send_frame(e->ctx, NULL) < 0)
        return;
    while (avcodec_receive_packet(e->ctx, e->pkt) >= 0)
        av_packet_unref(e->pkt);
}

void sky_th_encoder_destroy(SkyThEncoder **pe)
{
    SkyThEncoder *e = *pe;
    if (!e)
        return;
    drain_and_drop(e);
    avcodec_free_context(&e->ctx);
    av_frame_free(&e->frame);
    av_packet_free(&e->pkt);
    for (size_t i = 0; i < MAX_HELD; i++)
        av_packet_free(&e->held[i]);
    free(e);
    *pe = NULL;
}

static int open_ctx(SkyThEncoder *e)
{
    const SkyThEncoderCfg *cfg = &e->cfg;
    const char *name = e->codec->name;
    AVCodecContext *c = avcodec_alloc_context3(e->codec);
    if (!c)
        return SKY_ERR(ENOMEM);
    int64_t bps = (int64_t)cfg->bitrate_kbps * 1000;
    c->width = cfg->width;
    c->height = cfg->height;
    c->pix_fmt = cfg->yuv444 ? (cfg->ten_bit ? AV_PIX_FMT_YUV444P10 : AV_PIX_FMT_YUV444P)
                             : (cfg->ten_bit ? AV_PIX_FMT_YUV420P10 : AV_PIX_FMT_YUV420P);
    c->time_base = (AVRational){1, cfg->fps};
    c->framerate = (AVRational){cfg->fps, 1};
    c->bit_rate = bps;
    if (cfg->codec != SKY_SDP_CODEC_AV1) {
        /* CBR with a one-frame buffer (SVT-AV1 takes CBR from its own option below and refuses
         * a maximum rate equal to the target). */
        c->rc_max_rate = bps;
        c->rc_buffer_size = (int)(bps / cfg->fps > INT32_MAX ? INT32_MAX : bps / cfg->fps);
    }
    c->max_b_frames = 0;
    /* No periodic keyframes: 0 leaves the GOP to the private options above. */
    c->gop_size = cfg->codec == SKY_SDP_CODEC_AV1 ? 0 : 1 << 30;
    c->slices = cfg->codec == SKY_SDP_CODEC_AV1 ? 0 : cfg->slices;
    c->thread_count = cfg->threads;
    c->flags |= AV_CODEC_FLAG_LOW_DELAY;
    set_colour(c, cfg->csc_mode, cfg->pq);
    int ret = set_private(c, cfg);
    if (ret < 0) {
        SKY_LOGE(TAG, "%s: cannot set its options: %s", name, sky_strerror(ret));
        avcodec_free_context(&c);
        return ret;
    }
    if ((ret = avcodec_open2(c, e->codec, NULL)) < 0) {
        SKY_LOGE(TAG, "cannot open %s for %dx%d@%d: %s", name, cfg->width, cfg->height, cfg->fps,
                 sky_strerror(ret));
        avcodec_free_context(&c);
        return ret;
    }
    avcodec_free_context(&e->ctx);
    e->ctx = c;
    return 0;
}

int sky_th_encoder_create(SkyThEncoder **out, const SkyThEncoderCfg *cfg)
{
    *out = NULL;
    if (cfg->width < 16 || cfg->height < 16 || cfg->width > 16384 || cfg->height > 16384 ||
        (cfg->width | cfg->height) & 1 || cfg->fps < 1 || cfg->fps > 1000 ||
        cfg->bitrate_kbps < 1 || cfg->slices < 1 || cfg->slices > 255 ||
        (cfg->ten_bit && cfg->codec == SKY_SDP_CODEC_H264) || (cfg->pq && !cfg->ten_bit))
        return SKY_ERR(EINVAL);
    if (cfg->yuv444 && cfg->codec == SKY_SDP_CODEC_AV1)
        return SKY_ERR(ENOTSUP);
    const char *name = sky_th_encoder_name(cfg->codec);
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    if (!codec) {
        SKY_LOGE(TAG, "libavcodec has no %s encoder", name);
        return SKY_ERR(ENOSYS);
    }
    int ret = SKY_ERR(ENOMEM);
    SkyThEncoder *e = calloc(1, sizeof(*e));
    if (!e)
        return ret;
    e->cfg = *cfg;
    e->codec = codec;
    /* SVT-AV1 (1.4) forces key frames only in random-access CRF/CQP mode, not in low-delay CBR:
     * an IDR request reopens the encoder instead. */
    e->reopen_for_idr = cfg->codec == SKY_SDP_CODEC_AV1;
    e->frame = av_frame_alloc();
    e->pkt = av_packet_alloc();
    if (!e->frame || !e->pkt)
        goto fail;
    for (size_t i = 0; i < MAX_HELD; i++)
        if (!(e->held[i] = av_packet_alloc()))
            goto fail;
    if ((ret = open_ctx(e)) < 0)
        goto fail;
    AVCodecContext *c = e->ctx;
    e->frame->format = c->pix_fmt;
    e->frame->width = c->width;
    e->frame->height = c->height;
    e->frame->color_range = c->color_range;
    e->frame->colorspace = c->colorspace;
    e->frame->color_primaries = c->color_primaries;
    e->frame->color_trc = c->color_trc;
    if ((ret = av_frame_get_buffer(e->frame, 0)) < 0)
        goto fail;
    SKY_LOGV(TAG, "%s %dx%d@%d %d kbps, %d slice(s), %s%s", name, cfg->width, cfg->height,
             cfg->fps, cfg->bitrate_kbps, cfg->slices, av_get_pix_fmt_name(c->pix_fmt),
             cfg->pq ? ", BT.2020 PQ" : "");
    *out = e;
    return 0;
fail:
    sky_th_encoder_destroy(&e);
    return ret;
}

int sky_th_encoder_picture(SkyThEncoder *e, SkyThPicture *pic)
{
    int ret = av_frame_make_writable(e->frame);
    if (ret < 0)
        return ret;
    memset(pic, 0, sizeof(*pic));
    for (int i = 0; i < 3; i++) {
        pic->data[i] = e->frame->data[i];
        pic->stride[i] = e->frame->linesize[i];
    }
    pic->width = e->cfg.width;
    pic->height = e->cfg.height;
    pic->bit_depth = e->cfg.ten_bit ? 10 : 8;
    pic->full_range = e->cfg.csc_mode & 1;
    pic->yuv444 = e->cfg.yuv444;
    pic->pq = e->cfg.pq;
    return 0;
}

/* Drains the encoder (every frame sent comes out into `held`) and opens a fresh one, whose
 * first frame is a key frame. */
static int reopen(SkyThEncoder *e)
{
    int ret = avcodec_send_frame(e->ctx, NULL);
    while (ret >= 0) {
        ret = avcodec_receive_packet(e->ctx, e->pkt);
        if (ret < 0)
            break;
        if (e->n_held < MAX_HELD)
            av_packet_move_ref(e->held[e->n_held++], e->pkt);
        else
            av_packet_unref(e->pkt); /* cannot happen with low-delay settings */
    }
    if (ret != AVERROR_EOF && ret < 0)
        SKY_LOGW(TAG, "draining the encoder: %s", sky_strerror(ret));
    return open_ctx(e);
}

int sky_th_encoder_send(SkyThEncoder *e, int64_t pts, bool force_idr)
{
    if (force_idr && e->reopen_for_idr && e->sent > 0) {
        int ret = reopen(e);
        if (ret < 0)
            return ret;
    }
    e->frame->pts = pts;
    e->frame->pict_type = force_idr ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    e->frame->key_frame = force_idr;
    int ret = avcodec_send_frame(e->ctx, e->frame);
    if (ret == 0)
        e->sent++;
    return ret;
}

int sky_th_encoder_receive(SkyThEncoder *e, SkyThPacket *pkt)
{
    av_packet_unref(e->pkt);
    memset(pkt, 0, sizeof(*pkt));
    int ret;
    if (e->held_pos < e->n_held) {
        av_packet_move_ref(e->pkt, e->held[e->held_pos++]);
        if (e->held_pos == e->n_held)
            e->held_pos = e->n_held = 0;
        ret = 0;
    } else {
        ret = avcodec_receive_packet(e->ctx, e->pkt);
    }
    if (ret == AVERROR(EAGAIN))
        return SKY_ERR(EAGAIN);
    if (ret < 0)
        return ret;
    pkt->data = e->pkt->data;
    pkt->len = (size_t)e->pkt->size;
    pkt->pts = e->pkt->pts;
    pkt->keyframe = e->pkt->flags & AV_PKT_FLAG_KEY;
    return 0;
}

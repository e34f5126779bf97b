/* The video decoder: libavcodec with low-delay settings, hardware backends probed in get_format,
 * the fall-back to software (decoder.h). */
#include "client/media/decoder.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/hwcontext.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "decoder"

const SkyOpt sky_decoder_opts_table[] = {
    {"decoder", SKY_OPT_CHOICE, offsetof(SkyDecoderOpts, backend), 0, 0, 0,
     "auto|software|vaapi|vdpau|cuda|vulkan|v4l2m2m", "auto", NULL,
     "video decoder; auto tries hardware first and falls back to software"},
    {"hwdevice", SKY_OPT_STRING, offsetof(SkyDecoderOpts, device),
     sizeof(((SkyDecoderOpts *)0)->device), 0, 0, NULL, "", "PATH",
     "hardware device for the decoder (e.g. /dev/dri/renderD128, a CUDA index)"},
    {"decoder-threads", SKY_OPT_INT, offsetof(SkyDecoderOpts, threads), 0, 0, 64, NULL, "0", "N",
     "software decoder slice threads; 0 = one per core"},
    {"max-hw-failures", SKY_OPT_INT, offsetof(SkyDecoderOpts, max_hw_failures), 0, 1, 1000, NULL,
     "3", "N", "consecutive hardware decode errors before falling back to software"},
    SKY_OPT_END,
};

static const char *const backend_names[SKY_BACKEND_COUNT] = {
    "auto", "software", "vaapi", "vdpau", "cuda", "vulkan", "v4l2m2m",
};

/* The order `auto` tries the hardware backends in. */
static const SkyDecoderBackend auto_order[] = {
    SKY_BACKEND_VAAPI, SKY_BACKEND_VDPAU, SKY_BACKEND_CUDA, SKY_BACKEND_VULKAN,
    SKY_BACKEND_V4L2M2M,
};

const char *sky_decoder_backend_name(SkyDecoderBackend b)
{
    return (unsigned)b < SKY_BACKEND_COUNT ? backend_names[b] : "?";
}

struct SkyDecoder {
    /* Owned by the decoding thread after creation. */
    SkyDecoderCfg cfg;
    uint8_t *extradata;
    SkyDecoderBackend backend;
    AVCodecContext *ctx;
    AVBufferRef *hw_device;
    enum AVPixelFormat hw_pix_fmt; /* AV_PIX_FMT_NONE in software */
    AVFrame *hw_frame;             /* hardware picture before download */
    bool warned_sw_format;
};

static enum AVHWDeviceType device_type(SkyDecoderBackend b)
{
    switch (b) {
    case SKY_BACKEND_VAAPI: return AV_HWDEVICE_TYPE_VAAPI;
    case SKY_BACKEND_VDPAU: return AV_HWDEVICE_TYPE_VDPAU;
    case SKY_BACKEND_CUDA: return AV_HWDEVICE_TYPE_CUDA;
    case SKY_BACKEND_VULKAN: return AV_HWDEVICE_TYPE_VULKAN;
    default: return AV_HWDEVICE_TYPE_NONE;
    }
}

static const char *codec_short_name(enum AVCodecID id)
{
    switch (id) {
    case AV_CODEC_ID_H264: return "h264";
    case AV_CODEC_ID_HEVC: return "hevc";
    case AV_CODEC_ID_AV1: return "av1";
    default: return NULL;
    }
}

static const AVCodec *find_software_codec(enum AVCodecID id)
{
    if (id == AV_CODEC_ID_AV1) {
        /* FFmpeg's native AV1 decoder only drives hardware; dav1d is the software one. */
        return avcodec_find_decoder_by_name("libdav1d");
    }
    return avcodec_find_decoder(id);
}

static enum AVPixelFormat get_format(AVCodecContext *ctx, const enum AVPixelFormat *fmts)
{
    SkyDecoder *d = ctx->opaque;
    for (const enum AVPixelFormat *p = fmts; *p != AV_PIX_FMT_NONE; p++)
        if (*p == d->hw_pix_fmt)
            return *p;
    /* The hardware cannot take this stream (profile, bit depth, size): FFmpeg offers software
     * formats too, and the first non-hardware one decodes on the CPU. */
    for (const enum AVPixelFormat *p = fmts; *p != AV_PIX_FMT_NONE; p++) {
        const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(*p);
        if (desc && !(desc->flags & AV_PIX_FMT_FLAG_HWACCEL)) {
            if (!d->warned_sw_format)
                SKY_LOGW(TAG, "%s cannot decode this stream; decoding it in software",
                         sky_decoder_backend_name(d->backend));
            d->warned_sw_format = true;
            return *p;
        }
    }
    return AV_PIX_FMT_NONE;
}

static void close_codec(SkyDecoder *d)
{
    avcodec_free_context(&d->ctx);
    av_buffer_unref(&d->hw_device);
    d->hw_pix_fmt = AV_PIX_FMT_NONE;
}

/* Opens `codec` with the common low-latency settings. hw_device may be NULL. */
static int open_context(SkyDecoder *d, const AVCodec *codec, bool hw)
{
    AVDictionary *dict = NULL;
    d->ctx = avcodec_alloc_context3(codec);
    if (!d->ctx)
        return SKY_ERR(ENOMEM);
    AVCodecContext *ctx = d->ctx;
    ctx->opaque = d;
    if (d->cfg.low_delay)
        ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    ctx->width = d->cfg.width;
    ctx->height = d->cfg.height;
    if (d->extradata) {
        ctx->extradata = av_mallocz(d->cfg.extradata_len + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!ctx->extradata)
            return SKY_ERR(ENOMEM);
        memcpy(ctx->extradata, d->extradata, d->cfg.extradata_len);
        ctx->extradata_size = (int)d->cfg.extradata_len;
    }
    if (hw) {
        ctx->hw_device_ctx = av_buffer_ref(d->hw_device);
        if (!ctx->hw_device_ctx)
            return SKY_ERR(ENOMEM);
        ctx->get_format = get_format;
        ctx->thread_count = 1;
    } else {
        /* Slice threads only: frame threads add a frame of latency per thread. */
        ctx->thread_type = FF_THREAD_SLICE;
        ctx->thread_count = d->cfg.opts.threads;
    }
    if (strcmp(codec->name, "libdav1d") == 0) {
        /* One frame in flight: FFmpeg 5.1's wrapper sets dav1d's max_frame_delay to 1 from the
         * low-delay flag; FFmpeg 6 and later also take the option by name. */
        ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
        av_dict_set(&dict, "max_frame_delay", "1", 0);
    }
    int ret = avcodec_open2(ctx, codec, &dict);
    av_dict_free(&dict);
    return ret;
}

static int open_software(SkyDecoder *d)
{
    const AVCodec *codec = find_software_codec(d->cfg.codec_id);
    if (!codec) {
        SKY_LOGE(TAG, "this FFmpeg has no software %s decoder%s",
                 codec_short_name(d->cfg.codec_id),
                 d->cfg.codec_id == AV_CODEC_ID_AV1 ? " (libdav1d)" : "");
        return SKY_ERR(ENOSYS);
    }
    int ret = open_context(d, codec, false);
    if (ret < 0) {
        SKY_LOGE(TAG, "cannot open the %s decoder: %s", codec->name, sky_strerror(ret));
        close_codec(d);
        return ret;
    }
    d->backend = SKY_BACKEND_SOFTWARE;
    SKY_LOGI(TAG, "decoding %s in software (%s, %d slice threads%s)",
             codec_short_name(d->cfg.codec_id), codec->name, d->ctx->thread_count,
             d->cfg.low_delay ? ", low delay" : "");
    return 0;
}

/* Tries one hardware backend. Returns 0, or SKY_ERR(ENODEV) with the reason logged at `lvl`. */
static int open_hw(SkyDecoder *d, SkyDecoderBackend b, SkyLogLevel lvl)
{
    const char *name = sky_decoder_backend_name(b);
    const char *cname = codec_short_name(d->cfg.codec_id);
    const char *dev = d->cfg.opts.device[0] ? d->cfg.opts.device : NULL;
    int ret;

    if (b == SKY_BACKEND_V4L2M2M) {
        char dec_name[32];
        snprintf(dec_name, sizeof(dec_name), "%s_v4l2m2m", cname);
        const AVCodec *codec = avcodec_find_decoder_by_name(dec_name);
        if (!codec) {
            sky_log(lvl, TAG, "v4l2m2m: this FFmpeg has no %s decoder", dec_name);
            return SKY_ERR(ENODEV);
        }
        ret = open_context(d, codec, false);
        if (ret < 0) {
            sky_log(lvl, TAG, "v4l2m2m: no usable V4L2 %s decoder device (%s)", cname,
                    sky_strerror(ret));
            close_codec(d);
            return SKY_ERR(ENODEV);
        }
        d->backend = b;
        SKY_LOGI(TAG, "decoding %s with %s", cname, dec_name);
        return 0;
    }

    enum AVHWDeviceType type = device_type(b);
    /* The hardware path of AV1 is FFmpeg's native decoder, not dav1d. */
    const AVCodec *codec = avcodec_find_decoder(d->cfg.codec_id);
    if (!codec) {
        sky_log(lvl, TAG, "%s: this FFmpeg has no %s decoder", name, cname);
        return SKY_ERR(ENODEV);
    }
    d->hw_pix_fmt = AV_PIX_FMT_NONE;
    for (int i = 0;; i++) {
        const AVCodecHWConfig *hc = avcodec_get_hw_config(codec, i);
        if (!hc)
            break;
        if ((hc->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) && hc->device_type == type) {
            d->hw_pix_fmt = hc->pix_fmt;
            break;
        }
    }
    if (d->hw_pix_fmt == AV_PIX_FMT_NONE) {
        sky_log(lvl, TAG, "%s: this FFmpeg (libavcodec %s) cannot decode %s with %s", name,
                AV_STRINGIFY(LIBAVCODEC_VERSION), cname, name);
        return SKY_ERR(ENODEV);
    }
    ret = av_hwdevice_ctx_create(&d->hw_device, type, dev, NULL, 0);
    if (ret < 0) {
        sky_log(lvl, TAG, "%s: no device%s%s (%s)", name, dev ? " " : "", dev ? dev : "",
                sky_strerror(ret));
        close_codec(d);
        return SKY_ERR(ENODEV);
    }
    d->backend = b;
    ret = open_context(d, codec, true);
    if (ret < 0) {
        sky_log(lvl, TAG, "%s: cannot open the %s decoder (%s)", name, cname, sky_strerror(ret));
        close_codec(d);
        return SKY_ERR(ENODEV);
    }
    SKY_LOGI(TAG, "decoding %s with %s (%s)", cname, name, av_get_pix_fmt_name(d->hw_pix_fmt));
    return 0;
}

int sky_decoder_create(SkyDecoder **out, const SkyDecoderCfg *cfg)
{
    *out = NULL;
    if (!codec_short_name(cfg->codec_id)) {
        SKY_LOGE(TAG, "unsupported video codec '%s' (supported: h264, hevc, av1)",
                 avcodec_get_name(cfg->codec_id));
        return SKY_ERR(ENOSYS);
    }
    if ((unsigned)cfg->opts.backend >= SKY_BACKEND_COUNT)
        return SKY_ERR(EINVAL);
    SkyDecoder *d = calloc(1, sizeof(*d));
    if (!d)
        return SKY_ERR(ENOMEM);
    d->cfg = *cfg;
    d->cfg.extradata = NULL;
    d->hw_pix_fmt = AV_PIX_FMT_NONE;
    int ret = SKY_ERR(ENOMEM);
    if (cfg->extradata && cfg->extradata_len) {
        d->extradata = malloc(cfg->extradata_len);
        if (!d->extradata)
            goto fail;
        memcpy(d->extradata, cfg->extradata, cfg->extradata_len);
    }
    d->hw_frame = av_frame_alloc();
    if (!d->hw_frame)
        goto fail;

    SkyDecoderBackend want = (SkyDecoderBackend)cfg->opts.backend;
    if (want == SKY_BACKEND_SOFTWARE) {
        ret = open_software(d);
    } else if (want == SKY_BACKEND_AUTO) {
        ret = SKY_ERR(ENODEV);
        for (size_t i = 0; i < sizeof(auto_order) / sizeof(auto_order[0]) && ret < 0; i++)
            ret = open_hw(d, auto_order[i], SKY_LOG_VERBOSE);
        if (ret < 0) {
            SKY_LOGI(TAG, "no hardware decoder available for %s; using software "
                          "(--log-level verbose shows why)",
                     codec_short_name(cfg->codec_id));
            ret = open_software(d);
        }
    } else {
        ret = open_hw(d, want, SKY_LOG_ERROR);
        if (ret < 0)
            SKY_LOGE(TAG, "--decoder %s is not available on this machine",
                     sky_decoder_backend_name(want));
    }
    if (ret < 0)
        goto fail;
    *out = d;
    return 0;
fail:
    sky_decoder_destroy(&d);
    return ret;
}

void sky_decoder_destroy(SkyDecoder **pd)
{
    SkyDecoder *d = *pd;
    if (!d)
        return;
    close_codec(d);
    av_frame_free(&d->hw_frame);
    free(d->extradata);
    free(d);
    *pd = NULL;
}

SkyDecoderBackend sky_decoder_backend(const SkyDecoder *d)
{
    return d->backend;
}

bool sky_decoder_is_hw(const SkyDecoder *d)
{
    return d->backend != SKY_BACKEND_SOFTWARE;
}

int sky_decoder_send(SkyDecoder *d, const AVPacket *pkt)
{
    return avcodec_send_packet(d->ctx, pkt);
}

int sky_decoder_receive(SkyDecoder *d, AVFrame *frame)
{
    av_frame_unref(frame);
    if (d->hw_pix_fmt == AV_PIX_FMT_NONE)
        return avcodec_receive_frame(d->ctx, frame);
    int ret = avcodec_receive_frame(d->ctx, d->hw_frame);
    if (ret < 0)
        return ret;
    if (d->hw_frame->format != d->hw_pix_fmt || d->cfg.keep_hw_frames) {
        /* get_format chose a software format for this stream, or the renderer maps it. */
        av_frame_move_ref(frame, d->hw_frame);
        return 0;
    }
    ret = av_hwframe_transfer_data(frame, d->hw_frame, 0);
    if (ret >= 0)
        ret = av_frame_copy_props(frame, d->hw_frame);
    av_frame_unref(d->hw_frame);
    if (ret < 0)
        av_frame_unref(frame);
    return ret;
}

void sky_decoder_flush(SkyDecoder *d)
{
    avcodec_flush_buffers(d->ctx);
}

int sky_decoder_fall_back(SkyDecoder *d)
{
    SKY_LOGW(TAG, "%s keeps failing; falling back to software decoding",
             sky_decoder_backend_name(d->backend));
    close_codec(d);
    return open_software(d);
}

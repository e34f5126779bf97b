/* The `sdl` renderer driver: SDL_Renderer on the window's thread, YUV textures (IYUV or NV12)
 * for 8-bit 4:2:0 pictures in a matrix and range SDL converts (BT.601 and BT.709 limited range,
 * BT.601 full range), other SDR pictures converted on the CPU (deeper 4:2:0 to 8-bit 4:2:0;
 * 4:4:4, RGB and the matrices SDL lacks to RGB, so no chroma is lost), letterboxed, the overlay
 * on top. Primaries are not converted (BT.601's and BT.2020's are shown as BT.709's). It cannot
 * tone-map: HDR pictures are refused rather than shown washed out (driver.h). */
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "client/render/driver.h"
#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "render"
#define GL_RENDERER_STRING 0x1F01

typedef struct Sdl {
    SDL_Renderer *renderer;
    SDL_Texture *texture;
    Uint32 tex_format;
    int tex_w, tex_h;
    SDL_YUV_CONVERSION_MODE tex_yuv_mode;
    double dar;                  /* of the last picture */
    struct SwsContext *sws;
    AVFrame *converted;          /* what SDL cannot take as it is, converted */
    SDL_Texture *overlay;
    uint64_t overlay_serial;
    int overlay_w, overlay_h;
    bool hdr_logged;
} Sdl;

static void sdl_close(void **priv)
{
    Sdl *s = *priv;
    if (!s)
        return;
    sws_freeContext(s->sws);
    av_frame_free(&s->converted);
    if (s->overlay)
        SDL_DestroyTexture(s->overlay);
    if (s->texture)
        SDL_DestroyTexture(s->texture);
    if (s->renderer)
        SDL_DestroyRenderer(s->renderer);
    free(s);
    *priv = NULL;
}

static void describe(Sdl *s, SkyDriverInfo *info)
{
    SDL_RendererInfo ri;
    if (SDL_GetRendererInfo(s->renderer, &ri) != 0)
        ri.name = "?";
    snprintf(info->api, sizeof(info->api), "sdl-%s", ri.name);
    info->software = strcmp(ri.name, "software") == 0;
    snprintf(info->device, sizeof(info->device), "%s", info->software ? "the CPU" : ri.name);
    if (strncmp(ri.name, "opengl", 6) == 0) {
        /* SDL's GL renderer made its context current on this thread. */
        const unsigned char *(*get_string)(unsigned) =
            (const unsigned char *(*)(unsigned))SDL_GL_GetProcAddress("glGetString");
        const unsigned char *name = get_string ? get_string(GL_RENDERER_STRING) : NULL;
        if (name) {
            snprintf(info->device, sizeof(info->device), "%s", (const char *)name);
            info->software = strstr((const char *)name, "llvmpipe") ||
                             strstr((const char *)name, "softpipe") ||
                             strstr((const char *)name, "Software");
        }
    }
}

static int sdl_open(void **priv, SDL_Window *win, const SkyRenderOpts *opts, SkyDriverInfo *info)
{
    *priv = NULL;
    Sdl *s = calloc(1, sizeof(*s));
    if (!s)
        return SKY_ERR(ENOMEM);
    Uint32 vsync = opts->vsync ? SDL_RENDERER_PRESENTVSYNC : 0;
    s->renderer = SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED | vsync);
    if (!s->renderer) {
        SKY_LOGW(TAG, "no accelerated SDL renderer (%s); using SDL's software renderer",
                 SDL_GetError());
        s->renderer = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE | vsync);
    }
    s->converted = av_frame_alloc();
    if (!s->renderer || !s->converted) {
        SKY_LOGE(TAG, "cannot create an SDL renderer: %s", SDL_GetError());
        sdl_close((void **)&s);
        return SKY_ERR(ENODEV);
    }
    describe(s, info);
    SDL_SetRenderDrawColor(s->renderer, 0, 0, 0, 255);
    SDL_RenderClear(s->renderer);
    SDL_RenderPresent(s->renderer);
    *priv = s;
    return 0;
}

static bool sdl_takes_format(void *priv, int fmt)
{
    (void)priv;
    (void)fmt;
    return false; /* hardware pictures are always downloaded */
}

/* A picture's YUV matrix: its own, or for unspecified, BT.709 for HD pictures and BT.601 for SD
 * ones (the convention). */
static int matrix_of(const AVFrame *f)
{
    int cs = f->colorspace;
    if (cs == AVCOL_SPC_UNSPECIFIED || cs == AVCOL_SPC_RESERVED)
        cs = f->height >= 720 ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
    return cs;
}

static bool full_range(const AVFrame *f)
{
    return f->color_range == AVCOL_RANGE_JPEG || f->format == AV_PIX_FMT_YUVJ420P;
}

/* SDL 2's conversion for the picture's matrix and range, if it has one: BT.601 and BT.709 in
 * limited range, BT.601 only in full range ("JPEG"). Other pictures (full-range BT.709, BT.2020)
 * are converted to RGB on the CPU, which knows every matrix. */
static bool yuv_mode(const AVFrame *f, SDL_YUV_CONVERSION_MODE *mode)
{
    switch (matrix_of(f)) {
    case AVCOL_SPC_BT709:
        *mode = SDL_YUV_CONVERSION_BT709;
        return !full_range(f);
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
    case AVCOL_SPC_FCC:
        *mode = full_range(f) ? SDL_YUV_CONVERSION_JPEG : SDL_YUV_CONVERSION_BT601;
        return true;
    default:
        return false;
    }
}

/* Converts f into s->converted as `to` (8-bit 4:2:0, or BGRA for pictures with full chroma),
 * keeping the matrix and range (to RGB: full range). */
static const AVFrame *convert(Sdl *s, const AVFrame *f, enum AVPixelFormat to)
{
    AVFrame *c = s->converted;
    if (c->width != f->width || c->height != f->height || c->format != to) {
        av_frame_unref(c);
        c->format = to;
        c->width = f->width;
        c->height = f->height;
        if (av_frame_get_buffer(c, 0) < 0)
            return NULL;
    }
    int flags = SWS_POINT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP;
    s->sws = sws_getCachedContext(s->sws, f->width, f->height, f->format, f->width, f->height,
                                  to, flags, NULL, NULL, NULL);
    if (!s->sws)
        return NULL;
    int full = full_range(f);
    const int *coefs = sws_getCoefficients(matrix_of(f));
    sws_setColorspaceDetails(s->sws, coefs, full, coefs, to == AV_PIX_FMT_BGRA ? 1 : full, 0,
                             1 << 16, 1 << 16);
    if (sws_scale(s->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, c->data,
                  c->linesize) != f->height)
        return NULL;
    c->colorspace = f->colorspace;
    c->color_range = to == AV_PIX_FMT_BGRA ? AVCOL_RANGE_JPEG : f->color_range;
    c->sample_aspect_ratio = f->sample_aspect_ratio;
    return c;
}

/* A picture SDL can upload, its texture format and YUV conversion (RGB textures keep the
 * texture's). */
static const AVFrame *uploadable(Sdl *s, const AVFrame *f, Uint32 *fmt,
                                 SDL_YUV_CONVERSION_MODE *mode)
{
    *mode = s->tex_yuv_mode;
    bool sdl_yuv = yuv_mode(f, mode);
    if (sdl_yuv && (f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P)) {
        *fmt = SDL_PIXELFORMAT_IYUV;
        return f;
    }
    if (sdl_yuv && f->format == AV_PIX_FMT_NV12) {
        *fmt = SDL_PIXELFORMAT_NV12;
        return f;
    }
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    bool full_chroma = d && d->log2_chroma_w == 0 && d->log2_chroma_h == 0;
    if (full_chroma || !sdl_yuv) {
        *fmt = SDL_PIXELFORMAT_ARGB8888; /* BGRA bytes on little-endian machines */
        *mode = s->tex_yuv_mode;
        return convert(s, f, AV_PIX_FMT_BGRA);
    }
    *fmt = SDL_PIXELFORMAT_IYUV;
    return convert(s, f, AV_PIX_FMT_YUV420P);
}

static int upload(Sdl *s, const AVFrame *frame)
{
    if (frame->color_trc == AVCOL_TRC_SMPTE2084 || frame->color_trc == AVCOL_TRC_ARIB_STD_B67) {
        if (!s->hdr_logged)
            SKY_LOGE(TAG, "the sdl renderer cannot tone-map HDR pictures; use --renderer placebo");
        s->hdr_logged = true;
        return SKY_ERR(ENOSYS);
    }
    Uint32 fmt = 0;
    SDL_YUV_CONVERSION_MODE mode;
    const AVFrame *f = uploadable(s, frame, &fmt, &mode);
    if (!f) {
        SKY_LOGE(TAG, "cannot convert %s pictures for display",
                 av_get_pix_fmt_name(frame->format));
        return SKY_ERR(ENOSYS);
    }
    if (!s->texture || s->tex_format != fmt || s->tex_w != f->width || s->tex_h != f->height ||
        s->tex_yuv_mode != mode) {
        if (s->texture) {
            if (s->tex_w != f->width || s->tex_h != f->height)
                SKY_LOGI(TAG, "picture size changed: %dx%d -> %dx%d", s->tex_w, s->tex_h,
                         f->width, f->height);
            SDL_DestroyTexture(s->texture);
        }
        SDL_SetYUVConversionMode(mode);
        s->texture = SDL_CreateTexture(s->renderer, fmt, SDL_TEXTUREACCESS_STREAMING, f->width,
                                       f->height);
        if (!s->texture) {
            SKY_LOGE(TAG, "cannot create a %dx%d texture: %s", f->width, f->height,
                     SDL_GetError());
            return SKY_ERR(ENOMEM);
        }
        s->tex_format = fmt;
        s->tex_w = f->width;
        s->tex_h = f->height;
        s->tex_yuv_mode = mode;
    }
    int ret;
    if (fmt == SDL_PIXELFORMAT_NV12)
        ret = SDL_UpdateNVTexture(s->texture, NULL, f->data[0], f->linesize[0], f->data[1],
                                  f->linesize[1]);
    else if (fmt == SDL_PIXELFORMAT_IYUV)
        ret = SDL_UpdateYUVTexture(s->texture, NULL, f->data[0], f->linesize[0], f->data[1],
                                   f->linesize[1], f->data[2], f->linesize[2]);
    else
        ret = SDL_UpdateTexture(s->texture, NULL, f->data[0], f->linesize[0]);
    if (ret != 0) {
        SKY_LOGE(TAG, "texture upload failed: %s", SDL_GetError());
        return SKY_ERR(EIO);
    }
    s->dar = sky_render_frame_dar(f);
    return 0;
}

static void update_overlay(Sdl *s, const SkyOverlayImage *ov)
{
    if (!ov || ov->serial == s->overlay_serial)
        return;
    if (s->overlay)
        SDL_DestroyTexture(s->overlay);
    s->overlay = SDL_CreateTexture(s->renderer, SDL_PIXELFORMAT_ABGR8888,
                                   SDL_TEXTUREACCESS_STATIC, ov->w, ov->h);
    if (!s->overlay)
        return;
    SDL_UpdateTexture(s->overlay, NULL, ov->rgba, (int)ov->stride);
    SDL_SetTextureBlendMode(s->overlay, SDL_BLENDMODE_BLEND);
    s->overlay_serial = ov->serial;
    s->overlay_w = ov->w;
    s->overlay_h = ov->h;
}

static int sdl_draw(void *priv, const AVFrame *frame, int out_w, int out_h,
                    const SkyOverlayImage *ov)
{
    Sdl *s = priv;
    (void)out_w;
    (void)out_h;
    if (frame) {
        int ret = upload(s, frame);
        if (ret < 0)
            return ret;
    }
    int ow, oh, x, y, w, h;
    SDL_SetRenderDrawColor(s->renderer, 0, 0, 0, 255);
    SDL_RenderClear(s->renderer);
    if (s->texture && SDL_GetRendererOutputSize(s->renderer, &ow, &oh) == 0) {
        sky_render_letterbox(ow, oh, s->dar, &x, &y, &w, &h);
        SDL_Rect dst = {x, y, w, h};
        SDL_RenderCopy(s->renderer, s->texture, NULL, &dst);
    }
    update_overlay(s, ov);
    if (ov && s->overlay) {
        SDL_Rect box = {0, 0, s->overlay_w, s->overlay_h};
        SDL_RenderCopy(s->renderer, s->overlay, NULL, &box);
    }
    return 0;
}

static int sdl_present(void *priv)
{
    Sdl *s = priv;
    SDL_RenderPresent(s->renderer);
    return 0;
}

static void sdl_release(void *priv)
{
    (void)priv;
}

const SkyRenderDriver sky_render_driver_sdl = {
    .name = "sdl",
    .main_thread = true,
    .window_flags = 0,
    .open = sdl_open,
    .takes_format = sdl_takes_format,
    .draw = sdl_draw,
    .present = sdl_present,
    .release = sdl_release,
    .close = sdl_close,
};

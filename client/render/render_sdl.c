/* The SDL window and renderer: YUV textures, letterboxing, fullscreen, the stats overlay
 * (render_sdl.h). */
#include "client/render/render_sdl.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <SDL_ttf.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "render"

const SkyOpt sky_render_opts_table[] = {
    {"window-mode", SKY_OPT_CHOICE, offsetof(SkyRenderOpts, window_mode), 0, 0, 0,
     "windowed|fullscreen|borderless", "windowed", NULL, "how the window is shown"},
    {"window-width", SKY_OPT_INT, offsetof(SkyRenderOpts, width), 0, 0, 16384, NULL, "0", "PX",
     "window width; 0 = the video's"},
    {"window-height", SKY_OPT_INT, offsetof(SkyRenderOpts, height), 0, 0, 16384, NULL, "0", "PX",
     "window height; 0 = the video's"},
    {"vsync", SKY_OPT_BOOL, offsetof(SkyRenderOpts, vsync), 0, 0, 0, NULL, "yes", NULL,
     "wait for the display's refresh when presenting (off: lowest latency, may tear)"},
    SKY_OPT_END,
};

struct SkyRender {
    /* Main thread only. */
    SkyRenderOpts opts;
    SDL_Window *window;
    SDL_Renderer *renderer;
    SDL_Texture *texture;
    Uint32 tex_format;
    int tex_w, tex_h;
    SDL_YUV_CONVERSION_MODE tex_yuv_mode;
    double dar; /* display aspect ratio of the last picture */
    bool fullscreen;
    struct SwsContext *sws;
    AVFrame *converted; /* 8-bit 4:2:0 copy for formats SDL cannot take */
    /* The stats overlay (Ctrl+Alt+Shift+S). */
    bool overlay;
    bool ttf_started;
    TTF_Font *font;
    SDL_Texture *overlay_tex;
    int overlay_w, overlay_h;
};

void sky_render_letterbox(int out_w, int out_h, double dar, int *x, int *y, int *w, int *h)
{
    if (out_w <= 0 || out_h <= 0 || !(dar > 0) || !isfinite(dar)) {
        *x = *y = 0;
        *w = out_w > 0 ? out_w : 0;
        *h = out_h > 0 ? out_h : 0;
        return;
    }
    double out_ar = (double)out_w / out_h;
    if (dar > out_ar) { /* wider than the output: bars above and below */
        *w = out_w;
        *h = (int)lround(out_w / dar);
    } else {
        *h = out_h;
        *w = (int)lround(out_h * dar);
    }
    if (*w < 1)
        *w = 1;
    if (*h < 1)
        *h = 1;
    *x = (out_w - *w) / 2;
    *y = (out_h - *h) / 2;
}

static Uint32 window_flags(SkyWindowMode m)
{
    switch (m) {
    case SKY_WINDOW_FULLSCREEN: return SDL_WINDOW_FULLSCREEN;
    case SKY_WINDOW_BORDERLESS: return SDL_WINDOW_FULLSCREEN_DESKTOP;
    default: return 0;
    }
}

int sky_render_create(SkyRender **out, const SkyRenderOpts *opts, const char *title,
                      int video_width, int video_height)
{
    *out = NULL;
    SkyRender *r = calloc(1, sizeof(*r));
    if (!r)
        return SKY_ERR(ENOMEM);
    r->opts = *opts;
    int w = opts->width > 0 ? opts->width : video_width > 0 ? video_width : 1280;
    int h = opts->height > 0 ? opts->height : video_height > 0 ? video_height : 720;
    Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI |
                   window_flags((SkyWindowMode)opts->window_mode);
    r->fullscreen = opts->window_mode != SKY_WINDOW_WINDOWED;
    r->window = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w, h, flags);
    if (!r->window) {
        SKY_LOGE(TAG, "cannot create a window: %s", SDL_GetError());
        sky_render_destroy(&r);
        return SKY_ERR(ENODEV);
    }
    Uint32 rflags = opts->vsync ? SDL_RENDERER_PRESENTVSYNC : 0;
    r->renderer = SDL_CreateRenderer(r->window, -1, SDL_RENDERER_ACCELERATED | rflags);
    if (!r->renderer) {
        SKY_LOGW(TAG, "no accelerated renderer (%s); using SDL's software renderer",
                 SDL_GetError());
        r->renderer = SDL_CreateRenderer(r->window, -1, SDL_RENDERER_SOFTWARE | rflags);
    }
    if (!r->renderer) {
        SKY_LOGE(TAG, "cannot create a renderer: %s", SDL_GetError());
        sky_render_destroy(&r);
        return SKY_ERR(ENODEV);
    }
    SDL_RendererInfo info;
    if (SDL_GetRendererInfo(r->renderer, &info) == 0)
        SKY_LOGI(TAG, "window %dx%d, renderer %s, vsync %s", w, h, info.name,
                 opts->vsync ? "on" : "off");
    r->converted = av_frame_alloc();
    if (!r->converted) {
        sky_render_destroy(&r);
        return SKY_ERR(ENOMEM);
    }
    SDL_SetRenderDrawColor(r->renderer, 0, 0, 0, 255);
    SDL_RenderClear(r->renderer);
    SDL_RenderPresent(r->renderer);
    *out = r;
    return 0;
}

void sky_render_destroy(SkyRender **pr)
{
    SkyRender *r = *pr;
    if (!r)
        return;
    sws_freeContext(r->sws);
    av_frame_free(&r->converted);
    if (r->overlay_tex)
        SDL_DestroyTexture(r->overlay_tex);
    if (r->font)
        TTF_CloseFont(r->font);
    if (r->ttf_started)
        TTF_Quit();
    if (r->texture)
        SDL_DestroyTexture(r->texture);
    if (r->renderer)
        SDL_DestroyRenderer(r->renderer);
    if (r->window)
        SDL_DestroyWindow(r->window);
    free(r);
    *pr = NULL;
}

uint32_t sky_render_window_id(const SkyRender *r)
{
    return SDL_GetWindowID(r->window);
}

static SDL_YUV_CONVERSION_MODE yuv_mode(const AVFrame *f)
{
    if (f->color_range == AVCOL_RANGE_JPEG || f->format == AV_PIX_FMT_YUVJ420P)
        return SDL_YUV_CONVERSION_JPEG;
    switch (f->colorspace) {
    case AVCOL_SPC_BT709: return SDL_YUV_CONVERSION_BT709;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
    case AVCOL_SPC_FCC: return SDL_YUV_CONVERSION_BT601;
    default:
        /* Unspecified: HD pictures are BT.709 by convention, SD ones BT.601. */
        return f->height >= 720 ? SDL_YUV_CONVERSION_BT709 : SDL_YUV_CONVERSION_BT601;
    }
}

/* Gives a picture SDL can upload: the frame itself, or an 8-bit 4:2:0 conversion. */
static const AVFrame *uploadable(SkyRender *r, const AVFrame *f, Uint32 *fmt)
{
    if (f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P) {
        *fmt = SDL_PIXELFORMAT_IYUV;
        return f;
    }
    if (f->format == AV_PIX_FMT_NV12) {
        *fmt = SDL_PIXELFORMAT_NV12;
        return f;
    }
    AVFrame *c = r->converted;
    if (c->width != f->width || c->height != f->height || c->format != AV_PIX_FMT_YUV420P) {
        av_frame_unref(c);
        c->format = AV_PIX_FMT_YUV420P;
        c->width = f->width;
        c->height = f->height;
        if (av_frame_get_buffer(c, 0) < 0)
            return NULL;
    }
    r->sws = sws_getCachedContext(r->sws, f->width, f->height, f->format, f->width, f->height,
                                  AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
    if (!r->sws)
        return NULL;
    /* Keep the range and matrix: only depth and chroma layout change. */
    int full = f->color_range == AVCOL_RANGE_JPEG;
    const int *coefs = sws_getCoefficients(f->colorspace == AVCOL_SPC_UNSPECIFIED
                                               ? SWS_CS_DEFAULT
                                               : (int)f->colorspace);
    sws_setColorspaceDetails(r->sws, coefs, full, coefs, full, 0, 1 << 16, 1 << 16);
    if (sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, c->data,
                  c->linesize) != f->height)
        return NULL;
    c->colorspace = f->colorspace;
    c->color_range = f->color_range;
    c->sample_aspect_ratio = f->sample_aspect_ratio;
    *fmt = SDL_PIXELFORMAT_IYUV;
    return c;
}

static void draw(SkyRender *r)
{
    int ow, oh, x, y, w, h;
    SDL_SetRenderDrawColor(r->renderer, 0, 0, 0, 255);
    SDL_RenderClear(r->renderer);
    if (r->texture && SDL_GetRendererOutputSize(r->renderer, &ow, &oh) == 0) {
        sky_render_letterbox(ow, oh, r->dar, &x, &y, &w, &h);
        SDL_Rect dst = {x, y, w, h};
        SDL_RenderCopy(r->renderer, r->texture, NULL, &dst);
    }
    if (r->overlay && r->overlay_tex) {
        SDL_Rect box = {0, 0, r->overlay_w + 16, r->overlay_h + 12};
        SDL_Rect text = {8, 6, r->overlay_w, r->overlay_h};
        SDL_SetRenderDrawBlendMode(r->renderer, SDL_BLENDMODE_BLEND);
        SDL_SetRenderDrawColor(r->renderer, 0, 0, 0, 160);
        SDL_RenderFillRect(r->renderer, &box);
        SDL_RenderCopy(r->renderer, r->overlay_tex, NULL, &text);
    }
    SDL_RenderPresent(r->renderer);
}

int sky_render_frame(SkyRender *r, const AVFrame *frame)
{
    Uint32 fmt = 0;
    const AVFrame *f = uploadable(r, frame, &fmt);
    if (!f) {
        SKY_LOGE(TAG, "cannot convert %s pictures for display",
                 av_get_pix_fmt_name(frame->format));
        return SKY_ERR(ENOSYS);
    }
    SDL_YUV_CONVERSION_MODE mode = yuv_mode(f);
    if (!r->texture || r->tex_format != fmt || r->tex_w != f->width || r->tex_h != f->height ||
        r->tex_yuv_mode != mode) {
        if (r->texture) {
            if (r->tex_w != f->width || r->tex_h != f->height)
                SKY_LOGI(TAG, "picture size changed: %dx%d -> %dx%d", r->tex_w, r->tex_h,
                         f->width, f->height);
            SDL_DestroyTexture(r->texture);
        }
        SDL_SetYUVConversionMode(mode);
        r->texture = SDL_CreateTexture(r->renderer, fmt, SDL_TEXTUREACCESS_STREAMING, f->width,
                                       f->height);
        if (!r->texture) {
            SKY_LOGE(TAG, "cannot create a %dx%d texture: %s", f->width, f->height,
                     SDL_GetError());
            return SKY_ERR(ENOMEM);
        }
        r->tex_format = fmt;
        r->tex_w = f->width;
        r->tex_h = f->height;
        r->tex_yuv_mode = mode;
    }
    int ret;
    if (fmt == SDL_PIXELFORMAT_NV12)
        ret = SDL_UpdateNVTexture(r->texture, NULL, f->data[0], f->linesize[0], f->data[1],
                                  f->linesize[1]);
    else
        ret = SDL_UpdateYUVTexture(r->texture, NULL, f->data[0], f->linesize[0], f->data[1],
                                   f->linesize[1], f->data[2], f->linesize[2]);
    if (ret != 0) {
        SKY_LOGE(TAG, "texture upload failed: %s", SDL_GetError());
        return SKY_ERR(EIO);
    }
    AVRational sar = f->sample_aspect_ratio;
    double s = sar.num > 0 && sar.den > 0 ? av_q2d(sar) : 1.0;
    r->dar = (double)f->width * s / f->height;
    draw(r);
    return 0;
}

void sky_render_redraw(SkyRender *r)
{
    draw(r);
}

void sky_render_toggle_fullscreen(SkyRender *r)
{
    SkyWindowMode m = r->opts.window_mode == SKY_WINDOW_WINDOWED ? SKY_WINDOW_BORDERLESS
                                                                 : (SkyWindowMode)r->opts.window_mode;
    r->fullscreen = !r->fullscreen;
    SDL_SetWindowFullscreen(r->window, r->fullscreen ? window_flags(m) : 0);
}

/* ---- Stats overlay ---- */

/* The font: $SKYLIGHT_FONT, the installed copy, or the source tree's (a build run in place). */
static TTF_Font *open_font(int size)
{
    const char *env = getenv("SKYLIGHT_FONT");
    const char *paths[] = {env, SKY_INSTALL_DATADIR "/skylight/DejaVuSansMono.ttf",
                           SKY_SOURCE_ASSETS "/DejaVuSansMono.ttf"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        if (!paths[i] || !paths[i][0])
            continue;
        TTF_Font *f = TTF_OpenFont(paths[i], size);
        if (f)
            return f;
    }
    return NULL;
}

void sky_render_toggle_overlay(SkyRender *r)
{
    if (!r->ttf_started) {
        if (TTF_Init() < 0) {
            SKY_LOGW(TAG, "no stats overlay: %s", TTF_GetError());
            return;
        }
        r->ttf_started = true;
        r->font = open_font(14);
        if (!r->font)
            SKY_LOGW(TAG, "no stats overlay: its font is missing (%s)", TTF_GetError());
    }
    if (!r->font)
        return;
    r->overlay = !r->overlay;
    SKY_LOGI(TAG, "stats overlay %s", r->overlay ? "on" : "off");
    draw(r);
}

bool sky_render_overlay_shown(const SkyRender *r)
{
    return r->overlay;
}

void sky_render_overlay_text(SkyRender *r, const char *text)
{
    if (!r->overlay || !r->font)
        return;
    SDL_Color white = {255, 255, 255, 255};
    SDL_Surface *surf = TTF_RenderUTF8_Blended_Wrapped(r->font, text, white, 0);
    if (!surf)
        return;
    if (r->overlay_tex)
        SDL_DestroyTexture(r->overlay_tex);
    r->overlay_tex = SDL_CreateTextureFromSurface(r->renderer, surf);
    r->overlay_w = surf->w;
    r->overlay_h = surf->h;
    SDL_FreeSurface(surf);
}

/* The window, the choice of renderer driver, the drawing loop (on the render thread or the main
 * thread) and the overlay's hand-off between them (render.h). */
/* Threads (docs/threading.md): the window, the font, the overlay's text and the screen picture
 * are the main thread's. The drawing thread (the render thread, or the main thread for a
 * main-thread driver, and the main thread whenever no pipeline is attached) owns the driver
 * after `open`, takes pictures from the pipeline and finishes their timelines. The main thread
 * hands it the drawable size and redraw requests as atomics and the overlay picture (the
 * screen picture when one is set, else the stats overlay) under `overlay_lock` (a leaf). */
#define _POSIX_C_SOURCE 200809L
#include "client/render/render.h"

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL_ttf.h>
#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>

#include "client/assets.h"
#include "client/render/driver.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/core/time.h"

#define TAG "render"
/* How long the render thread waits for a picture before it looks at redraws and stop. */
#define WAIT_US 20000
/* Consecutive failed presents after which presentation gives up (about two seconds at 60 Hz:
 * a device or swapchain that does not come back). */
#define MAX_FAILURES 120
#define OVERLAY_PAD 8

const SkyOpt sky_render_opts_table[] = {
    {"window-mode", SKY_OPT_CHOICE, offsetof(SkyRenderOpts, window_mode), 0, 0, 0,
     "windowed|fullscreen|borderless", "windowed", NULL, "how the window is shown"},
    {"window-width", SKY_OPT_INT, offsetof(SkyRenderOpts, width), 0, 0, 16384, NULL, "0", "PX",
     "window width; 0 = the video's"},
    {"window-height", SKY_OPT_INT, offsetof(SkyRenderOpts, height), 0, 0, 16384, NULL, "0", "PX",
     "window height; 0 = the video's"},
    {"vsync", SKY_OPT_BOOL, offsetof(SkyRenderOpts, vsync), 0, 0, 0, NULL, "yes", NULL,
     "wait for the display's refresh when presenting (off: lowest latency, may tear)"},
    {"renderer", SKY_OPT_CHOICE, offsetof(SkyRenderOpts, renderer), 0, 0, 0,
     "auto|placebo|sdl", "auto", NULL,
     "placebo: libplacebo on Vulkan or OpenGL, on a render thread (HDR, 10-bit, 4:4:4, "
     "hardware frames without a copy); sdl: SDL's renderer on the main thread; auto: placebo, "
     "but sdl for 8-bit SDR on a software rasterizer, where it costs less"},
    {"gpu-api", SKY_OPT_CHOICE, offsetof(SkyRenderOpts, gpu_api), 0, 0, 0, "auto|vulkan|opengl",
     "auto", NULL,
     "what the placebo renderer draws with; auto: Vulkan on a GPU, OpenGL on a software "
     "rasterizer"},
    SKY_OPT_END,
};

struct SkyRender {
    SkyRenderCfg cfg;

    /* Main thread. */
    SDL_Window *window;
    bool fullscreen;
    const SkyRenderDriver *drv;
    void *priv;
    SkyDriverInfo info;
    SkyVideoPipeline *vp;
    pthread_t thread;
    bool thread_started;
    bool ttf_started;
    TTF_Font *font;
    bool overlay_on;
    char overlay_text[1024];      /* the stats overlay's latest text, to draw it again */
    bool screen_on;               /* a screen picture is shown (it takes the overlay's place) */
    uint64_t overlay_serial;
    bool main_drew;               /* the main thread drew without a pipeline since the last
                                   * start: it holds the driver's context until `release` */
    SkyStatsOut *stats;           /* the running pipeline's (the drawing thread reads them) */
    SkyFeedback *feedback;

    /* Main thread writes, the drawing thread reads. */
    atomic_bool stop;
    atomic_bool redraw;
    _Atomic int out_w, out_h;     /* the drawable, in pixels */

    /* Guarded by overlay_lock: the overlay picture waiting for the drawing thread (the screen
     * picture or the stats overlay: one slot, as the driver draws one). */
    pthread_mutex_t overlay_lock;
    bool ov_shown;
    uint8_t *ov_pixels;           /* NULL: none yet */
    int ov_w, ov_h;
    uint64_t ov_serial;

    /* The drawing thread writes, any thread reads. */
    _Atomic int state;            /* 0, SKY_ERR(EPIPE) at the end, or a fatal error */
    _Atomic uint64_t presented;
    _Atomic int64_t decode_us;

    /* The drawing thread only. */
    uint8_t *draw_ov;             /* its own copy of the overlay */
    int draw_ov_w, draw_ov_h;
    uint64_t draw_ov_serial;
    bool draw_ov_shown;
    AVFrame *download;            /* hardware pictures the driver does not take */
    bool hw_path_logged;         /* how hardware pictures get to the driver was said */
    int failures;                 /* consecutive failed draws or presents */
    uint32_t hdr_generation;      /* the host HDR mode message last handed to the driver */
    int64_t test_present_delay_us; /* SKY_TEST_HOOKS: every present made this much slower */
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

double sky_render_frame_dar(const AVFrame *f)
{
    AVRational sar = f->sample_aspect_ratio;
    double s = sar.num > 0 && sar.den > 0 ? av_q2d(sar) : 1.0;
    return f->height > 0 ? (double)f->width * s / f->height : 0;
}

/* ---- the window and the driver ---- */

static Uint32 mode_flags(SkyWindowMode m)
{
    switch (m) {
    case SKY_WINDOW_FULLSCREEN: return SDL_WINDOW_FULLSCREEN;
    case SKY_WINDOW_BORDERLESS: return SDL_WINDOW_FULLSCREEN_DESKTOP;
    default: return 0;
    }
}

static void update_size(SkyRender *r)
{
    int w = 0, h = 0;
    SDL_GetWindowSizeInPixels(r->window, &w, &h);
    atomic_store(&r->out_w, w);
    atomic_store(&r->out_h, h);
}

static void close_driver(SkyRender *r)
{
    if (r->drv)
        r->drv->close(&r->priv);
    r->drv = NULL;
    if (r->window)
        SDL_DestroyWindow(r->window);
    r->window = NULL;
}

/* Opens a window for drv and the driver on it. */
static int open_driver(SkyRender *r, const SkyRenderDriver *drv)
{
    const SkyRenderOpts *o = &r->cfg.opts;
    const SkyRenderContent *c = &r->cfg.content;
    int w = o->width > 0 ? o->width : c->width > 0 ? c->width : 1280;
    int h = o->height > 0 ? o->height : c->height > 0 ? c->height : 720;
    Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI | drv->window_flags |
                   mode_flags((SkyWindowMode)o->window_mode);
    r->window = SDL_CreateWindow(r->cfg.title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                 w, h, flags);
    if (!r->window) {
        SKY_LOGV(TAG, "%s: cannot create a window: %s", drv->name, SDL_GetError());
        return SKY_ERR(ENODEV);
    }
    memset(&r->info, 0, sizeof(r->info));
    int ret = drv->open(&r->priv, r->window, o, &r->info);
    if (ret < 0) {
        SDL_DestroyWindow(r->window);
        r->window = NULL;
        return ret;
    }
    r->drv = drv;
    r->fullscreen = o->window_mode != SKY_WINDOW_WINDOWED;
    update_size(r);
    return 0;
}

/* ---- a lost display ---- */

static char g_x_display[128]; /* the X server the window is on, for x_io_error */

/* Xlib calls this on whichever thread finds the connection to the X server gone (the main
 * thread's event loop, or the GL or Vulkan driver on the render thread). Xlib's own handler
 * calls exit() there, which tears libraries down under the other threads (placebo on OpenGL
 * crashed). Nothing more can be drawn, read or closed through a dead connection, and Xlib
 * must not get control back: say so and end at once. */
static int x_io_error(void *dpy)
{
    (void)dpy;
    SKY_LOGE(TAG, "the display went away (lost the connection to the X server %s): stopping",
             g_x_display);
    _exit(1);
}

/* On X11, a lost display ends the program with x_io_error's message instead of Xlib's exit(). */
static void watch_display(void)
{
    const char *driver = SDL_GetCurrentVideoDriver();
    if (!driver || strcmp(driver, "x11") != 0)
        return;
    /* SDL has loaded Xlib: take that copy, never another. */
    void *xlib = dlopen("libX11.so.6", RTLD_LAZY | RTLD_NOLOAD);
    typedef int (*IOErrorHandler)(void *);
    IOErrorHandler (*set_handler)(IOErrorHandler) =
        xlib ? (IOErrorHandler(*)(IOErrorHandler))dlsym(xlib, "XSetIOErrorHandler") : NULL;
    if (set_handler) {
        const char *name = getenv("DISPLAY");
        snprintf(g_x_display, sizeof(g_x_display), "%s", name ? name : "");
        set_handler(x_io_error);
    } else {
        SKY_LOGV(TAG, "cannot watch the X connection: %s", dlerror());
    }
    if (xlib)
        dlclose(xlib);
}

/* Whether sdl can show this content correctly, and is the cheaper choice on this device. */
static bool sdl_suits(const SkyRenderContent *c)
{
    return !c->hdr;
}

/* placebo with the API asked for; with auto, Vulkan unless it runs on a software rasterizer,
 * where OpenGL (llvmpipe) does better than Vulkan (lavapipe). */
static int open_placebo(SkyRender *r)
{
    int api = r->cfg.opts.gpu_api;
    if (api == SKY_GPU_API_OPENGL)
        return open_driver(r, &sky_render_driver_placebo_opengl);
    int ret = open_driver(r, &sky_render_driver_placebo_vulkan);
    if (api == SKY_GPU_API_VULKAN || (ret == 0 && !r->info.software))
        return ret;
    if (ret == 0) {
        SKY_LOGV(TAG, "Vulkan runs on a software rasterizer (%s): trying OpenGL", r->info.device);
        close_driver(r);
    } else {
        SKY_LOGV(TAG, "placebo on Vulkan is not available");
    }
    int gl = open_driver(r, &sky_render_driver_placebo_opengl);
    if (gl == 0 || ret < 0)
        return gl;
    return open_driver(r, &sky_render_driver_placebo_vulkan); /* software Vulkan, then */
}

static int choose(SkyRender *r)
{
    const SkyRenderContent *c = &r->cfg.content;
    int kind = r->cfg.opts.renderer;
    if (kind == SKY_RENDERER_SDL) {
        if (!sdl_suits(c)) {
            SKY_LOGE(TAG, "the sdl renderer cannot tone-map HDR pictures; use --renderer "
                          "placebo (or auto)");
            return SKY_ERR(ENOSYS);
        }
        return open_driver(r, &sky_render_driver_sdl);
    }
    int ret = open_placebo(r);
    if (kind == SKY_RENDERER_PLACEBO) {
        if (ret < 0)
            SKY_LOGE(TAG, "--renderer placebo: libplacebo has no working %s here "
                          "(--log-level verbose says why)",
                     r->cfg.opts.gpu_api == SKY_GPU_API_VULKAN   ? "Vulkan"
                     : r->cfg.opts.gpu_api == SKY_GPU_API_OPENGL ? "OpenGL"
                                                                  : "Vulkan or OpenGL");
        return ret;
    }
    /* auto: on a software rasterizer, SDL's renderer draws 8-bit 4:2:0 SDR for less. */
    bool cheap_sdl = !c->hdr && !c->deep && !c->yuv444;
    if (ret == 0 && !(r->info.software && cheap_sdl))
        return 0;
    if (ret == 0) {
        SKY_LOGV(TAG, "placebo runs on a software rasterizer (%s): sdl costs less for this "
                      "picture", r->info.device);
        close_driver(r);
    } else if (!sdl_suits(c)) {
        SKY_LOGE(TAG, "no renderer can show HDR pictures here: libplacebo has neither Vulkan nor "
                      "OpenGL (--log-level verbose says why)");
        return ret;
    }
    return open_driver(r, &sky_render_driver_sdl);
}

int sky_render_video_init(char *why, size_t cap)
{
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        snprintf(why, cap, "%s", SDL_GetError());
        return SKY_ERR(ENODEV);
    }
    const char *driver = SDL_GetCurrentVideoDriver();
    const char *forced = SDL_getenv("SDL_VIDEODRIVER");
    if (driver && (!forced || !forced[0]) &&
        (strcmp(driver, "offscreen") == 0 || strcmp(driver, "dummy") == 0)) {
        snprintf(why, cap, "SDL found only its '%s' video driver", driver);
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return SKY_ERR(ENODEV);
    }
    return 0;
}

int sky_render_create(SkyRender **out, const SkyRenderCfg *cfg)
{
    *out = NULL;
    SkyRender *r = calloc(1, sizeof(*r));
    if (!r)
        return SKY_ERR(ENOMEM);
    r->cfg = *cfg;
    pthread_mutex_init(&r->overlay_lock, NULL);
    r->download = av_frame_alloc();
    watch_display();
    int ret = r->download ? choose(r) : SKY_ERR(ENOMEM);
    if (ret < 0) {
        sky_render_destroy(&r);
        return ret;
    }
#ifdef SKY_TEST_HOOKS
    const char *delay = getenv("SKYLIGHT_TEST_PRESENT_DELAY_MS");
    if (delay && atoi(delay) > 0) {
        r->test_present_delay_us = (int64_t)atoi(delay) * 1000;
        SKY_LOGW(TAG, "test hook: every present takes %d ms longer", atoi(delay));
    }
#endif
    int w = 0, h = 0;
    SDL_GetWindowSize(r->window, &w, &h);
    SKY_LOGI(TAG, "window %dx%d, renderer %s (%s on %s%s), %s, vsync %s", w, h, r->drv->name,
             r->info.api, r->info.device, r->info.software ? ", a software rasterizer" : "",
             r->drv->main_thread ? "drawn on the main thread" : "drawn on a render thread",
             cfg->opts.vsync ? "on" : "off");
    *out = r;
    return 0;
}

void sky_render_destroy(SkyRender **pr)
{
    SkyRender *r = *pr;
    if (!r)
        return;
    sky_render_stop(r);
    close_driver(r);
    if (r->font)
        TTF_CloseFont(r->font);
    if (r->ttf_started)
        TTF_Quit();
    free(r->ov_pixels);
    free(r->draw_ov);
    av_frame_free(&r->download);
    pthread_mutex_destroy(&r->overlay_lock);
    free(r);
    *pr = NULL;
}

/* ---- drawing (the drawing thread) ---- */

/* The overlay picture to draw with, NULL when the overlay is off. */
static const SkyOverlayImage *take_overlay(SkyRender *r, SkyOverlayImage *img)
{
    pthread_mutex_lock(&r->overlay_lock);
    r->draw_ov_shown = r->ov_shown;
    if (r->ov_pixels && r->ov_serial != r->draw_ov_serial) {
        free(r->draw_ov);
        r->draw_ov = r->ov_pixels; /* taken over: the main thread makes a new one */
        r->ov_pixels = NULL;
        r->draw_ov_w = r->ov_w;
        r->draw_ov_h = r->ov_h;
        r->draw_ov_serial = r->ov_serial;
    }
    pthread_mutex_unlock(&r->overlay_lock);
    if (!r->draw_ov_shown || !r->draw_ov)
        return NULL;
    *img = (SkyOverlayImage){r->draw_ov, r->draw_ov_w, r->draw_ov_h, (size_t)r->draw_ov_w * 4,
                             r->draw_ov_serial};
    return img;
}

/* A hardware picture the driver does not take is downloaded (once said, not per picture). */
static const AVFrame *takeable(SkyRender *r, const AVFrame *f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    if (!d || !(d->flags & AV_PIX_FMT_FLAG_HWACCEL))
        return f;
    if (r->drv->takes_format(r->priv, f->format)) {
        if (!r->hw_path_logged)
            SKY_LOGI(TAG, "%s pictures are mapped by the %s renderer, without a copy", d->name,
                     r->drv->name);
        r->hw_path_logged = true;
        return f;
    }
    if (!r->hw_path_logged) {
        SKY_LOGI(TAG, "%s pictures are copied to system memory for the %s renderer",
                 d->name, r->drv->name);
        r->hw_path_logged = true;
    }
    av_frame_unref(r->download);
    if (av_hwframe_transfer_data(r->download, f, 0) < 0 ||
        av_frame_copy_props(r->download, f) < 0)
        return NULL;
    return r->download;
}

/* Hands the driver the host's HDR mode message when a new one has come. */
static void follow_hdr_mode(SkyRender *r)
{
    SkyControlHdrMode mode;
    uint32_t generation;
    if (!r->feedback || !r->drv->hdr_mode ||
        !sky_feedback_hdr_mode(r->feedback, &mode, &generation) ||
        generation == r->hdr_generation)
        return;
    r->hdr_generation = generation;
    r->drv->hdr_mode(r->priv, &mode);
}

static int draw_and_present(SkyRender *r, const AVFrame *f)
{
    follow_hdr_mode(r);
    SkyOverlayImage img;
    const SkyOverlayImage *ov = take_overlay(r, &img);
    int ret = r->drv->draw(r->priv, f, atomic_load(&r->out_w), atomic_load(&r->out_h), ov);
    if (ret == 0 && r->test_present_delay_us)
        sky_sleep_us(r->test_present_delay_us); /* a slow present, for tests */
    if (ret == 0)
        ret = r->drv->present(r->priv);
    if (ret == SKY_ERR(ENOSYS) || ret == SKY_ERR(EAGAIN))
        return ret; /* content it cannot show: no use going on; or nowhere to show it now */
    if (ret < 0) {
        if (++r->failures >= MAX_FAILURES) {
            SKY_LOGE(TAG, "the %s renderer cannot present any more (%s): the GPU or the window "
                          "went away",
                     r->drv->name, sky_strerror(ret));
            return ret;
        }
        return 0;
    }
    r->failures = 0;
    return 0;
}

/* Shows one picture and finishes its timeline. Returns 0 or a fatal error. */
static int show(SkyRender *r, AVFrame **frame, SkyFrameTiming *t)
{
    t->draw_start_us = sky_time_us();
    const AVFrame *f = takeable(r, *frame);
    int ret = f ? draw_and_present(r, f) : SKY_ERR(EIO);
    if (f && ret == 0 && r->failures == 0) {
        atomic_fetch_add(&r->presented, 1);
        atomic_fetch_add(&r->decode_us, t->decode_end_us - t->decode_start_us);
        sky_stats_out_presented(r->stats, t, sky_time_us());
    } else {
        t->fate = SKY_FATE_DROPPED;
        t->drop_reason = ret == SKY_ERR(EAGAIN) ? SKY_DROP_HIDDEN : SKY_DROP_DECODE_ERROR;
        sky_stats_out_frame_done(r->stats, t);
    }
    av_frame_free(frame);
    return ret == SKY_ERR(EAGAIN) ? 0 : ret;
}

/* Takes the next due picture within timeout_us and shows it, or redraws when asked. Returns 0,
 * SKY_ERR(EPIPE) at the end of the pictures, or a fatal error. */
static int draw_next(SkyRender *r, int64_t timeout_us)
{
    AVFrame *frame = NULL;
    SkyFrameTiming t;
    int ret = sky_video_pipeline_take(r->vp, &frame, &t, timeout_us);
    if (ret == 0)
        return show(r, &frame, &t);
    if (ret != SKY_ERR(EAGAIN) && ret != SKY_ERR(ETIMEDOUT))
        return ret;
    if (!atomic_exchange(&r->redraw, false))
        return 0;
    ret = draw_and_present(r, NULL);
    return ret == SKY_ERR(EAGAIN) ? 0 : ret;
}

static void *render_thread(void *arg)
{
    SkyRender *r = arg;
    int ret = 0;
    while (!atomic_load(&r->stop) && ret == 0)
        ret = draw_next(r, WAIT_US);
    if (ret < 0)
        atomic_store(&r->state, ret);
    r->drv->release(r->priv);
    /* SDL keeps per-thread state (the current GL context, the error text) for threads it did
     * not create until told to free it. */
    SDL_TLSCleanup();
    return NULL;
}

int sky_render_start(SkyRender *r, SkyVideoPipeline *vp, SkyStatsOut *stats,
                     SkyFeedback *feedback)
{
    stats = stats ? stats : r->cfg.stats;
    if (r->vp || !stats)
        return SKY_ERR(EINVAL);
    /* The drawing thread changes: what the main thread made current must be let go here, on
     * the thread that made it so (a GL context is current on one thread at a time). */
    if (r->main_drew)
        r->drv->release(r->priv);
    r->main_drew = false;
    r->stats = stats;
    r->feedback = feedback ? feedback : r->cfg.feedback;
    /* A new run: nothing of the last one's end, and no HDR mode message of its host. */
    atomic_store(&r->stop, false);
    atomic_store(&r->state, 0);
    r->failures = 0;
    if (r->hdr_generation && r->drv->hdr_mode)
        r->drv->hdr_mode(r->priv, &(SkyControlHdrMode){0});
    r->hdr_generation = 0;
    r->vp = vp;
    if (r->drv->main_thread)
        return 0;
    if (pthread_create(&r->thread, NULL, render_thread, r) != 0) {
        r->vp = NULL;
        return SKY_ERR(EAGAIN);
    }
    r->thread_started = true;
    return 0;
}

void sky_render_stop(SkyRender *r)
{
    if (!r->vp)
        return;
    atomic_store(&r->stop, true);
    if (r->thread_started)
        pthread_join(r->thread, NULL);
    else
        r->drv->release(r->priv);
    r->thread_started = false;
    r->vp = NULL;
    r->stats = NULL;
    r->feedback = NULL;
    atomic_store(&r->redraw, true); /* the window is the main thread's to draw again */
}

/* No pipeline: the main thread draws when something changed, and only then. */
static int redraw_idle(SkyRender *r)
{
    if (!atomic_exchange(&r->redraw, false))
        return 0;
    r->main_drew = true;
    int ret = draw_and_present(r, NULL);
    return ret == SKY_ERR(EAGAIN) ? 0 : ret;
}

int sky_render_poll(SkyRender *r)
{
    if (!r->vp)
        return redraw_idle(r);
    int state = atomic_load(&r->state);
    if (state < 0 || !r->drv->main_thread)
        return state;
    state = draw_next(r, 0);
    if (state < 0)
        atomic_store(&r->state, state);
    return state;
}

bool sky_render_redraw_due(const SkyRender *r)
{
    return !r->vp && atomic_load(&r->redraw);
}

bool sky_render_suits(const SkyRender *r, const SkyRenderContent *c)
{
    return r->drv != &sky_render_driver_sdl || sdl_suits(c);
}

bool sky_render_on_main_thread(const SkyRender *r)
{
    return r->drv->main_thread;
}

const char *sky_render_driver_name(const SkyRender *r)
{
    return r->drv->name;
}

bool sky_render_takes_hw_format(SkyRender *r, int av_pix_fmt)
{
    return r->drv->takes_format(r->priv, av_pix_fmt);
}

void sky_render_counts(SkyRender *r, uint64_t *presented, int64_t *decode_us)
{
    *presented = atomic_load(&r->presented);
    *decode_us = atomic_load(&r->decode_us);
}

/* ---- the window (main thread) ---- */

void sky_render_window_event(SkyRender *r, const SDL_WindowEvent *ev)
{
    switch (ev->event) {
    case SDL_WINDOWEVENT_SIZE_CHANGED:
    case SDL_WINDOWEVENT_RESIZED:
        update_size(r);
        atomic_store(&r->redraw, true);
        break;
    case SDL_WINDOWEVENT_EXPOSED:
        atomic_store(&r->redraw, true);
        break;
    default:
        break;
    }
}

void sky_render_toggle_fullscreen(SkyRender *r)
{
    SkyWindowMode m = r->cfg.opts.window_mode == SKY_WINDOW_WINDOWED
                          ? SKY_WINDOW_BORDERLESS
                          : (SkyWindowMode)r->cfg.opts.window_mode;
    r->fullscreen = !r->fullscreen;
    SDL_SetWindowFullscreen(r->window, r->fullscreen ? mode_flags(m) : 0);
    update_size(r);
    atomic_store(&r->redraw, true);
}

SDL_Window *sky_render_window(const SkyRender *r)
{
    return r->window;
}

uint32_t sky_render_window_id(const SkyRender *r)
{
    return SDL_GetWindowID(r->window);
}

void sky_render_output_size(const SkyRender *r, int *w, int *h)
{
    *w = *h = 0;
    SDL_GetWindowSizeInPixels(r->window, w, h);
}

/* ---- the stats overlay (main thread) ---- */

/* The font: $SKYLIGHT_FONT, else the bundled one. */
static TTF_Font *open_font(int size)
{
    const char *env = getenv("SKYLIGHT_FONT");
    TTF_Font *f = env && env[0] ? TTF_OpenFont(env, size) : NULL;
    return f ? f : sky_assets_open_font("DejaVuSansMono.ttf", size);
}

/* Main thread: hands the drawing thread its overlay picture (px, taken over; NULL: keeps the
 * picture it has) and whether to draw one at all. */
static void publish_overlay(SkyRender *r, uint8_t *px, int w, int h, bool shown)
{
    pthread_mutex_lock(&r->overlay_lock);
    if (px) {
        free(r->ov_pixels);
        r->ov_pixels = px;
        r->ov_w = w;
        r->ov_h = h;
        r->ov_serial = ++r->overlay_serial;
    }
    r->ov_shown = shown;
    pthread_mutex_unlock(&r->overlay_lock);
    atomic_store(&r->redraw, true);
}

/* The text in white on a translucent black box, as straight-alpha RGBA. */
static uint8_t *overlay_pixels(TTF_Font *font, const char *text, int *w, int *h)
{
    SDL_Color white = {255, 255, 255, 255};
    SDL_Surface *txt = TTF_RenderUTF8_Blended_Wrapped(font, text, white, 0);
    if (!txt)
        return NULL;
    SDL_Surface *rgba = SDL_ConvertSurfaceFormat(txt, SDL_PIXELFORMAT_ABGR8888, 0);
    SDL_FreeSurface(txt);
    if (!rgba)
        return NULL;
    *w = rgba->w + 2 * OVERLAY_PAD;
    *h = rgba->h + 2 * OVERLAY_PAD;
    uint8_t *px = malloc((size_t)*w * *h * 4);
    if (px) {
        for (int i = 0; i < *w * *h; i++)
            memcpy(px + 4 * i, (const uint8_t[4]){0, 0, 0, 160}, 4);
        /* Text over the black box ("over"; the box adds no colour). */
        for (int y = 0; y < rgba->h; y++) {
            const uint8_t *src = (const uint8_t *)rgba->pixels + (size_t)y * rgba->pitch;
            uint8_t *dst = px + ((size_t)(y + OVERLAY_PAD) * *w + OVERLAY_PAD) * 4;
            for (int x = 0; x < rgba->w; x++, src += 4, dst += 4) {
                unsigned a = src[3], out_a = a + dst[3] * (255 - a) / 255;
                for (int k = 0; k < 3 && out_a; k++)
                    dst[k] = (uint8_t)(src[k] * a / out_a);
                dst[3] = (uint8_t)out_a;
            }
        }
    }
    SDL_FreeSurface(rgba);
    return px;
}

/* The stats overlay from its latest text, when it is what the window shows; until its first
 * text, nothing (never a screen picture the drawing thread still holds). */
static void publish_stats(SkyRender *r)
{
    if (r->screen_on)
        return;
    int w = 0, h = 0;
    uint8_t *px = r->overlay_on && r->font && r->overlay_text[0]
                      ? overlay_pixels(r->font, r->overlay_text, &w, &h)
                      : NULL;
    publish_overlay(r, px, w, h, px != NULL);
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
    r->overlay_on = !r->overlay_on;
    SKY_LOGI(TAG, "stats overlay %s", r->overlay_on ? "on" : "off");
    publish_stats(r);
}

bool sky_render_overlay_shown(const SkyRender *r)
{
    return r->overlay_on;
}

void sky_render_overlay_text(SkyRender *r, const char *text)
{
    if (!r->overlay_on || !r->font)
        return;
    snprintf(r->overlay_text, sizeof(r->overlay_text), "%s", text);
    publish_stats(r);
}

void sky_render_set_screen(SkyRender *r, const uint8_t *rgba, int w, int h, size_t stride)
{
    if (!rgba || w <= 0 || h <= 0 || stride < (size_t)w * 4) {
        if (rgba)
            SKY_LOGW(TAG, "a %dx%d screen picture with %zu bytes a row is not shown", w, h,
                     stride);
        bool was = r->screen_on;
        r->screen_on = false;
        if (was)
            publish_stats(r);
        return;
    }
    size_t row = (size_t)w * 4;
    uint8_t *px = malloc(row * (size_t)h);
    if (!px) {
        SKY_LOGW(TAG, "no memory for a %dx%d screen picture", w, h);
        return;
    }
    for (int y = 0; y < h; y++)
        memcpy(px + row * (size_t)y, rgba + stride * (size_t)y, row);
    r->screen_on = true;
    publish_overlay(r, px, w, h, true);
}

bool sky_render_screen_shown(const SkyRender *r)
{
    return r->screen_on;
}

/* Pictures on the screen: the window, a renderer driver behind a small table (driver.h:
 * `placebo`, libplacebo on Vulkan or OpenGL; `sdl`, SDL_Renderer), and the loop that takes
 * pictures from the video pipeline, draws and presents them and finishes their timelines.
 *
 * Where presentation runs: a driver that may draw off the window's thread (placebo) gets a
 * render thread that owns the GPU context and every texture, so a present that waits for the
 * display never delays the main thread's SDL events (input). SDL's own renderer must stay on
 * the window's thread: with `sdl` the main thread draws, one picture per call of
 * sky_render_poll(). The window itself is always the main thread's (SDL creates, resizes and
 * reads events of windows there).
 *
 * `--renderer auto` picks the cheapest correct path: placebo for HDR, 10-bit and 4:4:4 pictures
 * and on real GPUs; sdl for 8-bit 4:2:0 SDR on a software rasterizer, where SDL's renderer
 * costs less (bench/render.py measures both). placebo draws with Vulkan on a GPU and with
 * OpenGL on a software rasterizer (`--gpu-api auto`): Mesa's lavapipe runs libplacebo 4.208
 * slower than llvmpipe does and frees objects its own queue thread still uses. */
#ifndef SKY_CLIENT_RENDER_H
#define SKY_CLIENT_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>

#include "client/feedback.h"
#include "client/media/video_pipeline.h"
#include "client/stats_out.h"
#include "common/core/opts.h"

typedef enum SkyWindowMode {
    SKY_WINDOW_WINDOWED = 0,
    SKY_WINDOW_FULLSCREEN,  /* exclusive fullscreen */
    SKY_WINDOW_BORDERLESS,  /* borderless window covering the desktop */
} SkyWindowMode;

typedef enum SkyRendererKind {
    SKY_RENDERER_AUTO = 0,
    SKY_RENDERER_PLACEBO,
    SKY_RENDERER_SDL,
} SkyRendererKind;

typedef enum SkyGpuApi {
    SKY_GPU_API_AUTO = 0,
    SKY_GPU_API_VULKAN,
    SKY_GPU_API_OPENGL,
} SkyGpuApi;

typedef struct SkyRenderOpts {
    int window_mode;  /* SkyWindowMode */
    int width;        /* window size; 0 = the video's */
    int height;
    bool vsync;
    int renderer;     /* SkyRendererKind */
    int gpu_api;      /* SkyGpuApi: what placebo draws with */
} SkyRenderOpts;

extern const SkyOpt sky_render_opts_table[];

/* What is about to be shown, so `auto` can pick a correct driver. */
typedef struct SkyRenderContent {
    int width, height;
    bool hdr;     /* PQ or HLG pictures (a stream with HDR, a file that says so) */
    bool deep;    /* more than 8 bits per sample */
    bool yuv444;  /* no chroma subsampling */
} SkyRenderContent;

typedef struct SkyRenderCfg {
    SkyRenderOpts opts;
    const char *title;
    SkyRenderContent content;
    SkyStatsOut *stats;       /* required; not owned: every picture's timeline ends there */
    SkyFeedback *feedback;    /* optional, not owned: the host's HDR mode messages (streams) */
} SkyRenderCfg;

typedef struct SkyRender SkyRender;

/* Main thread, SDL video initialised: opens the window and a driver (for auto: the first that
 * opens and suits the content). Logs the renderer, the GPU and how pictures get to it.
 * Returns 0, SKY_ERR(ENODEV) when no window or driver can be had (the reason logged), or
 * SKY_ERR(ENOSYS) for content the chosen driver cannot show correctly (sdl and HDR). */
int sky_render_create(SkyRender **out, const SkyRenderCfg *cfg);
/* Main thread: stops presenting (if started) and closes the driver and the window. Accepts
 * NULL; NULLs the pointer. */
void sky_render_destroy(SkyRender **r);

/* Main thread, once: presentation takes its pictures from vp from now on (on the render
 * thread, which this starts, or in sky_render_poll). */
int sky_render_start(SkyRender *r, SkyVideoPipeline *vp);
/* Main thread: ends presentation (joins the render thread) and lets go of the pipeline, which
 * may then be destroyed. The window stays. Idempotent. */
void sky_render_stop(SkyRender *r);

/* Main thread, every turn of its loop. With a main-thread driver: takes the next picture that
 * is due, if any, and shows it. With a render thread: reports how it does. Returns 0;
 * SKY_ERR(EPIPE) once the pipeline has ended and every picture was handed out; or the fatal
 * error that stopped presentation. */
int sky_render_poll(SkyRender *r);
/* Whether pictures are drawn on the main thread (sky_render_poll shows them). */
bool sky_render_on_main_thread(const SkyRender *r);
const char *sky_render_driver_name(const SkyRender *r);
/* Whether the driver takes this hardware pixel format without a download (any thread). */
bool sky_render_takes_hw_format(SkyRender *r, int av_pix_fmt);

/* Main thread: the window. */
void sky_render_window_event(SkyRender *r, const SDL_WindowEvent *ev);
void sky_render_toggle_fullscreen(SkyRender *r);
SDL_Window *sky_render_window(const SkyRender *r);
uint32_t sky_render_window_id(const SkyRender *r);

/* Main thread: the stats overlay, a few lines of text over the top-left corner. The font is
 * opened the first time it is shown (SDL2_ttf); without it the overlay stays off, with a
 * warning. */
void sky_render_toggle_overlay(SkyRender *r);
bool sky_render_overlay_shown(const SkyRender *r);
/* Lines separated by '\n'; ignored while the overlay is off. */
void sky_render_overlay_text(SkyRender *r, const char *text);

/* Any thread: pictures presented so far and their summed decode times (for the overlay). */
void sky_render_counts(SkyRender *r, uint64_t *presented, int64_t *decode_us);

/* The letterbox rectangle for a picture of display aspect `dar` in an output of w x h. */
void sky_render_letterbox(int out_w, int out_h, double dar, int *x, int *y, int *w, int *h);
/* A frame's display aspect ratio (its sample aspect ratio applied). */
double sky_render_frame_dar(const AVFrame *f);

#endif

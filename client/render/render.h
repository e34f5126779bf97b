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
 * One window may outlive its pipelines (the launcher: menus, then a stream, then menus
 * again): without a pipeline the main thread draws, in sky_render_poll, and only when
 * something changed; a "screen" picture (the launcher's pages, the in-stream menu) covers the
 * window, in the place of the stats overlay, whichever thread draws.
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
    SkyRenderContent content;   /* what `auto` chooses for (a launcher: zeroed, SDR) */
    /* Optional, not owned: the timeline sink and the host's HDR mode messages for a pipeline
     * started without its own (sky_render_start's NULLs). */
    SkyStatsOut *stats;
    SkyFeedback *feedback;
} SkyRenderCfg;

typedef struct SkyRender SkyRender;

/* Main thread, SDL video initialised: opens the window and a driver (for auto: the first that
 * opens and suits the content). Logs the renderer, the GPU and how pictures get to it.
 * Returns 0, SKY_ERR(ENODEV) when no window or driver can be had (the reason logged), or
 * SKY_ERR(ENOSYS) for content the chosen driver cannot show correctly (sdl and HDR). */
int sky_render_create(SkyRender **out, const SkyRenderCfg *cfg);
/* Main thread: starts SDL's video for a window someone sees. Without a display SDL falls back
 * to its offscreen driver (a window nobody sees): only an explicit SDL_VIDEODRIVER may choose
 * that or `dummy`. Returns 0 (the caller quits the subsystem later) or SKY_ERR(ENODEV) with
 * the reason in why, the subsystem not left started. */
int sky_render_video_init(char *why, size_t cap);
/* Main thread: stops presenting (if started) and closes the driver and the window. Accepts
 * NULL; NULLs the pointer. */
void sky_render_destroy(SkyRender **r);
/* Whether the open driver shows this content correctly (false: sdl and HDR), for a window
 * kept across streams whose driver was chosen before the stream's content was known. */
bool sky_render_suits(const SkyRender *r, const SkyRenderContent *c);

/* Main thread: presentation takes its pictures from vp from now on (on the render thread,
 * which this starts, or in sky_render_poll). Every picture's timeline ends in stats, and the
 * host's HDR mode messages come from feedback (each NULL: the SkyRenderCfg's; stats is
 * required one way or the other). Not owned; they must outlive sky_render_stop. May follow a
 * sky_render_stop (one window, several streams in a row): the end state and the stop request
 * of the last run are forgotten; the presented counts go on counting. If the main thread drew
 * without a pipeline, it lets go of the driver's context first. Returns 0, SKY_ERR(EINVAL)
 * while started or without stats, SKY_ERR(EAGAIN) when no thread can be started. */
int sky_render_start(SkyRender *r, SkyVideoPipeline *vp, SkyStatsOut *stats,
                     SkyFeedback *feedback);
/* Main thread: ends presentation (joins the render thread) and lets go of the pipeline, which
 * may then be destroyed. The window stays, and the main thread may draw in it again
 * (sky_render_poll). Idempotent. */
void sky_render_stop(SkyRender *r);

/* Main thread, every turn of its loop. With a pipeline and a main-thread driver: takes the
 * next picture that is due, if any, and shows it. With a render thread: reports how it does.
 * Without a pipeline (before sky_render_start, after sky_render_stop): draws on this thread
 * when a redraw is due (a new screen picture or overlay, the window exposed or resized), the
 * last picture or black under the screen picture, with every driver; otherwise it draws
 * nothing and costs a few atomic loads (a launcher's idle loop may call it every turn).
 * Returns 0; SKY_ERR(EPIPE) once the pipeline has ended and every picture was handed out; or
 * the fatal error that stopped presentation (without a pipeline: that drawing failed). */
int sky_render_poll(SkyRender *r);
/* Main thread: whether sky_render_poll would draw now without a pipeline (a redraw is due). */
bool sky_render_redraw_due(const SkyRender *r);
/* Whether pictures are drawn on the main thread (sky_render_poll shows them). */
bool sky_render_on_main_thread(const SkyRender *r);
const char *sky_render_driver_name(const SkyRender *r);
/* Whether the driver takes this hardware pixel format without a download (any thread). */
bool sky_render_takes_hw_format(SkyRender *r, int av_pix_fmt);

/* Main thread: the window. Its events (resize, expose) must be handed to
 * sky_render_window_event by whoever runs the event loop. */
void sky_render_window_event(SkyRender *r, const SDL_WindowEvent *ev);
void sky_render_toggle_fullscreen(SkyRender *r);
SDL_Window *sky_render_window(const SkyRender *r);
uint32_t sky_render_window_id(const SkyRender *r);
/* Main thread: the drawable's size in pixels (what a screen picture should be). */
void sky_render_output_size(const SkyRender *r, int *w, int *h);

/* Main thread: a picture covering the window (the launcher's screens, the in-stream menu):
 * straight-alpha RGBA (bytes R, G, B, A), w x h, stride bytes per row, drawn 1:1 at the
 * window's top-left corner over the video, instead of the stats overlay while shown. Copied:
 * the caller keeps rgba. rgba NULL hides it (the stats overlay comes back if it is on). The
 * window is redrawn on the drawing thread's next turn (without a pipeline: the next
 * sky_render_poll). A picture that cannot be copied (no memory) is logged and not shown. */
void sky_render_set_screen(SkyRender *r, const uint8_t *rgba, int w, int h, size_t stride);
bool sky_render_screen_shown(const SkyRender *r);

/* Main thread: the stats overlay, a few lines of text over the top-left corner. The font is
 * opened the first time it is shown (SDL2_ttf); without it the overlay stays off, with a
 * warning. A screen picture hides it while shown. */
void sky_render_toggle_overlay(SkyRender *r);
bool sky_render_overlay_shown(const SkyRender *r);
/* Lines separated by '\n'; ignored while the overlay is off. */
void sky_render_overlay_text(SkyRender *r, const char *text);

/* Any thread: pictures presented so far and their summed decode times (for the overlay),
 * counted over every run of presentation in this window. */
void sky_render_counts(SkyRender *r, uint64_t *presented, int64_t *decode_us);

/* The letterbox rectangle for a picture of display aspect `dar` in an output of w x h. */
void sky_render_letterbox(int out_w, int out_h, double dar, int *x, int *y, int *w, int *h);
/* A frame's display aspect ratio (its sample aspect ratio applied). */
double sky_render_frame_dar(const AVFrame *f);

#endif

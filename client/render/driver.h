/* The renderer driver interface (in the spirit of mpv's vo_driver): what client/render/render.c
 * asks of a way to put pictures on the window. Two drivers: `placebo` (libplacebo on Vulkan,
 * else OpenGL; render_placebo.c) and `sdl` (SDL_Renderer; render_sdl.c).
 *
 * Threads: `open` and `close` run on the main thread (the window's). Everything else runs on
 * the drawing thread: the render thread for a driver that allows it, else the main thread
 * (`main_thread`: SDL's own renderer must stay on the window's thread). A driver is only ever
 * used by one thread at a time. */
#ifndef SKY_CLIENT_RENDER_DRIVER_H
#define SKY_CLIENT_RENDER_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <SDL.h>
#include <libavutil/frame.h>

#include "client/render/render.h"

/* The stats overlay as a picture: straight-alpha RGBA (byte order R, G, B, A), drawn 1:1 at
 * the window's top-left corner. `serial` changes whenever the pixels do. */
typedef struct SkyOverlayImage {
    const uint8_t *rgba;
    int w, h;
    size_t stride;
    uint64_t serial;
} SkyOverlayImage;

/* What a driver knows of itself once open, for the log and for `auto`. */
typedef struct SkyDriverInfo {
    char api[16];           /* "vulkan", "opengl", "sdl-opengl", ... */
    char device[256];       /* the GPU or rasterizer */
    bool software;          /* a software rasterizer (llvmpipe, lavapipe, SDL's own) */
} SkyDriverInfo;

typedef struct SkyRenderDriver {
    const char *name;       /* as --renderer names it */
    bool main_thread;       /* draws on the window's thread only */
    /* Window flags the driver needs (SDL_WINDOW_VULKAN, SDL_WINDOW_OPENGL or 0). */
    uint32_t window_flags;
    /* Main thread: sets the driver up on the window (a Vulkan surface and device, a GL
     * context...). *priv is the driver's. Returns 0 or a negative error, logged; on failure
     * nothing is left to close. */
    int (*open)(void **priv, SDL_Window *win, const SkyRenderOpts *opts, SkyDriverInfo *info);
    /* Drawing thread: what a picture in this pixel format needs. True if the driver takes it
     * as it is (hardware frames: mapped without a copy), false if it must be downloaded to
     * system memory first. */
    bool (*takes_format)(void *priv, int av_pix_fmt);
    /* Drawing thread: draws frame (NULL: the last one again, or black) letterboxed into the
     * out_w x out_h drawable, and the overlay (NULL: none) over it. The caller keeps the
     * frame; the driver may keep a reference for redraws. Returns 0 or a negative error:
     * SKY_ERR(ENOSYS) for a picture it cannot show correctly (logged once). */
    int (*draw)(void *priv, const AVFrame *frame, int out_w, int out_h,
                const SkyOverlayImage *overlay);
    /* Drawing thread, optional (NULL where the driver has no use for it): the host's latest HDR
     * mode message, for the pictures drawn from now on (their mastering display, for tone
     * mapping and an HDR swapchain's metadata). */
    void (*hdr_mode)(void *priv, const SkyControlHdrMode *mode);
    /* Drawing thread: shows what was drawn. Returns once the present call has (with vsync,
     * the refresh it waited for). 0 or a negative error. */
    int (*present)(void *priv);
    /* Drawing thread, last: lets go of what belongs to that thread (a GL context). */
    void (*release)(void *priv);
    /* Main thread: frees everything. Accepts NULL. */
    void (*close)(void **priv);
} SkyRenderDriver;

extern const SkyRenderDriver sky_render_driver_placebo_vulkan;
extern const SkyRenderDriver sky_render_driver_placebo_opengl;
extern const SkyRenderDriver sky_render_driver_sdl;

#endif

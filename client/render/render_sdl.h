/* The window: an SDL2 window and SDL_Renderer showing decoded pictures through YUV textures
 * (IYUV or NV12; other formats, 10-bit ones included, are converted to 8-bit 4:2:0 first),
 * letterboxed to keep the picture's aspect ratio. Main thread only. */
#ifndef SKY_CLIENT_RENDER_SDL_H
#define SKY_CLIENT_RENDER_SDL_H

#include <stdbool.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "common/core/opts.h"

typedef enum SkyWindowMode {
    SKY_WINDOW_WINDOWED = 0,
    SKY_WINDOW_FULLSCREEN,  /* exclusive fullscreen */
    SKY_WINDOW_BORDERLESS,  /* borderless window covering the desktop */
} SkyWindowMode;

typedef struct SkyRenderOpts {
    int window_mode;  /* SkyWindowMode */
    int width;        /* window size; 0 = the video's */
    int height;
    bool vsync;
} SkyRenderOpts;

extern const SkyOpt sky_render_opts_table[];

typedef struct SkyRender SkyRender;

/* SDL's video subsystem must be initialised. Returns 0 or SKY_ERR(ENODEV) (no display). */
int sky_render_create(SkyRender **out, const SkyRenderOpts *opts, const char *title,
                      int video_width, int video_height);
void sky_render_destroy(SkyRender **r);

/* Uploads the picture, draws it letterboxed and presents. The caller keeps the frame.
 * Returns 0 or a negative error (logged). */
int sky_render_frame(SkyRender *r, const AVFrame *frame);
/* Draws the last picture again (window exposed or resized). */
void sky_render_redraw(SkyRender *r);
void sky_render_toggle_fullscreen(SkyRender *r);
uint32_t sky_render_window_id(const SkyRender *r);

/* The stats overlay: a few lines of text over the top-left corner of the picture, shown on the
 * next draw. The font is opened the first time it is shown (SDL2_ttf); without it the overlay
 * stays off, with a warning. */
void sky_render_toggle_overlay(SkyRender *r);
bool sky_render_overlay_shown(const SkyRender *r);
/* Lines separated by '\n'; ignored while the overlay is off. */
void sky_render_overlay_text(SkyRender *r, const char *text);

/* The letterbox rectangle for a picture of display aspect `dar` in an output of w x h.
 * Exposed for tests. */
void sky_render_letterbox(int out_w, int out_h, double dar, int *x, int *y, int *w, int *h);

#endif

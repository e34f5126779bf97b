/* The launcher's drawing surface: a window-sized RGBA picture drawn on the CPU (SDL surfaces,
 * SDL_ttf text), which the renderer shows as the picture's overlay. A launcher changes a few
 * times a second at most and draws nothing while idle, so the CPU is the simple place to draw
 * it, and both renderer drivers already take an RGBA overlay.
 *
 * Sizes follow the window: `unit` is its shorter side / 54 (20 px at 1080, 15 at a Deck's 800,
 * 40 at 4K), and the fonts are sized in units, so a 7-inch 1280x800 screen at arm's length
 * and a 4K TV both read well. Text is never trusted: control characters are shown as
 * U+FFFD and anything wider than its box ends in an ellipsis. Main thread only. */
#ifndef SKY_CLIENT_UI_CANVAS_H
#define SKY_CLIENT_UI_CANVAS_H

#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>
#include <SDL_ttf.h>

typedef enum SkyFont {
    SKY_FONT_BODY = 0,   /* lists, tiles' titles, buttons: 1.2 units */
    SKY_FONT_TITLE,      /* screen titles (bold): 2 units */
    SKY_FONT_HUGE,       /* the pairing PIN (bold): 6 units */
    SKY_FONT_COUNT,
} SkyFont;

typedef enum SkyAlign { SKY_ALIGN_LEFT = 0, SKY_ALIGN_CENTRE, SKY_ALIGN_RIGHT } SkyAlign;

typedef struct SkyCanvas {
    SDL_Surface *surface;          /* RGBA bytes (SDL_PIXELFORMAT_ABGR8888), w x h */
    int unit;                      /* pixels per layout unit */
    TTF_Font *fonts[SKY_FONT_COUNT];
} SkyCanvas;

/* A colour as 0xRRGGBBAA. */
typedef uint32_t SkyColour;

/* Makes a canvas of w x h (clamped to 64..8192 each way) with its fonts (SDL_ttf initialised
 * by the caller). Returns 0, SKY_ERR(ENOMEM), or SKY_ERR(ENOENT) when the bundled fonts are
 * missing (logged). */
int sky_canvas_create(SkyCanvas **out, int w, int h);
/* Accepts NULL; NULLs the pointer. */
void sky_canvas_destroy(SkyCanvas **c);
/* A new window size: a new picture and fonts at the new unit (the content is lost). Returns 0
 * or an error, the old canvas kept. */
int sky_canvas_resize(SkyCanvas *c, int w, int h);

void sky_canvas_clear(SkyCanvas *c, SkyColour colour);
/* A rectangle blended over what is there (by the colour's alpha); radius rounds its corners
 * (0: square; clamped to half the shorter side). Clipped to the canvas. */
void sky_canvas_fill(SkyCanvas *c, SDL_Rect r, int radius, SkyColour colour);
/* A frame `thickness` wide inside r (the focus ring), with rounded corners. */
void sky_canvas_frame(SkyCanvas *c, SDL_Rect r, int radius, int thickness, SkyColour colour);
/* One line of text (UTF-8, any bytes: invalid sequences and control characters become
 * U+FFFD), vertically centred in box, aligned within it, ended with "…" where wider. Returns
 * the width drawn in pixels. */
int sky_canvas_text(SkyCanvas *c, SkyFont font, const char *utf8, SDL_Rect box, SkyAlign align,
                    SkyColour colour);
/* A picture scaled to fit inside box, keeping its aspect, centred (linear filtering). */
void sky_canvas_image(SkyCanvas *c, SDL_Surface *img, SDL_Rect box);

/* The text as it will be shown, before fitting: invalid UTF-8 and control characters replaced
 * by U+FFFD, at most max_chars code points (more: cut, and true returned). out holds at least
 * 4 * max_chars + 1 bytes. */
bool sky_canvas_clean_text(const char *utf8, char *out, size_t cap, size_t max_chars);

#endif

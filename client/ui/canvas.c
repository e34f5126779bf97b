/* The launcher's drawing surface (canvas.h). */
#include "client/ui/canvas.h"

#include <stdlib.h>
#include <string.h>

#include "client/assets.h"
#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "ui"

/* Font sizes in tenths of a unit, and their files. */
static const struct {
    int tenths;
    const char *file;
} font_specs[SKY_FONT_COUNT] = {
    [SKY_FONT_BODY] = {12, "DejaVuSans.ttf"},
    [SKY_FONT_TITLE] = {20, "DejaVuSans-Bold.ttf"},
    [SKY_FONT_HUGE] = {60, "DejaVuSans-Bold.ttf"},
};

#define MAX_TEXT_CHARS 256 /* longer text is cut before it is measured */

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void close_fonts(TTF_Font *fonts[SKY_FONT_COUNT])
{
    for (int i = 0; i < SKY_FONT_COUNT; i++) {
        if (fonts[i])
            TTF_CloseFont(fonts[i]);
        fonts[i] = NULL;
    }
}

/* The picture and fonts for w x h into the given slots; nothing changes on failure. */
static int make(SDL_Surface **surface, int *unit, TTF_Font *fonts[SKY_FONT_COUNT], int w, int h)
{
    w = clamp(w, 64, 8192);
    h = clamp(h, 64, 8192);
    int u = (w < h ? w : h) / 54;
    if (u < 8)
        u = 8;
    TTF_Font *f[SKY_FONT_COUNT] = {0};
    for (int i = 0; i < SKY_FONT_COUNT; i++) {
        f[i] = sky_assets_open_font(font_specs[i].file, u * font_specs[i].tenths / 10);
        if (!f[i]) {
            SKY_LOGE(TAG, "cannot open the launcher's font %s: %s", font_specs[i].file,
                     TTF_GetError());
            close_fonts(f);
            return SKY_ERR(ENOENT);
        }
    }
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ABGR8888);
    if (!s) {
        close_fonts(f);
        return SKY_ERR(ENOMEM);
    }
    *surface = s;
    *unit = u;
    memcpy(fonts, f, sizeof(f));
    return 0;
}

int sky_canvas_create(SkyCanvas **out, int w, int h)
{
    *out = NULL;
    SkyCanvas *c = calloc(1, sizeof(*c));
    if (!c)
        return SKY_ERR(ENOMEM);
    int ret = make(&c->surface, &c->unit, c->fonts, w, h);
    if (ret < 0) {
        free(c);
        return ret;
    }
    *out = c;
    return 0;
}

void sky_canvas_destroy(SkyCanvas **cp)
{
    SkyCanvas *c = *cp;
    if (!c)
        return;
    close_fonts(c->fonts);
    SDL_FreeSurface(c->surface);
    free(c);
    *cp = NULL;
}

int sky_canvas_resize(SkyCanvas *c, int w, int h)
{
    SDL_Surface *s;
    int unit;
    TTF_Font *fonts[SKY_FONT_COUNT];
    int ret = make(&s, &unit, fonts, w, h);
    if (ret < 0)
        return ret;
    close_fonts(c->fonts);
    SDL_FreeSurface(c->surface);
    c->surface = s;
    c->unit = unit;
    memcpy(c->fonts, fonts, sizeof(fonts));
    return 0;
}

void sky_canvas_clear(SkyCanvas *c, SkyColour colour)
{
    SDL_FillRect(c->surface, NULL,
                 SDL_MapRGBA(c->surface->format, colour >> 24, colour >> 16 & 0xff,
                             colour >> 8 & 0xff, colour & 0xff));
}

/* Blends one horizontal span [x0, x1) of row y, alpha scaled by cover (0..256). */
static void span(SkyCanvas *c, int y, int x0, int x1, SkyColour colour, int cover)
{
    SDL_Surface *s = c->surface;
    if (y < 0 || y >= s->h)
        return;
    x0 = clamp(x0, 0, s->w);
    x1 = clamp(x1, 0, s->w);
    unsigned a = (colour & 0xff) * (unsigned)cover / 256;
    if (a == 0 || x0 >= x1)
        return;
    uint8_t rgb[3] = {colour >> 24, colour >> 16 & 0xff, colour >> 8 & 0xff};
    uint8_t *p = (uint8_t *)s->pixels + (size_t)y * s->pitch + (size_t)x0 * 4;
    for (int x = x0; x < x1; x++, p += 4) {
        for (int k = 0; k < 3; k++)
            p[k] = (uint8_t)((rgb[k] * a + p[k] * (255 - a) + 127) / 255);
        p[3] = (uint8_t)(a + p[3] * (255 - a) / 255);
    }
}

/* How far in from the side a row of a rounded corner starts, in 1/16 pixels, for the row
 * `dy` rows into a corner of radius rad (dy = 0 the outermost). */
static int corner_inset_16(int rad, int dy)
{
    double yc = rad - dy - 0.5;            /* distance of the row's centre from the centre */
    double dx = SDL_sqrt((double)rad * rad - yc * yc);
    return (int)((rad - dx) * 16 + 0.5);
}

void sky_canvas_fill(SkyCanvas *c, SDL_Rect r, int radius, SkyColour colour)
{
    if (r.w <= 0 || r.h <= 0)
        return;
    int rad = clamp(radius, 0, (r.w < r.h ? r.w : r.h) / 2);
    for (int dy = 0; dy < r.h; dy++) {
        int from_edge = dy < rad ? dy : r.h - 1 - dy < rad ? r.h - 1 - dy : -1;
        if (from_edge < 0) {
            span(c, r.y + dy, r.x, r.x + r.w, colour, 256);
            continue;
        }
        int in16 = corner_inset_16(rad, from_edge);
        int in = in16 / 16;
        int frac = 256 - (in16 % 16) * 16; /* the partly covered pixel at each end */
        span(c, r.y + dy, r.x + in + 1, r.x + r.w - in - 1, colour, 256);
        span(c, r.y + dy, r.x + in, r.x + in + 1, colour, frac);
        span(c, r.y + dy, r.x + r.w - in - 1, r.x + r.w - in, colour, frac);
    }
}

void sky_canvas_frame(SkyCanvas *c, SDL_Rect r, int radius, int thickness, SkyColour colour)
{
    int t = clamp(thickness, 1, (r.w < r.h ? r.w : r.h) / 2);
    /* Top and bottom bands, then the sides between them (square inner corners: at focus-ring
     * thickness the difference does not show). */
    int rad = clamp(radius, 0, (r.w < r.h ? r.w : r.h) / 2);
    for (int dy = 0; dy < r.h; dy++) {
        bool band = dy < t || dy >= r.h - t;
        int from_edge = dy < rad ? dy : r.h - 1 - dy < rad ? r.h - 1 - dy : -1;
        int in = from_edge < 0 ? 0 : corner_inset_16(rad, from_edge) / 16;
        int y = r.y + dy;
        if (band) {
            span(c, y, r.x + in, r.x + r.w - in, colour, 256);
        } else {
            span(c, y, r.x + in, r.x + in + t, colour, 256);
            span(c, y, r.x + r.w - in - t, r.x + r.w - in, colour, 256);
        }
    }
}

/* The length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static int utf8_len(const unsigned char *s)
{
    unsigned b = s[0];
    int n = b < 0x80 ? 1
            : (b & 0xe0) == 0xc0 ? 2
            : (b & 0xf0) == 0xe0 ? 3
            : (b & 0xf8) == 0xf0 ? 4
                                 : 0;
    if (n == 0)
        return 0;
    uint32_t cp = n == 1 ? b : b & (0x7f >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0; /* overlong, out of range, a surrogate */
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
        return 0; /* a control character */
    return n;
}

bool sky_canvas_clean_text(const char *utf8, char *out, size_t cap, size_t max_chars)
{
    static const char replacement[] = "\xef\xbf\xbd";
    const unsigned char *s = (const unsigned char *)(utf8 ? utf8 : "");
    size_t o = 0, chars = 0;
    while (*s) {
        if (chars == max_chars) {
            out[o] = '\0';
            return true;
        }
        int n = utf8_len(s);
        const char *piece = n ? (const char *)s : replacement;
        size_t len = n ? (size_t)n : 3;
        if (o + len + 1 > cap)
            break;
        memcpy(out + o, piece, len);
        o += len;
        chars++;
        s += n ? n : 1;
    }
    out[o] = '\0';
    return *s != '\0';
}

/* Drops the last code point of s (in place). */
static void drop_last(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && ((unsigned char)s[n - 1] & 0xc0) == 0x80)
        n--;
    if (n > 0)
        n--;
    s[n] = '\0';
}

int sky_canvas_text(SkyCanvas *c, SkyFont font, const char *utf8, SDL_Rect box, SkyAlign align,
                    SkyColour colour)
{
    static const char ellipsis[] = "\xe2\x80\xa6";
    TTF_Font *f = c->fonts[font];
    char text[MAX_TEXT_CHARS * 4 + sizeof(ellipsis)];
    bool cut = sky_canvas_clean_text(utf8, text, MAX_TEXT_CHARS * 4 + 1, MAX_TEXT_CHARS);
    int w = 0, h = 0;
    size_t base = strlen(text);
    if (cut)
        strcat(text, ellipsis);
    /* Shorten (binary search over code points would be faster; names are short) until it
     * fits. */
    while (TTF_SizeUTF8(f, text, &w, &h) == 0 && w > box.w && base > 0) {
        text[base] = '\0';
        drop_last(text);
        base = strlen(text);
        strcat(text, ellipsis);
    }
    if (!text[0] || w <= 0)
        return 0;
    SDL_Color col = {colour >> 24, colour >> 16 & 0xff, colour >> 8 & 0xff, colour & 0xff};
    SDL_Surface *t = TTF_RenderUTF8_Blended(f, text, col);
    if (!t)
        return 0;
    int x = align == SKY_ALIGN_CENTRE  ? box.x + (box.w - t->w) / 2
            : align == SKY_ALIGN_RIGHT ? box.x + box.w - t->w
                                       : box.x;
    SDL_Rect dst = {x, box.y + (box.h - t->h) / 2, t->w, t->h};
    SDL_Rect clip = box;
    SDL_SetClipRect(c->surface, &clip);
    SDL_SetSurfaceBlendMode(t, SDL_BLENDMODE_BLEND);
    SDL_BlitSurface(t, NULL, c->surface, &dst);
    SDL_SetClipRect(c->surface, NULL);
    int drawn = t->w;
    SDL_FreeSurface(t);
    return drawn;
}

void sky_canvas_image(SkyCanvas *c, SDL_Surface *img, SDL_Rect box)
{
    if (!img || img->w <= 0 || img->h <= 0 || box.w <= 0 || box.h <= 0)
        return;
    /* Fit: the limiting side fills the box. */
    int w = box.w, h = (int)((int64_t)img->h * box.w / img->w);
    if (h > box.h) {
        h = box.h;
        w = (int)((int64_t)img->w * box.h / img->h);
    }
    if (w <= 0 || h <= 0)
        return;
    SDL_Surface *rgba = img->format->format == SDL_PIXELFORMAT_ABGR8888
                            ? img
                            : SDL_ConvertSurfaceFormat(img, SDL_PIXELFORMAT_ABGR8888, 0);
    SDL_Surface *scaled = rgba ? SDL_CreateRGBSurfaceWithFormat(0, w, h, 32,
                                                                SDL_PIXELFORMAT_ABGR8888)
                               : NULL;
    if (scaled && SDL_SoftStretchLinear(rgba, NULL, scaled, NULL) == 0) {
        SDL_Rect dst = {box.x + (box.w - w) / 2, box.y + (box.h - h) / 2, w, h};
        SDL_SetSurfaceBlendMode(scaled, SDL_BLENDMODE_BLEND);
        SDL_BlitSurface(scaled, NULL, c->surface, &dst);
    }
    SDL_FreeSurface(scaled);
    if (rgba != img)
        SDL_FreeSurface(rgba);
}

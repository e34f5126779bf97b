/* The test host's picture: the barcoded test pattern and its input region (pattern.h). */
#include "tests/host/pattern.h"

#include <string.h>

#include "common/core/error.h"

/* Colours as 8-bit limited-range Y'CbCr (BT.601-ish; a test pattern, not a calibration). */
typedef struct Yuv {
    uint8_t y, u, v;
} Yuv;

static const Yuv k_black = {16, 128, 128};
static const Yuv k_white = {235, 128, 128};
static const Yuv k_background = {64, 128, 128};
static const Yuv k_input_field = {100, 128, 128};
static const Yuv k_bars[6] = {
    {81, 90, 240},   /* red */
    {145, 54, 34},   /* green */
    {41, 240, 110},  /* blue */
    {170, 166, 16},  /* cyan */
    {106, 202, 222}, /* magenta */
    {210, 16, 146},  /* yellow */
};

const SkyThHdrPatch sky_th_hdr_patches[SKY_TH_HDR_PATCHES] = {
    {0, 64, 0},      /* black */
    {26, 397, 389},  /* BT.2408 18% grey */
    {203, 573, 594}, /* BT.2408 HDR reference white */
    {1000, 723, 769},
};

static int even_down(int v)
{
    return v & ~1;
}

void sky_th_pattern_layout(int width, int height, SkyThPatternLayout *out)
{
    memset(out, 0, sizeof(*out));
    int b = even_down(width / SKY_TH_PATTERN_BITS);
    b = b < 16 ? 16 : b > 64 ? 64 : b;
    out->block = b;
    out->cols = width / b;
    if (out->cols > SKY_TH_PATTERN_BITS)
        out->cols = SKY_TH_PATTERN_BITS;
    if (out->cols < 1)
        out->cols = 1;
    out->rows = (SKY_TH_PATTERN_BITS + out->cols - 1) / out->cols;
    out->square = 2 * b;
    out->square_y = out->rows * b + b / 2;
    out->lower_y = even_down(height / 2);
    out->input_x = even_down(width / 2);
    out->probe_y = even_down(out->square_y + out->square + b / 2);
    int h = even_down(out->lower_y - out->probe_y - b / 2);
    out->probe_h = h > 2 * b ? 2 * b : h < 8 ? 0 : h;
    out->patch_w = even_down((width - out->input_x) / SKY_TH_HDR_PATCHES);
}

/* Scales an 8-bit limited-range value to the picture's depth and range. */
static int level(const SkyThPicture *pic, uint8_t v, bool chroma)
{
    int x = v;
    if (pic->full_range) {
        /* limited -> full: luma 16..235 to 0..255, chroma 16..240 around 128 */
        x = chroma ? 128 + ((x - 128) * 255 + 112) / 224 : ((x - 16) * 255 + 109) / 219;
        x = x < 0 ? 0 : x > 255 ? 255 : x;
    }
    return pic->bit_depth > 8 ? x << (pic->bit_depth - 8) : x;
}

/* log2 of the chroma subsampling of plane (both directions). */
static int shift(const SkyThPicture *pic, int plane)
{
    return plane && !pic->yuv444 ? 1 : 0;
}

static void fill_plane(const SkyThPicture *pic, int plane, int x0, int y0, int x1, int y1,
                       int value)
{
    int w = pic->width >> shift(pic, plane), h = pic->height >> shift(pic, plane);
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > w ? w : x1;
    y1 = y1 > h ? h : y1;
    if (x0 >= x1 || y0 >= y1)
        return;
    for (int y = y0; y < y1; y++) {
        uint8_t *row = pic->data[plane] + (ptrdiff_t)y * pic->stride[plane];
        if (pic->bit_depth > 8) {
            uint16_t *r16 = (uint16_t *)(void *)row;
            for (int x = x0; x < x1; x++)
                r16[x] = (uint16_t)value;
        } else {
            memset(row + x0, value, (size_t)(x1 - x0));
        }
    }
}

/* Fills the rectangle [x, x+w) x [y, y+h) of the chroma planes with u and v (picture levels;
 * even values; clipped to the picture). */
static void fill_chroma(const SkyThPicture *pic, int x, int y, int w, int h, int u, int v)
{
    int s = shift(pic, 1);
    fill_plane(pic, 1, x >> s, y >> s, (x + w) >> s, (y + h) >> s, u);
    fill_plane(pic, 2, x >> s, y >> s, (x + w) >> s, (y + h) >> s, v);
}

/* Fills the rectangle [x, x+w) x [y, y+h) (even values; clipped to the picture). */
static void fill(const SkyThPicture *pic, int x, int y, int w, int h, Yuv c)
{
    fill_plane(pic, 0, x, y, x + w, y + h, level(pic, c.y, false));
    fill_chroma(pic, x, y, w, h, level(pic, c.u, true), level(pic, c.v, true));
}

/* The chroma columns in [0, w) x [y, y+h): equal luma, chroma alternating per column (4:4:4),
 * or its 4:2:0 average (neutral). */
static void draw_columns(const SkyThPicture *pic, int y, int w, int h)
{
    fill(pic, 0, y, w, h, (Yuv){SKY_TH_COLUMNS_Y, 128, 128});
    if (!pic->yuv444)
        return;
    for (int x = 0; x < w && x < pic->width; x++) {
        bool odd = x & 1;
        fill_plane(pic, 1, x, y, x + 1, y + h,
                   level(pic, odd ? SKY_TH_COLUMNS_CB_ODD : SKY_TH_COLUMNS_CB_EVEN, true));
        fill_plane(pic, 2, x, y, x + 1, y + h,
                   level(pic, odd ? SKY_TH_COLUMNS_CR_ODD : SKY_TH_COLUMNS_CR_EVEN, true));
    }
}

/* The HDR patches (PQ pictures): neutral, luma from sky_th_hdr_patches. */
static void draw_patches(const SkyThPicture *pic, const SkyThPatternLayout *l)
{
    int mid = 1 << (pic->bit_depth - 1);
    for (int i = 0; i < SKY_TH_HDR_PATCHES; i++) {
        const SkyThHdrPatch *p = &sky_th_hdr_patches[i];
        int code = pic->full_range ? p->code_full : p->code_limited;
        int x = l->input_x + i * l->patch_w;
        fill_plane(pic, 0, x, l->probe_y, x + l->patch_w, l->probe_y + l->probe_h,
                   pic->bit_depth > 8 ? code : code >> 2);
        fill_chroma(pic, x, l->probe_y, l->patch_w, l->probe_h, mid, mid);
    }
}

static uint8_t crc8(const uint8_t *d, size_t n)
{
    uint8_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= d[i];
        for (int k = 0; k < 8; k++)
            crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1);
    }
    return crc;
}

uint32_t sky_th_pattern_word(uint32_t frame_number)
{
    uint32_t n = frame_number & SKY_TH_PATTERN_MAX_FRAME;
    uint8_t b[3] = {(uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    return n << 8 | crc8(b, sizeof(b));
}

/* 32 blocks of size b, cols per row, from (x0, y0), MSB first. */
static void draw_bits(const SkyThPicture *pic, int x0, int y0, int b, int cols, uint32_t word)
{
    for (int i = 0; i < SKY_TH_PATTERN_BITS; i++) {
        bool set = (word >> (SKY_TH_PATTERN_BITS - 1 - i)) & 1;
        fill(pic, x0 + (i % cols) * b, y0 + (i / cols) * b, b, b, set ? k_white : k_black);
    }
}

void sky_th_pattern_draw_input(const SkyThPicture *pic, int x, int y, int w, int h,
                               const SkyThPatternInput *in)
{
    fill(pic, x, y, w, h, k_input_field);
    int b = even_down(w / SKY_TH_PATTERN_BITS);
    if (b < 2)
        return;
    if (b > 64)
        b = 64;
    if (3 * b > h)
        return;
    SkyThPatternInput none = {0};
    if (!in)
        in = &none;
    draw_bits(pic, x, y, b, SKY_TH_PATTERN_BITS, in->packets);
    draw_bits(pic, x, y + b, b, SKY_TH_PATTERN_BITS,
              (uint32_t)in->last_key << 16 | (uint32_t)in->keys_down << 8 | in->mouse_buttons);
    draw_bits(pic, x, y + 2 * b, b, SKY_TH_PATTERN_BITS, in->pad_buttons);
    int top = y + 3 * b, room_w = w - b, room_h = h - 3 * b - b;
    if (room_w <= 0 || room_h <= 0)
        return;
    int px = (int)(((int64_t)in->pointer_x % room_w + room_w) % room_w);
    int py = (int)(((int64_t)in->pointer_y % room_h + room_h) % room_h);
    fill(pic, x + even_down(px), top + even_down(py), b, b, k_white);
}

void sky_th_pattern_draw(const SkyThPicture *pic, uint32_t frame_number,
                         const SkyThPatternInput *in)
{
    SkyThPatternLayout l;
    sky_th_pattern_layout(pic->width, pic->height, &l);
    fill(pic, 0, 0, pic->width, pic->height, k_background);

    draw_bits(pic, 0, 0, l.block, l.cols, sky_th_pattern_word(frame_number));

    int travel = pic->width - l.square;
    int sx = travel > 0 ? even_down((int)((4u * (frame_number & SKY_TH_PATTERN_MAX_FRAME)) %
                                          (unsigned)travel))
                        : 0;
    if (l.square_y + l.square <= l.lower_y)
        fill(pic, sx, l.square_y, l.square, l.square, k_white);

    if (l.probe_h > 0) {
        draw_columns(pic, l.probe_y, l.input_x, l.probe_h);
        if (pic->pq)
            draw_patches(pic, &l);
    }

    int lower_h = pic->height - l.lower_y;
    int bar_w = even_down(l.input_x / 6);
    for (int i = 0; i < 6 && bar_w > 0; i++)
        fill(pic, i * bar_w, l.lower_y, bar_w, lower_h, k_bars[i]);

    sky_th_pattern_draw_input(pic, l.input_x, l.lower_y, pic->width - l.input_x, lower_h, in);
}

int sky_th_pattern_read(const SkyThPicture *pic, uint32_t *frame_number)
{
    SkyThPatternLayout l;
    sky_th_pattern_layout(pic->width, pic->height, &l);
    *frame_number = 0;
    if (l.cols * l.block > pic->width || l.rows * l.block > pic->height)
        return SKY_ERR(EINVAL);
    int threshold = (level(pic, k_black.y, false) + level(pic, k_white.y, false)) / 2;
    uint32_t word = 0;
    for (int i = 0; i < SKY_TH_PATTERN_BITS; i++) {
        int x0 = (i % l.cols) * l.block + l.block / 4, y0 = (i / l.cols) * l.block + l.block / 4;
        int n = l.block / 2;
        int64_t sum = 0;
        for (int y = y0; y < y0 + n; y++) {
            const uint8_t *row = pic->data[0] + (ptrdiff_t)y * pic->stride[0];
            for (int x = x0; x < x0 + n; x++)
                sum += pic->bit_depth > 8 ? ((const uint16_t *)(const void *)row)[x] : row[x];
        }
        word = word << 1 | (sum / ((int64_t)n * n) > threshold ? 1u : 0u);
    }
    if (sky_th_pattern_word(word >> 8) != word)
        return SKY_ERR(EBADMSG);
    *frame_number = word >> 8;
    return 0;
}

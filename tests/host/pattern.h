/* The test host's video source: a synthetic picture per frame, drawn straight into YUV 4:2:0
 * planes (8 or 10 bits), so the encoder needs no colour conversion and a test can read the
 * frame number back from a decoded picture.
 *
 * Layout of a W x H picture (B = sky_th_pattern_layout's block size, an even number of pixels,
 * 16 to 64: W / 32 rounded down to even and clamped):
 *
 *   top-left        the frame-number barcode: 32 blocks of B x B, `cols` per row (at most 32,
 *                   as many as fit in W), `rows` rows, bits most significant first, row by row.
 *                   Bits 31..8 are the frame number (24 bits), bits 7..0 a CRC-8 (polynomial
 *                   0x07, initial 0) of its three bytes, most significant first. A set bit is
 *                   white (luma 235, or 255 in full range), a clear one black (16 or 0).
 *   below it        a band with a 2B x 2B white square that moves 4 pixels right per frame
 *                   (x = 4 * n modulo W - 2B), on the background
 *   bottom-left     the static colour area: six bars (red, green, blue, cyan, magenta,
 *                   yellow) across the left half of the lower half of the picture
 *   bottom-right    the input region (the right half of the lower half): drawn by
 *                   sky_th_pattern_draw_input() from the input state the host has received
 *   elsewhere       background, luma 64 (limited range) with neutral chroma
 *
 * The barcode survives lossy coding: readers average the middle half of each block and compare
 * with the midpoint between black and white. Pure C, no allocation. */
#ifndef SKY_TESTHOST_PATTERN_H
#define SKY_TESTHOST_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SKY_TH_PATTERN_BITS 32
#define SKY_TH_PATTERN_MAX_FRAME 0xFFFFFFu /* frame numbers wrap at 24 bits */

/* A YUV 4:2:0 picture: planes, strides in bytes, size (even), 8 or 10 bits per sample (10-bit
 * samples are native-endian uint16_t, as AV_PIX_FMT_YUV420P10). The planes are the caller's. */
typedef struct SkyThPicture {
    uint8_t *data[3];
    ptrdiff_t stride[3];
    int width, height;
    int bit_depth;
    bool full_range;
} SkyThPicture;

typedef struct SkyThPatternLayout {
    int block;           /* B */
    int cols, rows;      /* barcode blocks per row, rows */
    int square_y;        /* top of the moving square */
    int square;          /* its side, 2B */
    int lower_y;         /* top of the colour and input areas (H / 2, even) */
    int input_x;         /* left of the input region (W / 2, even) */
} SkyThPatternLayout;

/* The layout for a picture of width x height. */
void sky_th_pattern_layout(int width, int height, SkyThPatternLayout *out);

/* What the host knows about the client's input, for the input region. */
typedef struct SkyThPatternInput {
    uint32_t packets;     /* input packets received this session */
    uint16_t last_key;    /* the last key pressed (0x8000 | virtual-key code) */
    uint8_t keys_down;    /* keys held */
    uint8_t mouse_buttons;/* bit n-1: mouse button n held */
    uint32_t pad_buttons; /* gamepad 0's buttons (SKY_PAD_*) */
    int32_t pointer_x, pointer_y; /* the pointer: absolute moves set it, relative ones move it */
} SkyThPatternInput;

/* Draws frame `frame_number` (taken modulo 2^24) into pic, the input region included (in may
 * be NULL: an empty region). */
void sky_th_pattern_draw(const SkyThPicture *pic, uint32_t frame_number,
                         const SkyThPatternInput *in);

/* The input region: draws `in` into the rectangle x, y, w, h of pic (even coordinates and
 * sizes), on a grey field: three rows of 32 blocks holding, the way the barcode holds the frame
 * number, the packet count, then last_key << 16 | keys_down << 8 | mouse_buttons, then the
 * pad's buttons; below them a white square at the pointer's position (modulo the space left). */
void sky_th_pattern_draw_input(const SkyThPicture *pic, int x, int y, int w, int h,
                               const SkyThPatternInput *in);

/* Reads the frame number back from a picture drawn above (possibly after lossy coding).
 * Returns 0, SKY_ERR(EINVAL) if the picture is too small to hold the barcode, or
 * SKY_ERR(EBADMSG) if the checksum does not match. */
int sky_th_pattern_read(const SkyThPicture *pic, uint32_t *frame_number);

/* The 32-bit barcode word for a frame number (number << 8 | CRC-8). */
uint32_t sky_th_pattern_word(uint32_t frame_number);

#endif

/* The test host's video source: a synthetic picture per frame, drawn straight into YUV planes
 * (4:2:0 or 4:4:4, 8 or 10 bits), so the encoder needs no colour conversion and a test can read
 * the frame number back from a decoded picture.
 *
 * Layout of a W x H picture (B = sky_th_pattern_layout's block size, an even number of pixels,
 * 16 to 64: W / 32 rounded down to even and clamped; SkyThPatternLayout has every number below):
 *
 *   top-left        the frame-number barcode: 32 blocks of B x B, `cols` per row (at most 32,
 *                   as many as fit in W), `rows` rows, bits most significant first, row by row.
 *                   Bits 31..8 are the frame number (24 bits), bits 7..0 a CRC-8 (polynomial
 *                   0x07, initial 0) of its three bytes, most significant first. A set bit is
 *                   white (luma 235, or 255 in full range), a clear one black (16 or 0).
 *   below it        a band with a 2B x 2B white square that moves 4 pixels right per frame
 *                   (x = 4 * n modulo W - 2B), on the background
 *   the probe band  rows probe_y .. probe_y + probe_h - 1, where
 *                     probe_y = even_down(square_y + 2B + B / 2),
 *                     probe_h = min(2B, even_down(lower_y - probe_y - B / 2)), 0 (no band)
 *                               when that is under 8;
 *                   left half (x 0 .. input_x - 1): the chroma columns, luma 126 everywhere,
 *                     chroma alternating per column: even x Cb 90 Cr 170 (an orange), odd x
 *                     Cb 166 Cr 86 (a blue): two colours of equal luma that only full-resolution
 *                     chroma tells apart. In a 4:2:0 picture the region holds what 4:2:0 makes
 *                     of them: Cb = Cr = 128, a plain grey of the same luma.
 *                   right half, in PQ pictures only (SkyThPicture.pq, HDR): four neutral
 *                     patches (Cb = Cr = mid), patch i at x = input_x + i * patch_w, patch_w =
 *                     even_down((W - input_x) / 4) wide, probe_h tall, with the luminances and
 *                     PQ code values of sky_th_hdr_patches (black, BT.2408's 18% grey at
 *                     26 cd/m2, its reference white at 203 cd/m2, a 1000 cd/m2 highlight);
 *                     background otherwise
 *   bottom-left     the static colour area: six bars (red, green, blue, cyan, magenta,
 *                   yellow) across the left half of the lower half of the picture
 *   bottom-right    the input region (the right half of the lower half): drawn by
 *                   sky_th_pattern_draw_input() from the input state the host has received
 *   elsewhere       background, luma 64 (limited range) with neutral chroma
 *
 * Values are 8-bit limited-range Y'CbCr codes; 10-bit pictures use them shifted left by 2 and
 * full-range pictures scale them to 0..255 (luma) or around 128 (chroma) first, except the PQ
 * patches, whose 10-bit codes are given for both ranges. A PQ picture keeps the other codes as
 * they are (its barcode white, 940, means 10000 cd/m2 there).
 *
 * At 1280x720: B 40, probe band rows 160..239, columns x 0..639, patches 160 wide from x 640.
 * At 640x360: B 20, band rows 80..119, columns x 0..319, patches 80 wide from x 320.
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

/* A YUV picture: planes, strides in bytes, size (even), 8 or 10 bits per sample (10-bit samples
 * are native-endian uint16_t, as AV_PIX_FMT_YUV420P10 and YUV444P10). The planes are the
 * caller's. */
typedef struct SkyThPicture {
    uint8_t *data[3];
    ptrdiff_t stride[3];
    int width, height;
    int bit_depth;
    bool full_range;
    bool yuv444;         /* chroma planes at full size (else half width and height) */
    bool pq;             /* PQ-coded (BT.2100 HDR): the HDR patches are drawn */
} SkyThPicture;

typedef struct SkyThPatternLayout {
    int block;           /* B */
    int cols, rows;      /* barcode blocks per row, rows */
    int square_y;        /* top of the moving square */
    int square;          /* its side, 2B */
    int lower_y;         /* top of the colour and input areas (H / 2, even) */
    int input_x;         /* left of the input region (W / 2, even); also the width of the
                          * chroma columns and the left of the HDR patches */
    int probe_y, probe_h; /* the probe band (probe_h 0: none) */
    int patch_w;         /* width of each HDR patch */
} SkyThPatternLayout;

/* The chroma columns' values (8-bit limited range). */
#define SKY_TH_COLUMNS_Y 126
#define SKY_TH_COLUMNS_CB_EVEN 90
#define SKY_TH_COLUMNS_CR_EVEN 170
#define SKY_TH_COLUMNS_CB_ODD 166
#define SKY_TH_COLUMNS_CR_ODD 86

/* The HDR patches, left to right: the luminance each stands for and its 10-bit luma code under
 * the SMPTE ST 2084 (PQ) curve, code = round(64 + 876 E) in limited range and round(1023 E) in
 * full range, E = ((c1 + c2 Y^m1) / (1 + c3 Y^m1))^m2 with Y = cd/m2 / 10000. */
#define SKY_TH_HDR_PATCHES 4
typedef struct SkyThHdrPatch {
    int cd_m2;
    uint16_t code_limited, code_full;
} SkyThHdrPatch;
extern const SkyThHdrPatch sky_th_hdr_patches[SKY_TH_HDR_PATCHES];

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

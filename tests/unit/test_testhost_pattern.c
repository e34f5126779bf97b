/* The test host's picture (tests/host/pattern.c) and encoders (tests/host/encoder.c): the frame
 * number drawn into the barcode reads back exactly, in 4:2:0 and 4:4:4, and survives libx264,
 * libx265 and SVT-AV1 (8 and 10 bits, 4:4:4 with x264 and x265) and their decoders, a damaged
 * barcode is detected, and an IDR asked for mid-stream is one a fresh decoder can start from.
 * The probe band: the chroma columns (single-pixel chroma, intact through 4:4:4 coding, a neutral
 * grey in 4:2:0) and the PQ patches (their code values follow the ST 2084 curve); HDR streams
 * carry BT.2020 / PQ and the mastering metadata in their bitstream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libavcodec/avcodec.h>
#include <libavutil/log.h>
#include <libavutil/mastering_display_metadata.h>
#include <math.h>

#include "common/core/error.h"
#include "common/proto/sdp.h"
#include "tests/host/encoder.h"
#include "tests/host/host.h"
#include "tests/host/pattern.h"

/* A picture in memory of w x h (8 or 10 bits, 4:2:0 or 4:4:4). */
typedef struct Buf {
    SkyThPicture pic;
    uint8_t *mem;
} Buf;

static void buf_alloc444(Buf *b, int w, int h, int depth, bool full, bool yuv444)
{
    int bps = depth > 8 ? 2 : 1, cw = yuv444 ? w : w / 2, ch = yuv444 ? h : h / 2;
    size_t y = (size_t)w * h * bps, c = (size_t)cw * ch * bps;
    b->mem = calloc(1, y + 2 * c);
    assert_non_null(b->mem);
    b->pic = (SkyThPicture){.data = {b->mem, b->mem + y, b->mem + y + c},
                            .stride = {w * bps, cw * bps, cw * bps},
                            .width = w,
                            .height = h,
                            .bit_depth = depth,
                            .full_range = full,
                            .yuv444 = yuv444};
}

static void buf_alloc(Buf *b, int w, int h, int depth, bool full)
{
    buf_alloc444(b, w, h, depth, full, false);
}

/* Sample (x, y) of a plane (x, y in that plane's own size). */
static int sample(const SkyThPicture *p, int plane, int x, int y)
{
    const uint8_t *row = p->data[plane] + (ptrdiff_t)y * p->stride[plane];
    return p->bit_depth > 8 ? ((const uint16_t *)(const void *)row)[x] : row[x];
}

/* An 8-bit limited-range level at the picture's depth and range (as pattern.c scales). */
static int lv(const SkyThPicture *p, int v, bool chroma)
{
    if (p->full_range) {
        v = chroma ? 128 + ((v - 128) * 255 + 112) / 224 : ((v - 16) * 255 + 109) / 219;
        v = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    return p->bit_depth > 8 ? v << (p->bit_depth - 8) : v;
}

/* The chroma columns of a picture drawn (or decoded) from the pattern: tol 0 checks the drawn
 * values exactly, every pixel; a tolerance checks the middle half of the band after coding. */
static void check_columns(const SkyThPicture *p, int tol)
{
    SkyThPatternLayout l;
    sky_th_pattern_layout(p->width, p->height, &l);
    assert_true(l.probe_h > 0);
    int y0 = tol ? l.probe_y + l.probe_h / 4 : l.probe_y;
    int y1 = tol ? y0 + l.probe_h / 2 : l.probe_y + l.probe_h;
    int x0 = tol ? l.block : 0, x1 = tol ? l.input_x - l.block : l.input_x;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            bool odd = x & 1;
            int want[3] = {lv(p, SKY_TH_COLUMNS_Y, false),
                           lv(p, p->yuv444 ? (odd ? SKY_TH_COLUMNS_CB_ODD : SKY_TH_COLUMNS_CB_EVEN)
                                           : 128,
                              true),
                           lv(p, p->yuv444 ? (odd ? SKY_TH_COLUMNS_CR_ODD : SKY_TH_COLUMNS_CR_EVEN)
                                           : 128,
                              true)};
            for (int c = 0; c < 3; c++) {
                int s = c && !p->yuv444 ? 1 : 0;
                int got = sample(p, c, x >> s, y >> s);
                int t = tol << (p->bit_depth - 8);
                if (abs(got - want[c]) > t)
                    fail_msg("%dx%d %d-bit %s: plane %d at (%d, %d) is %d, want %d", p->width,
                             p->height, p->bit_depth, p->yuv444 ? "4:4:4" : "4:2:0", c, x, y, got,
                             want[c]);
            }
        }
}

static void test_draw_read(void **state)
{
    (void)state;
    const struct {
        int w, h, depth;
        bool full;
    } sizes[] = {{320, 240, 8, false}, {1280, 720, 8, true}, {640, 360, 10, false},
                 {1920, 1080, 10, true}, {512, 200, 8, false}, {2560, 1440, 8, false}};
    const uint32_t numbers[] = {1, 2, 255, 256, 0x123456, 0xFFFFFF};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        Buf b;
        buf_alloc(&b, sizes[s].w, sizes[s].h, sizes[s].depth, sizes[s].full);
        for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
            SkyThPatternInput in = {.packets = numbers[i] * 3};
            sky_th_pattern_draw(&b.pic, numbers[i], &in);
            uint32_t n = 0;
            assert_int_equal(sky_th_pattern_read(&b.pic, &n), 0);
            assert_int_equal(n, numbers[i]);
        }
        /* Frame numbers wrap at 24 bits. */
        uint32_t n = 0;
        sky_th_pattern_draw(&b.pic, 0x1000005, NULL);
        assert_int_equal(sky_th_pattern_read(&b.pic, &n), 0);
        assert_int_equal(n, 5);
        free(b.mem);
    }
}

/* 4:4:4 and 4:2:0 pictures of every depth and range: the barcode reads back, the chroma columns
 * are drawn (alternating in 4:4:4, neutral in 4:2:0) and nothing else in the band changes. */
static void test_draw_444(void **state)
{
    (void)state;
    const struct {
        int w, h, depth;
        bool full;
    } sizes[] = {{320, 240, 8, false}, {1280, 720, 8, true}, {640, 360, 10, false},
                 {1920, 1080, 10, true}};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (int yuv444 = 0; yuv444 <= 1; yuv444++) {
            Buf b;
            buf_alloc444(&b, sizes[s].w, sizes[s].h, sizes[s].depth, sizes[s].full, yuv444);
            sky_th_pattern_draw(&b.pic, 0x0ABCDE, NULL);
            uint32_t n = 0;
            assert_int_equal(sky_th_pattern_read(&b.pic, &n), 0);
            assert_int_equal(n, 0x0ABCDE);
            check_columns(&b.pic, 0);
            /* Without PQ the patch area is background (luma 64, neutral). */
            SkyThPatternLayout l;
            sky_th_pattern_layout(sizes[s].w, sizes[s].h, &l);
            assert_int_equal(sample(&b.pic, 0, l.input_x + l.patch_w / 2, l.probe_y + 1),
                             lv(&b.pic, 64, false));
            free(b.mem);
        }
    }
}

/* The layout numbers docs/testhost.md gives for the probe band. */
static void test_probe_layout(void **state)
{
    (void)state;
    static const struct {
        int w, h, block, probe_y, probe_h, input_x, patch_w;
    } docs[] = {{1280, 720, 40, 160, 80, 640, 160},
                {640, 360, 20, 80, 40, 320, 80},
                {320, 240, 16, 80, 32, 160, 40},
                {1920, 1080, 60, 240, 120, 960, 240}};
    SkyThPatternLayout l;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        sky_th_pattern_layout(docs[i].w, docs[i].h, &l);
        int got[5] = {l.block, l.probe_y, l.probe_h, l.input_x, l.patch_w};
        int want[5] = {docs[i].block, docs[i].probe_y, docs[i].probe_h, docs[i].input_x,
                       docs[i].patch_w};
        assert_memory_equal(got, want, sizeof(got));
    }
    /* The band stays clear of the moving square and of the lower half. */
    const int sizes[][2] = {{320, 240}, {256, 144}, {512, 200}, {3840, 2160}, {640, 480}};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        sky_th_pattern_layout(sizes[i][0], sizes[i][1], &l);
        if (l.probe_h == 0)
            continue;
        assert_true(l.probe_y >= l.square_y + l.square);
        assert_true(l.probe_y + l.probe_h <= l.lower_y);
        assert_int_equal(l.probe_y % 2, 0);
        assert_int_equal(l.probe_h % 2, 0);
    }
}

/* SMPTE ST 2084: the 10-bit code of a luminance (limited or full range). */
static int pq_code(double cd_m2, bool full)
{
    const double m1 = 2610.0 / 16384, m2 = 2523.0 / 4096 * 128, c1 = 3424.0 / 4096,
                 c2 = 2413.0 / 4096 * 32, c3 = 2392.0 / 4096 * 32;
    double p = pow(cd_m2 / 10000.0, m1);
    double e = pow((c1 + c2 * p) / (1 + c3 * p), m2);
    return (int)lround(full ? 1023 * e : 64 + 876 * e);
}

/* The HDR patches: their codes follow the PQ curve, and a PQ picture carries them (neutral,
 * at their places) in both ranges; the rest of the band is as in SDR. */
static void test_hdr_patches(void **state)
{
    (void)state;
    static const int nits[SKY_TH_HDR_PATCHES] = {0, 26, 203, 1000};
    for (int i = 0; i < SKY_TH_HDR_PATCHES; i++) {
        assert_int_equal(sky_th_hdr_patches[i].cd_m2, nits[i]);
        assert_int_equal(sky_th_hdr_patches[i].code_limited, pq_code(nits[i], false));
        assert_int_equal(sky_th_hdr_patches[i].code_full, pq_code(nits[i], true));
    }
    /* BT.2408's figures: reference white is PQ 58 %, the 18 % grey card 38 %. */
    assert_int_equal((sky_th_hdr_patches[2].code_full * 100 + 511) / 1023, 58);
    assert_int_equal((sky_th_hdr_patches[1].code_full * 100 + 511) / 1023, 38);
    for (int full = 0; full <= 1; full++) {
        for (int yuv444 = 0; yuv444 <= 1; yuv444++) {
            Buf b;
            buf_alloc444(&b, 640, 360, 10, full, yuv444);
            b.pic.pq = true;
            sky_th_pattern_draw(&b.pic, 77, NULL);
            SkyThPatternLayout l;
            sky_th_pattern_layout(640, 360, &l);
            for (int i = 0; i < SKY_TH_HDR_PATCHES; i++) {
                int want = full ? sky_th_hdr_patches[i].code_full
                                : sky_th_hdr_patches[i].code_limited;
                for (int y = l.probe_y; y < l.probe_y + l.probe_h; y++)
                    for (int x = l.input_x + i * l.patch_w; x < l.input_x + (i + 1) * l.patch_w;
                         x++) {
                        int s = yuv444 ? 0 : 1;
                        assert_int_equal(sample(&b.pic, 0, x, y), want);
                        assert_int_equal(sample(&b.pic, 1, x >> s, y >> s), 512);
                        assert_int_equal(sample(&b.pic, 2, x >> s, y >> s), 512);
                    }
            }
            check_columns(&b.pic, 0);
            uint32_t n = 0;
            assert_int_equal(sky_th_pattern_read(&b.pic, &n), 0);
            assert_int_equal(n, 77);
            free(b.mem);
        }
    }
}

/* The input region shows the input state: each field changes the picture there, and only
 * there (the barcode still reads the same frame). */
static void test_input_region(void **state)
{
    (void)state;
    Buf a, b;
    buf_alloc(&a, 640, 360, 8, false);
    buf_alloc(&b, 640, 360, 8, false);
    SkyThPatternLayout l;
    sky_th_pattern_layout(640, 360, &l);
    SkyThPatternInput base = {.packets = 7, .last_key = 0x8041, .keys_down = 1,
                              .mouse_buttons = 1, .pad_buttons = 0x1000, .pointer_x = 10,
                              .pointer_y = 20};
    SkyThPatternInput changed[6];
    for (int i = 0; i < 6; i++)
        changed[i] = base;
    changed[0].packets++;
    changed[1].last_key = 0x8042;
    changed[2].mouse_buttons = 0;
    changed[3].pad_buttons = 0x2000;
    changed[4].pointer_x += 40;
    changed[5].pointer_y += 40;
    sky_th_pattern_draw(&a.pic, 42, &base);
    for (int i = 0; i < 6; i++) {
        sky_th_pattern_draw(&b.pic, 42, &changed[i]);
        bool differs = false;
        for (int y = 0; y < 360; y++)
            for (int x = 0; x < 640; x++) {
                uint8_t pa = a.pic.data[0][y * a.pic.stride[0] + x];
                uint8_t pb = b.pic.data[0][y * b.pic.stride[0] + x];
                if (pa != pb) {
                    assert_true(x >= l.input_x && y >= l.lower_y);
                    differs = true;
                }
            }
        assert_true(differs);
        uint32_t n = 0;
        assert_int_equal(sky_th_pattern_read(&b.pic, &n), 0);
        assert_int_equal(n, 42);
    }
    free(a.mem);
    free(b.mem);
}

static void test_damage_detected(void **state)
{
    (void)state;
    Buf b;
    buf_alloc(&b, 640, 480, 8, false);
    SkyThPatternLayout l;
    sky_th_pattern_layout(640, 480, &l);
    assert_int_equal(l.block, 20);
    assert_int_equal(l.cols, 32);
    assert_int_equal(l.rows, 1);
    for (int bit = 0; bit < 32; bit++) {
        sky_th_pattern_draw(&b.pic, 0x00ABCD, NULL);
        /* Invert one block: the CRC-8 catches every single-bit error. */
        for (int y = 0; y < l.block; y++)
            for (int x = bit * l.block; x < (bit + 1) * l.block; x++)
                b.pic.data[0][y * b.pic.stride[0] + x] ^= 0xFF;
        uint32_t n = 7;
        assert_int_equal(sky_th_pattern_read(&b.pic, &n), SKY_ERR(EBADMSG));
        assert_int_equal(n, 0);
    }
    /* The word itself: number << 8 | CRC-8 (0x07) of its three bytes. 0x000001 -> 0x07. */
    assert_int_equal(sky_th_pattern_word(1), 0x107);
    free(b.mem);
    /* Too small for the barcode: 64 x 64 would need 8 rows of 16. */
    buf_alloc(&b, 64, 64, 8, false);
    uint32_t n;
    sky_th_pattern_draw(&b.pic, 3, NULL);
    assert_int_equal(sky_th_pattern_read(&b.pic, &n), SKY_ERR(EINVAL));
    free(b.mem);
}

/* What the decoded pictures of a round trip must look like. */
typedef struct Expect {
    int depth;
    bool yuv444;
    bool pq;             /* BT.2020 / PQ / BT.2020 NCL and the display's metadata */
} Expect;

/* One decoded picture: its barcode is its pts; 4:4:4 keeps the chroma columns; an HDR stream
 * says BT.2020 PQ and carries the mastering display and content light levels. */
static void check_picture(const AVFrame *f, const Expect *x)
{
    SkyThPicture pic = {.data = {f->data[0], f->data[1], f->data[2]},
                        .stride = {f->linesize[0], f->linesize[1], f->linesize[2]},
                        .width = f->width,
                        .height = f->height,
                        .bit_depth = x->depth,
                        .yuv444 = x->yuv444};
    uint32_t n = 0;
    assert_int_equal(sky_th_pattern_read(&pic, &n), 0);
    assert_int_equal(n, (uint32_t)f->pts);
    enum AVPixelFormat fmt = x->yuv444 ? (x->depth > 8 ? AV_PIX_FMT_YUV444P10 : AV_PIX_FMT_YUV444P)
                                       : (x->depth > 8 ? AV_PIX_FMT_YUV420P10 : AV_PIX_FMT_YUV420P);
    assert_int_equal(f->format, fmt);
    if (x->yuv444)
        check_columns(&pic, 12);
    if (!x->pq)
        return;
    assert_int_equal(f->color_primaries, AVCOL_PRI_BT2020);
    assert_int_equal(f->color_trc, AVCOL_TRC_SMPTE2084);
    assert_int_equal(f->colorspace, AVCOL_SPC_BT2020_NCL);
    if (!f->key_frame)
        return; /* the metadata comes with the keyframes */
    const AVFrameSideData *sd = av_frame_get_side_data(f, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA);
    assert_non_null(sd);
    const AVMasteringDisplayMetadata *md = (const void *)sd->data;
    assert_true(md->has_luminance && md->has_primaries);
    assert_int_equal((int)lround(av_q2d(md->max_luminance)), 1000);
    assert_true(fabs(av_q2d(md->min_luminance) - 0.005) < 0.0005);
    assert_true(fabs(av_q2d(md->display_primaries[0][0]) - 0.708) < 0.001); /* red x */
    assert_true(fabs(av_q2d(md->white_point[1]) - 0.329) < 0.001);
    sd = av_frame_get_side_data(f, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL);
    assert_non_null(sd);
    const AVContentLightMetadata *cl = (const void *)sd->data;
    assert_int_equal(cl->MaxCLL, 1000);
    assert_int_equal(cl->MaxFALL, 400);
}

/* Decodes one packet into dec and checks every picture that comes out. Returns the pictures
 * seen. */
static int decode(AVCodecContext *dec, const SkyThPacket *p, const Expect *x)
{
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    assert_int_equal(av_new_packet(pkt, (int)p->len), 0);
    memcpy(pkt->data, p->data, p->len);
    pkt->pts = p->pts;
    assert_int_equal(avcodec_send_packet(dec, pkt), 0);
    int got = 0;
    while (avcodec_receive_frame(dec, f) == 0) {
        check_picture(f, x);
        got++;
    }
    av_frame_free(&f);
    av_packet_free(&pkt);
    return got;
}

static AVCodecContext *open_decoder(int codec)
{
    enum AVCodecID id = codec == SKY_SDP_CODEC_H264   ? AV_CODEC_ID_H264
                        : codec == SKY_SDP_CODEC_HEVC ? AV_CODEC_ID_HEVC
                                                      : AV_CODEC_ID_AV1;
    const AVCodec *c = avcodec_find_decoder(id);
    assert_non_null(c);
    AVCodecContext *d = avcodec_alloc_context3(c);
    assert_non_null(d);
    d->thread_count = 1;
    assert_int_equal(avcodec_open2(d, c, NULL), 0);
    return d;
}

static int drain(AVCodecContext *dec, const Expect *x)
{
    AVFrame *f = av_frame_alloc();
    int got = 0;
    avcodec_send_packet(dec, NULL);
    while (avcodec_receive_frame(dec, f) == 0) {
        check_picture(f, x);
        got++;
    }
    av_frame_free(&f);
    return got;
}

/* 12 frames, an IDR asked for at frame 7: every frame decodes to its own number, exactly frames
 * 1 and 7 are keyframes, and a decoder that starts at frame 7 decodes 7..12. cfg's codec, size,
 * bit depth, chroma and colour are the caller's. */
static void round_trip_cfg(SkyThEncoderCfg cfg)
{
    SkyThEncoder *e = NULL;
    int ret = sky_th_encoder_create(&e, &cfg);
    if (ret == SKY_ERR(ENOSYS)) {
        printf("(skipped: no %s in this libavcodec)\n", sky_th_encoder_name(cfg.codec));
        return;
    }
    assert_int_equal(ret, 0);
    Expect x = {cfg.ten_bit ? 10 : 8, cfg.yuv444, cfg.pq};
    AVCodecContext *all = open_decoder(cfg.codec), *late = open_decoder(cfg.codec);
    int out = 0, decoded = 0, late_decoded = 0;
    /* Pictures after the 12th only push out what libx265 and SVT-AV1 still hold. */
    for (int n = 1; n <= 12 + 16 && out < 12; n++) {
        SkyThPicture pic;
        assert_int_equal(sky_th_encoder_picture(e, &pic), 0);
        assert_int_equal(pic.yuv444, cfg.yuv444);
        assert_int_equal(pic.pq, cfg.pq);
        sky_th_pattern_draw(&pic, (uint32_t)n, NULL);
        assert_int_equal(sky_th_encoder_send(e, n, n == 1 || n == 7), 0);
        SkyThPacket p;
        while (out < 12 && (ret = sky_th_encoder_receive(e, &p)) == 0) {
            out++;
            assert_int_equal(p.pts, out); /* in order, one per picture */
            assert_int_equal(p.keyframe, out == 1 || out == 7);
            decoded += decode(all, &p, &x);
            if (out >= 7)
                late_decoded += decode(late, &p, &x);
        }
    }
    assert_int_equal(out, 12);
    decoded += drain(all, &x);
    late_decoded += drain(late, &x);
    assert_int_equal(decoded, 12);
    assert_int_equal(late_decoded, 6);
    avcodec_free_context(&all);
    avcodec_free_context(&late);
    sky_th_encoder_destroy(&e);
    assert_null(e);
}

/* The round trip at 320x240, Rec. 709, two slices; pq: HDR with the test host's display
 * metadata. */
static void round_trip_mode(int codec, bool ten_bit, bool yuv444, bool pq)
{
    round_trip_cfg((SkyThEncoderCfg){.codec = codec, .width = 320, .height = 240, .fps = 30,
                                     .bitrate_kbps = 4000, .slices = 2, .ten_bit = ten_bit,
                                     .yuv444 = yuv444, .csc_mode = 2, .pq = pq,
                                     .mastering = pq ? sky_th_hdr_display : (SkyControlHdrMode){0},
                                     .threads = 2});
}

static void round_trip(int codec, bool ten_bit)
{
    round_trip_mode(codec, ten_bit, false, false);
}

static void test_h264(void **state)
{
    (void)state;
    round_trip(SKY_SDP_CODEC_H264, false);
}

static void test_hevc(void **state)
{
    (void)state;
    round_trip(SKY_SDP_CODEC_HEVC, false);
    round_trip(SKY_SDP_CODEC_HEVC, true);
}

static void test_av1(void **state)
{
    (void)state;
    round_trip(SKY_SDP_CODEC_AV1, false);
    round_trip(SKY_SDP_CODEC_AV1, true);
}

/* 4:4:4 as Sunshine's software encoder makes it: libx264 (8-bit), libx265 (8 and 10 bits); the
 * single-pixel chroma columns survive. (SVT-AV1 cannot: test_bad_config.) */
static void test_444(void **state)
{
    (void)state;
    round_trip_mode(SKY_SDP_CODEC_H264, false, true, false);
    round_trip_mode(SKY_SDP_CODEC_HEVC, false, true, false);
    round_trip_mode(SKY_SDP_CODEC_HEVC, true, true, false);
}

/* HDR as Sunshine encodes an HDR display: 10-bit BT.2020 PQ signalled in the bitstream with
 * the display's mastering metadata (HEVC SEI, AV1 metadata OBUs), the PQ patches drawn. */
static void test_hdr_signalled(void **state)
{
    (void)state;
    round_trip_mode(SKY_SDP_CODEC_HEVC, true, false, true);
    round_trip_mode(SKY_SDP_CODEC_HEVC, true, true, true);
    round_trip_mode(SKY_SDP_CODEC_AV1, true, false, true);
}

static void test_bad_config(void **state)
{
    (void)state;
    SkyThEncoder *e = NULL;
    SkyThEncoderCfg cfg = {.codec = SKY_SDP_CODEC_H264, .width = 321, .height = 240, .fps = 30,
                           .bitrate_kbps = 1000, .slices = 1};
    assert_int_equal(sky_th_encoder_create(&e, &cfg), SKY_ERR(EINVAL)); /* odd width */
    cfg.width = 320;
    cfg.ten_bit = true;
    assert_int_equal(sky_th_encoder_create(&e, &cfg), SKY_ERR(EINVAL)); /* 10-bit H.264 */
    cfg.ten_bit = false;
    cfg.pq = true; /* PQ needs 10 bits */
    cfg.codec = SKY_SDP_CODEC_HEVC;
    assert_int_equal(sky_th_encoder_create(&e, &cfg), SKY_ERR(EINVAL));
    cfg.pq = false;
    cfg.codec = SKY_SDP_CODEC_AV1; /* SVT-AV1 cannot encode 4:4:4 */
    cfg.yuv444 = true;
    assert_int_equal(sky_th_encoder_create(&e, &cfg), SKY_ERR(ENOTSUP));
    cfg.yuv444 = false;
    cfg.codec = 7;
    assert_int_equal(sky_th_encoder_create(&e, &cfg), SKY_ERR(ENOSYS));
    assert_null(e);
    sky_th_encoder_destroy(&e);
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);
    setenv("SVT_LOG", "1", 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draw_read),
        cmocka_unit_test(test_draw_444),
        cmocka_unit_test(test_probe_layout),
        cmocka_unit_test(test_hdr_patches),
        cmocka_unit_test(test_input_region),
        cmocka_unit_test(test_damage_detected),
        cmocka_unit_test(test_h264),
        cmocka_unit_test(test_hevc),
        cmocka_unit_test(test_av1),
        cmocka_unit_test(test_444),
        cmocka_unit_test(test_hdr_signalled),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

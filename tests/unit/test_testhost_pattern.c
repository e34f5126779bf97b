/* The test host's picture (tests/host/pattern.c) and encoders (tests/host/encoder.c): the frame
 * number drawn into the barcode reads back exactly, survives libx264, libx265 and SVT-AV1 (8 and
 * 10 bits) and their decoders, a damaged barcode is detected, and an IDR asked for mid-stream is
 * one a fresh decoder can start from. */
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

#include "common/core/error.h"
#include "common/proto/sdp.h"
#include "tests/host/encoder.h"
#include "tests/host/pattern.h"

/* A picture in memory of w x h (8 or 10 bits). */
typedef struct Buf {
    SkyThPicture pic;
    uint8_t *mem;
} Buf;

static void buf_alloc(Buf *b, int w, int h, int depth, bool full)
{
    int bps = depth > 8 ? 2 : 1;
    size_t y = (size_t)w * h * bps, c = (size_t)(w / 2) * (h / 2) * bps;
    b->mem = calloc(1, y + 2 * c);
    assert_non_null(b->mem);
    b->pic = (SkyThPicture){.data = {b->mem, b->mem + y, b->mem + y + c},
                            .stride = {w * bps, w / 2 * bps, w / 2 * bps},
                            .width = w,
                            .height = h,
                            .bit_depth = depth,
                            .full_range = full};
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

/* Decodes one packet into dec; reads the barcode of every picture that comes out and checks it
 * against the picture's pts. Returns the pictures seen. */
static int decode(AVCodecContext *dec, const SkyThPacket *p, int depth)
{
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    assert_int_equal(av_new_packet(pkt, (int)p->len), 0);
    memcpy(pkt->data, p->data, p->len);
    pkt->pts = p->pts;
    assert_int_equal(avcodec_send_packet(dec, pkt), 0);
    int got = 0;
    while (avcodec_receive_frame(dec, f) == 0) {
        SkyThPicture pic = {.data = {f->data[0], f->data[1], f->data[2]},
                            .stride = {f->linesize[0], f->linesize[1], f->linesize[2]},
                            .width = f->width,
                            .height = f->height,
                            .bit_depth = depth};
        uint32_t n = 0;
        assert_int_equal(sky_th_pattern_read(&pic, &n), 0);
        assert_int_equal(n, (uint32_t)f->pts);
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

static int drain(AVCodecContext *dec, int depth)
{
    AVFrame *f = av_frame_alloc();
    int got = 0;
    avcodec_send_packet(dec, NULL);
    while (avcodec_receive_frame(dec, f) == 0) {
        SkyThPicture pic = {.data = {f->data[0], f->data[1], f->data[2]},
                            .stride = {f->linesize[0], f->linesize[1], f->linesize[2]},
                            .width = f->width,
                            .height = f->height,
                            .bit_depth = depth};
        uint32_t n = 0;
        assert_int_equal(sky_th_pattern_read(&pic, &n), 0);
        assert_int_equal(n, (uint32_t)f->pts);
        got++;
    }
    av_frame_free(&f);
    return got;
}

/* 12 frames, an IDR asked for at frame 7: every frame decodes to its own number, exactly frames
 * 1 and 7 are keyframes, and a decoder that starts at frame 7 decodes 7..12. */
static void round_trip(int codec, bool ten_bit)
{
    SkyThEncoderCfg cfg = {.codec = codec, .width = 320, .height = 240, .fps = 30,
                           .bitrate_kbps = 2000, .slices = 2, .ten_bit = ten_bit, .threads = 2};
    SkyThEncoder *e = NULL;
    int ret = sky_th_encoder_create(&e, &cfg);
    if (ret == SKY_ERR(ENOSYS)) {
        printf("(skipped: no %s in this libavcodec)\n", sky_th_encoder_name(codec));
        return;
    }
    assert_int_equal(ret, 0);
    int depth = ten_bit ? 10 : 8;
    AVCodecContext *all = open_decoder(codec), *late = open_decoder(codec);
    int out = 0, decoded = 0, late_decoded = 0;
    /* Pictures after the 12th only push out what libx265 and SVT-AV1 still hold. */
    for (int n = 1; n <= 12 + 16 && out < 12; n++) {
        SkyThPicture pic;
        assert_int_equal(sky_th_encoder_picture(e, &pic), 0);
        sky_th_pattern_draw(&pic, (uint32_t)n, NULL);
        assert_int_equal(sky_th_encoder_send(e, n, n == 1 || n == 7), 0);
        SkyThPacket p;
        while (out < 12 && (ret = sky_th_encoder_receive(e, &p)) == 0) {
            out++;
            assert_int_equal(p.pts, out); /* in order, one per picture */
            assert_int_equal(p.keyframe, out == 1 || out == 7);
            decoded += decode(all, &p, depth);
            if (out >= 7)
                late_decoded += decode(late, &p, depth);
        }
    }
    assert_int_equal(out, 12);
    decoded += drain(all, depth);
    late_decoded += drain(late, depth);
    assert_int_equal(decoded, 12);
    assert_int_equal(late_decoded, 6);
    avcodec_free_context(&all);
    avcodec_free_context(&late);
    sky_th_encoder_destroy(&e);
    assert_null(e);
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
        cmocka_unit_test(test_input_region),
        cmocka_unit_test(test_damage_detected),
        cmocka_unit_test(test_h264),
        cmocka_unit_test(test_hevc),
        cmocka_unit_test(test_av1),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The receive path on real traffic: the video datagrams Sunshine sent in the recorded sessions
 * (tests/data/captures, from shared/captures) go through decryption, FEC and reassembly and must
 * give exactly the recorded elementary stream, also with datagrams dropped that FEC can
 * rebuild, and that stream must decode cleanly with libavcodec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libavcodec/avcodec.h>

#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/proto/frame_assembler.h"
#include "common/proto/video_packet.h"
#include "dgrams.h"

typedef struct Replay {
    uint8_t *es;      /* the access units, back to back */
    size_t es_len, es_cap;
    size_t *au_len;   /* each frame's size */
    int frames, lost, dropped, requests, fec_reports;
    uint16_t recovered;
} Replay;

/* Feeds the capture's video through the receive path. drop_every: drop every n-th data shard
 * of each block that parity can cover (0: drop nothing). */
static void replay(const char *capture, int drop_every, Replay *out, TDgramKeys *keys)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(tdgram_load_capture(SKY_TEST_DATA, capture, &buf, &len, keys), 0);
    memset(out, 0, sizeof(*out));
    out->es_cap = keys->video_es_bytes + 1;
    out->es = malloc(out->es_cap);
    out->au_len = calloc((size_t)keys->frames + 1, sizeof(size_t));
    SkyAssembler *a = NULL;
    SkyAssemblerCfg cfg = {.packet_size = (size_t)keys->packet_size};
    assert_int_equal(sky_assembler_create(&a, &cfg), 0);
    SkyGcm *gcm = NULL;
    if (keys->video_encrypted)
        assert_int_equal(sky_gcm_create(&gcm, keys->rikey), 0);
    TDgramReader r;
    TDgram d;
    assert_int_equal(tdgram_init(&r, buf, len), 0);
    uint8_t plain[SKY_VIDEO_MAX_PACKET_SIZE + 64];
    int n = 0;
    while (tdgram_next(&r, &d) == 1) {
        if (d.stream != TDGRAM_VIDEO)
            continue;
        const uint8_t *pkt = d.data;
        size_t plen = d.len;
        if (gcm) {
            assert_int_equal(sky_video_decrypt(gcm, d.data, d.len, plain, sizeof(plain), &plen), 0);
            pkt = plain;
        }
        SkyVideoShard s;
        assert_int_equal(sky_video_shard_parse(pkt, plen, plen, &s), 0);
        /* Drop some data shards, never more per block than it has parity. */
        if (drop_every && s.shard_index < s.data_shards && s.shard_index % drop_every == 0 &&
            s.shard_index / drop_every < s.parity_shards)
            continue;
        assert_int_equal(sky_assembler_add(a, pkt, plen, (int64_t)d.time_us), 0);
        SkyAsmEvent ev;
        while (sky_assembler_poll(a, (int64_t)d.time_us, &ev)) {
            switch (ev.type) {
            case SKY_ASM_FRAME:
                assert_true(out->es_len + ev.frame.len <= out->es_cap);
                memcpy(out->es + out->es_len, sky_assembler_frame_data(a), ev.frame.len);
                out->es_len += ev.frame.len;
                out->au_len[out->frames++] = ev.frame.len;
                out->recovered = (uint16_t)(out->recovered + ev.frame.recovered_shards);
                assert_int_equal(ev.frame.frame_index, (uint32_t)(keys->first_frame + n));
                assert_int_equal(ev.frame.frame_type,
                                 n == 0 ? SKY_FRAME_TYPE_IDR : SKY_FRAME_TYPE_P);
                n++;
                break;
            case SKY_ASM_LOST:
                out->lost++;
                break;
            case SKY_ASM_DROPPED:
                out->dropped++;
                break;
            case SKY_ASM_FEC_STATUS:
                out->fec_reports++;
                break;
            default:
                out->requests++;
                break;
            }
        }
    }
    sky_gcm_destroy(&gcm);
    sky_assembler_destroy(&a);
    free(buf);
}

static void free_replay(Replay *r)
{
    free(r->es);
    free(r->au_len);
}

static void check_capture(const char *capture)
{
    TDgramKeys keys;
    for (int drop = 0; drop <= 3; drop++) {
        Replay r;
        replay(capture, drop == 0 ? 0 : drop + 1, &r, &keys);
        assert_int_equal(r.frames, keys.frames);
        assert_int_equal(r.lost + r.dropped + r.requests, 0);
        assert_int_equal(r.es_len, keys.video_es_bytes);
        uint8_t hash[32];
        sky_sha256(r.es, r.es_len, hash);
        assert_memory_equal(hash, keys.video_es_sha256, 32);
        if (drop) {
            assert_true(r.recovered > 0);
            assert_true(r.fec_reports > 0); /* repaired blocks are reported to the host */
        } else {
            assert_int_equal(r.recovered, 0);
            assert_int_equal(r.fec_reports, 0);
        }
        free_replay(&r);
    }
}

/* The reassembled stream decodes: every frame gives a picture, no errors. */
static void decode_capture(const char *capture, enum AVCodecID id)
{
    TDgramKeys keys;
    Replay r;
    replay(capture, 2, &r, &keys);
    const AVCodec *codec = avcodec_find_decoder(id);
    assert_non_null(codec);
    AVCodecContext *ctx = avcodec_alloc_context3(codec);
    ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    ctx->err_recognition = AV_EF_EXPLODE; /* any bitstream error fails the decode */
    assert_int_equal(avcodec_open2(ctx, codec, NULL), 0);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    int pictures = 0;
    size_t off = 0;
    for (int i = 0; i < r.frames; i++) {
        assert_int_equal(av_new_packet(pkt, (int)r.au_len[i]), 0);
        memcpy(pkt->data, r.es + off, r.au_len[i]);
        off += r.au_len[i];
        assert_int_equal(avcodec_send_packet(ctx, pkt), 0);
        av_packet_unref(pkt);
        while (avcodec_receive_frame(ctx, f) == 0) {
            assert_int_equal(f->width, 1280);
            assert_int_equal(f->height, 720);
            assert_int_equal(f->decode_error_flags, 0);
            pictures++;
        }
    }
    avcodec_send_packet(ctx, NULL);
    while (avcodec_receive_frame(ctx, f) == 0)
        pictures++;
    assert_int_equal(pictures, r.frames);
    av_frame_free(&f);
    av_packet_free(&pkt);
    avcodec_free_context(&ctx);
    free_replay(&r);
}

static void test_h264(void **state)
{
    (void)state;
    check_capture("stream-h264");
    decode_capture("stream-h264", AV_CODEC_ID_H264);
}

static void test_hevc(void **state)
{
    (void)state;
    check_capture("stream-hevc");
    decode_capture("stream-hevc", AV_CODEC_ID_HEVC);
}

static void test_h264_encrypted(void **state)
{
    (void)state;
    check_capture("stream-h264-videoenc");
    decode_capture("stream-h264-videoenc", AV_CODEC_ID_H264);
}

/* A datagram whose encryption does not check out never reaches the assembler. */
static void test_tampered(void **state)
{
    (void)state;
    uint8_t *buf = NULL;
    size_t len = 0;
    TDgramKeys keys;
    assert_int_equal(tdgram_load_capture(SKY_TEST_DATA, "stream-h264-videoenc", &buf, &len, &keys),
                     0);
    SkyGcm *gcm = NULL;
    assert_int_equal(sky_gcm_create(&gcm, keys.rikey), 0);
    TDgramReader r;
    TDgram d;
    tdgram_init(&r, buf, len);
    uint8_t copy[2048], plain[2048];
    size_t n, checked = 0;
    while (tdgram_next(&r, &d) == 1 && checked < 50) {
        if (d.stream != TDGRAM_VIDEO)
            continue;
        memcpy(copy, d.data, d.len);
        copy[40 + checked % 900] ^= 0x10;
        assert_int_equal(sky_video_decrypt(gcm, copy, d.len, plain, sizeof(plain), &n),
                         SKY_ERR(EBADMSG));
        checked++;
    }
    assert_int_equal(checked, 50);
    sky_gcm_destroy(&gcm);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_h264),
        cmocka_unit_test(test_hevc),
        cmocka_unit_test(test_h264_encrypted),
        cmocka_unit_test(test_tampered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* common/proto/sdp.h and the test host's half (tests/host/proto/sdp_host.h) on the three recorded
 * handshakes: the host's DESCRIBE reply read as moonlight-common-c reads it and rebuilt as
 * Sunshine writes it; the client's ANNOUNCE body rebuilt byte for byte from the session's
 * parameters and read back as Sunshine reads it; then hostile and edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/core/error.h"
#include "common/proto/rtsp.h"
#include "common/proto/sdp.h"
#include "tests/host/proto/sdp_host.h"
#include "rtsp_capture.h"

#ifndef SKY_TEST_DATA
#error "SKY_TEST_DATA must name tests/data"
#endif

/* The body of message i (0-based) of a capture, via the RTSP parser. */
static void body_of(const TRtspCapture *cap, size_t i, const char **body, size_t *len)
{
    const TRtspMsg *t = &cap->msgs[i];
    SkyRtspMsg m;
    if (t->from_client) {
        size_t used;
        assert_int_equal(sky_rtsp_parse_request(t->text, t->len, &m, &used), 0);
    } else {
        assert_int_equal(sky_rtsp_parse_response(t->text, t->len, &m), 0);
    }
    assert_non_null(m.body);
    *body = m.body;
    *len = m.body_len;
}

static void assert_layout(const SkyOpusConfig *c, int channels, int streams, int coupled,
                          const uint8_t *mapping)
{
    assert_int_equal(c->channels, channels);
    assert_int_equal(c->streams, streams);
    assert_int_equal(c->coupled, coupled);
    assert_memory_equal(c->mapping, mapping, (size_t)channels);
    assert_int_equal(sky_opus_config_validate(c), 0);
}

/* ---- DESCRIBE ------------------------------------------------------------------------------- */

static void test_describe_capture(void **state)
{
    (void)state;
    static const char *const names[] = {"stream-h264.rtsp.txt", "stream-hevc.rtsp.txt",
                                        "stream-h264-videoenc.rtsp.txt"};
    static const uint8_t ident6[] = {0, 1, 2, 3, 4, 5};
    static const uint8_t ident8[] = {0, 1, 2, 3, 4, 5, 6, 7};
    static const uint8_t normal71[] = {0, 1, 2, 7, 4, 5, 3, 6}; /* mcc's fix-up of 01245367 */
    static const uint8_t stereo[] = {0, 1};
    for (size_t c = 0; c < 3; c++) {
        TRtspCapture cap;
        assert_true(trtsp_load(SKY_TEST_DATA, names[c], &cap));
        const char *sdp;
        size_t len;
        body_of(&cap, 3, &sdp, &len);
        SkyHostCaps caps;

        assert_int_equal(sky_sdp_host_caps_parse(sdp, len, 2, &caps), 0);
        assert_int_equal(caps.feature_flags, 0);
        assert_int_equal(caps.encryption_supported, c == 2 ? 7 : 5);
        assert_int_equal(caps.encryption_requested, 1);
        assert_true(caps.hevc);
        assert_false(caps.av1);
        assert_false(caps.rfi);
        assert_layout(&caps.opus_normal, 2, 1, 1, stereo);
        assert_false(caps.opus_high_ok);

        assert_int_equal(sky_sdp_host_caps_parse(sdp, len, 6, &caps), 0);
        assert_layout(&caps.opus_normal, 6, 4, 2, ident6);
        assert_true(caps.opus_high_ok);
        assert_layout(&caps.opus_high, 6, 6, 0, ident6);

        assert_int_equal(sky_sdp_host_caps_parse(sdp, len, 8, &caps), 0);
        assert_layout(&caps.opus_normal, 8, 5, 3, normal71);
        assert_true(caps.opus_high_ok);
        assert_layout(&caps.opus_high, 8, 8, 0, ident8);

        /* The host side writes the same body. */
        SkySdpDescribe d = {.feature_flags = 0,
                            .encryption_supported = caps.encryption_supported,
                            .encryption_requested = 1,
                            .hevc = true};
        char buf[1024];
        SkyWriter wr = sky_wr_init(buf, sizeof(buf));
        assert_int_equal(sky_sdp_describe_build(&wr, &d), 0);
        assert_int_equal(wr.pos, len);
        assert_memory_equal(buf, sdp, len);
        wr = sky_wr_init(buf, len - 1);
        assert_int_equal(sky_sdp_describe_build(&wr, &d), SKY_ERR(E2BIG));
        trtsp_free(&cap);
    }
}

static void test_describe_markers(void **state)
{
    (void)state;
    SkySdpDescribe d = {.feature_flags = SKY_SS_FF_PEN_TOUCH | SKY_SS_FF_CONTROLLER_TOUCH,
                        .encryption_supported = 7,
                        .encryption_requested = 7,
                        .rfi = true,
                        .av1 = true};
    char buf[1024];
    SkyWriter wr = sky_wr_init(buf, sizeof(buf));
    assert_int_equal(sky_sdp_describe_build(&wr, &d), 0);
    SkyHostCaps caps;
    assert_int_equal(sky_sdp_host_caps_parse(buf, wr.pos, 2, &caps), 0);
    assert_int_equal(caps.feature_flags, 3);
    assert_int_equal(caps.encryption_supported, 7);
    assert_int_equal(caps.encryption_requested, 7);
    assert_true(caps.rfi);
    assert_true(caps.av1);
    assert_false(caps.hevc);

    /* A host that sends none of the flags: zeros (an older host), CRLF line ends accepted. */
    const char old[] = "a=fmtp:97 surround-params=21101\r\n";
    assert_int_equal(sky_sdp_host_caps_parse(old, strlen(old), 2, &caps), 0);
    assert_int_equal(caps.encryption_supported, 0);
    assert_int_equal(caps.feature_flags, 0);
    /* Trailing spaces after a number are tolerated. */
    const char sp[] = "a=x-ss-general.encryptionSupported:5  \n";
    assert_int_equal(sky_sdp_host_caps_parse(sp, strlen(sp), 2, &caps), 0);
    assert_int_equal(caps.encryption_supported, 5);
    /* The first of duplicate lines counts. */
    const char dup[] = "a=x-ss-general.featureFlags:1\na=x-ss-general.featureFlags:2\n";
    assert_int_equal(sky_sdp_host_caps_parse(dup, strlen(dup), 2, &caps), 0);
    assert_int_equal(caps.feature_flags, 1);
}

static void test_describe_layout_fallbacks(void **state)
{
    (void)state;
    SkyHostCaps caps;
    static const uint8_t gfe51[] = {0, 4, 1, 5, 2, 3};
    const char none[] = "a=x-ss-general.featureFlags:0\na=fmtp:97 surround-params=21101\n";
    assert_int_equal(sky_sdp_host_caps_parse(none, strlen(none), 6, &caps), 0);
    assert_layout(&caps.opus_normal, 6, 4, 2, gfe51);
    assert_false(caps.opus_high_ok);
    assert_int_equal(sky_sdp_host_caps_parse(none, strlen(none), 8, &caps), SKY_ERR(ENOENT));
    assert_int_equal(sky_sdp_host_caps_parse(none, strlen(none), 4, &caps), SKY_ERR(EINVAL));
    assert_int_equal(sky_sdp_host_caps_parse(none, strlen(none), 1, &caps), SKY_ERR(EINVAL));

    /* One line only: normal quality with the fix-up, no high quality. */
    static const uint8_t fixed[] = {0, 1, 2, 5, 3, 4};
    const char one[] = "a=fmtp:97 surround-params=642012345\n";
    assert_int_equal(sky_sdp_host_caps_parse(one, strlen(one), 6, &caps), 0);
    assert_layout(&caps.opus_normal, 6, 4, 2, fixed);
    assert_false(caps.opus_high_ok);
}

static void test_describe_hostile(void **state)
{
    (void)state;
    SkyHostCaps caps;
    static const struct {
        const char *sdp;
        int channels;
    } bad[] = {
        {"a=x-ss-general.featureFlags:x\n", 2},
        {"a=x-ss-general.featureFlags:\n", 2},
        {"a=x-ss-general.featureFlags:-1\n", 2},
        {"a=x-ss-general.encryptionSupported:4294967296\n", 2},
        {"a=x-ss-general.encryptionRequested:0x1\n", 2},
        {"a=fmtp:97 surround-params=64201245\n", 6},     /* one mapping digit short */
        {"a=fmtp:97 surround-params=6420124534\n", 6},   /* one too many */
        {"a=fmtp:97 surround-params=64201a453\n", 6},    /* not a digit */
        {"a=fmtp:97 surround-params=602012345\n", 6},    /* 0 streams */
        {"a=fmtp:97 surround-params=623012345\n", 6},    /* coupled > streams */
        {"a=fmtp:97 surround-params=622012349\n", 6},    /* mapping past streams + coupled */
        {"a=fmtp:97 surround-params=642012453\na=fmtp:97 surround-params=6\n", 6}, /* bad HQ */
        {"a=fmtp:97 surround-params=8530124536\n", 8},
        {"", 2},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int ret = sky_sdp_host_caps_parse(bad[i].sdp, strlen(bad[i].sdp), bad[i].channels, &caps);
        if (ret != SKY_ERR(EBADMSG))
            fail_msg("case %zu: %d", i, ret);
        assert_int_equal(caps.opus_normal.channels, 0);
    }
    /* Layout lines for other channel counts are not looked at. */
    const char other[] = "a=fmtp:97 surround-params=8xx\na=fmtp:97 surround-params=642012453\n";
    assert_int_equal(sky_sdp_host_caps_parse(other, strlen(other), 6, &caps), 0);
    static char big[SKY_SDP_MAX_LEN + 1];
    memset(big, '\n', sizeof(big));
    assert_int_equal(sky_sdp_host_caps_parse(big, sizeof(big), 2, &caps), SKY_ERR(E2BIG));
    assert_int_equal(sky_sdp_host_caps_parse(big, sizeof(big) - 1, 2, &caps), 0);
}

static void test_negotiation(void **state)
{
    (void)state;
    /* The captures: host supports 5 (7), requests 1; the client wanted audio (and video). */
    assert_int_equal(sky_sdp_encryption_negotiate(5, 1, SKY_ENC_AUDIO), 5);
    assert_int_equal(sky_sdp_encryption_negotiate(7, 1, SKY_ENC_ALL), 7);
    assert_int_equal(sky_sdp_encryption_negotiate(5, 1, SKY_ENC_ALL), 5);
    assert_int_equal(sky_sdp_encryption_negotiate(5, 1, 0), 1);
    /* A host that requests video and audio gets them even from a client that opted out. */
    assert_int_equal(sky_sdp_encryption_negotiate(7, 7, 0), 7);
    assert_int_equal(sky_sdp_encryption_negotiate(0, 0, SKY_ENC_ALL), 0);
    assert_int_equal(sky_sdp_encryption_negotiate(1, 0, SKY_ENC_ALL), 1);

    assert_int_equal(sky_sdp_packet_size(1392, true, false, false), 1024);
    assert_int_equal(sky_sdp_packet_size(1392, true, false, true), 992);
    assert_int_equal(sky_sdp_packet_size(1392, true, true, false), 1184);
    assert_int_equal(sky_sdp_packet_size(1392, false, false, false), 1392);
    assert_int_equal(sky_sdp_packet_size(1400, false, false, true), 1360);
    assert_int_equal(sky_sdp_packet_size(512, true, false, false), 512);
    assert_int_equal(sky_sdp_packet_size(63, false, false, false), SKY_ERR(EINVAL));
    assert_int_equal(sky_sdp_packet_size(80, false, false, true), SKY_ERR(EINVAL));
    assert_int_equal(sky_sdp_packet_size(-16, false, false, false), SKY_ERR(EINVAL));
    assert_int_equal(sky_sdp_packet_size(65536, false, false, false), SKY_ERR(EINVAL));

    assert_int_equal(sky_sdp_adjusted_bitrate(10000, true), 7500);
    assert_int_equal(sky_sdp_adjusted_bitrate(10000, false), 8000);
    assert_int_equal(sky_sdp_adjusted_bitrate(600, true), 480);
    assert_int_equal(sky_sdp_adjusted_bitrate(700, true), 60);
    assert_int_equal(sky_sdp_adjusted_bitrate(500000, false), 100000);
}

/* ---- ANNOUNCE ------------------------------------------------------------------------------- */

/* The parameters of the recorded sessions. */
static SkySdpStreamCfg capture_cfg(size_t c)
{
    SkySdpStreamCfg cfg = {
        .host_addr = "127.0.0.1",
        .width = 1280,
        .height = 720,
        .fps = 60,
        .packet_size = sky_sdp_packet_size(1392, true, false, c == 2),
        .bitrate_kbps = 10000,
        .remote = true, /* moonlight-common-c counts 127.0.0.1 as remote */
        .codec = c == 1 ? SKY_SDP_CODEC_HEVC : SKY_SDP_CODEC_H264,
        .slices_per_frame = 4,
        .decoder_rfi = c == 1, /* moonlight-embedded's FFmpeg decoder: RFI for HEVC only */
        .audio_channels = 2,
        .packet_duration_ms = 5,
        .encryption_enabled = sky_sdp_encryption_negotiate(c == 2 ? 7 : 5, 1,
                                                           c == 2 ? SKY_ENC_ALL : SKY_ENC_AUDIO),
        .ml_feature_flags = SKY_ML_FF_FEC_STATUS | SKY_ML_FF_SESSION_ID_V1,
        .video_port = 47998,
    };
    return cfg;
}

static void test_announce_capture(void **state)
{
    (void)state;
    static const char *const names[] = {"stream-h264.rtsp.txt", "stream-hevc.rtsp.txt",
                                        "stream-h264-videoenc.rtsp.txt"};
    for (size_t c = 0; c < 3; c++) {
        TRtspCapture cap;
        assert_true(trtsp_load(SKY_TEST_DATA, names[c], &cap));
        const char *want;
        size_t want_len;
        body_of(&cap, 10, &want, &want_len);
        assert_int_equal(want_len, c == 2 ? 1488 : 1489);

        SkySdpStreamCfg cfg = capture_cfg(c);
        assert_int_equal(cfg.packet_size, c == 2 ? 992 : 1024);
        char buf[2048];
        SkyWriter wr = sky_wr_init(buf, sizeof(buf));
        assert_int_equal(sky_sdp_announce_build(&wr, &cfg), 0);
        assert_int_equal(wr.pos, want_len);
        assert_memory_equal(buf, want, want_len);
        wr = sky_wr_init(buf, want_len - 1);
        assert_int_equal(sky_sdp_announce_build(&wr, &cfg), SKY_ERR(E2BIG));

        /* Read back as Sunshine reads it. */
        SkySdpAttrs attrs;
        assert_int_equal(sky_sdp_attrs_parse(want, want_len, &attrs), 0);
        assert_int_equal(attrs.n, 37);
        assert_int_equal(attrs.client_len, strlen("NVIDIA Streaming Client"));
        assert_memory_equal(attrs.client, "NVIDIA Streaming Client", attrs.client_len);
        const char *v;
        size_t vl;
        assert_true(sky_sdp_attr(&attrs, "x-nv-video[0].packetSize", &v, &vl));
        assert_int_equal(vl, 4 - (c == 2));
        SkySdpAnnounce an;
        const char *bad = "x";
        assert_int_equal(sky_sdp_announce_read(&attrs, &an, &bad), 0);
        assert_null(bad);
        assert_int_equal(an.width, 1280);
        assert_int_equal(an.height, 720);
        assert_int_equal(an.fps, 60);
        assert_int_equal(an.packet_size, c == 2 ? 992 : 1024);
        assert_int_equal(an.max_bitrate_kbps, 7500);
        assert_int_equal(an.configured_bitrate_kbps, 10000);
        assert_int_equal(an.slices_per_frame, 4);
        assert_int_equal(an.max_ref_frames, c == 1 ? 0 : 1);
        assert_int_equal(an.audio_channels, 2);
        assert_int_equal(an.channel_mask, 3);
        assert_false(an.audio_high_quality);
        assert_int_equal(an.packet_duration_ms, 5);
        assert_int_equal(an.control_protocol, 13);
        assert_int_equal(an.min_fec_packets, 2);
        assert_int_equal(an.ml_feature_flags, 3);
        assert_int_equal(an.nv_feature_flags, 167);
        assert_int_equal(an.encryption_enabled, c == 2 ? 7 : 5);
        assert_int_equal(an.video_qos, 0);
        assert_int_equal(an.audio_qos, 0);
        assert_int_equal(an.csc_mode, 0);
        assert_int_equal(an.codec, c == 1 ? 1 : 0);
        assert_int_equal(an.dynamic_range, 0);
        assert_int_equal(an.chroma_sampling, 0);
        assert_int_equal(an.refresh_rate_x100, 0);
        trtsp_free(&cap);
    }
}

/* Other configurations survive the trip from the client's builder to the host's reader. */
static void test_announce_roundtrip(void **state)
{
    (void)state;
    static const int channels[] = {2, 6, 8};
    static const uint32_t masks[] = {0x3, 0x3F, 0x63F};
    for (int codec = 0; codec <= 2; codec++) {
        for (size_t ch = 0; ch < 3; ch++) {
            SkySdpStreamCfg cfg = {
                .host_addr = "fe80::1%eth0",
                .ipv6 = true,
                .width = 3840,
                .height = 2160,
                .fps = 120,
                .packet_size = 1184,
                .bitrate_kbps = 150000,
                .remote = false,
                .codec = codec,
                .ten_bit = codec != 0,
                .yuv444 = codec == 2,
                .slices_per_frame = 0,
                .decoder_rfi = true,
                .refresh_rate_x100 = 11988,
                .audio_channels = channels[ch],
                .audio_high_quality = ch > 0,
                .packet_duration_ms = 10,
                .encryption_enabled = SKY_ENC_CONTROL_V2 | SKY_ENC_VIDEO,
                .ml_feature_flags = 3,
                .color_space = 2,
                .full_range = true,
                .video_port = 1234,
            };
            char buf[2048];
            SkyWriter wr = sky_wr_init(buf, sizeof(buf));
            assert_int_equal(sky_sdp_announce_build(&wr, &cfg), 0);
            const char o[] = "v=0\r\no=android 0 14 IN IPv6 [fe80::1%eth0]\r\n";
            assert_memory_equal(buf, o, sizeof(o) - 1);
            const char tail[] = "t=0 0\r\nm=video 1234  \r\n";
            assert_memory_equal(buf + wr.pos - (sizeof(tail) - 1), tail, sizeof(tail) - 1);

            SkySdpAttrs attrs;
            SkySdpAnnounce an;
            assert_int_equal(sky_sdp_attrs_parse(buf, wr.pos, &attrs), 0);
            assert_int_equal(sky_sdp_announce_read(&attrs, &an, NULL), 0);
            assert_int_equal(an.width, 3840);
            assert_int_equal(an.height, 2160);
            assert_int_equal(an.fps, 120);
            assert_int_equal(an.packet_size, 1184);
            assert_int_equal(an.max_bitrate_kbps, 100000);
            assert_int_equal(an.configured_bitrate_kbps, 150000);
            assert_int_equal(an.slices_per_frame, 1);
            assert_int_equal(an.max_ref_frames, 0);
            assert_int_equal(an.audio_channels, channels[ch]);
            assert_int_equal(an.channel_mask, masks[ch]);
            assert_int_equal(an.audio_high_quality, ch > 0);
            assert_int_equal(an.packet_duration_ms, 10);
            assert_int_equal(an.encryption_enabled, 3);
            assert_int_equal(an.nv_feature_flags, 0x87);
            assert_int_equal(an.video_qos, 5);
            assert_int_equal(an.audio_qos, 4);
            assert_int_equal(an.csc_mode, 5);
            assert_int_equal(an.codec, codec);
            assert_int_equal(an.dynamic_range, codec != 0);
            assert_int_equal(an.chroma_sampling, codec == 2);
            assert_int_equal(an.refresh_rate_x100, 11988);
            const char *v;
            size_t vl;
            /* clientSupportHevc is not sent for AV1. */
            assert_int_equal(sky_sdp_attr(&attrs, "x-nv-clientSupportHevc", &v, &vl), codec != 2);
            assert_true(sky_sdp_attr(&attrs, "x-nv-audio.surround.enable", &v, &vl));
            assert_int_equal(v[0], ch > 0 ? '1' : '0');
        }
    }
}

static void test_announce_build_invalid(void **state)
{
    (void)state;
    char buf[2048];
    SkyWriter wr = sky_wr_init(buf, sizeof(buf));
    SkySdpStreamCfg base = capture_cfg(0);
    SkySdpStreamCfg c;
#define EXPECT_INVALID(field, value)                                          \
    do {                                                                      \
        c = base;                                                             \
        c.field = value;                                                      \
        assert_int_equal(sky_sdp_announce_build(&wr, &c), SKY_ERR(EINVAL));   \
    } while (0)
    EXPECT_INVALID(host_addr, NULL);
    EXPECT_INVALID(host_addr, "");
    EXPECT_INVALID(host_addr, "1.2.3.4\r\na=x-nv-video[0].maxFPS:1000");
    EXPECT_INVALID(host_addr, "a b");
    EXPECT_INVALID(width, 0);
    EXPECT_INVALID(height, 16385);
    EXPECT_INVALID(fps, 0);
    EXPECT_INVALID(packet_size, 63);
    EXPECT_INVALID(bitrate_kbps, 1);
    EXPECT_INVALID(codec, 3);
    EXPECT_INVALID(slices_per_frame, 256);
    EXPECT_INVALID(audio_channels, 4);
    EXPECT_INVALID(packet_duration_ms, 20);
    EXPECT_INVALID(encryption_enabled, 8);
    EXPECT_INVALID(color_space, 3);
    EXPECT_INVALID(video_port, 0);
#undef EXPECT_INVALID
    assert_int_equal(wr.pos, 0);
}

/* Replaces the first line starting with `prefix` in src by `with` (may be ""). */
static size_t edit(const char *src, size_t len, const char *prefix, const char *with, char *out)
{
    const char *p = NULL;
    for (size_t i = 0; i + strlen(prefix) <= len; i++)
        if ((i == 0 || src[i - 1] == '\n') && memcmp(src + i, prefix, strlen(prefix)) == 0) {
            p = src + i;
            break;
        }
    assert_non_null(p);
    const char *e = memchr(p, '\n', len - (size_t)(p - src));
    assert_non_null(e);
    e++;
    size_t n = 0;
    memcpy(out, src, (size_t)(p - src));
    n += (size_t)(p - src);
    memcpy(out + n, with, strlen(with));
    n += strlen(with);
    memcpy(out + n, e, len - (size_t)(e - src));
    return n + len - (size_t)(e - src);
}

static void test_announce_read_hostile(void **state)
{
    (void)state;
    static const char *const required[] = {
        "x-nv-audio.surround.numChannels", "x-nv-audio.surround.channelMask",
        "x-nv-audio.surround.AudioQuality", "x-nv-video[0].packetSize",
        "x-nv-video[0].clientViewportHt", "x-nv-video[0].clientViewportWd",
        "x-nv-video[0].maxFPS", "x-nv-vqos[0].bw.maximumBitrateKbps",
        "x-nv-video[0].videoEncoderSlicesPerFrame", "x-nv-video[0].maxNumReferenceFrames",
    };
    SkySdpStreamCfg cfg = capture_cfg(0);
    char sdp[2048], out[2100];
    SkyWriter wr = sky_wr_init(sdp, sizeof(sdp));
    assert_int_equal(sky_sdp_announce_build(&wr, &cfg), 0);
    size_t len = wr.pos;
    SkySdpAttrs attrs;
    SkySdpAnnounce an;
    const char *bad;

    /* Each required attribute missing: ENOENT naming it. */
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        char prefix[128];
        snprintf(prefix, sizeof(prefix), "a=%s:", required[i]);
        size_t n = edit(sdp, len, prefix, "", out);
        assert_int_equal(sky_sdp_attrs_parse(out, n, &attrs), 0);
        assert_int_equal(sky_sdp_announce_read(&attrs, &an, &bad), SKY_ERR(ENOENT));
        assert_string_equal(bad, required[i]);
        assert_int_equal(an.width, 0);
    }
    /* Optional ones missing: Sunshine's defaults. */
    static const char *const optional[] = {
        "a=x-nv-aqos.packetDuration:", "a=x-nv-general.useReliableUdp:",
        "a=x-nv-vqos[0].fec.minRequiredFecPackets:", "a=x-ml-general.featureFlags:",
        "a=x-nv-aqos.qosTrafficType:", "a=x-nv-vqos[0].qosTrafficType:",
        "a=x-ss-general.encryptionEnabled:", "a=x-nv-general.featureFlags:",
        "a=x-ml-video.configuredBitrateKbps:",
    };
    char cur[2100];
    size_t n = len;
    memcpy(cur, sdp, len);
    for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
        n = edit(cur, n, optional[i], "", out);
        memcpy(cur, out, n);
    }
    assert_int_equal(sky_sdp_attrs_parse(cur, n, &attrs), 0);
    assert_int_equal(sky_sdp_announce_read(&attrs, &an, &bad), 0);
    assert_int_equal(an.packet_duration_ms, 5);
    assert_int_equal(an.control_protocol, 1);
    assert_int_equal(an.min_fec_packets, 0);
    assert_int_equal(an.ml_feature_flags, 0);
    assert_int_equal(an.audio_qos, 4);
    assert_int_equal(an.video_qos, 5);
    assert_int_equal(an.nv_feature_flags, 135);
    assert_int_equal(an.encryption_enabled, 0); /* 135 lacks 0x20 */
    assert_int_equal(an.configured_bitrate_kbps, 0);

    /* Malformed or out-of-range values: EBADMSG naming the attribute. */
    static const struct {
        const char *prefix, *line, *name;
    } malformed[] = {
        {"a=x-nv-video[0].maxFPS:", "a=x-nv-video[0].maxFPS:sixty \r\n", "x-nv-video[0].maxFPS"},
        {"a=x-nv-video[0].maxFPS:", "a=x-nv-video[0].maxFPS:60  \r\n", "x-nv-video[0].maxFPS"},
        {"a=x-nv-video[0].maxFPS:", "a=x-nv-video[0].maxFPS: \r\n", "x-nv-video[0].maxFPS"},
        {"a=x-nv-video[0].clientViewportWd:", "a=x-nv-video[0].clientViewportWd:0 \r\n",
         "x-nv-video[0].clientViewportWd"},
        {"a=x-nv-video[0].clientViewportWd:", "a=x-nv-video[0].clientViewportWd:-1280 \r\n",
         "x-nv-video[0].clientViewportWd"},
        {"a=x-nv-video[0].packetSize:",
         "a=x-nv-video[0].packetSize:99999999999999999999999 \r\n", "x-nv-video[0].packetSize"},
        {"a=x-nv-audio.surround.numChannels:", "a=x-nv-audio.surround.numChannels:9 \r\n",
         "x-nv-audio.surround.numChannels"},
        {"a=x-nv-vqos[0].bitStreamFormat:", "a=x-nv-vqos[0].bitStreamFormat:3 \r\n",
         "x-nv-vqos[0].bitStreamFormat"},
    };
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        n = edit(sdp, len, malformed[i].prefix, malformed[i].line, out);
        assert_int_equal(sky_sdp_attrs_parse(out, n, &attrs), 0);
        assert_int_equal(sky_sdp_announce_read(&attrs, &an, &bad), SKY_ERR(EBADMSG));
        assert_string_equal(bad, malformed[i].name);
    }

    /* The first of duplicates wins; Sunshine's line splitting takes LF-only too; lines
     * without ':' are ignored. */
    char dup[2300];
    int k = snprintf(dup, sizeof(dup), "a=x-nv-video[0].maxFPS:30\nbogus line\na=nocolon\n");
    memcpy(dup + k, sdp, len);
    assert_int_equal(sky_sdp_attrs_parse(dup, (size_t)k + len, &attrs), 0);
    assert_int_equal(sky_sdp_announce_read(&attrs, &an, NULL), 0);
    assert_int_equal(an.fps, 30);
    memcpy(dup, sdp, len);
    memcpy(dup + len, "a=x-nv-video[0].maxFPS:30 \r\n", 28);
    assert_int_equal(sky_sdp_attrs_parse(dup, len + 28, &attrs), 0);
    assert_int_equal(sky_sdp_announce_read(&attrs, &an, NULL), 0);
    assert_int_equal(an.fps, 60);

    /* A legacy client asks for audio encryption with nv feature flag 0x20. */
    n = edit(sdp, len, "a=x-ss-general.encryptionEnabled:",
             "a=x-ss-general.encryptionEnabled:1 \r\n", out);
    assert_int_equal(sky_sdp_attrs_parse(out, n, &attrs), 0);
    assert_int_equal(sky_sdp_announce_read(&attrs, &an, NULL), 0);
    assert_int_equal(an.encryption_enabled, 5);

    /* Attribute flood: SKY_SDP_MAX_ATTRS names parse, one more does not; repeats do not count. */
    static char flood[SKY_SDP_MAX_ATTRS * 16 + 64];
    for (int extra = 0; extra <= 1; extra++) {
        SkyWriter fw = sky_wr_init(flood, sizeof(flood));
        for (int i = 0; i < SKY_SDP_MAX_ATTRS + extra; i++) {
            char line[32];
            int l = snprintf(line, sizeof(line), "a=k%d:1\na=k0:2\n", i);
            assert_true(sky_wr_bytes(&fw, line, (size_t)l));
        }
        assert_int_equal(sky_sdp_attrs_parse(flood, fw.pos, &attrs), extra ? SKY_ERR(E2BIG) : 0);
        if (!extra) {
            int64_t v;
            assert_int_equal(sky_sdp_attr_int(&attrs, "k0", 0, 9, &v), 0);
            assert_int_equal(v, 1);
            assert_int_equal(sky_sdp_attr_int(&attrs, "k5", 2, 9, &v), SKY_ERR(EBADMSG));
            assert_int_equal(sky_sdp_attr_int(&attrs, "nope", 0, 9, &v), SKY_ERR(ENOENT));
            assert_int_equal(sky_sdp_attr_int_or(&attrs, "nope", 7, 0, 9, &v), 0);
            assert_int_equal(v, 7);
        }
    }
    static char big[SKY_SDP_MAX_LEN + 1];
    assert_int_equal(sky_sdp_attrs_parse(big, sizeof(big), &attrs), SKY_ERR(E2BIG));
    assert_int_equal(sky_sdp_attrs_parse(NULL, 0, &attrs), 0);
    assert_int_equal(attrs.n, 0);
}

/* --yuv444: chromaSamplingType 1, in moonlight-common-c's place (the third attribute, after
 * the two feature and encryption ones); 0 otherwise. The host reads it as Sunshine: any
 * integer, only 1 meaning 4:4:4 (sdp_host.h), a non-number refused. */
static void test_announce_chroma(void **state)
{
    (void)state;
    SkySdpStreamCfg cfg = capture_cfg(0);
    char sdp[2048], out[2100];
    for (int yuv444 = 0; yuv444 <= 1; yuv444++) {
        cfg.yuv444 = yuv444;
        SkyWriter wr = sky_wr_init(sdp, sizeof(sdp));
        assert_int_equal(sky_sdp_announce_build(&wr, &cfg), 0);
        assert_true(wr.pos < sizeof(sdp));
        sdp[wr.pos] = '\0';
        const char *third = "a=x-ml-general.featureFlags:3 \r\na=x-ss-general.encryptionEnabled:5 "
                            "\r\na=x-ss-video[0].chromaSamplingType:";
        const char *at = strstr(sdp, third);
        assert_non_null(at);
        assert_memory_equal(at + strlen(third), yuv444 ? "1 \r\n" : "0 \r\n", 4);
        SkySdpAttrs attrs;
        SkySdpAnnounce an;
        assert_int_equal(sky_sdp_attrs_parse(sdp, wr.pos, &attrs), 0);
        assert_int_equal(sky_sdp_announce_read(&attrs, &an, NULL), 0);
        assert_int_equal(an.chroma_sampling, yuv444);
    }
    size_t len = strlen(sdp);
    static const struct {
        const char *line;
        int ret, value;
    } values[] = {
        {"a=x-ss-video[0].chromaSamplingType:2 \r\n", 0, 2},
        {"a=x-ss-video[0].chromaSamplingType:-1 \r\n", 0, -1},
        {"a=x-ss-video[0].chromaSamplingType:yes \r\n", SKY_ERR(EBADMSG), 0},
    };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        size_t n = edit(sdp, len, "a=x-ss-video[0].chromaSamplingType:", values[i].line, out);
        SkySdpAttrs attrs;
        SkySdpAnnounce an;
        const char *bad = NULL;
        assert_int_equal(sky_sdp_attrs_parse(out, n, &attrs), 0);
        assert_int_equal(sky_sdp_announce_read(&attrs, &an, &bad), values[i].ret);
        assert_int_equal(an.chroma_sampling, values[i].value);
    }
    /* Absent: 0 (4:2:0). */
    size_t n = edit(sdp, len, "a=x-ss-video[0].chromaSamplingType:", "", out);
    SkySdpAttrs attrs;
    SkySdpAnnounce an;
    assert_int_equal(sky_sdp_attrs_parse(out, n, &attrs), 0);
    assert_int_equal(sky_sdp_announce_read(&attrs, &an, NULL), 0);
    assert_int_equal(an.chroma_sampling, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe_capture),
        cmocka_unit_test(test_describe_markers),
        cmocka_unit_test(test_describe_layout_fallbacks),
        cmocka_unit_test(test_describe_hostile),
        cmocka_unit_test(test_negotiation),
        cmocka_unit_test(test_announce_capture),
        cmocka_unit_test(test_announce_roundtrip),
        cmocka_unit_test(test_announce_build_invalid),
        cmocka_unit_test(test_announce_read_hostile),
        cmocka_unit_test(test_announce_chroma),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

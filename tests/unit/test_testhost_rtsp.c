/* The test host's RTSP answers (tests/host/rtsp_server.c) against the recorded Sunshine v0.23.1
 * session: given the recorded launch values (key, ping payload, connect data, ports), every
 * encrypted request of stream-h264 gets the reply Sunshine sent, byte for byte on the wire; the
 * ANNOUNCE yields the stream Sunshine logged (7308 kbps); then the error replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/hex.h"
#include "common/proto/rtsp.h"
#include "tests/host/proto/sdp_host.h"
#include "tests/host/rtsp_server.h"
#include "rtsp_capture.h"

#ifndef SKY_TEST_DATA
#error "SKY_TEST_DATA must name tests/data"
#endif

/* stream-h264: rikey, and what the recorded host handed out. */
static const char k_rikey[] = "b15e61c64f6958d38a253ad52e270237";
static const uint16_t k_ports[3] = {47998, 48000, 47999}; /* video, audio, control */

typedef struct Recorded {
    int calls;
    int status;             /* what the stub answers */
    SkyThStreamCfg cfg;
} Recorded;

static int stub_announce(void *opaque, const SkyThStreamCfg *cfg)
{
    Recorded *r = opaque;
    r->calls++;
    r->cfg = *cfg;
    return r->status;
}

static void setup(SkyThCfg *cfg, SkyThLaunch *l, int corever)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->codec_support = 0x101;
    cfg->video_encryption = 0;
    cfg->fec_percent = 20;
    memset(l, 0, sizeof(*l));
    size_t n;
    assert_int_equal(sky_hex_decode(k_rikey, 32, l->rikey, sizeof(l->rikey), &n), 0);
    l->rikeyid = 509169654;
    l->corever = corever;
    strcpy(l->ping_payload, "527F1A8A6322C622");
    l->connect_data = 598113071;
}

static SkyGcm *gcm_of(const SkyThLaunch *l)
{
    SkyGcm *g = NULL;
    assert_int_equal(sky_gcm_create(&g, l->rikey), 0);
    return g;
}

static uint8_t *read_bin(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/captures/%s", SKY_TEST_DATA, name);
    char *d = trtsp_read_file(path, len);
    assert_non_null(d);
    return (uint8_t *)d;
}

/* Every recorded request, sealed as the client sealed it, gets the recorded reply. */
static void test_recorded_session(void **state)
{
    (void)state;
    SkyThCfg cfg;
    SkyThLaunch l;
    setup(&cfg, &l, 1);
    SkyThRtspState st = {0};
    Recorded rec = {.status = 200};
    SkyGcm *g = gcm_of(&l);
    TRtspCapture cap;
    assert_true(trtsp_load(SKY_TEST_DATA, "stream-h264.rtsp.txt", &cap));
    assert_int_equal(cap.n, 14);
    for (size_t i = 0; i < cap.n; i += 2) {
        const TRtspMsg *req = &cap.msgs[i], *want = &cap.msgs[i + 1];
        assert_true(req->from_client && !want->from_client);
        uint8_t frame[4096], out[8192], plain[8192];
        SkyWriter wr = sky_wr_init(frame, sizeof(frame));
        assert_int_equal(sky_rtsp_seal(g, SKY_RTSP_FROM_CLIENT, req->seq, req->text, req->len, &wr),
                         0);
        size_t out_len = 0, need = 0;
        /* Byte by byte up to the header, then the rest: EAGAIN until the frame is whole. */
        assert_int_equal(sky_th_rtsp_answer(&cfg, &l, &st, k_ports, stub_announce, &rec, frame, 3,
                                            out, sizeof(out), &out_len, &need),
                         SKY_ERR(EAGAIN));
        assert_int_equal(sky_th_rtsp_answer(&cfg, &l, &st, k_ports, stub_announce, &rec, frame,
                                            wr.pos - 1, out, sizeof(out), &out_len, &need),
                         SKY_ERR(EAGAIN));
        assert_int_equal(need, wr.pos);
        assert_int_equal(sky_th_rtsp_answer(&cfg, &l, &st, k_ports, stub_announce, &rec, frame,
                                            wr.pos, out, sizeof(out), &out_len, &need),
                         0);
        size_t plen = 0;
        uint32_t seq = 0;
        assert_int_equal(sky_rtsp_unseal(g, SKY_RTSP_FROM_HOST, out, out_len, plain,
                                         sizeof(plain), &plen, &seq),
                         0);
        assert_int_equal(seq, want->seq);
        assert_int_equal(plen, want->len);
        assert_memory_equal(plain, want->text, want->len);
        /* The replies kept from the wire: the same bytes. */
        char name[64];
        snprintf(name, sizeof(name), "rtsp-enc-h264-H-%u.bin", want->seq);
        if (want->seq == 2 || want->seq == 3 || want->seq == 5) {
            size_t blen;
            uint8_t *bin = read_bin(name, &blen);
            assert_int_equal(blen, out_len);
            assert_memory_equal(bin, out, blen);
            free(bin);
        }
    }
    assert_int_equal(st.host_seq, 7);
    /* What the ANNOUNCE asked for; Sunshine logged "Final adjusted video encoding bitrate is
     * 7308 Kbps" for it. */
    assert_int_equal(rec.calls, 1);
    const SkySdpAnnounce *an = &rec.cfg.an;
    assert_int_equal(an->width, 1280);
    assert_int_equal(an->height, 720);
    assert_int_equal(an->fps, 60);
    assert_int_equal(an->packet_size, 1024);
    assert_int_equal(an->slices_per_frame, 4);
    assert_int_equal(an->codec, 0);
    assert_int_equal(an->audio_channels, 2);
    assert_int_equal(an->encryption_enabled, 5);
    assert_int_equal(an->min_fec_packets, 2);
    assert_int_equal(an->ml_feature_flags, 3);
    assert_int_equal(an->control_protocol, 13);
    assert_int_equal(rec.cfg.bitrate_kbps, 7308);
    assert_false(rec.cfg.audio_high_quality); /* Host: 0.0.0.0 */
    assert_string_equal(rec.cfg.launch.ping_payload, "527F1A8A6322C622");
    sky_wipe(&rec, sizeof(rec));
    trtsp_free(&cap);
    sky_gcm_destroy(&g);
}

/* The encrypted OPTIONS and ANNOUNCE frames as they crossed the wire are accepted too. */
static void test_recorded_frames(void **state)
{
    (void)state;
    SkyThCfg cfg;
    SkyThLaunch l;
    setup(&cfg, &l, 1);
    SkyThRtspState st = {0};
    Recorded rec = {.status = 200};
    const char *names[2] = {"rtsp-enc-h264-C-1.bin", "rtsp-enc-h264-C-6.bin"};
    for (int i = 0; i < 2; i++) {
        size_t len, out_len;
        uint8_t *in = read_bin(names[i], &len), out[8192];
        assert_int_equal(sky_th_rtsp_answer(&cfg, &l, &st, k_ports, stub_announce, &rec, in, len,
                                            out, sizeof(out), &out_len, NULL),
                         0);
        assert_true(out_len > SKY_RTSP_ENC_HEADER_LEN);
        free(in);
    }
    assert_int_equal(rec.calls, 1);
    assert_int_equal(st.host_seq, 2);
}

/* Answers a plain request (corever 0) into out; returns its length. */
static size_t plain(const SkyThCfg *cfg, const SkyThLaunch *l, Recorded *rec, const char *req,
                    char *out, size_t cap)
{
    SkyThRtspState st = {0};
    size_t out_len = 0;
    assert_int_equal(sky_th_rtsp_answer(cfg, l, &st, k_ports, stub_announce, rec,
                                        (const uint8_t *)req, strlen(req), (uint8_t *)out, cap - 1,
                                        &out_len, NULL),
                     0);
    out[out_len] = '\0';
    return out_len;
}

static const char *recorded_announce(TRtspCapture *cap)
{
    assert_true(trtsp_load(SKY_TEST_DATA, "stream-h264.rtsp.txt", cap));
    const TRtspMsg *m = &cap->msgs[10];
    assert_memory_equal(m->text, "ANNOUNCE", 8);
    char *s = malloc(m->len + 1);
    assert_non_null(s);
    memcpy(s, m->text, m->len);
    s[m->len] = '\0';
    return s;
}

/* Replaces the first occurrence of from with to (same length or shorter) in place. */
static void patch(char *s, const char *from, const char *to)
{
    char *p = strstr(s, from);
    assert_non_null(p);
    size_t fl = strlen(from), tl = strlen(to);
    assert_true(tl <= fl);
    memcpy(p, to, tl);
    memmove(p + tl, p + fl, strlen(p + fl) + 1);
}

static void test_plain_and_errors(void **state)
{
    (void)state;
    SkyThCfg cfg;
    SkyThLaunch l;
    setup(&cfg, &l, 0);
    Recorded rec = {.status = 200};
    char out[8192];
    TRtspCapture cap;
    char *ann = (char *)recorded_announce(&cap);

    /* Plain RTSP: the same text as the recorded (decrypted) replies. */
    plain(&cfg, &l, &rec, "OPTIONS rtsp://0.0.0.0:48010 RTSP/1.0\r\nCSeq: 1\r\n\r\n", out,
          sizeof(out));
    assert_string_equal(out, "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n");
    plain(&cfg, &l, &rec, "SETUP streamid=control/13/0 RTSP/1.0\r\nCSeq: 5\r\n\r\n", out,
          sizeof(out));
    assert_memory_equal(out, cap.msgs[9].text, cap.msgs[9].len);
    /* Unknown stream type, unknown method, garbage, no CSeq. */
    plain(&cfg, &l, &rec, "SETUP streamid=foo/0/0 RTSP/1.0\r\nCSeq: 9\r\n\r\n", out, sizeof(out));
    assert_string_equal(out, "RTSP/1.0 404 NOT FOUND\r\nCSeq: 9\r\n\r\n");
    plain(&cfg, &l, &rec, "GET_PARAMETER / RTSP/1.0\r\nCSeq: 3\r\n\r\n", out, sizeof(out));
    assert_string_equal(out, "RTSP/1.0 404 NOT FOUND\r\nCSeq: 3\r\n\r\n");
    plain(&cfg, &l, &rec, "hello\r\n\r\n", out, sizeof(out));
    assert_string_equal(out, "RTSP/1.0 400 BAD REQUEST\r\n\r\n");
    plain(&cfg, &l, &rec, "PLAY / RTSP/1.0\r\n\r\n", out, sizeof(out));
    assert_string_equal(out, "RTSP/1.0 200 OK\r\n\r\n");

    /* ANNOUNCE: a required attribute missing -> 400 and no stream. */
    char *broken = strdup(ann);
    patch(broken, "a=x-nv-video[0].maxFPS:60 \r\n", "");
    patch(broken, "Content-length: 1489", "Content-length: 1461");
    plain(&cfg, &l, &rec, broken, out, sizeof(out));
    assert_string_equal(out, "RTSP/1.0 400 BAD REQUEST\r\nCSeq: 6\r\n\r\n");
    assert_int_equal(rec.calls, 0);
    free(broken);
    /* HEVC asked for, not offered. */
    cfg.codec_support = 0x1;
    char *hevc = strdup(ann);
    patch(hevc, "bitStreamFormat:0", "bitStreamFormat:1");
    plain(&cfg, &l, &rec, hevc, out, sizeof(out));
    assert_string_equal(out, "RTSP/1.0 400 BAD REQUEST\r\nCSeq: 6\r\n\r\n");
    plain(&cfg, &l, &rec, "DESCRIBE rtsp://0.0.0.0:48010 RTSP/1.0\r\nCSeq: 2\r\n\r\n", out,
          sizeof(out));
    assert_null(strstr(out, "sprop-parameter-sets"));
    assert_null(strstr(out, "AV1/90000"));
    cfg.codec_support = 0x30101;
    plain(&cfg, &l, &rec, hevc, out, sizeof(out));
    assert_string_equal(out, "RTSP/1.0 200 OK\r\nCSeq: 6\r\n\r\n");
    assert_int_equal(rec.calls, 1);
    assert_int_equal(rec.cfg.an.codec, 1);
    free(hevc);
    plain(&cfg, &l, &rec, "DESCRIBE rtsp://0.0.0.0:48010 RTSP/1.0\r\nCSeq: 2\r\n\r\n", out,
          sizeof(out));
    assert_non_null(strstr(out, "sprop-parameter-sets=AAAAAU\n"));
    assert_non_null(strstr(out, "a=rtpmap:98 AV1/90000\n"));
    /* Mandatory encryption: all three requested; an ANNOUNCE without video and audio: 403. */
    cfg.video_encryption = 2;
    plain(&cfg, &l, &rec, "DESCRIBE rtsp://0.0.0.0:48010 RTSP/1.0\r\nCSeq: 2\r\n\r\n", out,
          sizeof(out));
    assert_non_null(strstr(out, "a=x-ss-general.encryptionSupported:7\n"
                                "a=x-ss-general.encryptionRequested:7\n"));
    plain(&cfg, &l, &rec, ann, out, sizeof(out));
    assert_string_equal(out, "RTSP/1.0 403 Forbidden\r\nCSeq: 6\r\n\r\n");
    cfg.video_encryption = 0;
    /* The stream side's own answers pass through: 503 while a stream runs. */
    rec.status = 503;
    plain(&cfg, &l, &rec, ann, out, sizeof(out));
    assert_string_equal(out, "RTSP/1.0 503 Service Unavailable\r\nCSeq: 6\r\n\r\n");
    /* High-quality stereo when the Host header is not 0.0.0.0. */
    rec.status = 200;
    char *hq = strdup(ann);
    patch(hq, "Host: 0.0.0.0", "Host: 1.2.3.4");
    plain(&cfg, &l, &rec, hq, out, sizeof(out));
    assert_true(rec.cfg.audio_high_quality);
    assert_int_equal(rec.cfg.bitrate_kbps, 6988); /* 10000 -> 8000 -> -512 -> -500 */
    free(hq);
    free(ann);
    trtsp_free(&cap);
}

/* chromaSamplingType as Sunshine takes it: read, never refused at ANNOUNCE, not even for a
 * codec whose encoder cannot do 4:4:4 (AV1 here: Sunshine fails later, at its encoder, and the
 * stream gets no video; video_sender.h), nor for a host that does not advertise 4:4:4. */
static void test_announce_chroma(void **state)
{
    (void)state;
    SkyThCfg cfg;
    SkyThLaunch l;
    setup(&cfg, &l, 0);
    cfg.codec_support = 0x30101; /* AV1 8- and 10-bit, no 4:4:4 bit at all */
    Recorded rec = {.status = 200};
    char out[8192];
    TRtspCapture cap;
    const char *values[] = {"1", "2", "0"};
    for (int codec = 0; codec <= 2; codec++) {
        for (size_t i = 0; i < 3; i++) {
            char *ann = (char *)recorded_announce(&cap);
            char want[64], fmt[32];
            snprintf(want, sizeof(want), "chromaSamplingType:%s", values[i]);
            snprintf(fmt, sizeof(fmt), "bitStreamFormat:%d", codec);
            patch(ann, "chromaSamplingType:0", want);
            patch(ann, "bitStreamFormat:0", fmt);
            int calls = rec.calls;
            plain(&cfg, &l, &rec, ann, out, sizeof(out));
            assert_string_equal(out, "RTSP/1.0 200 OK\r\nCSeq: 6\r\n\r\n");
            assert_int_equal(rec.calls, calls + 1);
            assert_int_equal(rec.cfg.an.codec, codec);
            assert_int_equal(rec.cfg.an.chroma_sampling, values[i][0] - '0');
            free(ann);
            trtsp_free(&cap);
        }
    }
}

static void test_encrypted_errors(void **state)
{
    (void)state;
    SkyThCfg cfg;
    SkyThLaunch l;
    setup(&cfg, &l, 1);
    SkyThRtspState st = {.host_seq = 41};
    Recorded rec = {.status = 200};
    SkyGcm *g = gcm_of(&l);
    uint8_t out[8192], plainbuf[256];
    size_t out_len, plen;
    uint32_t seq;
    const char *bad = "RTSP/1.0 400 BAD REQUEST\r\n\r\n";
    /* A plain request on an encrypted session. */
    const char *req = "OPTIONS rtsp://0.0.0.0:48010 RTSP/1.0\r\nCSeq: 1\r\n\r\n";
    assert_int_equal(sky_th_rtsp_answer(&cfg, &l, &st, k_ports, stub_announce, &rec,
                                        (const uint8_t *)req, strlen(req), out, sizeof(out),
                                        &out_len, NULL),
                     0);
    assert_int_equal(sky_rtsp_unseal(g, SKY_RTSP_FROM_HOST, out, out_len, plainbuf,
                                     sizeof(plainbuf), &plen, &seq),
                     0);
    assert_int_equal(seq, 42);
    assert_int_equal(plen, strlen(bad));
    assert_memory_equal(plainbuf, bad, plen);
    /* A tampered frame. */
    uint8_t frame[512];
    SkyWriter wr = sky_wr_init(frame, sizeof(frame));
    assert_int_equal(sky_rtsp_seal(g, SKY_RTSP_FROM_CLIENT, 1, req, strlen(req), &wr), 0);
    frame[30] ^= 1;
    assert_int_equal(sky_th_rtsp_answer(&cfg, &l, &st, k_ports, stub_announce, &rec, frame,
                                        wr.pos, out, sizeof(out), &out_len, NULL),
                     0);
    assert_int_equal(sky_rtsp_unseal(g, SKY_RTSP_FROM_HOST, out, out_len, plainbuf,
                                     sizeof(plainbuf), &plen, &seq),
                     0);
    assert_int_equal(seq, 43);
    assert_memory_equal(plainbuf, bad, plen);
    /* A frame announcing 2024 bytes or more: refused before it is read (Sunshine's buffer). */
    uint8_t big[4] = {0x80, 0x00, 0x07, 0xe8}; /* N = 2024: 24 + N = 2048 */
    assert_int_equal(sky_th_rtsp_answer(&cfg, &l, &st, k_ports, stub_announce, &rec, big, 4, out,
                                        sizeof(out), &out_len, NULL),
                     0);
    assert_int_equal(sky_rtsp_unseal(g, SKY_RTSP_FROM_HOST, out, out_len, plainbuf,
                                     sizeof(plainbuf), &plen, &seq),
                     0);
    assert_int_equal(seq, 44);
    /* One less fits: the host waits for it. */
    uint8_t fits[4] = {0x80, 0x00, 0x07, 0xe7};
    size_t need = 0;
    assert_int_equal(sky_th_rtsp_answer(&cfg, &l, &st, k_ports, stub_announce, &rec, fits, 4, out,
                                        sizeof(out), &out_len, &need),
                     SKY_ERR(EAGAIN));
    assert_int_equal(need, 2047);
    assert_int_equal(rec.calls, 0);
    sky_gcm_destroy(&g);
}

static void test_bitrate(void **state)
{
    (void)state;
    SkySdpAnnounce an = {.max_bitrate_kbps = 7500, .configured_bitrate_kbps = 10000,
                         .audio_channels = 2};
    assert_int_equal(sky_th_rtsp_bitrate(&an, false, 20), 7308);
    assert_int_equal(sky_th_rtsp_bitrate(&an, true, 20), 6988);
    /* FEC over 80 %: no FEC share taken. 10000 - 192 - 500. */
    assert_int_equal(sky_th_rtsp_bitrate(&an, false, 90), 9308);
    /* Small bitrates: the caps (20 % and 10 %) bite. 1000 -> 800 -> 640 -> 576. */
    an.configured_bitrate_kbps = 1000;
    assert_int_equal(sky_th_rtsp_bitrate(&an, false, 20), 576);
    an.configured_bitrate_kbps = 0;
    assert_int_equal(sky_th_rtsp_bitrate(&an, false, 20), 7500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recorded_session),
        cmocka_unit_test(test_recorded_frames),
        cmocka_unit_test(test_plain_and_errors),
        cmocka_unit_test(test_encrypted_errors),
        cmocka_unit_test(test_announce_chroma),
        cmocka_unit_test(test_bitrate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

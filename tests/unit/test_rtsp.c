/* common/proto/rtsp.h and the test host's reply builder (tests/host/proto/rtsp_reply.h) on the
 * three recorded handshakes (Sunshine v0.23.1 and moonlight-common-c): every message parses, the
 * builders reproduce every request and reply byte for byte, the encrypted frames recorded on the
 * wire open to exactly the recorded text and sealing reproduces them; then hostile input. */
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
#include "tests/host/proto/rtsp_reply.h"
#include "rtsp_capture.h"

#ifndef SKY_TEST_DATA
#error "SKY_TEST_DATA must name tests/data"
#endif

static const char *const captures[] = {
    "stream-h264.rtsp.txt",
    "stream-hevc.rtsp.txt",
    "stream-h264-videoenc.rtsp.txt",
};

/* rikey of stream-h264 (shared/captures/README.md). */
static const char h264_rikey[] = "b15e61c64f6958d38a253ad52e270237";

static SkyGcm *h264_gcm(void)
{
    uint8_t key[16];
    size_t n;
    assert_int_equal(sky_hex_decode(h264_rikey, strlen(h264_rikey), key, sizeof(key), &n), 0);
    assert_int_equal(n, 16);
    SkyGcm *g = NULL;
    assert_int_equal(sky_gcm_create(&g, key), 0);
    return g;
}

static int parse_req(const char *s, SkyRtspMsg *m)
{
    size_t used;
    int ret = sky_rtsp_parse_request(s, strlen(s), m, &used);
    if (ret == 0)
        assert_int_equal(used, strlen(s));
    return ret;
}

static int parse_resp(const char *s, SkyRtspMsg *m)
{
    return sky_rtsp_parse_response(s, strlen(s), m);
}

/* ---- The captures --------------------------------------------------------------------------- */

static void test_captures_parse(void **state)
{
    (void)state;
    static const char *const methods[] = {"OPTIONS", "DESCRIBE", "SETUP", "SETUP",
                                          "SETUP",   "ANNOUNCE", "PLAY"};
    static const char *const targets[] = {
        "rtsp://0.0.0.0:48010", "rtsp://0.0.0.0:48010", SKY_RTSP_STREAMID_AUDIO,
        SKY_RTSP_STREAMID_VIDEO, SKY_RTSP_STREAMID_CONTROL, SKY_RTSP_STREAMID_CONTROL, "/"};
    static const uint16_t ports[] = {0, 0, 48000, 47998, 47999, 0, 0};
    static const uint32_t connect_data[] = {598113071u, 3059447408u, 3719404340u};
    static const char *const ping[] = {"527F1A8A6322C622", "098CBEE0669647DD",
                                       "37DEFCB3E49A0D1F"};

    for (size_t c = 0; c < 3; c++) {
        TRtspCapture cap;
        assert_true(trtsp_load(SKY_TEST_DATA, captures[c], &cap));
        assert_int_equal(cap.n, 14);
        for (size_t i = 0; i < cap.n; i++) {
            const TRtspMsg *t = &cap.msgs[i];
            size_t step = i / 2;
            assert_int_equal(t->seq, step + 1);
            assert_int_equal(t->from_client, i % 2 == 0);
            SkyRtspMsg m;
            uint32_t cseq;
            if (t->from_client) {
                size_t used;
                assert_int_equal(sky_rtsp_parse_request(t->text, t->len, &m, &used), 0);
                assert_int_equal(used, t->len);
                assert_true(m.is_request);
                assert_true(sky_rtsp_str_eq(m.method, methods[step]));
                assert_true(sky_rtsp_str_eq(m.target, targets[step]));
                assert_true(sky_rtsp_str_eq(m.version, "RTSP/1.0"));
                SkyRtspStr v;
                assert_true(sky_rtsp_header(&m, "x-gs-clientversion", &v));
                assert_true(sky_rtsp_str_eq(v, "14"));
                assert_true(sky_rtsp_header(&m, "HOST", &v));
                assert_true(sky_rtsp_str_eq(v, "0.0.0.0"));
                char session[32];
                assert_int_equal(sky_rtsp_session(&m, session, sizeof(session)),
                                 step >= 3 ? 0 : SKY_ERR(ENOENT));
                if (step >= 3)
                    assert_string_equal(session, "DEADBEEFCAFE");
                size_t cl;
                if (step == 5) {
                    assert_int_equal(sky_rtsp_content_length(&m, &cl), 0);
                    assert_int_equal(cl, c == 2 ? 1488 : 1489);
                    assert_int_equal(m.body_len, cl);
                    static const char head[] = "v=0\r\no=android 0 14 IN IPv4 127.0.0.1\r\n";
                    assert_memory_equal(m.body, head, sizeof(head) - 1);
                } else {
                    assert_int_equal(sky_rtsp_content_length(&m, &cl), SKY_ERR(ENOENT));
                    assert_int_equal(m.body_len, 0);
                    assert_null(m.body);
                }
            } else {
                assert_int_equal(sky_rtsp_parse_response(t->text, t->len, &m), 0);
                assert_false(m.is_request);
                assert_int_equal(m.status, 200);
                assert_true(sky_rtsp_str_eq(m.reason, "OK"));
                uint16_t port;
                char pp[SKY_RTSP_PING_PAYLOAD_LEN + 1];
                uint32_t cd;
                char session[32];
                if (ports[step]) {
                    assert_int_equal(sky_rtsp_server_port(&m, &port), 0);
                    assert_int_equal(port, ports[step]);
                    assert_int_equal(sky_rtsp_session(&m, session, sizeof(session)), 0);
                    assert_string_equal(session, "DEADBEEFCAFE");
                    SkyRtspStr raw;
                    assert_true(sky_rtsp_header(&m, "session", &raw));
                    assert_true(sky_rtsp_str_eq(raw, "DEADBEEFCAFE;timeout = 90"));
                } else {
                    assert_int_equal(sky_rtsp_server_port(&m, &port), SKY_ERR(ENOENT));
                    assert_int_equal(sky_rtsp_session(&m, session, sizeof(session)),
                                     SKY_ERR(ENOENT));
                }
                if (step == 2 || step == 3) {
                    assert_int_equal(sky_rtsp_ping_payload(&m, pp), 0);
                    assert_string_equal(pp, ping[c]);
                } else {
                    assert_int_equal(sky_rtsp_ping_payload(&m, pp), SKY_ERR(ENOENT));
                }
                if (step == 4) {
                    assert_int_equal(sky_rtsp_connect_data(&m, &cd), 0);
                    assert_int_equal(cd, connect_data[c]);
                } else {
                    assert_int_equal(sky_rtsp_connect_data(&m, &cd), SKY_ERR(ENOENT));
                }
                if (step == 1) { /* DESCRIBE: LF-only SDP, no Content-Length */
                    assert_non_null(m.body);
                    size_t head = strlen("RTSP/1.0 200 OK\r\nCSeq: 2\r\n\r\n");
                    assert_int_equal(m.body_len, t->len - head);
                    assert_memory_equal(m.body, "a=x-ss-general.featureFlags:0\n", 30);
                } else {
                    assert_int_equal(m.body_len, 0);
                }
            }
            assert_int_equal(sky_rtsp_cseq(&m, &cseq), 0);
            assert_int_equal(cseq, step + 1);
        }
        trtsp_free(&cap);
    }
}

/* The client side builds every request of each capture, byte for byte, from the values a client
 * has at that point: CSeq, the URL and Host value, the Session from the audio SETUP reply and
 * the SDP. */
static void test_captures_build_requests(void **state)
{
    (void)state;
    static const SkyRtspKind kinds[] = {SKY_RTSP_OPTIONS, SKY_RTSP_DESCRIBE, SKY_RTSP_SETUP,
                                        SKY_RTSP_SETUP,   SKY_RTSP_SETUP,    SKY_RTSP_ANNOUNCE,
                                        SKY_RTSP_PLAY};
    static const char *const targets[] = {
        "rtsp://0.0.0.0:48010", "rtsp://0.0.0.0:48010", SKY_RTSP_STREAMID_AUDIO,
        SKY_RTSP_STREAMID_VIDEO, SKY_RTSP_STREAMID_CONTROL, SKY_RTSP_STREAMID_CONTROL, NULL};
    for (size_t c = 0; c < 3; c++) {
        TRtspCapture cap;
        assert_true(trtsp_load(SKY_TEST_DATA, captures[c], &cap));
        char session[64] = "";
        bool have_session = false;
        for (size_t step = 0; step < 7; step++) {
            const TRtspMsg *want = &cap.msgs[2 * step];
            SkyRtspMsg reply;
            SkyRtspRequest req = {
                .kind = kinds[step],
                .cseq = (uint32_t)step + 1,
                .target = targets[step],
                .host = "0.0.0.0",
                .session = have_session ? session : NULL,
            };
            if (kinds[step] == SKY_RTSP_ANNOUNCE) {
                SkyRtspMsg m;
                size_t used;
                assert_int_equal(sky_rtsp_parse_request(want->text, want->len, &m, &used), 0);
                req.sdp = m.body;
                req.sdp_len = m.body_len;
            }
            char buf[SKY_RTSP_ENC_MAX_REQUEST];
            SkyWriter wr = sky_wr_init(buf, sizeof(buf));
            assert_int_equal(sky_rtsp_build_request(&wr, &req), 0);
            assert_int_equal(wr.pos, want->len);
            assert_memory_equal(buf, want->text, want->len);

            const TRtspMsg *got = &cap.msgs[2 * step + 1];
            assert_int_equal(sky_rtsp_parse_response(got->text, got->len, &reply), 0);
            if (!have_session && sky_rtsp_session(&reply, session, sizeof(session)) == 0)
                have_session = true;
        }
        assert_true(have_session);
        trtsp_free(&cap);
    }
}

/* The host side rebuilds every reply from its parsed parts, byte for byte. */
static void test_captures_build_responses(void **state)
{
    (void)state;
    for (size_t c = 0; c < 3; c++) {
        TRtspCapture cap;
        assert_true(trtsp_load(SKY_TEST_DATA, captures[c], &cap));
        for (size_t i = 1; i < cap.n; i += 2) {
            const TRtspMsg *t = &cap.msgs[i];
            SkyRtspMsg m;
            assert_int_equal(sky_rtsp_parse_response(t->text, t->len, &m), 0);
            uint32_t cseq;
            assert_int_equal(sky_rtsp_cseq(&m, &cseq), 0);
            /* Headers after CSeq, as NUL-terminated copies. */
            char store[8][128];
            SkyRtspKv kv[8];
            size_t n = 0;
            for (size_t h = 1; h < m.n_headers; h++, n++) {
                assert_true(n < 8);
                char name[64];
                assert_int_equal(sky_rtsp_str_copy(m.headers[h].name, name, sizeof(name)), 0);
                assert_int_equal(sky_rtsp_str_copy(m.headers[h].value, store[n], 128), 0);
                kv[n].name = strdup(name);
                kv[n].value = store[n];
            }
            SkyRtspResponse r = {
                .status = 200,
                .has_cseq = true,
                .cseq = cseq,
                .headers = kv,
                .n_headers = n,
                .body = m.body,
                .body_len = m.body_len,
            };
            char buf[1024];
            SkyWriter wr = sky_wr_init(buf, sizeof(buf));
            assert_int_equal(sky_rtsp_build_response(&wr, &r), 0);
            assert_int_equal(wr.pos, t->len);
            assert_memory_equal(buf, t->text, t->len);
            for (size_t k = 0; k < n; k++)
                free((void *)kv[k].name);
        }
        trtsp_free(&cap);
    }
}

/* ---- Encrypted framing ---------------------------------------------------------------------- */

static uint8_t *read_bin(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/captures/%s", SKY_TEST_DATA, name);
    char *b = trtsp_read_file(path, len);
    assert_non_null(b);
    return (uint8_t *)b;
}

/* Frames recorded on the wire open to exactly the recorded text; sealing that text again with
 * the same sequence number and direction gives the recorded bytes. */
static void test_unseal_capture(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        size_t msg; /* index in stream-h264.rtsp.txt */
    } frames[] = {
        {"rtsp-enc-h264-C-1.bin", 0},  {"rtsp-enc-h264-H-2.bin", 3},
        {"rtsp-enc-h264-H-3.bin", 5},  {"rtsp-enc-h264-H-5.bin", 9},
        {"rtsp-enc-h264-C-6.bin", 10},
    };
    TRtspCapture cap;
    assert_true(trtsp_load(SKY_TEST_DATA, "stream-h264.rtsp.txt", &cap));
    SkyGcm *g = h264_gcm();
    for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
        size_t len;
        uint8_t *frame = read_bin(frames[i].file, &len);
        const TRtspMsg *t = &cap.msgs[frames[i].msg];
        SkyRtspDir dir = t->from_client ? SKY_RTSP_FROM_CLIENT : SKY_RTSP_FROM_HOST;
        size_t flen;
        assert_int_equal(sky_rtsp_frame_len(frame, len, &flen), 0);
        assert_int_equal(flen, len);

        char plain[4096];
        size_t plain_len;
        uint32_t seq;
        assert_int_equal(sky_rtsp_unseal(g, dir, frame, len, plain, sizeof(plain), &plain_len,
                                         &seq),
                         0);
        assert_int_equal(seq, t->seq);
        assert_int_equal(plain_len, t->len);
        assert_memory_equal(plain, t->text, t->len);

        /* The opened text parses as what it is. */
        SkyRtspMsg m;
        size_t used;
        if (t->from_client)
            assert_int_equal(sky_rtsp_parse_request(plain, plain_len, &m, &used), 0);
        else
            assert_int_equal(sky_rtsp_parse_response(plain, plain_len, &m), 0);

        uint8_t out[4096];
        SkyWriter wr = sky_wr_init(out, sizeof(out));
        assert_int_equal(sky_rtsp_seal(g, dir, seq, t->text, t->len, &wr), 0);
        assert_int_equal(wr.pos, len);
        assert_memory_equal(out, frame, len);

        /* The other direction's IV does not open it. */
        SkyRtspDir other = dir == SKY_RTSP_FROM_CLIENT ? SKY_RTSP_FROM_HOST : SKY_RTSP_FROM_CLIENT;
        assert_int_equal(sky_rtsp_unseal(g, other, frame, len, plain, sizeof(plain), &plain_len,
                                         NULL),
                         SKY_ERR(EBADMSG));
        assert_int_equal(plain_len, 0);
        free(frame);
    }
    sky_gcm_destroy(&g);
    trtsp_free(&cap);
}

static void test_seal_roundtrip(void **state)
{
    (void)state;
    uint8_t key[16];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)(i * 17 + 3);
    SkyGcm *g = NULL;
    assert_int_equal(sky_gcm_create(&g, key), 0);
    const char msg[] = "PLAY / RTSP/1.0\r\nCSeq: 7\r\n\r\n";
    size_t n = sizeof(msg) - 1;
    uint8_t frame[256];
    SkyWriter wr = sky_wr_init(frame, sizeof(frame));
    assert_int_equal(sky_rtsp_seal(g, SKY_RTSP_FROM_HOST, 0xA1B2C3D4u, msg, n, &wr), 0);
    assert_int_equal(wr.pos, n + 24);
    /* Header: the length with the high bit, then the sequence number, both big-endian. */
    assert_int_equal(frame[0], 0x80);
    assert_int_equal(frame[3], n);
    assert_int_equal(frame[4], 0xA1);
    assert_int_equal(frame[7], 0xD4);
    /* The IV is LE32(seq), six zeros, 'H', 'R': encrypting by hand gives the same bytes. */
    uint8_t iv[12] = {0xD4, 0xC3, 0xB2, 0xA1, 0, 0, 0, 0, 0, 0, 'H', 'R'};
    uint8_t ct[256], tag[16];
    assert_int_equal(sky_gcm_encrypt(g, iv, 12, (const uint8_t *)msg, n, ct, tag), 0);
    assert_memory_equal(frame + 8, tag, 16);
    assert_memory_equal(frame + 24, ct, n);

    char out[256];
    size_t out_len;
    uint32_t seq;
    assert_int_equal(sky_rtsp_unseal(g, SKY_RTSP_FROM_HOST, frame, wr.pos, out, sizeof(out),
                                     &out_len, &seq),
                     0);
    assert_int_equal(out_len, n);
    assert_int_equal(seq, 0xA1B2C3D4u);
    assert_memory_equal(out, msg, n);

    /* Two frames back to back in one writer. */
    assert_int_equal(sky_rtsp_seal(g, SKY_RTSP_FROM_HOST, 1, msg, n, &wr), 0);
    assert_int_equal(wr.pos, 2 * (n + 24));
    /* Too small a writer: E2BIG and the error flag. */
    uint8_t small[40];
    SkyWriter ws = sky_wr_init(small, sizeof(small));
    assert_int_equal(sky_rtsp_seal(g, SKY_RTSP_FROM_CLIENT, 1, msg, n, &ws), SKY_ERR(E2BIG));
    assert_true(ws.error);
    /* Empty message. */
    ws = sky_wr_init(frame, sizeof(frame));
    assert_int_equal(sky_rtsp_seal(g, SKY_RTSP_FROM_CLIENT, 1, msg, 0, &ws), SKY_ERR(EINVAL));
    sky_gcm_destroy(&g);
}

static void test_unseal_hostile(void **state)
{
    (void)state;
    SkyGcm *g = h264_gcm();
    size_t len;
    uint8_t *frame = read_bin("rtsp-enc-h264-H-3.bin", &len);
    uint8_t buf[512];
    char out[512];
    size_t out_len;
    assert_true(len + 8 <= sizeof(buf));
    memcpy(buf, frame, len);

    /* Partial (every prefix, the header ones included) and excess bytes are told apart. */
    for (size_t k = 0; k < len; k++)
        assert_int_equal(sky_rtsp_unseal(g, SKY_RTSP_FROM_HOST, buf, k, out, sizeof(out),
                                         &out_len, NULL),
                         SKY_ERR(EAGAIN));
    buf[len] = 0;
    assert_int_equal(sky_rtsp_unseal(g, SKY_RTSP_FROM_HOST, buf, len + 1, out, sizeof(out),
                                     &out_len, NULL),
                     SKY_ERR(EMSGSIZE));
    /* Output too small. */
    assert_int_equal(sky_rtsp_unseal(g, SKY_RTSP_FROM_HOST, buf, len, out, len - 25, &out_len,
                                     NULL),
                     SKY_ERR(E2BIG));
    /* High bit clear: a plain message where an encrypted one was expected. */
    const char plain[] = "RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n";
    assert_int_equal(sky_rtsp_unseal(g, SKY_RTSP_FROM_HOST, plain, strlen(plain), out,
                                     sizeof(out), &out_len, NULL),
                     SKY_ERR(EPROTO));
    size_t fl;
    assert_int_equal(sky_rtsp_frame_len(plain, strlen(plain), &fl), SKY_ERR(EPROTO));
    assert_int_equal(sky_rtsp_frame_len(buf, 3, &fl), SKY_ERR(EAGAIN));
    /* Every single bit flipped past the length field breaks the tag (sequence, tag, text). */
    for (size_t i = 4; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            memcpy(buf, frame, len);
            buf[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(sky_rtsp_unseal(g, SKY_RTSP_FROM_HOST, buf, len, out, sizeof(out),
                                             &out_len, NULL),
                             SKY_ERR(EBADMSG));
            assert_int_equal(out_len, 0);
        }
    }
    /* A length of 0 or over the cap. */
    static const uint8_t zero[24] = {0x80, 0, 0, 0};
    assert_int_equal(sky_rtsp_unseal(g, SKY_RTSP_FROM_HOST, zero, sizeof(zero), out, sizeof(out),
                                     &out_len, NULL),
                     SKY_ERR(EMSGSIZE));
    static const uint8_t huge[24] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(sky_rtsp_frame_len(huge, sizeof(huge), &fl), SKY_ERR(EMSGSIZE));
    /* A wrong key. */
    uint8_t key[16] = {1};
    SkyGcm *other = NULL;
    assert_int_equal(sky_gcm_create(&other, key), 0);
    assert_int_equal(sky_rtsp_unseal(other, SKY_RTSP_FROM_HOST, frame, len, out, sizeof(out),
                                     &out_len, NULL),
                     SKY_ERR(EBADMSG));
    sky_gcm_destroy(&other);
    free(frame);
    sky_gcm_destroy(&g);
}

/* Sunshine's 2048-byte buffer: a request of SKY_RTSP_ENC_MAX_REQUEST bytes fits, one more does
 * not, and the builder refuses to build it into a buffer of that size. */
static void test_request_size_limit(void **state)
{
    (void)state;
    assert_int_equal(SKY_RTSP_ENC_MAX_REQUEST, 2023);
    assert_true(SKY_RTSP_ENC_HEADER_LEN + SKY_RTSP_ENC_MAX_REQUEST < SKY_RTSP_HOST_BUFFER);
    assert_false(SKY_RTSP_ENC_HEADER_LEN + SKY_RTSP_ENC_MAX_REQUEST + 1 < SKY_RTSP_HOST_BUFFER);

    static char sdp[2100];
    memset(sdp, 'x', sizeof(sdp));
    SkyRtspRequest req = {.kind = SKY_RTSP_ANNOUNCE,
                          .cseq = 6,
                          .target = SKY_RTSP_STREAMID_CONTROL,
                          .host = "0.0.0.0",
                          .session = "DEADBEEFCAFE"};
    char buf[SKY_RTSP_ENC_MAX_REQUEST];
    /* The head of this ANNOUNCE with a 4-digit length: find the largest body that fits. */
    size_t fit = 0;
    for (size_t body = 1500; body < sizeof(sdp); body++) {
        req.sdp = sdp;
        req.sdp_len = body;
        SkyWriter wr = sky_wr_init(buf, sizeof(buf));
        int ret = sky_rtsp_build_request(&wr, &req);
        if (ret == 0) {
            fit = body;
            assert_true(wr.pos <= SKY_RTSP_ENC_MAX_REQUEST);
        } else {
            assert_int_equal(ret, SKY_ERR(E2BIG));
            assert_true(wr.error);
        }
    }
    assert_true(fit > 1500);
    req.sdp_len = fit;
    SkyWriter wr = sky_wr_init(buf, sizeof(buf));
    assert_int_equal(sky_rtsp_build_request(&wr, &req), 0);
    assert_int_equal(wr.pos, SKY_RTSP_ENC_MAX_REQUEST);
}

/* ---- Hostile text --------------------------------------------------------------------------- */

static void test_response_hostile(void **state)
{
    (void)state;
    SkyRtspMsg m;
    assert_int_equal(parse_resp("RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n", &m), 0);
    assert_int_equal(parse_resp("RTSP/1.0 404 NOT FOUND\r\n\r\n", &m), 0);
    assert_int_equal(m.status, 404);
    assert_true(sky_rtsp_str_eq(m.reason, "NOT FOUND"));
    uint32_t cseq;
    assert_int_equal(sky_rtsp_cseq(&m, &cseq), SKY_ERR(ENOENT));
    assert_int_equal(parse_resp("RTSP/1.0 503\r\n\r\n", &m), 0);
    assert_int_equal(m.status, 503);
    /* Values are trimmed, names case-insensitive. */
    assert_int_equal(parse_resp("RTSP/1.0 200 OK\r\ncseq:\t 12 \t\r\n\r\n", &m), 0);
    assert_int_equal(sky_rtsp_cseq(&m, &cseq), 0);
    assert_int_equal(cseq, 12);

    static const char *const bad[] = {
        "",
        "RTSP/1.0 200 OK\r\nCSeq: 1\r\n",       /* truncated: no blank line */
        "RTSP/1.0 200 OK\r\nCSeq: 1",
        "RTSP/1.0 200 OK\nCSeq: 1\n\n",         /* LF only */
        "RTSP/1.0 200 OK\r\nCSeq: 1\n\r\n\r\n", /* one bare LF */
        "RTSP/1.0 200 OK\r\nCSeq: 1\r\r\n\r\n", /* bare CR */
        "RTSP/1.0 200 OK\r\nCSeq 1\r\n\r\n",    /* no colon */
        "RTSP/1.0 200 OK\r\nCSeq : 1\r\n\r\n",  /* space in the name */
        "RTSP/1.0 200 OK\r\n: 1\r\n\r\n",       /* empty name */
        "RTSP/1.0 200 OK\r\nCSeq: 1\r\n folded\r\n\r\n",
        "RTSP/1.0 200 OK\r\nCSeq: 1\x01\r\n\r\n",
        "RTSP/1.1 200 OK\r\n\r\n",
        "HTTP/1.0 200 OK\r\n\r\n",
        "RTSP/1.0 20 OK\r\n\r\n",
        "RTSP/1.0 2000 OK\r\n\r\n",
        "RTSP/1.0 099 OK\r\n\r\n",
        "RTSP/1.0 600 OK\r\n\r\n",
        "RTSP/1.0 2x0 OK\r\n\r\n",
        "RTSP/1.0  200 OK\r\n\r\n",
        "RTSP/1.0 200-OK\r\n\r\n",
        "\r\n\r\n",
        "\r\nRTSP/1.0 200 OK\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int ret = parse_resp(bad[i], &m);
        if (ret != SKY_ERR(EBADMSG))
            fail_msg("case %zu: %d", i, ret);
        assert_int_equal(m.n_headers, 0);
    }
    /* A NUL inside the head. */
    const char nul[] = "RTSP/1.0 200 OK\r\nCSeq: 1\0\r\n\r\n";
    assert_int_equal(sky_rtsp_parse_response(nul, sizeof(nul) - 1, &m), SKY_ERR(EBADMSG));
}

static void test_limits(void **state)
{
    (void)state;
    static char buf[SKY_RTSP_MAX_MESSAGE + 64];
    SkyRtspMsg m;
    /* Header flood: SKY_RTSP_MAX_HEADERS headers parse, one more does not. */
    for (int extra = 0; extra <= 1; extra++) {
        SkyWriter wr = sky_wr_init(buf, sizeof(buf));
        assert_true(sky_wr_bytes(&wr, "RTSP/1.0 200 OK\r\n", 17));
        for (int i = 0; i < SKY_RTSP_MAX_HEADERS + extra; i++)
            assert_true(sky_wr_bytes(&wr, "X-A: b\r\n", 8));
        assert_true(sky_wr_bytes(&wr, "\r\n", 2));
        assert_int_equal(sky_rtsp_parse_response(buf, wr.pos, &m),
                         extra ? SKY_ERR(E2BIG) : 0);
        if (!extra)
            assert_int_equal(m.n_headers, SKY_RTSP_MAX_HEADERS);
    }
    /* A line of SKY_RTSP_MAX_LINE bytes parses, a longer one does not. */
    for (int extra = 0; extra <= 1; extra++) {
        SkyWriter wr = sky_wr_init(buf, sizeof(buf));
        assert_true(sky_wr_bytes(&wr, "RTSP/1.0 200 OK\r\nX-Long: ", 25));
        size_t value = SKY_RTSP_MAX_LINE - strlen("X-Long: ") + (size_t)extra;
        for (size_t i = 0; i < value; i++)
            assert_true(sky_wr_u8(&wr, 'v'));
        assert_true(sky_wr_bytes(&wr, "\r\n\r\n", 4));
        assert_int_equal(sky_rtsp_parse_response(buf, wr.pos, &m), extra ? SKY_ERR(E2BIG) : 0);
    }
    /* A head that never ends within SKY_RTSP_MAX_HEAD. */
    memset(buf, 'a', SKY_RTSP_MAX_HEAD + 10);
    memcpy(buf, "RTSP/1.0 200 OK\r\n", 17);
    assert_int_equal(sky_rtsp_parse_response(buf, SKY_RTSP_MAX_HEAD + 10, &m), SKY_ERR(E2BIG));
    size_t used;
    assert_int_equal(sky_rtsp_parse_request(buf, SKY_RTSP_MAX_HEAD + 10, &m, &used),
                     SKY_ERR(E2BIG));
    /* A whole reply over SKY_RTSP_MAX_MESSAGE. */
    const char head[] = "RTSP/1.0 200 OK\r\n\r\n";
    memcpy(buf, head, sizeof(head) - 1);
    memset(buf + sizeof(head) - 1, 'b', sizeof(buf) - sizeof(head) + 1);
    assert_int_equal(sky_rtsp_parse_response(buf, SKY_RTSP_MAX_MESSAGE, &m), 0);
    assert_int_equal(m.body_len, SKY_RTSP_MAX_MESSAGE - (sizeof(head) - 1));
    assert_int_equal(sky_rtsp_parse_response(buf, SKY_RTSP_MAX_MESSAGE + 1, &m), SKY_ERR(E2BIG));
}

static void test_request_hostile(void **state)
{
    (void)state;
    SkyRtspMsg m;
    size_t used;
    const char ok[] = "ANNOUNCE streamid=control/13/0 RTSP/1.0\r\nCSeq: 6\r\n"
                      "Content-length: 5\r\n\r\nhello";
    /* Every proper prefix asks for more. */
    for (size_t k = 0; k < sizeof(ok) - 1; k++)
        assert_int_equal(sky_rtsp_parse_request(ok, k, &m, &used), SKY_ERR(EAGAIN));
    assert_int_equal(sky_rtsp_parse_request(ok, sizeof(ok) - 1, &m, &used), 0);
    assert_int_equal(used, sizeof(ok) - 1);
    assert_int_equal(m.body_len, 5);
    assert_memory_equal(m.body, "hello", 5);
    /* Bytes after the body are left alone. */
    char more[128];
    snprintf(more, sizeof(more), "%sEXTRA", ok);
    assert_int_equal(sky_rtsp_parse_request(more, strlen(more), &m, &used), 0);
    assert_int_equal(used, sizeof(ok) - 1);
    /* Content-length matched case-insensitively, as our own requests spell it. */
    assert_int_equal(parse_req("PLAY / RTSP/1.0\r\nCONTENT-LENGTH: 0\r\n\r\n", &m), 0);

    static const char *const bad[] = {
        "PLAY / RTSP/1.0\r\nContent-length: 1\r\nContent-length: 1\r\n\r\nx",
        "PLAY / RTSP/1.0\r\nContent-length: -1\r\n\r\n",
        "PLAY / RTSP/1.0\r\nContent-length: 1x\r\n\r\n",
        "PLAY / RTSP/1.0\r\nContent-length: \r\n\r\n",
        "PLAY / RTSP/1.0\r\nContent-length: 99999999999999999999\r\n\r\n",
        "PLAY  / RTSP/1.0\r\n\r\n",
        "PLAY / RTSP/1.0 \r\n\r\n",
        "PLAY /\r\n\r\n",
        "PLAY / HTTP/1.1\r\n\r\n",
        " PLAY / RTSP/1.0\r\n\r\n",
        "PL@Y / RTSP/1.0\r\n\r\n",
        "PLAY / RTSP/1.0\nCSeq: 1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int ret = parse_req(bad[i], &m);
        if (ret != SKY_ERR(EBADMSG))
            fail_msg("case %zu: %d", i, ret);
    }
    assert_int_equal(parse_req("PLAY / RTSP/1.0\r\nContent-length: 70000\r\n\r\n", &m),
                     SKY_ERR(E2BIG));
    /* A body that would take the message past the cap. */
    assert_int_equal(parse_req("PLAY / RTSP/1.0\r\nContent-length: 65535\r\n\r\n", &m),
                     SKY_ERR(E2BIG));
}

static void test_accessors_hostile(void **state)
{
    (void)state;
    SkyRtspMsg m;
    uint32_t u;
    uint16_t port;
    char s[32];
    char pp[SKY_RTSP_PING_PAYLOAD_LEN + 1];

    assert_int_equal(parse_resp("RTSP/1.0 200 OK\r\nCSeq: 4294967296\r\n\r\n", &m), 0);
    assert_int_equal(sky_rtsp_cseq(&m, &u), SKY_ERR(EBADMSG));
    assert_int_equal(parse_resp("RTSP/1.0 200 OK\r\nCSeq: 1\r\nCSeq: 2\r\n\r\n", &m), 0);
    assert_int_equal(sky_rtsp_cseq(&m, &u), SKY_ERR(EBADMSG));
    assert_int_equal(parse_resp("RTSP/1.0 200 OK\r\nCSeq: 4294967295\r\n\r\n", &m), 0);
    assert_int_equal(sky_rtsp_cseq(&m, &u), 0);
    assert_int_equal(u, 4294967295u);

    /* Session */
    assert_int_equal(parse_resp("RTSP/1.0 200 OK\r\nSession: ;timeout=90\r\n\r\n", &m), 0);
    assert_int_equal(sky_rtsp_session(&m, s, sizeof(s)), SKY_ERR(EBADMSG));
    assert_int_equal(parse_resp("RTSP/1.0 200 OK\r\nSession: ABC\r\n\r\n", &m), 0);
    assert_int_equal(sky_rtsp_session(&m, s, sizeof(s)), 0);
    assert_string_equal(s, "ABC");
    assert_int_equal(sky_rtsp_session(&m, s, 3), SKY_ERR(E2BIG));
    assert_string_equal(s, "");

    /* Transport */
    static const struct {
        const char *transport;
        int ret;
        uint16_t port;
    } tp[] = {
        {"server_port=48000", 0, 48000},
        {"unicast;server_port=48000-48001;source=1.2.3.4", 0, 48000},
        {"server_port=65535", 0, 65535},
        {"server_port=0", SKY_ERR(EBADMSG), 0},
        {"server_port=65536", SKY_ERR(EBADMSG), 0},
        {"server_port=", SKY_ERR(EBADMSG), 0},
        {"server_port=48x", SKY_ERR(EBADMSG), 0},
        {"server_port=99999999999999999999999", SKY_ERR(EBADMSG), 0},
        {"client_port=1", SKY_ERR(ENOENT), 0},
    };
    for (size_t i = 0; i < sizeof(tp) / sizeof(tp[0]); i++) {
        char msg[256];
        snprintf(msg, sizeof(msg), "RTSP/1.0 200 OK\r\nTransport: %s\r\n\r\n", tp[i].transport);
        assert_int_equal(parse_resp(msg, &m), 0);
        port = 0;
        assert_int_equal(sky_rtsp_server_port(&m, &port), tp[i].ret);
        assert_int_equal(port, tp[i].port);
    }

    /* Ping payload: exactly 16 visible characters. */
    static const struct {
        const char *value;
        int ret;
    } pl[] = {
        {"0123456789ABCDEF", 0},
        {"0123456789ABCDE", SKY_ERR(EBADMSG)},
        {"0123456789ABCDEF0", SKY_ERR(EBADMSG)},
        {"0123456 89ABCDEF", SKY_ERR(EBADMSG)},
        {"", SKY_ERR(EBADMSG)},
    };
    for (size_t i = 0; i < sizeof(pl) / sizeof(pl[0]); i++) {
        char msg[256];
        snprintf(msg, sizeof(msg), "RTSP/1.0 200 OK\r\nX-SS-Ping-Payload: %s\r\n\r\n",
                 pl[i].value);
        assert_int_equal(parse_resp(msg, &m), 0);
        assert_int_equal(sky_rtsp_ping_payload(&m, pp), pl[i].ret);
        if (pl[i].ret == 0)
            assert_string_equal(pp, pl[i].value);
        else
            assert_string_equal(pp, "");
    }

    /* Connect data */
    static const struct {
        const char *value;
        int ret;
        uint32_t v;
    } cd[] = {
        {"598113071", 0, 598113071u},   {"4294967295", 0, 4294967295u},
        {"0x23A6B42F", 0, 0x23A6B42Fu}, {"0", 0, 0},
        {"4294967296", SKY_ERR(EBADMSG), 0}, {"0x123456789", SKY_ERR(EBADMSG), 0},
        {"-1", SKY_ERR(EBADMSG), 0},    {"12a", SKY_ERR(EBADMSG), 0},
        {"0xZ", SKY_ERR(EBADMSG), 0},   {"", SKY_ERR(EBADMSG), 0},
    };
    for (size_t i = 0; i < sizeof(cd) / sizeof(cd[0]); i++) {
        char msg[256];
        snprintf(msg, sizeof(msg), "RTSP/1.0 200 OK\r\nX-SS-Connect-Data: %s\r\n\r\n",
                 cd[i].value);
        assert_int_equal(parse_resp(msg, &m), 0);
        u = 7;
        assert_int_equal(sky_rtsp_connect_data(&m, &u), cd[i].ret);
        if (cd[i].ret == 0)
            assert_int_equal(u, cd[i].v);
    }
}

static void test_build_hostile(void **state)
{
    (void)state;
    char buf[512];
    SkyWriter wr = sky_wr_init(buf, sizeof(buf));
    SkyRtspRequest req = {.kind = SKY_RTSP_SETUP, .cseq = 3, .target = "a b", .host = "0.0.0.0"};
    assert_int_equal(sky_rtsp_build_request(&wr, &req), SKY_ERR(EINVAL));
    req.target = SKY_RTSP_STREAMID_AUDIO;
    req.host = "0.0.0.0\r\nX-Evil: 1";
    assert_int_equal(sky_rtsp_build_request(&wr, &req), SKY_ERR(EINVAL));
    req.host = "0.0.0.0";
    req.session = "A\nB";
    assert_int_equal(sky_rtsp_build_request(&wr, &req), SKY_ERR(EINVAL));
    req.session = NULL;
    req.target = NULL;
    assert_int_equal(sky_rtsp_build_request(&wr, &req), SKY_ERR(EINVAL));
    req.kind = SKY_RTSP_ANNOUNCE;
    req.target = SKY_RTSP_STREAMID_CONTROL;
    assert_int_equal(sky_rtsp_build_request(&wr, &req), SKY_ERR(EINVAL)); /* no body */
    req.kind = (SkyRtspKind)99;
    assert_int_equal(sky_rtsp_build_request(&wr, &req), SKY_ERR(EINVAL));
    assert_int_equal(wr.pos, 0);

    /* Without Host (RTSP over ENet) and with another client version. */
    req = (SkyRtspRequest){.kind = SKY_RTSP_PLAY, .cseq = 9, .client_version = 12};
    assert_int_equal(sky_rtsp_build_request(&wr, &req), 0);
    const char want[] = "PLAY / RTSP/1.0\r\nCSeq: 9\r\nX-GS-ClientVersion: 12\r\n\r\n";
    assert_int_equal(wr.pos, sizeof(want) - 1);
    assert_memory_equal(buf, want, sizeof(want) - 1);

    /* Replies */
    SkyRtspKv kv = {"Session", "X\r\nY"};
    SkyRtspResponse r = {.status = 200, .headers = &kv, .n_headers = 1};
    wr = sky_wr_init(buf, sizeof(buf));
    assert_int_equal(sky_rtsp_build_response(&wr, &r), SKY_ERR(EINVAL));
    kv = (SkyRtspKv){"Bad Name", "x"};
    assert_int_equal(sky_rtsp_build_response(&wr, &r), SKY_ERR(EINVAL));
    r = (SkyRtspResponse){.status = 99};
    assert_int_equal(sky_rtsp_build_response(&wr, &r), SKY_ERR(EINVAL));
    r = (SkyRtspResponse){.status = 404};
    assert_int_equal(sky_rtsp_build_response(&wr, &r), 0);
    assert_int_equal(wr.pos, strlen("RTSP/1.0 404 NOT FOUND\r\n\r\n"));
    assert_memory_equal(buf, "RTSP/1.0 404 NOT FOUND\r\n\r\n", wr.pos);
    r = (SkyRtspResponse){.status = 400, .has_cseq = true, .cseq = 6};
    wr = sky_wr_init(buf, 20);
    assert_int_equal(sky_rtsp_build_response(&wr, &r), SKY_ERR(E2BIG));
    assert_string_equal(sky_rtsp_reason(503), "Service Unavailable");
    assert_string_equal(sky_rtsp_reason(403), "Forbidden");
    assert_string_equal(sky_rtsp_reason(500), "Internal Server Error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captures_parse),
        cmocka_unit_test(test_captures_build_requests),
        cmocka_unit_test(test_captures_build_responses),
        cmocka_unit_test(test_unseal_capture),
        cmocka_unit_test(test_seal_roundtrip),
        cmocka_unit_test(test_unseal_hostile),
        cmocka_unit_test(test_request_size_limit),
        cmocka_unit_test(test_response_hostile),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_request_hostile),
        cmocka_unit_test(test_accessors_hostile),
        cmocka_unit_test(test_build_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

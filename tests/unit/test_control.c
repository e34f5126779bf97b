/* Control stream messages: what moonlight-embedded and Sunshine exchanged in the recorded
 * sessions (tests/data/captures/stream-*.control.tsv, control-enc-*.bin) is rebuilt byte for
 * byte, sealed messages decrypt to the recorded plaintext and re-seal to the recorded bytes,
 * and hostile input (short, overlong, forged, unknown) is refused or passed up as unknown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/proto/control.h"
#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/hex.h"
#include "tests/host/proto/control_host.h"

#ifndef SKY_TEST_DATA
#error "SKY_TEST_DATA must name tests/data"
#endif

/* rikeys of the recorded sessions (shared/captures/sessions.json). */
static const char KEY_H264[] = "b15e61c64f6958d38a253ad52e270237";
static const char KEY_VIDEOENC[] = "59edfd63d6b5279a6ae51a5c9a1db2a3";

static void key_from_hex(const char *hex, uint8_t key[16])
{
    size_t n = 0;
    assert_int_equal(sky_hex_decode(hex, strlen(hex), key, 16, &n), 0);
    assert_int_equal(n, 16);
}

static size_t read_data(const char *name, uint8_t *buf, size_t cap)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/captures/%s", SKY_TEST_DATA, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    size_t n = fread(buf, 1, cap, f);
    assert_true(feof(f) || n < cap);
    fclose(f);
    return n;
}

/* ---- The recorded message lists ---- */

typedef struct Row {
    char from;
    uint32_t seq;
    uint16_t type;
    uint8_t payload[64];
    size_t payload_len;
    uint8_t msg[68]; /* the plaintext message: type, length, payload */
    size_t msg_len;
} Row;

typedef struct Tsv {
    Row rows[160];
    int n;
} Tsv;

static Tsv *load_tsv(const char *name)
{
    static uint8_t text[16384];
    Tsv *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    size_t len = read_data(name, text, sizeof(text) - 1);
    text[len] = '\0';
    int line = 0;
    for (char *s = (char *)text, *next; s && *s; s = next) {
        next = strchr(s, '\n');
        if (next)
            *next++ = '\0';
        if (line++ == 0)
            continue; /* the column names */
        char from[4], type[16], hex[256];
        double t_s;
        unsigned seq;
        assert_int_equal(sscanf(s, "%lf %3s %u %15s %255s", &t_s, from, &seq, type, hex), 5);
        assert_true(t->n < (int)(sizeof(t->rows) / sizeof(t->rows[0])));
        Row *r = &t->rows[t->n++];
        r->from = from[0];
        r->seq = seq;
        r->type = (uint16_t)strtoul(type, NULL, 16);
        assert_int_equal(sky_hex_decode(hex, strlen(hex), r->payload, sizeof(r->payload),
                                        &r->payload_len),
                         0);
        assert_int_equal(sky_control_msg_build(r->type, r->payload, r->payload_len, r->msg,
                                               sizeof(r->msg), &r->msg_len),
                         0);
    }
    assert_true(t->n > 100);
    return t;
}

static const Row *find_row(const Tsv *t, char from, uint32_t seq)
{
    for (int i = 0; i < t->n; i++)
        if (t->rows[i].from == from && t->rows[i].seq == seq)
            return &t->rows[i];
    fail_msg("no row %c %u", from, (unsigned)seq);
    return NULL;
}

/* Every client message of a session, rebuilt by our builders, and the host's HDR message. */
static void check_session_rows(const char *tsv_name, const char *channels_name)
{
    Tsv *t = load_tsv(tsv_name);
    uint8_t out[SKY_CONTROL_MAX_MSG];
    size_t len = 0;
    int counts[5] = {0};

    static uint8_t chan_text[4096];
    size_t chan_len = read_data(channels_name, chan_text, sizeof(chan_text) - 1);
    chan_text[chan_len] = '\0';
    int checked_routes = 0;

    for (int i = 0; i < t->n; i++) {
        const Row *r = &t->rows[i];
        if (r->from == 'H') {
            SkyControlHostMsg h;
            assert_int_equal(r->type, SKY_CONTROL_HDR_MODE);
            assert_int_equal(sky_control_parse_host(r->msg, r->msg_len, &h), 0);
            assert_int_equal(h.kind, SKY_CONTROL_HOST_HDR_MODE);
            assert_false(h.u.hdr.enabled);
            assert_true(h.u.hdr.has_metadata);
            assert_int_equal(h.u.hdr.max_display_luminance, 0);
            SkyControlHdrMode off = {0};
            assert_int_equal(sky_control_build_hdr_mode(&off, out, sizeof(out), &len), 0);
            assert_int_equal(len, r->msg_len);
            assert_memory_equal(out, r->msg, len);
            counts[4]++;
            continue;
        }
        assert_int_equal(r->from, 'C');
        switch (r->type) {
        case SKY_CONTROL_IDR_REQUEST:
            assert_int_equal(sky_control_build_idr_request(out, sizeof(out), &len), 0);
            counts[0]++;
            break;
        case SKY_CONTROL_START_B:
            assert_int_equal(sky_control_build_start_b(out, sizeof(out), &len), 0);
            counts[1]++;
            break;
        case SKY_CONTROL_PING:
            assert_int_equal(sky_control_build_ping(out, sizeof(out), &len), 0);
            counts[2]++;
            break;
        case SKY_CONTROL_INPUT:
            assert_int_equal(
                sky_control_build_input(r->payload, r->payload_len, out, sizeof(out), &len), 0);
            counts[3]++;
            break;
        default:
            fail_msg("unexpected client type 0x%04x", r->type);
        }
        assert_int_equal(len, r->msg_len);
        assert_memory_equal(out, r->msg, len);

        /* The host side reads it back. */
        SkyControlClientMsg c;
        assert_int_equal(sky_control_parse_client(r->msg, r->msg_len, &c), 0);
        assert_int_not_equal(c.kind, SKY_CONTROL_CLIENT_UNKNOWN);
        if (r->type == SKY_CONTROL_INPUT) {
            assert_int_equal(c.kind, SKY_CONTROL_CLIENT_INPUT);
            assert_int_equal(c.u.input.len, r->payload_len);
            assert_memory_equal(c.u.input.data, r->payload, r->payload_len);
        }

        /* The channel it travelled on, as our router would pick it. */
        char want_line[32];
        snprintf(want_line, sizeof(want_line), "\nC\t%u\t", (unsigned)r->seq);
        const char *at = strstr((const char *)chan_text, want_line);
        assert_non_null(at);
        unsigned want_channel = (unsigned)strtoul(at + strlen(want_line), NULL, 10);
        SkyControlRoute route;
        unsigned hints = r->seq == 0 ? SKY_CONTROL_ROUTE_STARTUP : 0;
        assert_int_equal(sky_control_route(r->msg, r->msg_len, hints, SKY_CONTROL_CHANNELS,
                                           &route),
                         0);
        assert_int_equal(route.channel, want_channel);
        assert_int_equal(route.delivery, SKY_CONTROL_RELIABLE); /* all reliable (0x86) */
        checked_routes++;
    }
    /* One start A, one start B, pings and input; one host message. */
    assert_int_equal(counts[0], 1);
    assert_int_equal(counts[1], 1);
    assert_true(counts[2] > 40);
    assert_true(counts[3] > 20);
    assert_int_equal(counts[4], 1);
    assert_true(checked_routes > 100);
    free(t);
}

static void test_capture_h264_rows(void **state)
{
    (void)state;
    check_session_rows("stream-h264.control.tsv", "control-channels-h264.tsv");
}

static void test_capture_videoenc_rows(void **state)
{
    (void)state;
    check_session_rows("stream-h264-videoenc.control.tsv", "control-channels-videoenc.tsv");
}

/* ---- Sealed messages from the captures ---- */

typedef struct Sealed {
    const char *file;
    const char *tsv;
    const char *key;
    char from;
    uint32_t seq;
    uint8_t channel; /* ENet channel it came on */
} Sealed;

static const Sealed sealed[] = {
    {"control-enc-h264-C-0000.bin", "stream-h264.control.tsv", KEY_H264, 'C', 0, 0},
    {"control-enc-h264-C-0001.bin", "stream-h264.control.tsv", KEY_H264, 'C', 1, 0},
    {"control-enc-h264-C-0002.bin", "stream-h264.control.tsv", KEY_H264, 'C', 2, 0},
    {"control-enc-h264-C-0003.bin", "stream-h264.control.tsv", KEY_H264, 'C', 3, 0},
    {"control-enc-h264-C-0004.bin", "stream-h264.control.tsv", KEY_H264, 'C', 4, 3},
    {"control-enc-h264-C-0041.bin", "stream-h264.control.tsv", KEY_H264, 'C', 41, 3},
    {"control-enc-h264-C-0046.bin", "stream-h264.control.tsv", KEY_H264, 'C', 46, 2},
    {"control-enc-h264-H-0000.bin", "stream-h264.control.tsv", KEY_H264, 'H', 0, 0},
    {"control-enc-videoenc-C-0000.bin", "stream-h264-videoenc.control.tsv", KEY_VIDEOENC, 'C', 0,
     0},
    {"control-enc-videoenc-C-0005.bin", "stream-h264-videoenc.control.tsv", KEY_VIDEOENC, 'C', 5,
     3},
    {"control-enc-videoenc-H-0000.bin", "stream-h264-videoenc.control.tsv", KEY_VIDEOENC, 'H', 0,
     0},
};

static void test_capture_open_and_reseal(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(sealed) / sizeof(sealed[0]); i++) {
        const Sealed *s = &sealed[i];
        Tsv *t = load_tsv(s->tsv);
        const Row *r = find_row(t, s->from, s->seq);
        uint8_t key[16], wire[128], msg[SKY_CONTROL_MAX_MSG], again[128];
        size_t wire_len = read_data(s->file, wire, sizeof(wire));
        size_t msg_len = 0, again_len = 0;
        uint32_t seq = 0xdeadbeef;
        key_from_hex(s->key, key);

        /* The receiving side opens it, the sending side seals it again. */
        SkyControlCrypto *rx = NULL, *tx = NULL;
        SkyControlSide sender = s->from == 'C' ? SKY_CONTROL_CLIENT : SKY_CONTROL_HOST;
        SkyControlSide receiver = s->from == 'C' ? SKY_CONTROL_HOST : SKY_CONTROL_CLIENT;
        assert_int_equal(sky_control_crypto_create(&rx, key, receiver), 0);
        assert_int_equal(sky_control_crypto_create(&tx, key, sender), 0);

        assert_int_equal(sky_control_open(rx, wire, wire_len, msg, sizeof(msg), &msg_len, &seq),
                         0);
        assert_int_equal(seq, s->seq);
        assert_int_equal(msg_len, r->msg_len);
        assert_memory_equal(msg, r->msg, msg_len);

        assert_int_equal(sky_control_seal_seq(tx, s->seq, msg, msg_len, again, sizeof(again),
                                              &again_len),
                         0);
        assert_int_equal(again_len, wire_len);
        assert_memory_equal(again, wire, wire_len);
        assert_int_equal(sky_control_crypto_next_seq(tx), 0); /* explicit seq: counter kept */

        /* The wrong side's IV (or the sender opening its own message) fails the tag. */
        assert_int_equal(sky_control_open(tx, wire, wire_len, msg, sizeof(msg), &msg_len, NULL),
                         SKY_CONTROL_ERR_AUTH);

        if (s->from == 'C') {
            SkyControlRoute route;
            assert_int_equal(sky_control_route(r->msg, r->msg_len,
                                               s->seq == 0 ? SKY_CONTROL_ROUTE_STARTUP : 0,
                                               SKY_CONTROL_CHANNELS, &route),
                             0);
            assert_int_equal(route.channel, s->channel);
        }
        sky_control_crypto_destroy(&rx);
        sky_control_crypto_destroy(&tx);
        assert_null(rx);
        free(t);
    }
}

/* The first client messages of stream-h264, sealed with the counter from 0, are the bytes on
 * the wire. */
static void test_seal_counter_matches_capture(void **state)
{
    (void)state;
    uint8_t key[16], wire[128], out[128], msg[SKY_CONTROL_MAX_MSG];
    size_t len = 0, out_len = 0, msg_len;
    SkyControlCrypto *c = NULL;
    key_from_hex(KEY_H264, key);
    assert_int_equal(sky_control_crypto_create(&c, key, SKY_CONTROL_CLIENT), 0);
    assert_int_equal(sky_control_crypto_next_seq(c), 0);

    for (int i = 0; i < 3; i++) {
        if (i == 0)
            assert_int_equal(sky_control_build_idr_request(msg, sizeof(msg), &msg_len), 0);
        else if (i == 1)
            assert_int_equal(sky_control_build_start_b(msg, sizeof(msg), &msg_len), 0);
        else
            assert_int_equal(sky_control_build_ping(msg, sizeof(msg), &msg_len), 0);
        len = read_data(sealed[i].file, wire, sizeof(wire));
        assert_int_equal(sky_control_seal(c, msg, msg_len, out, sizeof(out), &out_len), 0);
        assert_int_equal(out_len, len);
        assert_memory_equal(out, wire, len);
        assert_int_equal(sky_control_crypto_next_seq(c), (uint32_t)i + 1);
    }
    /* A failed seal does not use up a sequence number. */
    assert_int_equal(sky_control_seal(c, msg, msg_len, out, msg_len + 23, &out_len),
                     SKY_ERR(E2BIG));
    assert_int_equal(sky_control_crypto_next_seq(c), 3);
    sky_control_crypto_destroy(&c);
    sky_control_crypto_destroy(&c); /* NULL is fine */
}

/* ---- Hostile sealed input ---- */

typedef struct Pair {
    SkyControlCrypto *client, *host;
} Pair;

static Pair make_pair(void)
{
    uint8_t key[16];
    Pair p = {NULL, NULL};
    key_from_hex(KEY_H264, key);
    assert_int_equal(sky_control_crypto_create(&p.client, key, SKY_CONTROL_CLIENT), 0);
    assert_int_equal(sky_control_crypto_create(&p.host, key, SKY_CONTROL_HOST), 0);
    return p;
}

static void free_pair(Pair *p)
{
    sky_control_crypto_destroy(&p->client);
    sky_control_crypto_destroy(&p->host);
}

static void test_open_rejects_damage(void **state)
{
    (void)state;
    Pair p = make_pair();
    uint8_t msg[64], wire[128], bad[128], out[SKY_CONTROL_MAX_MSG];
    size_t msg_len, wire_len, out_len = 0;
    assert_int_equal(sky_control_build_termination(SKY_CONTROL_TERM_CLOSED, msg, sizeof(msg),
                                                   &msg_len),
                     0);
    assert_int_equal(sky_control_seal(p.host, msg, msg_len, wire, sizeof(wire), &wire_len), 0);
    assert_int_equal(wire_len, 24 + 8);
    assert_int_equal(sky_control_open(p.client, wire, wire_len, out, sizeof(out), &out_len, NULL),
                     0);
    assert_memory_equal(out, msg, msg_len);

    /* Every truncation is malformed (the declared length no longer matches). */
    for (size_t n = 0; n < wire_len; n++)
        assert_int_equal(sky_control_open(p.client, wire, n, out, sizeof(out), &out_len, NULL),
                         SKY_ERR(EBADMSG));
    /* A trailing byte too. */
    memcpy(bad, wire, wire_len);
    bad[wire_len] = 0;
    assert_int_equal(sky_control_open(p.client, bad, wire_len + 1, out, sizeof(out), &out_len,
                                      NULL),
                     SKY_ERR(EBADMSG));
    /* Declared lengths one off either way, overlong, and too short for a message header. */
    const uint16_t lengths[] = {(uint16_t)(wire_len - 4 + 1), (uint16_t)(wire_len - 4 - 1),
                                0xFFFF, 20, 23, 0};
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        memcpy(bad, wire, wire_len);
        bad[2] = (uint8_t)lengths[i];
        bad[3] = (uint8_t)(lengths[i] >> 8);
        assert_int_equal(sky_control_open(p.client, bad, wire_len, out, sizeof(out), &out_len,
                                          NULL),
                         SKY_ERR(EBADMSG));
    }
    /* Not the encrypted marker: an unencrypted message on an encrypted stream. */
    memcpy(bad, wire, wire_len);
    bad[0] = 0x0e;
    bad[1] = 0x01;
    assert_int_equal(sky_control_open(p.client, bad, wire_len, out, sizeof(out), &out_len, NULL),
                     SKY_ERR(EBADMSG));
    /* Any flipped bit in sequence, tag or ciphertext fails authentication, and leaves no
     * plaintext behind. */
    for (size_t i = 4; i < wire_len; i++) {
        memcpy(bad, wire, wire_len);
        bad[i] ^= 0x01;
        memset(out, 0xAA, sizeof(out));
        assert_int_equal(sky_control_open(p.client, bad, wire_len, out, sizeof(out), &out_len,
                                          NULL),
                         SKY_CONTROL_ERR_AUTH);
        for (size_t k = 0; k < msg_len; k++)
            assert_int_equal(out[k], 0);
    }
    /* A buffer one byte short. */
    assert_int_equal(sky_control_open(p.client, wire, wire_len, out, msg_len - 1, &out_len, NULL),
                     SKY_ERR(E2BIG));
    assert_int_equal(sky_control_open(p.client, NULL, 0, out, sizeof(out), &out_len, NULL),
                     SKY_ERR(EBADMSG));
    free_pair(&p);
}

/* Writes a packet sealed by hand around any plaintext, which seal() would refuse. */
static size_t seal_raw(const uint8_t *plain, size_t len, uint32_t seq, uint8_t *out)
{
    uint8_t key[16], iv[12] = {0};
    SkyGcm *g = NULL;
    key_from_hex(KEY_H264, key);
    assert_int_equal(sky_gcm_create(&g, key), 0);
    iv[0] = (uint8_t)seq;
    iv[10] = 'H';
    iv[11] = 'C';
    out[0] = 0x01;
    out[1] = 0x00;
    out[2] = (uint8_t)(20 + len);
    out[3] = (uint8_t)((20 + len) >> 8);
    out[4] = (uint8_t)seq;
    out[5] = out[6] = out[7] = 0;
    assert_int_equal(sky_gcm_encrypt(g, iv, 12, plain, len, out + 24, out + 8), 0);
    sky_gcm_destroy(&g);
    return 24 + len;
}

static void test_open_checks_authenticated_content(void **state)
{
    (void)state;
    Pair p = make_pair();
    uint8_t wire[SKY_CONTROL_MAX_WIRE + 64], out[SKY_CONTROL_MAX_MSG + 64];
    static uint8_t plain[SKY_CONTROL_MAX_MSG + 16];
    size_t out_len = 0, n;

    /* The inner length disagrees with the plaintext. */
    const uint8_t wrong_len[] = {0x0e, 0x01, 0x03, 0x00, 0x00, 0x00};
    n = seal_raw(wrong_len, sizeof(wrong_len), 7, wire);
    assert_int_equal(sky_control_open(p.client, wire, n, out, sizeof(out), &out_len, NULL),
                     SKY_ERR(EBADMSG));
    /* An encrypted wrapper inside an encrypted wrapper. */
    const uint8_t nested[] = {0x01, 0x00, 0x00, 0x00};
    n = seal_raw(nested, sizeof(nested), 8, wire);
    assert_int_equal(sky_control_open(p.client, wire, n, out, sizeof(out), &out_len, NULL),
                     SKY_ERR(EBADMSG));
    /* The sealed message with no payload is fine, and the sequence comes back. */
    const uint8_t empty[] = {0x34, 0x12, 0x00, 0x00};
    uint32_t seq = 0;
    n = seal_raw(empty, sizeof(empty), 9, wire);
    assert_int_equal(sky_control_open(p.client, wire, n, out, sizeof(out), &out_len, &seq), 0);
    assert_int_equal(out_len, 4);
    assert_int_equal(seq, 9);
    /* One byte over the cap on messages. */
    size_t big = SKY_CONTROL_MAX_MSG + 1;
    plain[0] = 0x06;
    plain[1] = 0x02;
    plain[2] = (uint8_t)(big - 4);
    plain[3] = (uint8_t)((big - 4) >> 8);
    n = seal_raw(plain, big, 10, wire);
    assert_int_equal(sky_control_open(p.client, wire, n, out, sizeof(out), &out_len, NULL),
                     SKY_ERR(EMSGSIZE));
    free_pair(&p);
}

static void test_seal_round_trip_and_refusals(void **state)
{
    (void)state;
    Pair p = make_pair();
    uint8_t msg[SKY_CONTROL_MAX_MSG + 8], wire[SKY_CONTROL_MAX_WIRE + 8], out[SKY_CONTROL_MAX_MSG];
    size_t msg_len, wire_len, out_len;

    /* Both directions, with distinct counters. */
    for (uint32_t i = 0; i < 5; i++) {
        SkyControlRumble r = {(uint16_t)i, (uint16_t)(1000 * i), 7};
        assert_int_equal(sky_control_build_rumble(&r, msg, sizeof(msg), &msg_len), 0);
        assert_int_equal(sky_control_seal(p.host, msg, msg_len, wire, sizeof(wire), &wire_len),
                         0);
        assert_int_equal(sky_control_open(p.client, wire, wire_len, out, sizeof(out), &out_len,
                                          NULL),
                         0);
        SkyControlHostMsg h;
        assert_int_equal(sky_control_parse_host(out, out_len, &h), 0);
        assert_int_equal(h.kind, SKY_CONTROL_HOST_RUMBLE);
        assert_int_equal(h.u.rumble.low_freq, 1000 * i);
    }
    assert_int_equal(sky_control_build_ping(msg, sizeof(msg), &msg_len), 0);
    assert_int_equal(sky_control_seal(p.client, msg, msg_len, wire, sizeof(wire), &wire_len), 0);
    uint32_t seq = 99;
    assert_int_equal(sky_control_open(p.host, wire, wire_len, out, sizeof(out), &out_len, &seq),
                     0);
    assert_int_equal(seq, 0);
    assert_int_equal(sky_control_crypto_next_seq(p.host), 5);
    assert_int_equal(sky_control_crypto_next_seq(p.client), 1);

    /* The same message with the same sequence is the same bytes; another sequence is not. */
    uint8_t w2[64];
    size_t w2_len;
    assert_int_equal(sky_control_seal_seq(p.client, 0, msg, msg_len, w2, sizeof(w2), &w2_len), 0);
    assert_memory_equal(w2, wire, wire_len);
    assert_int_equal(sky_control_seal_seq(p.client, 1, msg, msg_len, w2, sizeof(w2), &w2_len), 0);
    assert_memory_not_equal(w2 + 8, wire + 8, wire_len - 8);
    /* The highest sequence number works (wraps no IV). */
    assert_int_equal(
        sky_control_seal_seq(p.client, UINT32_MAX, msg, msg_len, w2, sizeof(w2), &w2_len), 0);
    assert_int_equal(sky_control_open(p.host, w2, w2_len, out, sizeof(out), &out_len, &seq), 0);
    assert_int_equal(seq, UINT32_MAX);

    /* Malformed, oversized, or no room. */
    assert_int_equal(sky_control_seal(p.client, msg, msg_len - 1, wire, sizeof(wire), &wire_len),
                     SKY_ERR(EBADMSG));
    assert_int_equal(sky_control_seal(p.client, msg, 3, wire, sizeof(wire), &wire_len),
                     SKY_ERR(EBADMSG));
    const uint8_t wrapper[] = {0x01, 0x00, 0x00, 0x00};
    assert_int_equal(sky_control_seal(p.client, wrapper, sizeof(wrapper), wire, sizeof(wire),
                                      &wire_len),
                     SKY_ERR(EBADMSG));
    assert_int_equal(sky_control_seal(p.client, msg, msg_len, wire, msg_len + 23, &wire_len),
                     SKY_ERR(E2BIG));
    memset(msg, 0, sizeof(msg));
    msg[2] = (uint8_t)(SKY_CONTROL_MAX_PAYLOAD + 1);
    msg[3] = (uint8_t)((SKY_CONTROL_MAX_PAYLOAD + 1) >> 8);
    assert_int_equal(sky_control_seal(p.client, msg, SKY_CONTROL_MAX_MSG + 1, wire, sizeof(wire),
                                      &wire_len),
                     SKY_ERR(EMSGSIZE));
    assert_int_equal(sky_control_crypto_next_seq(p.client), 1);
    free_pair(&p);
}

static void test_crypto_create_checks_side(void **state)
{
    (void)state;
    uint8_t key[16] = {0};
    SkyControlCrypto *c = (SkyControlCrypto *)key; /* must be NULLed on failure */
    assert_int_equal(sky_control_crypto_create(&c, key, (SkyControlSide)'R'), SKY_ERR(EINVAL));
    assert_null(c);
}

/* ---- Plain (unencrypted) framing ---- */

static void test_plain_framing(void **state)
{
    (void)state;
    uint8_t msg[64], wire[64], back[64];
    size_t msg_len, wire_len, back_len;
    SkyControlHdrMode h = {.enabled = true};
    assert_int_equal(sky_control_build_hdr_mode(&h, msg, sizeof(msg), &msg_len), 0);
    assert_int_equal(sky_control_plain_wrap(msg, msg_len, wire, sizeof(wire), &wire_len), 0);
    assert_int_equal(wire_len, msg_len - 2);
    assert_int_equal(wire[0], 0x0e);
    assert_int_equal(wire[1], 0x01);
    assert_int_equal(wire[2], 1); /* the payload straight after the type */
    assert_int_equal(sky_control_plain_unwrap(wire, wire_len, back, sizeof(back), &back_len), 0);
    assert_int_equal(back_len, msg_len);
    assert_memory_equal(back, msg, msg_len);

    /* A type alone is an empty message; less is nothing. */
    assert_int_equal(sky_control_plain_unwrap(wire, 2, back, sizeof(back), &back_len), 0);
    assert_int_equal(back_len, 4);
    assert_int_equal(back[2], 0);
    assert_int_equal(sky_control_plain_unwrap(wire, 1, back, sizeof(back), &back_len),
                     SKY_ERR(EBADMSG));
    assert_int_equal(sky_control_plain_unwrap(wire, wire_len, back, msg_len - 1, &back_len),
                     SKY_ERR(E2BIG));
    assert_int_equal(sky_control_plain_wrap(msg, msg_len + 1, wire, sizeof(wire), &wire_len),
                     SKY_ERR(EBADMSG));
    assert_int_equal(sky_control_plain_wrap(msg, msg_len, wire, msg_len - 3, &wire_len),
                     SKY_ERR(E2BIG));
    static uint8_t huge[SKY_CONTROL_MAX_PAYLOAD + 3];
    assert_int_equal(sky_control_plain_unwrap(huge, sizeof(huge), back, sizeof(back), &back_len),
                     SKY_ERR(EMSGSIZE));
}

/* ---- Messages ---- */

static void test_split_checks_lengths(void **state)
{
    (void)state;
    const uint8_t ok[] = {0x07, 0x03, 0x01, 0x00, 0x00};
    SkyControlMsg m;
    assert_int_equal(sky_control_msg_split(ok, sizeof(ok), &m), 0);
    assert_int_equal(m.type, SKY_CONTROL_START_B);
    assert_int_equal(m.payload_len, 1);
    assert_ptr_equal(m.payload, ok + 4);
    for (size_t n = 0; n < sizeof(ok); n++)
        assert_int_equal(sky_control_msg_split(ok, n, &m), SKY_ERR(EBADMSG));
    const uint8_t overlong[] = {0x07, 0x03, 0xFF, 0xFF, 0x00};
    assert_int_equal(sky_control_msg_split(overlong, sizeof(overlong), &m), SKY_ERR(EBADMSG));
    const uint8_t trailing[] = {0x07, 0x03, 0x00, 0x00, 0x00};
    assert_int_equal(sky_control_msg_split(trailing, sizeof(trailing), &m), SKY_ERR(EBADMSG));

    uint8_t out[8];
    size_t len;
    assert_int_equal(sky_control_msg_build(0x1234, ok, 5, out, 8, &len), SKY_ERR(E2BIG));
    assert_int_equal(sky_control_msg_build(0x1234, ok, 4, out, 8, &len), 0);
    assert_int_equal(len, 8);
    assert_int_equal(sky_control_msg_build(0x1234, NULL, 1, out, 8, &len), SKY_ERR(EINVAL));
    assert_int_equal(sky_control_msg_build(0x1234, ok, SKY_CONTROL_MAX_PAYLOAD + 1, out, 8, &len),
                     SKY_ERR(EMSGSIZE));
}

/* Builds a message with builder(), checks its bytes, parses it back, then checks that every
 * payload one byte shorter is refused and that one extra byte is accepted. */
typedef int (*ParseFn)(const uint8_t *msg, size_t len, void *out);

static int parse_host_fn(const uint8_t *msg, size_t len, void *out)
{
    return sky_control_parse_host(msg, len, out);
}

static int parse_client_fn(const uint8_t *msg, size_t len, void *out)
{
    return sky_control_parse_client(msg, len, out);
}

static void check_short_and_long(const uint8_t *msg, size_t len, ParseFn parse)
{
    uint8_t buf[128];
    size_t blen;
    union {
        SkyControlHostMsg h;
        SkyControlClientMsg c;
    } out;
    size_t payload_len = len - 4;
    uint16_t type = (uint16_t)(msg[0] | msg[1] << 8);
    assert_true(payload_len < sizeof(buf) - 8);
    /* Short by one, by each count down to nothing. */
    for (size_t n = 0; n < payload_len; n++) {
        assert_int_equal(sky_control_msg_build(type, msg + 4, n, buf, sizeof(buf), &blen), 0);
        memset(&out, 0x5A, sizeof(out));
        assert_int_equal(parse(buf, blen, &out), SKY_ERR(EBADMSG));
        assert_int_equal(out.h.kind, 0); /* zeroed on failure */
    }
    /* One more byte: appended fields are ignored. */
    memcpy(buf + 4, msg + 4, payload_len);
    buf[4 + payload_len] = 0xEE;
    assert_int_equal(sky_control_msg_build(type, buf + 4, payload_len + 1, buf, sizeof(buf),
                                           &blen),
                     0);
    assert_int_equal(parse(buf, blen, &out), 0);
}

static void test_host_messages(void **state)
{
    (void)state;
    uint8_t msg[64];
    size_t len;
    SkyControlHostMsg h;

    SkyControlHdrMode hdr = {
        .enabled = true,
        .primaries = {{34000, 16000}, {13250, 34500}, {7500, 3000}},
        .white_point = {15635, 16450},
        .max_display_luminance = 1000,
        .min_display_luminance = 50,
        .max_content_light_level = 800,
        .max_frame_average_light_level = 400,
        .max_full_frame_luminance = 600,
    };
    assert_int_equal(sky_control_build_hdr_mode(&hdr, msg, sizeof(msg), &len), 0);
    const uint8_t hdr_bytes[] = {0x0e, 0x01, 27, 0, 1, 0xd0, 0x84, 0x80, 0x3e, 0xc2, 0x33,
                                 0xc4, 0x86, 0x4c, 0x1d, 0xb8, 0x0b, 0x13, 0x3d, 0x42, 0x40,
                                 0xe8, 0x03, 50, 0, 0x20, 0x03, 0x90, 0x01, 0x58, 0x02};
    assert_int_equal(len, sizeof(hdr_bytes));
    assert_memory_equal(msg, hdr_bytes, len);
    assert_int_equal(sky_control_parse_host(msg, len, &h), 0);
    assert_int_equal(h.kind, SKY_CONTROL_HOST_HDR_MODE);
    hdr.has_metadata = true;
    assert_memory_equal(&h.u.hdr, &hdr, sizeof(hdr));
    /* The flag alone (older hosts) is fine; 2 to 26 bytes are not. */
    const uint8_t flag_only[] = {0x0e, 0x01, 1, 0, 1};
    assert_int_equal(sky_control_parse_host(flag_only, sizeof(flag_only), &h), 0);
    assert_true(h.u.hdr.enabled);
    assert_false(h.u.hdr.has_metadata);
    for (size_t n = 2; n < 27; n++) {
        uint8_t buf[64];
        size_t blen;
        assert_int_equal(sky_control_msg_build(SKY_CONTROL_HDR_MODE, msg + 4, n, buf,
                                               sizeof(buf), &blen),
                         0);
        assert_int_equal(sky_control_parse_host(buf, blen, &h), SKY_ERR(EBADMSG));
    }
    const uint8_t hdr_empty[] = {0x0e, 0x01, 0, 0};
    assert_int_equal(sky_control_parse_host(hdr_empty, sizeof(hdr_empty), &h), SKY_ERR(EBADMSG));

    SkyControlRumble rumble = {2, 0x1234, 0xFFFF};
    assert_int_equal(sky_control_build_rumble(&rumble, msg, sizeof(msg), &len), 0);
    const uint8_t rumble_bytes[] = {0x0b, 0x01, 10, 0, 0xee, 0xff, 0xc0, 0x00,
                                    2,    0,    0x34, 0x12, 0xff, 0xff};
    assert_int_equal(len, sizeof(rumble_bytes));
    assert_memory_equal(msg, rumble_bytes, len);
    assert_int_equal(sky_control_parse_host(msg, len, &h), 0);
    assert_int_equal(h.kind, SKY_CONTROL_HOST_RUMBLE);
    assert_memory_equal(&h.u.rumble, &rumble, sizeof(rumble));
    check_short_and_long(msg, len, parse_host_fn);

    SkyControlTriggerRumble tr = {1, 300, 65000};
    assert_int_equal(sky_control_build_rumble_triggers(&tr, msg, sizeof(msg), &len), 0);
    const uint8_t tr_bytes[] = {0x00, 0x55, 6, 0, 1, 0, 0x2c, 0x01, 0xe8, 0xfd};
    assert_memory_equal(msg, tr_bytes, sizeof(tr_bytes));
    assert_int_equal(sky_control_parse_host(msg, len, &h), 0);
    assert_int_equal(h.kind, SKY_CONTROL_HOST_RUMBLE_TRIGGERS);
    assert_memory_equal(&h.u.trigger_rumble, &tr, sizeof(tr));
    check_short_and_long(msg, len, parse_host_fn);

    SkyControlMotionState ms = {3, 200, 2};
    assert_int_equal(sky_control_build_motion_event(&ms, msg, sizeof(msg), &len), 0);
    const uint8_t ms_bytes[] = {0x01, 0x55, 5, 0, 3, 0, 200, 0, 2};
    assert_memory_equal(msg, ms_bytes, sizeof(ms_bytes));
    assert_int_equal(sky_control_parse_host(msg, len, &h), 0);
    assert_int_equal(h.kind, SKY_CONTROL_HOST_MOTION_EVENT);
    assert_int_equal(h.u.motion.controller, 3);
    assert_int_equal(h.u.motion.report_rate_hz, 200);
    assert_int_equal(h.u.motion.motion_type, 2);
    check_short_and_long(msg, len, parse_host_fn);

    SkyControlLed led = {4, 0x10, 0x20, 0x30};
    assert_int_equal(sky_control_build_set_led(&led, msg, sizeof(msg), &len), 0);
    const uint8_t led_bytes[] = {0x02, 0x55, 5, 0, 4, 0, 0x10, 0x20, 0x30};
    assert_memory_equal(msg, led_bytes, sizeof(led_bytes));
    assert_int_equal(sky_control_parse_host(msg, len, &h), 0);
    assert_int_equal(h.kind, SKY_CONTROL_HOST_SET_LED);
    assert_int_equal(h.u.led.controller, 4);
    assert_int_equal(h.u.led.r, 0x10);
    assert_int_equal(h.u.led.b, 0x30);
    check_short_and_long(msg, len, parse_host_fn);

    SkyControlAdaptiveTriggers at = {5, SKY_CONTROL_TRIGGER_LEFT | SKY_CONTROL_TRIGGER_RIGHT, 0x21,
                                     0x26, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
                                     {11, 12, 13, 14, 15, 16, 17, 18, 19, 20}};
    assert_int_equal(sky_control_build_adaptive_triggers(&at, msg, sizeof(msg), &len), 0);
    assert_int_equal(len, 4 + 25);
    assert_int_equal(msg[4 + 3], 0x21); /* left type before right */
    assert_int_equal(msg[4 + 5], 1);
    assert_int_equal(msg[4 + 15], 11);
    assert_int_equal(sky_control_parse_host(msg, len, &h), 0);
    assert_int_equal(h.kind, SKY_CONTROL_HOST_ADAPTIVE_TRIGGERS);
    assert_int_equal(h.u.adaptive.controller, 5);
    assert_int_equal(h.u.adaptive.event_flags, 0x0c);
    assert_int_equal(h.u.adaptive.type_left, 0x21);
    assert_int_equal(h.u.adaptive.type_right, 0x26);
    assert_memory_equal(h.u.adaptive.left, at.left, sizeof(at.left));
    assert_memory_equal(h.u.adaptive.right, at.right, sizeof(at.right));
    check_short_and_long(msg, len, parse_host_fn);

    /* Termination: BE32 in 0x0109, LE16 in GFE's short form; the length decides. */
    assert_int_equal(sky_control_build_termination(SKY_CONTROL_TERM_CLOSED, msg, sizeof(msg),
                                                   &len),
                     0);
    const uint8_t term_bytes[] = {0x09, 0x01, 4, 0, 0x80, 0x03, 0x00, 0x23};
    assert_int_equal(len, sizeof(term_bytes));
    assert_memory_equal(msg, term_bytes, len);
    assert_int_equal(sky_control_parse_host(msg, len, &h), 0);
    assert_int_equal(h.kind, SKY_CONTROL_HOST_TERMINATION);
    assert_true(h.u.termination.extended);
    assert_int_equal(h.u.termination.code, 0x80030023u);
    const uint8_t term_short[] = {0x00, 0x01, 2, 0, 0x00, 0x01};
    assert_int_equal(sky_control_parse_host(term_short, sizeof(term_short), &h), 0);
    assert_int_equal(h.kind, SKY_CONTROL_HOST_TERMINATION);
    assert_false(h.u.termination.extended);
    assert_int_equal(h.u.termination.code, SKY_CONTROL_TERM_SHORT_INTENDED);
    const uint8_t term_3[] = {0x09, 0x01, 3, 0, 0x05, 0x00, 0x77};
    assert_int_equal(sky_control_parse_host(term_3, sizeof(term_3), &h), 0);
    assert_false(h.u.termination.extended);
    assert_int_equal(h.u.termination.code, 5);
    const uint8_t term_1[] = {0x09, 0x01, 1, 0, 0x80};
    assert_int_equal(sky_control_parse_host(term_1, sizeof(term_1), &h), SKY_ERR(EBADMSG));
    const uint8_t term_0[] = {0x00, 0x01, 0, 0};
    assert_int_equal(sky_control_parse_host(term_0, sizeof(term_0), &h), SKY_ERR(EBADMSG));

    /* Unknown types come up as unknown, with their payload. */
    const uint8_t unknown[] = {0x04, 0x55, 2, 0, 0xAB, 0xCD};
    assert_int_equal(sky_control_parse_host(unknown, sizeof(unknown), &h), 0);
    assert_int_equal(h.kind, SKY_CONTROL_HOST_UNKNOWN);
    assert_int_equal(h.type, 0x5504);
    assert_int_equal(h.u.unknown.len, 2);
    assert_ptr_equal(h.u.unknown.payload, unknown + 4);
    const uint8_t unknown_empty[] = {0xFF, 0xFF, 0, 0};
    assert_int_equal(sky_control_parse_host(unknown_empty, sizeof(unknown_empty), &h), 0);
    assert_int_equal(h.kind, SKY_CONTROL_HOST_UNKNOWN);
    assert_int_equal(h.u.unknown.len, 0);
    /* A broken header is an error, whatever the type. */
    assert_int_equal(sky_control_parse_host(unknown, sizeof(unknown) - 1, &h), SKY_ERR(EBADMSG));
    assert_int_equal(sky_control_parse_host(unknown, 3, &h), SKY_ERR(EBADMSG));
}

static void test_client_messages(void **state)
{
    (void)state;
    uint8_t msg[64];
    size_t len;
    SkyControlClientMsg c;

    assert_int_equal(sky_control_build_rfi(10, 12, msg, sizeof(msg), &len), 0);
    const uint8_t rfi_bytes[] = {0x01, 0x03, 24, 0, 10, 0, 0, 0, 0, 0, 0, 0, 12, 0,
                                 0,    0,    0,  0, 0,  0, 0, 0, 0, 0, 0, 0, 0,  0};
    assert_int_equal(len, sizeof(rfi_bytes));
    assert_memory_equal(msg, rfi_bytes, len);
    assert_int_equal(sky_control_parse_client(msg, len, &c), 0);
    assert_int_equal(c.kind, SKY_CONTROL_CLIENT_RFI);
    assert_int_equal(c.u.rfi.first_frame, 10);
    assert_int_equal(c.u.rfi.last_frame, 12);
    /* The host reads two LE64: 16 bytes are needed, the zero tail is not. */
    uint8_t buf[64];
    size_t blen;
    assert_int_equal(sky_control_msg_build(SKY_CONTROL_RFI, msg + 4, 16, buf, sizeof(buf), &blen),
                     0);
    assert_int_equal(sky_control_parse_client(buf, blen, &c), 0);
    assert_int_equal(sky_control_msg_build(SKY_CONTROL_RFI, msg + 4, 15, buf, sizeof(buf), &blen),
                     0);
    assert_int_equal(sky_control_parse_client(buf, blen, &c), SKY_ERR(EBADMSG));
    assert_int_equal(sky_control_build_rfi(12, 12, msg, sizeof(msg), &len), 0);
    assert_int_equal(sky_control_build_rfi(13, 12, msg, sizeof(msg), &len), SKY_ERR(EINVAL));
    assert_int_equal(sky_control_build_rfi(0xFFFFFFFEu, 1, msg, sizeof(msg), &len), 0);
    /* A backwards range from a client is refused. */
    memcpy(buf, rfi_bytes, sizeof(rfi_bytes));
    buf[4] = 13;
    assert_int_equal(sky_control_parse_client(buf, sizeof(rfi_bytes), &c), SKY_ERR(EBADMSG));

    SkyControlFecStatus fs = {0x01020304, 0x0506, 0x0708, 0x090a, 0x0b0c, 0x0d0e,
                              0x0f10,     0x1112, 20,     1,      2};
    assert_int_equal(sky_control_build_fec_status(&fs, msg, sizeof(msg), &len), 0);
    const uint8_t fs_bytes[] = {0x02, 0x55, 21,   0,    0x01, 0x02, 0x03, 0x04, 0x05,
                                0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
                                0x0f, 0x10, 0x11, 0x12, 20,   1,    2};
    assert_int_equal(len, sizeof(fs_bytes));
    assert_memory_equal(msg, fs_bytes, len);
    assert_int_equal(sky_control_parse_client(msg, len, &c), 0);
    assert_int_equal(c.kind, SKY_CONTROL_CLIENT_FEC_STATUS);
    assert_int_equal(c.u.fec.frame_index, fs.frame_index);
    assert_int_equal(c.u.fec.highest_received_seq, fs.highest_received_seq);
    assert_int_equal(c.u.fec.next_contiguous_seq, fs.next_contiguous_seq);
    assert_int_equal(c.u.fec.missing_before_highest, fs.missing_before_highest);
    assert_int_equal(c.u.fec.total_data_packets, fs.total_data_packets);
    assert_int_equal(c.u.fec.total_parity_packets, fs.total_parity_packets);
    assert_int_equal(c.u.fec.received_data_packets, fs.received_data_packets);
    assert_int_equal(c.u.fec.received_parity_packets, fs.received_parity_packets);
    assert_int_equal(c.u.fec.fec_percentage, 20);
    assert_int_equal(c.u.fec.multi_fec_block_index, 1);
    assert_int_equal(c.u.fec.multi_fec_block_count, 2);
    check_short_and_long(msg, len, parse_client_fn);

    assert_int_equal(sky_control_build_loss_stats(0x1122334455ull, msg, sizeof(msg), &len), 0);
    assert_int_equal(len, 4 + 32);
    assert_int_equal(msg[4 + 4], 50);
    assert_int_equal(msg[4 + 32 - 4], 0x14);
    assert_int_equal(sky_control_parse_client(msg, len, &c), 0);
    assert_int_equal(c.kind, SKY_CONTROL_CLIENT_LOSS_STATS);
    assert_int_equal(c.u.loss.last_good_frame, 0x1122334455ull);
    assert_int_equal(c.u.loss.interval_ms, 50);
    check_short_and_long(msg, len, parse_client_fn);

    /* Input: the packet comes back as it went in; its own size must match. */
    const uint8_t key_down[] = {0, 0, 0, 0x0a, 3, 0, 0, 0, 0, 0x53, 0x80, 0, 0, 0};
    assert_int_equal(sky_control_build_input(key_down, sizeof(key_down), msg, sizeof(msg), &len),
                     0);
    assert_int_equal(sky_control_parse_client(msg, len, &c), 0);
    assert_int_equal(c.kind, SKY_CONTROL_CLIENT_INPUT);
    assert_int_equal(c.u.input.len, sizeof(key_down));
    assert_memory_equal(c.u.input.data, key_down, sizeof(key_down));
    for (size_t n = 0; n < sizeof(key_down); n++) {
        assert_int_equal(sky_control_build_input(key_down, n, msg, sizeof(msg), &len),
                         SKY_ERR(EINVAL));
        assert_int_equal(sky_control_msg_build(SKY_CONTROL_INPUT, key_down, n, buf, sizeof(buf),
                                               &blen),
                         0);
        assert_int_equal(sky_control_parse_client(buf, blen, &c), SKY_ERR(EBADMSG));
    }
    assert_int_equal(sky_control_build_input(NULL, 0, msg, sizeof(msg), &len), SKY_ERR(EINVAL));

    /* Start A (old code), start B, IDR and ping are known at any length (content ignored). */
    const uint8_t start_a[] = {0x05, 0x03, 0, 0};
    assert_int_equal(sky_control_parse_client(start_a, sizeof(start_a), &c), 0);
    assert_int_equal(c.kind, SKY_CONTROL_CLIENT_START_A);
    const uint8_t idr_short[] = {0x02, 0x03, 0, 0};
    assert_int_equal(sky_control_parse_client(idr_short, sizeof(idr_short), &c), 0);
    assert_int_equal(c.kind, SKY_CONTROL_CLIENT_IDR_REQUEST);

    const uint8_t unknown[] = {0x50, 0x03, 8, 0, 1, 2, 3, 4, 0, 0, 0, 0};
    assert_int_equal(sky_control_parse_client(unknown, sizeof(unknown), &c), 0);
    assert_int_equal(c.kind, SKY_CONTROL_CLIENT_UNKNOWN);
    assert_int_equal(c.type, 0x0350);
    assert_int_equal(c.u.unknown.len, 8);
    assert_int_equal(sky_control_parse_client(unknown, sizeof(unknown) - 1, &c),
                     SKY_ERR(EBADMSG));
}

/* Every builder refuses a buffer one byte short, without writing past it. */
static void test_builders_need_room(void **state)
{
    (void)state;
    uint8_t msg[64], fill[64];
    size_t len, need = 0;
    SkyControlHdrMode hdr = {0};
    SkyControlRumble r = {0};
    SkyControlTriggerRumble tr = {0};
    SkyControlMotionState ms = {0};
    SkyControlLed led = {0};
    SkyControlAdaptiveTriggers at = {0};
    SkyControlFecStatus fs = {0};
    const uint8_t pkt[] = {0, 0, 0, 5, 8, 0, 0, 0, 1};
    for (int which = 0; which < 14; which++) {
        for (int pass = 0; pass < 2; pass++) {
            size_t cap = pass == 0 ? sizeof(msg) : need - 1;
            int ret = 0;
            memset(msg, 0x77, sizeof(msg));
            switch (which) {
            case 0: ret = sky_control_build_idr_request(msg, cap, &len); break;
            case 1: ret = sky_control_build_start_b(msg, cap, &len); break;
            case 2: ret = sky_control_build_ping(msg, cap, &len); break;
            case 3: ret = sky_control_build_rfi(1, 2, msg, cap, &len); break;
            case 4: ret = sky_control_build_input(pkt, sizeof(pkt), msg, cap, &len); break;
            case 5: ret = sky_control_build_fec_status(&fs, msg, cap, &len); break;
            case 6: ret = sky_control_build_loss_stats(1, msg, cap, &len); break;
            case 7: ret = sky_control_build_termination(1, msg, cap, &len); break;
            case 8: ret = sky_control_build_hdr_mode(&hdr, msg, cap, &len); break;
            case 9: ret = sky_control_build_rumble(&r, msg, cap, &len); break;
            case 10: ret = sky_control_build_rumble_triggers(&tr, msg, cap, &len); break;
            case 11: ret = sky_control_build_motion_event(&ms, msg, cap, &len); break;
            case 12: ret = sky_control_build_set_led(&led, msg, cap, &len); break;
            case 13: ret = sky_control_build_adaptive_triggers(&at, msg, cap, &len); break;
            }
            if (pass == 0) {
                assert_int_equal(ret, 0);
                need = len;
                SkyControlMsg m;
                assert_int_equal(sky_control_msg_split(msg, len, &m), 0);
            } else {
                assert_int_equal(ret, SKY_ERR(E2BIG));
                memset(fill, 0x77, sizeof(fill));
                assert_memory_equal(msg + cap, fill, sizeof(msg) - cap);
            }
        }
    }
}

/* ---- Routing ---- */

typedef struct RouteCase {
    uint8_t pkt[32];
    size_t len;
    unsigned hints;
    uint8_t channel;
    SkyControlDelivery delivery;
} RouteCase;

static void test_routes(void **state)
{
    (void)state;
    uint8_t msg[64];
    size_t len;
    SkyControlRoute r;

    /* Start A on the generic channel, later IDR requests on the urgent one. */
    assert_int_equal(sky_control_build_idr_request(msg, sizeof(msg), &len), 0);
    assert_int_equal(sky_control_route(msg, len, SKY_CONTROL_ROUTE_STARTUP, 48, &r), 0);
    assert_int_equal(r.channel, SKY_CONTROL_CH_GENERIC);
    assert_int_equal(sky_control_route(msg, len, 0, 48, &r), 0);
    assert_int_equal(r.channel, SKY_CONTROL_CH_URGENT);
    assert_int_equal(r.delivery, SKY_CONTROL_RELIABLE);
    /* A host that granted one channel gets everything on channel 0. */
    assert_int_equal(sky_control_route(msg, len, 0, 1, &r), 0);
    assert_int_equal(r.channel, SKY_CONTROL_CH_GENERIC);
    assert_int_equal(sky_control_build_rfi(1, 2, msg, sizeof(msg), &len), 0);
    assert_int_equal(sky_control_route(msg, len, 0, 48, &r), 0);
    assert_int_equal(r.channel, SKY_CONTROL_CH_URGENT);
    SkyControlFecStatus fs = {0};
    assert_int_equal(sky_control_build_fec_status(&fs, msg, sizeof(msg), &len), 0);
    assert_int_equal(sky_control_route(msg, len, 0, 48, &r), 0);
    assert_int_equal(r.channel, SKY_CONTROL_CH_GENERIC);
    assert_int_equal(r.delivery, SKY_CONTROL_UNSEQUENCED);
    assert_int_equal(sky_control_build_ping(msg, sizeof(msg), &len), 0);
    assert_int_equal(sky_control_route(msg, len, 0, 48, &r), 0);
    assert_int_equal(r.channel, SKY_CONTROL_CH_GENERIC);
    assert_int_equal(r.delivery, SKY_CONTROL_RELIABLE);
    assert_int_equal(sky_control_route(msg, len - 1, 0, 48, &r), SKY_ERR(EBADMSG));

    static const RouteCase cases[] = {
        /* key down, UTF-8 text, relative mouse, horizontal scroll, haptics enable */
        {{0, 0, 0, 10, 3, 0, 0, 0, 0, 0x53, 0x80, 0, 0, 0}, 14, 0, 2, SKY_CONTROL_RELIABLE},
        {{0, 0, 0, 5, 0x17, 0, 0, 0, 'a'}, 9, 0, 6, SKY_CONTROL_RELIABLE},
        {{0, 0, 0, 8, 7, 0, 0, 0, 0, 1, 0, 1}, 12, 0, 3, SKY_CONTROL_RELIABLE},
        {{0, 0, 0, 6, 1, 0, 0, 0x55, 0, 120}, 10, 0, 3, SKY_CONTROL_RELIABLE},
        {{0, 0, 0, 6, 0x0d, 0, 0, 0, 1, 0}, 10, 0, 0, SKY_CONTROL_RELIABLE},
        /* multi-controller for pads 2 and 16 (past the gamepad channels) */
        {{0, 0, 0, 30, 0x0c, 0, 0, 0, 0x1a, 0, 2, 0}, 12, 0, 0x12, SKY_CONTROL_RELIABLE},
        {{0, 0, 0, 30, 0x0c, 0, 0, 0, 0x1a, 0, 16, 0}, 12, 0, 0, SKY_CONTROL_RELIABLE},
        /* touch: hover and move unreliable, down reliable */
        {{0, 0, 0, 32, 2, 0, 0, 0x55, 0}, 9, 0, 5, SKY_CONTROL_UNRELIABLE},
        {{0, 0, 0, 32, 2, 0, 0, 0x55, 3}, 9, 0, 5, SKY_CONTROL_UNRELIABLE},
        {{0, 0, 0, 32, 2, 0, 0, 0x55, 1}, 9, 0, 5, SKY_CONTROL_RELIABLE},
        /* pen move: unreliable unless its buttons changed */
        {{0, 0, 0, 32, 3, 0, 0, 0x55, 3}, 9, 0, 4, SKY_CONTROL_UNRELIABLE},
        {{0, 0, 0, 32, 3, 0, 0, 0x55, 3}, 9, SKY_CONTROL_ROUTE_PEN_BUTTONS_CHANGED, 4,
         SKY_CONTROL_RELIABLE},
        /* arrival and battery of pad 1, controller touch move of pad 3 */
        {{0, 0, 0, 12, 4, 0, 0, 0x55, 1}, 9, 0, 0x11, SKY_CONTROL_RELIABLE},
        {{0, 0, 0, 8, 7, 0, 0, 0x55, 1}, 9, 0, 0x11, SKY_CONTROL_RELIABLE},
        {{0, 0, 0, 24, 5, 0, 0, 0x55, 3, 3}, 10, 0, 0x13, SKY_CONTROL_UNRELIABLE},
        {{0, 0, 0, 24, 5, 0, 0, 0x55, 3, 1}, 10, 0, 0x13, SKY_CONTROL_RELIABLE},
        /* motion of pad 4: accelerometer unreliable, gyro at rest reliable, moving gyro not */
        {{0, 0, 0, 20, 6, 0, 0, 0x55, 4, 1, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0},
         24, 0, 0x24, SKY_CONTROL_UNRELIABLE},
        {{0, 0, 0, 20, 6, 0, 0, 0x55, 4, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80},
         24, 0, 0x24, SKY_CONTROL_RELIABLE},
        {{0, 0, 0, 20, 6, 0, 0, 0x55, 4, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0},
         24, 0, 0x24, SKY_CONTROL_UNRELIABLE},
        /* a motion packet cut short, an unknown magic, a packet without a magic */
        {{0, 0, 0, 20, 6, 0, 0, 0x55, 4, 2, 0, 0}, 12, 0, 0, SKY_CONTROL_RELIABLE},
        {{0, 0, 0, 4, 0x99, 0, 0, 0}, 8, 0, 0, SKY_CONTROL_RELIABLE},
        {{0, 0, 0}, 3, 0, 0, SKY_CONTROL_RELIABLE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const RouteCase *c = &cases[i];
        /* The route reads the message, not the builder's checks: wrap the bytes directly. */
        assert_int_equal(sky_control_msg_build(SKY_CONTROL_INPUT, c->pkt, c->len, msg,
                                               sizeof(msg), &len),
                         0);
        assert_int_equal(sky_control_route(msg, len, c->hints, SKY_CONTROL_CHANNELS, &r), 0);
        if (r.channel != c->channel || r.delivery != c->delivery)
            fail_msg("case %zu: channel %u delivery %d, expected %u %d", i, r.channel,
                     (int)r.delivery, c->channel, (int)c->delivery);
    }
    /* Unknown message types: generic, reliable. */
    const uint8_t unknown[] = {0x34, 0x12, 0, 0};
    assert_int_equal(sky_control_route(unknown, sizeof(unknown), 0, 48, &r), 0);
    assert_int_equal(r.channel, 0);
    assert_int_equal(r.delivery, SKY_CONTROL_RELIABLE);
}

/* ---- Termination codes ---- */

static void test_termination_table(void **state)
{
    (void)state;
    static const struct {
        uint32_t code;
        bool extended, saw_frame;
        SkyControlEnd end;
        const char *name;
    } cases[] = {
        {0x80030023u, true, true, SKY_CONTROL_END_GRACEFUL, "graceful"},
        {0x80030023u, true, false, SKY_CONTROL_END_EARLY, "early_termination"},
        {0x800e9302u, true, true, SKY_CONTROL_END_PROTECTED_CONTENT, "protected_content"},
        {0x800e9302u, true, false, SKY_CONTROL_END_PROTECTED_CONTENT, "protected_content"},
        {0x800e9403u, true, true, SKY_CONTROL_END_FRAME_CONVERSION, "frame_conversion"},
        {0x0100, false, true, SKY_CONTROL_END_GRACEFUL, "graceful"},
        {0x0100, false, false, SKY_CONTROL_END_EARLY, "early_termination"},
        {0x0100, true, true, SKY_CONTROL_END_HOST_CODE, "host_code"}, /* not the short form */
        {0x80030023u, false, true, SKY_CONTROL_END_HOST_CODE, "host_code"},
        {0x0005, false, true, SKY_CONTROL_END_HOST_CODE, "host_code"},
        {0xdeadbeefu, true, true, SKY_CONTROL_END_HOST_CODE, "host_code"},
        {0, true, true, SKY_CONTROL_END_HOST_CODE, "host_code"},
    };
    char text[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        SkyControlTermination t = {cases[i].code, cases[i].extended};
        SkyControlEnd e = sky_control_termination_end(&t, cases[i].saw_frame);
        assert_int_equal(e, cases[i].end);
        assert_string_equal(sky_control_end_name(e), cases[i].name);
        assert_int_equal(sky_control_end_is_error(e), e != SKY_CONTROL_END_GRACEFUL);
    }
    sky_control_end_message(SKY_CONTROL_END_HOST_CODE, 0xdeadbeefu, text, sizeof(text));
    assert_string_equal(text, "The host ended the stream (code 0xdeadbeef).");
    sky_control_end_message(SKY_CONTROL_END_HOST_CODE, 5, text, sizeof(text));
    assert_string_equal(text, "The host ended the stream (code 0x00000005).");
    sky_control_end_message(SKY_CONTROL_END_GRACEFUL, 0x80030023u, text, sizeof(text));
    assert_non_null(strstr(text, "app on the host quit"));
    assert_null(strstr(text, "0x"));
    /* Every end has its own message and name. */
    for (int a = SKY_CONTROL_END_GRACEFUL; a <= SKY_CONTROL_END_HOST_CODE; a++) {
        char ta[256], tb[256];
        sky_control_end_message((SkyControlEnd)a, 1, ta, sizeof(ta));
        assert_true(strlen(ta) > 20);
        for (int b = a + 1; b <= SKY_CONTROL_END_HOST_CODE; b++) {
            sky_control_end_message((SkyControlEnd)b, 1, tb, sizeof(tb));
            assert_string_not_equal(ta, tb);
            assert_string_not_equal(sky_control_end_name((SkyControlEnd)a),
                                    sky_control_end_name((SkyControlEnd)b));
        }
    }
    /* Cut to the buffer, always terminated; a zero-sized buffer is left alone. */
    char small[8];
    memset(small, 'x', sizeof(small));
    sky_control_end_message(SKY_CONTROL_END_CONNECTION_LOST, 0, small, sizeof(small));
    assert_int_equal(strlen(small), 7);
    small[0] = 'q';
    sky_control_end_message(SKY_CONTROL_END_CONNECTION_LOST, 0, small, 0);
    assert_int_equal(small[0], 'q');
    assert_string_equal(sky_control_end_name((SkyControlEnd)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_h264_rows),
        cmocka_unit_test(test_capture_videoenc_rows),
        cmocka_unit_test(test_capture_open_and_reseal),
        cmocka_unit_test(test_seal_counter_matches_capture),
        cmocka_unit_test(test_open_rejects_damage),
        cmocka_unit_test(test_open_checks_authenticated_content),
        cmocka_unit_test(test_seal_round_trip_and_refusals),
        cmocka_unit_test(test_crypto_create_checks_side),
        cmocka_unit_test(test_plain_framing),
        cmocka_unit_test(test_split_checks_lengths),
        cmocka_unit_test(test_host_messages),
        cmocka_unit_test(test_client_messages),
        cmocka_unit_test(test_builders_need_room),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_termination_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

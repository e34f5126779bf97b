/* Unit tests for common/opus_config: the OpusHead parser (RFC 7845, section 5.1) and validate. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/core/bytes.h"
#include "common/core/error.h"
#include "common/media/opus_config.h"

typedef struct Head {
    uint8_t version, channels, family;
    uint16_t pre_skip;
    uint32_t rate;
    int16_t gain;
    uint8_t streams, coupled; /* family != 0 only */
    uint8_t mapping[255];
} Head;

/* Builds an OpusHead into buf; returns its length. */
static size_t build(const Head *h, uint8_t *buf, size_t cap)
{
    SkyWriter wr = sky_wr_init(buf, cap);
    sky_wr_bytes(&wr, "OpusHead", 8);
    sky_wr_u8(&wr, h->version);
    sky_wr_u8(&wr, h->channels);
    sky_wr_u16le(&wr, h->pre_skip);
    sky_wr_u32le(&wr, h->rate);
    sky_wr_u16le(&wr, (uint16_t)h->gain);
    sky_wr_u8(&wr, h->family);
    if (h->family != 0) {
        sky_wr_u8(&wr, h->streams);
        sky_wr_u8(&wr, h->coupled);
        sky_wr_bytes(&wr, h->mapping, h->channels);
    }
    assert_false(wr.error);
    return wr.pos;
}

static Head stereo(void)
{
    return (Head){.version = 1, .channels = 2, .pre_skip = 312, .rate = 48000, .family = 0};
}

static Head surround51(void)
{
    Head h = {.version = 1, .channels = 6, .pre_skip = 3840, .rate = 48000, .family = 1,
              .streams = 4, .coupled = 2};
    static const uint8_t map[6] = {0, 4, 1, 2, 3, 5};
    memcpy(h.mapping, map, sizeof(map));
    return h;
}

static Head surround71(void)
{
    Head h = {.version = 1, .channels = 8, .pre_skip = 3840, .rate = 48000, .family = 1,
              .streams = 5, .coupled = 3};
    static const uint8_t map[8] = {0, 6, 1, 2, 3, 4, 5, 7};
    memcpy(h.mapping, map, sizeof(map));
    return h;
}

static int parse(const Head *h, SkyOpusConfig *c)
{
    uint8_t buf[300];
    size_t len = build(h, buf, sizeof(buf));
    return sky_opus_head_parse(buf, len, c);
}

static void test_family0(void **state)
{
    (void)state;
    SkyOpusConfig c;
    Head h = stereo();
    h.gain = -256; /* -1 dB in Q7.8 */
    assert_int_equal(parse(&h, &c), 0);
    assert_int_equal(c.channels, 2);
    assert_int_equal(c.streams, 1);
    assert_int_equal(c.coupled, 1);
    assert_int_equal(c.mapping[0], 0);
    assert_int_equal(c.mapping[1], 1);
    assert_int_equal(c.pre_skip, 312);
    assert_int_equal(c.output_gain_q8, -256);
    assert_int_equal(sky_opus_config_validate(&c), 0);

    h.channels = 1;
    h.gain = 0x7FFF;
    assert_int_equal(parse(&h, &c), 0);
    assert_int_equal(c.channels, 1);
    assert_int_equal(c.streams, 1);
    assert_int_equal(c.coupled, 0);
    assert_int_equal(c.mapping[0], 0);
    assert_int_equal(c.output_gain_q8, 32767);
    assert_int_equal(sky_opus_config_validate(&c), 0);

    /* The input sample rate is informational: any value parses. */
    h.rate = 44100;
    assert_int_equal(parse(&h, &c), 0);

    /* Trailing bytes after the header are ignored. */
    uint8_t buf[64];
    h = stereo();
    size_t len = build(&h, buf, sizeof(buf));
    memset(buf + len, 0xEE, 10);
    assert_int_equal(sky_opus_head_parse(buf, len + 10, &c), 0);
    assert_int_equal(c.channels, 2);

    /* Family 0 is mono or stereo only. */
    h.channels = 3;
    assert_int_equal(parse(&h, &c), SKY_ERR(EBADMSG));
}

static void test_family1_surround(void **state)
{
    (void)state;
    SkyOpusConfig c;
    Head h = surround51();
    assert_int_equal(parse(&h, &c), 0);
    assert_int_equal(c.channels, 6);
    assert_int_equal(c.streams, 4);
    assert_int_equal(c.coupled, 2);
    assert_memory_equal(c.mapping, h.mapping, 6);
    assert_int_equal(c.pre_skip, 3840);
    assert_int_equal(sky_opus_config_validate(&c), 0);

    h = surround71();
    assert_int_equal(parse(&h, &c), 0);
    assert_int_equal(c.channels, 8);
    assert_int_equal(c.streams, 5);
    assert_int_equal(c.coupled, 3);
    assert_memory_equal(c.mapping, h.mapping, 8);
    assert_int_equal(sky_opus_config_validate(&c), 0);

    /* Index 255 is a silent channel, allowed anywhere. */
    h = surround51();
    h.mapping[3] = 255;
    assert_int_equal(parse(&h, &c), 0);
    assert_int_equal(c.mapping[3], 255);

    /* Family 255 (no defined layout) with a consistent mapping is accepted. */
    h = surround51();
    h.family = 255;
    assert_int_equal(parse(&h, &c), 0);
    assert_int_equal(c.channels, 6);
}

static void test_truncated(void **state)
{
    (void)state;
    const Head heads[] = {stereo(), surround51(), surround71()};
    for (size_t k = 0; k < 3; k++) {
        uint8_t buf[64];
        size_t len = build(&heads[k], buf, sizeof(buf));
        assert_int_equal(len, heads[k].family == 0 ? 19u : 21u + heads[k].channels);
        for (size_t n = 0; n < len; n++) {
            SkyOpusConfig c;
            /* A copy of exactly n bytes, so ASan sees any read past it. */
            uint8_t exact[64];
            memcpy(exact, buf, n);
            int ret = sky_opus_head_parse(n ? exact : NULL, n, &c);
            if (ret != SKY_ERR(EBADMSG))
                fail_msg("header %zu cut to %zu bytes: %d", k, n, ret);
        }
    }
    SkyOpusConfig c;
    assert_int_equal(sky_opus_head_parse(NULL, 0, &c), SKY_ERR(EBADMSG));
}

static void test_bad_magic_and_version(void **state)
{
    (void)state;
    uint8_t buf[64];
    SkyOpusConfig c;
    Head h = stereo();
    size_t len = build(&h, buf, sizeof(buf));
    memcpy(buf, "OpusTags", 8);
    assert_int_equal(sky_opus_head_parse(buf, len, &c), SKY_ERR(EBADMSG));
    memcpy(buf, "opusHead", 8);
    assert_int_equal(sky_opus_head_parse(buf, len, &c), SKY_ERR(EBADMSG));

    /* Minor versions (low nibble) are compatible; a new major version is not. */
    static const struct {
        uint8_t version;
        int want;
    } versions[] = {{0, 0}, {1, 0}, {0x0F, 0}, {0x10, SKY_ERR(ENOSYS)}, {0xFF, SKY_ERR(ENOSYS)}};
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        h = stereo();
        h.version = versions[i].version;
        assert_int_equal(parse(&h, &c), versions[i].want);
        h = surround51();
        h.version = versions[i].version;
        assert_int_equal(parse(&h, &c), versions[i].want);
    }
}

static void test_bad_layouts(void **state)
{
    (void)state;
    SkyOpusConfig c;
    Head h = stereo();
    h.channels = 0;
    assert_int_equal(parse(&h, &c), SKY_ERR(EBADMSG));
    h = surround51();
    h.channels = 0;
    assert_int_equal(parse(&h, &c), SKY_ERR(EBADMSG));

    /* More than 8 channels: valid Opus, but not played. */
    h = surround71();
    h.channels = 9;
    h.mapping[8] = 7;
    assert_int_equal(parse(&h, &c), SKY_ERR(ENOSYS));
    h.channels = 255;
    assert_int_equal(parse(&h, &c), SKY_ERR(ENOSYS));

    /* Unknown mapping families. */
    static const uint8_t families[] = {2, 3, 254};
    for (size_t i = 0; i < sizeof(families); i++) {
        h = surround51();
        h.family = families[i];
        assert_int_equal(parse(&h, &c), SKY_ERR(ENOSYS));
    }

    /* A mapping index past streams + coupled. */
    h = surround51(); /* 4 streams, 2 coupled: indices 0..5 */
    h.mapping[5] = 6;
    assert_int_equal(parse(&h, &c), SKY_ERR(EBADMSG));
    h.mapping[5] = 254;
    assert_int_equal(parse(&h, &c), SKY_ERR(EBADMSG));

    /* No streams, or more coupled streams than streams. */
    h = surround51();
    h.streams = 0;
    h.coupled = 0;
    memset(h.mapping, 255, 6);
    assert_int_equal(parse(&h, &c), SKY_ERR(EBADMSG));
    h = surround51();
    h.coupled = 5;
    assert_int_equal(parse(&h, &c), SKY_ERR(EBADMSG));
}

static void test_validate(void **state)
{
    (void)state;
    SkyOpusConfig ok = {.channels = 2, .streams = 1, .coupled = 1, .mapping = {0, 1}};
    assert_int_equal(sky_opus_config_validate(&ok), 0);
    SkyOpusConfig c;

    c = ok;
    c.channels = 0;
    assert_true(sky_opus_config_validate(&c) < 0);
    c = ok;
    c.channels = SKY_OPUS_MAX_CHANNELS + 1;
    assert_true(sky_opus_config_validate(&c) < 0);
    c = ok;
    c.channels = -1;
    assert_true(sky_opus_config_validate(&c) < 0);
    c = ok;
    c.streams = 0;
    assert_true(sky_opus_config_validate(&c) < 0);
    c = ok;
    c.coupled = -1;
    assert_true(sky_opus_config_validate(&c) < 0);
    c = ok;
    c.coupled = 2; /* more coupled than streams */
    assert_true(sky_opus_config_validate(&c) < 0);
    c = ok;
    c.streams = 200;
    c.coupled = 100; /* over 255 decoded channels */
    assert_true(sky_opus_config_validate(&c) < 0);
    c = ok;
    c.mapping[1] = 2; /* only 0..1 exist */
    assert_true(sky_opus_config_validate(&c) < 0);
    c = ok;
    c.mapping[1] = 255; /* silence */
    assert_int_equal(sky_opus_config_validate(&c), 0);

    /* The surround layouts a host may announce. */
    SkyOpusConfig s51 = {.channels = 6, .streams = 4, .coupled = 2, .mapping = {0, 4, 1, 2, 3, 5}};
    assert_int_equal(sky_opus_config_validate(&s51), 0);
    SkyOpusConfig s71 = {.channels = 8, .streams = 5, .coupled = 3,
                         .mapping = {0, 6, 1, 2, 3, 4, 5, 7}};
    assert_int_equal(sky_opus_config_validate(&s71), 0);
    SkyOpusConfig mono = {.channels = 1, .streams = 1, .coupled = 0, .mapping = {0}};
    assert_int_equal(sky_opus_config_validate(&mono), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family0),
        cmocka_unit_test(test_family1_surround),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bad_magic_and_version),
        cmocka_unit_test(test_bad_layouts),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

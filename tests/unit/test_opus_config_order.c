/* Unit tests for sky_opus_config_vorbis_to_sdl(): the channel order of files (Vorbis, RFC 7845
 * section 5.1.1.2) turned into SDL2's (SDL_audio.h) by permuting the multistream mapping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/core/error.h"
#include "common/media/opus_config.h"

/* A config whose mapping names each channel's position: mapping[i] = i (one mono stream per
 * channel), so after the call mapping[i] says which Vorbis position SDL channel i came from. */
static SkyOpusConfig positions(int channels)
{
    SkyOpusConfig c = {.channels = channels, .streams = channels, .coupled = 0};
    for (int i = 0; i < channels; i++)
        c.mapping[i] = (uint8_t)i;
    return c;
}

/* Speaker names, written out from the two specifications independently of the table in the
 * code. SDL has no 3.0 or 5.0 layout: the centre goes to its third channel (which it calls
 * LFE), written "C" here so the lookup pairs it with the file's centre. */
static const char *const vorbis_names[8][8] = {
    {"C"},
    {"L", "R"},
    {"L", "C", "R"},
    {"FL", "FR", "RL", "RR"},
    {"FL", "C", "FR", "RL", "RR"},
    {"FL", "C", "FR", "RL", "RR", "LFE"},
    {"FL", "C", "FR", "SL", "SR", "RC", "LFE"},
    {"FL", "C", "FR", "SL", "SR", "RL", "RR", "LFE"},
};
static const char *const sdl_names[8][8] = {
    {"C"},
    {"L", "R"},
    {"L", "R", "C"},
    {"FL", "FR", "RL", "RR"},
    {"FL", "FR", "C", "RL", "RR"},
    {"FL", "FR", "C", "LFE", "RL", "RR"},
    {"FL", "FR", "C", "LFE", "RC", "SL", "SR"},
    {"FL", "FR", "C", "LFE", "RL", "RR", "SL", "SR"},
};

static void test_every_channel_count(void **state)
{
    (void)state;
    for (int n = 1; n <= SKY_OPUS_MAX_CHANNELS; n++) {
        SkyOpusConfig c = positions(n);
        assert_int_equal(sky_opus_config_vorbis_to_sdl(&c), 0);
        for (int i = 0; i < n; i++) {
            /* SDL channel i must come from the Vorbis position with the same speaker. */
            const char *want = sdl_names[n - 1][i];
            const char *got = vorbis_names[n - 1][c.mapping[i]];
            if (strcmp(want, got) != 0)
                fail_msg("%d channels: SDL channel %d should be %s, got the file's %s", n, i, want,
                         got);
        }
        /* A permutation: every position used once. */
        unsigned seen = 0;
        for (int i = 0; i < n; i++)
            seen |= 1u << c.mapping[i];
        assert_int_equal(seen, (1u << n) - 1);
    }
}

/* The mappings libopus's surround encoder writes (and ffmpeg muxes) for 5.1 and 7.1. */
static void test_libopus_surround_mappings(void **state)
{
    (void)state;
    /* 5.1: streams FL+FR (0,1), RL+RR (2,3), C (4), LFE (5); Vorbis FL C FR RL RR LFE. */
    SkyOpusConfig s51 = {.channels = 6, .streams = 4, .coupled = 2, .mapping = {0, 4, 1, 2, 3, 5},
                         .pre_skip = 312, .output_gain_q8 = -256, .mapping_family = 1};
    assert_int_equal(sky_opus_config_vorbis_to_sdl(&s51), 0);
    static const uint8_t want51[6] = {0, 1, 4, 5, 2, 3}; /* FL FR FC LFE BL BR */
    assert_memory_equal(s51.mapping, want51, sizeof(want51));
    assert_int_equal(s51.streams, 4);
    assert_int_equal(s51.coupled, 2);
    assert_int_equal(s51.pre_skip, 312);
    assert_int_equal(s51.output_gain_q8, -256);
    assert_int_equal(s51.mapping_family, 1);

    /* 7.1: FL+FR, SL+SR, RL+RR, C, LFE; Vorbis FL C FR SL SR RL RR LFE. */
    SkyOpusConfig s71 = {.channels = 8, .streams = 5, .coupled = 3,
                         .mapping = {0, 6, 1, 2, 3, 4, 5, 7}};
    assert_int_equal(sky_opus_config_vorbis_to_sdl(&s71), 0);
    static const uint8_t want71[8] = {0, 1, 6, 7, 4, 5, 2, 3}; /* FL FR FC LFE BL BR SL SR */
    assert_memory_equal(s71.mapping, want71, sizeof(want71));
}

static void test_mono_and_stereo_unchanged(void **state)
{
    (void)state;
    SkyOpusConfig mono = {.channels = 1, .streams = 1, .coupled = 0, .mapping = {0}};
    SkyOpusConfig stereo = {.channels = 2, .streams = 1, .coupled = 1, .mapping = {0, 1}};
    SkyOpusConfig m0 = mono, s0 = stereo;
    assert_int_equal(sky_opus_config_vorbis_to_sdl(&mono), 0);
    assert_int_equal(sky_opus_config_vorbis_to_sdl(&stereo), 0);
    assert_memory_equal(&mono, &m0, sizeof(mono));
    assert_memory_equal(&stereo, &s0, sizeof(stereo));
}

/* Silent channels (mapping 255) move with their position like any other. */
static void test_silent_channel_moves(void **state)
{
    (void)state;
    SkyOpusConfig c = {.channels = 6, .streams = 3, .coupled = 2,
                       .mapping = {0, 255, 1, 2, 3, 4}}; /* no centre */
    assert_int_equal(sky_opus_config_vorbis_to_sdl(&c), 0);
    static const uint8_t want[6] = {0, 1, 255, 4, 2, 3};
    assert_memory_equal(c.mapping, want, sizeof(want));
}

static void test_invalid_left_alone(void **state)
{
    (void)state;
    SkyOpusConfig bad[] = {
        {.channels = 0, .streams = 1},
        {.channels = 9, .streams = 9},
        {.channels = 6, .streams = 0},
        {.channels = 6, .streams = 4, .coupled = 2, .mapping = {0, 4, 1, 2, 3, 6}}, /* 6 > 5 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        SkyOpusConfig before = bad[i];
        assert_int_equal(sky_opus_config_vorbis_to_sdl(&bad[i]), SKY_ERR(EINVAL));
        assert_memory_equal(&bad[i], &before, sizeof(before));
    }
}

/* From the bytes of a file's OpusHead (5.1, family 1) to an SDL-ordered config. */
static void test_parsed_head(void **state)
{
    (void)state;
    static const uint8_t head[] = {
        'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 6, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0, 0,
        1,       /* family */
        4, 2,    /* streams, coupled */
        0, 4, 1, 2, 3, 5,
    };
    SkyOpusConfig c;
    assert_int_equal(sky_opus_head_parse(head, sizeof(head), &c), 0);
    assert_int_equal(c.mapping_family, 1);
    assert_int_equal(sky_opus_config_vorbis_to_sdl(&c), 0);
    static const uint8_t want[6] = {0, 1, 4, 5, 2, 3};
    assert_memory_equal(c.mapping, want, sizeof(want));
    assert_int_equal(sky_opus_config_validate(&c), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_channel_count),
        cmocka_unit_test(test_libopus_surround_mappings),
        cmocka_unit_test(test_mono_and_stereo_unchanged),
        cmocka_unit_test(test_silent_channel_moves),
        cmocka_unit_test(test_invalid_left_alone),
        cmocka_unit_test(test_parsed_head),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

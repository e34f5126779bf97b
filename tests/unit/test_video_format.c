/* The video format the client asks for (common/proto/video_format.h): which codec, bit depth and
 * chroma come out of the host's ServerCodecModeSupport bits, its DESCRIBE markers, --codec,
 * --hdr and --yuv444, in moonlight-common-c's order, and what is dropped (and said) when the
 * host cannot give it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/core/error.h"
#include "common/proto/hostapi.h"
#include "common/proto/sdp.h"
#include "common/proto/video_format.h"

#define AUTO SKY_VIDEO_CODEC_AUTO
#define H264 SKY_SDP_CODEC_H264
#define HEVC SKY_SDP_CODEC_HEVC
#define AV1 SKY_SDP_CODEC_AV1
#define HDR SKY_VIDEO_DROPPED_HDR
#define NO444 SKY_VIDEO_DROPPED_444

/* The recorded Sunshine (H.264 + HEVC), one with every 4:4:4 mode, and ones with some. */
#define SCM_SUNSHINE (SKY_SCM_H264 | SKY_SCM_HEVC)
#define SCM_MAIN10 (SCM_SUNSHINE | SKY_SCM_HEVC_MAIN10)
#define SCM_AV1 (SKY_SCM_AV1_MAIN8 | SKY_SCM_AV1_MAIN10)
#define SCM_ALL444                                                                             \
    (SKY_SCM_H264_HIGH8_444 | SKY_SCM_HEVC_REXT8_444 | SKY_SCM_HEVC_REXT10_444 |                 \
     SKY_SCM_AV1_HIGH8_444 | SKY_SCM_AV1_HIGH10_444)

typedef struct Case {
    const char *what;
    uint32_t scm;
    bool describe_hevc, describe_av1;
    SkyVideoFormat want;           /* --codec, --hdr, --yuv444 */
    SkyVideoFormat got;            /* announced */
    unsigned dropped;              /* both steps together */
    const char *name;
} Case;

static const Case cases[] = {
    /* Without --yuv444 nothing about chroma changes. */
    {"auto", SCM_SUNSHINE, true, false, {AUTO, false, false}, {HEVC, false, false}, 0, "HEVC"},
    {"auto, no HEVC in DESCRIBE", SCM_SUNSHINE, false, false, {AUTO, false, false},
     {H264, false, false}, 0, "H.264"},
    {"h264 on a 4:4:4 host", SCM_SUNSHINE | SCM_ALL444, true, false, {H264, false, false},
     {H264, false, false}, 0, "H.264"},
    /* --yuv444: the 4:4:4 mode of the codec chosen as usual. */
    {"444 h264", SKY_SCM_H264 | SKY_SCM_H264_HIGH8_444, false, false, {H264, false, true},
     {H264, false, true}, 0, "H.264 4:4:4"},
    {"444 auto", SCM_SUNSHINE | SCM_ALL444, true, false, {AUTO, false, true},
     {HEVC, false, true}, 0, "HEVC 4:4:4"},
    {"444 av1", SCM_SUNSHINE | SCM_AV1 | SCM_ALL444, true, true, {AV1, false, true},
     {AV1, false, true}, 0, "AV1 4:4:4"},
    /* The codec is not picked for its 4:4:4 mode (moonlight-common-c picks the codec first):
     * HEVC without 4:4:4 beats H.264 with it. */
    {"444 auto, only H.264 has it", SCM_SUNSHINE | SKY_SCM_H264_HIGH8_444, true, false,
     {AUTO, false, true}, {HEVC, false, false}, NO444, "HEVC"},
    {"444 on the recorded Sunshine", SCM_SUNSHINE, true, false, {AUTO, false, true},
     {HEVC, false, false}, NO444, "HEVC"},
    /* Only the 10-bit 4:4:4 mode: no 8-bit 4:4:4 without --hdr. */
    {"444 8-bit wanted, 10-bit only", SCM_SUNSHINE | SKY_SCM_HEVC_REXT10_444, true, false,
     {HEVC, false, true}, {HEVC, false, false}, NO444, "HEVC"},
    /* HDR and 4:4:4: 10-bit 4:4:4 first. */
    {"hdr 444", SCM_MAIN10 | SCM_ALL444, true, false, {AUTO, true, true}, {HEVC, true, true}, 0,
     "HEVC 10-bit 4:4:4"},
    {"hdr 444 av1", SCM_SUNSHINE | SCM_AV1 | SCM_ALL444, true, true, {AV1, true, true},
     {AV1, true, true}, 0, "AV1 10-bit 4:4:4"},
    /* Then 10-bit 4:2:0 (HDR is kept over 4:4:4)... */
    {"hdr 444, no 10-bit 444", SCM_MAIN10 | SKY_SCM_HEVC_REXT8_444, true, false,
     {HEVC, true, true}, {HEVC, true, false}, NO444, "HEVC 10-bit"},
    /* ...then 8-bit 4:4:4 when there is no 10-bit mode at all. */
    {"hdr 444, no 10-bit", SCM_SUNSHINE | SKY_SCM_HEVC_REXT8_444, true, false,
     {HEVC, true, true}, {HEVC, false, true}, HDR, "HEVC 4:4:4"},
    /* 10-bit 4:4:4 alone is a 10-bit mode when 4:4:4 is wanted, not otherwise. */
    {"hdr 444, only 10-bit 444", SCM_SUNSHINE | SKY_SCM_HEVC_REXT10_444, true, false,
     {AUTO, true, true}, {HEVC, true, true}, 0, "HEVC 10-bit 4:4:4"},
    {"hdr, only 10-bit 444", SCM_SUNSHINE | SKY_SCM_HEVC_REXT10_444, true, false,
     {AUTO, true, false}, {HEVC, false, false}, HDR, "HEVC"},
    /* HDR with auto: HEVC Main10, else AV1 10-bit. */
    {"hdr auto", SCM_MAIN10 | SCM_AV1, true, true, {AUTO, true, false}, {HEVC, true, false}, 0,
     "HEVC 10-bit"},
    {"hdr auto, AV1 only", SCM_SUNSHINE | SCM_AV1, true, true, {AUTO, true, false},
     {AV1, true, false}, 0, "AV1 10-bit"},
    {"hdr auto 444, AV1 has 10-bit 444", SCM_MAIN10 | SCM_AV1 | SKY_SCM_AV1_HIGH10_444, true,
     true, {AUTO, true, true}, {HEVC, true, false}, NO444, "HEVC 10-bit"},
    {"hdr auto, none", SCM_SUNSHINE, true, false, {AUTO, true, false}, {HEVC, false, false},
     HDR, "HEVC"},
    {"hdr hevc, no Main10", SCM_SUNSHINE | SCM_AV1, true, true, {HEVC, true, false},
     {HEVC, false, false}, HDR, "HEVC"},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const Case *c = &cases[i];
        SkyVideoFormat plan, got;
        unsigned d1 = 99, d2 = 99;
        assert_int_equal(sky_video_format_plan(&c->want, c->scm, &plan, &d1), 0);
        assert_int_equal(plan.yuv444, c->want.yuv444); /* still the wish */
        assert_int_equal(sky_video_format_pick(&plan, c->scm, c->describe_hevc, c->describe_av1,
                                               &got, &d2),
                         0);
        if (got.codec != c->got.codec || got.ten_bit != c->got.ten_bit ||
            got.yuv444 != c->got.yuv444 || (d1 | d2) != c->dropped)
            fail_msg("%s: got codec %d ten_bit %d yuv444 %d dropped %u|%u", c->what, got.codec,
                     got.ten_bit, got.yuv444, d1, d2);
        char name[32];
        sky_video_format_name(&got, name, sizeof(name));
        assert_string_equal(name, c->name);
    }
}

static void test_refusals(void **state)
{
    (void)state;
    SkyVideoFormat want = {H264, true, false}, plan, got;
    unsigned d;
    /* HDR with H.264 named: an error (the protocol has no 10-bit H.264). */
    assert_int_equal(sky_video_format_plan(&want, SCM_MAIN10, &plan, &d), SKY_ERR(EINVAL));
    /* A codec asked for that DESCRIBE does not offer. */
    want = (SkyVideoFormat){AV1, false, true};
    assert_int_equal(sky_video_format_plan(&want, SCM_SUNSHINE, &plan, &d), 0);
    assert_int_equal(sky_video_format_pick(&plan, SCM_SUNSHINE, true, false, &got, &d),
                     SKY_ERR(ENOSYS));
    assert_int_equal(got.codec, AV1);
    want.codec = HEVC;
    assert_int_equal(sky_video_format_plan(&want, SCM_SUNSHINE, &plan, &d), 0);
    assert_int_equal(sky_video_format_pick(&plan, SCM_SUNSHINE, false, true, &got, &d),
                     SKY_ERR(ENOSYS));
    /* A plan that is still auto gets its codec from DESCRIBE, its name says "auto" before. */
    char name[32];
    plan = (SkyVideoFormat){AUTO, false, true};
    sky_video_format_name(&plan, name, sizeof(name));
    assert_string_equal(name, "auto 4:4:4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The video format asked of a host: codec, bit depth, chroma (video_format.h). */
#include "common/proto/video_format.h"

#include <stdio.h>

#include "common/core/error.h"
#include "common/proto/hostapi.h"
#include "common/proto/sdp.h"

/* The ServerCodecModeSupport bits of one codec's modes (0: the protocol has no such mode). */
typedef struct CodecModes {
    uint32_t ten_bit, yuv444_8, yuv444_10;
} CodecModes;

static CodecModes modes_of(int codec)
{
    switch (codec) {
    case SKY_SDP_CODEC_HEVC:
        return (CodecModes){SKY_SCM_HEVC_MAIN10, SKY_SCM_HEVC_REXT8_444, SKY_SCM_HEVC_REXT10_444};
    case SKY_SDP_CODEC_AV1:
        return (CodecModes){SKY_SCM_AV1_MAIN10, SKY_SCM_AV1_HIGH8_444, SKY_SCM_AV1_HIGH10_444};
    default:
        return (CodecModes){0, SKY_SCM_H264_HIGH8_444, 0};
    }
}

/* Whether the host has a 10-bit mode of codec that the wish can use (4:4:4 10-bit counts only
 * when 4:4:4 is wanted, as moonlight-common-c offers it only then). */
static bool has_ten_bit(int codec, uint32_t scm, bool yuv444)
{
    CodecModes m = modes_of(codec);
    return (scm & m.ten_bit) || (yuv444 && (scm & m.yuv444_10));
}

int sky_video_format_plan(const SkyVideoFormat *want, uint32_t scm, SkyVideoFormat *out,
                          unsigned *dropped)
{
    *out = *want;
    *dropped = 0;
    if (!want->ten_bit)
        return 0;
    if (want->codec == SKY_SDP_CODEC_H264)
        return SKY_ERR(EINVAL);
    if (want->codec == SKY_VIDEO_CODEC_AUTO) {
        if (has_ten_bit(SKY_SDP_CODEC_HEVC, scm, want->yuv444))
            out->codec = SKY_SDP_CODEC_HEVC;
        else if (has_ten_bit(SKY_SDP_CODEC_AV1, scm, want->yuv444))
            out->codec = SKY_SDP_CODEC_AV1;
    }
    if (out->codec == SKY_VIDEO_CODEC_AUTO || !has_ten_bit(out->codec, scm, want->yuv444)) {
        out->ten_bit = false;
        *dropped = SKY_VIDEO_DROPPED_HDR;
    }
    return 0;
}

int sky_video_format_pick(const SkyVideoFormat *plan, uint32_t scm, bool hevc, bool av1,
                          SkyVideoFormat *out, unsigned *dropped)
{
    *out = *plan;
    *dropped = 0;
    if (plan->codec == SKY_VIDEO_CODEC_AUTO)
        out->codec = hevc ? SKY_SDP_CODEC_HEVC : SKY_SDP_CODEC_H264;
    else if ((plan->codec == SKY_SDP_CODEC_HEVC && !hevc) ||
             (plan->codec == SKY_SDP_CODEC_AV1 && !av1))
        return SKY_ERR(ENOSYS);
    if (out->ten_bit && !has_ten_bit(out->codec, scm, plan->yuv444)) {
        out->ten_bit = false;
        *dropped |= SKY_VIDEO_DROPPED_HDR;
    }
    if (plan->yuv444) {
        CodecModes m = modes_of(out->codec);
        out->yuv444 = (scm & (out->ten_bit ? m.yuv444_10 : m.yuv444_8)) != 0;
        if (!out->yuv444)
            *dropped |= SKY_VIDEO_DROPPED_444;
    }
    return 0;
}

void sky_video_format_name(const SkyVideoFormat *f, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%s",
             f->codec == SKY_VIDEO_CODEC_AUTO ? "auto" : sky_sdp_codec_name(f->codec),
             f->ten_bit ? " 10-bit" : "", f->yuv444 ? " 4:4:4" : "");
}

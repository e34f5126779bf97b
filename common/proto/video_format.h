/* Which video format the client asks a host for: the codec, the bit depth (10-bit for HDR) and
 * the chroma sampling (4:4:4 or 4:2:0), from what the user wants and what the host advertises.
 * Pure: no I/O, no logging (the caller says what was dropped).
 *
 * The host advertises its formats twice: serverinfo's ServerCodecModeSupport bits (SKY_SCM_*:
 * per codec, 8/10-bit and 4:2:0/4:4:4), and the RTSP DESCRIBE reply's codec markers (HEVC, AV1).
 * HDR must be decided before /launch (its hdrMode), so the choice is made in two steps:
 *
 *   sky_video_format_plan    before /launch, from the SCM bits: 10-bit or not, and, for HDR
 *                            with --codec auto, the codec (HEVC, else AV1, with a 10-bit mode);
 *   sky_video_format_pick    after DESCRIBE: the codec (auto: HEVC when offered, else H.264)
 *                            and the chroma, in moonlight-common-c's order within a codec:
 *                            10-bit 4:4:4, 10-bit 4:2:0, 8-bit 4:4:4, 8-bit 4:2:0 (HDR is
 *                            kept over 4:4:4 when the host cannot give both).
 *
 * H.264 has no 10-bit mode in this protocol. docs/protocol.md ("4:4:4 and HDR") has the
 * details. */
#ifndef SKY_COMMON_VIDEO_FORMAT_H
#define SKY_COMMON_VIDEO_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* codec: "the best the host offers", before DESCRIBE has said. */
#define SKY_VIDEO_CODEC_AUTO (-1)

typedef struct SkyVideoFormat {
    int codec;     /* SKY_SDP_CODEC_*, or SKY_VIDEO_CODEC_AUTO */
    bool ten_bit;  /* dynamicRangeMode 1 (HDR) */
    bool yuv444;   /* chromaSamplingType 1; in a plan: 4:4:4 is wanted */
} SkyVideoFormat;

/* What the user asked for and the host cannot give (the format then goes without it). */
#define SKY_VIDEO_DROPPED_HDR 0x1u /* no 10-bit mode of the codec: 8-bit */
#define SKY_VIDEO_DROPPED_444 0x2u /* no 4:4:4 mode of the codec at that depth: 4:2:0 */

/* Step one, before /launch. want: the codec asked for (SKY_SDP_CODEC_* or AUTO), ten_bit for
 * --hdr, yuv444 for --yuv444. scm: serverinfo's ServerCodecModeSupport. Fills *out (yuv444 is
 * still the wish) and sets *dropped (SKY_VIDEO_DROPPED_HDR when no codec that may be chosen has
 * a 10-bit mode). Returns 0, or SKY_ERR(EINVAL) for HDR with H.264 asked for explicitly. */
int sky_video_format_plan(const SkyVideoFormat *want, uint32_t scm, SkyVideoFormat *out,
                          unsigned *dropped);

/* Step two, after DESCRIBE (hevc, av1: its markers). plan: step one's result. Fills *out with
 * the format to announce and sets *dropped (SKY_VIDEO_DROPPED_444 when 4:4:4 was wanted and
 * the codec has none at that depth; SKY_VIDEO_DROPPED_HDR when the codec DESCRIBE made the
 * auto choice has no 10-bit mode). Returns 0, or SKY_ERR(ENOSYS) when the codec asked for is
 * not in DESCRIBE (*out then names it). */
int sky_video_format_pick(const SkyVideoFormat *plan, uint32_t scm, bool hevc, bool av1,
                          SkyVideoFormat *out, unsigned *dropped);

/* A short name for logs and the "Streaming" line: "H.264", "HEVC 10-bit", "AV1 4:4:4",
 * "HEVC 10-bit 4:4:4". */
void sky_video_format_name(const SkyVideoFormat *f, char *out, size_t cap);

#endif

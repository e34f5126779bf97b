/* What the video decoder does after an error: the decisions only, no codec. Pure logic, so the
 * hardware-to-software fallback can be tested without a GPU.
 *
 * - A hardware decoder that fails `max_hw_failures` times in a row is given up: the caller
 *   reopens in software, and decoding resumes at the next keyframe (the new decoder has no
 *   references).
 * - With resync_on_error (network streams), any decode error ends the frame generation: the
 *   producer starts a new one at a keyframe (asking the host for it) rather than let the
 *   decoder show a picture built on garbage. Without it (local files), errors are counted and
 *   decoding goes on, as ffmpeg does.
 * Waiting for that keyframe is the producer's (client/media/video_pipeline.h), not this. */
#ifndef SKY_COMMON_DECODE_POLICY_H
#define SKY_COMMON_DECODE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct SkyDecodePolicyCfg {
    uint32_t max_hw_failures; /* consecutive hardware errors before falling back; >= 1 */
    bool resync_on_error;
} SkyDecodePolicyCfg;

typedef enum SkyDecodeAction {
    SKY_DECODE_OK = 0,
    SKY_DECODE_RESYNC,   /* this generation is broken: ask the producer for a keyframe */
    SKY_DECODE_FALLBACK, /* reopen in software, then call sky_decode_policy_fell_back() */
} SkyDecodeAction;

typedef struct SkyDecodePolicy {
    SkyDecodePolicyCfg cfg;
    bool hw;
    uint32_t hw_failures; /* consecutive */
    uint64_t errors;
    uint64_t resyncs;
    uint64_t fallbacks;
} SkyDecodePolicy;

void sky_decode_policy_init(SkyDecodePolicy *p, const SkyDecodePolicyCfg *cfg, bool hw);
/* After decoding a frame: err is 0 or a negative error. */
SkyDecodeAction sky_decode_policy_result(SkyDecodePolicy *p, int err);
/* The caller has reopened the decoder in software. */
void sky_decode_policy_fell_back(SkyDecodePolicy *p);

#endif

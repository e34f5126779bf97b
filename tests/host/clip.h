/* --video-file: a pre-encoded clip the test host sends instead of encoding its test pattern, so
 * benchmarks can stream at any bitrate (150 Mb/s of noise, say) without an encoder in the loop.
 * The whole clip is read into memory at start (libavformat splits it into access units) and
 * sent in a loop, one access unit per frame interval. Its first access unit must be a keyframe:
 * an IDR request restarts the clip there.
 *
 * One thread uses a clip (the video thread); the access units stay valid until it is freed. */
#ifndef SKY_TESTHOST_CLIP_H
#define SKY_TESTHOST_CLIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SkyThClip SkyThClip;

/* Reads every access unit of PATH (Annex B H.264 or HEVC, IVF AV1, or any container FFmpeg
 * reads) and checks that its codec is `codec` (SKY_SDP_CODEC_*). Errors are logged. */
int sky_th_clip_open(SkyThClip **out, const char *path, int codec);
void sky_th_clip_free(SkyThClip **c);

/* The next access unit (after the last one comes the first again); with restart, the first. */
void sky_th_clip_next(SkyThClip *c, bool restart, const uint8_t **data, size_t *len,
                      bool *keyframe);

#endif

/* --record FILE: the stream's video access units (and Opus packets) as they arrive, remuxed
 * into a container libavformat writes (chosen by the file name: .mkv, .mp4, .ts, ...; Matroska
 * when unsure), without decoding or re-encoding. Recording starts at the first keyframe (a file
 * must start with one); frames the client dropped are not written. Thread-safe: video and audio
 * arrive on different threads. */
#ifndef SKY_CLIENT_RECORDER_H
#define SKY_CLIENT_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "common/media/opus_config.h"

typedef struct SkyRecorderCfg {
    const char *path;
    enum AVCodecID video_codec;   /* H.264, HEVC or AV1 */
    int width, height;
    bool audio;                   /* record the Opus track too */
    SkyOpusConfig opus;
} SkyRecorderCfg;

typedef struct SkyRecorder SkyRecorder;

/* Checks the container and creates the file. Returns 0 or a negative error (logged). */
int sky_recorder_open(SkyRecorder **out, const SkyRecorderCfg *cfg);
/* One access unit; ts90k is its host timestamp (90 kHz). The data is copied. */
int sky_recorder_video(SkyRecorder *r, const uint8_t *au, size_t len, bool keyframe,
                       uint32_t ts90k);
/* One Opus packet; ts_ms is its RTP timestamp (ms). Dropped before the first video frame. */
int sky_recorder_audio(SkyRecorder *r, const uint8_t *opus, size_t len, uint32_t ts_ms);
/* Finishes the file. Returns the first error met, 0 if all went well. Accepts NULL. */
int sky_recorder_close(SkyRecorder **r);

#endif

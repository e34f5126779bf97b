/* Reads a local file with libavformat and feeds its video (H.264, HEVC, AV1) to the video
 * pipeline and its Opus track, if any, to the audio output: the same path network frames take.
 * Paced at the stream's own timestamps by default, as fast as the pipeline takes them without. */
#ifndef SKY_CLIENT_SOURCE_FILE_H
#define SKY_CLIENT_SOURCE_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#include "client/feedback.h"
#include "client/media/audio.h"
#include "client/media/video_pipeline.h"
#include "common/media/opus_config.h"

typedef struct SkySourceFile SkySourceFile;

typedef struct SkySourceInfo {
    enum AVCodecID video_codec;
    const uint8_t *extradata; /* owned by the source */
    size_t extradata_len;
    int width, height;
    int pix_fmt;             /* AVPixelFormat, AV_PIX_FMT_NONE if the file does not say */
    int color_trc;           /* AVColorTransferCharacteristic */
    AVRational time_base;
    double fps;              /* 0 if unknown */
    bool low_delay;          /* no frame reordering announced */
    bool has_audio;          /* an Opus track was found */
    SkyOpusConfig opus;      /* valid if has_audio */
} SkySourceInfo;

/* Opens and probes the file. Errors (logged in plain words): SKY_ERR(ENOENT) and other errnos
 * for files that cannot be opened, SKY_ERR(ENOSYS) for no video or an unsupported codec,
 * SKY_ERR(EBADMSG) for files that are not media. */
int sky_source_file_open(SkySourceFile **out, const char *path);
void sky_source_file_info(const SkySourceFile *s, SkySourceInfo *info);

/* Starts the reader thread. audio may be NULL (the track is skipped). The pipeline, audio and
 * feedback (where the decoder asks for a keyframe: the reader then starts a new generation at
 * the next one) must outlive the source. */
int sky_source_file_start(SkySourceFile *s, SkyVideoPipeline *vp, SkyAudio *audio,
                          SkyFeedback *feedback, bool pacing);
/* True once the reader has handed over the whole file (or stopped on an error). */
bool sky_source_file_done(SkySourceFile *s);
/* Stops the reader thread (if running), closes the file. Accepts NULL. */
void sky_source_file_destroy(SkySourceFile **s);

#endif

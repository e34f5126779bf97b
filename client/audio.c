/* TEMPORARY STUB so the rest of the client builds: the audio helper replaces this whole file. */
#include "client/audio.h"

#include <stddef.h>

#include "common/error.h"

const SkyOpt sky_audio_opts_table[] = {
    {"audio", SKY_OPT_BOOL, offsetof(SkyAudioOpts, enabled), 0, 0, 0, NULL, "yes", NULL, "play audio"},
    {"audio-buffer-ms", SKY_OPT_INT, offsetof(SkyAudioOpts, buffer_ms), 0, 5, 200, NULL, "20", "MS", "target output buffer"},
    SKY_OPT_END,
};

int sky_audio_create(SkyAudio **out, const SkyAudioOpts *opts, const SkyOpusConfig *cfg)
{
    (void)opts;
    (void)cfg;
    *out = NULL;
    return SKY_ERR(ENODEV);
}

void sky_audio_destroy(SkyAudio **a)
{
    *a = NULL;
}

int sky_audio_submit(SkyAudio *a, const uint8_t *data, size_t len, int64_t pts_us)
{
    (void)a; (void)data; (void)len; (void)pts_us;
    return SKY_ERR(ENODEV);
}

void sky_audio_drain(SkyAudio *a, int64_t timeout_us)
{
    (void)a; (void)timeout_us;
}

void sky_audio_figures(SkyAudio *a, SkyAudioFigures *out)
{
    (void)a;
    *out = (SkyAudioFigures){0};
}

/* Audio output: Opus (and Opus multistream) packets are decoded with libopus on the audio
 * thread and written into a lock-free ring that the SDL audio callback drains. Gaps in the
 * packets' media time are filled with Opus packet-loss concealment. The output buffer (ring plus
 * device buffer) is kept near a small target and its depth is measured. */
#ifndef SKY_CLIENT_AUDIO_H
#define SKY_CLIENT_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "common/opts.h"
#include "common/opus_config.h"
#include "common/timeline.h"

typedef struct SkyAudioOpts {
    bool enabled;      /* --audio / --no-audio */
    int buffer_ms;     /* target output buffer (ring + device), ms */
} SkyAudioOpts;

extern const SkyOpt sky_audio_opts_table[];

typedef struct SkyAudio SkyAudio;

/* Creates the decoder, opens the default SDL audio device (initialising SDL's audio subsystem)
 * and starts the audio thread. The SDL driver comes from SDL_AUDIODRIVER as usual (tests use
 * "dummy" or "disk"). Returns 0, SKY_ERR(ENODEV) if no device could be opened, SKY_ERR(EINVAL)
 * for a bad config. */
int sky_audio_create(SkyAudio **out, const SkyAudioOpts *opts, const SkyOpusConfig *cfg);
/* Stops the thread, closes the device. Accepts NULL; NULLs the pointer. */
void sky_audio_destroy(SkyAudio **a);

/* Hands over one Opus packet (the data is copied; the caller keeps its buffer) with its media
 * time in microseconds (the first packet's time is the origin; a later jump forward larger than
 * the packet duration is a gap to conceal). Never blocks: SKY_ERR(EAGAIN) when the packet queue
 * is full (the packet is counted as dropped). */
int sky_audio_submit(SkyAudio *a, const uint8_t *data, size_t len, int64_t pts_us);
/* End of stream: waits until the queued audio has been played, at most timeout_us. */
void sky_audio_drain(SkyAudio *a, int64_t timeout_us);

/* A snapshot of the figures for stats (any thread). */
void sky_audio_figures(SkyAudio *a, SkyAudioFigures *out);

#endif

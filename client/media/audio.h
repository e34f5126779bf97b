/* Audio output: Opus (and Opus multistream) packets are decoded with libopus on the audio
 * thread and written into a lock-free ring that the SDL audio callback drains. Gaps in the
 * packets' media time are filled with Opus packet-loss concealment. The output buffer (ring plus
 * device buffer) is kept near a small target and its depth is measured.
 *
 * The device is opened at 48 kHz, S16, with the config's channel count, exactly (SDL converts if
 * the hardware wants otherwise). Channels come out in the order of cfg->mapping, which must
 * therefore be SDL's order (see sky_opus_config_vorbis_to_sdl() for files). */
#ifndef SKY_CLIENT_AUDIO_H
#define SKY_CLIENT_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "common/core/opts.h"
#include "common/media/opus_config.h"
#include "common/media/timeline.h"

/* --audio: the channels a stream asks the host for, or no sound. */
typedef enum SkyAudioLayout {
    SKY_AUDIO_STEREO,
    SKY_AUDIO_51,
    SKY_AUDIO_71,
    SKY_AUDIO_OFF,
} SkyAudioLayout;

typedef struct SkyAudioOpts {
    int layout;        /* SkyAudioLayout; play: any but off plays the file's track as it is */
    int buffer_ms;     /* target output buffer (ring + device), ms, 5..200 */
} SkyAudioOpts;

extern const SkyOpt sky_audio_opts_table[];

typedef struct SkyAudio SkyAudio;

/* Creates the decoder, opens the default SDL audio device (initialising SDL's audio subsystem)
 * and starts the audio thread. The SDL driver comes from SDL_AUDIODRIVER as usual (tests use
 * "dummy" or "disk"). Returns 0, SKY_ERR(ENODEV) if no device could be opened (SDL's message is
 * logged), SKY_ERR(EINVAL) for bad options (layout off included) or a config that does not
 * validate. Neither opts nor cfg is kept. */
int sky_audio_create(SkyAudio **out, const SkyAudioOpts *opts, const SkyOpusConfig *cfg);
/* Aborts the packet queue, joins the audio thread, closes the device and quits the SDL audio
 * subsystem it started; packets still queued are discarded. Accepts NULL; NULLs the pointer. */
void sky_audio_destroy(SkyAudio **a);

/* Hands over one Opus packet (the data is copied; the caller keeps its buffer) with its media
 * time in microseconds, or INT64_MIN if unknown (then it is taken to follow the previous one).
 * A packet later than expected (previous time + previous duration) by a packet or more (3/4 of
 * one, for rounded timestamps) is a gap: up to 100 ms of it is concealed, a longer jump is
 * played on without. A packet earlier than expected (late or duplicate) is dropped. Corrupt
 * packets are counted and concealed.
 * Never blocks and allocates nothing: SKY_ERR(EAGAIN) when all 64 packet slots are in use,
 * SKY_ERR(E2BIG) for packets over 4000 bytes (both counted), SKY_ERR(EINVAL) for an empty one. */
int sky_audio_submit(SkyAudio *a, const uint8_t *data, size_t len, int64_t pts_us);
/* End of stream: waits until the queued packets are decoded and the ring and device buffer have
 * played out, at most timeout_us. Submit nothing afterwards. */
void sky_audio_drain(SkyAudio *a, int64_t timeout_us);

/* Streams: network jitter the output buffer must also absorb, in ms (0..200), added to its
 * target. Any thread; takes effect at the next device callback. */
void sky_audio_set_jitter_ms(SkyAudio *a, int jitter_ms);

/* A snapshot of the figures for stats (any thread). a may be NULL (all zero, not active). */
void sky_audio_figures(SkyAudio *a, SkyAudioFigures *out);

#endif

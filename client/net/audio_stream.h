/* The audio side of a stream: a UDP socket that pings the host and receives its RTP audio on
 * its own thread; common/proto/audio_rtp.c reorders it, rebuilds lost packets from FEC and decrypts;
 * the Opus packets go to the audio output (client/media/audio.c), which conceals what stayed lost.
 * The arrival jitter it measures (RFC 3550's estimate) raises the output buffer's target. */
#ifndef SKY_CLIENT_AUDIO_STREAM_H
#define SKY_CLIENT_AUDIO_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/media/audio.h"
#include "client/media/recorder.h"
#include "common/media/timeline.h"

typedef struct SkyAudioStreamCfg {
    const char *host;            /* numeric address */
    uint16_t port;
    const char *ping_payload;    /* 16 characters, or NULL for "PING" */
    const uint8_t *key;          /* session key (NULL: audio not encrypted) */
    uint32_t key_id;             /* rikeyid */
    int packet_duration_ms;
    SkyAudio *audio;             /* output; may be NULL (no sound: packets are only counted) */
    SkyRecorder *recorder;       /* optional */
} SkyAudioStreamCfg;

typedef struct SkyAudioStream SkyAudioStream;

/* Opens the socket, sends the first ping and starts the thread. Errors are logged. */
int sky_audio_stream_create(SkyAudioStream **out, const SkyAudioStreamCfg *cfg);
/* Stops the thread, closes the socket and frees. Accepts NULL; NULLs the pointer. */
void sky_audio_stream_destroy(SkyAudioStream **as);
/* Any thread: fills the audio part of the figures. */
void sky_audio_stream_figures(SkyAudioStream *as, SkyNetFigures *out);

#endif

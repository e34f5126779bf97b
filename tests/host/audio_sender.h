/* The test host's audio stream: once the client's first audio ping has arrived, a thread makes
 * one packet duration of tones every packet duration (stereo: 440 Hz in both channels; 5.1 and
 * 7.1: 300 + 100 * i Hz in channel i, in Sunshine's order FL FR FC LFE BL BR SL SR), encodes it
 * with an Opus multistream encoder laid out and set up as Sunshine v0.23 does, and hands each
 * packet's datagrams (proto/audio_packetizer.h: RTP, optional AES-CBC, 4+2 FEC) to the audio
 * socket's sender (udp_sender.h).
 *
 *   layout          streams  coupled  bitrate     (48 kHz, RESTRICTED_LOWDELAY, CBR)
 *   stereo           1        1        96 kbps    (high quality: 512 kbps)
 *   5.1              4        2       256 kbps
 *   5.1 high         6        0      1536 kbps
 *   7.1              5        3       450 kbps
 *   7.1 high         8        0      2048 kbps
 * The encoder's mapping is the identity (channel i -> coded channel i), as Sunshine's.
 *
 * Owned by the session. The audio thread owns the Opus encoder and the packetizer. */
#ifndef SKY_TESTHOST_AUDIO_SENDER_H
#define SKY_TESTHOST_AUDIO_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/host/udp_sender.h"

typedef struct SkyThAudioCfg {
    int channels;              /* 2, 6 or 8 */
    bool high_quality;
    int packet_duration_ms;    /* the ANNOUNCE's packetDuration: 5 or 10 (2.5 .. 60 allowed by
                                * Opus: 5, 10, 20, 40, 60 here) */
    const uint8_t *key;        /* 16-byte session key when audio is encrypted, else NULL */
    uint32_t key_id;           /* rikeyid as u32 */
    SkyThUdp *udp;             /* borrowed; must outlive the audio thread */
} SkyThAudioCfg;

typedef struct SkyThAudio SkyThAudio;

/* Creates the Opus encoder and the packetizer. Returns 0, SKY_ERR(EINVAL) for a layout or
 * duration Sunshine does not have, SKY_ERR(ENOMEM) or SKY_ERR(EIO) (logged). */
int sky_th_audio_create(SkyThAudio **out, const SkyThAudioCfg *cfg);
int sky_th_audio_start(SkyThAudio *a);
/* Stops and joins the thread (abort the udp sender first), frees everything. Accepts NULL. */
void sky_th_audio_destroy(SkyThAudio **a);

typedef struct SkyThAudioStats {
    uint64_t packets;          /* Opus packets made */
} SkyThAudioStats;

void sky_th_audio_stats(SkyThAudio *a, SkyThAudioStats *out);
int sky_th_audio_error(SkyThAudio *a);

/* The Opus layout and bitrate of a configuration (the table above). Returns 0 or
 * SKY_ERR(EINVAL). mapping gets `channels` entries. */
int sky_th_audio_layout(int channels, bool high_quality, int *streams, int *coupled,
                        uint8_t mapping[8], int *bitrate_bps);

#endif

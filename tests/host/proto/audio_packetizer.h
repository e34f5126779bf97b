/* The host side of GameStream audio (the test host): each Opus packet becomes an RTP datagram
 * laid out as Sunshine sends it (common/proto/audio_rtp.h has the layout), AES-CBC encrypted
 * when a key is given, and every block of 4 is followed by its 2 Reed-Solomon parity datagrams.
 * Pure and single-threaded; nothing is allocated per packet. The client never links it. */
#ifndef SKY_TESTHOST_PROTO_AUDIO_PACKETIZER_H
#define SKY_TESTHOST_PROTO_AUDIO_PACKETIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/proto/audio_rtp.h"

typedef struct SkyAudioPacketizerCfg {
    const uint8_t *key;      /* 16-byte session key to encrypt with, or NULL (no encryption) */
    uint32_t key_id;         /* rikeyid as an unsigned number (the IV's base) */
    int packet_duration_ms;  /* timestamp step: 5 (or 10) */
    bool fec;                /* send the 2 parity datagrams after every 4 data ones */
} SkyAudioPacketizerCfg;

typedef struct SkyAudioPacketizer SkyAudioPacketizer;

/* cfg is copied (the key too); packet_duration_ms must be 1..120. Returns 0 with *out set (the
 * caller owns it), SKY_ERR(EINVAL) or SKY_ERR(ENOMEM). */
int sky_audio_packetizer_create(SkyAudioPacketizer **out, const SkyAudioPacketizerCfg *cfg);
/* Accepts NULL and a pointer to NULL; sets *p to NULL. */
void sky_audio_packetizer_destroy(SkyAudioPacketizer **p);

/* Packs one Opus packet (1..SKY_AUDIO_MAX_OPUS bytes, borrowed for the call). Writes 1 datagram
 * (or 3: the data then the block's 2 parity datagrams when it completes a block of 4 with equal
 * payload lengths) into buffers the packetizer owns: *count datagrams, datagram i at (*data)[i]
 * with length (*lens)[i]; valid until the next call. The first packet gets sequence 0 and
 * timestamp 0. Returns 0, SKY_ERR(EINVAL) for a bad length (nothing is sent and the sequence
 * does not advance) or SKY_ERR(EIO) if encryption fails. */
int sky_audio_packetize(SkyAudioPacketizer *p, const uint8_t *opus, size_t len,
                        const uint8_t *const **data, const size_t **lens, size_t *count);

#endif

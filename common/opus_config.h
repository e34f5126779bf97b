/* Opus stream layout (channel count, streams, coupling, mapping) and the parser for the
 * OpusHead identification header of RFC 7845 (as carried in Ogg, Matroska and MP4). */
#ifndef SKY_COMMON_OPUS_CONFIG_H
#define SKY_COMMON_OPUS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define SKY_OPUS_MAX_CHANNELS 8
#define SKY_OPUS_SAMPLE_RATE 48000

typedef struct SkyOpusConfig {
    int channels;      /* 1..SKY_OPUS_MAX_CHANNELS */
    int streams;       /* >= 1 */
    int coupled;       /* <= streams */
    uint8_t mapping[SKY_OPUS_MAX_CHANNELS];
    int pre_skip;      /* samples at 48 kHz to discard at the start */
    int output_gain_q8; /* dB in Q7.8 */
} SkyOpusConfig;

/* Parses an OpusHead. Returns 0, or SKY_ERR(EBADMSG) for malformed data, SKY_ERR(ENOSYS) for
 * layouts we do not play (over 8 channels, unknown mapping family or major version). */
int sky_opus_head_parse(const uint8_t *data, size_t len, SkyOpusConfig *out);
/* Checks a config's internal consistency (also for configs built from a host's SDP). */
int sky_opus_config_validate(const SkyOpusConfig *c);

#endif

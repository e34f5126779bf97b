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
    int mapping_family; /* OpusHead channel mapping family (0, 1 or 255); 0 if not from a header */
} SkyOpusConfig;

/* Parses an OpusHead. Returns 0, or SKY_ERR(EBADMSG) for malformed data, SKY_ERR(ENOSYS) for
 * layouts we do not play (over 8 channels, unknown mapping family or major version). */
int sky_opus_head_parse(const uint8_t *data, size_t len, SkyOpusConfig *out);
/* Checks a config's internal consistency (also for configs built from a host's SDP). */
int sky_opus_config_validate(const SkyOpusConfig *c);

/* libopus decodes channel i from the stream named by mapping[i], so the output comes out in the
 * order of the mapping table. For mapping families 0 and 1 (Ogg, Matroska, MP4 files) that is
 * the Vorbis order of RFC 7845 section 5.1.1.2; SDL2 wants its own order (SDL_audio.h):
 *
 *   channels  Vorbis (file)                     SDL
 *   1, 2      mono; L R                          the same
 *   3         L C R                              FL FR LFE    (no 3.0: C takes SDL's 3rd slot)
 *   4         FL FR RL RR                        FL FR BL BR  (the same)
 *   5         FL C FR RL RR                      FL FR LFE BL BR (no 5.0: C takes the LFE slot)
 *   6 (5.1)   FL C FR RL RR LFE                  FL FR FC LFE BL BR
 *   7 (6.1)   FL C FR SL SR RC LFE               FL FR FC LFE BC SL SR
 *   8 (7.1)   FL C FR SL SR RL RR LFE            FL FR FC LFE BL BR SL SR
 *
 * Reorders c->mapping in place from the Vorbis order to SDL's, so the decoder writes SDL's order
 * directly and no sample is touched afterwards. Pure; streams, coupling and the rest of c are
 * unchanged. Call it once, on a config parsed from a family 0 or 1 header (family 255 has no
 * defined order; streams from a host are described in SDL order already). Returns 0, or
 * SKY_ERR(EINVAL) (c unchanged) if c does not validate. */
int sky_opus_config_vorbis_to_sdl(SkyOpusConfig *c);

#endif

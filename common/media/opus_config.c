/* Opus channel layouts, the OpusHead parser and SDL's channel order (opus_config.h). */
#include "common/media/opus_config.h"

#include <string.h>

#include "common/core/bytes.h"
#include "common/core/error.h"

int sky_opus_config_validate(const SkyOpusConfig *c)
{
    if (c->channels < 1 || c->channels > SKY_OPUS_MAX_CHANNELS)
        return SKY_ERR(ENOSYS);
    if (c->streams < 1 || c->coupled < 0 || c->coupled > c->streams ||
        c->streams + c->coupled > 255)
        return SKY_ERR(EBADMSG);
    for (int i = 0; i < c->channels; i++)
        if (c->mapping[i] != 255 && c->mapping[i] >= c->streams + c->coupled)
            return SKY_ERR(EBADMSG);
    return 0;
}

int sky_opus_head_parse(const uint8_t *data, size_t len, SkyOpusConfig *out)
{
    SkyReader rd = sky_rd_init(data, len);
    const uint8_t *magic;
    uint8_t version, channels, family;
    uint16_t pre_skip, gain;
    uint32_t rate;
    memset(out, 0, sizeof(*out));
    if (!sky_rd_view(&rd, &magic, 8) || memcmp(magic, "OpusHead", 8) != 0)
        return SKY_ERR(EBADMSG);
    if (!sky_rd_u8(&rd, &version) || !sky_rd_u8(&rd, &channels) || !sky_rd_u16le(&rd, &pre_skip) ||
        !sky_rd_u32le(&rd, &rate) || !sky_rd_u16le(&rd, &gain) || !sky_rd_u8(&rd, &family))
        return SKY_ERR(EBADMSG);
    if (version >> 4 != 0)
        return SKY_ERR(ENOSYS); /* incompatible major version */
    if (channels == 0)
        return SKY_ERR(EBADMSG);
    if (channels > SKY_OPUS_MAX_CHANNELS)
        return SKY_ERR(ENOSYS);
    out->channels = channels;
    out->pre_skip = pre_skip;
    out->output_gain_q8 = (int16_t)gain;
    out->mapping_family = family;
    if (family == 0) {
        if (channels > 2)
            return SKY_ERR(EBADMSG);
        out->streams = 1;
        out->coupled = channels - 1;
        out->mapping[0] = 0;
        out->mapping[1] = 1;
        return 0;
    }
    if (family != 1 && family != 255)
        return SKY_ERR(ENOSYS);
    uint8_t streams, coupled;
    if (!sky_rd_u8(&rd, &streams) || !sky_rd_u8(&rd, &coupled) ||
        !sky_rd_bytes(&rd, out->mapping, channels))
        return SKY_ERR(EBADMSG);
    out->streams = streams;
    out->coupled = coupled;
    return sky_opus_config_validate(out);
}

int sky_opus_config_vorbis_to_sdl(SkyOpusConfig *c)
{
    /* from_vorbis[n - 1][i]: the Vorbis position of SDL channel i, for n channels. */
    static const uint8_t from_vorbis[SKY_OPUS_MAX_CHANNELS][SKY_OPUS_MAX_CHANNELS] = {
        {0},
        {0, 1},
        {0, 2, 1},
        {0, 1, 2, 3},
        {0, 2, 1, 3, 4},
        {0, 2, 1, 5, 3, 4},
        {0, 2, 1, 6, 5, 3, 4},
        {0, 2, 1, 7, 5, 6, 3, 4},
    };
    if (sky_opus_config_validate(c) < 0)
        return SKY_ERR(EINVAL);
    const uint8_t *perm = from_vorbis[c->channels - 1];
    uint8_t vorbis[SKY_OPUS_MAX_CHANNELS];
    memcpy(vorbis, c->mapping, sizeof(vorbis));
    for (int i = 0; i < c->channels; i++)
        c->mapping[i] = vorbis[perm[i]];
    return 0;
}

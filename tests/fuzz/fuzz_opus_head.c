/* Fuzzes the OpusHead parser (file and container input) and the layout validator. */
#include <stddef.h>
#include <stdint.h>

#include "common/core/error.h"
#include "common/media/opus_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    SkyOpusConfig c;
    if (sky_opus_head_parse(data, size, &c) == 0) {
        /* Whatever the parser accepts must be a layout libopus can be given. */
        SKY_ASSERT(sky_opus_config_validate(&c) == 0);
        SKY_ASSERT(c.channels >= 1 && c.channels <= SKY_OPUS_MAX_CHANNELS);
        SKY_ASSERT(c.streams >= 1 && c.coupled <= c.streams);
    }
    return 0;
}

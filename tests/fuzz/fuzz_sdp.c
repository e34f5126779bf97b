/* Fuzzes the SDP layer: the DESCRIBE reply reader (client side) for every channel count, the
 * ANNOUNCE attribute table and Sunshine's reading of it (host side), and a round trip of an
 * ANNOUNCE built from fuzzed parameters through the host's reader. The first byte picks. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/core/error.h"
#include "common/proto/sdp.h"
#include "tests/host/proto/sdp_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int32_t rd32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 3) {
    case 0: {
        static const int channels[] = {2, 6, 8};
        for (size_t i = 0; i < 3; i++) {
            SkyHostCaps caps;
            if (sky_sdp_host_caps_parse(buf, len, channels[i], &caps) != 0) {
                SKY_ASSERT(caps.opus_normal.channels == 0);
                continue;
            }
            SKY_ASSERT(caps.opus_normal.channels == channels[i]);
            SKY_ASSERT(sky_opus_config_validate(&caps.opus_normal) == 0);
            if (caps.opus_high_ok)
                SKY_ASSERT(sky_opus_config_validate(&caps.opus_high) == 0 &&
                           caps.opus_high.channels == channels[i]);
        }
        break;
    }
    case 1: {
        static SkySdpAttrs attrs;
        if (sky_sdp_attrs_parse(buf, len, &attrs) != 0)
            break;
        SKY_ASSERT(attrs.n <= SKY_SDP_MAX_ATTRS);
        for (size_t i = 0; i < attrs.n; i++) {
            SKY_ASSERT(attrs.a[i].name >= buf &&
                       attrs.a[i].name + attrs.a[i].name_len <= buf + len);
            SKY_ASSERT(attrs.a[i].value >= buf &&
                       attrs.a[i].value + attrs.a[i].value_len <= buf + len);
            SKY_ASSERT(!memchr(attrs.a[i].value, '\n', attrs.a[i].value_len));
        }
        SkySdpAnnounce an;
        const char *bad;
        if (sky_sdp_announce_read(&attrs, &an, &bad) == 0)
            SKY_ASSERT(bad == NULL && an.width >= 1 && an.height >= 1 && an.fps >= 1 &&
                       an.packet_size >= 64 && an.audio_channels >= 1);
        else
            SKY_ASSERT(bad != NULL);
        break;
    }
    case 2: {
        if (len < 32)
            break;
        const uint8_t *p = (const uint8_t *)buf;
        SkySdpStreamCfg c = {
            .host_addr = p[0] & 1 ? "192.168.1.10" : "fd00::1",
            .ipv6 = p[0] & 2,
            .width = rd32(p + 1) % 20000,
            .height = rd32(p + 5) % 20000,
            .fps = p[9] * 4,
            .packet_size = sky_sdp_packet_size(rd32(p + 10) % 70000, p[0] & 4, p[0] & 2, p[0] & 8),
            .bitrate_kbps = rd32(p + 14),
            .remote = p[0] & 4,
            .codec = p[18] % 4,
            .ten_bit = p[19] & 1,
            .yuv444 = p[19] & 2,
            .slices_per_frame = p[20],
            .decoder_rfi = p[19] & 4,
            .refresh_rate_x100 = rd32(p + 21) % 100000,
            .audio_channels = 2 + 2 * (p[25] % 4),
            .audio_high_quality = p[19] & 8,
            .packet_duration_ms = p[19] & 16 ? 10 : 5,
            .encryption_enabled = p[26] % 9,
            .ml_feature_flags = p[27],
            .color_space = p[28] % 4,
            .full_range = p[19] & 32,
            .video_port = (uint16_t)(p[29] << 8 | p[30]),
        };
        char sdp[2048];
        SkyWriter wr = sky_wr_init(sdp, sizeof(sdp));
        if (sky_sdp_announce_build(&wr, &c) != 0)
            break;
        static SkySdpAttrs attrs;
        SkySdpAnnounce an;
        SKY_ASSERT(sky_sdp_attrs_parse(sdp, wr.pos, &attrs) == 0);
        SKY_ASSERT(sky_sdp_announce_read(&attrs, &an, NULL) == 0);
        SKY_ASSERT(an.width == c.width && an.height == c.height && an.fps == c.fps);
        SKY_ASSERT(an.packet_size == c.packet_size && an.codec == c.codec);
        SKY_ASSERT(an.configured_bitrate_kbps == c.bitrate_kbps);
        SKY_ASSERT(an.max_bitrate_kbps == sky_sdp_adjusted_bitrate(c.bitrate_kbps, c.remote));
        SKY_ASSERT(an.audio_channels == c.audio_channels &&
                   an.audio_high_quality == c.audio_high_quality);
        SKY_ASSERT((an.encryption_enabled & ~SKY_ENC_AUDIO) ==
                   (c.encryption_enabled & ~SKY_ENC_AUDIO));
        SKY_ASSERT(an.csc_mode == (c.color_space << 1 | c.full_range));
        break;
    }
    }
    return 0;
}

/* The SDP bodies of the GameStream handshake, the client side: the DESCRIBE reply read, the
 * ANNOUNCE body written (sdp.h). */
#include "common/proto/sdp.h"

#include <string.h>

#include "common/core/error.h"

/* ---- Text both sides read ------------------------------------------------------------------- */

bool sky_sdp_next_line(SkySdpLines *it, const char **line, size_t *len)
{
    while (it->p < it->end && (*it->p == '\r' || *it->p == '\n'))
        it->p++;
    if (it->p == it->end)
        return false;
    const char *s = it->p;
    while (it->p < it->end && *it->p != '\r' && *it->p != '\n')
        it->p++;
    *line = s;
    *len = (size_t)(it->p - s);
    return true;
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

static bool contains(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (n < m)
        return false;
    for (size_t i = 0; i + m <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

bool sky_sdp_parse_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    bool neg = len && s[0] == '-';
    if (neg) {
        s++;
        len--;
    }
    if (len == 0 || len > 18)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* ---- DESCRIBE reply ------------------------------------------------------------------------- */

/* The value of the first "a=<name>:" line, trailing spaces removed. */
static bool find_attr_line(const char *sdp, size_t len, const char *name, const char **val,
                           size_t *vlen)
{
    SkySdpLines it = {sdp, sdp + len};
    const char *l;
    size_t n, nl = strlen(name);
    while (sky_sdp_next_line(&it, &l, &n)) {
        if (n < 3 + nl || memcmp(l, "a=", 2) != 0 || memcmp(l + 2, name, nl) != 0 ||
            l[2 + nl] != ':')
            continue;
        *val = l + 3 + nl;
        *vlen = n - 3 - nl;
        while (*vlen && ((*val)[*vlen - 1] == ' ' || (*val)[*vlen - 1] == '\t'))
            (*vlen)--;
        return true;
    }
    return false;
}

static int caps_u32(const char *sdp, size_t len, const char *name, uint32_t *out)
{
    const char *v;
    size_t n;
    int64_t x;
    *out = 0;
    if (!find_attr_line(sdp, len, name, &v, &n))
        return 0;
    if (!sky_sdp_parse_int(v, n, 0, UINT32_MAX, &x))
        return SKY_ERR(EBADMSG);
    *out = (uint32_t)x;
    return 0;
}

/* Parses the digits after "surround-params=<channels>": streams, coupled, one per channel. */
static int parse_layout(const char *d, size_t n, int channels, SkyOpusConfig *c)
{
    while (n && (d[n - 1] == ' ' || d[n - 1] == '\t'))
        n--;
    if (n != (size_t)channels + 2)
        return SKY_ERR(EBADMSG);
    for (size_t i = 0; i < n; i++)
        if (d[i] < '0' || d[i] > '9')
            return SKY_ERR(EBADMSG);
    memset(c, 0, sizeof(*c));
    c->channels = channels;
    c->streams = d[0] - '0';
    c->coupled = d[1] - '0';
    for (int i = 0; i < channels; i++)
        c->mapping[i] = (uint8_t)(d[2 + i] - '0');
    return sky_opus_config_validate(c) < 0 ? SKY_ERR(EBADMSG) : 0;
}

static int parse_opus(const char *sdp, size_t len, int channels, SkyHostCaps *out)
{
    SkyOpusConfig *normal = &out->opus_normal;
    if (channels == 2) {
        *normal = (SkyOpusConfig){.channels = 2, .streams = 1, .coupled = 1, .mapping = {0, 1}};
        out->opus_high = *normal; /* the same layout; quality is chosen by the Host header */
        return 0;
    }
    char prefix[32] = "a=fmtp:97 surround-params=";
    size_t pl = strlen(prefix);
    prefix[pl++] = (char)('0' + channels);
    prefix[pl] = '\0';

    SkySdpLines it = {sdp, sdp + len};
    const char *l;
    size_t n;
    int found = 0;
    while (found < 2 && sky_sdp_next_line(&it, &l, &n)) {
        if (!starts_with(l, n, prefix))
            continue;
        SkyOpusConfig *c = found == 0 ? normal : &out->opus_high;
        int ret = parse_layout(l + pl, n - pl, channels, c);
        if (ret < 0)
            return ret;
        found++;
    }
    if (found == 0) {
        if (channels != 6)
            return SKY_ERR(ENOENT);
        *normal = (SkyOpusConfig){
            .channels = 6, .streams = 4, .coupled = 2, .mapping = {0, 4, 1, 5, 2, 3}};
        return 0;
    }
    /* GFE orders normal-quality channels FL FR C RL RR SL SR LFE; ours have LFE fourth. */
    SkyOpusConfig orig = *normal;
    normal->mapping[3] = orig.mapping[channels - 1];
    memcpy(&normal->mapping[4], &orig.mapping[3], (size_t)channels - 4);
    out->opus_high_ok = found == 2;
    return 0;
}

int sky_sdp_host_caps_parse(const char *sdp, size_t len, int channels, SkyHostCaps *out)
{
    memset(out, 0, sizeof(*out));
    if (channels != 2 && channels != 6 && channels != 8)
        return SKY_ERR(EINVAL);
    if (len > SKY_SDP_MAX_LEN)
        return SKY_ERR(E2BIG);
    if (!sdp || len == 0)
        return SKY_ERR(EBADMSG);
    int ret = caps_u32(sdp, len, "x-ss-general.featureFlags", &out->feature_flags);
    if (ret == 0)
        ret = caps_u32(sdp, len, "x-ss-general.encryptionSupported", &out->encryption_supported);
    if (ret == 0)
        ret = caps_u32(sdp, len, "x-ss-general.encryptionRequested", &out->encryption_requested);
    if (ret == 0) {
        out->hevc = contains(sdp, len, "sprop-parameter-sets=AAAAAU");
        out->av1 = contains(sdp, len, "AV1/90000");
        out->rfi = contains(sdp, len, "x-nv-video[0].refPicInvalidation");
        ret = parse_opus(sdp, len, channels, out);
    }
    if (ret < 0)
        memset(out, 0, sizeof(*out));
    return ret;
}

uint32_t sky_sdp_encryption_negotiate(uint32_t supported, uint32_t requested, uint32_t wanted)
{
    uint32_t on = supported & SKY_ENC_CONTROL_V2;
    static const uint32_t media[] = {SKY_ENC_VIDEO, SKY_ENC_AUDIO};
    for (size_t i = 0; i < 2; i++) {
        uint32_t b = media[i];
        if ((supported & b) && (wanted & b))
            on |= b;
        else if ((requested & b) && !(wanted & b))
            on |= b;
    }
    return on;
}

const char *sky_sdp_codec_name(int codec)
{
    return codec == SKY_SDP_CODEC_AV1 ? "AV1" : codec == SKY_SDP_CODEC_HEVC ? "HEVC" : "H.264";
}

int sky_sdp_packet_size(int configured, bool remote, bool ipv6, bool video_encrypted)
{
    if (configured < 0 || configured > 65535)
        return SKY_ERR(EINVAL);
    int size = configured - configured % 16;
    if (remote) {
        int cap = ipv6 ? 1184 : 1024;
        size = size < cap ? size : cap;
    }
    if (video_encrypted)
        size -= 32; /* IV 12 + frame number 4 + tag 16, outside the shard */
    return size < 64 ? SKY_ERR(EINVAL) : size;
}

/* ---- ANNOUNCE (client side) ----------------------------------------------------------------- */

int sky_sdp_adjusted_bitrate(int bitrate_kbps, bool remote)
{
    int adj = (int)(bitrate_kbps * 0.80);
    if (remote && adj > 500)
        adj -= 500;
    return adj > 100000 ? 100000 : adj;
}

static bool addr_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              strchr(".:-%", c)))
            return false;
    }
    return true;
}

static bool in(int64_t v, int64_t lo, int64_t hi)
{
    return v >= lo && v <= hi;
}

static bool cfg_ok(const SkySdpStreamCfg *c)
{
    return addr_ok(c->host_addr) && in(c->client_version, 0, 1000) && in(c->width, 1, 16384) &&
           in(c->height, 1, 16384) && in(c->fps, 1, 1000) && in(c->packet_size, 64, 65535) &&
           in(c->bitrate_kbps, 2, 10000000) && in(c->codec, 0, 2) &&
           in(c->slices_per_frame, 0, 255) && in(c->refresh_rate_x100, 0, 100000000) &&
           (c->audio_channels == 2 || c->audio_channels == 6 || c->audio_channels == 8) &&
           (c->packet_duration_ms == 5 || c->packet_duration_ms == 10) &&
           (c->encryption_enabled & ~SKY_ENC_ALL) == 0 && in(c->color_space, 0, 2) &&
           c->video_port != 0;
}

/* "a=name:value \r\n" */
static bool attr(SkyWriter *wr, const char *name, int64_t v)
{
    return sky_wr_str(wr, "a=") && sky_wr_str(wr, name) && sky_wr_str(wr, ":") &&
           sky_wr_dec(wr, v) && sky_wr_str(wr, " \r\n");
}

int sky_sdp_announce_build(SkyWriter *wr, const SkySdpStreamCfg *c)
{
    if (!cfg_ok(c))
        return SKY_ERR(EINVAL);
    int64_t bitrate = sky_sdp_adjusted_bitrate(c->bitrate_kbps, c->remote);
    uint32_t nv_flags = 0x07 | 0x80; /* base | remote input encryption */
    if (c->encryption_enabled & SKY_ENC_AUDIO)
        nv_flags |= 0x20;
    uint32_t mask = c->channel_mask;
    if (!mask)
        mask = c->audio_channels == 2   ? SKY_AUDIO_MASK_STEREO
               : c->audio_channels == 6 ? SKY_AUDIO_MASK_51
                                        : SKY_AUDIO_MASK_71;

    bool ok = sky_wr_str(wr, "v=0\r\no=android 0 ") &&
              sky_wr_dec(wr, c->client_version ? c->client_version : 14) &&
              sky_wr_str(wr, c->ipv6 ? " IN IPv6 [" : " IN IPv4 ") &&
              sky_wr_str(wr, c->host_addr) && sky_wr_str(wr, c->ipv6 ? "]" : "") &&
              sky_wr_str(wr, "\r\ns=NVIDIA Streaming Client\r\n");
    ok = ok && attr(wr, "x-ml-general.featureFlags", c->ml_feature_flags) &&
         attr(wr, "x-ss-general.encryptionEnabled", c->encryption_enabled) &&
         attr(wr, "x-ss-video[0].chromaSamplingType", c->yuv444) &&
         attr(wr, "x-nv-video[0].clientViewportWd", c->width) &&
         attr(wr, "x-nv-video[0].clientViewportHt", c->height) &&
         attr(wr, "x-nv-video[0].maxFPS", c->fps) &&
         attr(wr, "x-nv-video[0].packetSize", c->packet_size) &&
         attr(wr, "x-nv-video[0].rateControlMode", 4) &&
         attr(wr, "x-nv-video[0].timeoutLengthMs", 7000) &&
         attr(wr, "x-nv-video[0].framesWithInvalidRefThreshold", 0) &&
         attr(wr, "x-nv-video[0].initialBitrateKbps", bitrate) &&
         attr(wr, "x-nv-video[0].initialPeakBitrateKbps", bitrate) &&
         attr(wr, "x-nv-vqos[0].bw.minimumBitrateKbps", bitrate) &&
         attr(wr, "x-nv-vqos[0].bw.maximumBitrateKbps", bitrate) &&
         attr(wr, "x-ml-video.configuredBitrateKbps", c->bitrate_kbps) &&
         attr(wr, "x-nv-vqos[0].fec.enable", 1) &&
         attr(wr, "x-nv-vqos[0].videoQualityScoreUpdateTime", 5000) &&
         attr(wr, "x-nv-vqos[0].qosTrafficType", c->remote ? 0 : 5) &&
         attr(wr, "x-nv-aqos.qosTrafficType", c->remote ? 0 : 4) &&
         attr(wr, "x-nv-general.featureFlags", nv_flags) &&
         attr(wr, "x-nv-general.useReliableUdp", 13) &&
         attr(wr, "x-nv-vqos[0].fec.minRequiredFecPackets", 2) &&
         attr(wr, "x-nv-vqos[0].bllFec.enable", 0) && attr(wr, "x-nv-vqos[0].drc.enable", 0) &&
         attr(wr, "x-nv-general.enableRecoveryMode", 0) &&
         attr(wr, "x-nv-video[0].videoEncoderSlicesPerFrame",
              c->slices_per_frame ? c->slices_per_frame : 1);
    if (ok && c->codec != SKY_SDP_CODEC_AV1)
        ok = attr(wr, "x-nv-clientSupportHevc", c->codec == SKY_SDP_CODEC_HEVC);
    ok = ok && attr(wr, "x-nv-vqos[0].bitStreamFormat", c->codec) &&
         attr(wr, "x-nv-video[0].dynamicRangeMode", c->ten_bit) &&
         attr(wr, "x-nv-video[0].maxNumReferenceFrames", c->decoder_rfi ? 0 : 1) &&
         attr(wr, "x-nv-video[0].clientRefreshRateX100", c->refresh_rate_x100) &&
         attr(wr, "x-nv-audio.surround.numChannels", c->audio_channels) &&
         attr(wr, "x-nv-audio.surround.channelMask", mask) &&
         attr(wr, "x-nv-audio.surround.enable", c->audio_channels > 2) &&
         attr(wr, "x-nv-audio.surround.AudioQuality", c->audio_high_quality) &&
         attr(wr, "x-nv-aqos.packetDuration", c->packet_duration_ms) &&
         attr(wr, "x-nv-video[0].encoderCscMode", c->color_space << 1 | (c->full_range ? 1 : 0));
    ok = ok && sky_wr_str(wr, "t=0 0\r\nm=video ") && sky_wr_dec(wr, c->video_port) &&
         sky_wr_str(wr, "  \r\n");
    return ok ? 0 : SKY_ERR(E2BIG);
}

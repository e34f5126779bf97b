/* The host side of the GameStream SDP bodies, for the test host: the DESCRIBE reply written
 * and the ANNOUNCE body read, as Sunshine v0.23 does (sdp_host.h). */
#include "tests/host/proto/sdp_host.h"

#include <string.h>

#include "common/core/error.h"

static bool starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(s, prefix, n) == 0;
}

/* ---- DESCRIBE reply ------------------------------------------------------------------------- */

/* Sunshine's Opus layouts, normal-quality ones already rotated for the client's fix-up. */
static const char *const describe_layouts[] = {
    "21101", "21101", "642012453", "660012345", "85301245367", "88001234567",
};

int sky_sdp_describe_build(SkyWriter *wr, const SkySdpDescribe *d)
{
    bool ok = sky_wr_str(wr, "a=x-ss-general.featureFlags:") && sky_wr_dec(wr, d->feature_flags) &&
              sky_wr_str(wr, "\na=x-ss-general.encryptionSupported:") &&
              sky_wr_dec(wr, d->encryption_supported) &&
              sky_wr_str(wr, "\na=x-ss-general.encryptionRequested:") &&
              sky_wr_dec(wr, d->encryption_requested) && sky_wr_str(wr, "\n");
    if (ok && d->rfi)
        ok = sky_wr_str(wr, "a=x-nv-video[0].refPicInvalidation:1\n");
    if (ok && d->hevc)
        ok = sky_wr_str(wr, "sprop-parameter-sets=AAAAAU\n");
    if (ok && d->av1)
        ok = sky_wr_str(wr, "a=rtpmap:98 AV1/90000\n");
    for (size_t i = 0; ok && i < sizeof(describe_layouts) / sizeof(describe_layouts[0]); i++)
        ok = sky_wr_str(wr, "a=fmtp:97 surround-params=") && sky_wr_str(wr, describe_layouts[i]) &&
             sky_wr_str(wr, "\n");
    return ok ? 0 : SKY_ERR(E2BIG);
}

/* ---- ANNOUNCE ------------------------------------------------------------------------------- */

static long find_attr(const SkySdpAttrs *a, const char *name, size_t nl)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->a[i].name_len == nl && memcmp(a->a[i].name, name, nl) == 0)
            return (long)i;
    return -1;
}

int sky_sdp_attrs_parse(const char *sdp, size_t len, SkySdpAttrs *out)
{
    memset(out, 0, sizeof(*out));
    if (len > SKY_SDP_MAX_LEN)
        return SKY_ERR(E2BIG);
    if (!sdp)
        return 0;
    SkySdpLines it = {sdp, sdp + len};
    const char *l;
    size_t n;
    while (sky_sdp_next_line(&it, &l, &n)) {
        if (starts_with(l, n, "s=")) {
            if (!out->client) { /* Sunshine keeps the last; nothing depends on it */
                out->client = l + 2;
                out->client_len = n - 2;
            }
            continue;
        }
        if (!starts_with(l, n, "a="))
            continue;
        const char *colon = memchr(l + 2, ':', n - 2);
        if (!colon)
            continue;
        size_t nl = (size_t)(colon - (l + 2));
        const char *v = colon + 1;
        size_t vl = n - 3 - nl;
        if (vl && v[vl - 1] == ' ')
            vl--;
        if (find_attr(out, l + 2, nl) >= 0)
            continue; /* first occurrence wins */
        if (out->n == SKY_SDP_MAX_ATTRS) {
            memset(out, 0, sizeof(*out));
            return SKY_ERR(E2BIG);
        }
        out->a[out->n].name = l + 2;
        out->a[out->n].name_len = nl;
        out->a[out->n].value = v;
        out->a[out->n].value_len = vl;
        out->n++;
    }
    return 0;
}

bool sky_sdp_attr(const SkySdpAttrs *a, const char *name, const char **value, size_t *len)
{
    long i = find_attr(a, name, strlen(name));
    if (i < 0)
        return false;
    *value = a->a[i].value;
    *len = a->a[i].value_len;
    return true;
}

int sky_sdp_attr_int(const SkySdpAttrs *a, const char *name, int64_t min, int64_t max,
                     int64_t *out)
{
    const char *v;
    size_t n;
    if (!sky_sdp_attr(a, name, &v, &n))
        return SKY_ERR(ENOENT);
    return sky_sdp_parse_int(v, n, min, max, out) ? 0 : SKY_ERR(EBADMSG);
}

int sky_sdp_attr_int_or(const SkySdpAttrs *a, const char *name, int64_t dflt, int64_t min,
                        int64_t max, int64_t *out)
{
    int ret = sky_sdp_attr_int(a, name, min, max, out);
    if (ret == SKY_ERR(ENOENT)) {
        *out = dflt;
        return 0;
    }
    return ret;
}

/* One attribute Sunshine reads: its name, whether it is required, its default, its range and
 * where it goes. */
typedef struct AnnounceField {
    const char *name;
    bool required;
    int64_t dflt, min, max;
    size_t offset;
    bool is_u32; /* the field is a uint32_t (else int) */
} AnnounceField;

#define F_INT(n, req, d, lo, hi, f) {n, req, d, lo, hi, offsetof(SkySdpAnnounce, f), false}
#define F_U32(n, req, d, lo, hi, f) {n, req, d, lo, hi, offsetof(SkySdpAnnounce, f), true}

static const AnnounceField announce_fields[] = {
    F_INT("x-nv-audio.surround.numChannels", true, 0, 1, 8, audio_channels),
    F_U32("x-nv-audio.surround.channelMask", true, 0, 0, UINT32_MAX, channel_mask),
    F_INT("x-nv-aqos.packetDuration", false, 5, 1, 100, packet_duration_ms),
    F_INT("x-nv-general.useReliableUdp", false, 1, 0, INT32_MAX, control_protocol),
    F_INT("x-nv-video[0].packetSize", true, 0, 64, 65535, packet_size),
    F_INT("x-nv-vqos[0].fec.minRequiredFecPackets", false, 0, 0, 255, min_fec_packets),
    F_U32("x-ml-general.featureFlags", false, 0, 0, UINT32_MAX, ml_feature_flags),
    F_INT("x-nv-aqos.qosTrafficType", false, 4, 0, INT32_MAX, audio_qos),
    F_INT("x-nv-vqos[0].qosTrafficType", false, 5, 0, INT32_MAX, video_qos),
    F_U32("x-ss-general.encryptionEnabled", false, 0, 0, UINT32_MAX, encryption_enabled),
    F_U32("x-nv-general.featureFlags", false, 135, 0, UINT32_MAX, nv_feature_flags),
    F_INT("x-nv-video[0].clientViewportHt", true, 0, 1, 16384, height),
    F_INT("x-nv-video[0].clientViewportWd", true, 0, 1, 16384, width),
    F_INT("x-nv-video[0].maxFPS", true, 0, 1, 1000, fps),
    F_INT("x-nv-vqos[0].bw.maximumBitrateKbps", true, 0, 1, INT32_MAX, max_bitrate_kbps),
    F_INT("x-nv-video[0].videoEncoderSlicesPerFrame", true, 0, 1, 255, slices_per_frame),
    F_INT("x-nv-video[0].maxNumReferenceFrames", true, 0, 0, 16, max_ref_frames),
    F_INT("x-nv-video[0].encoderCscMode", false, 0, 0, 5, csc_mode),
    F_INT("x-nv-vqos[0].bitStreamFormat", false, 0, 0, 2, codec),
    F_INT("x-nv-video[0].dynamicRangeMode", false, 0, 0, 1, dynamic_range),
    F_INT("x-ml-video.configuredBitrateKbps", false, 0, 0, INT32_MAX, configured_bitrate_kbps),
    F_INT("x-ss-video[0].chromaSamplingType", false, 0, INT32_MIN, INT32_MAX, chroma_sampling),
    F_INT("x-nv-video[0].clientRefreshRateX100", false, 0, 0, INT32_MAX, refresh_rate_x100),
};

int sky_sdp_announce_read(const SkySdpAttrs *a, SkySdpAnnounce *out, const char **bad)
{
    memset(out, 0, sizeof(*out));
    if (bad)
        *bad = NULL;
    for (size_t i = 0; i < sizeof(announce_fields) / sizeof(announce_fields[0]); i++) {
        const AnnounceField *f = &announce_fields[i];
        int64_t v;
        int ret = f->required ? sky_sdp_attr_int(a, f->name, f->min, f->max, &v)
                              : sky_sdp_attr_int_or(a, f->name, f->dflt, f->min, f->max, &v);
        if (ret < 0) {
            if (bad)
                *bad = f->name;
            memset(out, 0, sizeof(*out));
            return ret;
        }
        char *dst = (char *)out + f->offset;
        if (f->is_u32) {
            uint32_t u = (uint32_t)v;
            memcpy(dst, &u, sizeof(u));
        } else {
            int iv = (int)v;
            memcpy(dst, &iv, sizeof(iv));
        }
    }
    /* AudioQuality is a flag; Sunshine takes any nonzero number as "high". */
    int64_t q;
    int ret = sky_sdp_attr_int(a, "x-nv-audio.surround.AudioQuality", 0, INT32_MAX, &q);
    if (ret < 0) {
        if (bad)
            *bad = "x-nv-audio.surround.AudioQuality";
        memset(out, 0, sizeof(*out));
        return ret;
    }
    out->audio_high_quality = q != 0;
    if (out->nv_feature_flags & 0x20) /* legacy clients ask for audio encryption here */
        out->encryption_enabled |= SKY_ENC_AUDIO;
    return 0;
}

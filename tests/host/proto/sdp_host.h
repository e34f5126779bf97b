/* The host side of the GameStream SDP bodies (the test host): the DESCRIBE reply written and the
 * ANNOUNCE body read, both as Sunshine v0.23 does (docs/protocol.md, "RTSP and SDP"). The
 * constants both sides use (encryption bits, codecs, channel masks) and the client's side are
 * common/proto/sdp.h's. Pure: no I/O, no allocation. The client never links it. */
#ifndef SKY_TESTHOST_PROTO_SDP_HOST_H
#define SKY_TESTHOST_PROTO_SDP_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/bytes.h"
#include "common/proto/sdp.h"

/* ---- DESCRIBE reply ------------------------------------------------------------------------- */

/* What a host writes into its DESCRIBE reply. */
typedef struct SkySdpDescribe {
    uint32_t feature_flags;
    uint32_t encryption_supported;
    uint32_t encryption_requested;
    bool rfi, hevc, av1;
} SkySdpDescribe;

/* Appends the reply body as Sunshine v0.23.1 writes it (LF line ends): feature flags, the
 * encryption lines, the RFI/HEVC/AV1 markers that apply, and Sunshine's six Opus layout lines
 * (stereo, stereo HQ, 5.1, 5.1 HQ, 7.1, 7.1 HQ). Returns 0 or SKY_ERR(E2BIG). */
int sky_sdp_describe_build(SkyWriter *wr, const SkySdpDescribe *d);

/* ---- ANNOUNCE ------------------------------------------------------------------------------- */

#define SKY_SDP_MAX_ATTRS 128

/* The body's "a=name:value" lines, as Sunshine reads them: lines split at any run of CR/LF; the
 * name runs to the first ':', the value is the rest less one trailing space; the first of
 * duplicates wins; lines without ':' are ignored. Views into the parsed buffer. */
typedef struct SkySdpAttrs {
    const char *client; /* the s= line's text; NULL if none */
    size_t client_len;
    size_t n;
    struct {
        const char *name, *value;
        size_t name_len, value_len;
    } a[SKY_SDP_MAX_ATTRS];
} SkySdpAttrs;

/* Returns 0, SKY_ERR(E2BIG) for more than SKY_SDP_MAX_ATTRS distinct names or a body over
 * SKY_SDP_MAX_LEN. */
int sky_sdp_attrs_parse(const char *sdp, size_t len, SkySdpAttrs *out);
/* The value of attribute `name` (exact match). */
bool sky_sdp_attr(const SkySdpAttrs *a, const char *name, const char **value, size_t *len);
/* A decimal (optional '-') in [min, max]. SKY_ERR(ENOENT) if absent, SKY_ERR(EBADMSG) if
 * malformed or out of range. */
int sky_sdp_attr_int(const SkySdpAttrs *a, const char *name, int64_t min, int64_t max,
                     int64_t *out);
/* The same with `dflt` for an absent attribute. */
int sky_sdp_attr_int_or(const SkySdpAttrs *a, const char *name, int64_t dflt, int64_t min,
                        int64_t max, int64_t *out);

/* What Sunshine takes from an ANNOUNCE (defaults as v0.23.1, for absent optional ones). */
typedef struct SkySdpAnnounce {
    int width, height, fps;           /* required */
    int packet_size;                  /* required */
    int max_bitrate_kbps;             /* required: x-nv-vqos[0].bw.maximumBitrateKbps */
    int configured_bitrate_kbps;      /* default 0 */
    int slices_per_frame;             /* required */
    int max_ref_frames;               /* required: 0 = no limit */
    int audio_channels;               /* required */
    uint32_t channel_mask;            /* required */
    bool audio_high_quality;          /* required (AudioQuality) */
    int packet_duration_ms;           /* default 5 */
    int control_protocol;             /* useReliableUdp, default 1; 13 = encrypted control */
    int min_fec_packets;              /* default 0 */
    uint32_t ml_feature_flags;        /* default 0 */
    uint32_t nv_feature_flags;        /* default 135 */
    uint32_t encryption_enabled;      /* default 0; SKY_ENC_AUDIO added if nv flags have 0x20 */
    int video_qos, audio_qos;         /* defaults 5 and 4 */
    int csc_mode;                     /* encoderCscMode, default 0 */
    int codec;                        /* bitStreamFormat, default 0 */
    int dynamic_range;                /* default 0 */
    int chroma_sampling;              /* chromaSamplingType, default 0; Sunshine encodes 4:4:4
                                       * for 1 and 4:2:0 for any other value */
    int refresh_rate_x100;            /* default 0 */
} SkySdpAnnounce;

/* Reads the attributes Sunshine reads. Returns 0, SKY_ERR(ENOENT) when a required one is
 * missing or SKY_ERR(EBADMSG) when one is malformed or out of range (Sunshine answers 400
 * either way), with *bad (if not NULL) naming the attribute. */
int sky_sdp_announce_read(const SkySdpAttrs *a, SkySdpAnnounce *out, const char **bad);

#endif

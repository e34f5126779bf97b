/* The SDP bodies of the GameStream handshake, both sides. Pure: no I/O, no allocation.
 *
 *   DESCRIBE reply (host -> client): a few "a=" lines with LF line ends saying what the host can
 *     do (encryption, codecs, Opus layouts). sky_sdp_host_caps_parse reads it as
 *     moonlight-common-c does; sky_sdp_describe_build writes it as Sunshine v0.23 does.
 *   ANNOUNCE body (client -> host): the stream the client asks for. sky_sdp_announce_build
 *     writes it as moonlight-common-c does for a Sunshine host; sky_sdp_attrs_parse and
 *     sky_sdp_announce_read read it as Sunshine does.
 *
 * docs/protocol.md ("RTSP and SDP") has the details. */
#ifndef SKY_COMMON_SDP_H
#define SKY_COMMON_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/bytes.h"
#include "common/media/opus_config.h"

/* Encryption bits (encryptionSupported/Requested/Enabled). */
#define SKY_ENC_CONTROL_V2 0x01u
#define SKY_ENC_VIDEO 0x02u
#define SKY_ENC_AUDIO 0x04u
#define SKY_ENC_ALL 0x07u

/* Sunshine feature flags (x-ss-general.featureFlags). */
#define SKY_SS_FF_PEN_TOUCH 0x01u
#define SKY_SS_FF_CONTROLLER_TOUCH 0x02u

/* Moonlight feature flags we announce (x-ml-general.featureFlags): per-frame FEC status, and
 * session matching by ping payload and connect data. */
#define SKY_ML_FF_FEC_STATUS 0x01u
#define SKY_ML_FF_SESSION_ID_V1 0x02u

/* bitStreamFormat */
#define SKY_SDP_CODEC_H264 0
#define SKY_SDP_CODEC_HEVC 1
#define SKY_SDP_CODEC_AV1 2

/* Channel masks for 2, 6 and 8 channels. */
#define SKY_AUDIO_MASK_STEREO 0x3u
#define SKY_AUDIO_MASK_51 0x3Fu
#define SKY_AUDIO_MASK_71 0x63Fu

/* Largest SDP body we read or write. */
#define SKY_SDP_MAX_LEN 65536

/* ---- DESCRIBE reply ------------------------------------------------------------------------- */

typedef struct SkyHostCaps {
    uint32_t feature_flags;        /* SKY_SS_FF_*; 0 if absent */
    uint32_t encryption_supported; /* SKY_ENC_*; 0 if absent (a host without RTSP encryption) */
    uint32_t encryption_requested; /* SKY_ENC_*; 0 if absent */
    bool hevc;                     /* "sprop-parameter-sets=AAAAAU" present */
    bool av1;                      /* "AV1/90000" present */
    bool rfi;                      /* "x-nv-video[0].refPicInvalidation" present */
    /* Opus layouts for the channel count asked for, in the order the decoder outputs them. */
    SkyOpusConfig opus_normal;
    SkyOpusConfig opus_high;       /* valid if opus_high_ok */
    bool opus_high_ok;             /* the host offers a high-quality layout (surround only) */
} SkyHostCaps;

/* Parses a DESCRIBE reply body for a stream of `channels` (2, 6 or 8) audio channels.
 *
 * Opus layouts follow moonlight-common-c: stereo is always 2 channels, 1 stream, 1 coupled,
 * map 0 1 (the host's stereo lines are not read). For 6 and 8 the first line starting
 * "a=fmtp:97 surround-params=<channels>" is the normal-quality layout: then one digit each for
 * streams, coupled streams and every channel's mapping. GFE's mapping is rearranged (LFE moves
 * to index 3: new[3] = old[channels-1], new[4..] = old[3..channels-2]); Sunshine pre-rotates
 * its lines so 5.1 comes out 0..5, while 7.1 comes out 0 1 2 7 4 5 3 6, which we keep. A second
 * matching line is the high-quality layout (as sent). Without any line, 5.1 falls back to
 * 4 streams, 2 coupled, map 0 4 1 5 2 3, and 7.1 fails.
 *
 * Returns 0, SKY_ERR(EINVAL) for another channel count, SKY_ERR(EBADMSG) for an empty body, a
 * malformed number in a flag attribute or a malformed or invalid layout line, SKY_ERR(ENOENT)
 * for 7.1 without a layout, SKY_ERR(E2BIG) for a body over SKY_SDP_MAX_LEN. */
int sky_sdp_host_caps_parse(const char *sdp, size_t len, int channels, SkyHostCaps *out);

/* The encryption bits to put in the ANNOUNCE, as moonlight-common-c negotiates them: control v2
 * whenever the host supports it; video and audio if the host supports them and the client wants
 * them, or if the host requests them (even when the client opted out). */
uint32_t sky_sdp_encryption_negotiate(uint32_t supported, uint32_t requested, uint32_t wanted);

/* The packetSize to announce, from the one configured (e.g. 1392): rounded down to a multiple of
 * 16, capped at 1024 (IPv4) or 1184 (IPv6) when the host is not on the local network, and less
 * the 32-byte video encryption header when video is encrypted. Returns it, or SKY_ERR(EINVAL)
 * if the result would be under 64 bytes or the input over 65535. */
/* "H.264", "HEVC" or "AV1". */
const char *sky_sdp_codec_name(int codec);
int sky_sdp_packet_size(int configured, bool remote, bool ipv6, bool video_encrypted);

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

/* ---- ANNOUNCE (client side) ----------------------------------------------------------------- */

/* The stream the client asks for. Values are written as given (the caller has already made the
 * height even, picked the packet size with sky_sdp_packet_size, negotiated encryption...). */
typedef struct SkySdpStreamCfg {
    const char *host_addr;     /* the host's address for the o= line, without brackets */
    bool ipv6;                 /* "IPv6" and "[addr]" in the o= line */
    int client_version;        /* 0 means 14 */
    int width, height, fps;    /* 1..16384, 1..16384, 1..1000 */
    int packet_size;           /* 64..65535 */
    int bitrate_kbps;          /* the user's bitrate, 2..10,000,000 */
    bool remote;               /* not on the local network: 500 kbps less, no QoS tagging */
    int codec;                 /* SKY_SDP_CODEC_* */
    bool ten_bit;              /* dynamicRangeMode 1 */
    bool yuv444;               /* chromaSamplingType 1 */
    int slices_per_frame;      /* 1..255 (0 means 1) */
    bool decoder_rfi;          /* the decoder can use any reference: maxNumReferenceFrames 0 */
    int refresh_rate_x100;     /* clientRefreshRateX100, 0 if unknown */
    int audio_channels;        /* 2, 6 or 8 */
    uint32_t channel_mask;     /* 0 means the usual mask for the channel count */
    bool audio_high_quality;   /* AudioQuality 1 */
    int packet_duration_ms;    /* 5 or 10 */
    uint32_t encryption_enabled; /* SKY_ENC_* as negotiated */
    uint32_t ml_feature_flags; /* SKY_ML_FF_* */
    int color_space;           /* 0 Rec.601, 1 Rec.709, 2 Rec.2020 */
    bool full_range;           /* encoderCscMode = color_space << 1 | full_range */
    uint16_t video_port;       /* from the video SETUP reply, for the m= line */
} SkySdpStreamCfg;

/* moonlight-common-c's video bitrate for the host: 80 % of bitrate_kbps, less 500 when remote
 * (if above 500), at most 100000. */
int sky_sdp_adjusted_bitrate(int bitrate_kbps, bool remote);

/* Appends the ANNOUNCE body: "v=0", "o=android 0 <version> IN IPv4|IPv6 <addr>",
 * "s=NVIDIA Streaming Client", the attributes in moonlight-common-c's order (each
 * "a=name:value \r\n"), "t=0 0", "m=video <port>  ". Returns 0, SKY_ERR(EINVAL) for a value out
 * of range or an address with characters other than [0-9A-Za-z.:-%], SKY_ERR(E2BIG) if wr is
 * full. */
int sky_sdp_announce_build(SkyWriter *wr, const SkySdpStreamCfg *c);

/* ---- ANNOUNCE (host side) ------------------------------------------------------------------- */

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
    int chroma_sampling;              /* chromaSamplingType, default 0 */
    int refresh_rate_x100;            /* default 0 */
} SkySdpAnnounce;

/* Reads the attributes Sunshine reads. Returns 0, SKY_ERR(ENOENT) when a required one is
 * missing or SKY_ERR(EBADMSG) when one is malformed or out of range (Sunshine answers 400
 * either way), with *bad (if not NULL) naming the attribute. */
int sky_sdp_announce_read(const SkySdpAttrs *a, SkySdpAnnounce *out, const char **bad);

#endif

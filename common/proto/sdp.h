/* The SDP bodies of the GameStream handshake: the constants both sides use and the client's
 * side. Pure: no I/O, no allocation.
 *
 *   DESCRIBE reply (host -> client): a few "a=" lines with LF line ends saying what the host can
 *     do (encryption, codecs, Opus layouts). sky_sdp_host_caps_parse reads it as
 *     moonlight-common-c does.
 *   ANNOUNCE body (client -> host): the stream the client asks for. sky_sdp_announce_build
 *     writes it as moonlight-common-c does for a Sunshine host.
 *
 * The host's side (writing the DESCRIBE reply, reading the ANNOUNCE body, as Sunshine v0.23
 * does) is the test host's tests/host/proto/sdp_host.h.
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

/* ---- Text both sides read ------------------------------------------------------------------ */

/* The lines of a body, split at any run of CR/LF as Sunshine splits them, so no line comes out
 * empty: SkySdpLines it = {sdp, sdp + len}; while (sky_sdp_next_line(&it, &line, &n)) ... */
typedef struct SkySdpLines {
    const char *p, *end;
} SkySdpLines;

bool sky_sdp_next_line(SkySdpLines *it, const char **line, size_t *len);
/* A strict decimal with an optional '-', at most 18 digits, in [min, max]: true with *out set. */
bool sky_sdp_parse_int(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);

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

#endif

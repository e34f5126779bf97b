/* The RTSP handshake with a host, after /launch or /resume: OPTIONS, DESCRIBE (what the host
 * offers), SETUP audio, video and control (ports, ping payload, connect data), ANNOUNCE (the
 * stream we want, as SDP) and PLAY, one TCP connection per request as Sunshine expects,
 * encrypted with the session key when the session URL is rtspenc://. */
#ifndef SKY_CLIENT_RTSP_CLIENT_H
#define SKY_CLIENT_RTSP_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/proto/hostapi.h"
#include "common/media/opus_config.h"
#include "common/proto/sdp.h"
#include "common/proto/video_format.h"

typedef struct SkyRtspClientCfg {
    const SkySessionUrl *url;   /* from /launch: host, port, encrypted */
    const uint8_t *key;         /* 16-byte session key (rikey) */
    /* The stream wanted; host_addr, ipv6, codec, ten_bit, yuv444, encryption_enabled,
     * packet_size, video_port and audio_high_quality are filled in by the handshake from what
     * the host offers. */
    SkySdpStreamCfg want;
    SkyVideoFormat format;      /* sky_video_format_plan's plan: the codec (or AUTO), 10-bit,
                                 * 4:4:4 wanted */
    uint32_t codec_support;     /* serverinfo's ServerCodecModeSupport (SKY_SCM_*) */
    int packet_size;            /* configured packet size before capping (e.g. 1392); capped
                                 * for a host outside the local network */
    uint32_t encryption_wanted; /* SKY_ENC_VIDEO / SKY_ENC_AUDIO the user asks for */
    int64_t timeout_ms;         /* per request */
    const atomic_bool *cancel;
} SkyRtspClientCfg;

typedef struct SkyRtspSession {
    SkyHostCaps caps;           /* what DESCRIBE said */
    SkySdpStreamCfg stream;     /* what ANNOUNCE asked for (codec, packet size, encryption...) */
    SkyVideoFormat format;      /* the codec, bit depth and chroma asked for (as in stream) */
    SkyOpusConfig opus;         /* the audio layout to decode with */
    uint16_t audio_port, video_port, control_port;
    bool have_ping_payload;
    char ping_payload[17];
    uint32_t connect_data;
    bool rfi;                   /* reference frame invalidation is on (host and codec allow) */
    char host[256];             /* numeric address of the host (for the UDP and ENet sides) */
} SkyRtspSession;

/* Runs the handshake. Errors carry a one-line reason in err. */
int sky_rtsp_client_handshake(const SkyRtspClientCfg *cfg, SkyRtspSession *out, char *err,
                              size_t errlen);

#endif

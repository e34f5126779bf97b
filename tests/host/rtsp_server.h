/* The test host's RTSP server (TCP, --rtsp-port), as Sunshine v0.23's rtsp.cpp:
 *
 *   - one request per connection: read it, answer, close; connections are served one at a time
 *     (the client makes them one after the other), each within IO_TIMEOUT;
 *   - only while a launch is pending (/launch or /resume, until the control peer connects);
 *     otherwise the connection is closed at once;
 *   - `rtspenc://` (the launch had corever >= 1): each request and reply is one sealed frame
 *     (common/proto/rtsp.h), the host numbering its replies 1, 2, ... per launch; a request of 2048
 *     bytes or more, one that fails to decrypt or to parse gets an encrypted 400;
 *   - OPTIONS; DESCRIBE (host capabilities: HEVC and AV1 from --codec-support, encryption from
 *     --video-encryption); SETUP audio/video/control (Session "DEADBEEFCAFE;timeout = 90",
 *     server_port, X-SS-Ping-Payload or X-SS-Connect-Data of the launch; another stream type
 *     gets 404); ANNOUNCE (400 when a required attribute is missing or malformed or the codec
 *     is not offered, 403 when --video-encryption mandatory and video or audio encryption is
 *     not enabled, 503 while another stream runs, 500 when the stream cannot start; 200 once the
 *     session runs); PLAY (200, nothing else); anything else 404.
 *
 * One event line per request: `rtsp METHOD TARGET`, and `announce ...` for a valid ANNOUNCE. */
#ifndef SKY_TESTHOST_RTSP_SERVER_H
#define SKY_TESTHOST_RTSP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/proto/sdp.h"
#include "tests/host/host.h"
#include "tests/host/proto/sdp_host.h"

/* What an ANNOUNCE starts: the launch it belongs to and the stream the client asked for. */
typedef struct SkyThStreamCfg {
    SkyThLaunch launch;          /* a copy, key included (wipe after use) */
    SkySdpAnnounce an;
    bool audio_high_quality;     /* stereo: the Host header is not 0.0.0.0; else AudioQuality */
    int bitrate_kbps;            /* the encoder's bitrate, adjusted as Sunshine does */
} SkyThStreamCfg;

/* Starts the stream; returns the RTSP status to answer: 200, 503 (a stream runs), 500. */
typedef int (*SkyThAnnounceFn)(void *opaque, const SkyThStreamCfg *cfg);

/* Sunshine's video bitrate from an ANNOUNCE: configuredBitrateKbps less FEC (when
 * fec_percent <= 80), audio (96 or 256 kbps per channel, at most 20 %) and 500 kbps (at most
 * 10 %); maximumBitrateKbps when the client did not send the former. */
int sky_th_rtsp_bitrate(const SkySdpAnnounce *an, bool audio_high_quality, int fec_percent);

/* The per-launch state of the RTSP side: the host's reply counter for encrypted RTSP. */
typedef struct SkyThRtspState {
    uint64_t launch_gen;         /* the launch the counter belongs to */
    uint32_t host_seq;           /* the last sequence number used */
} SkyThRtspState;

/* Answers one request: in[0..len) is everything received on the connection (one encrypted
 * frame, or one plain request); the reply (sealed when the launch is encrypted) goes to out.
 * Returns 0 with *out_len set (0: close without answering), or SKY_ERR(EAGAIN) when more bytes
 * are needed (*need, if not NULL, is the total length wanted when known, else 0). ports are
 * video, audio, control. Pure apart from the events, the announce callback and the state. */
int sky_th_rtsp_answer(const SkyThCfg *cfg, const SkyThLaunch *launch, SkyThRtspState *st,
                       const uint16_t ports[3], SkyThAnnounceFn announce, void *opaque,
                       const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                       size_t *need);

typedef struct SkyThRtsp SkyThRtsp;

/* Takes the listening socket (it closes it) and starts the RTSP thread. announce runs on that
 * thread. */
int sky_th_rtsp_create(SkyThRtsp **out, SkyThHost *h, int listen_fd, const uint16_t ports[3],
                      SkyThAnnounceFn announce, void *opaque);
/* Stops and joins the thread, closes the socket. Accepts NULL; NULLs the pointer. */
void sky_th_rtsp_destroy(SkyThRtsp **r);

#endif

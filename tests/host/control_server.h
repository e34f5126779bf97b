/* The test host's control stream (ENet on the control port, Sunshine v0.23 behaviour) and the
 * session's clock: sky_th_control_run() is the body of the session thread.
 *
 * ENet: one peer. A peer whose connect data is not the session's X-SS-Connect-Data (checked when
 * the client announced session-id matching, ML feature flag 0x02) is disconnected at once. The
 * first peer that connects clears the host's pending launch (no more RTSP for it, as Sunshine).
 *
 * Client messages (control v2 encryption when the ANNOUNCE enabled bit 0x01; with
 * useReliableUdp 13 an unencrypted message is dropped; a message whose tag does not verify ends
 * the session, as Sunshine):
 *   0x0302 IDR request / start A, 0x0305 start A: the next frame is an IDR (`idr-request`)
 *   0x0301 RFI: software encoders cannot invalidate references: an IDR too (`rfi`)
 *   0x0307 start B, 0x0200 ping, 0x0201 loss stats, 0x5502 FEC status: no action
 *   0x0206 input: `input <decoded packet> at_us=<arrival, µs since the session began>` (or
 *          `input-malformed`), and the picture's input region follows it
 * Host messages: HDR mode (the session's `hdr`: "on" with the display's metadata for an HDR
 * stream, 27 zero bytes otherwise) once the video capture has started (the client's first
 * video ping came) and the peer is connected, as Sunshine sends it when its encoder device is
 * made; termination 0x0109 (BE32 code) when the host ends the stream.
 *
 * The session ends (and run() returns why) on: the peer's ENet DISCONNECT; no ENet event for
 * ping_timeout_s (from the session's start until the peer connects, too); no video or audio
 * ping within ping_timeout_s of the start; a control message whose tag fails; a command
 * (sky_th_control_command: quit-app, terminate CODE, drop, shutdown); stream_seconds after the
 * first video frame; the video or audio thread failing. Termination messages go out for
 * quit-app (0x80030023), stream-seconds (0x80030023), shutdown (0x80030023) and terminate (its
 * code); the peer is then disconnected once the message is acknowledged (or after 1 s).
 *
 * Upstream impairment: every datagram the ENet host receives is offered to the model in ENet's
 * intercept callback; dropped ones never reach ENet. (Delay cannot be modelled there: ENet has
 * no way to take a datagram back later.) */
#ifndef SKY_TESTHOST_CONTROL_SERVER_H
#define SKY_TESTHOST_CONTROL_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <enet/enet.h>

#include "tests/host/audio_sender.h"
#include "tests/host/host.h"
#include "tests/host/impair/impair.h"
#include "tests/host/udp_sender.h"
#include "tests/host/video_sender.h"

/* Why a session ended (the `stream-end reason=` words). */
typedef enum SkyThEnd {
    SKY_TH_END_NONE = 0,
    SKY_TH_END_CLIENT_DISCONNECT, /* client-disconnect */
    SKY_TH_END_PING_TIMEOUT,      /* ping-timeout: no ENet event for --ping-timeout */
    SKY_TH_END_NO_PING,           /* no-ping: no video or audio ping within --ping-timeout */
    SKY_TH_END_CONTROL_AUTH,      /* control-auth: a control message failed its tag */
    SKY_TH_END_QUIT_APP,          /* quit-app (stdin) */
    SKY_TH_END_TERMINATE,         /* terminate (stdin `terminate CODE`) */
    SKY_TH_END_DROP,              /* drop (stdin) */
    SKY_TH_END_STREAM_SECONDS,    /* stream-seconds */
    SKY_TH_END_SHUTDOWN,          /* shutdown (SIGTERM, SIGINT, stdin quit) */
    SKY_TH_END_ERROR,             /* error: encoding or sending failed */
} SkyThEnd;

const char *sky_th_end_name(SkyThEnd e);

typedef struct SkyThControlCfg {
    SkyThHost *host;           /* launch_pending is cleared when the peer connects */
    ENetHost *enet;            /* borrowed: only this session thread uses it meanwhile */
    const uint8_t *key;        /* the session key (16 bytes; copied) */
    bool encrypted;            /* encryptionEnabled & 0x01 */
    bool drop_unencrypted;     /* useReliableUdp 13 */
    bool match_connect_data;   /* ML feature flag 0x02 */
    uint32_t connect_data;
    int ping_timeout_s;
    int stream_seconds;        /* 0: no limit */
    bool stats;                /* a `stats` line per second */
    const SkyImpairCfg *up;    /* upstream impairment of control datagrams (NULL: none) */
    SkyControlHdrMode hdr;     /* the HDR mode message */
    /* The session's other parts (borrowed; they outlive run()). */
    SkyThVideo *video;
    SkyThAudio *audio;
    SkyThUdp *video_udp, *audio_udp;
} SkyThControlCfg;

typedef struct SkyThControl SkyThControl;

int sky_th_control_create(SkyThControl **out, const SkyThControlCfg *cfg);
void sky_th_control_destroy(SkyThControl **c);

/* Runs the control stream until the session ends; returns why. The calling thread owns the
 * ENet host meanwhile. On return no peer is left connected. */
SkyThEnd sky_th_control_run(SkyThControl *c);

/* Queues a host message (rumble, LED, motion request, ...; a plaintext message as common/proto/control.h
 * builds it) for the session thread to send (`sent type=0x....` when it has). Any thread.
 * SKY_ERR(EAGAIN) when 16 are waiting, SKY_ERR(EMSGSIZE) over 64 bytes. */
int sky_th_control_send(SkyThControl *c, const uint8_t *msg, size_t len);

/* Asks the session to end (any thread): how is QUIT_APP, TERMINATE (with code), DROP or
 * SHUTDOWN. The first request wins. */
void sky_th_control_command(SkyThControl *c, SkyThEnd how, uint32_t code);

#endif

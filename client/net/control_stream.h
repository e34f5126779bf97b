/* The control stream: one ENet connection to the host (UDP 47999), owned by one thread. It
 * sends the session's opening messages, a ping every 100 ms (the host ends a session that is
 * silent for 10 s), keyframe and reference-invalidation requests and input; it receives
 * the host's messages (termination, HDR mode, rumble, ...). Other threads hand it messages
 * through a bounded queue and an eventfd, so a message leaves at once instead of waiting for a
 * poll timeout. Messages are sealed with the session key when the host asked for control
 * encryption (Sunshine always does). */
#ifndef SKY_CLIENT_CONTROL_STREAM_H
#define SKY_CLIENT_CONTROL_STREAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/feedback.h"
#include "common/proto/control.h"

typedef struct SkyControlStreamCfg {
    const char *host;          /* numeric address of the host */
    uint16_t port;
    uint32_t connect_data;     /* X-SS-Connect-Data */
    const uint8_t *key;        /* 16-byte session key */
    bool encrypted;            /* control v2 encryption */
    int64_t connect_timeout_ms;/* 0: 10 s */
    const atomic_bool *cancel; /* set (e.g. by Ctrl+C): stop waiting for the connection */
    /* Not owned: the host's gamepad feedback goes there, and "the stream has ended"
     * (termination or lost connection). */
    SkyFeedback *feedback;
} SkyControlStreamCfg;

typedef struct SkyControlStream SkyControlStream;

/* Connects (waiting up to the connect timeout), sends the opening messages and starts the
 * thread. Errors with a one-line reason in err (the session shows it as the stream's end):
 * SKY_ERR(ETIMEDOUT), SKY_ERR(ECONNREFUSED) (the host refused the peer),
 * SKY_ERR(EAFNOSUPPORT) (an IPv6 host: this ENet is IPv4 only). */
int sky_control_stream_create(SkyControlStream **out, const SkyControlStreamCfg *cfg, char *err,
                              size_t errlen);
/* Disconnects gracefully (waiting up to 2 s for the host to acknowledge), stops the thread and
 * frees. Accepts NULL; NULLs the pointer. */
void sky_control_stream_destroy(SkyControlStream **cs);

/* Any thread. Queues one plaintext message (common/proto/control.h builders); route_hints as for
 * sky_control_route(). SKY_ERR(EAGAIN) if the queue is full, SKY_ERR(EPIPE) after the end. */
int sky_control_stream_send(SkyControlStream *cs, const uint8_t *msg, size_t len,
                            unsigned route_hints);
/* The same for an input message captured at capture_us (sky_time_us): its capture-to-socket
 * time is measured when it is handed to the socket. */
int sky_control_stream_send_at(SkyControlStream *cs, const uint8_t *msg, size_t len,
                               unsigned route_hints, int64_t capture_us);
int sky_control_stream_request_idr(SkyControlStream *cs);
int sky_control_stream_request_rfi(SkyControlStream *cs, uint32_t first, uint32_t last);

typedef struct SkyControlStatus {
    bool ended;                /* the stream is over */
    SkyControlEnd end;         /* why (valid when ended) */
    uint32_t code;             /* the host's termination code, if it sent one */
    double rtt_ms, rtt_var_ms; /* ENet's round-trip estimate */
    uint64_t sent, received;   /* messages */
    uint64_t dropped_auth;     /* host messages whose tag did not verify (dropped) */
    uint64_t input_sent;       /* input messages handed to the socket */
    uint64_t input_p50_us, input_p99_us; /* their capture -> socket time (whole session) */
} SkyControlStatus;

/* Any thread: a snapshot. */
void sky_control_stream_status(SkyControlStream *cs, SkyControlStatus *out);
/* The video side tells whether a frame ever arrived (to classify a termination). */
void sky_control_stream_saw_frame(SkyControlStream *cs);

#endif

/* The host side of the GameStream control stream (the test host): messages from the client
 * parsed as Sunshine reads them, and the messages a host sends (termination, HDR mode, rumble,
 * trigger rumble, motion event, LED, adaptive triggers) built as Sunshine writes them. The types,
 * framing and sealing both sides share are common/proto/control.h's. Pure: no ENet, no
 * allocation. The client never links it. */
#ifndef SKY_TESTHOST_PROTO_CONTROL_HOST_H
#define SKY_TESTHOST_PROTO_CONTROL_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "common/proto/control.h"

typedef enum SkyControlClientKind {
    SKY_CONTROL_CLIENT_UNKNOWN,
    SKY_CONTROL_CLIENT_IDR_REQUEST, /* 0x0302: start A or a keyframe request */
    SKY_CONTROL_CLIENT_START_A,     /* 0x0305 */
    SKY_CONTROL_CLIENT_START_B,
    SKY_CONTROL_CLIENT_PING,
    SKY_CONTROL_CLIENT_RFI,
    SKY_CONTROL_CLIENT_INPUT,
    SKY_CONTROL_CLIENT_FEC_STATUS,
    SKY_CONTROL_CLIENT_LOSS_STATS,
} SkyControlClientKind;

typedef struct SkyControlClientMsg {
    SkyControlClientKind kind;
    uint16_t type;
    union {
        struct {
            uint64_t first_frame, last_frame;
        } rfi;
        struct {
            const uint8_t *data; /* the input packet (BE32 size first); points into the message */
            size_t len;
        } input;
        SkyControlFecStatus fec;
        struct {
            uint32_t interval_ms;
            uint64_t last_good_frame;
        } loss;
        struct {
            const uint8_t *payload;
            size_t len;
        } unknown;
    } u;
} SkyControlClientMsg;

/* Parses a message from a client. Returns 0 (kind UNKNOWN for other types), or
 * SKY_ERR(EBADMSG): malformed message, a short payload, an RFI range that runs backwards, an
 * input packet whose BE32 size does not match the bytes it came with. *out is then zeroed. */
int sky_control_parse_client(const uint8_t *msg, size_t len, SkyControlClientMsg *out);

/* Host messages. Every builder writes a whole plaintext message into out[cap] and sets
 * *out_len; they return 0 or SKY_ERR(E2BIG) if cap is too small. */
int sky_control_build_termination(uint32_t code, uint8_t *out, size_t cap, size_t *out_len);
/* Always in Sunshine's form, with the metadata (has_metadata is ignored). */
int sky_control_build_hdr_mode(const SkyControlHdrMode *h, uint8_t *out, size_t cap,
                               size_t *out_len);
int sky_control_build_rumble(const SkyControlRumble *r, uint8_t *out, size_t cap,
                             size_t *out_len);
int sky_control_build_rumble_triggers(const SkyControlTriggerRumble *r, uint8_t *out, size_t cap,
                                      size_t *out_len);
int sky_control_build_motion_event(const SkyControlMotionState *m, uint8_t *out, size_t cap,
                                   size_t *out_len);
int sky_control_build_set_led(const SkyControlLed *l, uint8_t *out, size_t cap, size_t *out_len);
int sky_control_build_adaptive_triggers(const SkyControlAdaptiveTriggers *a, uint8_t *out,
                                        size_t cap, size_t *out_len);

#endif

/* The GameStream control stream: the messages client and host exchange over ENet (UDP 47999),
 * their types and layouts, framing and encryption; the client's messages built and the host's
 * parsed. (The host's half, client messages parsed and host messages built, is the test host's
 * tests/host/proto/control_host.h.) Pure: no ENet, no sockets, no allocation per message (every
 * function writes into buffers the caller owns). docs/protocol.md "Control stream" has the
 * overview.
 *
 * A message ("plaintext message" below) is
 *
 *   LE16 type, LE16 payload length, payload
 *
 * With control encryption (Sunshine: SDP useReliableUdp 13 and encryption bit 0x01, always on)
 * each ENet packet carries one sealed message:
 *
 *   LE16 0x0001, LE16 length (= 4 + 16 + message length), LE32 sequence, 16-byte GCM tag,
 *   AES-128-GCM ciphertext of the message (key: the session's rikey, no AAD)
 *
 * with the 12-byte IV LE32 sequence, six zero bytes, the sender ('C' client, 'H' host), 'C'.
 * Each side counts its own sequence from 0. Without encryption (older hosts) an ENet packet is
 * LE16 type followed by the payload, without a length (sky_control_plain_*).
 *
 * Parsers check every length before reading. A known type whose payload is shorter than its
 * layout is an error (SKY_ERR(EBADMSG)); bytes after the layout are ignored, since newer hosts
 * extend messages by appending. Types we do not know are not errors: they come back as
 * "unknown" with their payload for the caller to log and drop. */
#ifndef SKY_COMMON_CONTROL_H
#define SKY_COMMON_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/core/error.h"

#define SKY_CONTROL_KEY_LEN 16
#define SKY_CONTROL_TAG_LEN 16
#define SKY_CONTROL_HEADER_LEN 4   /* LE16 type, LE16 payload length */
#define SKY_CONTROL_ENC_OVERHEAD 24 /* LE16 0x0001, LE16 length, LE32 sequence, tag */
/* The largest payload we build or accept. Host messages are at most 29 bytes and our input
 * packets a few dozen; the cap keeps stack buffers honest. */
#define SKY_CONTROL_MAX_PAYLOAD 1024
#define SKY_CONTROL_MAX_MSG (SKY_CONTROL_HEADER_LEN + SKY_CONTROL_MAX_PAYLOAD)
#define SKY_CONTROL_MAX_WIRE (SKY_CONTROL_ENC_OVERHEAD + SKY_CONTROL_MAX_MSG)

/* sky_control_open's answer for a message whose GCM tag does not verify: forged, corrupted or
 * sealed with another key. Distinct from SKY_ERR(EBADMSG) (malformed framing) because the two
 * sides treat it differently: Sunshine ends the whole session on a tag failure; the client only
 * drops the message (moonlight-common-c does the same) and the session goes on. */
#define SKY_CONTROL_ERR_AUTH SKY_ERR(EACCES)

/* Message type codes (LE16 on the wire), as Sunshine and Moonlight number them. 0x5502 means
 * one thing from the client and another from the host. */
typedef enum SkyControlType {
    SKY_CONTROL_ENCRYPTED = 0x0001,         /* the sealed wrapper (outer type only) */
    /* client -> host */
    SKY_CONTROL_PING = 0x0200,              /* periodic keep-alive */
    SKY_CONTROL_LOSS_STATS = 0x0201,        /* GFE only; Sunshine logs it */
    SKY_CONTROL_INPUT = 0x0206,             /* one input packet */
    SKY_CONTROL_RFI = 0x0301,               /* invalidate reference frames */
    SKY_CONTROL_IDR_REQUEST = 0x0302,       /* also "start A", the first message */
    SKY_CONTROL_START_A_GEN5 = 0x0305,      /* older "start A"; Sunshine accepts it */
    SKY_CONTROL_START_B = 0x0307,
    SKY_CONTROL_FEC_STATUS = 0x5502,        /* per-frame FEC status; Sunshine ignores it */
    /* host -> client */
    SKY_CONTROL_TERMINATION_SHORT = 0x0100, /* GFE: LE16 reason */
    SKY_CONTROL_TERMINATION = 0x0109,       /* BE32 HRESULT */
    SKY_CONTROL_RUMBLE = 0x010b,
    SKY_CONTROL_HDR_MODE = 0x010e,
    SKY_CONTROL_RUMBLE_TRIGGERS = 0x5500,
    SKY_CONTROL_MOTION_EVENT = 0x5501,      /* set motion event state */
    SKY_CONTROL_SET_LED = 0x5502,
    SKY_CONTROL_ADAPTIVE_TRIGGERS = 0x5503, /* Sunshine 2025.628 and later */
} SkyControlType;

/* ---- Framing ---- */

/* A view of one plaintext message; payload points into the caller's buffer. */
typedef struct SkyControlMsg {
    uint16_t type;
    const uint8_t *payload;
    size_t payload_len;
} SkyControlMsg;

/* Writes a message (header + payload) into out. Returns 0 with *out_len set, SKY_ERR(EMSGSIZE)
 * for a payload over SKY_CONTROL_MAX_PAYLOAD, SKY_ERR(E2BIG) if cap is too small. payload may
 * be NULL when len is 0. */
int sky_control_msg_build(uint16_t type, const uint8_t *payload, size_t len, uint8_t *out,
                          size_t cap, size_t *out_len);
/* Splits a message. SKY_ERR(EBADMSG) unless the header is whole and its payload length equals
 * the bytes that follow. out->payload points into msg. */
int sky_control_msg_split(const uint8_t *msg, size_t len, SkyControlMsg *out);

/* Who sends: the IV carries the sender, so each side needs to know which it is. */
typedef enum SkyControlSide {
    SKY_CONTROL_CLIENT = 'C',
    SKY_CONTROL_HOST = 'H',
} SkyControlSide;

/* The session key and this side's send counter. Used by one thread (the ENet thread). */
typedef struct SkyControlCrypto SkyControlCrypto;

/* The key is copied; self is the side that seals. The counter starts at 0.
 * Returns 0, SKY_ERR(EINVAL) for a side other than the two, SKY_ERR(ENOMEM). */
int sky_control_crypto_create(SkyControlCrypto **out, const uint8_t key[SKY_CONTROL_KEY_LEN],
                              SkyControlSide self);
void sky_control_crypto_destroy(SkyControlCrypto **c);
/* The sequence number the next sky_control_seal will use. */
uint32_t sky_control_crypto_next_seq(const SkyControlCrypto *c);

/* Seals one plaintext message (as built above) into out, which must not overlap msg and needs
 * msg_len + SKY_CONTROL_ENC_OVERHEAD bytes. Uses the next sequence number and advances the
 * counter on success only. Returns 0 with *out_len set; SKY_ERR(EBADMSG) if msg is not a
 * well-formed message or has the wrapper's type 0x0001; SKY_ERR(EMSGSIZE) over SKY_CONTROL_MAX_MSG; SKY_ERR(E2BIG) if cap is
 * too small; SKY_ERR(EOVERFLOW) once 2^32 messages have been sealed (the IV would repeat);
 * SKY_ERR(EIO) if OpenSSL fails. */
int sky_control_seal(SkyControlCrypto *c, const uint8_t *msg, size_t msg_len, uint8_t *out,
                     size_t cap, size_t *out_len);
/* The same with an explicit sequence number; the counter is left alone (tests, replays). */
int sky_control_seal_seq(SkyControlCrypto *c, uint32_t seq, const uint8_t *msg, size_t msg_len,
                         uint8_t *out, size_t cap, size_t *out_len);
/* Opens one ENet packet from the other side into msg (must not overlap in). Checks, in order:
 * the outer type is 0x0001, the declared length covers sequence and tag plus a message header
 * and equals the bytes that follow it, the message fits SKY_CONTROL_MAX_MSG (SKY_ERR(EMSGSIZE))
 * and cap (SKY_ERR(E2BIG)); then the tag (SKY_CONTROL_ERR_AUTH); then that the plaintext is a
 * well-formed message whose type is not 0x0001. Framing faults are SKY_ERR(EBADMSG). Nothing
 * in the packet is used before these checks pass; on any failure msg holds no plaintext.
 * Returns 0 with *msg_len and (if seq is not NULL) *seq set. Sequence numbers are not checked
 * for order or replay: ENet already delivers each reliable message once, in order. */
int sky_control_open(SkyControlCrypto *c, const uint8_t *in, size_t len, uint8_t *msg,
                     size_t cap, size_t *msg_len, uint32_t *seq);

/* Unencrypted control streams carry LE16 type and the payload, without the length. Converts a
 * message to that form and back; the same errors as above (SKY_ERR(EBADMSG) for fewer than
 * 2 bytes on unwrap). Sunshine always encrypts, so these matter only for older hosts. */
int sky_control_plain_wrap(const uint8_t *msg, size_t msg_len, uint8_t *out, size_t cap,
                           size_t *out_len);
int sky_control_plain_unwrap(const uint8_t *in, size_t len, uint8_t *msg, size_t cap,
                             size_t *msg_len);

/* ---- Client -> host messages ---- */

/* Every builder writes a whole plaintext message into out[cap] and sets *out_len. They return
 * 0, SKY_ERR(E2BIG) if cap is too small, or SKY_ERR(EINVAL) for bad arguments. */

/* 0x0302, payload 00 00: the first message of a session ("start A") and, later, a request for
 * a keyframe. */
int sky_control_build_idr_request(uint8_t *out, size_t cap, size_t *out_len);
/* 0x0307, payload 00: the second message of a session. */
int sky_control_build_start_b(uint8_t *out, size_t cap, size_t *out_len);
/* 0x0200, payload 04 00 00 00 00 00 00 00 (the host ignores it): every 100 ms, so the host
 * sees traffic (it drops a session after 10 s without any). */
int sky_control_build_ping(uint8_t *out, size_t cap, size_t *out_len);
/* 0x0301: frames first..last (inclusive, frame indexes of the video stream) are lost and must
 * not be referenced. 24 bytes: LE64 first, LE64 last, LE64 0. EINVAL if last is before first. */
int sky_control_build_rfi(uint32_t first_frame, uint32_t last_frame, uint8_t *out, size_t cap,
                          size_t *out_len);
/* 0x0206 around one input packet (BE32 size, LE32 magic, body). EINVAL unless pkt holds at
 * least the 8-byte header and its size field equals len - 4. */
int sky_control_build_input(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap,
                            size_t *out_len);

/* A frame that needed FEC recovery or was lost, as reported to Sunshine (which ignores it). */
typedef struct SkyControlFecStatus {
    uint32_t frame_index;
    uint16_t highest_received_seq;
    uint16_t next_contiguous_seq;
    uint16_t missing_before_highest;
    uint16_t total_data_packets;
    uint16_t total_parity_packets;
    uint16_t received_data_packets;
    uint16_t received_parity_packets;
    uint8_t fec_percentage;
    uint8_t multi_fec_block_index;
    uint8_t multi_fec_block_count;
} SkyControlFecStatus;

/* 0x5502 (client direction): the 21 bytes above, all big-endian. */
int sky_control_build_fec_status(const SkyControlFecStatus *s, uint8_t *out, size_t cap,
                                 size_t *out_len);
/* 0x0201 (GFE before 7.1.415 only; not sent to Sunshine): 32 bytes, LE32 0, LE32 50 (interval
 * in ms), LE32 1000, LE64 last good frame, LE32 0, LE32 0, LE32 0x14. */
#define SKY_CONTROL_LOSS_STATS_LEN 32
int sky_control_build_loss_stats(uint64_t last_good_frame, uint8_t *out, size_t cap,
                                 size_t *out_len);

/* ---- Which ENet channel and delivery each client message uses ---- */

typedef enum SkyControlDelivery {
    SKY_CONTROL_RELIABLE,    /* ENET_PACKET_FLAG_RELIABLE */
    SKY_CONTROL_UNRELIABLE,  /* flags 0: sequenced, may be lost */
    SKY_CONTROL_UNSEQUENCED, /* ENET_PACKET_FLAG_UNSEQUENCED */
} SkyControlDelivery;

typedef struct SkyControlRoute {
    uint8_t channel;
    SkyControlDelivery delivery;
} SkyControlRoute;

/* Channel ids (the client opens SKY_CONTROL_CHANNELS of them). */
#define SKY_CONTROL_CH_GENERIC 0x00
#define SKY_CONTROL_CH_URGENT 0x01
#define SKY_CONTROL_CH_KEYBOARD 0x02
#define SKY_CONTROL_CH_MOUSE 0x03
#define SKY_CONTROL_CH_PEN 0x04
#define SKY_CONTROL_CH_TOUCH 0x05
#define SKY_CONTROL_CH_UTF8 0x06
#define SKY_CONTROL_CH_GAMEPAD_BASE 0x10 /* + controller number 0..15 */
#define SKY_CONTROL_CH_SENSOR_BASE 0x20  /* + controller number 0..15 */
#define SKY_CONTROL_CHANNELS 0x30

/* What the bytes of a message cannot say. */
#define SKY_CONTROL_ROUTE_STARTUP 0x1 /* 0x0302 as "start A" (generic channel), not a later IDR
                                       * request (urgent channel) */
#define SKY_CONTROL_ROUTE_PEN_BUTTONS_CHANGED 0x2 /* a pen hover/move whose buttons differ from
                                                   * the previous pen packet: must be reliable */

/* The channel and delivery for a client message (a plaintext message as built above).
 * peer_channels is the channel count the host's ENet VERIFY_CONNECT granted; a channel past it
 * falls back to the generic one. Unknown types and input magics go reliable on the generic
 * channel. Returns 0, or SKY_ERR(EBADMSG) if msg is not a well-formed message. */
int sky_control_route(const uint8_t *msg, size_t len, unsigned hints, uint32_t peer_channels,
                      SkyControlRoute *out);

/* ---- Host -> client messages (the client parses them; the test host builds them with
 * tests/host/proto/control_host.h) ---- */

/* 0x0109 (BE32 HRESULT) or GFE's 0x0100 (LE16 reason, then extended is false). */
typedef struct SkyControlTermination {
    uint32_t code;
    bool extended;
} SkyControlTermination;

/* Codes with a known meaning. */
#define SKY_CONTROL_TERM_CLOSED 0x80030023u            /* the app quit or the host stopped */
#define SKY_CONTROL_TERM_PROTECTED_CONTENT 0x800e9302u /* GFE */
#define SKY_CONTROL_TERM_FRAME_CONVERSION 0x800e9403u  /* GFE */
#define SKY_CONTROL_TERM_SHORT_INTENDED 0x0100u        /* short form: ended on purpose */

/* 0x010e: u8 enabled, then (Sunshine) 13 LE16 metadata values in the order below, 27 bytes in
 * all. A payload of the flag alone (older hosts) gives has_metadata false and zero metadata;
 * one of 2 to 26 bytes is malformed. */
typedef struct SkyControlHdrMode {
    bool enabled;
    bool has_metadata;
    uint16_t primaries[3][2];  /* R, G, B as (x, y), normalised to 50000 */
    uint16_t white_point[2];   /* (x, y) */
    uint16_t max_display_luminance;         /* nits */
    uint16_t min_display_luminance;         /* 1/10000 nit */
    uint16_t max_content_light_level;       /* nits */
    uint16_t max_frame_average_light_level; /* nits */
    uint16_t max_full_frame_luminance;      /* nits */
} SkyControlHdrMode;
#define SKY_CONTROL_HDR_PAYLOAD_LEN 27

/* 0x010b: motor speeds stay until changed; 0/0 stops. */
typedef struct SkyControlRumble {
    uint16_t controller;
    uint16_t low_freq;
    uint16_t high_freq;
} SkyControlRumble;

/* 0x5500 */
typedef struct SkyControlTriggerRumble {
    uint16_t controller;
    uint16_t left;
    uint16_t right;
} SkyControlTriggerRumble;

/* 0x5501: report motion of this type at this rate; 0 Hz stops. */
typedef struct SkyControlMotionState {
    uint16_t controller;
    uint16_t report_rate_hz;
    uint8_t motion_type; /* 1 accelerometer, 2 gyroscope */
} SkyControlMotionState;

/* 0x5502 (host direction) */
typedef struct SkyControlLed {
    uint16_t controller;
    uint8_t r, g, b;
} SkyControlLed;

/* 0x5503: DualSense trigger effects (opaque 10-byte effect data per trigger). */
#define SKY_CONTROL_TRIGGER_EFFECT_LEN 10
#define SKY_CONTROL_TRIGGER_RIGHT 0x04
#define SKY_CONTROL_TRIGGER_LEFT 0x08
typedef struct SkyControlAdaptiveTriggers {
    uint16_t controller;
    uint8_t event_flags; /* SKY_CONTROL_TRIGGER_* */
    uint8_t type_left;
    uint8_t type_right;
    uint8_t left[SKY_CONTROL_TRIGGER_EFFECT_LEN];
    uint8_t right[SKY_CONTROL_TRIGGER_EFFECT_LEN];
} SkyControlAdaptiveTriggers;

typedef enum SkyControlHostKind {
    SKY_CONTROL_HOST_UNKNOWN,
    SKY_CONTROL_HOST_TERMINATION,
    SKY_CONTROL_HOST_HDR_MODE,
    SKY_CONTROL_HOST_RUMBLE,
    SKY_CONTROL_HOST_RUMBLE_TRIGGERS,
    SKY_CONTROL_HOST_MOTION_EVENT,
    SKY_CONTROL_HOST_SET_LED,
    SKY_CONTROL_HOST_ADAPTIVE_TRIGGERS,
} SkyControlHostKind;

typedef struct SkyControlHostMsg {
    SkyControlHostKind kind;
    uint16_t type;
    union {
        SkyControlTermination termination;
        SkyControlHdrMode hdr;
        SkyControlRumble rumble;
        SkyControlTriggerRumble trigger_rumble;
        SkyControlMotionState motion;
        SkyControlLed led;
        SkyControlAdaptiveTriggers adaptive;
        struct {
            const uint8_t *payload; /* points into the message */
            size_t len;
        } unknown;
    } u;
} SkyControlHostMsg;

/* Parses a message from the host (as sky_control_open or sky_control_plain_unwrap return it).
 * Returns 0 (kind UNKNOWN for a type we do not handle), or SKY_ERR(EBADMSG) for a malformed
 * message or a known type with a short payload; *out is then zeroed. */
int sky_control_parse_host(const uint8_t *msg, size_t len, SkyControlHostMsg *out);

/* ---- Why a stream ended, for users ---- */

typedef enum SkyControlEnd {
    SKY_CONTROL_END_GRACEFUL,          /* the app quit or the host stopped streaming */
    SKY_CONTROL_END_EARLY,             /* the host ended it before any video frame */
    SKY_CONTROL_END_PROTECTED_CONTENT, /* DRM-protected content on the host's screen */
    SKY_CONTROL_END_FRAME_CONVERSION,  /* the host's encoder could not convert a frame */
    SKY_CONTROL_END_NO_VIDEO_TRAFFIC,  /* (client side) no video datagram within 10 s */
    SKY_CONTROL_END_NO_VIDEO_FRAME,    /* (client side) datagrams, but no whole frame in 10 s */
    SKY_CONTROL_END_CONNECTION_LOST,   /* (client side) ENet disconnect or timeout, no message */
    SKY_CONTROL_END_HOST_CODE,         /* a code we do not know */
} SkyControlEnd;

/* Classifies a termination message. saw_video_frame: whether any video frame had arrived
 * (a "closed" code before the first frame means the host failed to start, not a normal end). */
SkyControlEnd sky_control_termination_end(const SkyControlTermination *t, bool saw_video_frame);
/* False only for SKY_CONTROL_END_GRACEFUL. */
bool sky_control_end_is_error(SkyControlEnd e);
/* A short stable name for logs and JSON ("graceful", "no_video_traffic", ...). Never NULL. */
const char *sky_control_end_name(SkyControlEnd e);
/* One sentence for users, NUL-terminated and cut to cap. code is shown for
 * SKY_CONTROL_END_HOST_CODE ("the host ended the stream (code 0x...)") and ignored otherwise. */
void sky_control_end_message(SkyControlEnd e, uint32_t code, char *out, size_t cap);

#endif

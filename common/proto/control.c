/* The GameStream control stream: framing, sealing, the client's messages and routes, and the
 * host's messages parsed (control.h). */
#include "common/proto/control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/bytes.h"
#include "common/core/crypto.h"
#include "common/proto/input.h"
#include "common/core/seq.h"

/* ---- Framing ---- */

static int finish(const SkyWriter *wr, size_t *out_len)
{
    if (wr->error)
        return SKY_ERR(E2BIG);
    *out_len = wr->pos;
    return 0;
}

/* Starts a message of a known payload length. */
static SkyWriter begin(uint16_t type, uint16_t payload_len, uint8_t *out, size_t cap)
{
    SkyWriter wr = sky_wr_init(out, cap);
    if (cap < (size_t)SKY_CONTROL_HEADER_LEN + payload_len)
        wr.error = true; /* nothing is written into a buffer that cannot hold it all */
    sky_wr_u16le(&wr, type);
    sky_wr_u16le(&wr, payload_len);
    return wr;
}

int sky_control_msg_build(uint16_t type, const uint8_t *payload, size_t len, uint8_t *out,
                          size_t cap, size_t *out_len)
{
    if (len > SKY_CONTROL_MAX_PAYLOAD)
        return SKY_ERR(EMSGSIZE);
    if (len && !payload)
        return SKY_ERR(EINVAL);
    SkyWriter wr = begin(type, (uint16_t)len, out, cap);
    sky_wr_bytes(&wr, payload, len);
    return finish(&wr, out_len);
}

int sky_control_msg_split(const uint8_t *msg, size_t len, SkyControlMsg *out)
{
    SkyReader rd = sky_rd_init(msg, len);
    uint16_t type, payload_len;
    if (!sky_rd_u16le(&rd, &type) || !sky_rd_u16le(&rd, &payload_len) ||
        payload_len != sky_rd_left(&rd))
        return SKY_ERR(EBADMSG);
    out->type = type;
    out->payload = payload_len ? msg + SKY_CONTROL_HEADER_LEN : NULL;
    out->payload_len = payload_len;
    return 0;
}

struct SkyControlCrypto {
    SkyGcm *gcm;
    uint64_t next_seq; /* past UINT32_MAX: exhausted */
    uint8_t self;      /* the sender letter we seal with */
    uint8_t peer;      /* the sender letter we open with */
};

int sky_control_crypto_create(SkyControlCrypto **out, const uint8_t key[SKY_CONTROL_KEY_LEN],
                              SkyControlSide self)
{
    int ret;
    *out = NULL;
    if (self != SKY_CONTROL_CLIENT && self != SKY_CONTROL_HOST)
        return SKY_ERR(EINVAL);
    SkyControlCrypto *c = calloc(1, sizeof(*c));
    if (!c)
        return SKY_ERR(ENOMEM);
    ret = sky_gcm_create(&c->gcm, key);
    if (ret < 0)
        goto fail;
    c->self = (uint8_t)self;
    c->peer = self == SKY_CONTROL_CLIENT ? SKY_CONTROL_HOST : SKY_CONTROL_CLIENT;
    *out = c;
    return 0;
fail:
    sky_control_crypto_destroy(&c);
    return ret;
}

void sky_control_crypto_destroy(SkyControlCrypto **pc)
{
    SkyControlCrypto *c = *pc;
    if (!c)
        return;
    sky_gcm_destroy(&c->gcm);
    free(c);
    *pc = NULL;
}

uint32_t sky_control_crypto_next_seq(const SkyControlCrypto *c)
{
    return (uint32_t)c->next_seq;
}

static void make_iv(uint8_t iv[12], uint32_t seq, uint8_t sender)
{
    memset(iv, 0, 12);
    iv[0] = (uint8_t)seq;
    iv[1] = (uint8_t)(seq >> 8);
    iv[2] = (uint8_t)(seq >> 16);
    iv[3] = (uint8_t)(seq >> 24);
    iv[10] = sender;
    iv[11] = 'C'; /* the control stream (RTSP uses 'R') */
}

int sky_control_seal_seq(SkyControlCrypto *c, uint32_t seq, const uint8_t *msg, size_t msg_len,
                         uint8_t *out, size_t cap, size_t *out_len)
{
    SkyControlMsg m;
    uint8_t iv[12];
    if (sky_control_msg_split(msg, msg_len, &m) < 0 || m.type == SKY_CONTROL_ENCRYPTED)
        return SKY_ERR(EBADMSG); /* the receiver would refuse a wrapper inside the wrapper */
    if (msg_len > SKY_CONTROL_MAX_MSG)
        return SKY_ERR(EMSGSIZE);
    if (cap < msg_len + SKY_CONTROL_ENC_OVERHEAD)
        return SKY_ERR(E2BIG);
    SkyWriter wr = sky_wr_init(out, cap);
    sky_wr_u16le(&wr, SKY_CONTROL_ENCRYPTED);
    sky_wr_u16le(&wr, (uint16_t)(4 + SKY_CONTROL_TAG_LEN + msg_len));
    sky_wr_u32le(&wr, seq);
    make_iv(iv, seq, c->self);
    int ret = sky_gcm_encrypt(c->gcm, iv, sizeof(iv), msg, msg_len,
                              out + SKY_CONTROL_ENC_OVERHEAD, out + 8);
    if (ret < 0)
        return ret;
    *out_len = SKY_CONTROL_ENC_OVERHEAD + msg_len;
    return 0;
}

int sky_control_seal(SkyControlCrypto *c, const uint8_t *msg, size_t msg_len, uint8_t *out,
                     size_t cap, size_t *out_len)
{
    if (c->next_seq > UINT32_MAX)
        return SKY_ERR(EOVERFLOW);
    int ret = sky_control_seal_seq(c, (uint32_t)c->next_seq, msg, msg_len, out, cap, out_len);
    if (ret == 0)
        c->next_seq++;
    return ret;
}

int sky_control_open(SkyControlCrypto *c, const uint8_t *in, size_t len, uint8_t *msg,
                     size_t cap, size_t *msg_len, uint32_t *seq)
{
    SkyReader rd = sky_rd_init(in, len);
    uint16_t marker, length;
    uint32_t s;
    const uint8_t *tag, *cipher;
    uint8_t iv[12];
    SkyControlMsg m;

    if (!sky_rd_u16le(&rd, &marker) || !sky_rd_u16le(&rd, &length))
        return SKY_ERR(EBADMSG);
    if (marker != SKY_CONTROL_ENCRYPTED || length < 4 + SKY_CONTROL_TAG_LEN + SKY_CONTROL_HEADER_LEN ||
        length != sky_rd_left(&rd))
        return SKY_ERR(EBADMSG);
    size_t plain_len = (size_t)length - 4 - SKY_CONTROL_TAG_LEN;
    if (!sky_rd_u32le(&rd, &s) || !sky_rd_view(&rd, &tag, SKY_CONTROL_TAG_LEN) ||
        !sky_rd_view(&rd, &cipher, plain_len))
        return SKY_ERR(EBADMSG); /* cannot happen after the length check; kept for the reader */
    if (plain_len > SKY_CONTROL_MAX_MSG)
        return SKY_ERR(EMSGSIZE);
    if (plain_len > cap)
        return SKY_ERR(E2BIG);

    make_iv(iv, s, c->peer);
    int ret = sky_gcm_decrypt(c->gcm, iv, sizeof(iv), cipher, plain_len, tag, msg);
    if (ret < 0) {
        sky_wipe(msg, plain_len);
        return ret == SKY_ERR(EBADMSG) ? SKY_CONTROL_ERR_AUTH : ret;
    }
    /* Authenticated, but the sender may still be broken: the inner header must agree. */
    if (sky_control_msg_split(msg, plain_len, &m) < 0 || m.type == SKY_CONTROL_ENCRYPTED) {
        sky_wipe(msg, plain_len);
        return SKY_ERR(EBADMSG);
    }
    *msg_len = plain_len;
    if (seq)
        *seq = s;
    return 0;
}

int sky_control_plain_wrap(const uint8_t *msg, size_t msg_len, uint8_t *out, size_t cap,
                           size_t *out_len)
{
    SkyControlMsg m;
    if (sky_control_msg_split(msg, msg_len, &m) < 0)
        return SKY_ERR(EBADMSG);
    if (m.payload_len > SKY_CONTROL_MAX_PAYLOAD)
        return SKY_ERR(EMSGSIZE);
    if (cap < 2 + m.payload_len)
        return SKY_ERR(E2BIG);
    SkyWriter wr = sky_wr_init(out, cap);
    sky_wr_u16le(&wr, m.type);
    sky_wr_bytes(&wr, m.payload, m.payload_len);
    return finish(&wr, out_len);
}

int sky_control_plain_unwrap(const uint8_t *in, size_t len, uint8_t *msg, size_t cap,
                             size_t *msg_len)
{
    SkyReader rd = sky_rd_init(in, len);
    uint16_t type;
    if (!sky_rd_u16le(&rd, &type))
        return SKY_ERR(EBADMSG);
    size_t payload_len = sky_rd_left(&rd);
    return sky_control_msg_build(type, payload_len ? in + 2 : NULL, payload_len, msg, cap,
                                 msg_len);
}

/* ---- Client -> host ---- */

int sky_control_build_idr_request(uint8_t *out, size_t cap, size_t *out_len)
{
    SkyWriter wr = begin(SKY_CONTROL_IDR_REQUEST, 2, out, cap);
    sky_wr_u16le(&wr, 0);
    return finish(&wr, out_len);
}

int sky_control_build_start_b(uint8_t *out, size_t cap, size_t *out_len)
{
    SkyWriter wr = begin(SKY_CONTROL_START_B, 1, out, cap);
    sky_wr_u8(&wr, 0);
    return finish(&wr, out_len);
}

int sky_control_build_ping(uint8_t *out, size_t cap, size_t *out_len)
{
    SkyWriter wr = begin(SKY_CONTROL_PING, 8, out, cap);
    sky_wr_u16le(&wr, 4);
    sky_wr_u32le(&wr, 0);
    sky_wr_u16le(&wr, 0);
    return finish(&wr, out_len);
}

int sky_control_build_rfi(uint32_t first_frame, uint32_t last_frame, uint8_t *out, size_t cap,
                          size_t *out_len)
{
    if (sky_seq32_before(last_frame, first_frame))
        return SKY_ERR(EINVAL);
    SkyWriter wr = begin(SKY_CONTROL_RFI, 24, out, cap);
    sky_wr_u64le(&wr, first_frame);
    sky_wr_u64le(&wr, last_frame);
    sky_wr_u64le(&wr, 0);
    return finish(&wr, out_len);
}

int sky_control_build_input(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap,
                            size_t *out_len)
{
    if (!pkt || !sky_input_well_formed(pkt, len))
        return SKY_ERR(EINVAL);
    return sky_control_msg_build(SKY_CONTROL_INPUT, pkt, len, out, cap, out_len);
}

#define FEC_STATUS_LEN 21

int sky_control_build_fec_status(const SkyControlFecStatus *s, uint8_t *out, size_t cap,
                                 size_t *out_len)
{
    SkyWriter wr = begin(SKY_CONTROL_FEC_STATUS, FEC_STATUS_LEN, out, cap);
    sky_wr_u32be(&wr, s->frame_index);
    sky_wr_u16be(&wr, s->highest_received_seq);
    sky_wr_u16be(&wr, s->next_contiguous_seq);
    sky_wr_u16be(&wr, s->missing_before_highest);
    sky_wr_u16be(&wr, s->total_data_packets);
    sky_wr_u16be(&wr, s->total_parity_packets);
    sky_wr_u16be(&wr, s->received_data_packets);
    sky_wr_u16be(&wr, s->received_parity_packets);
    sky_wr_u8(&wr, s->fec_percentage);
    sky_wr_u8(&wr, s->multi_fec_block_index);
    sky_wr_u8(&wr, s->multi_fec_block_count);
    return finish(&wr, out_len);
}

#define LOSS_STATS_INTERVAL_MS 50

int sky_control_build_loss_stats(uint64_t last_good_frame, uint8_t *out, size_t cap,
                                 size_t *out_len)
{
    SkyWriter wr = begin(SKY_CONTROL_LOSS_STATS, SKY_CONTROL_LOSS_STATS_LEN, out, cap);
    sky_wr_u32le(&wr, 0);
    sky_wr_u32le(&wr, LOSS_STATS_INTERVAL_MS);
    sky_wr_u32le(&wr, 1000);
    sky_wr_u64le(&wr, last_good_frame);
    sky_wr_u32le(&wr, 0);
    sky_wr_u32le(&wr, 0);
    sky_wr_u32le(&wr, 0x14);
    return finish(&wr, out_len);
}

/* ---- Routing ---- */

static uint8_t per_controller(uint8_t base, uint32_t controller)
{
    return controller < 16 ? (uint8_t)(base + controller) : SKY_CONTROL_CH_GENERIC;
}

static bool is_hover_or_move(uint8_t event_type)
{
    return event_type == SKY_TOUCH_HOVER || event_type == SKY_TOUCH_MOVE;
}

/* The route of an input packet; a packet too short to say goes reliably on channel 0. */
static SkyControlRoute input_route(const uint8_t *pkt, size_t len, unsigned hints)
{
    SkyControlRoute r = {SKY_CONTROL_CH_GENERIC, SKY_CONTROL_RELIABLE};
    SkyReader rd = sky_rd_init(pkt, len);
    uint32_t size, magic;
    uint16_t controller16;
    uint8_t b0 = 0, b1 = 0;
    if (!sky_rd_u32be(&rd, &size) || !sky_rd_u32le(&rd, &magic))
        return r;
    SkyReader body = rd;

    switch (magic) {
    case SKY_INPUT_KEY_DOWN:
    case SKY_INPUT_KEY_UP:
        r.channel = SKY_CONTROL_CH_KEYBOARD;
        break;
    case SKY_INPUT_UTF8:
        r.channel = SKY_CONTROL_CH_UTF8;
        break;
    case SKY_INPUT_MOUSE_ABS:
    case SKY_INPUT_MOUSE_REL:
    case SKY_INPUT_MOUSE_DOWN:
    case SKY_INPUT_MOUSE_UP:
    case SKY_INPUT_SCROLL:
    case SKY_INPUT_HSCROLL:
        r.channel = SKY_CONTROL_CH_MOUSE;
        break;
    case SKY_INPUT_MULTI_CONTROLLER:
        /* LE16 0x001A, then LE16 controller number */
        if (sky_rd_skip(&body, 2) && sky_rd_u16le(&body, &controller16))
            r.channel = per_controller(SKY_CONTROL_CH_GAMEPAD_BASE, controller16);
        break;
    case SKY_INPUT_HAPTICS:
        break;
    case SKY_INPUT_TOUCH:
        if (sky_rd_u8(&body, &b0)) {
            r.channel = SKY_CONTROL_CH_TOUCH;
            if (is_hover_or_move(b0))
                r.delivery = SKY_CONTROL_UNRELIABLE;
        }
        break;
    case SKY_INPUT_PEN:
        if (sky_rd_u8(&body, &b0)) {
            r.channel = SKY_CONTROL_CH_PEN;
            if (is_hover_or_move(b0) && !(hints & SKY_CONTROL_ROUTE_PEN_BUTTONS_CHANGED))
                r.delivery = SKY_CONTROL_UNRELIABLE;
        }
        break;
    case SKY_INPUT_CONTROLLER_ARRIVAL:
    case SKY_INPUT_CONTROLLER_BATTERY:
        if (sky_rd_u8(&body, &b0))
            r.channel = per_controller(SKY_CONTROL_CH_GAMEPAD_BASE, b0);
        break;
    case SKY_INPUT_CONTROLLER_TOUCH:
        if (sky_rd_u8(&body, &b0) && sky_rd_u8(&body, &b1)) {
            r.channel = per_controller(SKY_CONTROL_CH_GAMEPAD_BASE, b0);
            if (is_hover_or_move(b1))
                r.delivery = SKY_CONTROL_UNRELIABLE;
        }
        break;
    case SKY_INPUT_CONTROLLER_MOTION:
        /* controller, motion type, 2 zero bytes, LE float x, y, z */
        if (sky_rd_u8(&body, &b0) && sky_rd_u8(&body, &b1) && sky_rd_skip(&body, 2)) {
            float x = 0, y = 0, z = 0;
            if (!sky_rd_f32le(&body, &x) || !sky_rd_f32le(&body, &y) ||
                !sky_rd_f32le(&body, &z))
                break;
            r.channel = per_controller(SKY_CONTROL_CH_SENSOR_BASE, b0);
            /* A gyroscope at rest (0, 0, 0) must arrive, or the host keeps the last motion. */
            if (!(b1 == SKY_MOTION_GYRO && x == 0.0f && y == 0.0f && z == 0.0f))
                r.delivery = SKY_CONTROL_UNRELIABLE;
        }
        break;
    default:
        break;
    }
    return r;
}

int sky_control_route(const uint8_t *msg, size_t len, unsigned hints, uint32_t peer_channels,
                      SkyControlRoute *out)
{
    SkyControlMsg m;
    SkyControlRoute r = {SKY_CONTROL_CH_GENERIC, SKY_CONTROL_RELIABLE};
    if (sky_control_msg_split(msg, len, &m) < 0)
        return SKY_ERR(EBADMSG);
    switch (m.type) {
    case SKY_CONTROL_IDR_REQUEST:
        if (!(hints & SKY_CONTROL_ROUTE_STARTUP))
            r.channel = SKY_CONTROL_CH_URGENT;
        break;
    case SKY_CONTROL_RFI:
        r.channel = SKY_CONTROL_CH_URGENT;
        break;
    case SKY_CONTROL_FEC_STATUS:
        r.delivery = SKY_CONTROL_UNSEQUENCED;
        break;
    case SKY_CONTROL_INPUT:
        r = input_route(m.payload, m.payload_len, hints);
        break;
    default:
        break;
    }
    if (r.channel >= peer_channels)
        r.channel = SKY_CONTROL_CH_GENERIC;
    *out = r;
    return 0;
}

/* ---- Host -> client ---- */

static bool parse_termination(SkyReader *rd, SkyControlTermination *t)
{
    uint16_t reason;
    /* The length decides the form, whatever the type (moonlight-common-c does the same). */
    if (sky_rd_left(rd) >= 4) {
        t->extended = true;
        return sky_rd_u32be(rd, &t->code);
    }
    t->extended = false;
    if (!sky_rd_u16le(rd, &reason))
        return false;
    t->code = reason;
    return true;
}

static bool parse_hdr(SkyReader *rd, SkyControlHdrMode *h)
{
    uint8_t enabled;
    size_t left = sky_rd_left(rd);
    if (!sky_rd_u8(rd, &enabled))
        return false;
    h->enabled = enabled != 0;
    if (left == 1)
        return true; /* the flag alone */
    if (left < SKY_CONTROL_HDR_PAYLOAD_LEN)
        return false;
    for (int i = 0; i < 3; i++) {
        sky_rd_u16le(rd, &h->primaries[i][0]);
        sky_rd_u16le(rd, &h->primaries[i][1]);
    }
    sky_rd_u16le(rd, &h->white_point[0]);
    sky_rd_u16le(rd, &h->white_point[1]);
    sky_rd_u16le(rd, &h->max_display_luminance);
    sky_rd_u16le(rd, &h->min_display_luminance);
    sky_rd_u16le(rd, &h->max_content_light_level);
    sky_rd_u16le(rd, &h->max_frame_average_light_level);
    sky_rd_u16le(rd, &h->max_full_frame_luminance);
    h->has_metadata = !rd->error;
    return !rd->error;
}

int sky_control_parse_host(const uint8_t *msg, size_t len, SkyControlHostMsg *out)
{
    SkyControlMsg m;
    memset(out, 0, sizeof(*out));
    if (sky_control_msg_split(msg, len, &m) < 0)
        return SKY_ERR(EBADMSG);
    SkyReader rd = sky_rd_init(m.payload, m.payload_len);
    bool ok = true;
    out->type = m.type;

    switch (m.type) {
    case SKY_CONTROL_TERMINATION:
    case SKY_CONTROL_TERMINATION_SHORT:
        out->kind = SKY_CONTROL_HOST_TERMINATION;
        ok = parse_termination(&rd, &out->u.termination);
        break;
    case SKY_CONTROL_HDR_MODE:
        out->kind = SKY_CONTROL_HOST_HDR_MODE;
        ok = parse_hdr(&rd, &out->u.hdr);
        break;
    case SKY_CONTROL_RUMBLE:
        out->kind = SKY_CONTROL_HOST_RUMBLE;
        ok = sky_rd_skip(&rd, 4) && sky_rd_u16le(&rd, &out->u.rumble.controller) &&
             sky_rd_u16le(&rd, &out->u.rumble.low_freq) &&
             sky_rd_u16le(&rd, &out->u.rumble.high_freq);
        break;
    case SKY_CONTROL_RUMBLE_TRIGGERS:
        out->kind = SKY_CONTROL_HOST_RUMBLE_TRIGGERS;
        ok = sky_rd_u16le(&rd, &out->u.trigger_rumble.controller) &&
             sky_rd_u16le(&rd, &out->u.trigger_rumble.left) &&
             sky_rd_u16le(&rd, &out->u.trigger_rumble.right);
        break;
    case SKY_CONTROL_MOTION_EVENT:
        out->kind = SKY_CONTROL_HOST_MOTION_EVENT;
        ok = sky_rd_u16le(&rd, &out->u.motion.controller) &&
             sky_rd_u16le(&rd, &out->u.motion.report_rate_hz) &&
             sky_rd_u8(&rd, &out->u.motion.motion_type);
        break;
    case SKY_CONTROL_SET_LED:
        out->kind = SKY_CONTROL_HOST_SET_LED;
        ok = sky_rd_u16le(&rd, &out->u.led.controller) && sky_rd_u8(&rd, &out->u.led.r) &&
             sky_rd_u8(&rd, &out->u.led.g) && sky_rd_u8(&rd, &out->u.led.b);
        break;
    case SKY_CONTROL_ADAPTIVE_TRIGGERS: {
        SkyControlAdaptiveTriggers *a = &out->u.adaptive;
        out->kind = SKY_CONTROL_HOST_ADAPTIVE_TRIGGERS;
        ok = sky_rd_u16le(&rd, &a->controller) && sky_rd_u8(&rd, &a->event_flags) &&
             sky_rd_u8(&rd, &a->type_left) && sky_rd_u8(&rd, &a->type_right) &&
             sky_rd_bytes(&rd, a->left, sizeof(a->left)) &&
             sky_rd_bytes(&rd, a->right, sizeof(a->right));
        break;
    }
    default:
        out->kind = SKY_CONTROL_HOST_UNKNOWN;
        out->u.unknown.payload = m.payload;
        out->u.unknown.len = m.payload_len;
        break;
    }
    if (!ok) {
        memset(out, 0, sizeof(*out));
        return SKY_ERR(EBADMSG);
    }
    return 0;
}

/* ---- Why a stream ended ---- */

SkyControlEnd sky_control_termination_end(const SkyControlTermination *t, bool saw_video_frame)
{
    SkyControlEnd closed = saw_video_frame ? SKY_CONTROL_END_GRACEFUL : SKY_CONTROL_END_EARLY;
    if (!t->extended)
        return t->code == SKY_CONTROL_TERM_SHORT_INTENDED ? closed : SKY_CONTROL_END_HOST_CODE;
    switch (t->code) {
    case SKY_CONTROL_TERM_CLOSED:
        return closed;
    case SKY_CONTROL_TERM_PROTECTED_CONTENT:
        return SKY_CONTROL_END_PROTECTED_CONTENT;
    case SKY_CONTROL_TERM_FRAME_CONVERSION:
        return SKY_CONTROL_END_FRAME_CONVERSION;
    default:
        return SKY_CONTROL_END_HOST_CODE;
    }
}

bool sky_control_end_is_error(SkyControlEnd e)
{
    return e != SKY_CONTROL_END_GRACEFUL;
}

const char *sky_control_end_name(SkyControlEnd e)
{
    switch (e) {
    case SKY_CONTROL_END_GRACEFUL: return "graceful";
    case SKY_CONTROL_END_EARLY: return "early_termination";
    case SKY_CONTROL_END_PROTECTED_CONTENT: return "protected_content";
    case SKY_CONTROL_END_FRAME_CONVERSION: return "frame_conversion";
    case SKY_CONTROL_END_NO_VIDEO_TRAFFIC: return "no_video_traffic";
    case SKY_CONTROL_END_NO_VIDEO_FRAME: return "no_video_frame";
    case SKY_CONTROL_END_CONNECTION_LOST: return "connection_lost";
    case SKY_CONTROL_END_HOST_CODE: return "host_code";
    }
    return "unknown";
}

void sky_control_end_message(SkyControlEnd e, uint32_t code, char *out, size_t cap)
{
    const char *text = NULL;
    if (!out || cap == 0)
        return;
    switch (e) {
    case SKY_CONTROL_END_GRACEFUL:
        text = "The host ended the stream: the app on the host quit or the host stopped "
               "streaming.";
        break;
    case SKY_CONTROL_END_EARLY:
        text = "The host ended the stream before any video arrived: it could not capture or "
               "encode its screen (protected content on the host's screen can cause this).";
        break;
    case SKY_CONTROL_END_PROTECTED_CONTENT:
        text = "The host stopped the stream because protected (DRM) content is on its screen.";
        break;
    case SKY_CONTROL_END_FRAME_CONVERSION:
        text = "The host's video encoder could not convert a captured frame; try another "
               "resolution, or turn HDR off on the host.";
        break;
    case SKY_CONTROL_END_NO_VIDEO_TRAFFIC:
        text = "No video reached this computer; check that a firewall does not block UDP port "
               "47998 from the host.";
        break;
    case SKY_CONTROL_END_NO_VIDEO_FRAME:
        text = "Video arrived but no whole frame could be rebuilt; the network loses too much, "
               "try a lower bitrate.";
        break;
    case SKY_CONTROL_END_CONNECTION_LOST:
        text = "The connection to the host was lost.";
        break;
    case SKY_CONTROL_END_HOST_CODE:
        break;
    }
    if (text)
        snprintf(out, cap, "%s", text);
    else
        snprintf(out, cap, "The host ended the stream (code 0x%08x).", (unsigned)code);
}

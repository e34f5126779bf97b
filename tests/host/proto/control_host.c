/* The host side of the GameStream control stream, for the test host: client messages parsed,
 * host messages built (control_host.h). */
#include "tests/host/proto/control_host.h"

#include <string.h>

#include "common/core/bytes.h"
#include "common/core/error.h"
#include "common/proto/input.h"

#define RUMBLE_FILLER 0x00C0FFEEu /* what Sunshine writes in the rumble message's unused word */
/* The longest payload built here (adaptive triggers: 25 bytes). */
#define MAX_HOST_PAYLOAD 32

_Static_assert(SKY_CONTROL_HDR_PAYLOAD_LEN <= MAX_HOST_PAYLOAD, "HDR payload does not fit");
_Static_assert(5 + 2 * SKY_CONTROL_TRIGGER_EFFECT_LEN <= MAX_HOST_PAYLOAD,
               "adaptive trigger payload does not fit");

/* Wraps the payload written into wr into a message of `type`. */
static int build(uint16_t type, const SkyWriter *wr, uint8_t *out, size_t cap, size_t *out_len)
{
    SKY_ASSERT(!wr->error);
    return sky_control_msg_build(type, wr->data, wr->pos, out, cap, out_len);
}

int sky_control_parse_client(const uint8_t *msg, size_t len, SkyControlClientMsg *out)
{
    SkyControlMsg m;
    memset(out, 0, sizeof(*out));
    if (sky_control_msg_split(msg, len, &m) < 0)
        return SKY_ERR(EBADMSG);
    SkyReader rd = sky_rd_init(m.payload, m.payload_len);
    bool ok = true;
    out->type = m.type;

    switch (m.type) {
    /* The host ignores the content of these four; any length will do. */
    case SKY_CONTROL_IDR_REQUEST:
        out->kind = SKY_CONTROL_CLIENT_IDR_REQUEST;
        break;
    case SKY_CONTROL_START_A_GEN5:
        out->kind = SKY_CONTROL_CLIENT_START_A;
        break;
    case SKY_CONTROL_START_B:
        out->kind = SKY_CONTROL_CLIENT_START_B;
        break;
    case SKY_CONTROL_PING:
        out->kind = SKY_CONTROL_CLIENT_PING;
        break;
    case SKY_CONTROL_RFI:
        out->kind = SKY_CONTROL_CLIENT_RFI;
        ok = sky_rd_u64le(&rd, &out->u.rfi.first_frame) &&
             sky_rd_u64le(&rd, &out->u.rfi.last_frame) &&
             out->u.rfi.first_frame <= out->u.rfi.last_frame;
        break;
    case SKY_CONTROL_INPUT:
        out->kind = SKY_CONTROL_CLIENT_INPUT;
        ok = sky_input_well_formed(m.payload, m.payload_len);
        out->u.input.data = m.payload;
        out->u.input.len = m.payload_len;
        break;
    case SKY_CONTROL_FEC_STATUS: {
        SkyControlFecStatus *s = &out->u.fec;
        out->kind = SKY_CONTROL_CLIENT_FEC_STATUS;
        ok = sky_rd_u32be(&rd, &s->frame_index) && sky_rd_u16be(&rd, &s->highest_received_seq) &&
             sky_rd_u16be(&rd, &s->next_contiguous_seq) &&
             sky_rd_u16be(&rd, &s->missing_before_highest) &&
             sky_rd_u16be(&rd, &s->total_data_packets) &&
             sky_rd_u16be(&rd, &s->total_parity_packets) &&
             sky_rd_u16be(&rd, &s->received_data_packets) &&
             sky_rd_u16be(&rd, &s->received_parity_packets) &&
             sky_rd_u8(&rd, &s->fec_percentage) && sky_rd_u8(&rd, &s->multi_fec_block_index) &&
             sky_rd_u8(&rd, &s->multi_fec_block_count);
        break;
    }
    case SKY_CONTROL_LOSS_STATS:
        out->kind = SKY_CONTROL_CLIENT_LOSS_STATS;
        ok = m.payload_len >= SKY_CONTROL_LOSS_STATS_LEN && sky_rd_skip(&rd, 4) &&
             sky_rd_u32le(&rd, &out->u.loss.interval_ms) && sky_rd_skip(&rd, 4) &&
             sky_rd_u64le(&rd, &out->u.loss.last_good_frame);
        break;
    default:
        out->kind = SKY_CONTROL_CLIENT_UNKNOWN;
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

int sky_control_build_termination(uint32_t code, uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t payload[MAX_HOST_PAYLOAD];
    SkyWriter wr = sky_wr_init(payload, sizeof(payload));
    sky_wr_u32be(&wr, code);
    return build(SKY_CONTROL_TERMINATION, &wr, out, cap, out_len);
}

int sky_control_build_hdr_mode(const SkyControlHdrMode *h, uint8_t *out, size_t cap,
                               size_t *out_len)
{
    uint8_t payload[MAX_HOST_PAYLOAD];
    SkyWriter wr = sky_wr_init(payload, sizeof(payload));
    sky_wr_u8(&wr, h->enabled ? 1 : 0);
    for (int i = 0; i < 3; i++) {
        sky_wr_u16le(&wr, h->primaries[i][0]);
        sky_wr_u16le(&wr, h->primaries[i][1]);
    }
    sky_wr_u16le(&wr, h->white_point[0]);
    sky_wr_u16le(&wr, h->white_point[1]);
    sky_wr_u16le(&wr, h->max_display_luminance);
    sky_wr_u16le(&wr, h->min_display_luminance);
    sky_wr_u16le(&wr, h->max_content_light_level);
    sky_wr_u16le(&wr, h->max_frame_average_light_level);
    sky_wr_u16le(&wr, h->max_full_frame_luminance);
    return build(SKY_CONTROL_HDR_MODE, &wr, out, cap, out_len);
}

int sky_control_build_rumble(const SkyControlRumble *r, uint8_t *out, size_t cap,
                             size_t *out_len)
{
    uint8_t payload[MAX_HOST_PAYLOAD];
    SkyWriter wr = sky_wr_init(payload, sizeof(payload));
    sky_wr_u32le(&wr, RUMBLE_FILLER);
    sky_wr_u16le(&wr, r->controller);
    sky_wr_u16le(&wr, r->low_freq);
    sky_wr_u16le(&wr, r->high_freq);
    return build(SKY_CONTROL_RUMBLE, &wr, out, cap, out_len);
}

int sky_control_build_rumble_triggers(const SkyControlTriggerRumble *r, uint8_t *out, size_t cap,
                                      size_t *out_len)
{
    uint8_t payload[MAX_HOST_PAYLOAD];
    SkyWriter wr = sky_wr_init(payload, sizeof(payload));
    sky_wr_u16le(&wr, r->controller);
    sky_wr_u16le(&wr, r->left);
    sky_wr_u16le(&wr, r->right);
    return build(SKY_CONTROL_RUMBLE_TRIGGERS, &wr, out, cap, out_len);
}

int sky_control_build_motion_event(const SkyControlMotionState *m, uint8_t *out, size_t cap,
                                   size_t *out_len)
{
    uint8_t payload[MAX_HOST_PAYLOAD];
    SkyWriter wr = sky_wr_init(payload, sizeof(payload));
    sky_wr_u16le(&wr, m->controller);
    sky_wr_u16le(&wr, m->report_rate_hz);
    sky_wr_u8(&wr, m->motion_type);
    return build(SKY_CONTROL_MOTION_EVENT, &wr, out, cap, out_len);
}

int sky_control_build_set_led(const SkyControlLed *l, uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t payload[MAX_HOST_PAYLOAD];
    SkyWriter wr = sky_wr_init(payload, sizeof(payload));
    sky_wr_u16le(&wr, l->controller);
    sky_wr_u8(&wr, l->r);
    sky_wr_u8(&wr, l->g);
    sky_wr_u8(&wr, l->b);
    return build(SKY_CONTROL_SET_LED, &wr, out, cap, out_len);
}

int sky_control_build_adaptive_triggers(const SkyControlAdaptiveTriggers *a, uint8_t *out,
                                        size_t cap, size_t *out_len)
{
    uint8_t payload[MAX_HOST_PAYLOAD];
    SkyWriter wr = sky_wr_init(payload, sizeof(payload));
    sky_wr_u16le(&wr, a->controller);
    sky_wr_u8(&wr, a->event_flags);
    sky_wr_u8(&wr, a->type_left);
    sky_wr_u8(&wr, a->type_right);
    sky_wr_bytes(&wr, a->left, sizeof(a->left));
    sky_wr_bytes(&wr, a->right, sizeof(a->right));
    return build(SKY_CONTROL_ADAPTIVE_TRIGGERS, &wr, out, cap, out_len);
}

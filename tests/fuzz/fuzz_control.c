/* Fuzzes the control stream: opening sealed packets, the client's parser of host messages, the
 * host's parser of client messages, the router and the unencrypted framing. The first byte
 * picks what the rest is. Whatever a parser accepts must survive a seal/open round trip and be
 * rebuilt by our own builders into a message the parser reads the same way. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/proto/control.h"
#include "common/core/error.h"
#include "tests/host/proto/control_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SkyControlCrypto *client_side, *host_side;

static void setup(void)
{
    static const uint8_t key[16] = {0xb1, 0x5e, 0x61, 0xc6, 0x4f, 0x69, 0x58, 0xd3,
                                    0x8a, 0x25, 0x3a, 0xd5, 0x2e, 0x27, 0x02, 0x37};
    if (client_side)
        return;
    SKY_ASSERT(sky_control_crypto_create(&client_side, key, SKY_CONTROL_CLIENT) == 0);
    SKY_ASSERT(sky_control_crypto_create(&host_side, key, SKY_CONTROL_HOST) == 0);
}

/* A message that parsed must survive being sealed by its sender and opened by its receiver. */
static void round_trip(SkyControlCrypto *sender, SkyControlCrypto *receiver, const uint8_t *msg,
                       size_t len)
{
    static uint8_t wire[SKY_CONTROL_MAX_WIRE], back[SKY_CONTROL_MAX_MSG];
    size_t wire_len = 0, back_len = 0;
    int ret = sky_control_seal_seq(sender, (uint32_t)len * 2654435761u, msg, len, wire,
                                   sizeof(wire), &wire_len);
    if (len >= 2 && msg[0] == 0x01 && msg[1] == 0x00) {
        SKY_ASSERT(ret == SKY_ERR(EBADMSG)); /* never a wrapper inside the wrapper */
        return;
    }
    if (len > SKY_CONTROL_MAX_MSG) {
        SKY_ASSERT(ret == SKY_ERR(EMSGSIZE));
        return;
    }
    SKY_ASSERT(ret == 0 && wire_len == len + SKY_CONTROL_ENC_OVERHEAD);
    SKY_ASSERT(sky_control_open(receiver, wire, wire_len, back, sizeof(back), &back_len, NULL) ==
               0);
    SKY_ASSERT(back_len == len && memcmp(back, msg, len) == 0);
    wire[wire_len - 1] ^= 0x80;
    SKY_ASSERT(sky_control_open(receiver, wire, wire_len, back, sizeof(back), &back_len, NULL) ==
               SKY_CONTROL_ERR_AUTH);
}

static void rebuild_host(const SkyControlHostMsg *h)
{
    uint8_t msg[64];
    size_t len = 0;
    int ret;
    SkyControlHostMsg again;
    switch (h->kind) {
    case SKY_CONTROL_HOST_TERMINATION:
        if (!h->u.termination.extended)
            return; /* we only build the extended form */
        ret = sky_control_build_termination(h->u.termination.code, msg, sizeof(msg), &len);
        break;
    case SKY_CONTROL_HOST_HDR_MODE:
        ret = sky_control_build_hdr_mode(&h->u.hdr, msg, sizeof(msg), &len);
        break;
    case SKY_CONTROL_HOST_RUMBLE:
        ret = sky_control_build_rumble(&h->u.rumble, msg, sizeof(msg), &len);
        break;
    case SKY_CONTROL_HOST_RUMBLE_TRIGGERS:
        ret = sky_control_build_rumble_triggers(&h->u.trigger_rumble, msg, sizeof(msg), &len);
        break;
    case SKY_CONTROL_HOST_MOTION_EVENT:
        ret = sky_control_build_motion_event(&h->u.motion, msg, sizeof(msg), &len);
        break;
    case SKY_CONTROL_HOST_SET_LED:
        ret = sky_control_build_set_led(&h->u.led, msg, sizeof(msg), &len);
        break;
    case SKY_CONTROL_HOST_ADAPTIVE_TRIGGERS:
        ret = sky_control_build_adaptive_triggers(&h->u.adaptive, msg, sizeof(msg), &len);
        break;
    default:
        return;
    }
    SKY_ASSERT(ret == 0);
    SKY_ASSERT(sky_control_parse_host(msg, len, &again) == 0 && again.kind == h->kind);
    switch (h->kind) {
    case SKY_CONTROL_HOST_TERMINATION:
        SKY_ASSERT(again.u.termination.code == h->u.termination.code);
        break;
    case SKY_CONTROL_HOST_HDR_MODE:
        SKY_ASSERT(again.u.hdr.enabled == h->u.hdr.enabled);
        SKY_ASSERT(again.u.hdr.max_full_frame_luminance == h->u.hdr.max_full_frame_luminance);
        break;
    case SKY_CONTROL_HOST_RUMBLE:
        SKY_ASSERT(memcmp(&again.u.rumble, &h->u.rumble, sizeof(h->u.rumble)) == 0);
        break;
    case SKY_CONTROL_HOST_ADAPTIVE_TRIGGERS:
        SKY_ASSERT(memcmp(again.u.adaptive.right, h->u.adaptive.right,
                          sizeof(h->u.adaptive.right)) == 0);
        break;
    default:
        break;
    }
}

static void host_message(const uint8_t *msg, size_t len)
{
    SkyControlHostMsg h;
    if (sky_control_parse_host(msg, len, &h) < 0) {
        SKY_ASSERT(h.kind == SKY_CONTROL_HOST_UNKNOWN);
        return;
    }
    if (h.kind == SKY_CONTROL_HOST_UNKNOWN)
        SKY_ASSERT(h.u.unknown.len == len - SKY_CONTROL_HEADER_LEN);
    if (h.kind == SKY_CONTROL_HOST_TERMINATION) {
        char text[128];
        SkyControlEnd e = sky_control_termination_end(&h.u.termination, len & 1);
        sky_control_end_message(e, h.u.termination.code, text, sizeof(text));
        SKY_ASSERT(strlen(text) > 0 && strlen(text) < sizeof(text));
    }
    rebuild_host(&h);
    round_trip(host_side, client_side, msg, len);
}

static void client_message(const uint8_t *msg, size_t len, unsigned hints)
{
    SkyControlClientMsg c;
    SkyControlRoute r;
    if (sky_control_parse_client(msg, len, &c) < 0) {
        SKY_ASSERT(c.kind == SKY_CONTROL_CLIENT_UNKNOWN);
        return;
    }
    SKY_ASSERT(sky_control_route(msg, len, hints, SKY_CONTROL_CHANNELS, &r) == 0);
    SKY_ASSERT(r.channel < SKY_CONTROL_CHANNELS);
    SKY_ASSERT(sky_control_route(msg, len, hints, 1, &r) == 0 && r.channel == 0);
    if (c.kind == SKY_CONTROL_CLIENT_INPUT && c.u.input.len <= SKY_CONTROL_MAX_PAYLOAD) {
        uint8_t again[SKY_CONTROL_MAX_MSG];
        size_t again_len = 0;
        SKY_ASSERT(sky_control_build_input(c.u.input.data, c.u.input.len, again, sizeof(again),
                                           &again_len) == 0);
        SKY_ASSERT(again_len == len && memcmp(again, msg, len) == 0);
    }
    if (c.kind == SKY_CONTROL_CLIENT_RFI)
        SKY_ASSERT(c.u.rfi.first_frame <= c.u.rfi.last_frame);
    round_trip(client_side, host_side, msg, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t msg[SKY_CONTROL_MAX_MSG];
    size_t msg_len = 0;
    if (size < 1)
        return 0;
    setup();
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    switch (data[0] % 4) {
    case 0: /* a sealed packet from the host, as the client receives it */
        if (sky_control_open(client_side, body, len, msg, sizeof(msg), &msg_len, NULL) == 0)
            host_message(msg, msg_len);
        break;
    case 1: /* a decrypted message from the host */
        host_message(body, len);
        break;
    case 2: /* a decrypted message from a client, as the test host receives it */
        client_message(body, len, data[0] >> 6);
        break;
    case 3: /* the unencrypted framing, either direction */
        if (sky_control_plain_unwrap(body, len, msg, sizeof(msg), &msg_len) == 0) {
            uint8_t wire[SKY_CONTROL_MAX_MSG];
            size_t wire_len = 0;
            SKY_ASSERT(sky_control_plain_wrap(msg, msg_len, wire, sizeof(wire), &wire_len) == 0);
            SKY_ASSERT(wire_len == len && memcmp(wire, body, len) == 0);
            host_message(msg, msg_len);
            client_message(msg, msg_len, 0);
        }
        break;
    }
    return 0;
}

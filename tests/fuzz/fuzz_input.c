/* Fuzzes the input-related messages: the host's gamepad feedback as the client parses it
 * (rumble, trigger rumble, motion requests, LED colour, adaptive triggers: whatever parses must
 * be rebuilt by our builders into a message that parses the same), and input packets as a host
 * parses them (the test host's log: whatever parses must format, and rebuild byte for byte
 * where the layout has no padding we ignore). The first byte picks which. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/proto/control.h"
#include "common/core/error.h"
#include "common/proto/input.h"
#include "tests/host/proto/control_host.h"
#include "tests/host/proto/input_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void host_message(const uint8_t *msg, size_t len)
{
    SkyControlHostMsg m, again;
    if (sky_control_parse_host(msg, len, &m) < 0)
        return;
    uint8_t out[SKY_CONTROL_MAX_MSG];
    size_t n = 0;
    int ret;
    switch (m.kind) {
    case SKY_CONTROL_HOST_RUMBLE:
        ret = sky_control_build_rumble(&m.u.rumble, out, sizeof(out), &n);
        break;
    case SKY_CONTROL_HOST_RUMBLE_TRIGGERS:
        ret = sky_control_build_rumble_triggers(&m.u.trigger_rumble, out, sizeof(out), &n);
        break;
    case SKY_CONTROL_HOST_MOTION_EVENT:
        ret = sky_control_build_motion_event(&m.u.motion, out, sizeof(out), &n);
        break;
    case SKY_CONTROL_HOST_SET_LED:
        ret = sky_control_build_set_led(&m.u.led, out, sizeof(out), &n);
        break;
    case SKY_CONTROL_HOST_ADAPTIVE_TRIGGERS:
        ret = sky_control_build_adaptive_triggers(&m.u.adaptive, out, sizeof(out), &n);
        break;
    default:
        return;
    }
    SKY_ASSERT(ret == 0);
    SKY_ASSERT(sky_control_parse_host(out, n, &again) == 0 && again.kind == m.kind);
    SKY_ASSERT(memcmp(&again.u, &m.u, sizeof(m.u)) == 0);
}

static void input_packet(const uint8_t *pkt, size_t len)
{
    SkyInputPacket p, again;
    char text[256];
    if (sky_input_parse(pkt, len, &p) < 0) {
        SKY_ASSERT(p.kind == SKY_IN_UNKNOWN);
        return;
    }
    SKY_ASSERT(sky_input_format(&p, text, sizeof(text)));
    SKY_ASSERT(strlen(text) < sizeof(text));
    if (p.kind == SKY_IN_UNKNOWN)
        return;
    uint8_t out[SKY_INPUT_MAX_PACKET];
    size_t n = 0;
    int ret = sky_input_build(&p, out, sizeof(out), &n);
    if (ret == SKY_ERR(EINVAL))
        return; /* parsed but not ours to build (a NaN float, a motion type we do not send) */
    SKY_ASSERT(ret == 0);
    SKY_ASSERT(sky_input_parse(out, n, &again) == 0 && again.kind == p.kind);
    uint8_t out2[SKY_INPUT_MAX_PACKET];
    size_t n2 = 0;
    SKY_ASSERT(sky_input_build(&again, out2, sizeof(out2), &n2) == 0);
    SKY_ASSERT(n2 == n && memcmp(out, out2, n) == 0); /* our bytes are a fixed point */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        host_message(data + 1, size - 1);
    else
        input_packet(data + 1, size - 1);
    return 0;
}

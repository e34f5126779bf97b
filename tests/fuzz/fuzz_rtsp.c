/* Fuzzes the RTSP message layer: the reply parser (client side), the request parser (host
 * side), every accessor on what they accept, and the encrypted framing (unseal of arbitrary
 * bytes in both directions, and seal/unseal round trips of arbitrary text). The first byte picks
 * the target. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/proto/rtsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool clean(SkyRtspStr s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] == '\r' || s.p[i] == '\n' || s.p[i] == '\0')
            return false;
    return true;
}

/* Everything a parsed message points at lies inside the input and holds no line breaks. */
static void check_msg(const SkyRtspMsg *m, const char *buf, size_t len)
{
    SKY_ASSERT(m->n_headers <= SKY_RTSP_MAX_HEADERS);
    for (size_t i = 0; i < m->n_headers; i++) {
        SKY_ASSERT(m->headers[i].name.len > 0 && clean(m->headers[i].name));
        SKY_ASSERT(clean(m->headers[i].value));
        SKY_ASSERT(m->headers[i].value.p >= buf &&
                   m->headers[i].value.p + m->headers[i].value.len <= buf + len);
    }
    if (m->body_len)
        SKY_ASSERT(m->body >= buf && m->body + m->body_len <= buf + len);
    uint32_t u;
    uint16_t port;
    size_t cl;
    char s[64];
    char pp[SKY_RTSP_PING_PAYLOAD_LEN + 1];
    (void)sky_rtsp_cseq(m, &u);
    (void)sky_rtsp_connect_data(m, &u);
    if (sky_rtsp_server_port(m, &port) == 0)
        SKY_ASSERT(port > 0);
    if (sky_rtsp_session(m, s, sizeof(s)) == 0)
        SKY_ASSERT(s[0] && !strchr(s, ';'));
    if (sky_rtsp_ping_payload(m, pp) == 0)
        SKY_ASSERT(strlen(pp) == SKY_RTSP_PING_PAYLOAD_LEN);
    if (sky_rtsp_content_length(m, &cl) == 0)
        SKY_ASSERT(cl <= SKY_RTSP_MAX_MESSAGE);
}

static SkyGcm *gcm(void)
{
    static SkyGcm *g;
    if (!g) {
        static const uint8_t key[16] = {0xb1, 0x5e, 0x61, 0xc6, 0x4f, 0x69, 0x58, 0xd3,
                                        0x8a, 0x25, 0x3a, 0xd5, 0x2e, 0x27, 0x02, 0x37};
        SKY_ASSERT(sky_gcm_create(&g, key) == 0);
    }
    return g;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    static SkyRtspMsg m;
    static uint8_t out[SKY_RTSP_MAX_MESSAGE + 64];
    switch (data[0] % 4) {
    case 0:
        if (sky_rtsp_parse_response(buf, len, &m) == 0) {
            SKY_ASSERT(!m.is_request && m.status >= 100 && m.status <= 599);
            check_msg(&m, buf, len);
        }
        break;
    case 1: {
        size_t used;
        if (sky_rtsp_parse_request(buf, len, &m, &used) == 0) {
            SKY_ASSERT(m.is_request && used <= len && m.method.len && m.target.len);
            SKY_ASSERT(m.body_len == 0 || m.body + m.body_len == buf + used);
            check_msg(&m, buf, used);
        }
        break;
    }
    case 2: {
        /* Arbitrary bytes as a received frame, both directions; then, if it opened, as text. */
        size_t n;
        uint32_t seq;
        size_t fl;
        int fret = sky_rtsp_frame_len(buf, len, &fl);
        for (int d = 0; d < 2; d++) {
            int ret = sky_rtsp_unseal(gcm(), d ? SKY_RTSP_FROM_HOST : SKY_RTSP_FROM_CLIENT, buf,
                                      len, out, sizeof(out), &n, &seq);
            if (ret == 0)
                SKY_ASSERT(fret == 0 && fl == len && n + SKY_RTSP_ENC_HEADER_LEN == len);
            else
                SKY_ASSERT(n == 0);
            if (fret == 0 && len < fl)
                SKY_ASSERT(ret == SKY_ERR(EAGAIN));
        }
        break;
    }
    case 3: {
        /* Seal arbitrary text, open it again, then check a truncated and a tampered copy fail. */
        if (len == 0 || len > 4096)
            break;
        static uint8_t frame[4096 + SKY_RTSP_ENC_HEADER_LEN + 1];
        uint32_t seq = len > 4 ? (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
                                     (uint32_t)data[3] << 8 | data[4]
                               : 0;
        SkyWriter wr = sky_wr_init(frame, sizeof(frame) - 1);
        SKY_ASSERT(sky_rtsp_seal(gcm(), SKY_RTSP_FROM_CLIENT, seq, buf, len, &wr) == 0);
        SKY_ASSERT(wr.pos == len + SKY_RTSP_ENC_HEADER_LEN);
        size_t n;
        uint32_t got;
        SKY_ASSERT(sky_rtsp_unseal(gcm(), SKY_RTSP_FROM_CLIENT, frame, wr.pos, out, sizeof(out),
                                   &n, &got) == 0);
        SKY_ASSERT(n == len && got == seq && memcmp(out, buf, len) == 0);
        SKY_ASSERT(sky_rtsp_unseal(gcm(), SKY_RTSP_FROM_HOST, frame, wr.pos, out, sizeof(out),
                                   &n, NULL) == SKY_ERR(EBADMSG));
        SKY_ASSERT(sky_rtsp_unseal(gcm(), SKY_RTSP_FROM_CLIENT, frame, wr.pos - 1, out,
                                   sizeof(out), &n, NULL) == SKY_ERR(EAGAIN));
        frame[wr.pos] = 0;
        SKY_ASSERT(sky_rtsp_unseal(gcm(), SKY_RTSP_FROM_CLIENT, frame, wr.pos + 1, out,
                                   sizeof(out), &n, NULL) == SKY_ERR(EMSGSIZE));
        frame[SKY_RTSP_ENC_HEADER_LEN + (seq % len)] ^= 0x01;
        SKY_ASSERT(sky_rtsp_unseal(gcm(), SKY_RTSP_FROM_CLIENT, frame, wr.pos, out, sizeof(out),
                                   &n, NULL) == SKY_ERR(EBADMSG));
        break;
    }
    }
    return 0;
}

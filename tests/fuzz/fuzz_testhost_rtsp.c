/* Fuzzes the test host's RTSP side (tests/host/rtsp_server.c): whatever connects to the RTSP
 * port, plain or encrypted. The first input byte picks the launch (bit 0: encrypted RTSP with
 * the recorded key), the codecs offered (bit 1: H.264 only) and the encryption mode (bits 2-3);
 * the rest is what the connection sent. Every reply must be a well-formed RTSP response. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/core/log.h"
#include "common/proto/rtsp.h"
#include "tests/host/rtsp_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static const uint8_t k_key[16] = {0xb1, 0x5e, 0x61, 0xc6, 0x4f, 0x69, 0x58, 0xd3,
                                  0x8a, 0x25, 0x3a, 0xd5, 0x2e, 0x27, 0x02, 0x37};
static uint8_t g_out[16384], g_plain[16384];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sky_log_set_level(SKY_LOG_ERROR);
    /* The host's event lines go to stdout. */
    if (!freopen("/dev/null", "w", stdout))
        abort();
    return 0;
}

static int announce(void *opaque, const SkyThStreamCfg *cfg)
{
    (void)opaque;
    SKY_ASSERT(cfg->an.width >= 1 && cfg->an.height >= 1 && cfg->an.fps >= 1);
    SKY_ASSERT(cfg->an.codec >= 0 && cfg->an.codec <= 2);
    SKY_ASSERT(cfg->bitrate_kbps >= 1);
    return 200;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > SKY_RTSP_MAX_MESSAGE + 2048)
        return 0;
    uint8_t mode = data[0];
    SkyThCfg cfg;
    SkyThLaunch l;
    memset(&cfg, 0, sizeof(cfg));
    memset(&l, 0, sizeof(l));
    cfg.codec_support = mode & 2 ? 0x1 : 0x30301;
    cfg.video_encryption = (mode >> 2) % 3;
    cfg.fec_percent = 20;
    memcpy(l.rikey, k_key, sizeof(k_key));
    l.corever = mode & 1;
    strcpy(l.ping_payload, "527F1A8A6322C622");
    l.connect_data = 598113071;
    SkyThRtspState st = {0};
    const uint16_t ports[3] = {47998, 48000, 47999};
    size_t out_len = 0, need = 0;
    int ret = sky_th_rtsp_answer(&cfg, &l, &st, ports, announce, NULL, data + 1, size - 1, g_out,
                                 sizeof(g_out), &out_len, &need);
    SKY_ASSERT(ret == 0 || ret == SKY_ERR(EAGAIN));
    if (ret != 0)
        return 0;
    SKY_ASSERT(out_len > 0 && out_len <= sizeof(g_out));
    const uint8_t *reply = g_out;
    size_t reply_len = out_len;
    if (l.corever) {
        SkyGcm *g = NULL;
        SKY_ASSERT(sky_gcm_create(&g, k_key) == 0);
        uint32_t seq = 0;
        SKY_ASSERT(sky_rtsp_unseal(g, SKY_RTSP_FROM_HOST, g_out, out_len, g_plain,
                                   sizeof(g_plain), &reply_len, &seq) == 0);
        SKY_ASSERT(seq == 1);
        sky_gcm_destroy(&g);
        reply = g_plain;
    }
    SkyRtspMsg m;
    SKY_ASSERT(sky_rtsp_parse_response(reply, reply_len, &m) == 0);
    SKY_ASSERT(m.status == 200 || m.status == 400 || m.status == 403 || m.status == 404);
    return 0;
}

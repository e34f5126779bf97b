/* The test host's audio packetizer: Opus packets to Sunshine's RTP datagrams
 * (audio_packetizer.h). */
#include "tests/host/proto/audio_packetizer.h"

#include <stdlib.h>
#include <string.h>

#include "common/core/bytes.h"
#include "common/core/error.h"
#include "common/core/log.h"

#define TAG "audio_rtp"

#define K SKY_AUDIO_FEC_DATA
#define M SKY_AUDIO_FEC_PARITY
#define RTP_V2 0x80
#define HDR SKY_AUDIO_RTP_HEADER_LEN
#define FEC_HDR (SKY_AUDIO_RTP_HEADER_LEN + SKY_AUDIO_FEC_HEADER_LEN)

static void write_rtp(uint8_t *dst, uint8_t pt, uint16_t seq, uint32_t ts)
{
    SkyWriter wr = sky_wr_init(dst, HDR);
    sky_wr_u8(&wr, RTP_V2);
    sky_wr_u8(&wr, pt);
    sky_wr_u16be(&wr, seq);
    sky_wr_u32be(&wr, ts);
    sky_wr_u32be(&wr, 0); /* SSRC */
    SKY_ASSERT(!wr.error);
}

struct SkyAudioPacketizer {
    SkyAudioPacketizerCfg cfg; /* key cleared: it lives in cbc */
    SkyCbc *cbc;               /* NULL without encryption */
    SkyFec *fec;               /* NULL without FEC */
    uint16_t seq;              /* of the next packet */
    uint32_t ts;               /* of the next packet */
    uint32_t block_ts;         /* timestamp of the current block's first packet */
    size_t shard_len[K];
    uint8_t shard[K][SKY_AUDIO_MAX_PAYLOAD];      /* payloads (ciphertext) of the current block */
    uint8_t dgram[1 + M][SKY_AUDIO_MAX_DATAGRAM]; /* what the last call produced */
    const uint8_t *ptrs[1 + M];
    size_t lens[1 + M];
};

int sky_audio_packetizer_create(SkyAudioPacketizer **out, const SkyAudioPacketizerCfg *cfg)
{
    *out = NULL;
    if (cfg->packet_duration_ms < 1 || cfg->packet_duration_ms > SKY_AUDIO_MAX_DURATION_MS)
        return SKY_ERR(EINVAL);
    SkyAudioPacketizer *p = calloc(1, sizeof(*p));
    if (!p)
        return SKY_ERR(ENOMEM);
    int ret = 0;
    p->cfg = *cfg;
    p->cfg.key = NULL;
    if (cfg->key && (ret = sky_cbc_create(&p->cbc, cfg->key)) < 0)
        goto fail;
    if (cfg->fec && (ret = sky_audio_fec_create(&p->fec)) < 0)
        goto fail;
    for (int i = 0; i < 1 + M; i++)
        p->ptrs[i] = p->dgram[i];
    *out = p;
    return 0;
fail:
    sky_audio_packetizer_destroy(&p);
    return ret;
}

void sky_audio_packetizer_destroy(SkyAudioPacketizer **pp)
{
    if (!pp || !*pp)
        return;
    SkyAudioPacketizer *p = *pp;
    sky_cbc_destroy(&p->cbc);
    sky_fec_destroy(&p->fec);
    free(p);
    *pp = NULL;
}

/* Writes the 2 parity datagrams of the block that ends with the packet just made. Returns false
 * when the block cannot be protected. */
static bool packetize_fec(SkyAudioPacketizer *p, uint16_t base)
{
    /* Reed-Solomon needs one length for the whole block. Sunshine's Opus is CBR and its
     * ciphertext length follows, so this never happens with it; a block that differs goes out
     * unprotected, as Sunshine would. */
    for (int i = 1; i < K; i++)
        if (p->shard_len[i] != p->shard_len[0])
            return false;
    uint8_t *data[K], *parity[M];
    for (int i = 0; i < K; i++)
        data[i] = p->shard[i];
    for (int j = 0; j < M; j++)
        parity[j] = p->dgram[1 + j] + FEC_HDR;
    int r = sky_fec_encode(p->fec, SKY_FEC_AUDIO, K, M, data, parity, p->shard_len[0]);
    if (r < 0) { /* the tables were made at create: not expected */
        SKY_LOGE(TAG, "audio FEC encode failed: %s", sky_strerror(r));
        return false;
    }
    for (int j = 0; j < M; j++) {
        uint8_t *d = p->dgram[1 + j];
        write_rtp(d, SKY_AUDIO_PT_FEC, (uint16_t)(base + K + j), 0);
        SkyWriter wr = sky_wr_init(d + HDR, SKY_AUDIO_FEC_HEADER_LEN);
        sky_wr_u8(&wr, (uint8_t)j);
        sky_wr_u8(&wr, SKY_AUDIO_PT_DATA);
        sky_wr_u16be(&wr, base);
        sky_wr_u32be(&wr, p->block_ts);
        sky_wr_u32be(&wr, 0); /* SSRC */
        SKY_ASSERT(!wr.error);
        p->lens[1 + j] = FEC_HDR + p->shard_len[0];
    }
    return true;
}

int sky_audio_packetize(SkyAudioPacketizer *p, const uint8_t *opus, size_t len,
                        const uint8_t *const **data, const size_t **lens, size_t *count)
{
    *data = p->ptrs;
    *lens = p->lens;
    *count = 0;
    if (!opus || len == 0 || len > SKY_AUDIO_MAX_OPUS)
        return SKY_ERR(EINVAL);
    int i = p->seq % K; /* the stream starts at 0, so blocks start at multiples of 4 */
    uint8_t *payload = p->shard[i];
    size_t plen = len;
    if (p->cbc) {
        uint8_t iv[SKY_AES_BLOCK];
        sky_audio_iv(iv, p->cfg.key_id, p->seq);
        if (sky_cbc_encrypt(p->cbc, iv, opus, len, payload, SKY_AUDIO_MAX_PAYLOAD, &plen) < 0)
            return SKY_ERR(EIO);
    } else {
        memcpy(payload, opus, len);
    }
    p->shard_len[i] = plen;
    if (i == 0)
        p->block_ts = p->ts;

    write_rtp(p->dgram[0], SKY_AUDIO_PT_DATA, p->seq, p->ts);
    memcpy(p->dgram[0] + HDR, payload, plen);
    p->lens[0] = HDR + plen;
    *count = 1;
    if (p->fec && i == K - 1 && packetize_fec(p, (uint16_t)(p->seq - (K - 1))))
        *count = 1 + M;

    p->seq++;
    p->ts += (uint32_t)p->cfg.packet_duration_ms;
    return 0;
}

/* The test host's video packetizer: access units to Sunshine's datagrams (video_packetizer.h). */
#include "tests/host/proto/video_packetizer.h"

#include <stdlib.h>
#include <string.h>

#include "common/core/crypto.h"
#include "common/core/error.h"
#include "common/proto/fec.h"

struct SkyVideoPacketizer {
    SkyVideoPacketizerCfg cfg;
    uint8_t key[16];
    SkyGcm *gcm;
    SkyFec *fec;
    uint16_t seq;
    uint64_t iv_counter;
    size_t datagram_len;      /* plaintext: packet_size + 16 */
    size_t wire_len;          /* + 32 when encrypted */
    uint8_t *plain;           /* room for a whole frame's plaintext datagrams */
    uint8_t *wire;            /* and its encrypted copies */
    size_t cap_datagrams;
};

int sky_video_packetizer_create(SkyVideoPacketizer **out, const SkyVideoPacketizerCfg *cfg)
{
    *out = NULL;
    if (cfg->packet_size % 16 || cfg->packet_size < SKY_VIDEO_MIN_PACKET_SIZE ||
        cfg->packet_size > SKY_VIDEO_MAX_PACKET_SIZE || cfg->fec_percent < 0 ||
        cfg->fec_percent > 255 || cfg->min_parity < 0 || cfg->min_parity > 64)
        return SKY_ERR(EINVAL);
    SkyVideoPacketizer *p = calloc(1, sizeof(*p));
    if (!p)
        return SKY_ERR(ENOMEM);
    p->cfg = *cfg;
    p->datagram_len = cfg->packet_size + 16;
    p->wire_len = p->datagram_len + (cfg->key ? SKY_VIDEO_ENC_PREFIX_LEN : 0);
    p->cap_datagrams = SKY_VIDEO_MAX_BLOCKS * SKY_VIDEO_MAX_BLOCK_SHARDS;
    p->plain = malloc(p->cap_datagrams * p->datagram_len);
    p->wire = cfg->key ? malloc(p->cap_datagrams * p->wire_len) : NULL;
    int ret = p->plain && (!cfg->key || p->wire) ? sky_fec_create(&p->fec) : SKY_ERR(ENOMEM);
    if (ret == 0 && cfg->key) {
        memcpy(p->key, cfg->key, 16);
        p->cfg.key = p->key;
        ret = sky_gcm_create(&p->gcm, p->key);
    }
    if (ret < 0) {
        sky_video_packetizer_destroy(&p);
        return ret;
    }
    *out = p;
    return 0;
}

void sky_video_packetizer_destroy(SkyVideoPacketizer **pp)
{
    SkyVideoPacketizer *p = *pp;
    if (!p)
        return;
    sky_gcm_destroy(&p->gcm);
    sky_fec_destroy(&p->fec);
    free(p->plain);
    free(p->wire);
    sky_wipe(p->key, sizeof(p->key));
    free(p);
    *pp = NULL;
}

static void put_le32(uint8_t *d, uint32_t v)
{
    d[0] = (uint8_t)v;
    d[1] = (uint8_t)(v >> 8);
    d[2] = (uint8_t)(v >> 16);
    d[3] = (uint8_t)(v >> 24);
}

static void put_be16(uint8_t *d, uint16_t v)
{
    d[0] = (uint8_t)(v >> 8);
    d[1] = (uint8_t)v;
}

static void put_be32(uint8_t *d, uint32_t v)
{
    d[0] = (uint8_t)(v >> 24);
    d[1] = (uint8_t)(v >> 16);
    d[2] = (uint8_t)(v >> 8);
    d[3] = (uint8_t)v;
}

/* The parity count and the percentage written into fecInfo for a block of n data shards, with
 * FEC at `fec_percent` (0: none, and no minimum either, as Sunshine). */
static void block_fec(const SkyVideoPacketizerCfg *cfg, int fec_percent, int n, int *parity,
                      int *pct)
{
    int pc = fec_percent;
    int p = (n * pc + 99) / 100;
    if (p < cfg->min_parity && pc != 0) {
        p = cfg->min_parity;
        pc = 100 * p / n;
    }
    if (p > 0 && n + p > SKY_FEC_MAX_SHARDS)
        p = SKY_FEC_MAX_SHARDS - n;
    if (pc > 255)
        pc = 255;
    /* The receiver derives p from pct: keep them consistent. */
    while (p > 0 && (n * pc + 99) / 100 != p) {
        if ((n * pc + 99) / 100 > p)
            pc--;
        else
            pc++;
        if (pc <= 0 || pc > 255) {
            p = 0;
            pc = 0;
            break;
        }
    }
    *parity = p;
    *pct = pc;
}

int sky_video_packetize(SkyVideoPacketizer *p, const SkyVideoFrameDesc *f, const uint8_t **data,
                        size_t *datagram_len, size_t *count)
{
    const size_t pay = p->cfg.packet_size - 16;
    size_t stream_len = SKY_VIDEO_FRAME_HEADER_LEN + f->len;
    size_t total = (stream_len + pay - 1) / pay;
    *count = 0;
    int fec_percent = p->cfg.fec_percent;
    int max_per_block = (SKY_FEC_MAX_SHARDS * 100) / (100 + fec_percent);
    size_t nblocks = (total + (size_t)max_per_block - 1) / (size_t)max_per_block;
    if (nblocks > SKY_VIDEO_MAX_BLOCKS) { /* Sunshine: such a frame goes without FEC */
        fec_percent = 0;
        nblocks = SKY_VIDEO_MAX_BLOCKS;
    }
    size_t per_block = (total + nblocks - 1) / nblocks;
    if (per_block > SKY_VIDEO_MAX_BLOCK_SHARDS)
        return SKY_ERR(E2BIG);
    size_t last_used = stream_len - (total - 1) * pay;

    uint8_t header[SKY_VIDEO_FRAME_HEADER_LEN] = {0x01,
                                                  (uint8_t)f->host_latency_100us,
                                                  (uint8_t)(f->host_latency_100us >> 8),
                                                  f->frame_type,
                                                  (uint8_t)last_used,
                                                  (uint8_t)(last_used >> 8),
                                                  0,
                                                  0};
    size_t out = 0, shard = 0;
    for (size_t b = 0; b < nblocks; b++) {
        int n = (int)(b + 1 < nblocks ? per_block : total - per_block * (nblocks - 1));
        int par, pct;
        block_fec(&p->cfg, fec_percent, n, &par, &pct);
        uint8_t *block = p->plain + out * p->datagram_len;
        uint8_t *dptr[SKY_VIDEO_MAX_BLOCK_SHARDS], *pptr[SKY_FEC_MAX_SHARDS];
        for (int i = 0; i < n + par; i++) {
            uint8_t *d = block + (size_t)i * p->datagram_len;
            memset(d, 0, SKY_VIDEO_HEADER_LEN);
            if (i < n) {
                dptr[i] = d;
                /* The shard's slice of "frame header + bitstream", zero padded. */
                size_t off = (shard + (size_t)i) * pay, copied = 0;
                uint8_t *payload = d + SKY_VIDEO_HEADER_LEN;
                memset(payload, 0, pay);
                while (copied < pay && off + copied < stream_len) {
                    size_t at = off + copied;
                    if (at < SKY_VIDEO_FRAME_HEADER_LEN) {
                        payload[copied++] = header[at];
                    } else {
                        size_t take = stream_len - at < pay - copied ? stream_len - at
                                                                      : pay - copied;
                        memcpy(payload + copied, f->bitstream + (at - SKY_VIDEO_FRAME_HEADER_LEN),
                               take);
                        copied += take;
                    }
                }
                uint16_t seq = (uint16_t)(p->seq + out + (size_t)i);
                put_le32(d + 16, (uint32_t)seq << 8);
                put_le32(d + 20, f->frame_index);
                d[24] = (uint8_t)(SKY_VF_PIC_DATA | (i == 0 ? SKY_VF_SOF : 0) |
                                  (i == n - 1 ? SKY_VF_EOF : 0));
                d[26] = 0x10;
                d[27] = (uint8_t)(b << 4 | (nblocks - 1) << 6);
            } else {
                pptr[i - n] = d;
            }
        }
        /* Parity over whole datagrams, before the RTP header and fecInfo are filled in (as the
         * hosts do; a receiver rebuilds those fields itself). */
        if (par > 0) {
            int ret = sky_fec_encode(p->fec, SKY_FEC_VIDEO, n, par, dptr, pptr, p->datagram_len);
            if (ret < 0)
                return ret;
        }
        for (int i = 0; i < n + par; i++) {
            uint8_t *d = block + (size_t)i * p->datagram_len;
            d[0] = 0x90;
            put_be16(d + 2, (uint16_t)(p->seq + out + (size_t)i));
            put_be32(d + 4, f->rtp_ts);
            put_le32(d + 20, f->frame_index);
            d[27] = (uint8_t)(b << 4 | (nblocks - 1) << 6);
            put_le32(d + 28, (uint32_t)n << 22 | (uint32_t)i << 12 | (uint32_t)pct << 4);
        }
        out += (size_t)(n + par);
        shard += (size_t)n;
    }
    p->seq = (uint16_t)(p->seq + out);
    if (!p->gcm) {
        *data = p->plain;
        *datagram_len = p->datagram_len;
        *count = out;
        return 0;
    }
    for (size_t i = 0; i < out; i++) {
        uint8_t *w = p->wire + i * p->wire_len;
        uint64_t c = p->iv_counter++;
        for (int k = 0; k < 8; k++)
            w[k] = (uint8_t)(c >> (8 * k));
        w[8] = w[9] = w[10] = 0;
        w[11] = 'V';
        put_le32(w + 12, f->frame_index);
        int ret = sky_gcm_encrypt(p->gcm, w, 12, p->plain + i * p->datagram_len, p->datagram_len,
                                  w + SKY_VIDEO_ENC_PREFIX_LEN, w + 16);
        if (ret < 0)
            return ret;
    }
    *data = p->wire;
    *datagram_len = p->wire_len;
    *count = out;
    return 0;
}

/* GameStream video datagrams on the client side: shard headers, decryption (video_packet.h). */
#include "common/proto/video_packet.h"

#include "common/core/bytes.h"
#include "common/core/error.h"

int sky_video_shard_parse(const uint8_t *pkt, size_t len, size_t datagram_len,
                          SkyVideoShard *out)
{
    if (len != datagram_len || len < SKY_VIDEO_HEADER_LEN)
        return SKY_ERR(EBADMSG);
    SkyReader rd = sky_rd_init(pkt, len);
    uint8_t vpx, pt, flags, reserved, multi_flags, blocks;
    uint32_t spi, ssrc, fec_info;
    SkyVideoShard s;
    sky_rd_u8(&rd, &vpx);
    sky_rd_u8(&rd, &pt);
    sky_rd_u16be(&rd, &s.seq);
    sky_rd_u32be(&rd, &s.rtp_ts);
    sky_rd_u32be(&rd, &ssrc);
    sky_rd_skip(&rd, 4);
    sky_rd_u32le(&rd, &spi);
    sky_rd_u32le(&rd, &s.frame_index);
    sky_rd_u8(&rd, &flags);
    sky_rd_u8(&rd, &reserved);
    sky_rd_u8(&rd, &multi_flags);
    sky_rd_u8(&rd, &blocks);
    if (!sky_rd_u32le(&rd, &fec_info))
        return SKY_ERR(EBADMSG);
    (void)pt;
    (void)ssrc;
    (void)reserved;
    (void)multi_flags;
    if ((vpx & 0xC0) != 0x80)
        return SKY_ERR(EBADMSG);
    s.stream_index = (spi >> 8) & 0xFFFFFF;
    s.flags = flags;
    s.block = (blocks >> 4) & 3;
    s.last_block = (blocks >> 6) & 3;
    s.data_shards = (uint16_t)((fec_info >> 22) & 0x3FF);
    s.shard_index = (uint16_t)((fec_info >> 12) & 0x3FF);
    s.fec_pct = (uint8_t)((fec_info >> 4) & 0xFF);
    s.parity_shards = (uint16_t)((s.data_shards * s.fec_pct + 99) / 100);
    if (s.data_shards == 0 ||
        (s.parity_shards > 0 && s.data_shards + s.parity_shards > SKY_FEC_MAX_SHARDS) ||
        s.shard_index >= s.data_shards + s.parity_shards || s.block > s.last_block)
        return SKY_ERR(EBADMSG);
    *out = s;
    return 0;
}

int sky_video_decrypt(SkyGcm *g, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                      size_t *out_len)
{
    *out_len = 0;
    if (len <= SKY_VIDEO_ENC_PREFIX_LEN)
        return SKY_ERR(EBADMSG);
    size_t n = len - SKY_VIDEO_ENC_PREFIX_LEN;
    if (cap < n)
        return SKY_ERR(E2BIG);
    int ret = sky_gcm_decrypt(g, in, 12, in + SKY_VIDEO_ENC_PREFIX_LEN, n, in + 16, out);
    if (ret < 0)
        return ret;
    *out_len = n;
    return 0;
}

uint32_t sky_video_encrypted_frame_hint(const uint8_t *in, size_t len)
{
    if (len < 16)
        return 0;
    return (uint32_t)in[12] | (uint32_t)in[13] << 8 | (uint32_t)in[14] << 16 |
           (uint32_t)in[15] << 24;
}

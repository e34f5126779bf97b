/* A solid-colour PNG with stored deflate blocks (png.h). */
#include "tests/host/png.h"

#include <stdlib.h>
#include <string.h>

#include "common/core/bytes.h"
#include "common/core/error.h"

#define STORED_MAX 65535u

uint32_t sky_th_crc32(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
    }
    return ~crc;
}

/* Length, type, data, CRC of type and data. The data must already be at wr's position + 8. */
static void chunk_end(SkyWriter *wr, size_t start, const char type[4], size_t data_len)
{
    if (wr->error || start + 12 + data_len > wr->cap) {
        wr->error = true;
        return;
    }
    SkyWriter hd = sky_wr_init(wr->data + start, 8);
    sky_wr_u32be(&hd, (uint32_t)data_len);
    sky_wr_bytes(&hd, type, 4);
    wr->pos = start + 8 + data_len;
    sky_wr_u32be(wr, sky_th_crc32(0, wr->data + start + 4, 4 + data_len));
}

int sky_th_png_solid(uint32_t width, uint32_t height, const uint8_t rgb[3], uint8_t **out,
                     size_t *len)
{
    *out = NULL;
    *len = 0;
    uint64_t row = 1 + 3 * (uint64_t)width;
    uint64_t raw = row * height;
    if (width == 0 || height == 0 || raw > (1u << 30))
        return SKY_ERR(EINVAL);
    uint64_t blocks = (raw + STORED_MAX - 1) / STORED_MAX;
    size_t zlen = (size_t)(2 + blocks * 5 + raw + 4);
    size_t cap = 8 + (12 + 13) + (12 + zlen) + 12;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return SKY_ERR(ENOMEM);
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    SkyWriter wr = sky_wr_init(buf, cap);
    sky_wr_bytes(&wr, sig, sizeof(sig));

    size_t start = wr.pos;
    wr.pos += 8;
    sky_wr_u32be(&wr, width);
    sky_wr_u32be(&wr, height);
    static const uint8_t ihdr_rest[5] = {8, 2, 0, 0, 0}; /* 8-bit RGB, deflate, no filter/lace */
    sky_wr_bytes(&wr, ihdr_rest, sizeof(ihdr_rest));
    chunk_end(&wr, start, "IHDR", 13);

    /* IDAT: a zlib stream (no compression) of the rows, each "filter 0" then the pixels. */
    start = wr.pos;
    wr.pos += 8;
    sky_wr_u8(&wr, 0x78);
    sky_wr_u8(&wr, 0x01);
    uint32_t a = 1, b = 0; /* Adler-32 */
    uint64_t done = 0;
    while (done < raw) {
        uint32_t n = raw - done > STORED_MAX ? STORED_MAX : (uint32_t)(raw - done);
        sky_wr_u8(&wr, done + n == raw ? 1 : 0);
        sky_wr_u16le(&wr, (uint16_t)n);
        sky_wr_u16le(&wr, (uint16_t)~n);
        for (uint32_t i = 0; i < n; i++, done++) {
            uint64_t x = done % row;
            uint8_t v = x == 0 ? 0 : rgb[(x - 1) % 3];
            sky_wr_u8(&wr, v);
            a = (a + v) % 65521;
            b = (b + a) % 65521;
        }
    }
    sky_wr_u32be(&wr, b << 16 | a);
    chunk_end(&wr, start, "IDAT", zlen);

    chunk_end(&wr, wr.pos, "IEND", 0);
    if (wr.error) {
        free(buf);
        return SKY_ERR(EINVAL); /* a sizing mistake above: never with these sizes */
    }
    *out = buf;
    *len = wr.pos;
    return 0;
}

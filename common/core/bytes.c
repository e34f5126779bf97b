/* The bounds-checked, sticky-error byte reader and writer (bytes.h). */
#include "common/core/bytes.h"

#include <string.h>

static bool take(SkyReader *rd, size_t n, const uint8_t **p)
{
    if (rd->error || n > rd->len - rd->pos) {
        rd->error = true;
        return false;
    }
    /* data is NULL only when len is 0; NULL + 0 is undefined in C, so it is not computed. */
    *p = rd->data ? rd->data + rd->pos : NULL;
    rd->pos += n;
    return true;
}

bool sky_rd_u8(SkyReader *rd, uint8_t *v)
{
    const uint8_t *p;
    if (!take(rd, 1, &p))
        return false;
    *v = p[0];
    return true;
}

bool sky_rd_u16le(SkyReader *rd, uint16_t *v)
{
    const uint8_t *p;
    if (!take(rd, 2, &p))
        return false;
    *v = (uint16_t)(p[0] | (p[1] << 8));
    return true;
}

bool sky_rd_u16be(SkyReader *rd, uint16_t *v)
{
    const uint8_t *p;
    if (!take(rd, 2, &p))
        return false;
    *v = (uint16_t)((p[0] << 8) | p[1]);
    return true;
}

bool sky_rd_u32le(SkyReader *rd, uint32_t *v)
{
    const uint8_t *p;
    if (!take(rd, 4, &p))
        return false;
    *v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    return true;
}

bool sky_rd_f32le(SkyReader *rd, float *v)
{
    uint32_t bits;
    if (!sky_rd_u32le(rd, &bits))
        return false;
    memcpy(v, &bits, sizeof(*v));
    return true;
}

bool sky_rd_u32be(SkyReader *rd, uint32_t *v)
{
    const uint8_t *p;
    if (!take(rd, 4, &p))
        return false;
    *v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
    return true;
}

bool sky_rd_u64le(SkyReader *rd, uint64_t *v)
{
    uint32_t lo, hi;
    if (!sky_rd_u32le(rd, &lo) || !sky_rd_u32le(rd, &hi))
        return false;
    *v = ((uint64_t)hi << 32) | lo;
    return true;
}

bool sky_rd_u64be(SkyReader *rd, uint64_t *v)
{
    uint32_t lo, hi;
    if (!sky_rd_u32be(rd, &hi) || !sky_rd_u32be(rd, &lo))
        return false;
    *v = ((uint64_t)hi << 32) | lo;
    return true;
}

bool sky_rd_bytes(SkyReader *rd, void *out, size_t n)
{
    const uint8_t *p;
    if (!take(rd, n, &p))
        return false;
    if (n)
        memcpy(out, p, n);
    return true;
}

bool sky_rd_view(SkyReader *rd, const uint8_t **out, size_t n)
{
    return take(rd, n, out);
}

bool sky_rd_skip(SkyReader *rd, size_t n)
{
    const uint8_t *p;
    return take(rd, n, &p);
}

static bool put(SkyWriter *wr, size_t n, uint8_t **p)
{
    if (wr->error || n > wr->cap - wr->pos) {
        wr->error = true;
        return false;
    }
    *p = wr->data ? wr->data + wr->pos : NULL; /* as in take() */
    wr->pos += n;
    return true;
}

bool sky_wr_u8(SkyWriter *wr, uint8_t v)
{
    uint8_t *p;
    if (!put(wr, 1, &p))
        return false;
    p[0] = v;
    return true;
}

bool sky_wr_u16le(SkyWriter *wr, uint16_t v)
{
    uint8_t *p;
    if (!put(wr, 2, &p))
        return false;
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return true;
}

bool sky_wr_u16be(SkyWriter *wr, uint16_t v)
{
    uint8_t *p;
    if (!put(wr, 2, &p))
        return false;
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return true;
}

bool sky_wr_u32le(SkyWriter *wr, uint32_t v)
{
    uint8_t *p;
    if (!put(wr, 4, &p))
        return false;
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return true;
}

bool sky_wr_f32le(SkyWriter *wr, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof(bits));
    return sky_wr_u32le(wr, bits);
}

bool sky_wr_u32be(SkyWriter *wr, uint32_t v)
{
    uint8_t *p;
    if (!put(wr, 4, &p))
        return false;
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
    return true;
}

bool sky_wr_u64le(SkyWriter *wr, uint64_t v)
{
    return sky_wr_u32le(wr, (uint32_t)v) && sky_wr_u32le(wr, (uint32_t)(v >> 32));
}

bool sky_wr_u64be(SkyWriter *wr, uint64_t v)
{
    return sky_wr_u32be(wr, (uint32_t)(v >> 32)) && sky_wr_u32be(wr, (uint32_t)v);
}

bool sky_wr_bytes(SkyWriter *wr, const void *src, size_t n)
{
    uint8_t *p;
    if (!put(wr, n, &p))
        return false;
    if (n)
        memcpy(p, src, n);
    return true;
}

bool sky_wr_str(SkyWriter *wr, const char *s)
{
    return sky_wr_bytes(wr, s, strlen(s));
}

bool sky_wr_dec(SkyWriter *wr, int64_t v)
{
    char buf[24];
    size_t n = 0;
    bool neg = v < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        buf[sizeof(buf) - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg)
        buf[sizeof(buf) - 1 - n++] = '-';
    return sky_wr_bytes(wr, buf + sizeof(buf) - n, n);
}

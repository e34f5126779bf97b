/* Bounds-checked byte reader and writer. Every read returns false past the end and then keeps
 * failing (the reader is "sticky"), so a parser may check once after a group of reads. */
#ifndef SKY_COMMON_BYTES_H
#define SKY_COMMON_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SkyReader {
    const uint8_t *data;
    size_t len;
    size_t pos;
    bool error;
} SkyReader;

static inline SkyReader sky_rd_init(const void *data, size_t len)
{
    SkyReader rd = {(const uint8_t *)data, data ? len : 0, 0, false};
    return rd;
}

static inline size_t sky_rd_left(const SkyReader *rd)
{
    return rd->error ? 0 : rd->len - rd->pos;
}

bool sky_rd_u8(SkyReader *rd, uint8_t *v);
bool sky_rd_u16le(SkyReader *rd, uint16_t *v);
bool sky_rd_u16be(SkyReader *rd, uint16_t *v);
bool sky_rd_u32le(SkyReader *rd, uint32_t *v);
/* An IEEE-754 single, little-endian (as GameStream carries sensor and touch values). */
bool sky_rd_f32le(SkyReader *rd, float *v);
bool sky_rd_u32be(SkyReader *rd, uint32_t *v);
bool sky_rd_u64le(SkyReader *rd, uint64_t *v);
bool sky_rd_u64be(SkyReader *rd, uint64_t *v);
/* Copies n bytes out. */
bool sky_rd_bytes(SkyReader *rd, void *out, size_t n);
/* Points *out at the next n bytes inside the reader's buffer (no copy). */
bool sky_rd_view(SkyReader *rd, const uint8_t **out, size_t n);
bool sky_rd_skip(SkyReader *rd, size_t n);

typedef struct SkyWriter {
    uint8_t *data;
    size_t cap;
    size_t pos;
    bool error;
} SkyWriter;

static inline SkyWriter sky_wr_init(void *data, size_t cap)
{
    SkyWriter wr = {(uint8_t *)data, data ? cap : 0, 0, false};
    return wr;
}

bool sky_wr_u8(SkyWriter *wr, uint8_t v);
bool sky_wr_u16le(SkyWriter *wr, uint16_t v);
bool sky_wr_u16be(SkyWriter *wr, uint16_t v);
bool sky_wr_u32le(SkyWriter *wr, uint32_t v);
bool sky_wr_f32le(SkyWriter *wr, float v);
bool sky_wr_u32be(SkyWriter *wr, uint32_t v);
bool sky_wr_u64le(SkyWriter *wr, uint64_t v);
bool sky_wr_u64be(SkyWriter *wr, uint64_t v);
bool sky_wr_bytes(SkyWriter *wr, const void *src, size_t n);
/* Text, for the protocol's text messages (RTSP, SDP): the characters of s without its NUL, and
 * v in decimal ('-' first when negative). */
bool sky_wr_str(SkyWriter *wr, const char *s);
bool sky_wr_dec(SkyWriter *wr, int64_t v);

#endif

/* Wraparound-safe sequence-number and timestamp arithmetic (RFC 1982 serial numbers). */
#ifndef SKY_COMMON_SEQ_H
#define SKY_COMMON_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* Signed distance from a to b: positive when b is after a. */
static inline int16_t sky_seq16_diff(uint16_t a, uint16_t b)
{
    return (int16_t)(uint16_t)(b - a);
}

static inline bool sky_seq16_before(uint16_t a, uint16_t b)
{
    return sky_seq16_diff(a, b) > 0;
}

static inline int32_t sky_seq32_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(uint32_t)(b - a);
}

static inline bool sky_seq32_before(uint32_t a, uint32_t b)
{
    return sky_seq32_diff(a, b) > 0;
}

/* Extends a 16-bit sequence number to 64 bits, given the last extended value seen: picks the
 * candidate nearest to `last`. Use for RTP sequence numbers that run for hours. */
static inline uint64_t sky_seq16_extend(uint64_t last, uint16_t seq)
{
    int64_t ext = (int64_t)last + sky_seq16_diff((uint16_t)last, seq);
    return ext < 0 ? seq : (uint64_t)ext;
}

#endif

/* The test host's PNG encoder, for /appasset: one colour, 8-bit RGB, no filter, stored
 * (uncompressed) deflate blocks. Valid PNG that any decoder reads; nothing else is needed. */
#ifndef SKY_TESTHOST_PNG_H
#define SKY_TESTHOST_PNG_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 (IEEE, reflected) of n bytes, continuing from crc (0 to start): PNG's and zlib's,
 * and boost::crc_32_type's. */
uint32_t sky_th_crc32(uint32_t crc, const void *data, size_t n);

/* A width x height PNG filled with rgb. On success *out (malloc'd) is the caller's. Returns 0,
 * SKY_ERR(EINVAL) for a size of 0 or one whose pixels pass 1 GiB, or SKY_ERR(ENOMEM). */
int sky_th_png_solid(uint32_t width, uint32_t height, const uint8_t rgb[3], uint8_t **out,
                     size_t *len);

#endif

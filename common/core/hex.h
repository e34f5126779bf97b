/* Hexadecimal text <-> bytes, as GameStream carries certificates, keys and pairing values. */
#ifndef SKY_COMMON_HEX_H
#define SKY_COMMON_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit (either case), or -1. */
int sky_hex_digit(char c);

/* Writes 2 * len characters and a NUL into out, which must hold 2 * len + 1 bytes. */
void sky_hex_encode(const uint8_t *in, size_t len, char *out, bool upper);

/* Decodes in_len characters (either case). Returns 0 with the byte count in *out_len,
 * SKY_ERR(EBADMSG) for an odd length or a non-hex character, SKY_ERR(E2BIG) when the result
 * would not fit in cap bytes. */
int sky_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len);

#endif

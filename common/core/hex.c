/* Hexadecimal text to bytes and back (hex.h). */
#include "common/core/hex.h"

#include "common/core/error.h"

void sky_hex_encode(const uint8_t *in, size_t len, char *out, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

int sky_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sky_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (in_len % 2)
        return SKY_ERR(EBADMSG);
    if (in_len / 2 > cap)
        return SKY_ERR(E2BIG);
    for (size_t i = 0; i < in_len; i += 2) {
        int hi = sky_hex_digit(in[i]), lo = sky_hex_digit(in[i + 1]);
        if (hi < 0 || lo < 0)
            return SKY_ERR(EBADMSG);
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = in_len / 2;
    return 0;
}

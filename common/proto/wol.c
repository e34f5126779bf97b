/* MAC addresses and the wake-on-LAN magic packet (wol.h). */
#include "common/proto/wol.h"

#include <string.h>

#include "common/core/error.h"
#include "common/core/hex.h"

int sky_mac_parse(const char *s, uint8_t mac[6])
{
    if (strlen(s) != 17)
        return SKY_ERR(EINVAL);
    for (int i = 0; i < 6; i++) {
        int hi = sky_hex_digit(s[3 * i]), lo = sky_hex_digit(s[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':' && s[3 * i + 2] != '-'))
            return SKY_ERR(EINVAL);
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

void sky_wol_packet(const uint8_t mac[6], uint8_t out[SKY_WOL_PACKET_LEN])
{
    memset(out, 0xff, 6);
    for (int i = 0; i < 16; i++)
        memcpy(out + 6 + 6 * i, mac, 6);
}

/* Wake-on-LAN: the magic packet (6 bytes of 0xFF, then the MAC address 16 times). */
#ifndef SKY_COMMON_WOL_H
#define SKY_COMMON_WOL_H

#include <stdint.h>

#define SKY_WOL_PACKET_LEN 102

/* Parses "aa:bb:cc:dd:ee:ff" (or with '-'). Returns 0 or SKY_ERR(EINVAL). */
int sky_mac_parse(const char *s, uint8_t mac[6]);
void sky_wol_packet(const uint8_t mac[6], uint8_t out[SKY_WOL_PACKET_LEN]);

#endif

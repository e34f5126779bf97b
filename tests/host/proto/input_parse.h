/* The host side of GameStream input packets (the test host): a packet the client sent inside
 * control message 0x0206 parsed back into common/proto/input.h's decoded form, as Sunshine reads
 * it, and a one-line text form of it for the host's `input` events. The client never links it. */
#ifndef SKY_TESTHOST_PROTO_INPUT_PARSE_H
#define SKY_TESTHOST_PROTO_INPUT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/proto/input.h"

/* Parses one packet. Returns 0 (kind UNKNOWN, with the magic, for magics we do not
 * decode), or SKY_ERR(EBADMSG): shorter than its header, a size field that does not match the
 * bytes, a body shorter than its layout, text that is empty, too long or not valid UTF-8, an
 * out-of-range button or pad number. *out is then zeroed. Extra bytes after a layout are
 * ignored (hosts do the same). */
int sky_input_parse(const uint8_t *pkt, size_t len, SkyInputPacket *out);

/* One line describing a packet, for logs and tests, e.g. "key down code=0x8041 mods=0x02
 * flags=0x00". Always NUL-terminated; returns false if cap was too small. */
bool sky_input_format(const SkyInputPacket *p, char *out, size_t cap);

#endif

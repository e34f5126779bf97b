#!/usr/bin/env python3
"""Extracts encrypted control-stream messages (ENet SEND_RELIABLE payloads on UDP 47999) from a
GameStream capture, for tests/unit/test_control.c.

Standard library only. Reads a classic little-endian pcap with Ethernet framing (as in
shared/captures/), walks the ENet commands of every datagram to or from UDP port 47999 and
writes the payload of each SEND_RELIABLE command that carries an encrypted control message
(LE16 0x0001 first) as OUTDIR/control-enc-<name>-<C|H>-<seq>.bin, where C/H is the sender and
seq is the message's GCM sequence number (read from its unencrypted header). A retransmitted
message (same sender and sequence) is written once.

    extract_control.py PCAP NAME OUTDIR [--channels FILE] [C:SEQ|H:SEQ ...]

With selectors only those messages are written; without, all of them. --channels also writes,
for every message of the capture (selected or not), a line "sender<TAB>seq<TAB>channel": the
ENet channel it travelled on.
"""
import struct
import sys

from pcap_ip import ipv4_packets

CONTROL_PORT = 47999

# ENet 1.3 command sizes, header included, without the data that follows some of them.
ENET_FIXED = {
    1: 8,    # ACKNOWLEDGE
    2: 48,   # CONNECT
    3: 44,   # VERIFY_CONNECT
    4: 8,    # DISCONNECT
    5: 4,    # PING
    6: 6,    # SEND_RELIABLE (+ BE16 dataLength)
    7: 8,    # SEND_UNRELIABLE (+ BE16 unreliableSequenceNumber, BE16 dataLength)
    8: 24,   # SEND_FRAGMENT
    9: 8,    # SEND_UNSEQUENCED (+ BE16 unsequencedGroup, BE16 dataLength)
    10: 12,  # BANDWIDTH_LIMIT
    11: 16,  # THROTTLE_CONFIGURE
    12: 24,  # SEND_UNRELIABLE_FRAGMENT
}
# Offset of the BE16 dataLength field for commands that carry data.
ENET_DATALEN_AT = {6: 4, 7: 6, 8: 6, 9: 6, 12: 6}


def udp_datagrams(path):
    """Yields (src_port, dst_port, payload) for every IPv4/UDP packet of the capture."""
    for proto, ihl, ip in ipv4_packets(path):
        if proto != 17 or len(ip) < ihl + 8:
            continue
        sport, dport, ulen = struct.unpack_from(">HHH", ip, ihl)
        yield sport, dport, ip[ihl + 8:ihl + ulen]


def enet_payloads(dgram):
    """Yields (command, channel, payload) for each data-carrying ENet command."""
    if len(dgram) < 2:
        return
    peer, = struct.unpack_from(">H", dgram, 0)
    pos = 4 if peer & 0x8000 else 2
    while pos + 4 <= len(dgram):
        cmd = dgram[pos]
        kind = cmd & 0x0F
        channel = dgram[pos + 1]
        if kind not in ENET_FIXED:
            return
        size = ENET_FIXED[kind]
        if pos + size > len(dgram):
            return
        if kind in ENET_DATALEN_AT:
            n, = struct.unpack_from(">H", dgram, pos + ENET_DATALEN_AT[kind])
            payload = dgram[pos + size:pos + size + n]
            if len(payload) != n:
                return
            yield kind, channel, payload
            size += n
        pos += size


def main(argv):
    if len(argv) < 4:
        raise SystemExit(__doc__)
    pcap, name, outdir = argv[1], argv[2], argv[3]
    rest = argv[4:]
    channels_path = None
    if rest[:1] == ["--channels"] and len(rest) >= 2:
        channels_path, rest = rest[1], rest[2:]
    wanted = set()
    channels = []
    for sel in rest:
        who, seq = sel.split(":")
        wanted.add((who, int(seq)))
    seen = set()
    for sport, dport, dgram in udp_datagrams(pcap):
        if dport == CONTROL_PORT:
            who = "C"
        elif sport == CONTROL_PORT:
            who = "H"
        else:
            continue
        for kind, channel, payload in enet_payloads(dgram):
            if kind != 6 or len(payload) < 24 or payload[0:2] != b"\x01\x00":
                continue
            seq, = struct.unpack_from("<I", payload, 4)
            key = (who, seq)
            if key in seen:
                continue
            seen.add(key)
            channels.append("%s\t%d\t%d\n" % (who, seq, channel))
            if wanted and key not in wanted:
                continue
            out = "%s/control-enc-%s-%s-%04d.bin" % (outdir, name, who, seq)
            with open(out, "wb") as f:
                f.write(payload)
            print("%s  channel %d  %d bytes" % (out, channel, len(payload)))
    if channels_path:
        with open(channels_path, "w") as f:
            f.write("# sender\tseq\tchannel (from %s by extract_control.py)\n" % pcap.split("/")[-1])
            f.writelines(channels)
    missing = wanted - seen
    if missing:
        raise SystemExit("not found: %s" % sorted(missing))


if __name__ == "__main__":
    main(sys.argv)

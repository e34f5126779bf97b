"""IPv4 packets of a little-endian microsecond pcap with Ethernet framing (the recorded
captures), for the extract_*.py scripts."""

import struct


def ipv4_packets(path):
    """Yields (protocol, ip header length, ip bytes up to the total length) per IPv4 packet."""
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack_from("<I", data, 0)
    if magic != 0xA1B2C3D4:
        raise SystemExit("%s: not a little-endian microsecond pcap" % path)
    linktype, = struct.unpack_from("<I", data, 20)
    if linktype != 1:
        raise SystemExit("%s: link type %d, expected Ethernet" % (path, linktype))
    pos = 24
    while pos + 16 <= len(data):
        _, _, incl, _ = struct.unpack_from("<IIII", data, pos)
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if len(frame) < 14 + 20 or struct.unpack_from(">H", frame, 12)[0] != 0x0800:
            continue
        ip = frame[14:]
        total, = struct.unpack_from(">H", ip, 2)
        yield ip[9], (ip[0] & 0x0F) * 4, ip[:total]

#!/usr/bin/env python3
"""Extracts encrypted RTSP frames (TCP port 48010, rtspenc://) from a GameStream capture, for
tests/unit/test_rtsp.c.

Standard library only. Reads a classic little-endian pcap with Ethernet framing (as in
shared/captures/), reassembles each TCP connection to or from port 48010 per direction (by TCP
sequence number, so a retransmitted segment counts once), splits the byte stream into frames
(BE32 0x80000000|N, BE32 sequence, 16-byte tag, N bytes) and writes each frame, header included,
as OUTDIR/rtsp-enc-<name>-<C|H>-<seq>.bin, where C/H is the sender and seq the frame's sequence
number (read from its unencrypted header). Nothing is decrypted here.

    extract_rtsp.py PCAP NAME OUTDIR [C:SEQ|H:SEQ ...]

With selectors only those frames are written; without, all of them.
"""
import os
import struct
import sys

from pcap_ip import ipv4_packets

RTSP_PORT = 48010


def tcp_segments(path):
    """Yields (src_port, dst_port, tcp_seq, payload) for every IPv4/TCP packet with data."""
    for proto, ihl, ip in ipv4_packets(path):
        if proto != 6 or len(ip) < ihl + 20:
            continue
        tcp = ip[ihl:]
        sport, dport, seq = struct.unpack_from(">HHI", tcp, 0)
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload:
            yield sport, dport, seq, payload


def streams(path):
    """{(client_port, 'C'|'H'): bytes} in capture order of the connections."""
    out = {}
    next_seq = {}
    for sport, dport, seq, payload in tcp_segments(path):
        if dport == RTSP_PORT:
            key = (sport, "C")
        elif sport == RTSP_PORT:
            key = (dport, "H")
        else:
            continue
        buf = out.setdefault(key, bytearray())
        expect = next_seq.get(key, seq)
        if seq != expect:
            if (seq - expect) & 0x80000000:
                continue  # retransmission of bytes already taken
            raise SystemExit("gap in TCP stream %r" % (key,))
        buf += payload
        next_seq[key] = (seq + len(payload)) & 0xFFFFFFFF
    return out


def frames(buf):
    while buf:
        if len(buf) < 24:
            raise SystemExit("truncated frame header")
        tl, seq = struct.unpack_from(">II", buf, 0)
        if not tl & 0x80000000:
            raise SystemExit("not an encrypted RTSP frame")
        n = 24 + (tl & 0x7FFFFFFF)
        if len(buf) < n:
            raise SystemExit("truncated frame")
        yield seq, bytes(buf[:n])
        buf = buf[n:]


def main(argv):
    if len(argv) < 4:
        raise SystemExit(__doc__)
    pcap, name, outdir = argv[1:4]
    want = set()
    for sel in argv[4:]:
        who, seq = sel.split(":")
        want.add((who, int(seq)))
    os.makedirs(outdir, exist_ok=True)
    written = 0
    for (_port, who), buf in streams(pcap).items():
        for seq, frame in frames(bytes(buf)):
            if want and (who, seq) not in want:
                continue
            path = os.path.join(outdir, "rtsp-enc-%s-%s-%d.bin" % (name, who, seq))
            with open(path, "wb") as f:
                f.write(frame)
            written += 1
    print("wrote %d frames" % written)


if __name__ == "__main__":
    main(sys.argv)

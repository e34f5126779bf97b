#!/usr/bin/env python3
"""Cuts the streaming-test fixtures (<capture>.dgrams and <capture>.keys) out of the golden
captures. A one-off developer tool: its output is committed, CI never runs it.

  python3 tests/data/captures/extract.py [--src /work/shared/captures] [--out DIR]

Needs the captures directory (pcaps, sessions.json and verify_captures.py, whose pcap reader
and decryption it reuses; that needs python3-cryptography). Format: see README.md here.
"""
import argparse
import hashlib
import json
import os
import re
import struct
import sys

# capture -> number of video frames kept (from the first one)
CAPTURES = {'stream-h264': 60, 'stream-hevc': 30, 'stream-h264-videoenc': 30}
AUDIO_DATAGRAMS = 200
MAGIC = b'SKYDGRM1'
STREAM_VIDEO, STREAM_AUDIO = 1, 2
VIDEO_PORT, AUDIO_PORT, RTSP_PORT = 47998, 48000, 48010


def announce_sdp(vc, pkts, gcm):
    """The client's decrypted RTSP ANNOUNCE (framing as in verify_captures.py)."""
    for conn in vc.tcp_streams(pkts, RTSP_PORT).values():
        buf = bytes(conn['to_host'])
        while buf:
            tl, seq = struct.unpack('>II', buf[:8])
            ln = tl & 0x7fffffff
            text = gcm.decrypt(vc.gcm_iv(seq, b'C', b'R'), buf[24:24 + ln] + buf[8:24], None)
            if text.startswith(b'ANNOUNCE'):
                return text.decode()
            buf = buf[24 + ln:]
    raise SystemExit('no ANNOUNCE found')


def extract(vc, src, out, name, sess, nframes):
    pkts = list(vc.read_pcap(os.path.join(src, name + '.pcap')))
    key = bytes.fromhex(sess['rikey'])
    rikeyid = sess['rikeyid'] & 0xffffffff
    gcm = vc.AESGCM(key)
    sdp = announce_sdp(vc, pkts, gcm)
    packet_size = int(re.search(r'x-nv-video\[0\]\.packetSize:(\d+)', sdp).group(1))
    encrypted = bool(int(re.search(r'x-ss-general\.encryptionEnabled:(\d+)', sdp).group(1)) & 2)
    assert encrypted == sess['video_encrypted']

    records = []  # (pcap index, time_s, stream, wire bytes)
    frames = {}   # frameIndex -> {'n': data shards, 'p': parity, 'data': {idx: payload}}
    first_frame = None
    audio = []
    for idx, t, proto, sp, _dp, pl in pkts:
        if proto != 'udp':
            continue
        if sp == VIDEO_PORT:
            plain = gcm.decrypt(pl[:12], pl[32:] + pl[16:32], None) if encrypted else pl
            fidx, fec = struct.unpack('<I', plain[20:24])[0], struct.unpack('<I', plain[28:32])[0]
            if first_frame is None:
                first_frame = fidx
            if not first_frame <= fidx < first_frame + nframes:
                continue
            n, shard, pct = fec >> 22, (fec >> 12) & 0x3ff, (fec >> 4) & 0xff
            assert plain[27] == 0, 'one FEC block per frame expected'
            fr = frames.setdefault(fidx, {'n': n, 'p': (n * pct + 99) // 100, 'got': 0, 'data': {}})
            fr['got'] += 1
            if shard < n:
                fr['data'][shard] = plain[32:]
            records.append((idx, t, STREAM_VIDEO, pl))
        elif sp == AUDIO_PORT and len(audio) < AUDIO_DATAGRAMS:
            audio.append(pl)
            records.append((idx, t, STREAM_AUDIO, pl))

    # The elementary stream of exactly the kept frames, as verify_captures.py builds it.
    es = bytearray()
    for fidx in range(first_frame, first_frame + nframes):
        fr = frames[fidx]
        assert fr['got'] == fr['n'] + fr['p'] and len(fr['data']) == fr['n'], fidx
        body = b''.join(fr['data'][i] for i in range(fr['n']))
        last_len = struct.unpack('<H', body[4:6])[0]
        body = body[:len(body) - len(fr['data'][fr['n'] - 1]) + last_len]
        es += body[8:]

    # Opus packets of the kept PT 97 datagrams, in sequence order, BE16-length prefixed.
    data_pkts = sorted((struct.unpack('>H', a[2:4])[0], a) for a in audio if a[1] == 97)
    opus = hashlib.sha256()
    for seq, a in data_pkts:
        iv = struct.pack('>I', (rikeyid + seq) & 0xffffffff) + b'\0' * 12
        d = vc.Cipher(vc.algorithms.AES(key), vc.modes.CBC(iv)).decryptor()
        p = d.update(a[12:]) + d.finalize()
        assert 1 <= p[-1] <= 16 and p[-p[-1]:] == bytes([p[-1]]) * p[-1]
        p = p[:-p[-1]]
        opus.update(struct.pack('>H', len(p)) + p)

    # Cross-check against the captures' own expected results.
    exp = json.load(open(os.path.join(src, name + '.expected.json')))
    per_frame = exp['video_per_frame[index,type,data_shards,fec_pct,es_bytes]']
    assert sum(f[4] for f in per_frame if first_frame <= f[0] < first_frame + nframes) == len(es)
    assert es[:48].hex() == exp['video_es_head']

    records.sort(key=lambda r: r[0])
    t0 = records[0][1]
    with open(os.path.join(out, name + '.dgrams'), 'wb') as f:
        f.write(MAGIC)
        for _idx, t, stream, pl in records:
            us = int(round((t - t0) * 1e6))
            f.write(struct.pack('<BBHIQ', stream, 0, len(pl), 0, us) + pl)

    nvideo = sum(1 for r in records if r[2] == STREAM_VIDEO)
    keys = [
        ('capture', name),
        ('codec', sess['codec']),
        ('rikey', sess['rikey']),
        ('rikeyid', str(rikeyid)),
        ('packet_size', str(packet_size)),
        ('video_encrypted', '1' if encrypted else '0'),
        ('frames', str(nframes)),
        ('first_frame', str(first_frame)),
        ('last_frame', str(first_frame + nframes - 1)),
        ('video_datagrams', str(nvideo)),
        ('video_es_bytes', str(len(es))),
        ('video_es_sha256', hashlib.sha256(es).hexdigest()),
        ('audio_datagrams', str(len(audio))),
        ('audio_data_packets', str(len(data_pkts))),
        ('audio_fec_packets', str(len(audio) - len(data_pkts))),
        ('opus_sha256', opus.hexdigest()),
    ]
    with open(os.path.join(out, name + '.keys'), 'w') as f:
        f.write('# %s.pcap, trimmed by extract.py (see README.md)\n' % name)
        f.writelines('%s = %s\n' % kv for kv in keys)
    print('%s: %d video datagrams (frames %d..%d), %d audio datagrams, %d bytes' % (
        name, nvideo, first_frame, first_frame + nframes - 1, len(audio),
        os.path.getsize(os.path.join(out, name + '.dgrams'))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--src', default='/work/shared/captures')
    ap.add_argument('--out', default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    sys.path.insert(0, args.src)
    import verify_captures as vc
    sessions = json.load(open(os.path.join(args.src, 'sessions.json')))['captures']
    for name, nframes in CAPTURES.items():
        extract(vc, args.src, args.out, name, sessions[name], nframes)


if __name__ == '__main__':
    main()

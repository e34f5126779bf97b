"""The test host's streaming side (tests/host, skylight-testhost) driven by a small client written
here (python3 standard library only): /launch over HTTPS with a pre-paired client certificate,
plain RTSP (corever=0, so no AES is needed), UDP pings, and the video and audio datagrams that
come back. The real client is tested against the host elsewhere; this checks the host alone.

    python3 test_testhost_stream.py SKYLIGHT SAMPLES_DIR CASE   (SKY_TESTHOST names the host)

Cases:
  rtsp_handshake   replies byte for byte as in the recorded Sunshine session (values masked);
                   no RTSP without a pending launch; 400/404 for bad requests and codecs
  video_stream     datagrams parse and reassemble into exactly the access units the host wrote
                   with --dump-video; ffmpeg decodes them; the barcode counts 1, 2, 3, ...
  audio_stream     RTP numbering, FEC cadence, constant Opus packet size
  impairment       --impair loss/delay: the datagrams missing are the ones the host says it
                   dropped; --impair-upstream loss=100% loses the pings (stream ends: no-ping)
"""

import http.client
import os
import re
import shutil
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skytest  # noqa: E402
from skytest import check  # noqa: E402
from testhost import TestHost, pattern_frame_number  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "captures")
APP_ID = 881448767  # "Desktop" of the recorded host
RIKEY = "b15e61c64f6958d38a253ad52e270237"
RIKEYID = 509169654


class Host(TestHost):
    """The test host with the recorded client certificate already paired."""

    def __init__(self, ctx, args=()):
        os.makedirs(os.path.join(ctx.path("host"), "clients"), exist_ok=True)
        shutil.copy(os.path.join(DATA, "client-cert.pem"),
                    os.path.join(ctx.path("host"), "clients", "recorded-client.pem"))
        TestHost.__init__(self, ctx, ["--apps", "Desktop=%d" % APP_ID] + list(args))

    # ---- HTTPS ----

    def https_get(self, path):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.load_cert_chain(os.path.join(DATA, "client-cert.pem"),
                            os.path.join(DATA, "client-key.pem"))
        c = http.client.HTTPSConnection("127.0.0.1", self.ports["https"], context=ctx,
                                        timeout=20)
        c.request("GET", path)
        body = c.getresponse().read().decode()
        c.close()
        return body

    def launch(self, mode="320x240x30", corever=0, verb="launch"):
        body = self.https_get("/%s?uniqueid=0123456789ABCDEF&appid=%d&mode=%s&additionalStates=1"
                              "&sops=0&rikey=%s&rikeyid=%d&localAudioPlayMode=0"
                              "&surroundAudioInfo=196610&corever=%d"
                              % (verb, APP_ID, mode, RIKEY, RIKEYID, corever))
        check('status_code="200"' in body and "sessionUrl0" in body,
              "/%s failed: %s" % (verb, body))
        return body


# ---- RTSP, as moonlight-common-c writes it (taken from the recorded session) ----

def capture_messages(name="stream-h264.rtsp.txt"):
    """[(sender, text)] of the recorded RTSP exchange."""
    with open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    out = []
    parts = re.split(rb"==== (client|host), encryption seq \d+\n", data)
    for i in range(1, len(parts), 2):
        msg = parts[i + 1]
        check(msg.endswith(b"\n"), "capture block without its trailing newline")
        out.append((parts[i].decode(), msg[:-1]))
    return out


def rtsp(port, request, timeout_s=20):
    """One request on its own connection; everything the host sends until it closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    s.sendall(request)
    chunks = []
    while True:
        try:
            b = s.recv(65536)
        except ConnectionResetError:  # closed with our request unread: nothing was answered
            break
        if not b:
            break
        chunks.append(b)
    s.close()
    return b"".join(chunks)


def set_attrs(announce, values):
    """The ANNOUNCE request with some a= attributes changed and Content-length fixed."""
    head, body = announce.split(b"\r\n\r\n", 1)
    for name, value in values.items():
        pat = re.compile(rb"^a=" + re.escape(name.encode()) + rb":[^ \r]* \r$", re.M)
        check(pat.search(body), "attribute %s is not in the recorded ANNOUNCE" % name)
        body = pat.sub(b"a=" + name.encode() + b":" + str(value).encode() + b" \r", body)
    head = re.sub(rb"Content-length: \d+", b"Content-length: %d" % len(body), head)
    return head + b"\r\n\r\n" + body


def drop_attr(announce, name):
    head, body = announce.split(b"\r\n\r\n", 1)
    body = re.sub(rb"a=" + re.escape(name.encode()) + rb":[^\r]*\r\n", b"", body)
    head = re.sub(rb"Content-length: \d+", b"Content-length: %d" % len(body), head)
    return head + b"\r\n\r\n" + body


def handshake(host, attrs):
    """OPTIONS .. PLAY with the recorded requests; returns (replies, setup values)."""
    msgs = [t for who, t in capture_messages() if who == "client"]
    replies = []
    for req in msgs:
        if req.startswith(b"ANNOUNCE"):
            req = set_attrs(req, attrs)
        replies.append(rtsp(host.ports["rtsp"], req))
    for r in replies:
        check(r.startswith(b"RTSP/1.0 200 OK\r\n"), "RTSP request failed: %r" % r[:200])
    payload = re.search(rb"X-SS-Ping-Payload: ([0-9A-F]{16})\r\n", replies[2]).group(1)
    return replies, payload


def stream_attrs(width=320, height=240, fps=30, packet_size=1024, codec=0, bitrate=2000):
    return {
        "x-nv-video[0].clientViewportWd": width,
        "x-nv-video[0].clientViewportHt": height,
        "x-nv-video[0].maxFPS": fps,
        "x-nv-video[0].packetSize": packet_size,
        "x-ml-video.configuredBitrateKbps": bitrate,
        "x-nv-vqos[0].bitStreamFormat": codec,
        "x-nv-video[0].videoEncoderSlicesPerFrame": 1,
        # Control encryption only (and no legacy audio-encryption flag 0x20): media stays
        # readable without AES here.
        "x-ss-general.encryptionEnabled": 1,
        "x-nv-general.featureFlags": 135,
    }


def udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("127.0.0.1", 0))
    return s


WAIT_S = 60  # for datagrams to arrive: generous, the host and this script share a busy machine


def receive(sock, port, payload, enough=None, seconds=None):
    """Pings the host's port every 0.5 s and collects (time, datagram) until enough(got) is
    true (failing after WAIT_S), or for `seconds` when no `enough` is given (to show that
    nothing comes)."""
    got = []
    counter = 1
    t_end = time.monotonic() + (WAIT_S if enough else seconds)
    next_ping = 0.0
    sock.settimeout(0.05)
    while not (enough and enough(got)):
        now = time.monotonic()
        if now >= t_end:
            check(not enough, "after %d s, only %d datagrams came" % (WAIT_S, len(got)))
            break
        if now >= next_ping:
            sock.sendto(payload + struct.pack(">I", counter), ("127.0.0.1", port))
            counter += 1
            next_ping = now + 0.5
        try:
            d, _ = sock.recvfrom(65536)
            got.append((time.monotonic(), d))
        except socket.timeout:
            pass
    return got


def drain(sock, port, want):
    """What is still on its way after the stream ended: reads until `want` more datagrams
    came (the host's count of those it sent, less those read already)."""
    return receive(sock, port, b"x" * 16, lambda g: len(g) >= want)


def frames_in(got, n):
    """True once the video datagrams in got belong to n or more frames."""
    return len({struct.unpack("<I", d[20:24])[0] for _, d in got}) >= n


# ---- Video datagrams ----

def parse_shard(d, packet_size):
    check(len(d) == packet_size + 16, "video datagram of %d bytes (want %d)"
          % (len(d), packet_size + 16))
    v, pt, seq, ts, ssrc = struct.unpack(">BBHII", d[:12])
    check(v == 0x90 and pt == 0 and ssrc == 0 and d[12:16] == b"\0" * 4, "bad RTP header")
    spi, frame, flags, _res, mff, mfb, fec = struct.unpack("<IIBBBBI", d[16:32])
    return {"seq": seq, "ts": ts, "spi": spi, "frame": frame, "flags": flags, "mff": mff,
            "block": (mfb >> 4) & 3, "last_block": mfb >> 6, "n": fec >> 22,
            "index": (fec >> 12) & 0x3FF, "pct": (fec >> 4) & 0xFF, "payload": d[32:]}


def reassemble(datagrams, packet_size, min_parity=2):
    """Frames in order as (frame index, frame type, access unit); checks every header."""
    frames = {}
    seqs = set()
    for d in datagrams:
        s = parse_shard(d, packet_size)
        check(s["seq"] not in seqs, "sequence number %d twice" % s["seq"])
        seqs.add(s["seq"])
        check(s["index"] < s["n"] + max(min_parity, (s["n"] * s["pct"] + 99) // 100),
              "shard index past the block")
        f = frames.setdefault(s["frame"], {})
        f[(s["block"], s["index"])] = s
    out = []
    for index in sorted(frames):
        f = frames[index]
        blocks = sorted({b for b, _ in f})
        last = max(s["last_block"] for s in f.values())
        check(blocks == list(range(last + 1)), "frame %d: FEC blocks %r" % (index, blocks))
        data = b""
        for b in blocks:
            shards = {i: s for (bb, i), s in f.items() if bb == b}
            n = next(iter(shards.values()))["n"]
            pct = next(iter(shards.values()))["pct"]
            p = (n * pct + 99) // 100
            check(p >= min(min_parity, 255 - n), "frame %d: %d parity shards for %d" % (index, p, n))
            check(set(shards) == set(range(n + p)), "frame %d block %d: shards %r (n %d p %d)"
                  % (index, b, sorted(shards), n, p))
            for i in range(n):
                s = shards[i]
                want = 0x01 | (0x04 if i == 0 else 0) | (0x02 if i == n - 1 else 0)
                check(s["flags"] == want and s["mff"] == 0x10, "frame %d shard %d: flags %#x, "
                      "multiFecFlags %#x" % (index, i, s["flags"], s["mff"]))
                check(s["spi"] >> 8 == s["seq"], "streamPacketIndex")
                data += s["payload"]
        check(data[0] == 1 and data[6:8] == b"\0\0", "frame %d: frame header %r" % (index, data[:8]))
        ftype = data[3]
        last_len = struct.unpack("<H", data[4:6])[0]
        pay = packet_size - 16
        end = len(data) - pay + last_len
        check(data[end:] == b"\0" * (len(data) - end), "frame %d: padding not zero" % index)
        out.append((index, ftype, data[8:end]))
    return out


def barcode_numbers(gray, width, height):
    """Frame numbers read from decoded gray frames."""
    size = width * height
    return [pattern_frame_number(lambda x, y: gray[off + y * width + x], width)
            for off in range(0, len(gray) - size + 1, size)]


# ---------------------------------------------------------------------------------------------

def rtsp_handshake(ctx):
    host = Host(ctx)
    try:
        # No launch yet: the host closes the connection at once.
        msgs = capture_messages()
        check(rtsp(host.ports["rtsp"], msgs[0][1]) == b"", "RTSP answered without a launch")
        body = host.launch(corever=0)
        check("<sessionUrl0>rtsp://127.0.0.1:%d</sessionUrl0>" % host.ports["rtsp"] in body,
              "sessionUrl0: %s" % body)

        def mask(text):
            text = re.sub(rb"X-SS-Ping-Payload: [0-9A-F]{16}", b"X-SS-Ping-Payload: P", text)
            text = re.sub(rb"X-SS-Connect-Data: \d+", b"X-SS-Connect-Data: C", text)
            return re.sub(rb"server_port=\d+", b"server_port=N", text)

        got = []
        for who, text in msgs:
            if who == "client":
                got.append(rtsp(host.ports["rtsp"], text))
        want = [t for who, t in msgs if who == "host"]
        check(len(got) == len(want) == 7, "7 replies expected")
        for g, w in zip(got, want):
            check(mask(g) == mask(w), "reply differs from Sunshine's:\n%r\nwant\n%r" % (g, w))
        # The ports are ours, the payload is the same in the audio and video replies.
        check(b"server_port=%d" % host.ports["audio"] in got[2], "audio port")
        check(b"server_port=%d" % host.ports["video"] in got[3], "video port")
        check(b"server_port=%d" % host.ports["control"] in got[4], "control port")
        pp = [re.search(rb"X-SS-Ping-Payload: (\S+)", g).group(1) for g in got[2:4]]
        check(pp[0] == pp[1], "ping payloads differ")
        ann = host.wait_for("announce ")
        check("width=1280 height=720 fps=60 codec=h264 bitrate=7308 packet_size=1024 slices=4 "
              "audio=2 encryption=5" in ann, "announce event: %s" % ann)
        host.wait_for("stream-start")
        host.wait_for("rtsp PLAY")  # the reader thread may lag behind the replies
        events = [l.split()[1] for l in host.events("rtsp ")]
        check(events == ["OPTIONS", "DESCRIBE", "SETUP", "SETUP", "SETUP", "ANNOUNCE", "PLAY"],
              "rtsp events %r" % events)
        # A second ANNOUNCE while the stream runs: 503.
        announce = [t for who, t in msgs if t.startswith(b"ANNOUNCE")][0]
        r = rtsp(host.ports["rtsp"], announce)
        check(r.startswith(b"RTSP/1.0 503 Service Unavailable\r\nCSeq: 6\r\n"), "second ANNOUNCE: %r" % r)
        # /cancel is refused while it streams (Sunshine v0.23).
        body = host.https_get("/cancel?uniqueid=0123456789ABCDEF")
        check('status_code="503"' in body, "/cancel while streaming: %s" % body)
        m = host.mark()
        host.command("quit-app")
        end = host.wait_for("stream-end ", after=m)
        check("reason=quit-app" in end, end)
        # The app has quit: /resume finds nothing, and RTSP is closed again.
        body = host.https_get("/resume?uniqueid=0123456789ABCDEF&rikey=%s&rikeyid=1" % RIKEY)
        check('status_code="503"' in body, "/resume after quit-app: %s" % body)
        check(rtsp(host.ports["rtsp"], msgs[0][1]) == b"", "RTSP answered after quit-app")
        # Errors: a missing required attribute, an unknown stream, an unknown method.
        host.launch(corever=0)
        r = rtsp(host.ports["rtsp"], drop_attr(announce, "x-nv-video[0].maxFPS"))
        check(r == b"RTSP/1.0 400 BAD REQUEST\r\nCSeq: 6\r\n\r\n", "missing maxFPS: %r" % r)
        r = rtsp(host.ports["rtsp"], b"SETUP streamid=foo/0/0 RTSP/1.0\r\nCSeq: 9\r\n\r\n")
        check(r == b"RTSP/1.0 404 NOT FOUND\r\nCSeq: 9\r\n\r\n", "unknown stream: %r" % r)
        r = rtsp(host.ports["rtsp"], b"TEARDOWN / RTSP/1.0\r\nCSeq: 10\r\n\r\n")
        check(r.startswith(b"RTSP/1.0 404"), "unknown method: %r" % r)
        r = rtsp(host.ports["rtsp"], b"garbage\r\n\r\n")
        check(r.startswith(b"RTSP/1.0 400"), "garbage: %r" % r)
    finally:
        host.stop()
    # H.264 only: no HEVC marker in DESCRIBE, HEVC refused; video encryption offered.
    host = Host(ctx, ["--codec-support", "0x1", "--video-encryption", "opportunistic"])
    try:
        host.launch(corever=0)
        describe = [t for who, t in msgs if t.startswith(b"DESCRIBE")][0]
        r = rtsp(host.ports["rtsp"], describe)
        check(b"sprop-parameter-sets" not in r and b"encryptionSupported:7\n" in r
              and b"encryptionRequested:1\n" in r, "DESCRIBE: %r" % r)
        announce = [t for who, t in msgs if t.startswith(b"ANNOUNCE")][0]
        r = rtsp(host.ports["rtsp"], set_attrs(announce, {"x-nv-vqos[0].bitStreamFormat": 1}))
        check(r == b"RTSP/1.0 400 BAD REQUEST\r\nCSeq: 6\r\n\r\n", "HEVC not offered: %r" % r)
    finally:
        host.stop()
    # Mandatory encryption: a client without encrypted RTSP cannot launch.
    host = Host(ctx, ["--video-encryption", "mandatory"])
    try:
        body = host.https_get("/launch?uniqueid=0123456789ABCDEF&appid=%d&rikey=%s&rikeyid=1"
                              "&localAudioPlayMode=0" % (APP_ID, RIKEY))
        check('status_code="403"' in body, "mandatory encryption without corever: %s" % body)
    finally:
        host.stop()


def video_stream(ctx):
    dump = ctx.path("sent.h264")
    host = Host(ctx, ["--dump-video", dump, "--log-frames", "--ping-timeout", "60"])
    try:
        host.launch()
        _, payload = handshake(host, stream_attrs())
        vs = udp_socket()
        got = receive(vs, host.ports["video"], payload, lambda g: frames_in(g, 31))
        m = host.mark()
        host.command("quit-app")
        end = host.wait_for("stream-end ", after=m)
        check("reason=quit-app" in end, end)
        # Whatever was still on its way.
        datagrams = int(re.search(r"video_datagrams=(\d+)", end).group(1))
        got += drain(vs, host.ports["video"], datagrams - len(got))
        vs.close()
        frames = reassemble([d for _, d in got], 1024)
        check(len(frames) > 30, "only %d frames" % len(frames))
        check([f[0] for f in frames] == list(range(1, len(frames) + 1)), "frame indexes")
        check(frames[0][1] == 2 and all(t == 1 for _, t, _ in frames[1:]), "frame types")
        sent = int(re.search(r"frames=(\d+)", end).group(1))
        check(sent == len(frames), "host sent %d frames, %d arrived" % (sent, len(frames)))
        stream = b"".join(au for _, _, au in frames)
        with open(dump, "rb") as f:
            dumped = f.read()
        check(stream == dumped, "the reassembled stream differs from --dump-video (%d vs %d bytes)"
              % (len(stream), len(dumped)))
        logged = host.events("frame n=")
        check(len(logged) == sent and logged[0] == "frame n=1 type=2 bytes=%d" % len(frames[0][2]),
              "frame events: %r" % logged[:2])
        # ffmpeg decodes it, and the pictures count 1, 2, 3, ...
        raw = ctx.path("dec.gray")
        r = skytest.run(["ffmpeg", "-v", "error", "-i", dump, "-f", "rawvideo", "-pix_fmt", "gray",
                         "-y", raw])
        check(r.rc == 0, "ffmpeg cannot decode the stream", r)
        with open(raw, "rb") as f:
            nums = barcode_numbers(f.read(), 320, 240)
        check(nums == list(range(1, len(frames) + 1)), "barcodes %r" % nums[:10])
    finally:
        host.stop()


def audio_stream(ctx):
    host = Host(ctx, ["--ping-timeout", "60"])
    try:
        host.launch()
        _, payload = handshake(host, stream_attrs())
        au = udp_socket()
        got = receive(au, host.ports["audio"], payload,
                      lambda g: sum(d[1] == 97 for _, d in g) >= 150)
        au.close()
        host.wait_for("client audio=127.0.0.1:")
        data = [d for _, d in got if d[1] == 97]
        fec = [d for _, d in got if d[1] == 127]
        for i, d in enumerate(data):
            v, pt, seq, ts, ssrc = struct.unpack(">BBHII", d[:12])
            check(v == 0x80 and seq == i and ts == 5 * i and ssrc == 0, "packet %d: %r" % (i, d[:12]))
            # Stereo, normal quality (Host: 0.0.0.0): 96 kbps CBR in 5 ms = 60 bytes; the TOC
            # says CELT-only, 5 ms, stereo (the bandwidth is the encoder's choice).
            toc = d[12]
            check(len(d) == 12 + 60 and toc >> 3 >= 16 and (toc >> 3) % 4 == 1 and toc & 4,
                  "packet %d: %d bytes, TOC %#x" % (i, len(d), toc))
        check(len(fec) >= 2 * (len(data) // 4 - 1), "%d FEC packets for %d" % (len(fec), len(data)))
        for d in fec:
            v, pt, seq, ts, ssrc = struct.unpack(">BBHII", d[:12])
            idx, fpt, base, bts, fssrc = struct.unpack(">BBHII", d[12:24])
            check(base % 4 == 0 and seq == base + 4 + idx and ts == 0 and fpt == 97
                  and bts == 5 * base and idx < 2 and len(d) == 24 + 60, "FEC %r" % d[:24])
        m = host.mark()
        host.command("drop")
        check("reason=drop" in host.wait_for("stream-end ", after=m), "drop")
        # The app still runs: /resume, a new handshake, a new stream numbered from 0 again.
        m = host.mark()
        host.launch(verb="resume")
        _, payload2 = handshake(host, stream_attrs())
        host.wait_for("stream-start", after=m)
        check(payload2 != payload, "the ping payload is made anew per launch")
        au = udp_socket()
        got = receive(au, host.ports["audio"], payload2,
                      lambda g: sum(d[1] == 97 for _, d in g) >= 3)
        au.close()
        seqs = [struct.unpack(">H", d[2:4])[0] for _, d in got if d[1] == 97]
        check(seqs and seqs[:3] == [0, 1, 2], "second stream's audio: %r" % seqs[:5])
    finally:
        host.stop()


def impairment(ctx):
    host = Host(ctx, ["--impair", "loss=20%,delay=150ms,seed=7", "--ping-timeout", "60",
                      "--stats"])
    try:
        host.launch()
        _, payload = handshake(host, stream_attrs())
        vs = udp_socket()
        t_ping = time.monotonic()
        got = receive(vs, host.ports["video"], payload, lambda g: len(g) >= 200)
        host.wait_for("stats video_frames=")
        m = host.mark()
        host.command("quit-app")
        end = host.wait_for("stream-end ", after=m)
        sent = int(re.search(r"video_datagrams=(\d+)", end).group(1))
        dropped = int(re.search(r"video_dropped=(\d+)", end).group(1))
        got += drain(vs, host.ports["video"], sent - len(got))
        vs.close()
        # The delay is a lower bound however busy the machine is.
        check(got and got[0][0] - t_ping >= 0.15, "first datagram %.3f s after the ping (delay 150 ms)"
              % (got[0][0] - t_ping if got else -1))
        seqs = sorted(struct.unpack(">H", d[2:4])[0] for _, d in got)
        check(len(seqs) == len(set(seqs)) == sent, "%d datagrams arrived, the host sent %d"
              % (len(seqs), sent))
        missing = (seqs[-1] + 1) - len(seqs)
        check(0.1 < dropped / (sent + dropped) < 0.3 and missing <= dropped,
              "dropped %d of %d, %d missing" % (dropped, sent + dropped, missing))
    finally:
        host.stop()
    # Every ping lost upstream: the stream never starts and ends after the ping timeout.
    host = Host(ctx, ["--impair-upstream", "loss=100%", "--ping-timeout", "2"])
    try:
        host.launch()
        _, payload = handshake(host, stream_attrs())
        vs = udp_socket()
        got = receive(vs, host.ports["video"], payload, seconds=1.0)
        vs.close()
        check(not got, "video came although every ping was lost")
        end = host.wait_for("stream-end ", timeout_s=20)
        check("reason=no-ping" in end, end)
        check(not host.events("client video="), "a ping got through")
    finally:
        host.stop()


if __name__ == "__main__":
    skytest.main([rtsp_handshake, video_stream, audio_stream, impairment])

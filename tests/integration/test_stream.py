"""Streaming end to end: `skylight stream` against the test host (tests/host) over loopback: the
RTSP handshake, the ENet control stream, video with FEC and audio, under the host's user-space
network impairment.

    python3 test_stream.py SKYLIGHT SAMPLES_DIR CASE      (SKY_TESTHOST names the test host)

Every run is headless. The host writes what it sent (--dump-video); decoding that with ffmpeg is
the reference: each picture the client decoded (--frame-md5, pts = the host's frame number) must
equal the reference picture of that frame number, so a frame built on a lost reference, a wrong
FEC rebuild or a bad decryption shows up as a mismatch ("corrupt frame shown").
"""

import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skytest  # noqa: E402
from skytest import check, fail  # noqa: E402
from testhost import Client, TestHost, finish, pattern_frame_number  # noqa: E402
from test_audio import channels_of, check_tones  # noqa: E402

SMALL = ["--width", "640", "--height", "360", "--fps", "60"]


class Session:
    """A paired client and a test host (started with `host_args`), and the files of one run."""

    def __init__(self, ctx, host_args=(), name="run"):
        self.ctx = ctx
        self.dump = ctx.path(name + "-sent.bin")
        self.host = TestHost(ctx, ["--pin", "1234", "--dump-video", self.dump] + list(host_args))
        self.client = Client(ctx)
        self.client.pair(self.host)
        self.md5 = ctx.path(name + ".md5")
        self.stats = ctx.path(name + ".jsonl")

    def args(self, *extra, duration=3):
        return (["stream", self.host.addr, "--headless", "--frame-md5", self.md5,
                 "--stats-json", self.stats] + (["--duration", str(duration)] if duration else [])
                + list(extra))

    def run(self, *extra, duration=3, frames=None, expect_rc=0, timeout_s=90):
        """The client, to its end. frames: instead of --duration, it runs until it has
        presented that many pictures, however slow the machine, and is then stopped (Ctrl+C)."""
        if frames is None:
            return self.client.run(*self.args(*extra, duration=duration), expect_rc=expect_rc,
                                   timeout_s=timeout_s)
        if os.path.exists(self.stats):
            os.unlink(self.stats)
        p = self.client.popen(*self.args(*extra, duration=0),
                              stderr_path=self.ctx.path("client-stderr"))
        deadline = time.monotonic() + timeout_s
        while (p.poll() is None and time.monotonic() < deadline and
               self.presented() < frames):
            time.sleep(0.1)
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        r = finish(p, timeout_s)
        check(r.rc == expect_rc, "expected exit status %d" % expect_rc, r)
        return r

    def presented(self):
        """Pictures the running client has reported presented so far."""
        if not os.path.exists(self.stats):
            return 0
        with open(self.stats) as f:
            return f.read().count('"fate":"presented"')

    def popen(self, *extra, duration=0, env=None, headless=True, drop=()):
        args = self.args(*extra, duration=duration)
        if not headless:
            args.remove("--headless")
        return self.client.popen(*args, env=env, drop=drop)

    def lines(self):
        with open(self.stats) as f:
            return skytest.parse_json_lines(f.read())

    def summary(self):
        s = [o for o in self.lines() if o.get("type") == "summary"]
        check(len(s) == 1, "expected one summary line, got %d" % len(s))
        return s[0]

    def frames(self):
        return [o for o in self.lines() if o.get("type") == "frame"]

    def shown(self):
        """{host frame number: hash} of every picture the client decoded."""
        with open(self.md5) as f:
            return {int(fr[2]): fr[5] for fr in skytest.parse_framemd5(f.read())}

    def reference(self, fmt=None):
        """{host frame number: hash} of the host's stream decoded by ffmpeg. The dump holds
        every frame sent, from frame 1 on, so ffmpeg's n-th picture is frame n."""
        opts = ["-f", fmt] if fmt else []
        ref, r = skytest.ffmpeg_framemd5(self.dump, opts)
        check(ref, "ffmpeg decoded nothing from the host's stream", r)
        return {i + 1: fr[5] for i, fr in enumerate(ref)}

    def check_no_corrupt_frame(self, fmt=None):
        """Every picture shown equals the reference picture of its frame number. Returns
        (shown, reference)."""
        shown, ref = self.shown(), self.reference(fmt)
        check(shown, "the client decoded no picture")
        bad = [n for n, h in sorted(shown.items()) if ref.get(n) != h]
        check(not bad, "%d of %d pictures differ from the host's (frames %s)"
              % (len(bad), len(shown), bad[:10]))
        return shown, ref

    def stop(self):
        self.host.stop()


def network(summary):
    n = summary.get("network")
    check(isinstance(n, dict), "the summary has no network figures: %s" % json.dumps(summary))
    return n


def sent_frames(end_line):
    """Frames the host sent in a stream, from its stream-end event."""
    return int(re.search(r" frames=(\d+)", end_line).group(1))


def check_every_frame_accounted(s, shown, sent, floor, allowed=(), what=""):
    """The end of a run, without timing. The host keeps sending until it notices the client has
    gone, which on a busy machine can be many frames after the client stopped reading, so the
    client's own record is the reference: its frame lines (every frame it got, or knew was lost)
    must be frames 1..N, once each, of the `sent` the host sent; each is decoded (in `shown`)
    or dropped for one of the `allowed` reasons, or, after the last decoded one, still queued
    for the decoder when the run stopped ("flushed"). `floor`: N must reach it (the stream
    flowed; half a second of frames in a run of two or more). Returns N."""
    got = [f["host_frame"] for f in s.frames()]
    n = max(got) if got else 0
    check(sorted(got) == list(range(1, n + 1)), "%sthe client's frame lines are not frames 1..%d "
          "once each (%d lines)" % (what, n, len(got)))
    check(floor <= n <= sent, "%sthe client got %d frames of the %d sent (want at least %d)"
          % (what, n, sent, floor))
    last = max(shown)
    bad = [(f["host_frame"], f.get("drop_reason")) for f in s.frames()
           if f["host_frame"] not in shown and f.get("drop_reason") not in allowed and
           not (f["host_frame"] > last and f.get("drop_reason") == "flushed")]
    check(not bad, "%sframes received but neither decoded nor dropped for %s: %s"
          % (what, "/".join(allowed) or "no reason", bad[:10]))
    return n


def wait_presented(s, timeout_s=60):
    """Waits until the stream's --stats-json file shows a presented frame."""
    t_end = time.monotonic() + timeout_s
    while time.monotonic() < t_end:
        if os.path.exists(s.stats):
            with open(s.stats) as f:
                if '"fate":"presented"' in f.read():
                    return
        time.sleep(0.05)
    fail("no frame was presented within %d s" % timeout_s)


# ---------------------------------------------------------------------------------------------

def lossless(ctx):
    """0% loss: the recording (video and Opus) decodes to exactly the host's stream, every frame
    is decoded and matches; no frame is lost or dropped before decoding. The host's ping timeout
    is 2 s, so the 4 s run also proves the keep-alives; software decoding asks for slices."""
    s = Session(ctx, ["--ping-timeout", "2"])
    try:
        rec = ctx.path("rec.mkv")
        r = s.run("--codec", "h264", "--record", rec, "--decoder", "software", *SMALL,
                  duration=4)
        check("Streaming Desktop from skylight-testhost" in r.out, "no start line", r)
        end = s.host.wait_for("stream-end ")
        check("reason=client-disconnect" in end, "the client did not disconnect: %s" % end)
        announce = s.host.wait_for("announce ")
        check("width=640 height=360 fps=60 codec=h264" in announce, announce)
        check(int(re.search(r"slices=(\d+)", announce).group(1)) >= 2,
              "software decoding did not ask for slices: %s" % announce)
    finally:
        s.stop()
    shown, ref = s.check_no_corrupt_frame()
    # Pictures may be replaced before the (headless) presenter takes them ("superseded", still
    # decoded); nothing may be lost or dropped before decoding.
    got = check_every_frame_accounted(s, shown, sent_frames(end), 30)
    first, last = min(shown), max(shown)
    check(first == 1 and len(shown) == last, "pictures decoded are not frames 1..%d (%d)"
          % (last, len(shown)))
    # The recording: every frame received, from frame 1, each as the host encoded it; and the
    # sound, every packet the recorder counted (those before the first keyframe are not
    # recorded, so no more than were played).
    m = re.search(r"recorded (\d+) frames and (\d+) audio packets", r.err)
    check(m, "no recording summary line", r)
    # (Every picture: the host stamps frames with its capture times, which crowd together
    # when a busy machine holds up its encoder.)
    recorded, rr = skytest.ffmpeg_framemd5(rec, output_opts=("-fps_mode", "passthrough"))
    check(len(recorded) == int(m.group(1)) == got, "%d frames in the recording, %s said, %d "
          "received" % (len(recorded), m.group(1), got), rr)
    want = [ref[i + 1] for i in range(len(recorded))]
    check([f[5] for f in recorded] == want,
          "the recording does not decode to the host's stream (%d frames)" % len(recorded), rr)
    probe = skytest.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-count_packets",
                         "-show_entries", "stream=codec_name,nb_read_packets",
                         "-of", "default=nw=1", rec])
    check("codec_name=opus" in probe.out, "no Opus track in the recording", probe)
    packets = int(re.search(r"nb_read_packets=(\d+)", probe.out).group(1))
    sm = s.summary()
    check(0 < packets == int(m.group(2)) <= sm["audio"]["packets"], "the recording's audio: %d "
          "packets, %s recorded, %d played" % (packets, m.group(2), sm["audio"]["packets"]), probe)
    drops = sm["dropped_by"]
    check(all(v == 0 for k, v in drops.items() if k not in ("flushed", "superseded")),
          "frames dropped: %s" % drops)
    seconds = [o for o in s.lines() if o.get("type") == "second"]
    check(len(seconds) >= 2, "%d per-second lines in 4 s" % len(seconds))
    for o in seconds:
        n = network(o)
        check(n["video_mbps"] >= 0 and n["datagrams"] >= 0 and n["loss_pct"] == 0
              and n["rtt_ms"] >= 0 and "jitter_target_ms" in n and "receive_cpu_pct" in n,
              "per-second network figures: %s" % json.dumps(n))
    check(any(network(o)["datagrams"] > 0 and network(o)["video_mbps"] > 0 for o in seconds),
          "no per-second line counts video: %s" % [network(o) for o in seconds])
    n = network(sm)
    check(n["datagrams_lost"] == 0 and n["frames_lost"] == 0 and n["idr_requests"] == 0,
          "loss reported on a lossless link: %s" % n)
    # Per-frame network timing: first <= last packet <= enqueued, host latency present.
    for f in s.frames():
        if f["fate"] != "presented":
            continue
        check(f["first_packet_us"] <= f["last_packet_us"] <= f["enqueued_us"]
              <= f["decode_start_us"] <= f["decode_end_us"] <= f["presented_us"],
              "frame timeline out of order: %s" % f)
        check(f["host_latency_us"] > 0 and f["data_shards"] >= 1, "no host fields: %s" % f)


def fec_loss(ctx):
    """5% random loss, 20% FEC: at least 99% of the frames sent are shown, and every one shown
    is correct. Small packets make frames of several shards so FEC has work to do."""
    s = Session(ctx, ["--impair", "loss=5%,seed=11", "--fec-percent", "20"])
    try:
        s.run("--codec", "h264", "--packet-size", "256", *SMALL, duration=4)
        end = s.host.wait_for("stream-end ")
        reports = s.host.events("fec-status ")
    finally:
        s.stop()
    shown, ref = s.check_no_corrupt_frame()
    last = max(shown)
    n = network(s.summary())
    # Intact: every frame sent but those lost beyond FEC's reach (frames after a loss wait for
    # the IDR, which takes a round trip that grows on a loaded machine: not counted here).
    intact = 1 - n["frames_lost"] / last
    check(intact >= 0.99, "%.2f%% of frames 1..%d intact (want >= 99%%): %s"
          % (intact * 100, last, n))
    dropped = int(re.search(r"video_dropped=(\d+)", end).group(1))
    sent = int(re.search(r"video_datagrams=(\d+)", end).group(1)) + dropped
    check(dropped > 0 and n["fec_recovered_shards"] > 0,
          "no loss or no FEC rebuild (host dropped %d): %s" % (dropped, n))
    host_rate = dropped / sent
    client_rate = n["datagrams_lost"] / max(1, n["datagrams"] + n["datagrams_lost"])
    check(abs(host_rate - client_rate) < 0.015, "client sees %.2f%% loss, the host dropped %.2f%%"
          % (client_rate * 100, host_rate * 100))
    # Every frame received is decoded, or lost beyond FEC's reach, or waits for the keyframe
    # after such a loss, or was still queued at the end; frames rebuilt by FEC are decoded.
    check_every_frame_accounted(s, shown, sent_frames(end), 30, ("lost", "wait_keyframe"))
    rebuilt = [f for f in s.frames() if f.get("fec_recovered")]
    check(any(f["host_frame"] in shown for f in rebuilt), "no frame rebuilt by FEC was decoded")
    # The client reports each repaired block to the host (Sunshine's FEC status message), in
    # order: every repair up to the last report that arrived was reported (the last ones may
    # still have been queued when the run ended).
    reported = {int(re.search(r"frame=(\d+)", l).group(1)) for l in reports}
    check(reported, "no FEC repair was reported to the host")
    repaired = {f["host_frame"] for f in rebuilt if f["host_frame"] <= max(reported)}
    check(repaired and repaired <= reported, "FEC repairs not reported to the host: frames %s"
          % sorted(repaired - reported)[:10])


def burst_loss(ctx):
    """Bursts that FEC cannot repair: the lost frame is never shown garbled, the client asks for
    an IDR, recovers, and counts the recovery and its duration."""
    s = Session(ctx, ["--impair", "loss=3%,burst=12,seed=5"])
    try:
        s.run("--codec", "h264", "--packet-size", "256", *SMALL, duration=4)
        end = s.host.wait_for("stream-end ")
        idrs = s.host.events("idr-request ")
    finally:
        s.stop()
    shown, _ = s.check_no_corrupt_frame()
    sm = s.summary()
    n = network(sm)
    check(n["frames_lost"] > 0, "no frame was lost to the bursts: %s" % n)
    check(n["idr_requests"] > 0 and len(idrs) > 1, "no IDR request reached the host (%d): %s"
          % (len(idrs), n))
    check(n["recoveries"] > 0 and n["recovery_ms_max"] > 0, "no recovery counted: %s" % n)
    check(sm["dropped_by"]["lost"] > 0, "lost frames not in dropped_by: %s" % sm["dropped_by"])
    # Nothing between a loss and its IDR was decoded: each shown run starts at a keyframe.
    keyframes = {f["host_frame"] for f in s.frames() if f.get("keyframe")}
    runs = [n for n in sorted(shown) if n - 1 not in shown]
    check(all(n in keyframes for n in runs), "pictures after a gap start at frames %s, not at "
          "keyframes %s" % (runs[:10], sorted(keyframes)[:10]))
    # After each loss, pictures resume: the frames received are decoded, lost, or wait for
    # their keyframe; and the stream recovered more than once (only the last loss may still
    # have waited for its keyframe when the run ended).
    check_every_frame_accounted(s, shown, sent_frames(end), 30, ("lost", "wait_keyframe"))
    check(len(runs) >= 3, "pictures resumed after %d losses only (runs start at %s)"
          % (len(runs) - 1, runs))


def jitter_modes(ctx):
    """Reordering, duplicates and jitter: in every mode no corrupt frame, every frame received
    accounted for, and none decoded before its release time, which is never before its
    arrival; pictures are decoded and shown in the host's order. `lowest` holds nothing
    (target 0: every frame is released before it is queued for the decoder); `balanced` and
    `smooth` hold frames (target > 0: some are released after they were queued). How evenly
    frames leave and are shown is a figure, not a check: bench/jitter.py measures it.

    A frame may be lost: the client gives up a frame whose datagrams are still missing a while
    (the reorder wait, learnt from the reordering seen) after the next frame began, and on a
    busy machine the host's sending thread can stall between two datagrams for longer than
    that. Reordering within the wait losing nothing is test_frame_assembler's (unit) check."""
    s = Session(ctx, ["--impair", "delay=10ms,jitter=10ms,reorder=2%,dup=2%,seed=3"])
    try:
        for mode in ("lowest", "balanced", "smooth"):
            m = s.host.mark()
            s.run("--codec", "h264", "--latency-mode", mode, *SMALL, duration=4)
            sent = sent_frames(s.host.wait_for("stream-end ", after=m))
            shown, _ = s.check_no_corrupt_frame()
            check_every_frame_accounted(s, shown, sent, 30, ("lost", "wait_keyframe"),
                                        what=mode + ": ")
            target = network(s.summary())["jitter_target_ms"]
            frames = sorted((f for f in s.frames() if f["fate"] == "presented"),
                            key=lambda f: f["host_frame"])
            early = [f["host_frame"] for f in frames if not
                     f["last_packet_us"] <= f["release_us"] <= f["decode_start_us"]]
            check(not early, "%s: released before arrival or decoded before release (frames %s)"
                  % (mode, early[:10]))
            for key in ("decode_start_us", "presented_us"):
                out = [b["host_frame"] for a, b in zip(frames, frames[1:]) if b[key] < a[key]]
                check(not out, "%s: %s out of the host's order at frames %s"
                      % (mode, key, out[:10]))
            held = [f["host_frame"] for f in frames if f["release_us"] > f["enqueued_us"]]
            if mode == "lowest":
                check(target == 0 and not held, "lowest: target %.1f ms, frames held: %s"
                      % (target, held[:10]))
            else:
                check(target > 0 and held, "%s: target %.1f ms, %d frames held"
                      % (mode, target, len(held)))
    finally:
        s.stop()


def rfi(ctx):
    """A host that offers reference frame invalidation (Sunshine with NVENC): with HEVC, a loss
    FEC cannot repair is answered by invalidating references instead of asking for an IDR (an
    IDR is asked for only when no recovery frame came within the retry time, 0.5 s, which a
    busy machine can exceed); with H.264 the client does not use it (FFmpeg's H.264 decoder
    mishandles the gaps)."""
    s = Session(ctx, ["--rfi", "--impair", "loss=3%,burst=12,seed=5"])
    try:
        m = s.host.mark()
        s.run("--codec", "hevc", "--packet-size", "256", *SMALL, duration=4)
        s.host.wait_for("stream-end ", after=m)
        asked = [l.split()[0] for l in s.host.events("", m) if l.startswith(("rfi ", "idr-"))]
        s.check_no_corrupt_frame("hevc")
        n = network(s.summary())
        # After the opening IDR request, the first loss is answered by an invalidation, and
        # IDR requests (retries) never outnumber the invalidations.
        check(asked[:2] == ["idr-request", "rfi"] and n["recoveries"] > 0 and
              0 < n["rfi_requests"] and n["idr_requests"] <= n["rfi_requests"],
              "HEVC: requests %s reached the host: %s" % (asked[:20], n))
        m = s.host.mark()
        s.run("--codec", "h264", "--packet-size", "256", *SMALL, duration=3)
        s.host.wait_for("stream-end ", after=m)
        s.check_no_corrupt_frame()
        n = network(s.summary())
        check(not s.host.events("rfi ", m) and n["rfi_requests"] == 0 and n["idr_requests"] > 0,
              "H.264 used reference invalidation: %s" % n)
    finally:
        s.stop()


def plain_rtsp(ctx):
    """A host before Sunshine v0.23 answers /launch with rtsp:// (no RTSP encryption): the
    handshake runs in plain text and the stream plays."""
    s = Session(ctx, ["--plain-rtsp"])
    try:
        s.run(*SMALL, frames=30)
        launch = s.host.wait_for("launch ")
        check("corever=0" in launch, "the host did not serve plain RTSP: %s" % launch)
        sent = sent_frames(s.host.wait_for("stream-end "))
    finally:
        s.stop()
    shown, _ = s.check_no_corrupt_frame("hevc")
    check_every_frame_accounted(s, shown, sent, 30)


def host_ends(ctx):
    """The host ends the stream: the reason is shown and the exit status says whether it was an
    error; the client always leaves cleanly."""
    s = Session(ctx)
    cases = [
        ("quit-app", 0, "the app on the host quit"),
        ("terminate 0x800e9302", 1, "protected (DRM) content"),
        ("terminate 0x12345678", 1, "code 0x12345678"),
        ("drop", 1, "connection to the host was lost"),
    ]
    try:
        for cmd, rc, text in cases:
            m = s.host.mark()
            if os.path.exists(s.stats):
                os.unlink(s.stats)
            p = s.popen(*SMALL)
            wait_presented(s)  # (before the first frame, an end is "could not start")
            s.host.command(cmd)
            r = finish(p, 60)
            check(r.rc == rc and text in r.out + r.err,
                  "after '%s': exit %d (want %d), no '%s'" % (cmd, r.rc, rc, text), r)
            check(re.search(r"^summary: \d+ frames", r.out, re.M), "no summary", r)
            s.host.wait_for("stream-end ", after=m)
            if cmd == "quit-app":  # the app is gone: a new stream launches it again
                check(s.host.events("launch "), "no launch")
    finally:
        s.stop()


def user_ends(ctx):
    """Ctrl+C ends the stream cleanly (exit 0) and leaves the app running: the next stream
    resumes it; --quit-after quits it."""
    s = Session(ctx)
    try:
        p = s.popen(*SMALL)
        wait_presented(s)
        p.send_signal(signal.SIGINT)
        r = finish(p, 30)
        check(r.rc == 0 and "stream ended by the user" in r.err, "Ctrl+C: exit %d" % r.rc, r)
        check("reason=client-disconnect" in s.host.wait_for("stream-end "), "host's end reason")
        check(s.client.json("info", s.host.addr)["current_app_id"] != 0,
              "the app stopped when the user ended the stream")
        m = s.host.mark()
        s.run(*SMALL, "--quit-after", duration=1)
        check(s.host.wait_for("resume ", after=m), "the second stream did not resume")
        check(s.client.json("info", s.host.addr)["current_app_id"] == 0,
              "--quit-after left the app running")
    finally:
        s.stop()


def audio(ctx):
    """The host's tone arrives: 440 Hz in both channels through SDL's disk driver, under loss in
    bursts: the audio FEC repairs what it can and Opus concealment covers the rest. (How deep
    the device buffer runs is a figure: bench/jitter.py.)"""
    s = Session(ctx, ["--impair", "loss=4%,burst=3,seed=9"])
    raw = ctx.path("audio.raw")
    try:
        env = {"SDL_AUDIODRIVER": "disk", "SDL_DISKAUDIOFILE": raw}
        r = ctx.skylight_run(s.args("--codec", "h264", *SMALL, duration=3),
                             env=s.client.env(env), expect_rc=0, timeout_s=90)
        end = s.host.wait_for("stream-end ")
    finally:
        s.stop()
    with open(raw, "rb") as f:
        chans = channels_of(f.read(), 2, r)
    check_tones(chans, [440, 440], r)
    sm = s.summary()
    a, n = sm["audio"], network(sm)
    dropped = int(re.search(r"audio_dropped=(\d+)", end).group(1))
    check(dropped > 0 and n["audio_fec_recovered"] > 0,
          "no audio loss or no FEC repair (host dropped %d): %s" % (dropped, n))
    check(n["audio_packets_lost"] > 0 and a["concealed_frames"] > 0,
          "no loss beyond FEC, or nothing concealed: %s %s" % (n, a))
    check(a["buffer_ms_p50"] > 0, "no output buffer depth was measured: %s" % a)


def audio_surround(ctx):
    """5.1 from the host (channel i a tone of 300 + 100 i Hz, in FL FR FC LFE BL BR), encrypted,
    comes out in SDL's channel order, each tone in its channel. At 20 Mb/s the host sends high
    quality surround (one Opus stream per channel); normal quality couples channel pairs at a
    low bitrate, whose crosstalk would blur a per-channel tone test."""
    s = Session(ctx)
    raw = ctx.path("audio51.raw")
    try:
        env = {"SDL_AUDIODRIVER": "disk", "SDL_DISKAUDIOFILE": raw}
        r = ctx.skylight_run(s.args("--audio", "5.1", "--codec", "h264", "--bitrate", "20000",
                                    *SMALL, duration=3),
                             env=s.client.env(env), expect_rc=0, timeout_s=90)
        ann = s.host.wait_for("announce ")
        check(" audio=6 " in ann and "audio_quality=high" in ann and
              int(re.search(r"encryption=(\d+)", ann).group(1)) & 0x4,
              "not encrypted high-quality 5.1 audio: %s" % ann)
    finally:
        s.stop()
    with open(raw, "rb") as f:
        chans = channels_of(f.read(), 6, r)
    check_tones(chans, [300, 400, 500, 600, 700, 800], r)


def audio_off(ctx):
    """--audio off plays nothing but keeps pinging the audio port: a host with a 2 s ping
    timeout keeps the stream up for the whole 4 s run."""
    s = Session(ctx, ["--ping-timeout", "2"])
    raw = ctx.path("off.raw")
    try:
        env = {"SDL_AUDIODRIVER": "disk", "SDL_DISKAUDIOFILE": raw}
        ctx.skylight_run(s.args("--audio", "off", *SMALL, duration=4), env=s.client.env(env),
                         expect_rc=0, timeout_s=90)
        end = s.host.wait_for("stream-end ")
    finally:
        s.stop()
    check("reason=client-disconnect" in end, "the host ended the stream: %s" % end)
    check(not os.path.exists(raw) or os.path.getsize(raw) == 0, "sound was played")
    check("audio" not in s.summary(), "audio figures with --audio off")


def encrypted(ctx):
    """Video encryption (AES-GCM): asked with --encrypt from a host that offers it, and taken
    when the host requires it."""
    for mode, extra in (("opportunistic", ["--encrypt"]), ("mandatory", [])):
        s = Session(ctx, ["--video-encryption", mode], name=mode)
        try:
            s.run("--codec", "h264", *SMALL, *extra, frames=30)
            ann = s.host.wait_for("announce ")
            sent = sent_frames(s.host.wait_for("stream-end "))
        finally:
            s.stop()
        bits = int(re.search(r"encryption=(\d+)", ann).group(1))
        check(bits & 0x2, "%s: video encryption not on (%s)" % (mode, ann))
        shown, _ = s.check_no_corrupt_frame()
        check_every_frame_accounted(s, shown, sent, 30, what=mode + ": ")


def codecs(ctx):
    """HEVC (8-bit and 10-bit HDR) and AV1: pictures match the host's; the recording remuxes."""
    s = Session(ctx, ["--codec-support", "0x30301"])
    try:
        for codec, hdr, fmt in (("hevc", False, "hevc"), ("hevc", True, "hevc"),
                                ("av1", False, "ivf")):
            args = ["--codec", codec, "--width", "320", "--height", "240", "--fps", "30"]
            if hdr:
                args.append("--hdr")
            m = s.host.mark()
            s.run(*args, frames=15)
            ann = s.host.wait_for("announce ", after=m)
            check("codec=%s" % codec in ann and ("hdr=1" in ann) == hdr, ann)
            sent = sent_frames(s.host.wait_for("stream-end ", after=m))
            shown, _ = s.check_no_corrupt_frame(fmt)
            check_every_frame_accounted(s, shown, sent, 15, what=codec + ": ")
            with open(s.md5) as f:
                sizes = {int(fr[4]) for fr in skytest.parse_framemd5(f.read())}
            want = 320 * 240 * 3 // 2 * (2 if hdr else 1)  # 4:2:0, 16-bit samples for 10-bit
            check(sizes == {want}, "%s hdr=%s: picture sizes %s, want %d"
                  % (codec, hdr, sorted(sizes), want))
    finally:
        s.stop()


def video_file(ctx):
    """The test host's --video-file (used by the benchmarks): the clip's pictures arrive in
    order, looped; a clip of another codec than the one asked for is refused at ANNOUNCE."""
    clip = ctx.path("clip.h264")
    r = skytest.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                     "-i", "testsrc2=s=320x240:r=30", "-t", "1", "-c:v", "libx264", "-preset",
                     "ultrafast", "-bf", "0", "-g", "1000", "-pix_fmt", "yuv420p", clip])
    check(r.rc == 0, "ffmpeg could not make the clip", r)
    ref, rr = skytest.ffmpeg_framemd5(clip)
    check(len(ref) == 30, "the clip has %d frames" % len(ref), rr)
    s = Session(ctx, ["--video-file", clip])
    try:
        m = s.host.mark()
        s.run("--codec", "h264", "--width", "320", "--height", "240", "--fps", "30")
        sent = sent_frames(s.host.wait_for("stream-end ", after=m))
        shown = s.shown()
        # More than the clip's 30 frames arrived, so it looped (3 s of a 1 s clip).
        check_every_frame_accounted(s, shown, sent, 31)
        bad = [n for n, h in shown.items() if h != ref[(n - 1) % 30][5]]
        check(not bad, "pictures differ from the clip's: frames %s" % sorted(bad)[:10])
        r = s.run("--codec", "hevc", duration=1, expect_rc=1)
        check("500" in r.err or "refused" in r.err.lower(), "no clear refusal", r)
    finally:
        s.stop()


def window(ctx):
    """In a real window (Xvfb, 1280x720): with no size given the stream takes the display's, the
    window shows the host's pictures (the barcode in a screenshot reads a frame number, and a
    later one a larger number; screenshots are taken until they do, the window being waited
    for), and Ctrl+C ends it cleanly."""
    from skywindow import XServer, display_env, screenshot, WAIT_S  # noqa: E402
    s = Session(ctx)
    try:
        with XServer(ctx.tmp) as x:
            env = display_env(ctx, x.display)
            p = s.popen("--codec", "h264", env=env, headless=False,
                        drop=("WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))
            try:
                ann = s.host.wait_for("announce ", timeout_s=WAIT_S)
                check("width=1280 height=720" in ann, "not the display's size: %s" % ann)
                s.host.wait_for("client video=", timeout_s=WAIT_S)
                seen = []
                deadline = time.monotonic() + WAIT_S
                while len(seen) < 2 and time.monotonic() < deadline:
                    if p.poll() is not None:
                        fail("skylight ended early", finish(p))
                    img = screenshot(ctx, x.display, "shot%d" % len(seen), "Desktop - Skylight",
                                     deadline=deadline)
                    check((img.width, img.height) == (1280, 720), "window %dx%d"
                          % (img.width, img.height))
                    n = pattern_frame_number(lambda xx, yy: sum(img.pixel(xx, yy)) / 3, 1280)
                    if n and (not seen or n > seen[-1]):
                        seen.append(n)
                    time.sleep(0.3)
                check(len(seen) == 2, "the window did not show advancing frames (%s)" % seen)
                p.send_signal(signal.SIGINT)
                r = finish(p, WAIT_S)
            finally:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            check(r.rc == 0 and "stream ended by the user" in r.err, "Ctrl+C in a window", r)
            sent = sent_frames(s.host.wait_for("stream-end "))
            check(0 < seen[0] < seen[1] <= sent, "frame numbers %s of %d sent" % (seen, sent))
    finally:
        s.stop()


def bad_hosts(ctx):
    """Failures are one clear line and exit status 1: an unpaired host, a host that is gone,
    an RTSP refusal."""
    s = Session(ctx, ["--video-encryption", "mandatory"])
    try:
        other = Client(ctx, "stranger")
        r = other.run("stream", s.host.addr, "--headless", "--duration", "1", expect_rc=1)
        check("pair" in r.err.lower(), "unpaired: no hint to pair", r)
    finally:
        s.stop()
    r = s.client.run("stream", s.host.addr, "--headless", "--timeout", "2", expect_rc=1)
    check(r.err.strip(), "a gone host gives no message", r)
    check("Traceback" not in r.err and "Assertion" not in r.err, "crash", r)


# ---- 4:4:4 and HDR ----------------------------------------------------------------------------

# ServerCodecModeSupport: H.264, HEVC, HEVC Main10 and the H.264 and HEVC 4:4:4 modes (8- and
# 10-bit). AV1 4:4:4 is never advertised: SVT-AV1 cannot encode it.
SCM_444 = 0x1 | 0x100 | 0x200 | 0x40000 | 0x80000 | 0x100000


def probe_video(path):
    """ffprobe's stream fields of the host's dump (profile, pix_fmt, color_*) as a dict."""
    r = skytest.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                     "stream=codec_name,profile,pix_fmt,color_range,color_space,color_transfer,"
                     "color_primaries", "-of", "default=nw=1", path])
    check(r.rc == 0, "ffprobe could not read the host's stream", r)
    return dict(l.split("=", 1) for l in r.out.splitlines() if "=" in l)


def pattern_event(s, mark):
    """The host's `pattern` event of the stream after mark, as a dict of ints and words."""
    line = s.host.wait_for("pattern ", after=mark)
    out = {}
    for kv in line.split()[1:]:
        k, v = kv.split("=", 1)
        out[k] = int(v) if v.isdigit() and k != "chroma" else v
    return out


def first_picture(path, width, height, pix_fmt):
    """The first picture of the host's dump decoded by ffmpeg as raw planes (Y, Cb, Cr lists of
    rows; 4:4:4 formats only, samples as ints)."""
    raw_path = path + ".yuv"
    r = skytest.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i",
                     path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", pix_fmt, raw_path])
    check(r.rc == 0, "ffmpeg could not decode the host's first picture", r)
    bps = 2 if pix_fmt.endswith("10le") else 1
    with open(raw_path, "rb") as f:
        data = f.read()
    plane = width * height * bps
    check(len(data) == 3 * plane, "ffmpeg gave %d bytes for a %dx%d %s picture"
          % (len(data), width, height, pix_fmt))
    planes = []
    for i in range(3):
        raw = data[i * plane:(i + 1) * plane]
        if bps == 2:
            vals = [raw[j] | raw[j + 1] << 8 for j in range(0, len(raw), 2)]
        else:
            vals = list(raw)
        planes.append([vals[y * width:(y + 1) * width] for y in range(height)])
    return planes


def check_chroma_columns(planes, pat, what):
    """The chroma columns (pattern.h) are there: in the middle rows of the probe band, even
    columns average Cb 90 / Cr 170, odd ones Cb 166 / Cr 86 (8-bit levels; lossy coding allowed
    for), and the luma is one level across them."""
    shift = 2 if pat["depth"] == 10 else 0
    y0 = pat["probe_y"] + pat["probe_h"] // 4
    rows = range(y0, y0 + pat["probe_h"] // 2)
    cols = range(pat["block"], pat["columns_w"] - pat["block"])

    def mean(plane, parity):
        vals = [planes[plane][y][x] for y in rows for x in cols if x % 2 == parity]
        return sum(vals) / len(vals) / (1 << shift)

    got = {(p, par): mean(p, par) for p in (0, 1, 2) for par in (0, 1)}
    want = {(1, 0): 90, (1, 1): 166, (2, 0): 170, (2, 1): 86}
    bad = {k: round(v, 1) for k, v in got.items() if k in want and abs(v - want[k]) > 20}
    check(not bad, "%s: the chroma columns did not survive (plane, parity: mean) %s"
          % (what, bad))
    check(abs(got[(0, 0)] - got[(0, 1)]) < 8 and abs(got[(0, 0)] - 126) < 12,
          "%s: the columns' luma is not one level near 126: %s" % (what, got))


def yuv444(ctx):
    """--yuv444 against a host that advertises 4:4:4: H.264 High 4:4:4 and HEVC 4:4:4 (RExt)
    streams, ANNOUNCE asks chromaSamplingType 1, the decoded pictures are 4:4:4 and match the
    host's, the start line says so, and the single-pixel chroma columns survive decoding."""
    s = Session(ctx, ["--codec-support", hex(SCM_444)])
    try:
        for codec, profile, name in (("h264", "High 4:4:4 Predictive", "H.264 4:4:4"),
                                     ("hevc", "Rext", "HEVC 4:4:4")):
            m = s.host.mark()
            r = s.run("--yuv444", "--codec", codec, "--width", "640", "--height", "360", "--fps",
                      "30", "--bitrate", "8000", frames=15)
            check("(640x360 at 30 fps, %s, " % name in r.out, "the start line does not say "
                  "%s" % name, r)
            ann = s.host.wait_for("announce ", after=m)
            check("codec=%s" % codec in ann and "chroma=444" in ann, ann)
            pat = pattern_event(s, m)
            check(pat["chroma"] == "444" and pat["depth"] == 8, "pattern: %s" % pat)
            sent = sent_frames(s.host.wait_for("stream-end ", after=m))
            shown, _ = s.check_no_corrupt_frame()
            check_every_frame_accounted(s, shown, sent, 15, what=codec + ": ")
            with open(s.md5) as f:
                sizes = {int(fr[4]) for fr in skytest.parse_framemd5(f.read())}
            check(sizes == {640 * 360 * 3}, "%s: picture sizes %s, want 4:4:4's %d"
                  % (codec, sorted(sizes), 640 * 360 * 3))
            info = probe_video(s.dump)
            check(info.get("pix_fmt") == "yuv444p" and info.get("profile") == profile,
                  "%s: the host's stream is %s" % (codec, info))
            check_chroma_columns(first_picture(s.dump, 640, 360, "yuv444p"), pat, codec)
    finally:
        s.stop()


def yuv444_unsupported(ctx):
    """--yuv444 against a host without 4:4:4 (the recorded Sunshine's H.264 + HEVC): one clear
    warning, and a 4:2:0 stream (chromaSamplingType 0) that plays as usual."""
    s = Session(ctx)
    try:
        m = s.host.mark()
        r = s.run("--yuv444", "--width", "320", "--height", "240", "--fps", "30", frames=15)
        warns = [l for l in r.err.splitlines() if "4:4:4" in l]
        check(len(warns) == 1 and "4:2:0" in warns[0] and "HEVC" in warns[0],
              "not one clear warning about 4:4:4: %s" % warns, r)
        check("(320x240 at 30 fps, HEVC, " in r.out, "the start line", r)
        ann = s.host.wait_for("announce ", after=m)
        check("codec=hevc" in ann and "chroma=420" in ann, ann)
        sent = sent_frames(s.host.wait_for("stream-end ", after=m))
        shown, _ = s.check_no_corrupt_frame()
        check_every_frame_accounted(s, shown, sent, 15)
        with open(s.md5) as f:
            sizes = {int(fr[4]) for fr in skytest.parse_framemd5(f.read())}
        check(sizes == {320 * 240 * 3 // 2}, "picture sizes %s, want 4:2:0's" % sorted(sizes))
        check(probe_video(s.dump).get("pix_fmt") == "yuv420p", "the host's stream is not 4:2:0")
    finally:
        s.stop()


def hdr_patches(planes, pat, what):
    """The HDR patches (pattern.h) carry their PQ code values: black 64, 26 cd/m2 397,
    203 cd/m2 573, 1000 cd/m2 723 (10-bit limited range), neutral chroma."""
    y0 = pat["probe_y"] + pat["probe_h"] // 4
    rows = range(y0, y0 + pat["probe_h"] // 2)
    for i, code in enumerate((64, 397, 573, 723)):
        x0 = pat["patch_x"] + i * pat["patch_w"] + pat["patch_w"] // 4
        cols = range(x0, x0 + pat["patch_w"] // 2)
        for p, want in ((0, code), (1, 512), (2, 512)):
            vals = [planes[p][y][x] for y in rows for x in cols]
            got = sum(vals) / len(vals)
            check(abs(got - want) <= 8, "%s: patch %d plane %d averages %.1f, want %d"
                  % (what, i, p, got, want))


def hdr(ctx):
    """--hdr against a host capturing an HDR display: a 10-bit stream signalled BT.2020 / PQ /
    BT.2020 non-constant (HEVC, AV1, and HEVC 4:4:4 10 with --yuv444), the HDR mode message
    ("on", with the display's metadata) logged by the client, the PQ patches at their code
    values."""
    s = Session(ctx, ["--codec-support", hex(SCM_444 | 0x30000)])
    try:
        for codec, extra, pix_fmt, fmt in (("hevc", (), "yuv420p10le", "hevc"),
                                           ("hevc", ("--yuv444",), "yuv444p10le", "hevc"),
                                           ("av1", (), "yuv420p10le", "ivf")):
            what = "%s%s" % (codec, " ".join(("",) + extra))
            m = s.host.mark()
            r = s.run("--hdr", "--codec", codec, "--width", "320", "--height", "240", "--fps",
                      "30", "--bitrate", "8000", *extra, frames=15)
            ann = s.host.wait_for("announce ", after=m)
            check("hdr=1" in ann and ("chroma=444" in ann) == bool(extra), ann)
            check(s.host.wait_for("hdr-mode ", after=m) == "hdr-mode enabled=1", "host HDR mode")
            logged = [l for l in r.err.splitlines() if "HDR mode" in l]
            check(len(logged) == 1 and "1000 cd/m2" in logged[0],
                  "%s: the client did not log the host's HDR mode once: %s" % (what, logged), r)
            info = probe_video(s.dump)
            check(info.get("pix_fmt") == pix_fmt and info.get("color_primaries") == "bt2020"
                  and info.get("color_transfer") == "smpte2084"
                  and info.get("color_space") == "bt2020nc",
                  "%s: the host's stream is %s" % (what, info))
            sent = sent_frames(s.host.wait_for("stream-end ", after=m))
            shown, _ = s.check_no_corrupt_frame(fmt)
            check_every_frame_accounted(s, shown, sent, 15, what=what + ": ")
            pat = pattern_event(s, m)
            check(pat["transfer"] == "pq" and pat["depth"] == 10, "pattern: %s" % pat)
            planes = first_picture(s.dump, 320, 240, "yuv444p10le")
            hdr_patches(planes, pat, what)
            if extra:
                check_chroma_columns(planes, pat, what)
    finally:
        s.stop()


def hdr_sdr_display(ctx):
    """--hdr against a host whose display is SDR (--sdr-display): as Sunshine, 10-bit video in
    the stream's own colour space (Rec. 709, not PQ) and "HDR off", which the client does not
    announce as HDR."""
    s = Session(ctx, ["--codec-support", "0x301", "--sdr-display"])
    try:
        m = s.host.mark()
        r = s.run("--hdr", "--codec", "hevc", "--width", "320", "--height", "240", "--fps", "30",
                  frames=15)
        check("hdr=1" in s.host.wait_for("announce ", after=m), "not a 10-bit request")
        check(s.host.wait_for("hdr-mode ", after=m) == "hdr-mode enabled=0", "host HDR mode")
        check(not [l for l in r.err.splitlines() if "HDR mode" in l], "the client says HDR", r)
        info = probe_video(s.dump)
        check(info.get("pix_fmt") == "yuv420p10le" and info.get("color_transfer") == "bt709"
              and info.get("color_primaries") == "bt709", "the host's stream is %s" % info)
        sent = sent_frames(s.host.wait_for("stream-end ", after=m))
        shown, _ = s.check_no_corrupt_frame()
        check_every_frame_accounted(s, shown, sent, 15)
    finally:
        s.stop()


def window_yuv444_hdr(ctx):
    """--yuv444 --hdr in a window: HEVC 4:4:4 10-bit PQ from a host whose bitstream carries no
    mastering display (--no-mastering-sei: only its HDR mode message says 1000 cd/m2), drawn
    1:1 by placebo, on OpenGL and on Vulkan. On the SDR window the HDR patches are neutral and
    as bright as tone mapping from the host's display (colours.pq_grey_shown; from an unknown
    10000 cd/m2 master they would come out darker), and the single-pixel chroma columns keep
    their own colours (reddish even columns, bluish odd ones; any chroma subsampling on the
    way would blend them to grey)."""
    import colours  # noqa: E402
    from skywindow import XServer, display_env, screenshot, WAIT_S  # noqa: E402
    s = Session(ctx, ["--codec-support", hex(SCM_444 | 0x30000), "--no-mastering-sei"])
    win_w, win_h, vid_w, vid_h = 800, 360, 640, 360
    x0 = (win_w - vid_w) // 2
    greys = [colours.pq_grey_shown(n, 0.005, 1000.0) for n in (0.0, 26.0, 203.0, 1000.0)]
    try:
        for api in ("opengl", "vulkan"):
            what = "placebo on %s" % api
            m = s.host.mark()
            with XServer(ctx.tmp) as x:
                env = display_env(ctx, x.display)
                p = s.popen("--codec", "hevc", "--hdr", "--yuv444", "--width", str(vid_w),
                            "--height", str(vid_h), "--fps", "30", "--bitrate", "20000",
                            "--window-width", str(win_w), "--window-height", str(win_h),
                            "--renderer", "placebo", "--gpu-api", api, env=env,
                            headless=False, drop=("WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))
                try:
                    ann = s.host.wait_for("announce ", after=m, timeout_s=WAIT_S)
                    check("hdr=1" in ann and "chroma=444" in ann, ann)
                    pat = pattern_event(s, m)
                    check(pat["transfer"] == "pq" and pat["chroma"] == "444", "pattern: %s" % pat)
                    y0 = pat["probe_y"] + pat["probe_h"] // 4
                    rows = range(y0, y0 + pat["probe_h"] // 2, 4)
                    problems = ["no picture yet"]
                    deadline = time.monotonic() + WAIT_S
                    while problems and time.monotonic() < deadline:
                        if p.poll() is not None:
                            fail("skylight ended early", finish(p))
                        img = screenshot(ctx, x.display, "hdr-" + api, "Desktop - Skylight",
                                         deadline=deadline)
                        problems = window_hdr_problems(img, pat, rows, x0, greys)
                        if problems:
                            time.sleep(0.3)
                    if problems:
                        img.write_png(ctx.path("hdr-%s.png" % api))
                    check(not problems, "%s: %s" % (what, "\n  ".join(problems)))
                    p.send_signal(signal.SIGINT)
                    r = finish(p, WAIT_S)
                finally:
                    if p.poll() is None:
                        os.killpg(p.pid, signal.SIGKILL)
                        p.wait()
            check(r.rc == 0, "%s: Ctrl+C in a window" % what, r)
            line = [l for l in r.err.splitlines() if "[render] info: window " in l]
            check(line and ("renderer placebo (%s on " % api) in line[0],
                  "%s: the log names another renderer: %s" % (what, line), r)
            s.host.wait_for("stream-end ", after=m)
    finally:
        s.stop()


def window_hdr_problems(img, pat, rows, x0, greys):
    """What is wrong with a screenshot of the HDR 4:4:4 pattern (window_yuv444_hdr)."""
    out = []
    for i, want in enumerate(greys):
        xa = x0 + pat["patch_x"] + i * pat["patch_w"] + pat["patch_w"] // 4
        px = [img.pixel(xx, yy) for yy in rows for xx in range(xa, xa + pat["patch_w"] // 2, 2)]
        got = [sum(c[k] for c in px) / len(px) for k in range(3)]
        if max(got) - min(got) > 3 or any(abs(g - want) > 5 for g in got):
            out.append("HDR patch %d: %s, expected neutral %d" % (i, [round(g) for g in got], want))
    cols = range(pat["block"], pat["columns_w"] - pat["block"])
    wrong = 0
    for xx in cols:
        c = [img.pixel(x0 + xx, yy) for yy in rows]
        red_minus_blue = sum(px[0] - px[2] for px in c) / len(c)
        if (red_minus_blue > 20) != (xx % 2 == 0) or abs(red_minus_blue) <= 20:
            wrong += 1
    if wrong > len(cols) // 20:
        out.append("%d of %d chroma columns lost their colour" % (wrong, len(cols)))
    return out


def yuv444_av1_no_video(ctx):
    """A host that advertises AV1 4:4:4 its encoder cannot make (SVT-AV1): as Sunshine, the
    ANNOUNCE is accepted and the stream gets no video; the client asked for it (the host said it
    could) and gives up with its "no video" error."""
    s = Session(ctx, ["--codec-support", hex(0x10101 | 0x200000)])
    try:
        m = s.host.mark()
        r = s.run("--yuv444", "--codec", "av1", "--width", "320", "--height", "240", "--fps",
                  "30", duration=0, expect_rc=1)
        check("AV1 4:4:4" in r.out and "no video" in r.err.lower(), "not a clear no-video end",
              r)
        check("chroma=444" in s.host.wait_for("announce ", after=m), "not a 4:4:4 request")
        end = s.host.wait_for("stream-end ", after=m)
        check(sent_frames(end) == 0, "the host sent video: %s" % end)
        check("YUV 4:4:4 not supported" in s.host.stderr_tail(), "the host did not say why")
    finally:
        s.stop()


if __name__ == "__main__":
    skytest.main([lossless, fec_loss, burst_loss, jitter_modes, rfi, plain_rtsp, host_ends,
                  user_ends, audio, audio_surround, audio_off, encrypted, codecs, video_file,
                  window, bad_hosts, yuv444, yuv444_unsupported, yuv444_av1_no_video, hdr,
                  hdr_sdr_display, window_yuv444_hdr])

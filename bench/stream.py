#!/usr/bin/env python3
"""Streaming benchmarks (figures, not pass/fail), `skylight stream` against the test host over
loopback, headless, --latency-mode lowest:

  1. Receive-path CPU at about 20, 50 and 150 Mb/s: the video receive thread's CPU time
     (recvmmsg, decryption when on, FEC, reassembly, jitter buffer; sampled by the thread itself)
     per datagram and per megabit received.
  2. Client-added latency, last datagram of a frame -> picture presented, p50/p99, against the
     same figure of `skylight play` on the same clip (frame read -> presented: the pipeline
     alone). The ratio says what the network side adds.

The host sends pre-encoded 1080p60 H.264 clips of moving noise (--video-file), so no encoder
competes for the CPU and the bitrate is what the clip has. Stream and play runs alternate;
figures are medians over the rounds.

    bench/stream.py [--build DIR] [--seconds S] [--rounds N]
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Target bitrate (Mb/s) -> noise strength of the clip (ffmpeg's noise filter) that fills it.
CLIPS = {20: 6, 50: 14, 150: 40}


def make_clip(path, mbps, noise, seconds):
    if os.path.exists(path):
        return
    tmp = path + ".tmp.h264"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=s=1920x1080:r=60,noise=alls=%d:allf=t" % noise, "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0",
         "-g", "100000", "-b:v", "%dM" % mbps, "-maxrate", "%dM" % mbps,
         "-bufsize", "%dk" % (mbps * 1000 // 60), "-pix_fmt", "yuv420p", tmp], check=True)
    os.replace(tmp, path)


class Host:
    """The test host on free ports, sending `clip` (--video-file) or its encoded test pattern,
    with extra options `args` (e.g. --impair)."""

    def __init__(self, testhost, state, clip=None, args=()):
        self.p = subprocess.Popen(
            [testhost, "--state-dir", state, "--http-port", "0", "--https-port", "0",
             "--rtsp-port", "0", "--video-port", "0", "--audio-port", "0", "--control-port",
             "0", "--pin", "1234"] + (["--video-file", clip] if clip else []) + list(args),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True, text=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()
        t_end = time.monotonic() + 30
        while time.monotonic() < t_end and not any(l.startswith("ready ") for l in self.lines):
            time.sleep(0.05)
        ready = [l for l in self.lines if l.startswith("ready ")]
        if not ready:
            sys.exit("the test host did not start")
        self.addr = "127.0.0.1:%s" % re.search(r"http=(\d+)", ready[0]).group(1)

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line.rstrip("\n"))

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(timeout=30)


def options(doc, window=False):
    """The benchmarks' command line (--build DIR, --seconds S, --rounds N, and --window when
    asked for), parsed."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    if window:
        ap.add_argument("--window", action="store_true",
                        help="real X input into a window on Xvfb, sdl against placebo")
    return ap.parse_args()


def binaries(build):
    """skylight and the test host of a build tree (exits if missing)."""
    sky = os.path.join(build, "client", "skylight")
    testhost = os.path.join(build, "tests", "host", "skylight-testhost")
    for b in (sky, testhost):
        if not os.path.exists(b):
            sys.exit("%s is missing: build the release tree first (scripts/build.sh release)" % b)
    return sky, testhost


def summary_of(path):
    with open(path) as f:
        for line in f:
            o = json.loads(line)
            if o.get("type") == "summary":
                return o
    sys.exit("no summary in %s" % path)


def run(cmd, env):
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, timeout=300)
    if r.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr[-2000:]))


def main():
    a = options(__doc__)
    sky, testhost = binaries(a.build)
    clips_dir = os.path.join(a.build, "bench")
    os.makedirs(clips_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="sky-bench-")
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "xdg"), SDL_AUDIODRIVER="dummy")
    rows = []
    try:
        for mbps, noise in CLIPS.items():
            clip = os.path.join(clips_dir, "noise-%dM.h264" % mbps)
            make_clip(clip, mbps, noise, max(a.seconds, 2))
            host = Host(testhost, os.path.join(tmp, "host-%d" % mbps), clip)
            try:
                run([sky, "pair", host.addr, "--pin", "1234"], env)
                st, pl = [], []
                for i in range(a.rounds):
                    js = os.path.join(tmp, "stream.jsonl")
                    run([sky, "stream", host.addr, "--headless", "--codec", "h264", "--width",
                         "1920", "--height", "1080", "--fps", "60", "--bitrate",
                         str(mbps * 1000), "--latency-mode", "lowest", "--audio", "off",
                         "--duration", str(a.seconds), "--stats-json", js], env)
                    st.append(summary_of(js))
                    jp = os.path.join(tmp, "play.jsonl")
                    run([sky, "play", "--headless", "--no-audio", "--duration", str(a.seconds),
                         "--stats-json", jp, clip], env)
                    pl.append(summary_of(jp))
            finally:
                host.stop()
            med = statistics.median
            n = [s["network"] for s in st]
            secs = [s["duration_us"] / 1e6 for s in st]
            rows.append({
                "mbps": med(x["video_bytes"] * 8 / 1e6 / t for x, t in zip(n, secs)),
                "dgram_s": med(x["datagrams"] / t for x, t in zip(n, secs)),
                "us_dgram": med(x["receive_cpu_us"] / max(1, x["datagrams"]) for x in n),
                "us_mbit": med(x["receive_cpu_us"] / max(1e-9, x["video_bytes"] * 8 / 1e6)
                               for x in n),
                "core_pct": med(x["receive_cpu_us"] / 1e4 / t for x, t in zip(n, secs)),
                "lost": sum(x["datagrams_lost"] for x in n),
                "s50": med(s["client_us"]["p50"] for s in st) / 1000,
                "s99": med(s["client_us"]["p99"] for s in st) / 1000,
                "p50": med(s["total_us"]["p50"] for s in pl) / 1000,
                "p99": med(s["total_us"]["p99"] for s in pl) / 1000,
                "dropped": sum(s["dropped"] for s in st),
            })
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print("Receive path (video receive thread), 1080p60 H.264 noise, median of %d runs of %g s"
          % (a.rounds, a.seconds))
    print("%9s %11s %12s %11s %12s %6s" % ("Mb/s", "datagrams/s", "CPU us/dgram", "CPU us/Mbit",
                                           "core %", "lost"))
    for r in rows:
        print("%9.1f %11.0f %12.2f %11.1f %12.2f %6d" % (r["mbps"], r["dgram_s"], r["us_dgram"],
                                                         r["us_mbit"], r["core_pct"], r["lost"]))
    print()
    print("Client-added latency, p50/p99 ms: stream (last datagram -> presented, lowest) vs "
          "play (frame read -> presented), same clip, headless, software decoding")
    print("%9s %16s %16s %12s %8s" % ("Mb/s", "stream p50/p99", "play p50/p99", "ratio p50",
                                      "dropped"))
    for r in rows:
        print("%9.1f %16s %16s %12.3f %8d" % (r["mbps"], "%.2f/%.2f" % (r["s50"], r["s99"]),
                                              "%.2f/%.2f" % (r["p50"], r["p99"]),
                                              r["s50"] / r["p50"] if r["p50"] else 0,
                                              r["dropped"]))


if __name__ == "__main__":
    main()

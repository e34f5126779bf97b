#!/usr/bin/env python3
"""Jitter buffer benchmark (figures, not pass/fail): how evenly video frames reach the decoder
and the screen in each latency mode when the network jitters, and how deep the audio output
buffer runs. `skylight stream` against the test host over loopback, headless, 640x360 at 60 fps
H.264 (the host's encoded test pattern, as in the integration tests), the host impairing what
it sends with

  delay=10ms,jitter=10ms,reorder=2%,dup=2%      (test_stream.py jitter_modes' link)
  loss=4%,burst=3                               (test_stream.py audio's link; audio row only)

Per mode (lowest, balanced, smooth; the modes alternate within each round), medians over the
rounds:
  - unevenness where frames arrive (last packet), leave for the decoder (release) and are shown:
    the median of |time between two consecutive frames there - time between them on the host|
    (the first 30 frames, while the buffer learns, left out);
  - the ratios release/arrival and shown/arrival of that, measured in the same run: under 1 when
    the mode absorbs the jitter (balanced and smooth), about 1 when it passes it on (lowest);
  - the jitter target at the end and how long frames were held (release - last packet), p50;
  - the audio output buffer, p50/p99 (the 20 ms target plus the network jitter measured).

    bench/jitter.py [--build DIR] [--seconds S] [--rounds N]
"""

import json
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stream import Host, binaries, options, run  # noqa: E402

JITTER = "delay=10ms,jitter=10ms,reorder=2%,dup=2%,seed=3"
LOSS = "loss=4%,burst=3,seed=9"
MODES = ("lowest", "balanced", "smooth")
WARMUP_FRAMES = 30


def unevenness(frames, key):
    """The median of |time between consecutive frames at `key` - time between them on the
    host| in µs, or None with too few consecutive frames."""
    d = sorted(abs((b[key] - a[key]) - (b["pts_us"] - a["pts_us"]))
               for a, b in zip(frames, frames[1:]) if b["host_frame"] == a["host_frame"] + 1)
    return d[len(d) // 2] if len(d) > 10 else None


def figures(path):
    """What one run's --stats-json says, as a dict of figures."""
    with open(path) as f:
        lines = [json.loads(l) for l in f]
    summary = [o for o in lines if o.get("type") == "summary"][0]
    frames = sorted((o for o in lines if o.get("type") == "frame" and o["fate"] == "presented"),
                    key=lambda o: o["host_frame"])[WARMUP_FRAMES:]
    held = sorted(f["release_us"] - f["last_packet_us"] for f in frames)
    out = {k: unevenness(frames, k) for k in ("last_packet_us", "release_us", "presented_us")}
    out.update(target_ms=summary["network"]["jitter_target_ms"],
               held_us=held[len(held) // 2] if held else None,
               audio_p50=summary.get("audio", {}).get("buffer_ms_p50"),
               audio_p99=summary.get("audio", {}).get("buffer_ms_p99"))
    return out


def stream(sky, host, env, tmp, seconds, mode):
    js = os.path.join(tmp, "s.jsonl")
    run([sky, "stream", host.addr, "--headless", "--codec", "h264", "--width", "640",
         "--height", "360", "--fps", "60", "--latency-mode", mode, "--duration", str(seconds),
         "--stats-json", js], env)
    return figures(js)


def med(rows, key):
    vals = [r[key] for r in rows if r[key] is not None]
    return statistics.median(vals) if vals else float("nan")


def main():
    a = options(__doc__)
    sky, testhost = binaries(a.build)
    tmp = tempfile.mkdtemp(prefix="sky-bench-jitter-")
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "xdg"), SDL_AUDIODRIVER="dummy")
    res = {m: [] for m in MODES + ("loss",)}
    hosts = {}
    try:
        for name, spec in (("jitter", JITTER), ("loss", LOSS)):
            hosts[name] = Host(testhost, os.path.join(tmp, "host-" + name),
                               args=["--impair", spec])
            run([sky, "pair", hosts[name].addr, "--pin", "1234"], env)
        for _ in range(a.rounds):
            for mode in MODES:
                res[mode].append(stream(sky, hosts["jitter"], env, tmp, a.seconds, mode))
            res["loss"].append(stream(sky, hosts["loss"], env, tmp, a.seconds, "lowest"))
    finally:
        for h in hosts.values():
            h.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print("Video under %s, 640x360p60 H.264, median of %d runs of %g s" % (JITTER, a.rounds,
                                                                          a.seconds))
    print("%9s %10s %23s %20s %10s %16s" % ("mode", "target ms", "unevenness us arr/rel/shown",
                                            "ratio rel/arr shown", "held p50", "audio p50/p99"))
    for mode in MODES:
        r = res[mode]
        arr, rel, shown = (med(r, k) for k in ("last_packet_us", "release_us", "presented_us"))
        print("%9s %10.1f %23s %20s %10.0f %16s" % (
            mode, med(r, "target_ms"), "%.0f/%.0f/%.0f" % (arr, rel, shown),
            "%.3f %.3f" % (rel / arr, shown / arr) if arr else "-", med(r, "held_us"),
            "%.1f/%.1f" % (med(r, "audio_p50"), med(r, "audio_p99"))))
    r = res["loss"]
    print("Audio output buffer under %s (lowest), target 20 ms: p50 %.1f ms, p99 %.1f ms"
          % (LOSS, med(r, "audio_p50"), med(r, "audio_p99")))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Input benchmark (figures, not pass/fail): capture-to-socket latency of input events, from the
moment the main thread reads an SDL event to the moment the control thread has handed its
packet to the socket (ENet flush), p50/p99, while the client streams 1080p60 video from the test
host (headless, pre-encoded H.264 noise clips at about 20 and 150 Mb/s, so no encoder competes
for the CPU). The input is a script (--input-script) of a key press or release every 10 ms,
relative mouse motion every millisecond and a virtual gamepad's stick moving every 4 ms. Runs
at the two loads alternate; figures are medians over the rounds, with the ratio heavy/light.

    bench/input.py [--build DIR] [--seconds S] [--rounds N]
"""

import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stream import CLIPS, Host, binaries, make_clip, options, run, summary_of  # noqa: E402

LOADS = (20, 150)


def script(path, seconds):
    ms = int(seconds * 1000)
    keys = ms // 20
    with open(path, "w") as f:
        f.write("0 pad attach 0 xbox\n")
        f.write("200 repeat %d 20 key down A\n" % keys)
        f.write("210 repeat %d 20 key up A\n" % keys)
        f.write("200 repeat %d 1 motion 1 -1\n" % (ms - 400))
        f.write("200 repeat %d 8 pad 0 axis leftx 12000\n" % ((ms - 400) // 8))
        f.write("204 repeat %d 8 pad 0 axis leftx -12000\n" % ((ms - 400) // 8))


def main():
    a = options(__doc__)
    sky, testhost = binaries(a.build)
    clips_dir = os.path.join(a.build, "bench")
    os.makedirs(clips_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="sky-bench-input-")
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "xdg"), SDL_AUDIODRIVER="dummy")
    scr = os.path.join(tmp, "input.txt")
    script(scr, a.seconds)
    hosts = {}
    res = {m: [] for m in LOADS}
    try:
        for mbps in LOADS:
            clip = os.path.join(clips_dir, "noise-%dM.h264" % mbps)
            make_clip(clip, mbps, CLIPS[mbps], max(a.seconds, 2))
            hosts[mbps] = Host(testhost, os.path.join(tmp, "host-%d" % mbps), clip)
            run([sky, "pair", hosts[mbps].addr, "--pin", "1234"], env)
        for _ in range(a.rounds):
            for mbps in LOADS:
                js = os.path.join(tmp, "s.jsonl")
                run([sky, "stream", hosts[mbps].addr, "--headless", "--codec", "h264", "--width",
                     "1920", "--height", "1080", "--fps", "60", "--bitrate", str(mbps * 1000),
                     "--audio", "off", "--duration", str(a.seconds), "--stats-json", js,
                     "--input-script", scr], env)
                s = summary_of(js)
                n = s["network"]
                res[mbps].append((n["input_packets"], n["input_to_socket_us_p50"],
                                  n["input_to_socket_us_p99"],
                                  n["video_bytes"] * 8 / 1e6 / (s["duration_us"] / 1e6)))
    finally:
        for h in hosts.values():
            h.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    med = statistics.median
    print("Input capture -> socket while streaming 1080p60 (headless), median of %d runs of %g s"
          % (a.rounds, a.seconds))
    print("%9s %14s %10s %10s" % ("Mb/s", "input packets", "p50 us", "p99 us"))
    rows = {}
    for mbps in LOADS:
        r = res[mbps]
        rows[mbps] = (med(x[3] for x in r), med(x[0] for x in r), med(x[1] for x in r),
                      med(x[2] for x in r))
        print("%9.1f %14d %10d %10d" % rows[mbps])
    lo, hi = rows[LOADS[0]], rows[LOADS[-1]]
    print("ratio %d/%d Mb/s: p50 %.2f, p99 %.2f" % (LOADS[-1], LOADS[0],
                                                   hi[2] / max(1, lo[2]), hi[3] / max(1, lo[3])))


if __name__ == "__main__":
    main()

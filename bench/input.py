#!/usr/bin/env python3
"""Input benchmark (figures, not pass/fail): capture-to-socket latency of input events, from the
moment the main thread reads an SDL event to the moment the control thread has handed its
packet to the socket (ENet flush), p50/p99, while the client streams 1080p60 video from the test
host (headless, pre-encoded H.264 noise clips at about 20 and 150 Mb/s, so no encoder competes
for the CPU). The input is a script (--input-script) of a key press or release every 10 ms,
relative mouse motion every millisecond and a virtual gamepad's stick moving every 4 ms. Runs
at the two loads alternate; figures are medians over the rounds, with the ratio heavy/light.

Scripted events are made by the main loop itself, so they cannot show a main thread that is
blocked (in a present, say). --window measures real input instead: the client streams the
20 Mb/s clip in a 1280x720 window on Xvfb (started here) with vsync on, and this script injects
X key presses and releases (XTest, through ctypes) every INJECT_MS ms from outside. Per variant,
"before" (--renderer sdl: the main thread presents) and "after" (--renderer placebo: a render
thread presents; OpenGL on a software rasterizer), alternating within each round:
  - the client's capture -> socket figure (its summary's input_to_socket p50/p99), which starts
    only when the main thread reads the event;
  - injection -> host arrival: this script's CLOCK_MONOTONIC just before each XTest call, and the
    test host's `input key ... mono_us=M` line for the same key event (same machine, same clock);
    it includes the time the event waits for the main thread;
  - the drawing thread's present time (presented_us - draw_start_us of the frame lines), p50/p99,
    and the present interval p50.
Whether vsync blocks at all is checked too: the present interval p50 of an unpaced
`skylight play` of a small clip (pictures come faster than any refresh), with --vsync and with
--no-vsync, per renderer: about 16.7 ms with vsync and much less without means presents wait for
Xvfb's 60 Hz refresh. On the machine this was written on (Xvfb, Mesa llvmpipe) sdl's do (16.0 ms
against 1.4 ms), placebo's on OpenGL do not (6.6 ms either way), so "after" never waits. A stream
paced at 60 fps seldom has to wait, though: most of the main thread's time in a present is
drawing (bench/render.py measures the same present times with --vsync yes and no).

    bench/input.py [--build DIR] [--seconds S] [--rounds N] [--window]
"""

import ctypes
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stream import ROOT, CLIPS, Host, binaries, make_clip, options, run, summary_of  # noqa: E402

LOADS = (20, 150)
INJECT_MS = 10
WARMUP_S = 1.5
VARIANTS = (("before", "sdl"), ("after", "placebo"))
# Injected keys cycle through the letters, so a lost event cannot shift the pairing of the
# injected events with the host's lines by less than a whole cycle.
LETTERS = "abcdefghijklmnopqrstuvwxyz"


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
    a = options(__doc__, window=True)
    if a.window:
        return main_window(a)
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


class XTest:
    """Fake key events into an X display (libXtst through ctypes)."""

    def __init__(self, display):
        self.x11 = ctypes.CDLL("libX11.so.6")
        self.xtst = ctypes.CDLL("libXtst.so.6")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.x11.XStringToKeysym.restype = ctypes.c_ulong
        self.x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self.x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                ctypes.c_ulong]
        self.xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                                   ctypes.c_int, ctypes.c_ulong]
        self.dpy = self.x11.XOpenDisplay(display.encode())
        if not self.dpy:
            sys.exit("cannot open X display %s" % display)
        self.codes = {k: self.x11.XKeysymToKeycode(self.dpy, self.x11.XStringToKeysym(k.encode()))
                      for k in LETTERS}

    def pointer_to(self, x, y):
        """Moves the pointer (no window manager: the keyboard focus follows it)."""
        self.xtst.XTestFakeMotionEvent(self.dpy, -1, x, y, 0)
        self.x11.XFlush(self.dpy)

    def key_event(self, letter, down):
        """Sends a press or release of a letter key now; returns CLOCK_MONOTONIC (us) just
        before."""
        t_us = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.xtst.XTestFakeKeyEvent(self.dpy, self.codes[letter], 1 if down else 0, 0)
        self.x11.XFlush(self.dpy)
        return t_us

    def close(self):
        self.x11.XCloseDisplay(self.dpy)


def frame_lines(path):
    """The whole --stats-json lines written so far."""
    try:
        with open(path) as f:
            return [json.loads(line) for line in f.read().split("\n")[:-1]]
    except FileNotFoundError:
        return []


def pct(vals, p):
    vals = sorted(vals)
    return vals[min(len(vals) - 1, len(vals) * p // 100)] if vals else None


def match(sent, arrived):
    """Injection -> arrival latencies (us): each host line (letter, down, mono_us) paired with
    the first later injection of the same key and direction not yet paired, in order."""
    out, i = [], 0
    for key in arrived:
        j = next((j for j in range(i, len(sent)) if sent[j][:2] == key[:2]), None)
        if j is not None and sent[j][2] <= key[2]:
            out.append(key[2] - sent[j][2])
            i = j + 1
    return out


def window_run(sky, host, renderer, env, tmp, seconds):
    """One windowed stream with injected keys; returns its figures."""
    js = os.path.join(tmp, "w.jsonl")
    if os.path.exists(js):
        os.unlink(js)
    err = open(os.path.join(tmp, "stderr"), "w+")
    cmd = [sky, "stream", host.addr, "--codec", "h264", "--width", "1920", "--height", "1080",
           "--fps", "60", "--bitrate", "20000", "--audio", "off", "--vsync", "--renderer",
           renderer, "--window-width", "1280", "--window-height", "720",
           "--duration", str(seconds + WARMUP_S + 30), "--stats-json", js]
    first_line = len(host.lines)
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err,
                         start_new_session=True)
    x = XTest(env["DISPLAY"])
    sent = []
    try:
        deadline = time.monotonic() + 60
        while not any(o.get("fate") == "presented" for o in frame_lines(js)):
            if p.poll() is not None or time.monotonic() > deadline:
                err.seek(0)
                sys.exit("failed: %s\n%s" % (" ".join(cmd), err.read()[-2000:]))
            time.sleep(0.02)
        x.pointer_to(640, 360)  # the window is centred on the 1280x720 screen
        time.sleep(WARMUP_S)
        t_next = time.monotonic()
        for i in range(int(seconds * 1000 / INJECT_MS) // 2 * 2):
            time.sleep(max(0, t_next - time.monotonic()))
            letter, down = LETTERS[i // 2 % len(LETTERS)], i % 2 == 0
            sent.append((letter, down, x.key_event(letter, down)))
            t_next += INJECT_MS / 1000
        n = -1  # until nothing more arrives for a second (a busy client catches up)
        for _ in range(10):
            if n == len(host.lines):
                break
            n = len(host.lines)
            time.sleep(1)
    finally:
        x.close()
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
    err.seek(0)
    m = re.search(r"\[render\] info: window .*", err.read())
    err.close()
    objs = frame_lines(js)
    summary = [o for o in objs if o.get("type") == "summary"][0]
    arrived = [(chr(int(mm.group(2), 16) - 0x8000).lower(), mm.group(1) == "down",
                int(mm.group(3))) for mm in
               (re.search(r"^input key (down|up) code=(0x80[45][0-9a-f]) .* mono_us=(\d+)$", line)
                for line in host.lines[first_line:]) if mm]
    draw = [o["presented_us"] - o["draw_start_us"] for o in objs if o.get("type") == "frame"
            and o["fate"] == "presented" and o.get("draw_start_us") is not None]
    lat = match(sent, arrived)
    return {"sent": len(sent), "arrived": len(lat),
            "inj50": pct(lat, 50), "inj99": pct(lat, 99),
            "sock50": summary["network"]["input_to_socket_us_p50"],
            "sock99": summary["network"]["input_to_socket_us_p99"],
            "draw50": pct(draw, 50), "draw99": pct(draw, 99),
            "interval50": summary["present_interval_us"]["p50"],
            "window": m.group(0).split("info: ", 1)[1] if m else ""}


def vsync_interval(sky, clip, renderer, vsync, env, tmp):
    """The present interval p50 (ms) of an unpaced `play` of a small clip, with or without
    vsync (near a refresh, 16.7 ms, when presents wait for it)."""
    if not os.path.exists(clip):
        subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f",
                        "lavfi", "-i", "testsrc2=s=640x360:r=60", "-t", "10", "-c:v", "libx264",
                        "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip], check=True)
    js = os.path.join(tmp, "v.jsonl")
    run([sky, "play", "--no-pacing", "--vsync" if vsync else "--no-vsync", "--renderer",
         renderer, "--no-audio", "--window-width", "640", "--window-height", "360",
         "--stats-json", js, clip], env)
    return summary_of(js)["present_interval_us"]["p50"] / 1000


def main_window(a):
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    from skywindow import XServer  # noqa: E402
    sky, testhost = binaries(a.build)
    clips_dir = os.path.join(a.build, "bench")
    os.makedirs(clips_dir, exist_ok=True)
    clip = os.path.join(clips_dir, "noise-20M.h264")
    make_clip(clip, 20, CLIPS[20], max(a.seconds, 2))  # the host loops it
    tmp = tempfile.mkdtemp(prefix="sky-bench-input-")
    res = {v: [] for v, _ in VARIANTS}
    windows = {}
    host = None
    try:
        with XServer(tmp) as x:
            env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "xdg"),
                       SDL_AUDIODRIVER="dummy", DISPLAY=x.display)
            env.pop("WAYLAND_DISPLAY", None)
            env.pop("SDL_VIDEODRIVER", None)
            host = Host(testhost, os.path.join(tmp, "host"), clip)
            run([sky, "pair", host.addr, "--pin", "1234"], env)
            small = os.path.join(clips_dir, "vsync-360p.mkv")
            vsync = {(r, v): vsync_interval(sky, small, r, v, env, tmp) for _, r in VARIANTS
                     for v in (True, False)}
            for _ in range(a.rounds):
                for name, renderer in VARIANTS:
                    r = window_run(sky, host, renderer, env, tmp, a.seconds)
                    res[name].append(r)
                    windows[name] = r["window"]
    finally:
        if host:
            host.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    def med(rows, key):
        vals = [r[key] for r in rows if r[key] is not None]
        return statistics.median(vals) / 1000 if vals else float("nan")

    print("Real X input (XTest key every %d ms) while streaming 1080p60 at 20 Mb/s in a window "
          "on Xvfb, vsync on, median of %d runs of %g s" % (INJECT_MS, a.rounds, a.seconds))
    for name, _ in VARIANTS:
        print("  %-6s %s" % (name, windows[name]))
    print("%-7s %-8s %9s %20s %20s %16s %12s" % (
        "variant", "renderer", "keys", "inject->host p50/99", "capture->sock p50/99",
        "present p50/99", "interval p50"))
    figs = {}
    for name, renderer in VARIANTS:
        rows = res[name]
        figs[name] = {k: med(rows, k) for k in ("inj50", "inj99", "sock50", "sock99", "draw50",
                                                "draw99", "interval50")}
        f = figs[name]
        print("%-7s %-8s %9s %20s %20s %16s %12.2f" % (
            name, renderer, "%d/%d" % (sum(r["arrived"] for r in rows),
                                       sum(r["sent"] for r in rows)),
            "%.2f/%.2f ms" % (f["inj50"], f["inj99"]), "%.2f/%.2f ms" % (f["sock50"], f["sock99"]),
            "%.2f/%.2f ms" % (f["draw50"], f["draw99"]), f["interval50"]))
    b, af = figs["before"], figs["after"]
    print("ratio after/before: inject->host p50 %.2f p99 %.2f; capture->socket p50 %.2f p99 %.2f"
          % (af["inj50"] / b["inj50"], af["inj99"] / b["inj99"], af["sock50"] / b["sock50"],
             af["sock99"] / b["sock99"]))
    for _, r in VARIANTS:
        on, off = vsync[r, True], vsync[r, False]
        print("vsync check, %s: unpaced play, present interval p50 %.2f ms with --vsync, %.2f ms "
              "without: %s" % (r, on, off, "presents wait for the refresh (vsync blocks)"
                               if on > 12 and off < 0.6 * on else
                               "vsync does not block here (or drawing alone takes a refresh)"))


if __name__ == "__main__":
    main()

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
Whether vsync blocks at all is checked too: `skylight play --no-pacing --vsync` of the clip in a
small window, per renderer; above 60 pictures a second, presents do not wait for a refresh. On
Xvfb with Mesa's llvmpipe (the machine this was written on) they do not: Xvfb has no display,
so "vsync on" costs nothing there and the figures show a main thread busy drawing, not one
waiting for a refresh (bench/render.py measured the same present times with and without vsync).

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
        self.key_a = self.x11.XKeysymToKeycode(self.dpy, self.x11.XStringToKeysym(b"a"))

    def pointer_to(self, x, y):
        """Moves the pointer (no window manager: the keyboard focus follows it)."""
        self.xtst.XTestFakeMotionEvent(self.dpy, -1, x, y, 0)
        self.x11.XFlush(self.dpy)

    def key_a_event(self, down):
        """Sends a press or release of A now; returns CLOCK_MONOTONIC (us) just before."""
        t_us = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.xtst.XTestFakeKeyEvent(self.dpy, self.key_a, 1 if down else 0, 0)
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
            sent.append(x.key_a_event(i % 2 == 0))
            t_next += INJECT_MS / 1000
        time.sleep(0.5)
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
    arrived = [int(mm.group(1)) for mm in
               (re.search(r"^input key (?:down|up) code=0x8041 .* mono_us=(\d+)$", line)
                for line in host.lines[first_line:]) if mm]
    draw = [o["presented_us"] - o["draw_start_us"] for o in objs if o.get("type") == "frame"
            and o["fate"] == "presented" and o.get("draw_start_us") is not None]
    lat = [b - a for a, b in zip(sent, arrived)] if len(arrived) == len(sent) else []
    return {"sent": len(sent), "arrived": len(arrived),
            "inj50": pct(lat, 50), "inj99": pct(lat, 99),
            "sock50": summary["network"]["input_to_socket_us_p50"],
            "sock99": summary["network"]["input_to_socket_us_p99"],
            "draw50": pct(draw, 50), "draw99": pct(draw, 99),
            "interval50": summary["present_interval_us"]["p50"],
            "window": m.group(0).split("info: ", 1)[1] if m else ""}


def vsync_fps(sky, clip, renderer, env, tmp):
    """Pictures a second of an unpaced `play` with vsync on (capped near 60 if it blocks)."""
    js = os.path.join(tmp, "v.jsonl")
    run([sky, "play", "--no-pacing", "--vsync", "--renderer", renderer, "--no-audio",
         "--window-width", "640", "--window-height", "360", "--duration", "3", "--stats-json",
         js, clip], env)
    s = summary_of(js)
    return s["presented"] / (s["duration_us"] / 1e6)


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
            vsync = {r: vsync_fps(sky, clip, r, env, tmp) for _, r in VARIANTS}
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
    print("vsync check, unpaced play with --vsync: %s pictures/s; %s" % (
        ", ".join("%s %.0f" % kv for kv in vsync.items()),
        "about 60 or less: presents may wait for a refresh (or the machine is too slow to tell)"
        if max(vsync.values()) < 66 else
        "over 60: presents do NOT wait for a refresh on this X server (vsync does not block)"))

#!/usr/bin/env python3
"""Renderer benchmark (figures, not pass/fail): what each renderer driver costs per picture,
`skylight play` in a window on Xvfb (started here, -displayfd), on whatever rasterizer the
machine has (Mesa's llvmpipe for OpenGL and lavapipe for Vulkan on a machine without a GPU).

Drivers: sdl (SDL_Renderer, drawn on the main thread), placebo on OpenGL, placebo on Vulkan
(drawn on a render thread), and `--headless` (no window: the decoder's and the pipeline's own
cost). Clips (made once with ffmpeg into BUILD/bench/): 720p60 and 1080p60 8-bit 4:2:0 H.264
(testsrc2 with moving noise), and 1080p60 10-bit HEVC, which only placebo can show at 10 bits
(sdl is not run on it). Paced playback at the clip's 60 fps; --vsync no by default, so a
present measures the work, not a wait for a refresh (--vsync yes to see it with the wait).

Per driver and clip, in the steady state (from WARMUP_S after the first picture was presented,
so window creation, shader compilation and the first upload are left out, for --seconds):
  - CPU ms per presented picture: the whole process's user+sys time (/proc/PID/stat) over the
    pictures presented in that time (frame lines of --stats-json counted as they are written);
  - the driver's own CPU ms per picture: (process CPU - headless process CPU over the same
    wall time, same clip) / pictures presented; decoding is the same work in both;
  - present p50/p99 ms: the drawing thread's draw and present of one picture (a frame line's
    presented_us - draw_start_us), over the same pictures;
  - pictures presented per second, and dropped (superseded: the driver could not keep up).
Ratios are against sdl on the same clip. Drivers alternate within each round; figures are
medians over the rounds.

    bench/render.py [--build DIR] [--seconds S] [--rounds N] [--vsync yes|no]
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
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from stream import binaries  # noqa: E402
import skywindow  # noqa: E402

WARMUP_S = 1.5
CLIP_S = 12
TICK = os.sysconf("SC_CLK_TCK")
# name -> (ffmpeg video filter input, encoder arguments); sdl is not run on 10-bit clips.
CLIPS = {
    "720p": ("testsrc2=s=1280x720:r=60,noise=alls=6:allf=t",
             ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-b:v", "8M"]),
    "1080p": ("testsrc2=s=1920x1080:r=60,noise=alls=6:allf=t",
              ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-b:v", "15M"]),
    "1080p10 HEVC": ("testsrc2=s=1920x1080:r=60,noise=alls=6:allf=t",
                     ["-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
                      "-b:v", "15M", "-x265-params", "log-level=error"]),
}
# name -> extra arguments; "headless" is the baseline without a window.
DRIVERS = {
    "headless": ["--headless"],
    "sdl": ["--renderer", "sdl"],
    "placebo-gl": ["--renderer", "placebo", "--gpu-api", "opengl"],
    "placebo-vk": ["--renderer", "placebo", "--gpu-api", "vulkan"],
}
DEEP = ("1080p10 HEVC",)


def make_clip(path, lavfi, enc):
    if os.path.exists(path):
        return
    tmp = path + ".tmp.mkv"
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f",
                    "lavfi", "-i", lavfi, "-t", str(CLIP_S), "-g", "120", "-bf", "0"] + enc +
                   [tmp], check=True)
    os.replace(tmp, path)


def cpu_s(pid):
    """User+sys CPU seconds of a process so far (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def frame_lines(path):
    """The whole frame lines written so far."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    out = []
    for line in text.split("\n")[:-1]:
        o = json.loads(line)
        if o.get("type") == "frame":
            out.append(o)
    return out


def measure(sky, clip, args, env, tmp, seconds, vsync):
    """One steady-state measurement of `skylight play` on clip (see the docstring)."""
    js = os.path.join(tmp, "r.jsonl")
    if os.path.exists(js):
        os.unlink(js)
    err = open(os.path.join(tmp, "stderr"), "w+")
    cmd = ([sky, "play", "--no-audio", "--vsync" if vsync == "yes" else "--no-vsync",
            "--stats-json", js] + args + [clip])
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err,
                         start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not any(f["fate"] == "presented" for f in frame_lines(js)):
            if p.poll() is not None or time.monotonic() > deadline:
                err.seek(0)
                sys.exit("failed: %s\n%s" % (" ".join(cmd), err.read()[-2000:]))
            time.sleep(0.02)
        time.sleep(WARMUP_S)
        n0, c0, t0 = len(frame_lines(js)), cpu_s(p.pid), time.monotonic()
        time.sleep(seconds)
        lines, c1, t1 = frame_lines(js), cpu_s(p.pid), time.monotonic()
        if p.poll() is not None:
            sys.exit("the clip ended during the measurement: use fewer --seconds")
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
    err.seek(0)
    m = re.search(r"\[render\] info: window .*", err.read())
    err.close()
    frames = lines[n0:]
    shown = [f for f in frames if f["fate"] == "presented"]
    draw = sorted(f["presented_us"] - f["draw_start_us"] for f in shown
                  if f.get("draw_start_us") is not None)
    wall = t1 - t0
    return {"cores": (c1 - c0) / wall, "fps": len(shown) / wall,
            "dropped_s": (len(frames) - len(shown)) / wall,
            "draw50": draw[len(draw) // 2] / 1000 if draw else None,
            "draw99": draw[min(len(draw) - 1, len(draw) * 99 // 100)] / 1000 if draw else None,
            "window": m.group(0) if m else ""}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--vsync", choices=("yes", "no"), default="no")
    a = ap.parse_args()
    if a.seconds + WARMUP_S > CLIP_S - 2:
        sys.exit("--seconds must be at most %g" % (CLIP_S - 2 - WARMUP_S))
    sky, _ = binaries(a.build)
    clips_dir = os.path.join(a.build, "bench")
    os.makedirs(clips_dir, exist_ok=True)
    clips = {}
    for name, (lavfi, enc) in CLIPS.items():
        clips[name] = os.path.join(clips_dir, "render-%s.mkv" % name.replace(" ", "-"))
        make_clip(clips[name], lavfi, enc)
    tmp = tempfile.mkdtemp(prefix="sky-bench-render-")
    res = {(c, d): [] for c in CLIPS for d in DRIVERS}
    windows = {}
    skywindow.SCREEN = (1920, 1080)  # room for 1080p windows at their size
    try:
        with skywindow.XServer(tmp) as x:
            env = dict(os.environ, DISPLAY=x.display, SDL_AUDIODRIVER="dummy",
                       XDG_CONFIG_HOME=os.path.join(tmp, "xdg"))
            env.pop("WAYLAND_DISPLAY", None)
            env.pop("SDL_VIDEODRIVER", None)
            for _ in range(a.rounds):
                for clip in CLIPS:
                    for drv, args in DRIVERS.items():
                        if drv == "sdl" and clip in DEEP:
                            continue
                        r = measure(sky, clips[clip], args, env, tmp, a.seconds, a.vsync)
                        res[clip, drv].append(r)
                        windows[clip, drv] = r["window"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def med(vals):
        vals = [v for v in vals if v is not None]
        return statistics.median(vals) if vals else None

    print("Renderer cost in a window on Xvfb, paced 60 fps, vsync %s, steady state: median of "
          "%d runs of %g s" % (a.vsync, a.rounds, a.seconds))
    for (clip, drv), line in windows.items():
        if line:
            print("  %-13s %-10s %s" % (clip, drv, line.split("info: ", 1)[1]))
    print("%-13s %-10s %8s %9s %14s %8s %7s %11s %11s" % (
        "clip", "driver", "CPU ms/f", "drv ms/f", "present p50/99", "shown/s", "drop/s",
        "CPU vs sdl", "drv vs sdl"))
    cheaper = {}
    for clip in CLIPS:
        headless = med(r["cores"] for r in res[clip, "headless"])
        figs = {}
        for drv in DRIVERS:
            rows = res[clip, drv]
            if not rows:
                continue
            # CPU seconds per wall second over pictures per wall second, in ms.
            cpu = med(r["cores"] / r["fps"] * 1000 for r in rows if r["fps"])
            own = (med((r["cores"] - headless) / r["fps"] * 1000 for r in rows if r["fps"])
                   if drv != "headless" else None)
            figs[drv] = (cpu, own)
            d50, d99 = med(r["draw50"] for r in rows), med(r["draw99"] for r in rows)
            sdl = figs.get("sdl") if drv != "headless" else None
            print("%-13s %-10s %8.2f %9s %14s %8.1f %7.1f %11s %11s" % (
                clip, drv, cpu, "%.2f" % own if own is not None else "-",
                "%.2f/%.2f" % (d50, d99) if d50 is not None else "-",
                med(r["fps"] for r in rows), med(r["dropped_s"] for r in rows),
                "%.2f" % (cpu / sdl[0]) if sdl else "-",
                "%.2f" % (own / sdl[1]) if sdl and sdl[1] else "-"))
        if clip not in DEEP:
            cheaper[clip] = min((d for d in figs if d != "headless"), key=lambda d: figs[d][0])
    print()
    for clip, drv in cheaper.items():
        print("8-bit SDR %s on this rasterizer: %s costs the least CPU per presented picture"
              % (clip, drv))


if __name__ == "__main__":
    main()

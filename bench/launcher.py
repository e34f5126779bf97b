#!/usr/bin/env python3
"""Launcher benchmark (figures, not pass/fail): what `skylight ui` costs while nothing changes,
and how long a launch takes to show its first picture, on Xvfb (started here) with the test
host on loopback and a client paired with it.

Idle: the launcher on its hosts screen with the paired host (which it asks how it is every
5 s) for --seconds after it settled; its CPU time (/proc/PID/stat, all threads) over that wall
time, and its wake-ups (voluntary context switches of all threads, /proc/PID/task/*/status)
per second. Two cases side by side in each round: no pad, and a virtual pad attached (SDL's
own wait polls every millisecond once a joystick is open, so the launcher naps 10 ms instead).
Nothing sits still at less than zero: these figures are absolute.

Launch to first picture: from the key press that chooses the app on the apps screen (written
to the launcher's --input-script FIFO) to the first frame line of the stream's --stats-json
(set in the config file, which streams started from the launcher read), against `skylight
stream HOST APP` from a shell, process start to first frame line, in the same round. Ratio:
launcher / command line. Medians over --rounds.

    bench/launcher.py [--build DIR] [--seconds S] [--rounds N]
"""

import glob
import json
import os
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
from render import cpu_s  # noqa: E402
from stream import Host, binaries, options  # noqa: E402
import skywindow  # noqa: E402

SETTLE_S = 3


def switches(pid):
    """Voluntary context switches of every thread of pid so far (its sleeps: wake-ups)."""
    total = 0
    for path in glob.glob("/proc/%d/task/*/status" % pid):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return total


def wait_for(path, text, p, timeout_s=60):
    t_end = time.monotonic() + timeout_s
    while time.monotonic() < t_end:
        with open(path, errors="replace") as f:
            if text in f.read():
                return
        if p.poll() is not None:
            break
        time.sleep(0.01)
    with open(path, errors="replace") as f:
        sys.exit("skylight never logged %r:\n%s" % (text, f.read()[-3000:]))


def first_frame(path, p, t0, timeout_s=60):
    """Seconds from t0 (time.monotonic()) until path holds a frame line."""
    t_end = time.monotonic() + timeout_s
    while time.monotonic() < t_end:
        try:
            with open(path) as f:
                for line in f:
                    if line.endswith("\n") and json.loads(line).get("type") == "frame":
                        return time.monotonic() - t0
        except FileNotFoundError:
            pass
        if p.poll() is not None:
            break
        time.sleep(0.002)
    sys.exit("no picture in %s" % path)


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


class Launcher:
    """skylight ui in the background, its stderr in a file, an input FIFO if asked."""

    def __init__(self, sky, env, tmp, name, fifo=False):
        self.err = os.path.join(tmp, name + ".stderr")
        args = [sky, "ui", "--log-level", "verbose", "--window-mode", "windowed",
                "--window-width", "1280", "--window-height", "720"]
        self.fifo = None
        if fifo:
            path = os.path.join(tmp, name + ".fifo")
            if os.path.exists(path):
                os.unlink(path)
            os.mkfifo(path)
            args += ["--input-script", path]
        with open(self.err, "wb") as err:
            self.p = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=err,
                                      start_new_session=True)
        if fifo:
            self.fifo = open(path, "w")

    def send(self, *lines):
        for line in lines:
            self.fifo.write(line + "\n")
        self.fifo.flush()

    def key(self, name):
        self.send("0 key down " + name, "30 key up " + name)

    def close(self):
        stop(self.p)
        if self.fifo:
            self.fifo.close()


def idle(sky, env, tmp, seconds, pad):
    """(CPU %, wake-ups per second) of the launcher sitting on its hosts screen."""
    l = Launcher(sky, env, tmp, "idle-pad" if pad else "idle", fifo=pad)
    try:
        wait_for(l.err, "is online", l.p)
        if pad:
            l.send("0 pad attach 0 xbox")
            wait_for(l.err, "[ui] verbose: gamepad", l.p)
        time.sleep(SETTLE_S)
        c0, s0, t0 = cpu_s(l.p.pid), switches(l.p.pid), time.monotonic()
        time.sleep(seconds)
        c1, s1, t1 = cpu_s(l.p.pid), switches(l.p.pid), time.monotonic()
        return 100 * (c1 - c0) / (t1 - t0), (s1 - s0) / (t1 - t0)
    finally:
        l.close()


def launch_launcher(sky, env, tmp, stats):
    """Seconds from the key press that launches the first app to its first picture."""
    if os.path.exists(stats):
        os.unlink(stats)
    l = Launcher(sky, env, tmp, "launch", fifo=True)
    try:
        wait_for(l.err, "focus host", l.p)
        wait_for(l.err, "is online", l.p)
        l.key("Return")
        wait_for(l.err, "apps on ", l.p)
        t0 = time.monotonic()
        l.key("Return")
        return first_frame(stats, l.p, t0)
    finally:
        l.close()


def launch_cli(sky, env, tmp, host, stats):
    if os.path.exists(stats):
        os.unlink(stats)
    t0 = time.monotonic()
    with open(os.path.join(tmp, "cli.stderr"), "wb") as err:
        p = subprocess.Popen([sky, "stream", host, "Desktop", "--window-width", "1280",
                              "--window-height", "720", "--stats-json", stats], env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                             start_new_session=True)
    try:
        return first_frame(stats, p, t0)
    finally:
        stop(p)


def main():
    a = options(__doc__)
    sky, testhost = binaries(a.build)
    tmp = tempfile.mkdtemp(prefix="sky-bench-launcher-")
    try:
        xdg = os.path.join(tmp, "xdg")
        os.makedirs(os.path.join(xdg, "skylight"))
        with skywindow.XServer(tmp) as x:
            host = Host(testhost, os.path.join(tmp, "host"))
            try:
                env = dict(os.environ, DISPLAY=x.display, XDG_CONFIG_HOME=xdg,
                           XDG_CACHE_HOME=os.path.join(tmp, "cache"), SDL_AUDIODRIVER="dummy")
                env.pop("WAYLAND_DISPLAY", None)
                subprocess.run([sky, "pair", host.addr, "--pin", "1234"], env=env, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                stats = os.path.join(tmp, "stats.jsonl")
                with open(os.path.join(xdg, "skylight", "skylight.conf"), "w") as f:
                    f.write("stats-json = %s\nwidth = 1280\nheight = 720\n" % stats)
                cases = {"idle": [], "idle, a pad attached": [], "launch: launcher": [],
                         "launch: command line": []}
                for r in range(a.rounds):
                    cases["idle"].append(idle(sky, env, tmp, a.seconds, False))
                    cases["idle, a pad attached"].append(idle(sky, env, tmp, a.seconds, True))
                    cases["launch: launcher"].append(launch_launcher(sky, env, tmp, stats))
                    cases["launch: command line"].append(
                        launch_cli(sky, env, tmp, host.addr, stats))
                    print("round %d/%d done" % (r + 1, a.rounds), file=sys.stderr)
            finally:
                host.stop()
        print("skylight ui, on Xvfb, the test host on loopback; medians of %d rounds, %.0f s "
              "each idle measurement" % (a.rounds, a.seconds))
        for name in ("idle", "idle, a pad attached"):
            cpu = statistics.median(c for c, _ in cases[name])
            wakes = statistics.median(w for _, w in cases[name])
            print("  %-22s CPU %6.2f %% of a core, %6.1f wake-ups/s" % (name, cpu, wakes))
        ui = statistics.median(cases["launch: launcher"])
        cli = statistics.median(cases["launch: command line"])
        print("  %-22s %6.0f ms" % ("launch to first picture", ui * 1000))
        print("  %-22s %6.0f ms  (launcher / command line: %.2f)"
              % ("command line, for scale", cli * 1000, ui / cli))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

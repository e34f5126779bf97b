"""Shared helpers of the tests that look at a real window (test_window.py, test_render.py,
test_stream.py, test_input.py): Xvfb, skylight's environment in it, `skylight play` in a window
in the background, screenshots and what to look for in them.

Each case starts its own Xvfb on a free display number (-displayfd), so cases run in parallel.
Nothing waits a fixed time: a screenshot is taken once the stats say a picture was presented,
and taken again (up to WAIT_S) while the window is missing or does not show it yet, since
the X server draws what the client sent a moment later."""

import ctypes
import ctypes.util
import os
import select
import shutil
import signal
import subprocess
import time

import skytest
from skytest import check, fail

SCREEN = (1280, 720)
BLACK_MAX = 24
WAIT_S = 60  # for Xvfb, the first presented frames, a screenshot (sanitizer builds are slow)


class XServer:
    """Xvfb on a display number it picks itself."""

    def __init__(self, tmp):
        if not shutil.which("Xvfb") or not shutil.which("xwd"):
            skytest.skip("Xvfb or xwd is not installed (packages xvfb, x11-apps)")
        self.log_path = os.path.join(tmp, "xvfb.log")
        self.log = open(self.log_path, "wb")
        rfd, wfd = os.pipe()
        try:
            self.proc = subprocess.Popen(
                ["Xvfb", "-displayfd", str(wfd), "-screen", "0", "%dx%dx24" % SCREEN,
                 "-nolisten", "tcp", "-noreset"],
                stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, pass_fds=(wfd,),
                start_new_session=True)
        finally:
            os.close(wfd)
        number = b""
        deadline = time.monotonic() + WAIT_S
        while not number.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready = select.select([rfd], [], [], max(left, 0))[0] if left > 0 else []
            chunk = os.read(rfd, 16) if ready else b""
            if not chunk:
                os.close(rfd)
                self.stop()
                with open(self.log_path, "rb") as f:
                    fail("Xvfb did not start:\n" + f.read().decode("utf-8", "replace")[-2000:])
            number += chunk
        os.close(rfd)
        self.display = ":" + number.decode().strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# Mesa's drivers, which the GL and Vulkan loaders load and unload (Debian 12's paths).
MESA_DRIVERS = ("/usr/lib/x86_64-linux-gnu/dri/swrast_dri.so",
                "/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so")


def _asan_runtime(binary):
    """The path of the ASan runtime binary links (ldd), or None."""
    r = skytest.run(["ldd", binary], timeout_s=30)
    for line in r.out.splitlines():
        if "libasan.so" in line and "=>" in line:
            return line.split("=>")[1].split()[0]
    return None


def display_env(ctx, display):
    """The variables skylight needs to open its window on `display`.

    Under TSan, SDL's renderer uses its software one: Mesa's llvmpipe runs uninstrumented
    threads TSan reports races in (the placebo driver uses Mesa whatever this says; tsan.supp
    covers it). Under ASan, Mesa's drivers are loaded before skylight starts, so they stay
    loaded until it exits: the GL driver (swrast_dri) keeps a few bytes until it is unloaded at
    exit, which LeakSanitizer then reports as leaked with no module name to suppress them by."""
    env = {"DISPLAY": display}
    san = skytest.sanitizer_of(ctx.skylight)
    if san == "thread":
        env.update({"SDL_RENDER_DRIVER": "software", "SDL_FRAMEBUFFER_ACCELERATION": "0"})
    elif san == "address":
        runtime = _asan_runtime(ctx.skylight)
        drivers = [d for d in MESA_DRIVERS if os.path.exists(d)]
        if runtime and drivers:
            env["LD_PRELOAD"] = " ".join([runtime] + drivers)
    return env


class Player:
    """skylight play in a window, in the background, writing --stats-json to a file. `args`
    come before the clip; `env` is added to the environment."""

    def __init__(self, ctx, display, sample, win_w, win_h, args=(), env=None):
        self.ctx = ctx
        self.stats = ctx.path("stats.jsonl")
        self.out = open(ctx.path("stdout"), "wb")
        self.err = open(ctx.path("stderr"), "wb")
        self.cmd = ([ctx.skylight, "play", "--window-width", str(win_w), "--window-height",
                     str(win_h), "--stats-json", self.stats] + list(args) + [ctx.sample(sample)])
        extra = display_env(ctx, display)
        extra.update(env or {})
        env = ctx.env(extra, drop=("WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=self.err, env=env, cwd=ctx.tmp,
                                     start_new_session=True)

    def result(self, timed_out=False):
        def text(name):
            with open(self.ctx.path(name), "rb") as f:
                return f.read().decode("utf-8", "replace")
        self.out.flush()
        self.err.flush()
        return skytest.Result(self.cmd, self.proc.returncode, text("stdout"), text("stderr"),
                              time.monotonic() - self.t0, timed_out)

    def frames(self):
        """The frame lines written so far (the file is block-buffered: only whole lines)."""
        if not os.path.exists(self.stats):
            return []
        with open(self.stats) as f:
            text = f.read()
        lines = text.split("\n")[:-1]  # the last piece may be half a line
        return [o for o in skytest.parse_json_lines("\n".join(lines)) if o["type"] == "frame"]

    def wait_frames(self, done, what):
        """Waits until done(frame lines so far) is true; `what` says what for the failure."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                r = self.result()
                rep = skytest.sanitizer_report(r)
                check(rep is None, "sanitizer report: %s" % rep, r)
                fail("skylight ended before this was seen: %s" % what, r)
            if done(self.frames()):
                return
            time.sleep(0.05)
        self.kill()
        fail("not seen within %d s: %s" % (WAIT_S, what), self.result(timed_out=True))

    def wait_presented(self, width=None, count=1):
        """Waits until `count` frames (of the given width) are reported presented."""
        def done(frames):
            return count <= sum(1 for f in frames if f["fate"] == "presented" and
                                (width is None or f.get("width") == width))
        self.wait_frames(done, "%d presented %s" % (
            count, "%d-wide pictures" % width if width else "pictures"))

    def presented(self):
        return sum(1 for f in self.frames() if f["fate"] == "presented")

    def wait_exit(self):
        """The result once skylight has ended by itself (within WAIT_S), or fails."""
        try:
            self.proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            fail("skylight did not exit within %d s" % WAIT_S, self.result(timed_out=True))
        r = self.result()
        rep = skytest.sanitizer_report(r)
        check(rep is None, "sanitizer report: %s" % rep, r)
        return r

    def terminate(self):
        """SIGTERM; returns the result after a clean exit, or fails."""
        check(self.proc.poll() is None,
              "the clip ended before SIGTERM could be tested (a very slow machine?)", self.result())
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            fail("skylight did not exit within %d s of SIGTERM" % WAIT_S,
                 self.result(timed_out=True))
        return self.finished()

    def finished(self):
        r = self.result()
        rep = skytest.sanitizer_report(r)
        check(rep is None, "sanitizer report: %s" % rep, r)
        check(r.rc == 0, "expected exit status 0", r)
        skytest.summary(r)
        return r

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def close(self):
        self.kill()
        self.out.close()
        self.err.close()


class XWindow:
    """A top-level window on an X display, found by its title, changed through Xlib (ctypes) as
    a user or window manager would: resized, unmapped and mapped again. (Under Xvfb there is
    no window manager: unmapping is what minimising does to a window.)"""

    def __init__(self, display, title="Skylight"):
        path = ctypes.util.find_library("X11")
        if not path:
            skytest.skip("libX11 is not installed")
        x = self.x = ctypes.CDLL(path)
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        vp, win = ctypes.c_void_p, ctypes.c_ulong
        x.XDefaultRootWindow.restype = win
        x.XDefaultRootWindow.argtypes = [vp]
        x.XQueryTree.argtypes = [vp, win, ctypes.POINTER(win), ctypes.POINTER(win),
                                 ctypes.POINTER(ctypes.POINTER(win)), ctypes.POINTER(ctypes.c_uint)]
        x.XFetchName.argtypes = [vp, win, ctypes.POINTER(ctypes.c_char_p)]
        x.XFree.argtypes = [vp]
        x.XResizeWindow.argtypes = [vp, win, ctypes.c_uint, ctypes.c_uint]
        for f in (x.XMapWindow, x.XUnmapWindow):
            f.argtypes = [vp, win]
        x.XSync.argtypes = [vp, ctypes.c_int]
        x.XCloseDisplay.argtypes = [vp]
        self.dpy = x.XOpenDisplay(display.encode())
        check(self.dpy, "cannot open the X display %s" % display)
        deadline = time.monotonic() + WAIT_S
        self.win = self._find(title.encode())
        while self.win is None:
            check(time.monotonic() < deadline, "no window %r on %s" % (title, display))
            time.sleep(0.1)
            self.win = self._find(title.encode())

    def _find(self, title):
        x, root = self.x, self.x.XDefaultRootWindow(self.dpy)
        r, parent = ctypes.c_ulong(), ctypes.c_ulong()
        kids, n = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
        if not x.XQueryTree(self.dpy, root, ctypes.byref(r), ctypes.byref(parent),
                            ctypes.byref(kids), ctypes.byref(n)):
            return None
        found = None
        for i in range(n.value):
            name = ctypes.c_char_p()
            if x.XFetchName(self.dpy, kids[i], ctypes.byref(name)) and name.value is not None:
                if name.value == title:
                    found = kids[i]
                x.XFree(name)
        if kids:
            x.XFree(kids)
        return found

    def resize(self, w, h):
        self.x.XResizeWindow(self.dpy, self.win, w, h)
        self.x.XSync(self.dpy, 0)

    def unmap(self):
        self.x.XUnmapWindow(self.dpy, self.win)
        self.x.XSync(self.dpy, 0)

    def map(self):
        self.x.XMapWindow(self.dpy, self.win)
        self.x.XSync(self.dpy, 0)

    def close(self):
        self.x.XCloseDisplay(self.dpy)


def screenshot(ctx, display, name, window="Skylight", deadline=None):
    """A window's contents, as an Image (xwd of the window with that title). Until `deadline`
    (time.monotonic(); WAIT_S from now by default) a window that is not there yet, or not
    mapped, is waited for."""
    path = ctx.path(name + ".xwd")
    env = dict(os.environ, DISPLAY=display)
    deadline = deadline or time.monotonic() + WAIT_S
    while True:
        if os.path.exists(path):
            os.unlink(path)
        r = skytest.run(["xwd", "-silent", "-name", window, "-out", path], timeout_s=WAIT_S,
                        env=env)
        if r.rc == 0 and not r.timed_out and os.path.exists(path) and os.path.getsize(path):
            with open(path, "rb") as f:
                return skytest.parse_xwd(f.read())
        check(time.monotonic() < deadline, "xwd could not capture the window %r" % window, r)
        time.sleep(0.2)


def wait_shown(ctx, p, display, label, check_image):
    """Screenshots the window until check_image(img) passes (it raises skytest.Failure while the
    window does not show what it should), while the player runs; fails with the last
    screenshot's difference after WAIT_S (SKYTEST_KEEP=FILE.png keeps that screenshot).
    Returns what check_image returned."""
    deadline = time.monotonic() + WAIT_S
    name = label.replace(" ", "-")
    while True:
        img = screenshot(ctx, display, name, deadline=deadline)
        try:
            return check_image(img)
        except skytest.Failure as e:
            if time.monotonic() < deadline and p.proc.poll() is None:
                time.sleep(0.2)
                continue
            where = ctx.path(name + ".png")
            img.write_png(where)
            keep = os.environ.get("SKYTEST_KEEP")
            if keep:
                shutil.copy(where, keep)
            raise skytest.Failure(str(e) + "\n  (screenshot: set SKYTEST_KEEP=FILE.png to keep it)")


def letterbox(win_w, win_h, dar):
    """Where the picture should be (same arithmetic as sky_render_letterbox)."""
    if dar > win_w / win_h:
        w, h = win_w, int(round(win_w / dar))
    else:
        w, h = int(round(win_h * dar)), win_h
    return (win_w - w) // 2, (win_h - h) // 2, w, h


def near(px, want, tol):
    return all(abs(a - b) <= tol for a, b in zip(px, want))


def is_black(px):
    return all(c <= BLACK_MAX for c in px)


def picture_rect(img):
    """The bounding box of non-black pixels along the middle row and column."""
    my, mx = img.height // 2, img.width // 2
    xs = [x for x in range(img.width) if not is_black(img.pixel(x, my))]
    ys = [y for y in range(img.height) if not is_black(img.pixel(mx, y))]
    if not xs or not ys:
        return None
    return xs[0], ys[0], xs[-1] - xs[0] + 1, ys[-1] - ys[0] + 1

"""A real window under Xvfb: skylight plays a clip of four static colour quadrants in a window
whose aspect differs from the video's; a screenshot (xwd of the window) must show each
quadrant's colour at its centre and black bars where the picture is letterboxed. Then SIGTERM
must end the run cleanly (exit 0, the summary line). Also: 10-bit HEVC (converted to 8-bit
by swscale in the renderer), a resolution (and aspect) change mid-stream, and a clean error
when there is no display at all.

Each case starts its own Xvfb on a free display number (-displayfd), so cases run in parallel.
Nothing waits a fixed time: a screenshot is taken once the stats say a picture was presented,
and taken again (up to WAIT_S) while the window is missing or does not show it yet, since
the X server draws what the client sent a moment later. The clips last far longer than any
case needs, so the player is still running when the case ends it."""

import os
import select
import shutil
import signal
import subprocess
import time

import skytest
from skytest import check, fail

SCREEN = (1280, 720)
# Quadrant colours of the pattern clips (gen_samples.pattern), top-left, top-right,
# bottom-left, bottom-right; and how far YUV 4:2:0 round trips may move a channel.
QUADRANTS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255))
COLOUR_TOLERANCE = 40
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


class Player:
    """skylight play in a window, in the background, writing --stats-json to a file."""

    def __init__(self, ctx, display, sample, win_w, win_h):
        self.ctx = ctx
        self.stats = ctx.path("stats.jsonl")
        self.out = open(ctx.path("stdout"), "wb")
        self.err = open(ctx.path("stderr"), "wb")
        self.cmd = [ctx.skylight, "play", "--window-width", str(win_w), "--window-height",
                    str(win_h), "--stats-json", self.stats, ctx.sample(sample)]
        env = ctx.env({"DISPLAY": display}, drop=("WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))
        if skytest.sanitizer_of(ctx.skylight):
            # Xvfb's OpenGL is Mesa's llvmpipe: uninstrumented threads TSan reports races in,
            # and a driver unloaded at exit whose allocations LeakSanitizer then reports with
            # no module name to suppress them by. Sanitizer builds draw with SDL's software
            # renderer instead (the release build keeps the default, OpenGL).
            env.update({"SDL_RENDER_DRIVER": "software", "SDL_FRAMEBUFFER_ACCELERATION": "0"})
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

    def wait_presented(self, width=None):
        """Waits until a frame (of the given width) is reported presented."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                r = self.result()
                rep = skytest.sanitizer_report(r)
                check(rep is None, "sanitizer report: %s" % rep, r)
                fail("skylight ended before presenting %s" %
                     ("a %d-wide picture" % width if width else "anything"), r)
            for f in self.frames():
                if f["fate"] == "presented" and (width is None or f.get("width") == width):
                    return
            time.sleep(0.05)
        self.kill()
        fail("no presented frame reported within %d s" % WAIT_S, self.result(timed_out=True))

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


def check_picture(ctx, img, win_w, win_h, dar, label):
    """Window size, picture rectangle, quadrant colours and black bars."""
    where = ctx.path(label + ".png")
    try:
        check((img.width, img.height) == (win_w, win_h), "%s: the window is %dx%d, not %dx%d"
              % (label, img.width, img.height, win_w, win_h))
        want = letterbox(win_w, win_h, dar)
        got = picture_rect(img)
        check(got is not None, "%s: the window is all black" % label)
        check(all(abs(a - b) <= 2 for a, b in zip(got, want)),
              "%s: picture at x=%d y=%d %dx%d, expected x=%d y=%d %dx%d" % ((label,) + got + want))
        x, y, w, h = got
        for i, colour in enumerate(QUADRANTS):
            cx = x + w // 4 + (i % 2) * (w // 2)
            cy = y + h // 4 + (i // 2) * (h // 2)
            px = img.pixel(cx, cy)
            check(near(px, colour, COLOUR_TOLERANCE), "%s: quadrant %d centre (%d,%d) is %s, "
                  "expected about %s" % (label, i, cx, cy, px, colour))
        # Bars: every pixel outside the picture, 2 px clear of its edge, on a coarse grid.
        bars = 0
        for by in range(0, win_h, 3):
            for bx in range(0, win_w, 3):
                if x - 2 <= bx < x + w + 2 and y - 2 <= by < y + h + 2:
                    continue
                bars += 1
                check(is_black(img.pixel(bx, by)), "%s: bar pixel (%d,%d) is %s, not black"
                      % (label, bx, by, img.pixel(bx, by)))
        check(bars > 0, "%s: the window has no letterbox bars to check (test set-up)" % label)
    except skytest.Failure as e:
        img.write_png(where)
        keep = os.environ.get("SKYTEST_KEEP")
        if keep:
            shutil.copy(where, keep)
        raise skytest.Failure(str(e) + "\n  (screenshot: set SKYTEST_KEEP=FILE.png to keep it)")


def wait_picture(ctx, p, display, win_w, win_h, dars, label):
    """Screenshots the window until it shows the picture (check_picture) at one of the aspect
    ratios `dars` (the first that fits the picture's width), while the player runs; fails with
    the last screenshot's difference after WAIT_S. Returns the aspect ratio shown."""
    deadline = time.monotonic() + WAIT_S
    while True:
        img = screenshot(ctx, display, label.replace(" ", "-"), deadline=deadline)
        got = picture_rect(img)
        dar = next((d for d in dars if got is not None and
                    abs(got[2] - letterbox(win_w, win_h, d)[2]) <= 2), dars[0])
        try:
            check_picture(ctx, img, win_w, win_h, dar, label)
            return dar
        except skytest.Failure:
            if time.monotonic() >= deadline or p.proc.poll() is not None:
                raise
        time.sleep(0.2)


def pattern_case(ctx, sample, win_w, win_h):
    with XServer(ctx.tmp) as x:
        p = Player(ctx, x.display, sample, win_w, win_h)
        try:
            p.wait_presented()
            wait_picture(ctx, p, x.display, win_w, win_h, [640 / 360], sample)
            r = p.terminate()
            check("stopped by the user" in r.err, "SIGTERM was not reported as a stop", r)
        finally:
            p.close()


def pattern_8bit(ctx):
    # 16:9 in a wide window: bars left and right.
    pattern_case(ctx, "pattern.mkv", 800, 300)


def pattern_10bit(ctx):
    # 16:9 in a 4:3 window: bars above and below.
    pattern_case(ctx, "pattern10.mkv", 640, 480)


def resolution_change(ctx):
    # 640x360 (16:9) for 2 s, then 480x360 (4:3): the window keeps showing the stream, with
    # the bars moved for the new aspect.
    win_w, win_h = 800, 300
    with XServer(ctx.tmp) as x:
        p = Player(ctx, x.display, "pattern_reschange.h264", win_w, win_h)
        try:
            p.wait_presented(width=640)
            # Usually still the first part; on a slow machine possibly already the second.
            wait_picture(ctx, p, x.display, win_w, win_h, [640 / 360, 480 / 360],
                         "before the change")
            p.wait_presented(width=480)
            wait_picture(ctx, p, x.display, win_w, win_h, [480 / 360], "after the change")
            r = p.terminate()
        finally:
            p.close()
    with open(p.stats) as f:
        frames = [o for o in skytest.parse_json_lines(f.read()) if o["type"] == "frame"]
    widths = sorted({f.get("width") for f in frames if f["fate"] == "presented"})
    check(widths == [480, 640], "expected presented pictures 640 and 480 wide, got %s" % widths, r)
    check("640x360 -> 480x360" in r.err, "the size change was not logged", r)


def no_display(ctx):
    env = ctx.env(drop=("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))
    r = ctx.skylight_run(["play", ctx.sample("h264.mkv")], env=env, expect_rc=1)
    errs = [l for l in r.err.splitlines() if "error:" in l and "--headless" in l]
    check(errs, "the error should suggest --headless", r)


if __name__ == "__main__":
    skytest.main([pattern_8bit, pattern_10bit, resolution_change, no_display])

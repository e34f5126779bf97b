"""The launcher's window kept across streams: skylight-embed-check (embed_check.c), a launcher
in small, shows a screen picture with no pipeline attached (drawn on the main thread, nothing
drawn while idle), runs `skylight stream` inside its window against the test host
(sky_stream_run_embedded: the picture hidden, the window titled for the app, the video shown),
shows another picture over the last video frame once the host has quit the app, streams again
in the same window, and shows the first picture again. Per renderer driver: sdl, and placebo on
OpenGL (its GL context moves between the main thread and the render thread).

    python3 test_embed.py SKYLIGHT SAMPLES_DIR CASE     (SKY_TESTHOST, SKY_EMBED_CHECK)
"""

import os
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skytest  # noqa: E402
from skytest import check, fail  # noqa: E402
from skywindow import XServer, display_env, near, screenshot, WAIT_S  # noqa: E402
from testhost import Client, TestHost, pattern_frame_number  # noqa: E402

SMALL = ["--width", "640", "--height", "360", "--fps", "30", "--codec", "h264"]
LAUNCHER = "Skylight launcher"


class Launcher:
    def __init__(self, ctx, client, display, renderer, host, extra=()):
        tool = os.environ.get("SKY_EMBED_CHECK", "")
        if not tool or not os.path.exists(tool):
            skytest.skip("skylight-embed-check is not built (SKY_EMBED_CHECK)")
        self.ctx, self.display = ctx, display
        self.err_path = ctx.path("launcher.stderr")
        env = client.env(display_env(ctx, display), drop=("WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))
        self.cmd = [tool, renderer, "stream", host.addr] + SMALL + list(extra)
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=err, env=env, start_new_session=True)
        self.buf = b""
        self.expect("ready")

    def result(self):
        with open(self.err_path, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        return skytest.Result(self.cmd, self.proc.poll(), self.buf.decode("utf-8", "replace"),
                              err, 0)

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def expect(self, prefix, timeout_s=WAIT_S):
        """The next stdout line that starts with prefix (others are skipped: the stream's own)."""
        deadline = time.monotonic() + timeout_s
        fd = self.proc.stdout.fileno()
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                text = line.decode("utf-8", "replace")
                if text.startswith(prefix):
                    return text
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.kill()
                fail("the launcher did not say %r" % prefix, self.result())
            chunk = os.read(fd, 4096)
            if not chunk:
                self.proc.wait()
                fail("the launcher ended before saying %r" % prefix, self.result())
            self.buf += chunk

    def shot_until(self, title, label, ok):
        """Screenshots the window titled `title` until ok(img) returns an empty string (it
        returns what is wrong); fails with the last answer after WAIT_S."""
        deadline = time.monotonic() + WAIT_S
        while True:
            img = screenshot(self.ctx, self.display, label, title, deadline=deadline)
            wrong = ok(img)
            if not wrong:
                return img
            if time.monotonic() > deadline or self.proc.poll() is not None:
                img.write_png(self.ctx.path(label + ".png"))
                fail("%s: %s" % (label, wrong), self.result())
            time.sleep(0.2)

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def picture_1(img):
    """Red on the left half, the window's own picture (black before any stream) elsewhere."""
    w, h = img.width, img.height
    for x, y in ((w // 8, h // 8), (w // 4, h // 2), (w // 2 - 4, h - 4)):
        if not near(img.pixel(x, y), (255, 0, 0), 8):
            return "(%d,%d) is %s, not red" % (x, y, img.pixel(x, y))
    return ""


def picture_2(img):
    """Green on the top half; half-white over whatever is under it on the bottom half."""
    w, h = img.width, img.height
    for x, y in ((w // 8, h // 8), (w * 7 // 8, h // 4)):
        if not near(img.pixel(x, y), (0, 255, 0), 8):
            return "(%d,%d) is %s, not green" % (x, y, img.pixel(x, y))
    for x, y in ((w // 8, h * 3 // 4), (w * 7 // 8, h - 4)):
        if min(img.pixel(x, y)) < 120:
            return "(%d,%d) is %s, not half white over the video" % (x, y, img.pixel(x, y))
    return ""


def black_right(img):
    w, h = img.width, img.height
    px = img.pixel(w * 3 // 4, h // 2)
    return "" if max(px) <= 24 else "(%d,%d) is %s, not black" % (w * 3 // 4, h // 2, px)


def stream_once(launcher, host, label):
    """A stream in the launcher's window: it shows the host's pictures (a frame number reads
    from the barcode), under the app's title, and no red of the screen picture; the host
    quitting the app ends it with the host's reason and status 0."""
    m = host.mark()
    launcher.send("stream")
    launcher.expect("Streaming ")

    def video(img):
        n = pattern_frame_number(lambda xx, yy: sum(img.pixel(xx, yy)) / 3, img.width)
        if not n:
            return "no frame number in the window"
        if near(img.pixel(img.width // 8, img.height // 8), (255, 0, 0), 8):
            return "the screen picture is still shown"
        return ""
    launcher.shot_until("Desktop - Skylight", label, video)
    host.command("quit-app")
    line = launcher.expect("ended ")
    check(line.startswith("ended status=0 failed=0 reason=") and "the app on the host quit" in line,
          "the stream's end: %s" % line, launcher.result())
    host.wait_for("stream-end ", after=m)


def run(ctx, renderer):
    host = TestHost(ctx, ["--pin", "1234"])
    client = Client(ctx)
    launcher = None
    try:
        client.pair(host)
        with XServer(ctx.tmp) as x:
            launcher = Launcher(ctx, client, x.display, renderer, host)
            # No pipeline yet: the picture is drawn on the main thread, over black.
            launcher.send("screen 1")
            launcher.shot_until(LAUNCHER, "screen-1", lambda img: picture_1(img) or black_right(img))
            launcher.send("idle")
            line = launcher.expect("idle ")
            check(line == "idle redraws=0", "an idle launcher drew: %s" % line, launcher.result())
            stream_once(launcher, host, "stream-1")
            # The window is the launcher's again: its title, a new picture over the last frame.
            launcher.send("screen 2")
            launcher.shot_until(LAUNCHER, "screen-2", picture_2)
            stream_once(launcher, host, "stream-2")
            launcher.send("screen 1")
            launcher.shot_until(LAUNCHER, "screen-1-again", picture_1)
            launcher.send("quit")
            try:
                launcher.proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                launcher.kill()
                fail("the launcher did not quit", launcher.result())
            r = launcher.result()
            rep = skytest.sanitizer_report(r)
            check(rep is None, "sanitizer report: %s" % rep, r)
            check(r.rc == 0, "the launcher exited with %s" % r.rc, r)
            check(r.err.count("renderer %s" % renderer) == 1,
                  "not one window with the %s renderer" % renderer, r)
    finally:
        if launcher:
            launcher.kill()
        host.stop()


def embed_sdl(ctx):
    run(ctx, "sdl")


def embed_opengl(ctx):
    run(ctx, "placebo")


# The host's codec modes: H.264, HEVC, HEVC Main10 (as test_stream.py's HDR cases).
HDR_MODES = 0x1 | 0x100 | 0x200 | 0x30000


def embed_sdl_hdr_refused(ctx):
    """An HDR stream in a window whose driver (sdl) cannot show it: a clear reason and status
    1, no crash, and the window is the launcher's again."""
    host = TestHost(ctx, ["--pin", "1234", "--codec-support", hex(HDR_MODES)])
    client = Client(ctx)
    launcher = None
    try:
        client.pair(host)
        with XServer(ctx.tmp) as x:
            launcher = Launcher(ctx, client, x.display, "sdl", host, ["--hdr", "--codec", "hevc"])
            launcher.send("stream")
            line = launcher.expect("ended ")
            check(line.startswith("ended status=1 failed=1 reason=") and
                  "sdl renderer cannot show this HDR stream" in line,
                  "the stream's end: %s" % line, launcher.result())
            launcher.send("screen 1")
            launcher.shot_until(LAUNCHER, "screen-1", picture_1)
            launcher.send("quit")
            launcher.proc.wait(timeout=WAIT_S)
            r = launcher.result()
            rep = skytest.sanitizer_report(r)
            check(rep is None, "sanitizer report: %s" % rep, r)
            check(r.rc == 0, "the launcher exited with %s" % r.rc, r)
    finally:
        if launcher:
            launcher.kill()
        host.stop()


if __name__ == "__main__":
    skytest.main([embed_sdl, embed_opengl, embed_sdl_hdr_refused])

"""A real window under Xvfb: skylight plays a clip of four static colour quadrants in a window
whose aspect differs from the video's; a screenshot (xwd of the window) must show each
quadrant's colour at its centre and black bars where the picture is letterboxed. Then SIGTERM
must end the run cleanly (exit 0, the summary line), and every presented frame's line must say
when its drawing began (decode_end_us <= draw_start_us <= presented_us). Also: 10-bit HEVC, a resolution (and
aspect) change mid-stream, and a clean error when there is no display at all.

Per renderer driver (sdl; placebo on OpenGL and on Vulkan), what happens to the window while a
clip plays: the X server going away (Xvfb killed) must end skylight within WAIT_S with exit
status 1 and its own error line, not a crash, a hang or Xlib's exit(); the window unmapped
(minimised) and mapped again must show the picture again with more pictures presented after;
a window resized by someone else must show the picture letterboxed for its new size.

Xvfb, the player and screenshots are skywindow.py's (one Xvfb per case; screenshots retried
until they show the picture). The clips last far longer than any case needs, so the player is
still running when the case ends it. test_render.py checks colours exactly, per renderer."""

import skytest
from skytest import check
from skywindow import (Player, XServer, XWindow, is_black, letterbox, near, picture_rect,
                       wait_shown)
from test_render import DRIVERS, check_driver

# Quadrant colours of the pattern clips (gen_samples.pattern), top-left, top-right,
# bottom-left, bottom-right; and how far YUV 4:2:0 round trips may move a channel.
QUADRANTS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255))
COLOUR_TOLERANCE = 40


def check_picture(img, win_w, win_h, dar, label):
    """Window size, picture rectangle, quadrant colours and black bars."""
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


def wait_picture(ctx, p, display, win_w, win_h, dars, label):
    """Screenshots the window until it shows the picture (check_picture) at one of the aspect
    ratios `dars` (the first that fits the picture's width). Returns the aspect ratio shown."""
    def shows(img):
        got = picture_rect(img)
        dar = next((d for d in dars if got is not None and
                    abs(got[2] - letterbox(win_w, win_h, d)[2]) <= 2), dars[0])
        check_picture(img, win_w, win_h, dar, label)
        return dar
    return wait_shown(ctx, p, display, label, shows)


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
    shown = [f for f in p.frames() if f["fate"] == "presented"]
    check(shown and all(f["decode_end_us"] <= f["draw_start_us"] <= f["presented_us"]
                        for f in shown),
          "presented frames need decode_end_us <= draw_start_us <= presented_us", r)


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


def play_in(ctx, x, driver, win_w, win_h):
    """pattern.mkv with the driver, in a win_w x win_h window on XServer x, once a picture was
    presented."""
    args, env, _ = DRIVERS[driver]
    p = Player(ctx, x.display, "pattern.mkv", win_w, win_h, args=args, env=env)
    p.wait_presented()
    return p


def display_lost_case(driver):
    def case(ctx):
        x = XServer(ctx.tmp)
        try:
            p = play_in(ctx, x, driver, 640, 360)
            try:
                x.proc.kill()  # the display goes away mid-play
                x.proc.wait()
                r = p.wait_exit()
            finally:
                p.close()
        finally:
            x.stop()
        check_driver(driver, r)
        check(r.rc == 1, "expected exit status 1 when the display goes away", r)
        check("error: the display went away" in r.err, "the error should say what happened", r)
    case.__name__ = "display_lost_" + driver
    return case


def minimise_restore_case(driver):
    def case(ctx):
        with XServer(ctx.tmp) as x:
            p = play_in(ctx, x, driver, 800, 300)
            win = XWindow(x.display)
            try:
                win.unmap()
                # Pictures go on through the pipeline while the window is hidden.
                hidden = len(p.frames())
                p.wait_frames(lambda frames: len(frames) >= hidden + 5,
                              "5 more frames while the window is hidden")
                win.map()
                restored = p.presented()
                p.wait_presented(count=restored + 5)
                wait_picture(ctx, p, x.display, 800, 300, [640 / 360], "restored " + driver)
                r = p.terminate()
            finally:
                win.close()
                p.close()
        check_driver(driver, r)
    case.__name__ = "minimise_restore_" + driver
    return case


def window_resize_case(driver):
    def case(ctx):
        with XServer(ctx.tmp) as x:
            p = play_in(ctx, x, driver, 800, 300)
            win = XWindow(x.display)
            try:
                wait_picture(ctx, p, x.display, 800, 300, [640 / 360], "before resize " + driver)
                win.resize(400, 400)  # bars left and right become bars above and below
                wait_picture(ctx, p, x.display, 400, 400, [640 / 360], "resized " + driver)
                r = p.terminate()
            finally:
                win.close()
                p.close()
        check_driver(driver, r)
    case.__name__ = "window_resize_" + driver
    return case


THREE = ("sdl", "opengl", "vulkan")
CASES = ([pattern_8bit, pattern_10bit, resolution_change, no_display] +
         [f(d) for f in (display_lost_case, minimise_restore_case, window_resize_case)
          for d in THREE])

if __name__ == "__main__":
    skytest.main(CASES)

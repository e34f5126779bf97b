"""A stream that changes as it plays keeps a correct picture, per renderer driver.

changes.hevc (gen_samples.py) is HEVC Annex B whose parts (colours.CHANGE_PARTS, 3 s each, in
turn for 180 s) each change something from the part before: 8 -> 10 bit, BT.709 10-bit ->
BT.601 8-bit (the same texture format for sdl: only its YUV conversion differs), limited ->
full range with a 4:3 picture size, BT.709 -> BT.2020 10-bit, and back to 8-bit BT.709.
The colour description travels in each part's SPS VUI only (no container), so the renderer
learns of a change from the decoded frames alone. Each part shows colours.BARS rotated by its
index, so every screenshot tells which part it shows; a part drawn with a stale texture,
conversion or colour description matches none.

Screenshots are taken until every part has been seen right: its letterbox in the 800x300
window (4:3 and 16:9 pictures differ in width: black right next to the picture's sides) and
every patch within COLOUR_TOL of colours.py (for sdl, other primaries than BT.709 are not
converted: test_render.py says why). The decoder's frames must have shown both picture widths.
Then SIGTERM must end the run cleanly. The same for `--renderer sdl` (SDL's YUV textures and its CPU
conversions), placebo on OpenGL and placebo on Vulkan."""

import colours
import skytest
from skytest import check
from skywindow import Player, XServer, is_black, letterbox, near, wait_shown
from test_render import COLOUR_TOL, DRIVERS, centre, check_driver

WIN = (800, 300)
RECT_TOL = 2


def expected(driver):
    """part name -> (picture size, the RGB each patch must show)."""
    out = {}
    for name, (sig, size) in colours.CHANGE_PARTS.items():
        rgb = [sig.shown(sig.encode(c), convert_primaries=driver != "sdl")
               for c in colours.change_bars(name)]
        out[name] = (size, rgb)
    return out


def mismatch(img, size, want):
    """Why img does not show a part of this size and these colours ("" if it does), and
    whether its letterbox matched: black just outside the picture's rectangle (patches may be
    black too, so the rectangle is not looked for), its patches' colours inside."""
    x0, y0, w, h = letterbox(WIN[0], WIN[1], size[0] / size[1])
    edges = [(x, y) for y in range(0, WIN[1], 10) for x in (x0 - 1 - RECT_TOL, x0 + w + RECT_TOL)]
    edges += [(x, y) for x in range(0, WIN[0], 10) for y in (y0 - 1 - RECT_TOL, y0 + h + RECT_TOL)]
    lit = [(x, y) for x, y in edges
           if 0 <= x < WIN[0] and 0 <= y < WIN[1] and not is_black(img.pixel(x, y))]
    if lit:
        return ("(%d,%d) is not black next to a %dx%d picture at (%d,%d)"
                % (lit[0] + (w, h, x0, y0)), False)
    bad = []
    for i, ((cx, cy), exp) in enumerate(zip(colours.patch_centres(colours.BARS_GRID, size), want)):
        px = centre(img, x0 + cx * w // size[0], y0 + cy * h // size[1])
        if not near(px, exp, COLOUR_TOL):
            bad.append("patch %d: %s, expected %s" % (i, px, exp))
    return "; ".join(bad), True


def changes_case(driver):
    def case(ctx):
        args, env, _ = DRIVERS[driver]
        parts = expected(driver)
        seen, last_wrong = set(), {}

        def every_part_seen(img):
            check((img.width, img.height) == WIN, "the window is %dx%d" % (img.width, img.height))
            for name, (size, want) in parts.items():
                why, boxed = mismatch(img, size, want)
                if not why:
                    seen.add(name)
                elif boxed:
                    last_wrong[name] = why
            missing = [n for n in parts if n not in seen]
            check(not missing, "parts never shown right: %s" % "\n  ".join(
                "%s (last: %s)" % (n, last_wrong.get(n, "never at its size")) for n in missing))

        with XServer(ctx.tmp) as x:
            p = Player(ctx, x.display, "changes.hevc", WIN[0], WIN[1], args=args, env=env)
            try:
                p.wait_presented()
                wait_shown(ctx, p, x.display, "changes " + driver, every_part_seen)
                r = p.terminate()
            finally:
                p.close()
        check_driver(driver, r)
        widths = {f.get("width") for f in p.frames() if f["fate"] == "presented"}
        check(widths == {480, 640}, "presented picture widths %s, expected 480 and 640" % widths, r)
    case.__name__ = "changes_" + driver
    return case


CASES = [changes_case(d) for d in ("sdl", "opengl", "vulkan")]

if __name__ == "__main__":
    skytest.main(CASES)

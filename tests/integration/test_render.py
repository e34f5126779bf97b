"""Colours on the screen, per renderer driver: `skylight play` shows clips of exact code values
(colours.py, encoded losslessly by gen_samples.py) in a window under Xvfb, and screenshots must
show the RGB that colours.py computes from the standards for them. Each check runs with
`--renderer sdl` (SDL_Renderer), `--renderer placebo --gpu-api vulkan` (lavapipe here) and
`--renderer placebo --gpu-api opengl` (llvmpipe); the log's renderer line must say which ran.

- bt709_tv, bt709_pc: BT.709 8-bit 4:2:0, limited and full range (H.264 VUI): 75% colour bars,
  greys, 100% white, black and red, a mid-level colour. Each patch's centre must be within
  COLOUR_TOL of colours.Signal.shown(code values).
- bt601: SD signalling (SMPTE 170M matrix, primaries and transfer). placebo converts SMPTE C
  primaries to the window's BT.709 (expected: colours.py's linear-light conversion); SDL's
  renderer has no colour management, so for sdl the expected colours are the matrix's alone
  (up to 50 code values apart in channels near 0: the difference placebo's conversion makes).
- bt2020: BT.2020 SDR, 10-bit: the BT.2020 matrix, and the primaries converted to BT.709 with
  out-of-gamut colours clipped. placebo only (sdl shows BT.2020 primaries as BT.709's).
- pq: HDR10 (PQ, BT.2020, mastered at 1000 cd/m2) on the SDR window, tone-mapped. Greys must be
  neutral (channels within NEUTRAL_TOL) and as bright as the ITU-R BT.2390 EETF puts them on an
  SDR display whose white is HDR reference white (203 cd/m2, BT.2408): reference white 229,
  18% grey 119, 2% grey 43, 1000 cd/m2 255 (colours.pq_grey_shown, within PQ_TOL). For
  comparison: on an ideal display that needed no tone mapping reference white would be 255 and
  18% grey 117; FFmpeg's `zscale=t=linear:npl=203,tonemap=X,zscale=t=bt709` on the same frame
  gives reference white / 18% grey of 255/125 (clip), 216/125 (mobius), 200/122 (reinhard),
  158/84 (hable); libplacebo 4.208's own automatic curve (BT.2446a) gave 170/89; a washed-out
  picture (PQ shown as if it were SDR) 148/105 with the 2% grey at 59. Saturated colours (BT.709
  red and BT.2020 red and green at reference white) must come out as that primary alone.
  `--renderer sdl` must refuse (exit 1, "cannot tone-map", nothing presented) and `auto` must
  pick placebo and show the same.
- yuv444, yuv444_10: H.264 High 4:4:4 (8-bit) and HEVC Rext 4:4:4 10-bit with single-pixel
  columns (top half) and rows (bottom half) of two colours of equal luma, in a window wider than
  the video so it is drawn 1:1 (the picture rectangle must be exactly 640x360, centred): every
  column and row must show its own colour. Any chroma subsampling on the way would blend them.
- bt709_tv_auto: `auto` on 8-bit 4:2:0 SDR picks sdl where placebo runs on a software
  rasterizer (placebo elsewhere), and shows the bars right.

Tolerances (measured on lavapipe, llvmpipe and SDL's OpenGL and software renderers, all cases):
the largest difference from colours.py was 1 code value (H.273's full-range chroma divides by
255, libplacebo's by 254; rounding). COLOUR_TOL = 2 leaves one for other GPUs' rounding."""

import glob
import os
import statistics

import colours
import skytest
from skytest import check
from skywindow import Player, XServer, display_env, near, picture_rect, wait_shown

COLOUR_TOL = 2
NEUTRAL_TOL = 2
PQ_TOL = 3
# A saturated primary: that channel at least this, the others at most PRIMARY_OTHERS_MAX.
PRIMARY_MIN = 200
PRIMARY_OTHERS_MAX = 8

# driver -> (options, environment, what the log's renderer line says)
DRIVERS = {
    "sdl": (["--renderer", "sdl"], {}, "renderer sdl ("),
    "vulkan": (["--renderer", "placebo", "--gpu-api", "vulkan"], {}, "renderer placebo (vulkan on "),
    "opengl": (["--renderer", "placebo", "--gpu-api", "opengl"], {}, "renderer placebo (opengl on "),
    "auto": ([], {}, "renderer "),
}
ICD_DIRS = ("/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d")


def renderer_line(r):
    lines = [l for l in r.err.splitlines() if "[render] info: window " in l]
    check(lines, "no renderer line in the log", r)
    return lines[0]


def check_driver(driver, r):
    line = renderer_line(r)
    want = DRIVERS[driver][2]
    if driver == "vulkan" and "renderer placebo (opengl on " in line and \
            not any(glob.glob(os.path.join(d, "*.json")) for d in ICD_DIRS):
        skytest.skip("no Vulkan driver installed (mesa-vulkan-drivers has lavapipe)")
    check(want in line, "expected the log to say %r: %s" % (want, line), r)
    return line


def play(ctx, driver, sample, win, check_image, label):
    """Plays sample in a win = (w, h) window with the driver until check_image passes on a
    screenshot; then SIGTERM must end it cleanly. Returns the renderer line of the log."""
    args, env, _ = DRIVERS[driver]
    with XServer(ctx.tmp) as x:
        p = Player(ctx, x.display, sample, win[0], win[1], args=args, env=env)
        try:
            p.wait_presented()
            wait_shown(ctx, p, x.display, label, check_image)
            r = p.terminate()
        finally:
            p.close()
    return check_driver(driver, r)


def centre(img, x, y):
    """The median colour of the 5x5 pixels around x, y."""
    pxs = [img.pixel(x + dx, y + dy) for dy in range(-2, 3) for dx in range(-2, 3)]
    return tuple(int(statistics.median(p[k] for p in pxs)) for k in range(3))


def full_picture(img, label):
    """The window shows the picture over its whole area (a window the video's size)."""
    check((img.width, img.height) == (colours.W, colours.H), "%s: the window is %dx%d, not %dx%d"
          % (label, img.width, img.height, colours.W, colours.H))


def check_patches(img, want, grid, tol, label):
    full_picture(img, label)
    bad = []
    worst = 0
    for i, ((x, y), exp) in enumerate(zip(colours.patch_centres(grid), want)):
        got = centre(img, x, y)
        worst = max([worst] + [abs(a - b) for a, b in zip(got, exp)])
        if not near(got, exp, tol):
            bad.append("  patch %d at (%d,%d): %s, expected %s" % (i, x, y, got, exp))
    check(not bad, "%s: patches differ by more than %d:\n%s" % (label, tol, "\n".join(bad)))
    return worst


# ---- SDR colour bars ----

def bars(ctx, clip, driver, convert_primaries=True):
    sig = colours.COLOUR_CLIPS[clip]
    want = [sig.shown(c, convert_primaries) for c in colours.bars_codes(sig)]
    label = "%s %s" % (clip, driver)
    worst = []

    def shows(img):
        worst.append(check_patches(img, want, colours.BARS_GRID, COLOUR_TOL, label))
    line = play(ctx, driver, "colour_%s.mkv" % clip, (colours.W, colours.H), shows, label)
    print("%s: largest difference %d code values (%s)" % (label, worst[-1], line.strip()))
    return line


def bars_case(clip, driver, **kw):
    def case(ctx):
        bars(ctx, clip, driver, **kw)
    case.__name__ = "%s_%s" % (clip, driver)
    return case


def bt709_tv_auto(ctx):
    line = bars(ctx, "bt709_tv", "auto")
    if "a software rasterizer" in line:
        check("renderer sdl (" in line, "auto should pick sdl for 8-bit 4:2:0 SDR on a software "
              "rasterizer: %s" % line)


# ---- HDR ----

def check_pq(img, label):
    full_picture(img, label)
    lo, hi = colours.PQ_MASTER
    bad = []
    for (x, y), (name, rgb, kind) in zip(colours.patch_centres(colours.PQ_GRID),
                                         colours.PQ_PATCHES):
        got = centre(img, x, y)
        if kind == "grey":
            want = colours.pq_grey_shown(rgb[0], lo, hi)
            if max(got) - min(got) > NEUTRAL_TOL:
                bad.append("  %s: %s is not neutral" % (name, got))
            if not near(got, (want,) * 3, PQ_TOL):
                bad.append("  %s: %s, expected %d +- %d" % (name, got, want, PQ_TOL))
        else:
            k = {"red": 0, "green": 1}[kind]
            others = [c for i, c in enumerate(got) if i != k]
            if got[k] < PRIMARY_MIN or max(others) > PRIMARY_OTHERS_MAX:
                bad.append("  %s: %s is not a saturated %s" % (name, got, kind))
    check(not bad, "%s: the tone-mapped picture is wrong:\n%s" % (label, "\n".join(bad)))


def pq_case(driver):
    def case(ctx):
        label = "pq " + driver
        line = play(ctx, driver, "hdr_pq.mkv", (colours.W, colours.H),
                    lambda img: check_pq(img, label), label)
        check("renderer placebo (" in line, "expected placebo for HDR: %s" % line)
    case.__name__ = "pq_" + driver
    return case


def pq_sdl_refused(ctx):
    with XServer(ctx.tmp) as x:
        stats = ctx.path("stats.jsonl")
        env = ctx.env(display_env(ctx, x.display), drop=("WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))
        r = ctx.skylight_run(["play", "--renderer", "sdl", "--stats-json", stats,
                              ctx.sample("hdr_pq.mkv")], env=env, expect_rc=1)
    errs = [l for l in r.err.splitlines() if "error:" in l and "cannot tone-map" in l]
    check(errs, "the error should say that sdl cannot tone-map", r)
    check("--renderer placebo" in errs[0], "the error should name the renderer that can", r)
    presented = []
    if os.path.exists(stats):
        with open(stats) as f:
            presented = [o for o in skytest.parse_json_lines(f.read())
                         if o["type"] == "frame" and o["fate"] == "presented"]
    check(not presented, "%d HDR pictures were shown by sdl" % len(presented), r)


# ---- 4:4:4 ----

def check_chroma(img, bits, label):
    win_w = colours.W + 160
    check((img.width, img.height) == (win_w, colours.H), "%s: the window is %dx%d, not %dx%d"
          % (label, img.width, img.height, win_w, colours.H))
    want_rect = (80, 0, colours.W, colours.H)
    got = picture_rect(img)
    check(got == want_rect, "%s: picture at %s, expected %s (drawn 1:1)" % (label, got, want_rect))
    sig = colours.Signal("bt709", False, bits)
    s = 1 << (bits - 8)
    shown = {c: sig.shown(tuple(v * s for v in c)) for c in (colours.CHROMA_A, colours.CHROMA_B)}
    a, b = shown.values()
    check(max(abs(i - j) for i, j in zip(a, b)) > 60, "test set-up: colours too alike")
    bad = []
    x0 = want_rect[0]
    samples = ([(x, y) for y in (45, 90, 135) for x in range(colours.W)] +
               [(x, y) for x in (160, 320, 480) for y in range(colours.H // 2, colours.H)])
    for x, y in samples:
        want = shown[colours.chroma_colour(x, y)]
        got = img.pixel(x0 + x, y)
        if not near(got, want, COLOUR_TOL) and len(bad) < 10:
            bad.append("  picture (%d,%d): %s, expected %s" % (x, y, got, want))
    check(not bad, "%s: single-pixel chroma is lost:\n%s" % (label, "\n".join(bad)))


def chroma_case(clip, bits, driver):
    def case(ctx):
        label = "%s %s" % (clip, driver)
        play(ctx, driver, clip + ".mkv", (colours.W + 160, colours.H),
             lambda img: check_chroma(img, bits, label), label)
    case.__name__ = "%s_%s" % (clip, driver)
    return case


THREE = ("sdl", "vulkan", "opengl")
CASES = ([bars_case("bt709_tv", d) for d in THREE] +
         [bars_case("bt709_pc", d) for d in THREE] +
         [bars_case("bt601", "sdl", convert_primaries=False)] +
         [bars_case("bt601", d) for d in ("vulkan", "opengl")] +
         [bars_case("bt2020", d) for d in ("vulkan", "opengl")] +
         [bt709_tv_auto] +
         [pq_case(d) for d in ("vulkan", "opengl", "auto")] + [pq_sdl_refused] +
         [chroma_case("yuv444", 8, d) for d in THREE] +
         [chroma_case("yuv444_10", 10, d) for d in THREE])

if __name__ == "__main__":
    skytest.main(CASES)

"""Colour patches of the render tests: the code values a clip carries (gen_samples.py makes the
clips from them, losslessly, so the decoder returns exactly these values) and the RGB a correct
renderer shows for them on an SDR window (test_render.py checks screenshots against it). The
expected colours are computed here from the standards, never measured.

YUV to R'G'B' (ITU-T H.273 section 8.3, the equations BT.709 and BT.601 define), for n-bit code
values Y, Cb, Cr and the matrix's Kr, Kb (Kg = 1 - Kr - Kb):
    limited range: Y' = (Y / 2^(n-8) - 16) / 219      C = (C / 2^(n-8) - 128) / 224
    full range:    Y' = Y / (2^n - 1)                 C = (C - 2^(n-1)) / (2^n - 1)
    R' = Y' + 2 (1 - Kr) Cr    B' = Y' + 2 (1 - Kb) Cb    G' = (Y' - Kr R' - Kb B') / Kg
and the window's 8-bit value is round(255 * clamp(V, 0, 1)).

Pictures with other primaries than the display's (BT.709) are converted in linear light, as a
colour-managed renderer does: the display is BT.1886 with a 1000:1 contrast (Lw = 1, Lb = 0.001,
what libplacebo assumes of an SDR display it knows nothing of), the RGB-to-RGB matrix comes from
the primaries' and D65's chromaticities, and what falls outside BT.709 is clipped.

HDR (PQ, ITU-R BT.2100) is tone-mapped to the SDR window with the ITU-R BT.2390 EETF: the
mastering display's range (from the clip's metadata) onto the SDR display's (white 203 cd/m2,
the HDR reference white of ITU-R BT.2408, and 1000:1), then shown through BT.1886."""

import struct

# Kr, Kb of each matrix.
MATRICES = {"bt709": (0.2126, 0.0722), "bt601": (0.299, 0.114), "bt2020": (0.2627, 0.0593)}
# Red, green, blue chromaticities (x, y).
PRIMARIES = {
    "bt709": ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060)),
    "smpte170m": ((0.630, 0.340), (0.310, 0.595), (0.155, 0.070)),
    "bt2020": ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)),
}
D65 = (0.3127, 0.3290)

SDR_WHITE_NITS = 203.0  # ITU-R BT.2408 HDR reference white, shown as SDR white
SDR_CONTRAST = 1000.0


class Signal:
    """How a clip's samples are to be read: matrix, range, bit depth, primaries."""

    def __init__(self, matrix, full, bits, primaries="bt709"):
        self.matrix, self.full, self.bits, self.primaries = matrix, full, bits, primaries

    def encode(self, rgb):
        """R'G'B' in 0..1 -> (Y, Cb, Cr) code values (what the clip carries)."""
        kr, kb = MATRICES[self.matrix]
        r, g, b = rgb
        y = kr * r + (1 - kr - kb) * g + kb * b
        cb, cr = (b - y) / (2 * (1 - kb)), (r - y) / (2 * (1 - kr))
        top = (1 << self.bits) - 1
        if self.full:
            mid = 1 << (self.bits - 1)
            codes = (y * top, cb * top + mid, cr * top + mid)
        else:
            s = 1 << (self.bits - 8)
            codes = ((16 + 219 * y) * s, (128 + 224 * cb) * s, (128 + 224 * cr) * s)
        return tuple(min(max(round(c), 0), top) for c in codes)

    def decode(self, yuv):
        """(Y, Cb, Cr) code values -> R'G'B' (H.273, unclipped)."""
        kr, kb = MATRICES[self.matrix]
        if self.full:
            m = (1 << self.bits) - 1
            mid = 1 << (self.bits - 1)
            y, cb, cr = yuv[0] / m, (yuv[1] - mid) / m, (yuv[2] - mid) / m
        else:
            s = 1 << (self.bits - 8)
            y, cb, cr = (yuv[0] / s - 16) / 219, (yuv[1] / s - 128) / 224, (yuv[2] / s - 128) / 224
        r = y + 2 * (1 - kr) * cr
        b = y + 2 * (1 - kb) * cb
        return (r, (y - kr * r - kb * b) / (1 - kr - kb), b)

    def shown(self, yuv, convert_primaries=True):
        """The 8-bit RGB an SDR BT.709 window shows for these code values."""
        rgb = self.decode(yuv)
        if convert_primaries and self.primaries != "bt709":
            m = rgb_to_rgb(self.primaries, "bt709")
            lin = apply(m, [bt1886_eotf(c) for c in rgb])
            rgb = [bt1886_inverse(min(max(c, 0.0), 1.0)) for c in lin]
        return to_8bit(rgb)


def to_8bit(rgb):
    return tuple(round(255 * min(max(c, 0.0), 1.0)) for c in rgb)


# ---- BT.1886 (Lw = 1, Lb = 1 / SDR_CONTRAST), relative to white ----

def _bt1886_ab():
    lb = (1 / SDR_CONTRAST) ** (1 / 2.4)
    return (1 - lb) ** 2.4, lb / (1 - lb)


def bt1886_eotf(v):
    a, b = _bt1886_ab()
    return a * max(v + b, 0.0) ** 2.4


def bt1886_inverse(light):
    a, b = _bt1886_ab()
    return (max(light, 0.0) / a) ** (1 / 2.4) - b


# ---- primaries ----

def _solve(m, v):
    """m^-1 v for a 3x3 m (Gauss-Jordan with pivoting)."""
    a = [list(row) + [v[i]] for i, row in enumerate(m)]
    for c in range(3):
        p = max(range(c, 3), key=lambda r: abs(a[r][c]))
        a[c], a[p] = a[p], a[c]
        for r in range(3):
            if r != c:
                f = a[r][c] / a[c][c]
                a[r] = [x - f * y for x, y in zip(a[r], a[c])]
    return [a[i][3] / a[i][i] for i in range(3)]


def apply(m, v):
    return [sum(m[i][k] * v[k] for k in range(3)) for i in range(3)]


def rgb_to_xyz(primaries):
    def xyz(x, y):
        return (x / y, 1.0, (1 - x - y) / y)
    cols = [xyz(*p) for p in PRIMARIES[primaries]]
    m = [[cols[j][i] for j in range(3)] for i in range(3)]
    s = _solve(m, xyz(*D65))
    return [[m[i][j] * s[j] for j in range(3)] for i in range(3)]


def rgb_to_rgb(src, dst):
    """The linear-light matrix from src primaries to dst primaries (same white)."""
    to_xyz = rgb_to_xyz(src)
    from_xyz_cols = [_solve(rgb_to_xyz(dst), [to_xyz[i][j] for i in range(3)]) for j in range(3)]
    return [[from_xyz_cols[j][i] for j in range(3)] for i in range(3)]


# ---- PQ (SMPTE ST 2084) and the BT.2390 EETF ----

_M1, _M2 = 2610 / 16384, 2523 / 4096 * 128
_C1, _C2, _C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32


def pq_encode(nits):
    y = max(nits, 0.0) / 10000
    return ((_C1 + _C2 * y ** _M1) / (1 + _C3 * y ** _M1)) ** _M2


def pq_decode(e):
    e = max(e, 0.0) ** (1 / _M2)
    return 10000 * (max(e - _C1, 0.0) / (_C2 - _C3 * e)) ** (1 / _M1)


def bt2390_eetf(nits, src_min, src_max, dst_min, dst_max):
    """ITU-R BT.2390 (section 5.4) display mapping of a luminance: a Hermite spline above the
    knee KS = 1.5 maxLum - 0.5 in the PQ domain, then the black level lift b (1 - E)^4."""
    lo, hi = pq_encode(src_min), pq_encode(src_max)
    e = (pq_encode(nits) - lo) / (hi - lo)
    min_lum = (pq_encode(dst_min) - lo) / (hi - lo)
    max_lum = (pq_encode(dst_max) - lo) / (hi - lo)
    ks = 1.5 * max_lum - 0.5
    if e >= ks:
        t = (e - ks) / (1 - ks)
        e = ((2 * t ** 3 - 3 * t ** 2 + 1) * ks + (t ** 3 - 2 * t ** 2 + t) * (1 - ks) +
             (-2 * t ** 3 + 3 * t ** 2) * max_lum)
    e += min_lum * (1 - e) ** 4
    return pq_decode(e * (hi - lo) + lo)


def pq_grey_shown(nits, master_min, master_max):
    """The 8-bit value an SDR window shows for a PQ grey of this luminance."""
    out = bt2390_eetf(nits, master_min, master_max, SDR_WHITE_NITS / SDR_CONTRAST, SDR_WHITE_NITS)
    return to_8bit([bt1886_inverse(out / SDR_WHITE_NITS)])[0]


def pq_encode_rgb(signal, rgb_nits):
    """Linear RGB in cd/m2 (in the signal's primaries) -> PQ code values."""
    return signal.encode([pq_encode(c) for c in rgb_nits])


# ---- the clips' pictures ----

W, H = 640, 360

# 75% colour bars, greys and a few more, as R'G'B' in the clip's own primaries: 4 x 3 patches.
BARS = [
    (0.75, 0.75, 0.75), (0.75, 0.75, 0), (0, 0.75, 0.75), (0, 0.75, 0),
    (0.75, 0, 0.75), (0.75, 0, 0), (0, 0, 0.75), (0.5, 0.5, 0.5),
    (1, 1, 1), (0, 0, 0), (1, 0, 0), (0.25, 0.5, 0.75),
]
BARS_GRID = (4, 3)

# The HDR clip: PQ, BT.2020, mastered on a 1000 cd/m2 display (0.005 black).
PQ_MASTER = (0.005, 1000.0)
PQ_SIGNAL = Signal("bt2020", False, 10, "bt2020")
_RED709_IN_2020 = apply(rgb_to_rgb("bt709", "bt2020"), [1.0, 0.0, 0.0])
W_REF = SDR_WHITE_NITS
# (name, linear BT.2020 RGB in cd/m2, what it must look like): "grey" patches are checked against
# pq_grey_shown; "red"/"green" ones must show that channel alone.
PQ_PATCHES = [
    ("reference white", (W_REF,) * 3, "grey"),
    ("mid-grey (18%)", (0.18 * W_REF,) * 3, "grey"),
    ("shadow grey (2%)", (0.02 * W_REF,) * 3, "grey"),
    ("black", (0.0,) * 3, "grey"),
    ("1000 cd/m2 highlight", (1000.0,) * 3, "grey"),
    ("BT.709 red at reference white", tuple(W_REF * c for c in _RED709_IN_2020), "red"),
    ("BT.2020 green", (0.0, W_REF, 0.0), "green"),
    ("BT.2020 red", (W_REF, 0.0, 0.0), "red"),
]
PQ_GRID = (4, 2)

# The 4:4:4 clips: two colours of equal luma (BT.709, limited range) alternating in single-pixel
# columns over the top half and in single-pixel rows over the bottom half. With any chroma
# subsampling they would blend into grey.
CHROMA_A = (126, 100, 170)  # 8-bit Y, Cb, Cr: an orange
CHROMA_B = (126, 156, 86)   # a light blue


def chroma_colour(x, y):
    """CHROMA_A or CHROMA_B at picture position x, y."""
    n = x if y < H // 2 else y
    return CHROMA_A if n % 2 == 0 else CHROMA_B


def patch_grid_frame(codes, grid, bits, chroma_shift, size=(W, H)):
    """A planar frame (Y, Cb, Cr; 8-bit samples or 16-bit little-endian ones) of patches in a
    cols x rows grid, chroma subsampled by 2^chroma_shift both ways."""
    cols, rows = grid
    w, h = size
    pw, ph = w // cols, h // rows
    cw, ch = w >> chroma_shift, h >> chroma_shift

    def at(x, y):
        return codes[min(y // ph, rows - 1) * cols + min(x // pw, cols - 1)]

    planes = [[at(x, y)[0] for y in range(h) for x in range(w)]]
    for k in (1, 2):
        planes.append([at(x << chroma_shift, y << chroma_shift)[k]
                       for y in range(ch) for x in range(cw)])
    return pack(planes, bits)


def chroma_frame(bits):
    s = 1 << (bits - 8)
    planes = [[chroma_colour(x, y)[k] * s for y in range(H) for x in range(W)] for k in range(3)]
    return pack(planes, bits)


def pack(planes, bits):
    if bits == 8:
        return b"".join(bytes(p) for p in planes)
    return b"".join(struct.pack("<%dH" % len(p), *p) for p in planes)


def patch_centres(grid, size=(W, H)):
    """Each patch's centre in the picture, in patch order."""
    cols, rows = grid
    pw, ph = size[0] // cols, size[1] // rows
    return [(c * pw + pw // 2, r * ph + ph // 2) for r in range(rows) for c in range(cols)]


# Clips: name -> (signal, what to draw). gen_samples.py makes them, test_render.py checks them.
def bars_codes(signal):
    return [signal.encode(c) for c in BARS]


COLOUR_CLIPS = {
    "bt709_tv": Signal("bt709", False, 8),
    "bt709_pc": Signal("bt709", True, 8),
    "bt601": Signal("bt601", False, 8, "smpte170m"),
    "bt2020": Signal("bt2020", False, 10, "bt2020"),
}


# A stream that changes as it goes (test_render_changes.py): each part differs from the one
# before it in picture size, bit depth, range or colour space (HEVC Annex B, the colour
# description in each part's SPS VUI). Part i shows BARS rotated by i patches, so a screenshot
# tells which part it shows, and a part drawn with the previous part's conversion matches none.
# name -> (signal, picture size)
CHANGE_PARTS = {
    "bt709_tv_8": (Signal("bt709", False, 8), (W, H)),
    "bt709_tv_10": (Signal("bt709", False, 10), (W, H)),            # 8 -> 10 bit
    "bt601_tv_8": (Signal("bt601", False, 8, "smpte170m"), (W, H)),  # colour space, 8-bit
    "bt709_pc_8": (Signal("bt709", True, 8), (480, H)),             # range, size (4:3)
    "bt2020_tv_10": (Signal("bt2020", False, 10, "bt2020"), (W, H)),
}


def change_bars(name):
    """The R'G'B' patches part `name` of the changing stream shows."""
    i = list(CHANGE_PARTS).index(name)
    return BARS[i:] + BARS[:i]


def pq_codes():
    return [pq_encode_rgb(PQ_SIGNAL, rgb) for _, rgb, _ in PQ_PATCHES]


def frame(name):
    """The raw frame of a clip (gen_samples.py's "raw" recipes name them)."""
    if name in COLOUR_CLIPS:
        sig = COLOUR_CLIPS[name]
        return patch_grid_frame(bars_codes(sig), BARS_GRID, sig.bits, 1)
    if name in CHANGE_PARTS:
        sig, size = CHANGE_PARTS[name]
        codes = [sig.encode(c) for c in change_bars(name)]
        return patch_grid_frame(codes, BARS_GRID, sig.bits, 1, size)
    if name == "pq":
        return patch_grid_frame(pq_codes(), PQ_GRID, 10, 1)
    if name == "yuv444":
        return chroma_frame(8)
    if name == "yuv444_10":
        return chroma_frame(10)
    raise ValueError(name)

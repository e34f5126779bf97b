"""Shared helpers of the integration tests (python3, stdlib only).

Every test script is run by ctest as

    python3 test_X.py SKYLIGHT SAMPLES_DIR [CASE ...]

where SKYLIGHT is the binary under test and SAMPLES_DIR holds the clips gen_samples.py made
(the ctest fixture "samples"). A script lists its cases with skytest.main(); naming cases on
the command line runs only those, so one script can be registered as several ctest tests.

Failures print the command, its exit status and the tail of its output. A run whose output
holds a sanitizer report fails whatever else it did.

By hand, from the repository root after a build (ctest runs the fixture first):
    (cd build && ctest -L integration)
    python3 tests/integration/test_bitexact.py build/client/skylight \
        build/tests/integration/samples h264_mkv
"""

import hashlib
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77  # ctest SKIP_RETURN_CODE

# Per-run limits: generous, for sanitizer builds on 2 busy cores. A run that reaches one is
# reported as a hang.
RUN_TIMEOUT_S = 90
FFMPEG_TIMEOUT_S = 120

SANITIZER_MARKS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "WARNING: ThreadSanitizer",
    "ThreadSanitizer: reported",
    "runtime error:",  # UBSan
    "UndefinedBehaviorSanitizer",
)


class Failure(Exception):
    pass


class Skipped(Exception):
    pass


def skip(why):
    raise Skipped(why)


class Result:
    """What a finished (or killed) process left."""

    def __init__(self, cmd, rc, out, err, elapsed_s, timed_out=False):
        self.cmd = cmd
        self.rc = rc
        self.out = out
        self.err = err
        self.elapsed_s = elapsed_s
        self.timed_out = timed_out

    def describe(self, tail_lines=25):
        def tail(text):
            lines = text.rstrip("\n").splitlines()
            if len(lines) > tail_lines:
                lines = ["  [... %d lines ...]" % (len(lines) - tail_lines)] + lines[-tail_lines:]
            return "\n".join("    " + l for l in lines) if lines else "    (empty)"

        status = "timed out (killed)" if self.timed_out else "exit status %s" % self.rc
        return ("  command: %s\n  %s after %.2f s\n  stdout tail:\n%s\n  stderr tail:\n%s"
                % (" ".join(shlex.quote(c) for c in self.cmd), status, self.elapsed_s,
                   tail(self.out), tail(self.err)))


def fail(msg, result=None):
    if result is not None:
        msg += "\n" + result.describe()
    raise Failure(msg)


def check(cond, msg, result=None):
    if not cond:
        fail(msg, result)


def sanitizer_report(result):
    """The first line of a sanitizer report in the run's output, or None."""
    for text in (result.err, result.out):
        for line in text.splitlines():
            if any(m in line for m in SANITIZER_MARKS):
                return line
    return None


def run(cmd, timeout_s=RUN_TIMEOUT_S, env=None, cwd=None, stdin=subprocess.DEVNULL):
    """Runs cmd to the end (killing it past timeout_s); never raises on a non-zero exit."""
    t0 = time.monotonic()
    try:
        p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env, cwd=cwd, start_new_session=True)
    except OSError as e:
        raise Failure("cannot run %s: %s" % (cmd[0], e))
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    return Result(cmd, p.returncode, out.decode("utf-8", "replace"),
                  err.decode("utf-8", "replace"), time.monotonic() - t0, timed_out)


_sanitizer_cache = {}


def sanitizer_of(binary):
    """'address' or 'thread' when binary was built with that sanitizer, else None."""
    if binary not in _sanitizer_cache:
        with open(binary, "rb") as f:
            data = f.read()
        _sanitizer_cache[binary] = ("thread" if b"__tsan_init" in data else
                                    "address" if b"__asan_init" in data else None)
    return _sanitizer_cache[binary]


def test_env(extra=None, drop=()):
    """The environment for skylight: ours, less `drop`, plus `extra`."""
    env = dict(os.environ)
    for k in drop:
        env.pop(k, None)
    env.setdefault("SDL_AUDIODRIVER", "dummy")
    if extra:
        env.update(extra)
    return env


class Ctx:
    """What a test case gets: the binary, the samples, a private temp dir."""

    def __init__(self, skylight, samples, tmp):
        self.skylight = skylight
        self.samples = samples
        self.tmp = tmp

    def env(self, extra=None, drop=()):
        """test_env() with an empty config directory, so the user's own skylight.conf never
        changes a test's outcome, and a cache directory of the test's own."""
        xdg = os.path.join(self.tmp, "xdg-empty")
        os.makedirs(xdg, exist_ok=True)
        e = {"XDG_CONFIG_HOME": xdg, "XDG_CACHE_HOME": os.path.join(self.tmp, "cache")}
        e.update(extra or {})
        return test_env(e, drop)

    def sample(self, name):
        path = os.path.join(self.samples, name)
        check(os.path.exists(path), "sample %s is missing (did the 'samples' fixture run?)" % path)
        return path

    def path(self, name):
        return os.path.join(self.tmp, name)

    def skylight_run(self, args, timeout_s=RUN_TIMEOUT_S, env=None, expect_rc=None,
                     stdin=subprocess.DEVNULL):
        """Runs skylight with args; always fails on a hang or a sanitizer report, and on an exit
        status outside expect_rc (an int or a collection) when one is given."""
        r = run([self.skylight] + list(args), timeout_s=timeout_s,
                env=env if env is not None else self.env(), cwd=self.tmp, stdin=stdin)
        check(not r.timed_out, "skylight did not finish within %d s" % timeout_s, r)
        rep = sanitizer_report(r)
        check(rep is None, "sanitizer report: %s" % rep, r)
        check(r.rc is not None and r.rc >= 0, "skylight died from signal %s" % -r.rc, r)
        if expect_rc is not None:
            ok = r.rc in expect_rc if isinstance(expect_rc, (list, tuple, set)) else r.rc == expect_rc
            check(ok, "expected exit status %s" % (expect_rc,), r)
        return r


# ---------------------------------------------------------------------------------------------
# framemd5

def parse_framemd5(text):
    """Frames of a framemd5 listing as (stream, dts, pts, duration, size, hash) tuples."""
    frames = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        cols = [c.strip() for c in line.split(",")]
        if len(cols) != 6:
            raise Failure("malformed framemd5 line: %r" % line)
        frames.append(tuple(cols))
    return frames


def framemd5_dims(text):
    """The '#dimensions 0: WxH' lines, in order."""
    return re.findall(r"^#dimensions 0: (\d+x\d+)", text, re.M)


def ffmpeg_framemd5(path, input_opts=(), output_opts=()):
    """(frames, result) of `ffmpeg [input_opts] -i path -map 0:v:0 -autoscale 0 [output_opts]
    -f framemd5 -` (only the video: ffmpeg would hash the audio too). output_opts
    ("-fps_mode", "passthrough"): every decoded picture, even where timestamps crowd (ffmpeg
    otherwise drops frames to keep the frame rate)."""
    cmd = (["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error"] + list(input_opts) +
           ["-i", path, "-map", "0:v:0", "-autoscale", "0"] + list(output_opts) +
           ["-f", "framemd5", "-"])
    r = run(cmd, timeout_s=FFMPEG_TIMEOUT_S)
    # ffmpeg exits non-zero on some damaged inputs after writing every frame it could decode.
    check(not r.timed_out, "ffmpeg did not finish", r)
    return parse_framemd5(r.out), r


def compare_md5(ours, ref, r_ours=None, r_ref=None):
    """Fails unless the hash columns and the frame counts are the same."""
    if len(ours) != len(ref) or any(a[5] != b[5] for a, b in zip(ours, ref)):
        lines = ["frame MD5s differ from ffmpeg's: skylight %d frames, ffmpeg %d"
                 % (len(ours), len(ref))]
        shown = 0
        for i in range(max(len(ours), len(ref))):
            a = ours[i][5] if i < len(ours) else "-"
            b = ref[i][5] if i < len(ref) else "-"
            if a != b and shown < 8:
                lines.append("  frame %d: skylight %s ffmpeg %s" % (i, a, b))
                shown += 1
        msg = "\n".join(lines)
        if r_ref is not None:
            msg += "\n  reference:\n" + r_ref.describe(tail_lines=5)
        fail(msg, r_ours)


# ---------------------------------------------------------------------------------------------
# --stats-json

def parse_json_lines(text, what="stats"):
    """Parses JSON lines, failing on any line that is not a JSON object."""
    objs = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            o = json.loads(line)
        except ValueError as e:
            fail("%s line %d is not valid JSON (%s): %r" % (what, n, e, line[:200]))
        check(isinstance(o, dict), "%s line %d is not an object: %r" % (what, n, line[:200]))
        objs.append(o)
    return objs


SUMMARY_RE = re.compile(r"^summary: (\d+) frames in [0-9.]+ s: (\d+) presented, (\d+) dropped"
                        r".*; decoder (\S+)$", re.M)


def summary(result, stream="out"):
    """(frames, presented, dropped, decoder) of the run's summary line, or fails."""
    text = result.out if stream == "out" else result.err
    m = SUMMARY_RE.search(text)
    check(m is not None, "no summary line on std%s" % stream, result)
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)


# ---------------------------------------------------------------------------------------------
# Samples: made with the ffmpeg CLI into SAMPLES_DIR, idempotently.

def write_atomic(path, data):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def ffmpeg_make(path, args):
    """Runs `ffmpeg ARGS TMP` and renames TMP to path (same extension, so the muxer is chosen
    from it)."""
    ext = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=ext)
    os.close(fd)
    try:
        cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"] + args + [tmp]
        r = run(cmd, timeout_s=FFMPEG_TIMEOUT_S)
        check(r.rc == 0 and not r.timed_out and os.path.getsize(tmp) > 0,
              "making sample %s failed" % os.path.basename(path), r)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def recipe_key(recipe):
    return hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def up_to_date(path, recipe):
    """True when path exists and was made by this recipe (a stamp next to it says so)."""
    stamp = path + ".recipe"
    if not os.path.exists(path) or not os.path.exists(stamp):
        return False
    with open(stamp) as f:
        return f.read().strip() == recipe_key(recipe)


def stamp(path, recipe):
    write_atomic(path + ".recipe", (recipe_key(recipe) + "\n").encode())


def annexb_nal_starts(data):
    """Offsets of the first byte after each 00 00 01 start code."""
    starts = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        starts.append(i + 3)
        i = data.find(b"\x00\x00\x01", i + 3)
    return starts


def rng_bytes(seed, n):
    return random.Random(seed).randbytes(n)


# ---------------------------------------------------------------------------------------------
# Running a script's cases

# Called after every case, whatever happened in it: each returns a sentence when the case left
# something behind (a process still running), which fails a case that had passed.
AFTER_CASE = []


def _left_behind():
    return [what for check_one in AFTER_CASE for what in [check_one()] if what]


def main(cases):
    """cases: list of functions taking a Ctx. argv: SKYLIGHT SAMPLES_DIR [CASE ...]."""
    if len(sys.argv) < 3:
        sys.stderr.write("usage: %s SKYLIGHT SAMPLES_DIR [CASE ...]\n" % sys.argv[0])
        sys.exit(2)
    skylight = os.path.abspath(sys.argv[1])
    samples = os.path.abspath(sys.argv[2])
    wanted = sys.argv[3:]
    by_name = {c.__name__: c for c in cases}
    for w in wanted:
        if w not in by_name:
            sys.stderr.write("unknown case %s; cases: %s\n" % (w, " ".join(by_name)))
            sys.exit(2)
    selected = [by_name[w] for w in wanted] if wanted else cases
    failed = skipped = 0
    for case in selected:
        tmp = tempfile.mkdtemp(prefix="skytest-")
        t0 = time.monotonic()
        try:
            try:
                case(Ctx(skylight, samples, tmp))
            finally:
                left = _left_behind()
            check(not left, "the case left behind: %s" % "; ".join(left))
            print("PASS %s (%.1f s)" % (case.__name__, time.monotonic() - t0), flush=True)
        except Skipped as e:
            skipped += 1
            print("SKIP %s: %s" % (case.__name__, e), flush=True)
        except Failure as e:
            failed += 1
            print("FAIL %s:\n%s" % (case.__name__, e), flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        sys.exit(1)
    if skipped == len(selected):
        sys.exit(SKIP)
    sys.exit(0)


# ---------------------------------------------------------------------------------------------
# Screenshots: xwd files

class Image:
    """An RGB picture: width, height and a pixel(x, y) -> (r, g, b) accessor."""

    def __init__(self, width, height, rows):
        self.width = width
        self.height = height
        self.rows = rows  # rows[y] is a list of (r, g, b)

    def pixel(self, x, y):
        return self.rows[y][x]

    def write_png(self, path):
        """For looking at a failure."""
        import struct
        import zlib

        raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in self.rows)

        def chunk(tag, data):
            c = tag + data
            return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xffffffff)

        png = (b"\x89PNG\r\n\x1a\n" +
               chunk(b"IHDR", struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)) +
               chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
        write_atomic(path, png)


def parse_xwd(data):
    """Decodes an xwd dump of a TrueColor/DirectColor ZPixmap (what X servers at depth 24 give).
    The header's CARD32 fields are big-endian; the pixels follow the header's byte order and
    masks, which are checked rather than assumed."""
    import struct

    check(len(data) >= 100, "xwd file too short (%d bytes)" % len(data))
    f = struct.unpack(">25I", data[:100])
    (header_size, version, pixmap_format, depth, width, height, _xoff, byte_order, _bunit,
     _bbo, _bpad, bpp, bytes_per_line, visual_class, red_mask, green_mask, blue_mask,
     _bits_rgb, _cmap_entries, ncolors) = f[:20]
    check(version == 7, "xwd version %d, expected 7" % version)
    check(pixmap_format == 2, "xwd pixmap format %d, expected ZPixmap (2)" % pixmap_format)
    check(visual_class in (4, 5), "xwd visual class %d is not TrueColor/DirectColor" % visual_class)
    check(bpp in (24, 32) and depth >= 24, "xwd depth %d / %d bits per pixel unsupported"
          % (depth, bpp))
    check(width > 0 and height > 0 and bytes_per_line >= width * bpp // 8, "bad xwd geometry")
    start = header_size + ncolors * 12
    check(len(data) >= start + bytes_per_line * height, "xwd pixel data truncated")

    def shift_of(mask):
        check(mask != 0, "zero colour mask in xwd header")
        s = 0
        while not (mask >> s) & 1:
            s += 1
        return s, mask >> s

    channels = [shift_of(m) for m in (red_mask, green_mask, blue_mask)]
    step = bpp // 8
    endian = "big" if byte_order == 1 else "little"
    rows = []
    for y in range(height):
        base = start + y * bytes_per_line
        line = data[base:base + width * step]
        row = []
        for x in range(0, width * step, step):
            v = int.from_bytes(line[x:x + step], endian)
            row.append(tuple(((v >> s) & m) * 255 // m for s, m in channels))
        rows.append(row)
    return Image(width, height, rows)

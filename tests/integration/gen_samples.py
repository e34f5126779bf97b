"""Makes the integration tests' clips with the ffmpeg CLI (the ctest fixture "samples").

Usage: python3 gen_samples.py SAMPLES_DIR

Idempotent: a clip whose stamp (NAME.recipe, a hash of how it is made) matches is kept; a
clip is written under a temporary name and renamed, so an interrupted run leaves no half
file. Clips are short and small so the suite stays fast under ASan and TSan on 2 cores.
"""

import hashlib
import os
import sys

import colours
import skytest

X264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]  # B-frames on
X265 = ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"]


def testsrc(w, h, fps, secs):
    return ["-f", "lavfi", "-i", "testsrc2=size=%dx%d:rate=%d:duration=%s" % (w, h, fps, secs)]


def pattern(w, h, fps, secs):
    """Four static quadrants: red, green / blue, white (full-intensity RGB)."""
    qw, qh = w // 2, h // 2
    src = "color=c=0x%s:s=" + "%dx%d:r=%d:d=%s" % (qw, qh, fps, secs)
    graph = ";".join([
        (src % "FF0000") + "[a]", (src % "00FF00") + "[b]",
        (src % "0000FF") + "[c]", (src % "FFFFFF") + "[d]",
        "[a][b]hstack[top]", "[c][d]hstack[bot]", "[top][bot]vstack[v]",
    ])
    return ["-filter_complex", graph, "-map", "[v]"]


def ff(*args):
    return {"kind": "ffmpeg", "args": [a for part in args for a in part]}


# Lossless, so the decoder returns exactly the code values of colours.py. (x264's faster presets
# spend ~380 KB on every P-frame of the 4:4:4 chroma columns; medium skips them.)
X264_LOSSLESS = ["-c:v", "libx264", "-preset", "medium", "-qp", "0"]


def x265_lossless(*params):
    return ["-c:v", "libx265", "-preset", "ultrafast",
            "-x265-params", ":".join(("log-level=error", "lossless=1") + params)]


def tags(matrix, primaries, trc, full=False):
    """The colour description, in the bitstream (H.264 and HEVC VUI) and the container."""
    return ["-color_range", "pc" if full else "tv", "-colorspace", matrix,
            "-color_primaries", primaries, "-color_trc", trc]


def raw(frame, pix_fmt, *args, fps=10, secs=180, size=None):
    """A clip of one raw picture (colours.frame(frame), in pix_fmt; colours.W x colours.H unless
    `size` says), repeated at `fps` for `secs`: by default 10 fps for 180 s, longer than any
    case of test_render.py waits."""
    r = {"kind": "raw", "frame": frame, "pix_fmt": pix_fmt, "fps": fps, "secs": secs,
         "args": [a for part in args for a in part]}
    if size:
        r["size"] = list(size)
    return r


# x265 and ffmpeg names of a colours.Signal's matrix, primaries and transfer.
X265_COLOUR = {"bt709": ("bt709", "bt709", "bt709"),
               "bt601": ("smpte170m", "smpte170m", "smpte170m"),
               "bt2020": ("bt2020nc", "bt2020", "bt2020-10")}


def change_part(name):
    """A part of the changing stream (colours.CHANGE_PARTS): 3 s of HEVC Annex B at 25 fps
    (the rate the raw demuxer assumes), its colour description in the SPS VUI."""
    sig, size = colours.CHANGE_PARTS[name]
    matrix, prim, trc = X265_COLOUR[sig.matrix]
    vui = ("colorprim=" + prim, "transfer=" + trc, "colormatrix=" + matrix,
           "range=" + ("full" if sig.full else "limited"))
    return raw(name, "yuv420p" if sig.bits == 8 else "yuv420p10le", x265_lossless(*vui),
               tags(matrix, prim, trc, full=sig.full), fps=25, secs=3, size=size)


# HDR10 as games send it: PQ, BT.2020, mastered on a 1000 cd/m2 display with 0.005 black
# (colours.PQ_MASTER), content light 1000 / 400.
PQ_X265 = x265_lossless(
    "colorprim=bt2020", "transfer=smpte2084", "colormatrix=bt2020nc", "range=limited", "hdr10=1",
    "master-display=G(8500,39850)B(6550,2300)R(35400,14600)WP(15635,16450)L(%d,%d)"
    % (colours.PQ_MASTER[1] * 10000, colours.PQ_MASTER[0] * 10000), "max-cll=1000,400")


# name -> recipe. Derived clips name their sources; their stamps include the sources' recipes.
SAMPLES = {
    # Bit-exactness.
    "h264.mkv": ff(testsrc(320, 240, 25, 1), X264, ["-g", "12"]),
    "h264.h264": ff(testsrc(320, 240, 25, 1), X264, ["-g", "12"]),
    "hevc.mkv": ff(testsrc(320, 240, 25, 1), X265, ["-g", "12"]),
    "av1.mkv": ff(testsrc(320, 240, 25, 1),
                  ["-c:v", "libaom-av1", "-usage", "realtime", "-cpu-used", "8", "-g", "12"]),
    "odd_1366x768.mkv": ff(testsrc(1366, 768, 10, 1), X264),
    "hevc10.mkv": ff(testsrc(320, 240, 25, 1), X265,
                     ["-pix_fmt", "yuv420p10le", "-profile:v", "main10"]),
    "h264_opus.mkv": ff(testsrc(320, 240, 25, 1),
                        ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1"],
                        X264, ["-c:a", "libopus", "-b:a", "32k", "-ac", "2"]),
    "part_360.h264": ff(testsrc(640, 360, 25, 0.4), X264),
    "part_720.h264": ff(testsrc(1280, 720, 25, 0.4), X264),
    "reschange.h264": {"kind": "concat", "parts": ["part_360.h264", "part_720.h264"]},
    "part_360.hevc": ff(testsrc(640, 360, 25, 0.4), X265),
    "part_720.hevc": ff(testsrc(1280, 720, 25, 0.4), X265),
    "reschange.hevc": {"kind": "concat", "parts": ["part_360.hevc", "part_720.hevc"]},
    "long_h264.mkv": ff(testsrc(320, 240, 25, 2), X264, ["-g", "12"]),
    "long_h264.h264": ff(testsrc(320, 240, 25, 2), X264, ["-g", "12"]),
    "truncated.mkv": {"kind": "truncate", "src": "long_h264.mkv", "fraction": 0.6},
    "truncated.h264": {"kind": "truncate_mid_nal", "src": "long_h264.h264", "fraction": 0.6},
    # Bad input.
    "notmedia.bin": {"kind": "random", "seed": 1, "size": 65536},
    "empty.mkv": {"kind": "empty"},
    "mpeg4.avi": ff(testsrc(160, 120, 25, 0.5), ["-c:v", "mpeg4"]),
    "vp9.webm": ff(testsrc(160, 120, 25, 0.5),
                   ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]),
    "audio_only.ogg": ff(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1"],
                         ["-c:a", "libopus", "-b:a", "32k"]),
    "corrupt.h264": {"kind": "corrupt", "src": "long_h264.h264", "fraction": 0.45,
                     "size": 3000, "seed": 2},
    "long_hevc.hevc": ff(testsrc(320, 240, 25, 2), X265, ["-g", "12"]),
    "corrupt.hevc": {"kind": "corrupt", "src": "long_hevc.hevc", "fraction": 0.45,
                     "size": 3000, "seed": 3},
    # Statistics and pacing.
    "paced_2s.mkv": ff(testsrc(160, 120, 25, 2), X264),
    "long_10s.mkv": ff(testsrc(160, 120, 10, 10), X264),
    # Window tests: static colour quadrants; the resolution change also changes the aspect.
    # They play far longer than a case waits (skywindow.WAIT_S, twice), so the player is
    # still running when a case ends it, however slow the machine.
    "pattern.mkv": ff(pattern(640, 360, 10, 180), X264),
    "pattern10.mkv": ff(pattern(640, 360, 10, 180), X265,
                        ["-pix_fmt", "yuv420p10le", "-profile:v", "main10"]),
    "pattern_a.h264": ff(pattern(640, 360, 25, 2), X264),
    "pattern_b.h264": ff(pattern(480, 360, 25, 180), X264),
    "pattern_reschange.h264": {"kind": "concat", "parts": ["pattern_a.h264", "pattern_b.h264"]},
    # Render tests (test_render.py): exact code values (colours.py), the colour description in
    # the bitstream.
    "colour_bt709_tv.mkv": raw("bt709_tv", "yuv420p", X264_LOSSLESS,
                               tags("bt709", "bt709", "bt709")),
    "colour_bt709_pc.mkv": raw("bt709_pc", "yuv420p", X264_LOSSLESS,
                               tags("bt709", "bt709", "bt709", full=True)),
    "colour_bt601.mkv": raw("bt601", "yuv420p", X264_LOSSLESS,
                            tags("smpte170m", "smpte170m", "smpte170m")),
    "colour_bt2020.mkv": raw("bt2020", "yuv420p10le",
                             x265_lossless("colorprim=bt2020", "transfer=bt2020-10",
                                           "colormatrix=bt2020nc", "range=limited"),
                             tags("bt2020nc", "bt2020", "bt2020-10")),
    "hdr_pq.mkv": raw("pq", "yuv420p10le", PQ_X265, tags("bt2020nc", "bt2020", "smpte2084")),
    "yuv444.mkv": raw("yuv444", "yuv444p", X264_LOSSLESS, tags("bt709", "bt709", "bt709")),
    "yuv444_10.mkv": raw("yuv444_10", "yuv444p10le",
                         x265_lossless("colorprim=bt709", "transfer=bt709", "colormatrix=bt709",
                                       "range=limited"),
                         tags("bt709", "bt709", "bt709")),
}
# The changing stream: its parts in turn, over and over for 180 s (12 rounds of 15 s), so a
# case sees every part however late it looks.
SAMPLES.update({"change_%s.hevc" % n: change_part(n) for n in colours.CHANGE_PARTS})
SAMPLES["changes.hevc"] = {"kind": "concat",
                           "parts": ["change_%s.hevc" % n for n in colours.CHANGE_PARTS] * 12}


_frames = {}


def raw_frame(name):
    if name not in _frames:
        _frames[name] = colours.frame(name)
    return _frames[name]


def full_recipe(name):
    """The recipe with its sources' recipes (and a raw picture's hash) folded in (what the stamp
    hashes)."""
    r = dict(SAMPLES[name])
    if r["kind"] == "raw":
        r["frame_sha1"] = hashlib.sha1(raw_frame(r["frame"])).hexdigest()
    for key in ("src",):
        if key in r:
            r[key] = [r[key], full_recipe(r[key])]
    if "parts" in r:
        r["parts"] = [[p, full_recipe(p)] for p in r["parts"]]
    return r


def read(dirpath, name):
    with open(os.path.join(dirpath, name), "rb") as f:
        return f.read()


def make(dirpath, name, done):
    if name in done:
        return
    recipe = SAMPLES[name]
    for dep in ([recipe["src"]] if "src" in recipe else []) + recipe.get("parts", []):
        make(dirpath, dep, done)
    path = os.path.join(dirpath, name)
    full = full_recipe(name)
    if skytest.up_to_date(path, full):
        done.add(name)
        return
    kind = recipe["kind"]
    if kind == "ffmpeg":
        skytest.ffmpeg_make(path, recipe["args"])
    elif kind == "raw":
        pic = path + ".yuv"
        size = recipe.get("size", (colours.W, colours.H))
        skytest.write_atomic(pic, raw_frame(recipe["frame"]))
        try:
            skytest.ffmpeg_make(path, [
                "-stream_loop", "-1", "-f", "rawvideo", "-pix_fmt", recipe["pix_fmt"],
                "-s", "%dx%d" % tuple(size), "-r", str(recipe["fps"]), "-i", pic,
                "-t", str(recipe["secs"]), "-pix_fmt", recipe["pix_fmt"]] + recipe["args"])
        finally:
            os.unlink(pic)
    elif kind == "concat":
        skytest.write_atomic(path, b"".join(read(dirpath, p) for p in recipe["parts"]))
    elif kind == "truncate":
        data = read(dirpath, recipe["src"])
        skytest.write_atomic(path, data[:int(len(data) * recipe["fraction"])])
    elif kind == "truncate_mid_nal":
        # Cut in the middle of the NAL unit found at `fraction` of the stream.
        data = read(dirpath, recipe["src"])
        starts = skytest.annexb_nal_starts(data) + [len(data)]
        at = int(len(data) * recipe["fraction"])
        i = max(k for k in range(len(starts) - 1) if starts[k] <= at)
        begin, end = starts[i], starts[i + 1] - 3
        skytest.check(end - begin > 16, "no NAL unit long enough to cut in %s" % recipe["src"])
        skytest.write_atomic(path, data[:begin + (end - begin) // 2])
    elif kind == "corrupt":
        data = bytearray(read(dirpath, recipe["src"]))
        at = int(len(data) * recipe["fraction"])
        data[at:at + recipe["size"]] = skytest.rng_bytes(recipe["seed"], recipe["size"])
        skytest.write_atomic(path, bytes(data))
    elif kind == "random":
        skytest.write_atomic(path, skytest.rng_bytes(recipe["seed"], recipe["size"]))
    elif kind == "empty":
        skytest.write_atomic(path, b"")
    else:
        raise ValueError(kind)
    skytest.stamp(path, full)
    done.add(name)
    print("made %s (%d bytes)" % (name, os.path.getsize(path)), flush=True)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: gen_samples.py SAMPLES_DIR\n")
        sys.exit(2)
    dirpath = os.path.abspath(sys.argv[1])
    os.makedirs(dirpath, exist_ok=True)
    done = set()
    try:
        for name in SAMPLES:
            make(dirpath, name, done)
    except skytest.Failure as e:
        print("FAIL: %s" % e, flush=True)
        sys.exit(1)
    print("%d samples ready in %s" % (len(done), dirpath))


if __name__ == "__main__":
    main()

"""--stats-json lines, pacing and --duration.

Only lower bounds on time are asserted (a paced run cannot be faster than the clip); upper
bounds would fail on a busy machine."""

import os
import time

import skytest
from skytest import check

FRAME_FIELDS = ("type", "frame", "pts_us", "size_bytes", "keyframe", "enqueued_us",
                "decode_start_us", "decode_end_us", "draw_start_us", "presented_us", "fate")
TIMES = ("enqueued_us", "decode_start_us", "decode_end_us", "presented_us")
SECOND_FIELDS = ("t_us", "frames_in", "presented", "dropped", "fps", "video_kbps",
                 "decode_us_p50", "present_latency_us_p50")
SUMMARY_FIELDS = ("duration_us", "frames", "presented", "dropped", "dropped_by", "queue_us",
                  "decode_us", "present_latency_us", "total_us")
DROP_REASONS = ("superseded", "decode_error", "no_output", "wait_keyframe", "flushed")


def clip_duration_s(ctx, name):
    """Frames / frame rate (elementary streams have no container duration)."""
    r = skytest.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                     "stream=r_frame_rate", "-of", "csv=p=0", ctx.sample(name)])
    check(r.rc == 0 and "/" in r.out, "ffprobe failed", r)
    num, den = (int(x) for x in r.out.strip().split("/"))
    return file_frames(ctx, name) * den / num


def file_frames(ctx, name):
    ref, rr = skytest.ffmpeg_framemd5(ctx.sample(name))
    check(len(ref) > 0, "ffmpeg decoded nothing", rr)
    return len(ref)


def check_lines(objs, expect_frames, r):
    """The checks every headless --stats-json output must pass; returns (frames, seconds,
    summary)."""
    check(objs, "no JSON lines", r)
    types = [o.get("type") for o in objs]
    check(all(t in ("frame", "second", "summary") for t in types), "unknown line type", r)
    check(types.count("summary") == 1 and types[-1] == "summary",
          "expected exactly one summary line, last", r)
    frames = [o for o in objs if o["type"] == "frame"]
    seconds = [o for o in objs if o["type"] == "second"]
    s = objs[-1]
    for f in frames:
        missing = [k for k in FRAME_FIELDS if k not in f]
        check(not missing, "frame line without %s: %s" % (missing, f), r)
        check(f["fate"] in ("presented", "dropped"), "bad fate: %s" % f, r)
        if f["fate"] == "presented":
            check(all(isinstance(f[k], int) for k in TIMES), "presented frame lacks a time: %s" % f, r)
            check(f["enqueued_us"] <= f["decode_start_us"] <= f["decode_end_us"] <= f["presented_us"],
                  "a frame's moments are out of order: %s" % f, r)
            check(f["draw_start_us"] is None, "a headless picture was drawn: %s" % f, r)
            check(f.get("width", 0) > 0 and f.get("height", 0) > 0, "no picture size: %s" % f, r)
        else:
            check(f.get("drop_reason") in DROP_REASONS, "dropped frame without a reason: %s" % f, r)
    numbers = sorted(f["frame"] for f in frames)
    check(numbers == list(range(len(frames))), "frame numbers are not 0..n-1, once each", r)
    for o in seconds:
        missing = [k for k in SECOND_FIELDS if k not in o]
        check(not missing, "second line without %s: %s" % (missing, o), r)
    missing = [k for k in SUMMARY_FIELDS if k not in s]
    check(not missing, "summary line without %s" % missing, r)
    check(s["frames"] == s["presented"] + s["dropped"], "summary: frames != presented + dropped", r)
    check(sum(s["dropped_by"].get(k, 0) for k in DROP_REASONS) == s["dropped"],
          "summary: dropped_by does not add up", r)
    check(s["frames"] == len(frames), "summary counts %d frames, %d frame lines"
          % (s["frames"], len(frames)), r)
    check(s["presented"] == sum(1 for f in frames if f["fate"] == "presented"),
          "summary and frame lines disagree on presented frames", r)
    if expect_frames is not None:
        check(s["frames"] == expect_frames, "the file has %d frames, the summary says %d"
              % (expect_frames, s["frames"]), r)
    return frames, seconds, s


def read_lines(path, r):
    check(os.path.exists(path), "no stats file written", r)
    with open(path) as f:
        return skytest.parse_json_lines(f.read())


def unpaced_lines(ctx):
    out = ctx.path("stats.jsonl")
    r = ctx.skylight_run(["play", "--headless", "--no-pacing", "--stats-json", out,
                          ctx.sample("h264.mkv")], expect_rc=0)
    check_lines(read_lines(out, r), file_frames(ctx, "h264.mkv"), r)
    n, presented, dropped, _ = skytest.summary(r)
    check(n == 25, "the human summary should count the 25 frames", r)


def paced(ctx, name):
    out = ctx.path("stats.jsonl")
    clip_s = clip_duration_s(ctx, name)
    t0 = time.monotonic()
    r = ctx.skylight_run(["play", "--headless", "--stats-json", out, ctx.sample(name)],
                         expect_rc=0)
    elapsed = time.monotonic() - t0
    _, seconds, _ = check_lines(read_lines(out, r), file_frames(ctx, name), r)
    check(seconds, "a paced %.1f s run wrote no 'second' lines" % clip_s, r)
    check(elapsed >= 0.8 * clip_s, "a paced run of a %.2f s clip took only %.2f s"
          % (clip_s, elapsed), r)


def paced_run(ctx):
    paced(ctx, "paced_2s.mkv")


def paced_annexb(ctx):
    # An elementary stream has no timestamps: pacing follows its frame rate.
    paced(ctx, "long_h264.h264")


def stats_on_stdout(ctx):
    r = ctx.skylight_run(["play", "--headless", "--no-pacing", "--stats-json", "-",
                          ctx.sample("h264.mkv")], expect_rc=0)
    check_lines(skytest.parse_json_lines(r.out, "stdout"), 25, r)
    skytest.summary(r, stream="err")


def duration_stops_early(ctx):
    name = "long_10s.mkv"
    out = ctx.path("stats.jsonl")
    total = file_frames(ctx, name)
    t0 = time.monotonic()
    r = ctx.skylight_run(["play", "--headless", "--duration", "0.5", "--stats-json", out,
                          ctx.sample(name)], expect_rc=0)
    elapsed = time.monotonic() - t0
    check("--duration" in r.err, "no message saying --duration stopped the run", r)
    _, _, s = check_lines(read_lines(out, r), None, r)
    check(s["presented"] < total, "all %d frames were presented despite --duration" % total, r)
    check(elapsed >= 0.5, "stopped before --duration 0.5 had passed (%.2f s)" % elapsed, r)


if __name__ == "__main__":
    skytest.main([unpaced_lines, paced_run, paced_annexb, stats_on_stdout, duration_stops_early])

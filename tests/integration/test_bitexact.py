"""Headless decoding is bit-exact: the MD5 column (and the frame count) of
`skylight play --headless --no-pacing --frame-md5 OUT FILE` equals that of
`ffmpeg -i FILE -map 0:v:0 -autoscale 0 -f framemd5 -`, for every sample kind."""

import os

import skytest
from skytest import check


def decode(ctx, name, extra=()):
    """Runs skylight on a sample; returns (frames, framemd5 text, result)."""
    out = ctx.path(name + ".framemd5")
    r = ctx.skylight_run(["play", "--headless", "--no-pacing", "--frame-md5", out] + list(extra) +
                         [ctx.sample(name)], expect_rc=0)
    check(os.path.exists(out), "no --frame-md5 file written", r)
    with open(out) as f:
        text = f.read()
    frames = skytest.parse_framemd5(text)
    check(len(frames) > 0, "--frame-md5 listed no frames", r)
    n, presented, dropped, decoder = skytest.summary(r)
    check(n == len(frames), "summary counts %d frames, --frame-md5 lists %d" % (n, len(frames)), r)
    check(presented + dropped == n, "presented + dropped != frames in the summary", r)
    check(decoder == "software", "expected the software decoder on this machine", r)
    return frames, text, r


def bitexact(ctx, name, extra=(), ref_opts=()):
    frames, text, r = decode(ctx, name, extra)
    ref, rr = skytest.ffmpeg_framemd5(ctx.sample(name), ref_opts)
    check(len(ref) > 0, "ffmpeg decoded no frames of %s" % name, rr)
    skytest.compare_md5(frames, ref, r, rr)
    return frames, text, r


def h264_mkv(ctx):
    bitexact(ctx, "h264.mkv")


def h264_annexb(ctx):
    bitexact(ctx, "h264.h264")


def hevc_mkv(ctx):
    bitexact(ctx, "hevc.mkv")


def av1_mkv(ctx):
    bitexact(ctx, "av1.mkv")


def odd_size(ctx):
    frames, text, r = bitexact(ctx, "odd_1366x768.mkv")
    check(skytest.framemd5_dims(text) == ["1366x768"], "expected 1366x768 pictures", r)
    check(all(int(f[4]) == 1366 * 768 * 3 // 2 for f in frames),
          "picture sizes are not 1366x768 yuv420p", r)


def hevc_10bit(ctx):
    frames, _, r = bitexact(ctx, "hevc10.mkv")
    # yuv420p10le: two bytes a sample.
    check(all(int(f[4]) == 320 * 240 * 3 for f in frames), "pictures are not 10-bit 4:2:0", r)


def with_opus_audio(ctx):
    _, _, r = bitexact(ctx, "h264_opus.mkv")
    check("Opus audio" in r.err, "the Opus track was not found", r)


def reschange(ctx, name):
    _, text, r = bitexact(ctx, name)
    check(skytest.framemd5_dims(text) == ["640x360", "1280x720"],
          "expected 640x360 then 1280x720 pictures, got %s" % skytest.framemd5_dims(text), r)


def reschange_h264(ctx):
    reschange(ctx, "reschange.h264")


def reschange_hevc(ctx):
    reschange(ctx, "reschange.hevc")


def truncated_mkv(ctx):
    frames, _, r = bitexact(ctx, "truncated.mkv")
    full, _ = skytest.ffmpeg_framemd5(ctx.sample("long_h264.mkv"))
    check(len(frames) < len(full), "the truncated file decoded as many frames as the whole", r)


def truncated_annexb(ctx):
    # The stream ends in the middle of a slice: the last picture is partly error-concealed, and
    # concealment depends on how the decoder is threaded (ffmpeg's default frame threads, our
    # slice threads). Every complete picture must match the command above; with one thread on
    # both sides the concealed picture must match too.
    name = "truncated.h264"
    frames, _, r = decode(ctx, name)
    ref, rr = skytest.ffmpeg_framemd5(ctx.sample(name))
    check(len(frames) == len(ref), "skylight %d frames, ffmpeg %d" % (len(frames), len(ref)), r)
    skytest.compare_md5(frames[:-1], ref[:-1], r, rr)
    bitexact(ctx, name, extra=["--decoder-threads", "1"], ref_opts=["-threads", "1"])


def md5_on_stdout(ctx):
    # --frame-md5 -: the listing on stdout, the summary moves to stderr.
    name = "h264.mkv"
    r = ctx.skylight_run(["play", "--headless", "--no-pacing", "--frame-md5", "-",
                          ctx.sample(name)], expect_rc=0)
    ref, rr = skytest.ffmpeg_framemd5(ctx.sample(name))
    skytest.compare_md5(skytest.parse_framemd5(r.out), ref, r, rr)
    skytest.summary(r, stream="err")


if __name__ == "__main__":
    skytest.main([h264_mkv, h264_annexb, hevc_mkv, av1_mkv, odd_size, hevc_10bit,
                  with_opus_audio, reschange_h264, reschange_hevc, truncated_mkv,
                  truncated_annexb, md5_on_stdout])

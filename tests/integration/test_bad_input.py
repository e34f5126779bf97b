"""Bad input gets a clear message on stderr and a clean exit: never a crash, a hang or a
sanitizer report (skylight_run fails on those)."""

import os

import skytest
from skytest import check


def play(ctx, path, expect_rc):
    return ctx.skylight_run(["play", "--headless", "--no-pacing", path], expect_rc=expect_rc)


def error_lines(r):
    return [l for l in r.err.splitlines() if "error:" in l]


def refused(ctx, path, expect_rc=1):
    """A file skylight must refuse: exit 1, an error that names the file, no frames."""
    r = play(ctx, path, expect_rc)
    errs = error_lines(r)
    check(errs, "no error message on stderr", r)
    check(any(os.path.basename(path) in l for l in errs), "the message does not name the file", r)
    check(not skytest.SUMMARY_RE.search(r.out + r.err),
          "a refused file should end without a decoding summary", r)
    return r, errs


def missing_file(ctx):
    path = ctx.path("does-not-exist.mkv")
    r, errs = refused(ctx, path)
    check(any(path in l and "No such file" in l for l in errs),
          "the message should give the full path and say the file does not exist", r)


def not_media(ctx):
    refused(ctx, ctx.sample("notmedia.bin"))


def zero_length(ctx):
    refused(ctx, ctx.sample("empty.mkv"))


def unsupported(ctx, name, codec):
    r, errs = refused(ctx, ctx.sample(name))
    check(any("unsupported" in l and codec in l for l in errs),
          "the message should say '%s' is unsupported" % codec, r)


def unsupported_mpeg4(ctx):
    unsupported(ctx, "mpeg4.avi", "mpeg4")


def unsupported_vp9(ctx):
    unsupported(ctx, "vp9.webm", "vp9")


def audio_only(ctx):
    r, errs = refused(ctx, ctx.sample("audio_only.ogg"))
    check(any("no video" in l for l in errs), "the message should say there is no video", r)


def corrupt(ctx, name):
    # Overwritten bytes in the middle: decoding goes on past them (or stops with an error).
    r = play(ctx, ctx.sample(name), (0, 1))
    if r.rc == 0:
        n, presented, dropped, _ = skytest.summary(r)
        check(presented > 0 and n == presented + dropped, "implausible summary", r)
    else:
        check(error_lines(r), "exit 1 without an error message", r)


def corrupt_h264(ctx):
    corrupt(ctx, "corrupt.h264")


def corrupt_hevc(ctx):
    corrupt(ctx, "corrupt.hevc")


if __name__ == "__main__":
    skytest.main([missing_file, not_media, zero_length, unsupported_mpeg4, unsupported_vp9,
                  audio_only, corrupt_h264, corrupt_hevc])

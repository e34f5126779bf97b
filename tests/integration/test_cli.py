"""The command line and the config file: --version, --help, usage errors (exit 2, one line),
$XDG_CONFIG_HOME/skylight/skylight.conf, --config FILE, and the command line winning."""

import os
import re

import skytest
from skytest import check

NO_DISPLAY = ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")


def version(ctx):
    r = ctx.skylight_run(["--version"], expect_rc=0)
    check(re.match(r"skylight \d+\.\d+\.\d+\n", r.out), "no 'skylight X.Y.Z' first line", r)
    for lib in ("libavcodec", "SDL", "opus"):
        check(lib in r.out, "the version of %s is not printed" % lib, r)


def help_lists_verbs(ctx):
    r = ctx.skylight_run(["--help"], expect_rc=0)
    check("Verbs:" in r.out and re.search(r"^\s+play FILE", r.out, re.M),
          "--help does not list the verbs", r)
    check(r.err == "", "--help wrote to stderr", r)


def play_help(ctx):
    r = ctx.skylight_run(["play", "--help"], expect_rc=0)
    for group in ("Play:", "Video decoding:", "Window:", "Audio:", "Statistics and checks:",
                  "General:"):
        check(re.search(r"^%s$" % re.escape(group), r.out, re.M), "no group '%s'" % group, r)
    for opt, default in (("--decoder=MODE", "auto"), ("--log-level=MODE", "info"),
                         ("--[no-]pacing", "yes"), ("--[no-]headless", "no"),
                         ("--duration=SECONDS", "0"), ("--audio-buffer-ms=MS", "20")):
        check(re.search(r"^\s+%s\s.*\[default: %s\]$" % (re.escape(opt), re.escape(default)),
                        r.out, re.M), "'%s' is not listed with [default: %s]" % (opt, default), r)
    r2 = ctx.skylight_run(["help", "play"], expect_rc=0)
    check(r2.out == r.out, "'skylight help play' differs from 'skylight play --help'", r2)


def usage_error(ctx, args, must_say):
    """Exit 2, exactly one line on stderr (containing must_say), nothing on stdout."""
    r = ctx.skylight_run(args, expect_rc=2)
    lines = r.err.splitlines()
    check(len(lines) == 1, "expected a one-line message on stderr", r)
    check(must_say in lines[0], "the message should contain %r" % must_say, r)
    check(r.out == "", "a usage error printed to stdout", r)


def usage_errors(ctx):
    f = ctx.sample("h264.mkv")
    usage_error(ctx, ["frobnicate"], "frobnicate")
    usage_error(ctx, ["play", "--frobnicate", f], "--frobnicate")
    usage_error(ctx, ["play", "-x", f], "-x")
    usage_error(ctx, ["play", "--decoder", "foo", f], "foo")
    usage_error(ctx, ["play", "--duration=abc", f], "abc")
    usage_error(ctx, ["play", "--window-width", "-5", f], "--window-width")
    usage_error(ctx, ["play", "--headless", "--duration"], "--duration")
    usage_error(ctx, ["play", "--headless"], "file")
    usage_error(ctx, ["play", f, f], "unexpected argument")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def xdg_with(ctx, text):
    """An XDG_CONFIG_HOME whose skylight/skylight.conf holds text; returns (env, conf path)."""
    xdg = ctx.path("xdg")
    conf = os.path.join(xdg, "skylight", "skylight.conf")
    write(conf, text)
    return ctx.env({"XDG_CONFIG_HOME": xdg}), conf


def headless(ctx, extra=(), env=None, expect_rc=0):
    return ctx.skylight_run(["play", "--headless", "--no-pacing"] + list(extra) +
                            [ctx.sample("h264.mkv")], env=env, expect_rc=expect_rc)


def config_file_applies(ctx):
    control = headless(ctx)
    check("info:" in control.err, "without a config file, info lines are expected", control)
    env, _ = xdg_with(ctx, "# quiet, please\n\nlog-level = error\nsome-other-verbs-key = 1\n")
    r = headless(ctx, env=env)
    check(r.err == "", "log-level = error in skylight.conf should silence stderr", r)
    skytest.summary(r)


def config_option_changes_behaviour(ctx):
    # headless/pacing from the file: no display is needed and the run is not paced.
    env, _ = xdg_with(ctx, "headless = yes\npacing = no\nlog-level = warn\n")
    for k in NO_DISPLAY:
        env.pop(k, None)
    r = ctx.skylight_run(["play", ctx.sample("h264.mkv")], env=env, expect_rc=0)
    n, _, _, _ = skytest.summary(r)
    check(n == 25, "expected the 25 frames of the clip", r)


def command_line_wins(ctx):
    env, _ = xdg_with(ctx, "log-level = error\nheadless = yes\n")
    r = headless(ctx, ["--log-level", "info"], env=env)
    check("info:" in r.err, "--log-level info on the command line should beat the file", r)
    for k in NO_DISPLAY:
        env.pop(k, None)
    r = ctx.skylight_run(["play", "--no-headless", "--no-pacing", ctx.sample("h264.mkv")],
                         env=env, expect_rc=1)
    check("--headless" in r.err, "--no-headless should beat 'headless = yes' in the file", r)


def malformed_config(ctx):
    for text, line in (("log-level = error\nthis is not an option line\n", 2),
                       ("# comment\nlog-level = error\ndecoder = warp-drive\n", 3),
                       ("duration = -1\n", 1)):
        env, conf = xdg_with(ctx, text)
        r = headless(ctx, env=env, expect_rc=2)
        lines = r.err.splitlines()
        check(len(lines) == 1, "expected a one-line message for a bad config file", r)
        check(conf in lines[0] and re.search(r"\b%d\b" % line, lines[0]),
              "the message should name %s and line %d" % (conf, line), r)


def explicit_config(ctx):
    conf = ctx.path("explicit.conf")
    write(conf, "log-level = error\n")
    # The default file is broken: with --config it must not be read at all.
    env, _ = xdg_with(ctx, "this is broken\n")
    for args in (["--config", conf], ["--config=" + conf]):
        r = headless(ctx, args, env=env)
        check(r.err == "", "the --config file should silence stderr", r)
    missing = ctx.path("missing.conf")
    r = headless(ctx, ["--config", missing], env=env, expect_rc=2)
    check(len(r.err.splitlines()) == 1 and missing in r.err,
          "a missing --config file should be a one-line error naming it", r)


if __name__ == "__main__":
    skytest.main([version, help_lists_verbs, play_help, usage_errors, config_file_applies,
                  config_option_changes_behaviour, command_line_wins, malformed_config,
                  explicit_config])

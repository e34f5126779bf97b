"""The command line and the config file: --version, --help, usage errors (exit 2, one line)
with suggestions, $XDG_CONFIG_HOME/skylight/skylight.conf shared by every verb (typos warned
about with their line), --config FILE, [host NAME] sections, and the command line winning.

The cases that stream talk to the test host (SKY_TESTHOST) with --dry-run."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skytest  # noqa: E402
from skytest import check  # noqa: E402
from testhost import Client, TestHost  # noqa: E402

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


def no_verb(ctx):
    """No verb is the launcher: its options (one-line usage errors), and without a display a
    clear error (exit 1), never a window nobody sees (SDL's offscreen driver)."""
    usage_error(ctx, ["--frobnicate"], "skylight ui: unknown option '--frobnicate'")
    usage_error(ctx, ["ui", "extra"], "skylight ui: unexpected argument 'extra'")
    for args in ([], ["ui"], ["--log-level", "info"]):
        r = ctx.skylight_run(args, env=ctx.env(drop=NO_DISPLAY), expect_rc=1, timeout_s=60)
        lines = [l for l in r.err.splitlines() if l.startswith("skylight ui: ")]
        check(len(lines) == 1 and "no display to open the launcher on" in lines[0],
              "no one-line 'no display' error", r)
    r = ctx.skylight_run(["ui", "--help"], expect_rc=0)
    check("Usage: skylight [ui]" in r.out and "swap-ab" in r.out and "--mdns-backend" in r.out,
          "skylight ui --help does not describe the launcher and its options", r)


def play_help(ctx):
    r = ctx.skylight_run(["play", "--help"], expect_rc=0)
    for group in ("Play:", "Presentation:", "Video decoding:", "Window:", "Audio:",
                  "Statistics and checks:", "General:"):
        check(re.search(r"^%s$" % re.escape(group), r.out, re.M), "no group '%s'" % group, r)
    for opt, default in (("--decoder=MODE", "auto"), ("--log-level=MODE", "info"),
                         ("--[no-]pacing", "yes"), ("--[no-]headless", "no"),
                         ("--duration=SECONDS", "0"), ("--audio-buffer-ms=MS", "20"),
                         ("--audio=MODE", "stereo")):
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
    usage_error(ctx, ["stream", "--menu-combo", "Start+Turbo", "pc"],
                "skylight stream: --menu-combo 'Start+Turbo' is not a button combination")


def suggestions(ctx):
    """An unknown option names the nearest one; another verb's option says whose it is."""
    f = ctx.sample("h264.mkv")
    usage_error(ctx, ["stream", "--latency-mod", "balanced", "pc"],
                "skylight stream: unknown option '--latency-mod' (did you mean '--latency-mode'?)")
    usage_error(ctx, ["play", "--hedless", f],
                "skylight play: unknown option '--hedless' (did you mean '--headless'?)")
    usage_error(ctx, ["play", "--no-hedless", f], "(did you mean '--no-headless'?)")
    usage_error(ctx, ["play", "--latency-mode", "balanced", f],
                "skylight play: --latency-mode is a 'stream' option")
    usage_error(ctx, ["list", "--latency-mod", "balanced", "pc"],
                "(did you mean '--latency-mode', a 'stream' option?)")
    usage_error(ctx, ["play", "--json", f], "--json is a 'hosts', 'info', 'list' and 'discover' option")
    usage_error(ctx, ["play", "--frobnicate", f], "(see skylight play --help)")
    usage_error(ctx, ["strem", "pc"], "skylight: unknown verb 'strem' (did you mean 'stream'?)")


def played_sound(r):
    """Whether a play run's summary line reports audio."""
    skytest.summary(r)
    line = [l for l in r.out.splitlines() if l.startswith("summary: ")][0]
    return "; audio " in line


def audio_option(ctx):
    """--audio is one option with one type for every verb: a choice (stereo|5.1|7.1|off) that
    still takes the yes/no words of the old play flag, on the command line and in the file."""
    clip = ctx.sample("h264_opus.mkv")
    usage_error(ctx, ["play", "--audio", "mono", clip], "'mono' is not one of stereo|5.1|7.1|off")
    for args, sound in ((["--no-audio"], False), (["--audio=no"], False),
                        (["--audio", "off"], False), ([], True), (["--audio=yes"], True),
                        (["--audio", "5.1"], True)):
        r = ctx.skylight_run(["play", "--headless", "--no-pacing"] + args + [clip], expect_rc=0)
        check(played_sound(r) == sound, "%s: sound %s expected" % (args, sound), r)
    for text, sound in (("audio = no\n", False), ("audio = false\n", False),
                        ("audio = off\n", False), ("audio = yes\n", True),
                        ("audio = 7.1\n", True)):
        env, _ = xdg_with(ctx, text)
        r = ctx.skylight_run(["play", "--headless", "--no-pacing", clip], env=env, expect_rc=0)
        check(played_sound(r) == sound, "%r: sound %s expected" % (text, sound), r)
        check("warn:" not in r.err, "%r gave a warning" % text, r)


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
                       ("duration = -1\n", 1), ("[host pc\nfps = 1\n", 1),
                       ("# play checks the values of its own keys only\nfps = fast\n"
                        "latency-mode = warp\nduration = soon\n", 4)):
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


def warnings(r):
    return [l for l in r.err.splitlines() if "warn:" in l]


def check_one_typo_warning(r, conf, line):
    w = warnings(r)
    check(len(w) == 1, "expected exactly one warning (the typo's)", r)
    want = "[config] warn: %s:%d: unknown option 'bitrat' (did you mean 'bitrate'?)" % (conf,
                                                                                      line)
    check(w[0] == want, "the warning should be %r" % want, r)


def paired(ctx, **host_args):
    host = TestHost(ctx, ["--pin", "1234"] + sum((["--" + k.replace("_", "-"), v]
                                                  for k, v in host_args.items()), []),
                    state="host-" + host_args.get("hostname", "default"))
    return host


def one_config_every_verb(ctx):
    """A config file valid for one verb loads for every verb: `audio = off` (play and stream),
    `latency-mode = balanced` (stream only) and a typo load for play, stream and list, each
    with one warning, for the typo, naming its line and the nearest option."""
    host = paired(ctx)
    c = Client(ctx)
    try:
        c.pair(host)
        conf = os.path.join(c.dir, "skylight.conf")
        write(conf, "# shared by every verb\naudio = off\nlatency-mode = balanced\n"
                    "bitrat = 5000\n")
        r = ctx.skylight_run(["play", "--headless", "--no-pacing", ctx.sample("h264_opus.mkv")],
                             env=c.env(), expect_rc=0)
        check_one_typo_warning(r, conf, 4)
        check(not played_sound(r), "audio = off should silence play", r)
        r = c.run("stream", host.addr, "--dry-run", expect_rc=0)
        check_one_typo_warning(r, conf, 4)
        check("Launched Desktop" in r.out, "no dry-run launch", r)
        r = c.run("list", host.addr, expect_rc=0)
        check_one_typo_warning(r, conf, 4)
        check("Steam Big Picture" in r.out, "no app list", r)
        # --log-level error silences the warning.
        r = c.run("list", host.addr, "--log-level", "error", expect_rc=0)
        check(warnings(r) == [], "--log-level error should silence the warning", r)
    finally:
        host.stop()


def launch_mode(host, after):
    ev = host.wait_for("launch ", after=after)
    return re.search(r" mode=(\S+)", ev).group(1), re.search(r" surround=(\d+)", ev).group(1)


def host_sections(ctx):
    """[host NAME] values apply when streaming from that host (NAME: the host's name, or its
    address), over the global ones; the command line still wins; another host's section does
    not apply; verbs other than stream skip the sections."""
    a = paired(ctx)
    b = paired(ctx, hostname="other-box")
    c = Client(ctx)
    try:
        c.pair(a)
        c.pair(b)
        conf = os.path.join(c.dir, "skylight.conf")
        write(conf, "fps = 50\n"
                    "\n"
                    "[host skylight-testhost]  # by the host's name\n"
                    "width = 1024\n"
                    "height = 576\n"
                    "audio = 5.1\n"
                    "\n"
                    "[host %s]  # by the address as typed\n"
                    "width = 800\n"
                    "height = 600\n"
                    "fps = 40\n"
                    "json = yes  # list's option: skipped by stream, and list skips sections\n"
                    % b.addr)
        stereo, surround51 = str(0x3 << 16 | 2), str(0x3F << 16 | 6)
        for args, want in (([], ("1024x576x50", surround51)),
                           (["--fps", "24", "--audio", "stereo"], ("1024x576x24", stereo))):
            mark = a.mark()
            r = c.run("stream", a.addr, "--dry-run", *args, expect_rc=0)
            check(warnings(r) == [], "no warning expected", r)
            got = launch_mode(a, mark)
            check(got == want, "launch with %s: mode and surround %s, expected %s"
                  % (args, got, want), r)
            c.run("quit", a.addr, expect_rc=0)
            a.wait_for("cancel", after=mark)
        mark = b.mark()
        r = c.run("stream", b.addr, "--dry-run", expect_rc=0)
        got = launch_mode(b, mark)
        check(got == ("800x600x40", stereo), "host b: %s" % (got,), r)
        # Typed by its known name, b is found at the address its section names.
        c.run("quit", b.addr, expect_rc=0)
        mark = b.mark()
        r = c.run("stream", "other-box", "--dry-run", "--log-level", "verbose", expect_rc=0)
        got = launch_mode(b, mark)
        check(got == ("800x600x40", stereo), "other-box by name: %s" % (got,), r)
        check(re.search(r"\[config\] verbose: .*:11: \[host %s\] fps = 40$" % re.escape(b.addr),
                        r.err, re.M), "the values applied are logged at verbose level", r)
        r = c.run("list", b.addr, expect_rc=0)
        check(not r.out.lstrip().startswith("{"), "list applied a host section's json", r)
    finally:
        a.stop()
        b.stop()


if __name__ == "__main__":
    skytest.main([version, help_lists_verbs, no_verb, play_help, usage_errors, suggestions,
                  audio_option, config_file_applies, config_option_changes_behaviour,
                  command_line_wins, malformed_config, explicit_config, one_config_every_verb,
                  host_sections])

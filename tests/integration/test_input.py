"""Input end to end: synthetic SDL events and SDL virtual game controllers (`skylight stream
--input-script`) go through the client's real input path (SDL event queue, main-thread capture,
the input thread, the control thread's ENet) to the test host, whose log of decoded input must
match exactly: keys, modifiers, text, buttons, axes, order. Rumble, trigger rumble and LED
requests the host sends must reach the virtual pad. The user's controller mappings (the config
directory's gamecontrollerdb.txt, SDL_GAMECONTROLLERCONFIG) decide what a pad SDL does not know
is; a live script (a FIFO) runs lines as the test writes them.

    python3 test_input.py SKYLIGHT SAMPLES_DIR CASE      (SKY_TESTHOST names the test host)
"""

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skytest  # noqa: E402
from skytest import check  # noqa: E402
from testhost import Client, TestHost, finish  # noqa: E402

SMALL = ["--width", "640", "--height", "360", "--fps", "30", "--codec", "h264"]


# Appended to every script that does not end the stream itself: F24 pressed and released once
# everything else is due. The host's log of its release says all input before it arrived (one
# control thread sends in order); the stream is then ended with Ctrl+C, so no run depends on
# finishing within a fixed --duration. inputs() leaves the two lines out.
SENTINEL = ("key down F24", "key up F24")
SENTINEL_LOG = ("key down code=0x8087 mods=0x00 flags=0x00",
                "key up code=0x8087 mods=0x00 flags=0x00")
WAIT_S = 60


def script_end_ms(text):
    """When the last command of a script is due (repeats included)."""
    end = 0
    for line in text.splitlines():
        words = line.split("#")[0].split()
        if words:
            t = int(words[0])
            if words[1] == "repeat":
                t += (int(words[2]) - 1) * int(words[3])
            end = max(end, t)
    return end


def end_stream(p, ready):
    """The Result of a Client.popen stream: once ready() returns (it waits for what the case
    needs), Ctrl+C; with no ready, the stream ends itself. Killed if anything fails first."""
    try:
        if ready:
            ready()
            p.send_signal(signal.SIGINT)
        return finish(p, 120)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


class Session:
    def __init__(self, ctx, host_args=()):
        self.ctx = ctx
        self.host = TestHost(ctx, ["--pin", "1234"] + list(host_args))
        self.client = Client(ctx)
        self.client.pair(self.host)

    def script(self, text, name="input.txt"):
        path = self.ctx.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run(self, script, *extra, expect_rc=0, env=None, headless=True, ends_itself=False,
            drop=()):
        """Streams with the input script until the host has logged all of it (the sentinel),
        then Ctrl+C; or, `ends_itself`, until the script ends the stream. `drop`: environment
        variables the client does not get (besides the display's)."""
        if not ends_itself:
            at = script_end_ms(script) + 50
            script += "".join("\n%d %s" % (at + 10 * i, c) for i, c in enumerate(SENTINEL))
        m = self.host.mark()
        args = (["stream", self.host.addr, "--input-script", self.script(script)] + SMALL +
                (["--headless"] if headless else []) + list(extra))
        p = self.client.popen(*args, env=env,
                              drop=("WAYLAND_DISPLAY", "SDL_VIDEODRIVER") + tuple(drop))
        r = end_stream(p, None if ends_itself else lambda: self.host.wait_for(
            "input " + SENTINEL_LOG[1], timeout_s=WAIT_S, after=m))
        check(r.rc == expect_rc, "skylight exited with %d" % r.rc, r)
        return r

    def inputs(self):
        """The host's decoded input lines, arrival times cut, consecutive relative motions
        summed (their batching depends on timing), the opening haptics packet and the
        sentinel dropped."""
        out = []
        for line in self.host.events("input"):
            line = re.sub(r" at_us=\d+ mono_us=\d+$", "", line)[len("input "):]
            m = re.match(r"mouse-rel dx=(-?\d+) dy=(-?\d+)$", line)
            if m and out and out[-1].startswith("mouse-rel "):
                px, py = map(int, re.findall(r"-?\d+", out[-1]))
                out[-1] = "mouse-rel dx=%d dy=%d" % (px + int(m.group(1)), py + int(m.group(2)))
            elif line != "haptics enable=1" and line not in SENTINEL_LOG:
                out.append(line)
        return out

    def stop(self):
        self.host.stop()


def expect_log(got, want, r=None):
    for i, (g, w) in enumerate(zip(got, want)):
        check(g == w, "input %d: host got %r, expected %r\nall: %s" % (i, g, w, got), r)
    check(len(got) == len(want), "host got %d input packets, expected %d:\n%s"
          % (len(got), len(want), "\n".join(got)), r)


def keyboard_mouse(ctx):
    """Physical keys (a German user's Z key is the US Y position: the host gets that position's
    code), modifiers on both sides, the ISO key, keys the host has no code for (dropped), text
    with no key, relative motion (summed), five buttons, wheel notches, a high-resolution wheel
    and horizontal scroll; key repeats are not sent."""
    s = Session(ctx)
    try:
        r = s.run("""
            100 key down Left_Shift
            110 key down Y
            120 key up Y
            130 key up Left_Shift
            140 key down Right_Alt
            150 key down Q
            160 key up Q
            170 key up Right_Alt
            180 key down sc:100
            190 key up sc:100
            200 key down Left_Ctrl
            210 key down Left_GUI
            220 key up Left_GUI
            230 key up Left_Ctrl
            240 key down Power
            250 key up Power
            260 text \u00e9\u20ac
            300 motion 5 -3
            300 motion 7 2
            320 repeat 20 1 motion 1 1
            400 button down 1
            410 button down 3
            420 button up 3
            430 button up 1
            440 button down 2
            450 button up 2
            460 button down 4
            470 button up 4
            480 button down 5
            490 button up 5
            500 wheel 0 1
            510 wheel 0 -2
            520 wheel 0 0.25
            530 wheel 0 0.25
            540 wheel 1.5 0
            550 key down Return
            560 key up Return
        """)
        expect_log(s.inputs(), [
            "key down code=0x80a0 mods=0x01 flags=0x00",
            "key down code=0x8059 mods=0x01 flags=0x00",
            "key up code=0x8059 mods=0x01 flags=0x00",
            "key up code=0x80a0 mods=0x00 flags=0x00",
            "key down code=0x80a5 mods=0x04 flags=0x00",
            "key down code=0x8051 mods=0x04 flags=0x00",
            "key up code=0x8051 mods=0x04 flags=0x00",
            "key up code=0x80a5 mods=0x00 flags=0x00",
            "key down code=0x80e2 mods=0x00 flags=0x00",
            "key up code=0x80e2 mods=0x00 flags=0x00",
            "key down code=0x80a2 mods=0x02 flags=0x00",
            "key down code=0x805b mods=0x0a flags=0x00",
            "key up code=0x805b mods=0x02 flags=0x00",
            "key up code=0x80a2 mods=0x00 flags=0x00",
            "text utf8=c3a9e282ac",
            "mouse-rel dx=32 dy=19",
            "button down 1", "button down 3", "button up 3", "button up 1",
            "button down 2", "button up 2", "button down 4", "button up 4",
            "button down 5", "button up 5",
            "scroll amount=120", "scroll amount=-240", "scroll amount=30", "scroll amount=30",
            "hscroll amount=180",
            "key down code=0x800d mods=0x00 flags=0x00",
            "key up code=0x800d mods=0x00 flags=0x00",
        ], r)
        check("input packets, capture to socket p50/p99" in r.out + r.err,
              "no capture-to-socket figures in the summary", r)
    finally:
        s.stop()


def absolute_mouse(ctx):
    """--mouse absolute: positions within the stream, with the reference size less one."""
    s = Session(ctx)
    try:
        r = s.run("""
            100 move 10 20
            200 move 639 359
            300 button down 1
            310 button up 1
        """, "--mouse", "absolute")
        expect_log(s.inputs(), [
            "mouse-abs x=10 y=20 w=639 h=359",
            "mouse-abs x=639 y=359 w=639 h=359",
            "mouse-abs x=639 y=359 w=639 h=359",  # a press goes where the pointer is
            "button down 1",
            "button up 1",
        ], r)
    finally:
        s.stop()


PAD = "pad %d mask=0x%04x buttons=0x%06x lt=%d rt=%d ls=%d,%d rs=%d,%d"


def gamepads(ctx):
    """Two pads (an Xbox and a PlayStation one) arrive with their types and capabilities,
    their buttons, sticks (up is positive on the wire) and triggers go to their own numbers,
    one is unplugged mid-session (the host sees it released, then gone) and a Nintendo pad
    plugged in later takes its number."""
    s = Session(ctx)
    try:
        r = s.run("""
            100 pad attach 0 xbox
            400 pad attach 1 ps
            700 pad 0 button a down
            720 pad 0 axis leftx 16000
            740 pad 0 axis lefty -32768
            760 pad 0 axis righttrigger 32767
            780 pad 0 button a up
            800 pad 1 button dpup down
            800 pad 1 button back down  # the same moment: still in order
            840 pad 1 axis righty 20000
            860 pad 1 button dpup up
            900 pad 0 axis leftx 0
            910 pad 0 axis lefty 0
            920 pad 0 axis righttrigger 0
            1000 pad 0 detach
            1300 pad attach 2 nintendo
            1600 pad 2 button y down
            1620 pad 2 button y up
        """)
        got = s.inputs()
        check(any(l.startswith("pad-arrival 0 type=1 ") for l in got), "no Xbox arrival: %s" % got)
        check(any(l.startswith("pad-arrival 1 type=2 ") for l in got), "no PS arrival: %s" % got)
        check(sum(l.startswith("pad-arrival 0 type=3 ") for l in got) == 1,
              "the Nintendo pad did not take number 0: %s" % got)
        pads = [l for l in got if l.startswith("pad ")]
        A, UP, BACK, Y = 0x1000, 0x0001, 0x0020, 0x8000
        expect_log(pads, [
            PAD % (0, 1, 0, 0, 0, 0, 0, 0, 0),
            PAD % (1, 3, 0, 0, 0, 0, 0, 0, 0),
            PAD % (0, 3, A, 0, 0, 0, 0, 0, 0),
            PAD % (0, 3, A, 0, 0, 16000, 0, 0, 0),
            PAD % (0, 3, A, 0, 0, 16000, 32767, 0, 0),
            PAD % (0, 3, A, 0, 255, 16000, 32767, 0, 0),
            PAD % (0, 3, 0, 0, 255, 16000, 32767, 0, 0),
            PAD % (1, 3, UP, 0, 0, 0, 0, 0, 0),
            PAD % (1, 3, UP | BACK, 0, 0, 0, 0, 0, 0),
            PAD % (1, 3, UP | BACK, 0, 0, 0, 0, 0, -20000),
            PAD % (1, 3, BACK, 0, 0, 0, 0, 0, -20000),
            PAD % (0, 3, 0, 0, 255, 0, 32767, 0, 0),
            PAD % (0, 3, 0, 0, 255, 0, 0, 0, 0),
            PAD % (0, 3, 0, 0, 0, 0, 0, 0, 0),
            PAD % (0, 2, 0, 0, 0, 0, 0, 0, 0),   # unplugged
            PAD % (0, 3, 0, 0, 0, 0, 0, 0, 0),   # the Nintendo pad arrives as 0
            PAD % (0, 3, Y, 0, 0, 0, 0, 0, 0),
            PAD % (0, 3, 0, 0, 0, 0, 0, 0, 0),
        ], r)
        check("gamepad 0 attached: Skylight virtual Xbox 360 pad (Xbox" in r.err and
              "gamepad 1 attached: Skylight virtual DualShock 4 (PlayStation" in r.err and
              "gamepad 0 detached" in r.err, "no log line per pad", r)
    finally:
        s.stop()


def swap_ab(ctx):
    """--swap-ab: a Nintendo layout's A (right) reaches the host as B, X as Y."""
    s = Session(ctx)
    try:
        r = s.run("""
            100 pad attach 0 nintendo
            500 pad 0 button a down
            520 pad 0 button a up
            540 pad 0 button x down
            560 pad 0 button x up
        """, "--swap-ab")
        pads = [l for l in s.inputs() if l.startswith("pad ")]
        expect_log(pads, [PAD % (0, 1, b, 0, 0, 0, 0, 0, 0)
                          for b in (0, 0x2000, 0, 0x8000, 0)], r)
    finally:
        s.stop()


def feedback(ctx):
    """Rumble, trigger rumble and LED colour from the host reach the virtual pad; a motion
    request for a pad without sensors is taken without harm, and rumble for an absent pad
    reaches none (the LED change sent after it is waited for, so it has been handled)."""
    s = Session(ctx)
    err_path = ctx.path("feedback.stderr")
    want = ("virtual pad 0 rumble low=1000 high=65535",
            "virtual pad 0 trigger rumble left=300 right=400",
            "virtual pad 0 led 255 0 128", "virtual pad 0 rumble low=0 high=0",
            "virtual pad 0 led 1 2 3")
    try:
        p = s.client.popen("stream", s.host.addr, "--headless", "--input-script",
                           s.script("100 pad attach 0 ps\n"), *SMALL, stderr_path=err_path)

        def fed_back():
            s.host.wait_for("input pad-arrival 0 ", timeout_s=WAIT_S)
            for cmd in ("rumble 0 1000 65535", "rumble-triggers 0 300 400", "led 0 255 0 128",
                        "motion 0 gyro 200", "rumble 0 0 0", "rumble 5 1 1", "led 0 1 2 3"):
                s.host.command(cmd)
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline and p.poll() is None:
                with open(err_path, "rb") as f:
                    if want[-1] in f.read().decode("utf-8", "replace"):
                        return
                time.sleep(0.05)

        r = end_stream(p, fed_back)
        check(r.rc == 0, "skylight failed", r)
        for t in ("0x010b", "0x5500", "0x5502", "0x5501"):
            s.host.wait_for("sent type=" + t, timeout_s=WAIT_S)
        for line in want:
            check(line in r.err, "the virtual pad did not get %r" % line, r)
        check("low=1 high=1" not in r.err, "rumble for an absent pad reached pad 0", r)
    finally:
        s.stop()


def touch(ctx):
    """A touchscreen: native touch on a host that takes it (coordinates are fractions of the
    video), the left button and pointer on one that does not, and a trackpad with --touch
    trackpad (moves are relative; a short still touch is a click)."""
    fingers = """
        100 finger down 3 0.25 0.5
        120 finger move 3 0.5 0.75
        140 finger up 3 0.5 0.75
    """
    s = Session(ctx, ["--feature-flags", "3"])
    try:
        r = s.run(fingers)
        expect_log(s.inputs(), [
            "touch event=1 id=3 x=0.2500 y=0.5000 p=1.000 rot=65535",
            "touch event=3 id=3 x=0.5000 y=0.7500 p=1.000 rot=65535",
            "touch event=2 id=3 x=0.5000 y=0.7500 p=0.000 rot=65535",
        ], r)
    finally:
        s.stop()
    s = Session(ctx)
    try:
        r = s.run(fingers)
        expect_log(s.inputs(), [
            "mouse-abs x=160 y=180 w=639 h=359", "button down 1",
            "mouse-abs x=320 y=270 w=639 h=359",
            "mouse-abs x=320 y=270 w=639 h=359", "button up 1",
        ], r)
    finally:
        s.stop()
    s = Session(ctx)
    try:
        r = s.run(fingers + """
            300 finger down 4 0.5 0.5
            320 finger up 4 0.5 0.5
        """, "--touch", "trackpad")
        expect_log(s.inputs(), ["mouse-rel dx=160 dy=90", "button down 1", "button up 1"], r)
    finally:
        s.stop()


def window_shortcuts(ctx):
    """In a window (Xvfb): Ctrl+Alt+Shift+Z releases the pointer (the host is told every held
    key is up; nothing is sent while released), a click captures it again (the click itself is
    not sent), +S shows the stats overlay, +Q ends the stream as the user."""
    from skywindow import XServer, display_env  # noqa: E402
    s = Session(ctx)
    try:
        with XServer(ctx.tmp) as x:
            env = display_env(ctx, x.display)
            r = s.run("""
                500 key down Left_Ctrl
                510 key down Left_Alt
                520 key down Left_Shift
                530 key down S
                540 key up S
                550 key down Z
                560 key up Z
                570 key down A
                580 key up A
                590 motion 4 4
                600 key up Left_Shift
                610 key up Left_Alt
                620 key up Left_Ctrl
                700 button down 1
                710 button up 1
                720 key down B
                730 key up B
                800 key down Left_Ctrl
                810 key down Left_Alt
                820 key down Left_Shift
                830 key down Q
            """, "--duration", "60", env=env, headless=False, ends_itself=True)
            check("stream ended by the user" in r.err, "Ctrl+Alt+Shift+Q did not end it", r)
            check("stats overlay on" in r.err, "Ctrl+Alt+Shift+S did not show the overlay", r)
            got = [l for l in s.inputs() if not l.startswith("mouse-")]
            expect_log(got, [
                "key down code=0x80a2 mods=0x02 flags=0x00",
                "key down code=0x80a4 mods=0x06 flags=0x00",
                "key down code=0x80a0 mods=0x07 flags=0x00",
                # +Z: released; every held key lifted
                "key up code=0x80a0 mods=0x00 flags=0x00",
                "key up code=0x80a2 mods=0x00 flags=0x00",
                "key up code=0x80a4 mods=0x00 flags=0x00",
                # captured again by the click: B goes
                "key down code=0x8042 mods=0x00 flags=0x00",
                "key up code=0x8042 mods=0x00 flags=0x00",
                "key down code=0x80a2 mods=0x02 flags=0x00",
                "key down code=0x80a4 mods=0x06 flags=0x00",
                "key down code=0x80a0 mods=0x07 flags=0x00",
                # +Q: the stream ends; held keys are lifted on the way out
                "key up code=0x80a0 mods=0x00 flags=0x00",
                "key up code=0x80a2 mods=0x00 flags=0x00",
                "key up code=0x80a4 mods=0x00 flags=0x00",
            ], r)
    finally:
        s.stop()


PRESENT_DELAY_MS = 3000


def slow_present(ctx):
    """Input is never behind a present: with the placebo renderer presenting on its render
    thread, a test build makes every present take PRESENT_DELAY_MS longer (the test hook
    SKYLIGHT_TEST_PRESENT_DELAY_MS), while the script presses a key every 100 ms. The keys keep
    reaching the host one by one: no gap between two arrivals comes near a present's length
    (a main thread blocked in the present, as with --renderer sdl, holds them all until it
    returns: gaps of a whole present), and capture -> socket stays below it too."""
    from skywindow import XServer, display_env  # noqa: E402
    s = Session(ctx)
    try:
        with XServer(ctx.tmp) as x:
            env = display_env(ctx, x.display)
            env["SKYLIGHT_TEST_PRESENT_DELAY_MS"] = str(PRESENT_DELAY_MS)
            r = s.run("500 repeat 60 100 key down A\n550 repeat 60 100 key up A\n",
                      "--renderer", "placebo", env=env, headless=False)
            if "test hook: every present takes" not in r.err:
                skytest.skip("this build has no test hooks (cmake -DSKY_TEST_HOOKS=ON)")
            check("drawn on a render thread" in r.err, "placebo did not draw on a render thread", r)
            times = [int(m.group(1)) for m in
                     (re.search(r"^input key (?:down|up) code=0x8041 .* at_us=(\d+) mono_us=\d+$",
                                l)
                      for l in s.host.events("input")) if m]
            check(len(times) == 120, "the host got %d of the 120 key events" % len(times), r)
            gap_ms = max(b - a for a, b in zip(times, times[1:])) / 1000
            check(gap_ms < PRESENT_DELAY_MS / 2,
                  "input waited for a present: %.0f ms between two keys" % gap_ms, r)
            m = re.search(r"capture to socket p50/p99 ([\d.]+)/([\d.]+) ms", r.out + r.err)
            check(m and float(m.group(2)) < PRESENT_DELAY_MS / 2,
                  "capture -> socket includes a present", r)
    finally:
        s.stop()


# The script's generic pad (`pad attach N generic`: a plain joystick, vendor 0x1209 product
# 0x0001, that SDL has no mapping for) as SDL 2 names a virtual joystick: bus 0x00ff, the CRC of
# its name left out (SDL matches a mapping without one), vendor, product, version 0, 'v', 0.
# The client logs the GUID it saw with --log-level verbose ("virtual pad 0 attached (..., GUID").
GENERIC_GUID = "ff000000091200000100000000007600"
# Its buttons and axes are numbered as SDL numbers a controller's (the script's `pad N button a`
# is b0), so a mapping that binds A to b1 and B to b0 shows on the host as the other button.
GENERIC_SWAPPED = ("a:b1,b:b0,x:b2,y:b3,back:b4,guide:b5,start:b6,leftstick:b7,rightstick:b8,"
                   "leftshoulder:b9,rightshoulder:b10,dpup:b11,dpdown:b12,dpleft:b13,dpright:b14,"
                   "leftx:a0,lefty:a1,rightx:a2,righty:a3,lefttrigger:a4,righttrigger:a5,")
MAPPING_ENV = ("SDL_GAMECONTROLLERCONFIG", "SDL_GAMECONTROLLERCONFIG_FILE")
A, B = 0x1000, 0x2000


def mappings_file(ctx):
    """The config directory's gamecontrollerdb.txt (community format: comments, lines for other
    platforms, one for this one) makes the generic pad a game controller with the file's name
    and button layout; the number of mappings it added is logged."""
    s = Session(ctx)
    try:
        path = os.path.join(s.client.dir, "gamecontrollerdb.txt")
        with open(path, "w") as f:
            f.write("# Skylight test mappings\n"
                    "%s,Windows only,a:b0,b:b1,platform:Windows,\n" % GENERIC_GUID +
                    "%s,Skylight test mapping,%splatform:Linux,\n" % (GENERIC_GUID,
                                                                        GENERIC_SWAPPED))
        r = s.run("""
            100 pad attach 0 generic
            500 pad 0 button a down
            520 pad 0 button a up
            540 pad 0 button b down
            560 pad 0 button b up
        """, "--log-level", "verbose", drop=MAPPING_ENV)
        check("controller mappings %s: 1 added" % path in r.err,
              "the mappings file's count was not logged", r)
        check("gamepad 0 attached: Skylight test mapping (" in r.err,
              "the generic pad did not arrive under the file's name", r)
        pads = [l for l in s.inputs() if l.startswith("pad ")]
        expect_log(pads, [PAD % (0, 1, b, 0, 0, 0, 0, 0, 0) for b in (0, B, 0, A, 0)], r)
    finally:
        s.stop()


def mappings_broken(ctx):
    """A gamecontrollerdb.txt SDL takes nothing from is a warning naming it; the stream goes on:
    keys and a pad SDL knows arrive, the generic pad (which only a mapping makes a game
    controller) does not. A directory in the file's place is a warning too."""
    for kind in ("garbage", "directory"):
        s = Session(ctx)
        try:
            path = os.path.join(s.client.dir, "gamecontrollerdb.txt")
            if os.path.isfile(path):  # the sessions share one config directory
                os.remove(path)
            if kind == "directory":
                os.mkdir(path)
                why = "controller mappings %s: not a regular file" % path
            else:
                with open(path, "w") as f:
                    f.write("this is not a mapping\n%s,half a mapping,platform:Linux\n"
                            % GENERIC_GUID[:12])
                why = "controller mappings %s: nothing in it changed SDL's mappings" % path
            r = s.run("""
                100 pad attach 0 generic
                300 pad attach 1 xbox
                600 pad 1 button a down
                620 pad 1 button a up
                640 key down A
                660 key up A
            """, drop=MAPPING_ENV)
            check(why in r.err, "no warning naming the broken mappings file (%s)" % kind, r)
            got = s.inputs()
            arrivals = [l for l in got if l.startswith("pad-arrival ")]
            check(len(arrivals) == 1 and arrivals[0].startswith("pad-arrival 0 type=1 "),
                  "only the Xbox pad should have arrived, as pad 0: %s" % arrivals, r)
            expect_log([l for l in got if l.startswith(("pad ", "key "))], [
                PAD % (0, 1, 0, 0, 0, 0, 0, 0, 0), PAD % (0, 1, A, 0, 0, 0, 0, 0, 0),
                PAD % (0, 1, 0, 0, 0, 0, 0, 0, 0),
                "key down code=0x8041 mods=0x00 flags=0x00",
                "key up code=0x8041 mods=0x00 flags=0x00"], r)
        finally:
            s.stop()


def mappings_env(ctx):
    """SDL_GAMECONTROLLERCONFIG from the environment is read by SDL itself, and it outranks the
    config directory's file for the same pad (SDL keeps a user's hint over mappings added
    through its API later)."""
    s = Session(ctx)
    try:
        with open(os.path.join(s.client.dir, "gamecontrollerdb.txt"), "w") as f:
            f.write("%s,From the file,%splatform:Linux,\n" % (GENERIC_GUID, GENERIC_SWAPPED))
        env = {"SDL_GAMECONTROLLERCONFIG": "%s,From the environment,a:b0,b:b1,leftx:a0,lefty:a1,"
                                           % GENERIC_GUID}
        r = s.run("""
            100 pad attach 0 generic
            500 pad 0 button a down
            520 pad 0 button a up
        """, env=env, drop=("SDL_GAMECONTROLLERCONFIG_FILE",))
        check("gamepad 0 attached: From the environment (" in r.err,
              "the generic pad did not take the environment's mapping", r)
        pads = [l for l in s.inputs() if l.startswith("pad ")]
        expect_log(pads, [PAD % (0, 1, b, 0, 0, 0, 0, 0, 0) for b in (0, A, 0)], r)
    finally:
        s.stop()


# Xbox pad buttons on the wire.
PAD_A, PAD_X, PAD_START, PAD_BACK, PAD_LB, PAD_RB = 0x1000, 0x4000, 0x10, 0x20, 0x100, 0x200


def _mean(img, x0, y0, x1, y1):
    """The mean of r + g + b over a rectangle (every other pixel)."""
    total = n = 0
    for y in range(y0, y1, 2):
        for x in range(x0, x1, 2):
            total += sum(img.pixel(x, y))
            n += 1
    return total / n


def wait_in_file(path, text, p, timeout_s=WAIT_S):
    """Waits until the file (a running client's stderr) holds text; False if it never did (or
    the client ended first)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and p.poll() is None:
        with open(path, "rb") as f:
            if text in f.read().decode("utf-8", "replace"):
                return True
        time.sleep(0.05)
    return False


def live_script(ctx):
    """--input-script on a FIFO runs each line as the test writes it, its time counted from
    when the client read it: a key, then a pad attached and its button, each waited for at the
    host before the next line is written. A bad line is an error naming it and is skipped; the
    writer closing the FIFO ends nothing (another writer is read as the first was)."""
    s = Session(ctx)
    fifo = ctx.path("live.fifo")
    os.mkfifo(fifo)
    err_path = ctx.path("live.stderr")
    # Read and write: this open cannot wait for a reader, and lines written before the client
    # opens the FIFO wait in it.
    w = os.open(fifo, os.O_RDWR)
    try:
        p = s.client.popen("stream", s.host.addr, "--headless", "--input-script", fifo, *SMALL,
                           stderr_path=err_path)

        def steps():
            os.write(w, b"0 key down A\n20 key up A\n")
            s.host.wait_for("input key up code=0x8041 ", timeout_s=WAIT_S)
            os.write(w, b"0 pad attach 0 xbox\n")
            s.host.wait_for("input pad-arrival 0 type=1 ", timeout_s=WAIT_S)
            os.write(w, b"0 pad 0 button a down\n")
            s.host.wait_for("input " + PAD % (0, 1, A, 0, 0, 0, 0, 0, 0), timeout_s=WAIT_S)
            os.write(w, b"0 pad 0 jump\n")
            check(wait_in_file(err_path, "live.fifo:5: not a command this script takes, "
                               "skipped: 0 pad 0 jump", p), "no error naming the bad line")
            os.close(w)
            time.sleep(0.5)  # no writer at all for a while
            w2 = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # the client holds the read side
            try:
                os.write(w2, b"0 pad 0 button a up\n0 key down B\n30 key up B\n")
            finally:
                os.close(w2)
            s.host.wait_for("input key up code=0x8042 ", timeout_s=WAIT_S)

        r = end_stream(p, steps)
        check(r.rc == 0, "skylight exited with %d" % r.rc, r)
        expect_log([l for l in s.inputs() if l.startswith(("key ", "pad "))], [
            "key down code=0x8041 mods=0x00 flags=0x00",
            "key up code=0x8041 mods=0x00 flags=0x00",
            PAD % (0, 1, 0, 0, 0, 0, 0, 0, 0),
            PAD % (0, 1, A, 0, 0, 0, 0, 0, 0),
            PAD % (0, 1, 0, 0, 0, 0, 0, 0, 0),
            "key down code=0x8042 mods=0x00 flags=0x00",
            "key up code=0x8042 mods=0x00 flags=0x00",
        ], r)
    finally:
        try:
            os.close(w)
        except OSError:
            pass
        s.stop()


def menu_pad(ctx):
    """In a window: Start+Select+L1+R1 held on a pad opens the in-stream menu (logged; a
    screenshot shows the video dimmed around a dark panel with the focus ring), everything the
    host saw held is let go there at once and nothing more reaches it while the menu is open
    (the combination's release, a button pressed in the menu); d-pad down to Quit stream and A
    end the stream cleanly as the user's choice. The script is live (a FIFO): each step waits
    for the one before to show, whatever the machine's load."""
    from skywindow import XServer, display_env, near, screenshot  # noqa: E402
    s = Session(ctx)
    err_path = ctx.path("menu.stderr")
    fifo = ctx.path("menu.fifo")
    os.mkfifo(fifo)
    w = os.open(fifo, os.O_RDWR)  # lines wait in it until the client reads them
    try:
        with XServer(ctx.tmp) as x:
            env = display_env(ctx, x.display)
            p = s.client.popen("stream", s.host.addr, "--input-script", fifo, *SMALL,
                               env=env, drop=("WAYLAND_DISPLAY", "SDL_VIDEODRIVER"),
                               stderr_path=err_path)
            try:
                os.write(w, b"0 pad attach 0 xbox\n300 pad 0 button a down\n"
                            b"320 pad 0 button a up\n")
                s.host.wait_for("input " + PAD % (0, 1, 0, 0, 0, 0, 0, 0, 0), WAIT_S,
                                after=0)
                # The video, before the menu (the background alone is over 150).
                deadline = time.monotonic() + WAIT_S
                before = screenshot(ctx, x.display, "before", "Desktop - Skylight")
                while _mean(before, 0, 0, before.width, before.height) < 100:
                    check(time.monotonic() < deadline and p.poll() is None,
                          "the window did not show the video")
                    time.sleep(0.1)
                    before = screenshot(ctx, x.display, "before", "Desktop - Skylight")
                os.write(w, b"0 pad 0 button start down\n10 pad 0 button back down\n"
                            b"20 pad 0 button leftshoulder down\n"
                            b"30 pad 0 button rightshoulder down\n"
                            b"100 pad 0 axis leftx 20000\n")
                check(wait_in_file(err_path, "menu: opened", p), "the combination did not open "
                      "the menu")
                os.write(w, b"0 pad 0 button start up\n10 pad 0 button back up\n"
                            b"20 pad 0 button leftshoulder up\n"
                            b"30 pad 0 button rightshoulder up\n40 pad 0 axis leftx 0\n"
                            b"100 pad 0 button x down\n120 pad 0 button x up\n")
                # Shown on the drawing thread's next turn: screenshots until it is there.
                deadline = time.monotonic() + WAIT_S
                left_before = _mean(before, 0, before.height // 8, before.width // 4,
                                    before.height * 7 // 8)
                while True:
                    shot = screenshot(ctx, x.display, "menu", "Desktop - Skylight")
                    w_, h = shot.width, shot.height
                    # The backdrop: left of the panel, the video dimmed to well under half.
                    left_menu = _mean(shot, 0, h // 8, w_ // 4, h * 7 // 8)
                    # The panel's focus ring, light blue, in the middle half.
                    ring = sum(1 for yy in range(0, h, 2)
                               for xx in range(w_ // 4, w_ * 3 // 4, 2)
                               if near(shot.pixel(xx, yy), (90, 160, 255), 40))
                    if (left_menu < left_before * 0.6 and ring >= 20) or \
                            time.monotonic() > deadline or p.poll() is not None:
                        break
                    time.sleep(0.1)
                shot.write_png(ctx.path("menu.png"))
                check(left_menu < left_before * 0.6,
                      "the video is not dimmed around the menu (%.0f before, %.0f with it)"
                      % (left_before, left_menu))
                check(ring >= 20, "no focus ring in the menu's screenshot (%d pixels)" % ring)
                os.write(w, b"0 pad 0 button dpdown down\n20 pad 0 button dpdown up\n"
                            b"200 pad 0 button a down\n220 pad 0 button a up\n")
                r = finish(p, 120)
            finally:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        check(r.rc == 0, "skylight exited with %d" % r.rc, r)
        check("menu: quit stream" in r.err and "stream ended by the user" in r.err,
              "the menu's Quit stream did not end the stream as the user", r)
        pads = [l for l in s.inputs() if l.startswith("pad ")]
        combo = PAD_START | PAD_BACK | PAD_LB | PAD_RB
        expect_log(pads, [
            PAD % (0, 1, 0, 0, 0, 0, 0, 0, 0),
            PAD % (0, 1, PAD_A, 0, 0, 0, 0, 0, 0),
            PAD % (0, 1, 0, 0, 0, 0, 0, 0, 0),
            PAD % (0, 1, PAD_START, 0, 0, 0, 0, 0, 0),
            PAD % (0, 1, PAD_START | PAD_BACK, 0, 0, 0, 0, 0, 0),
            PAD % (0, 1, PAD_START | PAD_BACK | PAD_LB, 0, 0, 0, 0, 0, 0),
            PAD % (0, 1, combo, 0, 0, 0, 0, 0, 0),
            PAD % (0, 1, combo, 0, 0, 20000, 0, 0, 0),
            PAD % (0, 1, 0, 0, 0, 0, 0, 0, 0),  # the menu opened: all let go, then nothing
        ], r)
    finally:
        os.close(w)
        s.stop()


def menu_keyboard(ctx):
    """In a window: Ctrl+Alt+Shift+Enter opens the menu (the modifiers the host holds are let
    go), keys and pad buttons pressed in it never reach the host, Escape resumes, and input
    flows again (the key pressed after it arrives)."""
    from skywindow import XServer, display_env  # noqa: E402
    s = Session(ctx)
    try:
        with XServer(ctx.tmp) as x:
            env = display_env(ctx, x.display)
            r = s.run("""
                100 pad attach 0 xbox
                500 key down Left_Ctrl
                510 key down Left_Alt
                520 key down Left_Shift
                530 key down Return
                540 key up Return
                550 key up Left_Shift
                560 key up Left_Alt
                570 key up Left_Ctrl
                700 key down A
                710 key up A
                720 pad 0 button y down
                730 pad 0 button y up
                800 key down Escape
                810 key up Escape
                900 key down B
                910 key up B
            """, env=env, headless=False)
            check("menu: opened" in r.err and "menu: closed" in r.err,
                  "the shortcut did not open the menu, or Escape did not close it", r)
            expect_log([l for l in s.inputs() if l.startswith("key ")], [
                "key down code=0x80a2 mods=0x02 flags=0x00",
                "key down code=0x80a4 mods=0x06 flags=0x00",
                "key down code=0x80a0 mods=0x07 flags=0x00",
                # the menu opened: every held key lifted; nothing of the menu's keys and pad
                "key up code=0x80a0 mods=0x00 flags=0x00",
                "key up code=0x80a2 mods=0x00 flags=0x00",
                "key up code=0x80a4 mods=0x00 flags=0x00",
                # resumed: B goes
                "key down code=0x8042 mods=0x00 flags=0x00",
                "key up code=0x8042 mods=0x00 flags=0x00",
            ], r)
            pads = [l for l in s.inputs() if l.startswith("pad ")]
            expect_log(pads, [PAD % (0, 1, 0, 0, 0, 0, 0, 0, 0)], r)  # Y never went
    finally:
        s.stop()


if __name__ == "__main__":
    skytest.main([keyboard_mouse, absolute_mouse, gamepads, swap_ab, feedback, touch,
                  window_shortcuts, slow_present, mappings_file, mappings_broken, mappings_env,
                  live_script, menu_pad, menu_keyboard])

"""The launcher (`skylight ui`) end to end: a real window under Xvfb, driven only through a live
input script (a FIFO) as a user drives it with a pad or a keyboard, against the test host
(tests/host). What the launcher did is read from its log at --log-level verbose (the screen it
shows, what has focus, hosts online and offline, the PIN it shows, the banner's text) and from
screenshots (the focus ring, the PIN, the box art, the video, the banner); what it kept, from
its config directory (known hosts, skylight.conf, launcher.state); what it streamed, from the
test host's event lines.

Cases that need a link between network namespaces (mDNS discovery, as in test_discovery.py)
are skipped where `ip netns` is not permitted; the others run on loopback.

    python3 test_launcher.py SKYLIGHT SAMPLES_DIR CASE     (SKY_TESTHOST names the test host)
"""

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skytest  # noqa: E402
from skytest import check, fail  # noqa: E402
from skywindow import XServer, display_env, near, screenshot  # noqa: E402
from test_discovery import HOST_V4, Link, run_sender, start_host, stop_sender  # noqa: E402
from testhost import Client, TestHost  # noqa: E402

WAIT_S = 60  # for a log line or a screenshot to show what it should (sanitizer builds are slow)

# Ids chosen so the test host's box art colours (id bytes as R, G, B) are known.
DESKTOP_ID, OTHER_ID = 0x30A0E0, 0x20C060
APPS = "Desktop=%d,Other=%d" % (DESKTOP_ID, OTHER_ID)
BOXART = "%d=png,%d=png" % (DESKTOP_ID, OTHER_ID)


def art_colour(appid):
    return (appid & 0xFF, appid >> 8 & 0xFF, appid >> 16 & 0xFF)


# The launcher's colours (client/ui/launcher.c).
C_BG = (0x12, 0x16, 0x1C)
C_PANEL = (0x1F, 0x26, 0x30)
C_ACCENT = (0x4F, 0xC3, 0xF7)
C_TEXT = (0xEC, 0xEF, 0xF4)
C_BAD = (0xEF, 0x53, 0x50)
BANNER_OK, BANNER_ERROR = (0x1F, 0x3A, 0x2A), (0x5A, 0x1F, 0x1F)


# ---------------------------------------------------------------------------------------------
# The screens' geometry (client/ui/launcher.c: u = min(w, h) / 54, tiles in a centred grid)

def unit(img):
    return max(8, min(img.width, img.height) // 54)


def tile(img, i, tile_w_u, tile_h_u):
    """(x, y, w, h) of the i-th tile of a grid (no scrolling)."""
    u = unit(img)
    tw, th = tile_w_u * u, tile_h_u * u
    cols = max(1, (img.width - 4 * u + u) // (tw + u))
    x0 = (img.width - (cols * tw + (cols - 1) * u)) // 2
    return x0 + (i % cols) * (tw + u), 6 * u + (i // cols) * (th + u), tw, th


def host_tile(img, i):
    return tile(img, i, 20, 9)


def app_tile(img, i):
    return tile(img, i, 12, 19)


def count(img, rect, want, tol=24, step=1):
    """Pixels in rect (x, y, w, h) within tol of colour want."""
    x0, y0, w, h = rect
    x1, y1 = min(x0 + w, img.width), min(y0 + h, img.height)
    return sum(1 for y in range(max(y0, 0), y1, step) for x in range(max(x0, 0), x1, step)
               if near(img.pixel(x, y), want, tol))


def ring_sides(img, rect):
    """Accent pixels on each side (left, right, top, bottom) of the band around a tile where
    its focus ring is drawn, each as a fraction of the side's length."""
    x, y, w, h = rect
    b = unit(img) // 4 + 2
    bands = [(x - b, y, b, h), (x + w, y, b, h), (x, y - b, w, b), (x, y + h, w, b)]
    return [count(img, r, C_ACCENT, 40) / max(r[2], r[3]) for r in bands]


def ring_around(img, rect):
    """True when the focus ring goes all around the tile (a line of pixels on each side)."""
    return min(ring_sides(img, rect)) >= 0.9


def mean(img, rect, step=4):
    x0, y0, w, h = rect
    vals = [sum(img.pixel(x, y)) for y in range(y0, y0 + h, step) for x in range(x0, x0 + w, step)]
    return sum(vals) / len(vals)


# ---------------------------------------------------------------------------------------------
# The launcher

class Launcher:
    """skylight ui in a 1280x720 window on `display`, with its own config directory (client),
    its input a live script on a FIFO, its log (verbose) in a file read as it grows. prefix:
    what runs it (nsenter into a namespace)."""

    def __init__(self, ctx, client, display, args=(), prefix=(), name="launcher"):
        self.ctx = ctx
        self.display = display
        self.fifo = ctx.path(name + ".fifo")
        if not os.path.exists(self.fifo):
            os.mkfifo(self.fifo)
        # Read and write: never waits for the launcher, and lines wait in the FIFO until read.
        self.w = os.open(self.fifo, os.O_RDWR)
        self.err_path = ctx.path(name + ".stderr")
        self.out_path = ctx.path(name + ".stdout")
        self.cmd = list(prefix) + [
            ctx.skylight, "ui", "--window-mode", "windowed", "--window-width", "1280",
            "--window-height", "720", "--log-level", "verbose", "--input-script", self.fifo
        ] + list(args)
        env = client.env(display_env(ctx, display), drop=("WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))
        with open(self.err_path, "wb") as err, open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, env=env, cwd=ctx.tmp,
                                         start_new_session=True)
        self.t0 = time.monotonic()

    # -- the log

    def log(self):
        """The whole lines logged so far."""
        with open(self.err_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        return text[:text.rfind("\n") + 1]

    def mark(self):
        return len(self.log())

    def result(self):
        with open(self.out_path, "rb") as f:
            out = f.read().decode("utf-8", "replace")
        with open(self.err_path, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        return skytest.Result(self.cmd, self.proc.returncode, out, err,
                              time.monotonic() - self.t0)

    def wait_log(self, pattern, after=0, timeout_s=WAIT_S, what=None):
        """The first match of the regex in the log from offset `after` (a mark()) on, waiting
        for it; fails if the launcher ends first or it never comes."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout_s
        while True:
            m = rx.search(self.log(), after)
            if m:
                return m
            if self.proc.poll() is not None:
                m = rx.search(self.log(), after)
                if m:
                    return m
                self._check_sanitizer()
                fail("the launcher ended before it logged %s" % (what or repr(pattern)),
                     self.result())
            if time.monotonic() > deadline:
                fail("the launcher never logged %s within %d s" % (what or repr(pattern),
                                                                   timeout_s), self.result())
            time.sleep(0.05)

    def logged(self, pattern, after=0):
        return re.search(pattern, self.log()[after:], re.M) is not None

    # -- input

    def send(self, *lines):
        os.write(self.w, ("\n".join(lines) + "\n").encode())

    def key(self, name):
        """A key pressed and let go in one round (no repeat can start)."""
        self.send("0 key down %s" % name, "0 key up %s" % name)

    def button(self, name, pad=0):
        self.send("0 pad %d button %s down" % (pad, name), "0 pad %d button %s up" % (pad, name))

    def press(self, expect, key=None, button=None):
        """A key or a pad button; waits for the log line (regex) it should bring."""
        at = self.mark()
        if key:
            self.key(key)
        else:
            self.button(button)
        return self.wait_log(expect, at)

    def attach_pad(self):
        at = self.mark()
        self.send("0 pad attach 0 xbox")
        self.wait_log(r"\[ui\] verbose: gamepad ", at, what="the pad opened")

    # -- screenshots

    def shot(self, label, check_image, window="Skylight"):
        """Screenshots the window until check_image(img) passes (it fails while the window does
        not show it yet); the last one is kept as a PNG for a failure, whose message it adds."""
        deadline = time.monotonic() + WAIT_S
        name = label.replace(" ", "-")
        while True:
            img = screenshot(self.ctx, self.display, name, window, deadline=deadline)
            try:
                return check_image(img)
            except skytest.Failure as e:
                if time.monotonic() < deadline and self.proc.poll() is None:
                    time.sleep(0.2)
                    continue
                where = self.ctx.path(name + ".png")
                img.write_png(where)
                keep = os.environ.get("SKYTEST_KEEP")
                if keep:
                    shutil.copy(where, keep)
                raise skytest.Failure("%s: %s\n  (SKYTEST_KEEP=FILE.png keeps the screenshot)"
                                      % (label, e))

    # -- the end

    def _check_sanitizer(self):
        r = self.result()
        rep = skytest.sanitizer_report(r)
        check(rep is None, "sanitizer report: %s" % rep, r)

    def wait_exit(self, timeout_s=WAIT_S):
        """Waits for the launcher to end by itself; exit status 0, no sanitizer report."""
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            fail("the launcher did not exit within %d s" % timeout_s, self.result())
        self._check_sanitizer()
        check(self.proc.returncode == 0, "the launcher exited with %s" % self.proc.returncode,
              self.result())
        return self.result()

    def terminate(self):
        check(self.proc.poll() is None, "the launcher ended by itself", self.result())
        self.proc.send_signal(signal.SIGTERM)
        return self.wait_exit()

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def close(self):
        self.kill()
        if self.w is not None:
            os.close(self.w)
            self.w = None


def stop_host(host):
    """Stops a test host that may already be dead (killed by the case)."""
    if host.p.poll() is None:
        host.stop()
    else:
        host.err.close()


def uniqueid_of(host):
    with open(os.path.join(host.state, "uniqueid")) as f:
        return f.read().strip()


def known_host(client, uniqueid, address, name=""):
    """A known host, not paired, in the file `skylight pair` would write (client/host/hosts.c);
    with no name the launcher shows its address until it answers."""
    d = os.path.join(client.dir, "hosts")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, uniqueid + ".conf"), "w") as f:
        f.write("uniqueid = %s\nname = %s\naddress = %s\nhttps_port = 47984\nmac = \n"
                "paired = no\n" % (uniqueid, name, address))


# What a screenshot should show

def host_focused(i):
    def check_image(img):
        sides = ring_sides(img, host_tile(img, i))
        check(min(sides) >= 0.9, "no focus ring around host tile %d (accent pixels per side "
              "and length: %s)" % (i, ["%.2f" % v for v in sides]))
    return check_image


def pin_shown(img):
    """The PIN, huge and in the accent colour, in the middle under the title."""
    u = unit(img)
    n = count(img, (img.width // 2 - 5 * u, 7 * u, 10 * u, 9 * u), C_ACCENT, 40)
    check(n >= 300, "no PIN in the accent colour in the middle (%d pixels)" % n)


def art_shown(i, appid):
    def check_image(img):
        x, y, w, h = app_tile(img, i)
        u = unit(img)
        # the middle of the art (above the title), clear of the rounded corners
        inner = (x + w // 4, y + (h - 3 * u) // 4, w // 2, (h - 3 * u) // 2)
        n = count(img, inner, art_colour(appid), 12)
        check(n >= inner[2] * inner[3] * 0.9, "app tile %d does not show the art's colour %r "
              "(%d of %d pixels; the middle is %r)" % (i, art_colour(appid), n,
                                                        inner[2] * inner[3],
                                                        img.pixel(x + w // 2, y + h // 3)))
    return check_image


def video_shown(img):
    """The test pattern, not the launcher's screens (their mean is under 100, the pattern's
    over 150; test_input.py)."""
    m = mean(img, (0, 0, img.width, img.height))
    bg = count(img, (0, 0, img.width, img.height), C_BG, 4, step=8)
    check(m > 100 and bg < (img.width // 8) * (img.height // 8) // 4,
          "the window does not show the video (mean %.0f, %d launcher-background samples)"
          % (m, bg))


def banner_shown(colour):
    def check_image(img):
        u = unit(img)
        r = (2 * u + u, img.height - 4 * u + u // 2, img.width - 6 * u, 2 * u)
        n = count(img, r, colour, 12)
        check(n >= r[2] * r[3] // 3, "no banner in %r at the bottom (%d of %d pixels; at its "
              "start %r)" % (colour, n, r[2] * r[3], img.pixel(r[0], r[1] + u)))
    return check_image


# ---------------------------------------------------------------------------------------------
# The in-stream menu (client/ui/stream_menu.c): items Resume, Quit stream, Quit app, ...

PAD_COMBO = ["%d pad 0 button %s down" % (10 * i, b)
             for i, b in enumerate(("start", "back", "leftshoulder", "rightshoulder"))] + \
            ["%d pad 0 button %s up" % (600 + 10 * i, b)
             for i, b in enumerate(("start", "back", "leftshoulder", "rightshoulder"))]
KEY_COMBO = ["%d key down %s" % (10 * i, k)
             for i, k in enumerate(("Left_Ctrl", "Left_Alt", "Left_Shift", "Return"))] + \
            ["%d key up %s" % (100 + 10 * i, k)
             for i, k in enumerate(("Return", "Left_Shift", "Left_Alt", "Left_Ctrl"))]
# Down to Quit stream, then select it; written once the menu opened. A live script runs what
# waits in time order, and a line's time counts from when it was read: these times are past the
# combination's last release (read earlier), so they come after it (a Down with Ctrl+Alt+Shift
# still held is the game's shortcut space, which the menu leaves alone).
MENU_QUIT_PAD = ["700 pad 0 button dpdown down", "700 pad 0 button dpdown up",
                 "900 pad 0 button a down", "900 pad 0 button a up"]
MENU_QUIT_KEYS = ["300 key down Down", "300 key up Down", "500 key down Return",
                  "500 key up Return"]


def check_known(client, host, name):
    uid = uniqueid_of(host)
    files = client.host_files()
    check(uid + ".conf" in files and uid + ".pem" in files,
          "the paired host's files are not in the config directory: %r" % files)
    with open(os.path.join(client.dir, "hosts", uid + ".conf")) as f:
        conf = f.read()
    check("paired = yes" in conf and ("name = %s\n" % name) in conf,
          "the known-host file does not say paired with %s:\n%s" % (name, conf))
    with open(os.path.join(client.dir, "launcher.state")) as f:
        state = f.read()
    check(state == "last_host = %s\n" % uid, "launcher.state: %r, expected host %s" % (state, uid))


# ---------------------------------------------------------------------------------------------

def gamepad_flow(ctx):
    """From a clean config, with a pad alone: the host found by mDNS over a veth link shows
    with the focus ring; A pairs (the PIN on screen entered on the host); the apps show with
    their box art; A streams; the pad's combination opens the in-stream menu, Quit stream ends
    it and the launcher shows why; B back, Start opens the sheet, Quit Skylight ends it (0).
    The host is known and paired afterwards, and launcher.state names it."""
    with Link() as link, XServer(ctx.tmp) as x:
        host = TestHost(ctx, bind="::", http_port=47989, prefix=link.run_in(link.host),
                        args=["--mdns", "--hostname", "Den PC", "--apps", APPS,
                              "--boxart", BOXART])
        client = Client(ctx)
        ui = None
        try:
            ui = Launcher(ctx, client, x.display, prefix=link.run_in(link.client),
                          args=["--mdns-backend", "mdns"])
            ui.wait_log(r"launcher open: 0 known hosts, discovery by mdns$")
            ui.attach_pad()
            # (the default port is left out of an address)
            ui.wait_log(r"host Den PC is online \(%s(:47989)?, not paired\)" % re.escape(HOST_V4))
            ui.wait_log(r"focus host 'Den PC' on hosts$")
            ui.shot("host found", host_focused(0))

            at = ui.mark()
            ui.button("a")
            pin = ui.wait_log(r"pairing with Den PC: enter PIN (\d{4}) on the host$", at).group(1)
            ui.wait_log(r"screen pair$", at)
            ui.shot("pin", pin_shown)
            host.command("pin " + pin)
            ui.wait_log(r"paired with Den PC$", at)
            ui.wait_log(r"screen apps$", at)
            ui.wait_log(r"2 apps on Den PC, focus 'Desktop'$", at)
            ui.shot("box art", art_shown(0, DESKTOP_ID))

            at, hat = ui.mark(), host.mark()
            ui.button("a")
            ui.wait_log(r"launching Desktop on Den PC$", at)
            host.wait_for("launch appid=%d " % DESKTOP_ID, WAIT_S, after=hat)
            ui.shot("video", video_shown, window="Desktop - Skylight")

            at = ui.mark()
            ui.send(*PAD_COMBO)
            ui.wait_log(r"menu: opened$", at)
            ui.send(*MENU_QUIT_PAD)
            ui.wait_log(r"menu: quit stream$", at)
            ui.wait_log(r"\[ui\] info: Stream ended by the user\.$", at)
            ui.wait_log(r"screen apps$", at)
            ui.shot("banner", banner_shown(BANNER_OK))

            ui.press(r"focus host 'Den PC' on hosts$", button="b")
            quit_from_sheet(ui, {"button": "start"}, {"button": "dpdown"}, {"button": "a"})
        finally:
            if ui:
                ui.close()
            stop_host(host)
        check_known(client, host, "Den PC")


def quit_from_sheet(ui, open_it, down, choose):
    """Opens the hosts screen's sheet, moves down to Quit Skylight and chooses it: the launcher
    exits 0. Each argument is press()'s key= or button=."""
    m = ui.press(r"focus sheet '([^']*)' on hosts$", **open_it)
    for _ in range(8):
        if m.group(1) == "Quit Skylight":
            break
        m = ui.press(r"focus sheet '([^']*)' on hosts$", **down)
    check(m.group(1) == "Quit Skylight", "no Quit Skylight in the sheet", ui.result())
    if "key" in choose:
        ui.key(choose["key"])
    else:
        ui.button(choose["button"])
    ui.wait_exit()


def keyboard_flow(ctx):
    """A keyboard alone, on loopback, from a clean config: "Add a host", the address typed,
    the host online and not paired; Return pairs (the PIN from the screen entered on the
    host), Return on the first app streams, Ctrl+Alt+Shift+Return opens the in-stream menu,
    Down and Return quit the stream; back on the apps with the reason; Escape to the hosts;
    F10 opens the sheet, whose Quit Skylight ends it (0)."""
    host = TestHost(ctx, args=["--apps", APPS, "--boxart", BOXART])
    client = Client(ctx)
    ui = None
    try:
        with XServer(ctx.tmp) as x:
            ui = Launcher(ctx, client, x.display)
            ui.wait_log(r"launcher open: 0 known hosts")
            m = ui.wait_log(r"focus (add a host|settings|host '[^']*') on hosts$")
            # With no host known, "Add a host" is the first tile; one found on this machine's
            # network (not the test's) would come first.
            for _ in range(70):
                if m.group(1) == "add a host":
                    break
                m = ui.press(r"focus (add a host|settings|host '[^']*') on hosts$",
                             key="Left" if m.group(1) == "settings" else "Right")
            check(m.group(1) == "add a host", "could not reach Add a host", ui.result())
            ui.press(r"screen add$", key="Return")
            at = ui.mark()
            ui.send("0 text 127.0.0.1:%d" % host.http)
            ui.key("Return")
            ui.wait_log(r"added host 127\.0\.0\.1:%d$" % host.http, at)
            ui.wait_log(r"screen hosts$", at)
            ui.wait_log(r"host skylight-testhost is online \(127\.0\.0\.1:%d, not paired\)"
                        % host.http, at)
            ui.wait_log(r"focus host 'skylight-testhost' on hosts$", at)

            at = ui.mark()
            ui.key("Return")
            pin = ui.wait_log(r"pairing with skylight-testhost: enter PIN (\d{4}) on the host$",
                              at).group(1)
            ui.shot("pin", pin_shown)
            host.command("pin " + pin)
            ui.wait_log(r"paired with skylight-testhost$", at)
            ui.wait_log(r"2 apps on skylight-testhost, focus 'Desktop'$", at)
            ui.shot("box art", art_shown(0, DESKTOP_ID))

            at, hat = ui.mark(), host.mark()
            ui.key("Return")
            ui.wait_log(r"launching Desktop on skylight-testhost$", at)
            host.wait_for("launch appid=%d " % DESKTOP_ID, WAIT_S, after=hat)
            ui.shot("video", video_shown, window="Desktop - Skylight")
            ui.send(*KEY_COMBO)
            ui.wait_log(r"menu: opened$", at)
            ui.send(*MENU_QUIT_KEYS)
            ui.wait_log(r"menu: quit stream$", at)
            ui.wait_log(r"\[ui\] info: Stream ended by the user\.$", at)
            ui.wait_log(r"screen apps$", at)
            ui.shot("banner", banner_shown(BANNER_OK))
            at = ui.mark()
            ui.key("Escape")
            ui.wait_log(r"screen hosts$", at)
            ui.wait_log(r"focus host 'skylight-testhost' on hosts$", at)
            quit_from_sheet(ui, {"key": "F10"}, {"key": "Down"}, {"key": "Return"})
    finally:
        if ui:
            ui.close()
        stop_host(host)
    check_known(client, host, "skylight-testhost")


def conf_sections(path):
    """skylight.conf as {section or None: {key: value}}."""
    out, section = {None: {}}, None
    with open(path) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1].strip()
                out.setdefault(section, {})
            elif "=" in line:
                k, v = (s.strip() for s in line.split("=", 1))
                out[section][k] = v
    return out


def settings_persist(ctx):
    """The settings screen writes skylight.conf: Frame rate for all hosts (a global line), the
    Resolution for one host (its [host NAME] section, through the apps screen's sheet and
    "Settings for this host", "Applies to" switched away and back); after a restart the
    screen shows both values in effect, and a stream started from the launcher asks the host
    for that mode."""
    host = TestHost(ctx, args=["--pin", "1234", "--hostname", "Study PC", "--apps", APPS])
    client = Client(ctx)
    conf = os.path.join(client.dir, "skylight.conf")
    ui = None
    try:
        client.pair(host)
        with XServer(ctx.tmp) as x:
            ui = Launcher(ctx, client, x.display)
            ui.wait_log(r"launcher open: 1 known hosts")
            ui.wait_log(r"focus host 'Study PC' on hosts$")  # the only paired host
            ui.press(r"focus add a host on hosts$", key="Right")
            ui.press(r"focus settings on hosts$", key="Right")
            ui.press(r"focus setting 'Resolution' = 'The display's' on settings$", key="Return")
            ui.press(r"focus setting 'Frame rate' = 'The display's' on settings$", key="Down")
            ui.press(r"setting 'Frame rate' = 30$", key="Right")
            ui.wait_log(r"focus setting 'Frame rate' = '30' on settings$")
            got = conf_sections(conf)
            check(got[None].get("fps") == "30", "skylight.conf has no global fps = 30: %r" % got)

            # The host's own settings, from the apps screen's sheet (a pad's Start; the
            # keyboard's F10 in keyboard_flow).
            ui.press(r"screen hosts$", key="Escape")
            ui.press(r"focus add a host on hosts$", key="Left")
            ui.press(r"focus host 'Study PC' on hosts$", key="Left")
            ui.press(r"2 apps on Study PC, focus 'Desktop'$", key="Return")
            ui.attach_pad()
            ui.press(r"focus sheet 'Play' on apps$", button="start")
            ui.press(r"focus sheet 'Settings for this host' on apps$", button="dpdown")
            ui.press(r"focus setting 'Applies to' = 'Study PC' on settings$", button="a")
            ui.press(r"focus setting 'Applies to' = 'All hosts' on settings$", button="dpright")
            ui.press(r"focus setting 'Applies to' = 'Study PC' on settings$", button="dpright")
            ui.press(r"focus setting 'Resolution' = 'The display's \(all hosts\)' on settings$",
                     button="dpdown")
            ui.press(r"focus setting 'Resolution' = 'The display's' on settings$",
                     button="dpright")
            ui.press(r"focus setting 'Resolution' = '1280 x 720' on settings$", button="dpright")
            ui.press(r"setting 'Resolution' = 1280x800 for Study PC$", button="dpright")
            ui.wait_log(r"focus setting 'Resolution' = '1280 x 800' on settings$")
            ui.press(r"focus setting 'Frame rate' = '30 \(all hosts\)' on settings$",
                     button="dpdown")
            got = conf_sections(conf)
            check(got.get("host Study PC", {}).get("width") == "1280" and
                  got["host Study PC"].get("height") == "800",
                  "no width/height in [host Study PC]: %r" % got)
            check("width" not in got[None] and got[None].get("fps") == "30",
                  "the global section changed: %r" % got)
            ui.terminate()
            ui.close()

            # A new launcher: the values in effect, and the stream asks for them.
            ui = Launcher(ctx, client, x.display, name="again")
            ui.wait_log(r"focus host 'Study PC' on hosts$")
            ui.press(r"2 apps on Study PC, focus 'Desktop'$", key="Return")
            ui.attach_pad()
            ui.press(r"focus sheet 'Play' on apps$", button="start")
            ui.press(r"focus sheet 'Settings for this host' on apps$", button="dpdown")
            ui.press(r"focus setting 'Applies to' = 'Study PC' on settings$", button="a")
            ui.press(r"focus setting 'Resolution' = '1280 x 800' on settings$", button="dpdown")
            ui.press(r"focus setting 'Frame rate' = '30 \(all hosts\)' on settings$",
                     button="dpdown")
            ui.press(r"screen apps$", button="b")
            hat = host.mark()
            ui.press(r"launching Desktop on Study PC$", key="Return")
            launch = host.wait_for("launch appid=%d " % DESKTOP_ID, WAIT_S, after=hat)
            check(" mode=1280x800x30 " in launch, "the stream did not ask for the host's "
                  "resolution and the global frame rate: %r" % launch)
            ui.shot("video", video_shown, window="Desktop - Skylight")
            ui.terminate()  # mid-stream: the stream ends, then the launcher
    finally:
        if ui:
            ui.close()
        stop_host(host)


def host_vanishes(ctx):
    """A paired host killed (SIGKILL) as the stream is chosen: the launcher says why on its
    banner (a warning), stays responsive (a key moves the focus), shows the host offline on
    the hosts screen (log, and the tile's state in red), and exits 0 on SIGTERM."""
    host = TestHost(ctx, args=["--pin", "1234", "--apps", APPS])
    client = Client(ctx)
    ui = None
    try:
        client.pair(host)
        with XServer(ctx.tmp) as x:
            ui = Launcher(ctx, client, x.display, args=["--timeout", "5"])
            ui.wait_log(r"focus host 'skylight-testhost' on hosts$")
            ui.wait_log(r"host skylight-testhost is online")
            ui.press(r"2 apps on skylight-testhost, focus 'Desktop'$", key="Return")
            at = ui.mark()
            ui.key("Return")
            ui.wait_log(r"launching Desktop on skylight-testhost$", at)
            os.killpg(host.p.pid, signal.SIGKILL)
            host.p.wait()
            reason = ui.wait_log(r"\[ui\] warn: (.+)$", at).group(1)
            ui.wait_log(r"screen apps$", at)
            ui.shot("banner", banner_shown(BANNER_ERROR))
            ui.press(r"focus app 'Other' on apps$", key="Right")
            ui.press(r"screen hosts$", key="Escape")
            ui.wait_log(r"host skylight-testhost is offline: ", at)

            def offline(img):
                x0, y0, w, h = host_tile(img, 0)
                n = count(img, (x0, y0 + 3 * unit(img), w, 3 * unit(img)), C_BAD, 30)
                check(n >= 40, "the host's tile does not show it offline in red (%d pixels)" % n)
            ui.shot("offline", offline)
            ui.press(r"focus add a host on hosts$", key="Right")
            r = ui.terminate()
    finally:
        if ui:
            ui.close()
        stop_host(host)
    check("Stream ended by the user" not in r.err, "the failure was called the user's choice: "
          "%r" % reason, r)


class SilentServer:
    """A TCP server on loopback that accepts connections, reads what comes and never answers;
    it notes when each connection opened and closed (the client gave up)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.opened = 0
        self.closed = 0
        self.stop_r, self.stop_w = os.pipe()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        conns = []
        while True:
            ready = select.select([self.sock, self.stop_r] + conns, [], [])[0]
            if self.stop_r in ready:
                break
            if self.sock in ready:
                c, _ = self.sock.accept()
                conns.append(c)
                with self.lock:
                    self.opened += 1
            for c in [c for c in ready if c in conns]:
                try:
                    data = c.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    conns.remove(c)
                    c.close()
                    with self.lock:
                        self.closed += 1
        for c in conns:
            c.close()

    def state(self):
        with self.lock:
            return self.opened, self.closed

    def stop(self):
        os.write(self.stop_w, b"x")
        self.thread.join(10)
        self.sock.close()
        os.close(self.stop_r)
        os.close(self.stop_w)


def slow_host(ctx):
    """A known host that accepts connections and never answers, with --timeout 2: while its
    request hangs (the connection still open), key presses move the focus; once the request
    timed out the host is offline (log, and its tile's state in red); SIGTERM ends it (0)."""
    server = SilentServer()
    client = Client(ctx)
    known_host(client, "slowhost0001", "127.0.0.1:%d" % server.port, name="Slow PC")
    ui = None
    try:
        with XServer(ctx.tmp) as x:
            ui = Launcher(ctx, client, x.display, args=["--timeout", "2"])
            ui.wait_log(r"launcher open: 1 known hosts")
            ui.wait_log(r"focus host 'Slow PC' on hosts$")
            # Keys pressed while a request hangs: the focus follows while its connection is
            # still open (on a machine too slow for that within the 2 s, on the next request).
            keys = ["Right", "Left"]
            moved_while_hanging = 0
            deadline = time.monotonic() + 4 * WAIT_S
            while moved_while_hanging < 2 and time.monotonic() < deadline:
                opened, closed = server.state()
                if opened == closed:
                    time.sleep(0.02)
                    continue
                key = keys[moved_while_hanging % 2]
                want = "add a host" if key == "Right" else "host 'Slow PC'"
                ui.press(r"focus %s on hosts$" % want, key=key)
                if server.state()[1] == closed:  # the hanging request has not given up
                    moved_while_hanging += 1
            check(moved_while_hanging == 2, "the focus never moved while a request hung",
                  ui.result())
            m = ui.wait_log(r"host Slow PC is offline: (.+)$")
            check(server.state()[1] >= 1, "offline before the request gave up")

            def offline(img):
                x0, y0, w, h = host_tile(img, 0)
                n = count(img, (x0, y0 + 3 * unit(img), w, 3 * unit(img)), C_BAD, 30)
                check(n >= 40, "the tile does not show the host offline in red (%d pixels)" % n)
            ui.shot("offline", offline)
            ui.terminate()
    finally:
        if ui:
            ui.close()
        server.stop()
    check("time" in m.group(1).lower(), "the offline reason does not say it timed out: %r"
          % m.group(1))


LONG_NAME = "Long " + "".join(chr(ord("a") + i % 26) for i in range(114))  # 119 bytes


def many_hosts(ctx):
    """300 hosts announced by mDNS: the launcher lists a bounded number (discovery keeps 32),
    stays responsive (pages through them to the last tile) and draws them. Then, in a second
    run, a host whose name is long (its mDNS name cut to a label, its serverinfo name 119
    bytes), one whose serverinfo name has control characters (shown replaced) and one whose
    name makes its reply invalid XML (C0 controls, bytes that are not UTF-8: offline, saying
    so): all listed, names drawn inside their tiles, nothing crashes. (Names with control
    characters in mDNS answers are dropped by the client's discovery, so those two are known
    hosts, found by their addresses.)"""
    with Link() as link, XServer(ctx.tmp) as x:
        client = Client(ctx)
        sender = run_sender(ctx, link, "flood")
        ui = None
        try:
            ui = Launcher(ctx, client, x.display, prefix=link.run_in(link.client),
                          args=["--mdns-backend", "mdns", "--timeout", "2"])
            ui.wait_log(r"focus host 'Flood\d{3}' on hosts$")
            ui.wait_log(r"host Flood\d{3} is offline")
            # Page Down moves 8 tiles (2 rows of 4) from the first: "Settings", the last tile,
            # is reached within k pages when there are at most 8k - 1 hosts, and "Add a host"
            # (index = the number of hosts) seen on the way says how many exactly.
            seen = []
            for _ in range(12):
                m = ui.press(r"focus (host '[^']*'|add a host|settings) on hosts$",
                             key="PageDown")
                seen.append(m.group(1))
                if m.group(1) == "settings":
                    break
            check(seen[-1] == "settings" and len(seen) <= 5,
                  "paging did not reach the last tile within 5 pages (at most 39 hosts): %r"
                  % seen, ui.result())
            if "add a host" in seen:
                n = 8 * (seen.index("add a host") + 1)
                check(n <= 32, "%d hosts listed (discovery keeps 32)" % n, ui.result())

            def drawn(img):
                check(any(ring_around(img, host_tile(img, i)) for i in range(16)),
                      "no focus ring around a tile")
                tiles = count(img, (0, 0, img.width, img.height), C_PANEL, 6, step=4)
                check(tiles >= 2000, "too few tiles drawn (%d samples)" % tiles)
            ui.shot("flood", drawn)
            r = ui.terminate()
        finally:
            out = stop_sender(sender)
            if ui:
                ui.close()
        check("burst" in out, "the sender never saw the launcher's queries")
        polled = set(re.findall(r"host (Flood\d{3}) is (?:offline|online)", r.err))
        check(1 <= len(polled) <= 32, "%d hosts listed from the flood (discovery keeps 32)"
              % len(polled), r)

        # Names: a long one (mDNS and serverinfo); control characters XML lets through (tab,
        # newline, DEL, C1 controls) and, from another host, ones it does not (C0 controls,
        # bytes that are not UTF-8: the reply cannot be parsed, so that host is offline).
        ctl_name = "Ctl\tTab\nNl\x7fDel\u009b31mCsi\u0085 end"
        bad_name = os.fsdecode(b"Bad\x07\x1b[31mRed \xff\xfe end")
        hosts, ui = [], None
        try:
            hosts.append(start_host(ctx, link, LONG_NAME))
            for state, name in (("ctl", ctl_name), ("bad", bad_name)):
                hosts.append(TestHost(ctx, state=state, bind=HOST_V4,
                                      prefix=link.run_in(link.host), args=["--hostname", name]))
                known_host(client, uniqueid_of(hosts[-1]), "%s:%d" % (HOST_V4, hosts[-1].http))
            ctl_host, bad_host = hosts[1:]
            ui = Launcher(ctx, client, x.display, prefix=link.run_in(link.client),
                          args=["--mdns-backend", "mdns", "--timeout", "2"], name="names")
            shown = ui.wait_log(r"host (Ctl.*) is online \(%s:%d, not paired\)"
                                % (re.escape(HOST_V4), ctl_host.http)).group(1)
            check(shown.startswith("Ctl?Tab?Nl?Del") and shown.endswith(" end") and
                  not re.search(r"[\x00-\x1f\x7f]", shown),
                  "the name's control characters were not replaced: %r" % shown)
            ui.wait_log(r"host %s:%d is offline: .*not valid XML"
                        % (re.escape(HOST_V4), bad_host.http))
            ui.wait_log(r"host %s is online \(%s(:47989)?, not paired\)"
                        % (LONG_NAME, re.escape(HOST_V4)))

            def names_drawn(img):
                u = unit(img)
                for i in range(3):  # the two known hosts (in the directory's order), the found one
                    x0, y0, w, h = host_tile(img, i)
                    n = count(img, (x0 + u, y0 + u, w - 2 * u, 3 * u), C_TEXT, 40)
                    check(n >= 60, "no name drawn in tile %d (%d pixels)" % (i, n))
                    # A long name stays inside its tile: nothing in the gap to the next.
                    gap = count(img, (x0 + w + 1, y0, u - 2, 4 * u), C_TEXT, 60)
                    check(gap == 0, "tile %d's name is drawn outside it (%d pixels)" % (i, gap))
            ui.shot("names", names_drawn)
            for _ in range(3):
                m = ui.press(r"focus host '([^']*)' on hosts$", key="Right")
                if m.group(1) == LONG_NAME:
                    break
            check(m.group(1) == LONG_NAME, "the long-named host has no tile", ui.result())
            ui.terminate()
        finally:
            if ui:
                ui.close()
            for h in reversed(hosts):
                stop_host(h)


class _Size:
    """A window's size where tile() wants a screenshot."""

    def __init__(self, width, height):
        self.width, self.height = width, height


def pointer_and_touch(ctx):
    """A mouse and a touch screen alone: the pointer moves the focus, a click chooses, the
    header's Back button is touched, a right click opens the sheet and a click beside it closes
    it, a touch opens a host's apps; an app whose box art is broken shows the neutral tile and
    is not cached."""
    host = TestHost(ctx, args=["--pin", "1234", "--apps", APPS, "--boxart",
                               "%d=png,%d=broken" % (DESKTOP_ID, OTHER_ID)])
    client = Client(ctx)
    client.pair(host)
    ui = None
    try:
        with XServer(ctx.tmp) as x:
            ui = Launcher(ctx, client, x.display)
            ui.wait_log(r"host skylight-testhost is online")
            size = _Size(1280, 720)  # the window: canvas pixels are window points here
            u = unit(size)

            def centre(rect):
                return rect[0] + rect[2] // 2, rect[1] + rect[3] // 2

            at = ui.mark()
            ui.send("0 move %d %d" % centre(host_tile(size, 2)))
            ui.wait_log(r"focus settings on hosts$", at)
            ui.send("0 button down 1", "30 button up 1")
            ui.wait_log(r"screen settings$", at)
            # The header's rightmost button (Back) ends 2 units from the right edge.
            at = ui.mark()
            bx, by = size.width - 4 * u, u + u // 2 + u
            ui.send("0 finger down 0 %.4f %.4f" % (bx / size.width, by / size.height),
                    "30 finger up 0 %.4f %.4f" % (bx / size.width, by / size.height))
            ui.wait_log(r"screen hosts$", at)
            at = ui.mark()
            ui.send("0 button down 3", "30 button up 3")
            ui.wait_log(r"focus sheet '[^']*' on hosts$", at)
            at = ui.mark()
            ui.send("0 move 5 5", "50 button down 1", "80 button up 1")
            ui.wait_log(r"focus (settings|host '[^']*') on hosts$", at)
            check(not ui.logged(r"screen ", at), "a click beside the sheet did something else",
                  ui.result())
            at = ui.mark()
            tx, ty = centre(host_tile(size, 0))
            ui.send("0 finger down 0 %.4f %.4f" % (tx / size.width, ty / size.height),
                    "30 finger up 0 %.4f %.4f" % (tx / size.width, ty / size.height))
            ui.wait_log(r"2 apps on skylight-testhost, focus 'Desktop'$", at)
            ui.wait_log(r"no box art for app %d: .*broken" % OTHER_ID, at)
            ui.shot("box art", art_shown(0, DESKTOP_ID))

            def neutral(img):
                x0, y0, w, h = app_tile(img, 1)
                uu = unit(img)
                inner = (x0 + w // 8, y0 + uu, w * 3 // 4, h - 5 * uu)
                art = count(img, inner, art_colour(OTHER_ID), 12, step=2)
                panel = count(img, inner, C_PANEL, 6, step=2)
                total = (inner[2] // 2) * (inner[3] // 2)
                check(art == 0 and panel >= total // 2, "app tile 1 is not the neutral tile "
                      "(%d art pixels, %d of %d panel)" % (art, panel, total))
            ui.shot("neutral tile", neutral)
            cached = os.path.join(client.cache, "skylight", "boxart", uniqueid_of(host))
            files = sorted(os.listdir(cached)) if os.path.isdir(cached) else []
            check(files == ["%d.png" % DESKTOP_ID], "the box-art cache holds %r" % files)
            ui.terminate()
    finally:
        if ui:
            ui.close()
        stop_host(host)


if __name__ == "__main__":
    skytest.main([gamepad_flow, keyboard_flow, settings_persist, host_vanishes, slow_host,
                  many_hosts, pointer_and_touch])

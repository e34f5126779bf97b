"""The test host (tests/host, skylight-testhost) and a skylight client with its own config
directory, for the integration scripts that talk to hosts (python3 standard library only).

SKY_TESTHOST names the test host's binary (set by tests/integration/CMakeLists.txt).
"""

import json
import os
import signal
import subprocess
import threading
import time

import skytest
from skytest import check, fail

TESTHOST = os.environ.get("SKY_TESTHOST", "")


def _crc8(data):
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc << 1 ^ 0x07 if crc & 0x80 else crc << 1) & 0xFF
    return crc


def pattern_frame_number(luma, width):
    """The frame number a test-pattern picture shows (tests/host/pattern.h's barcode), or None
    when its CRC does not check. luma(x, y) gives a pixel's brightness, 0..255."""
    b = max(16, min(64, (width // 32) & ~1))
    cols = max(1, min(32, width // b))
    half = b // 2
    word = 0
    for i in range(32):
        x0 = (i % cols) * b + b // 4
        y0 = (i // cols) * b + b // 4
        total = sum(luma(x, y) for y in range(y0, y0 + half) for x in range(x0, x0 + half))
        word = word << 1 | (1 if total / half ** 2 > 125 else 0)
    n = word >> 8
    return n if _crc8(n.to_bytes(3, "big")) == word & 0xFF else None


_running = []  # every TestHost started and not yet stopped


def _hosts_left():
    """skytest.AFTER_CASE: kills the test hosts a case did not stop, and says so."""
    left = [h for h in _running if h.p.poll() is None]
    for h in left:
        os.killpg(h.p.pid, signal.SIGKILL)
        h.p.wait()
    _running.clear()
    return "%d test host(s) still running" % len(left) if left else None


skytest.AFTER_CASE.append(_hosts_left)


class TestHost:
    """A skylight-testhost process on free ports (HTTP, HTTPS and every streaming port); its
    stdout event lines are collected as they come. `args` are extra options; the state lives in
    ctx.path(state), so a test can put files there (paired clients) before starting it."""

    def __init__(self, ctx, args=(), state="host", bind="127.0.0.1", http_port=0, prefix=()):
        """prefix: what runs the host (["ip", "netns", "exec", NS] to run it in a namespace)."""
        check(os.path.exists(TESTHOST), "SKY_TESTHOST (%r) is not the test host" % TESTHOST)
        self.state = ctx.path(state)
        os.makedirs(self.state, exist_ok=True)
        self.cmd = list(prefix) + [TESTHOST, "--state-dir", self.state, "--bind", bind,
                    "--http-port", str(http_port), "--https-port", "0", "--rtsp-port", "0",
                    "--video-port", "0", "--audio-port", "0", "--control-port", "0"] + list(args)
        self.err_path = ctx.path(state + ".stderr")
        self.err = open(self.err_path, "wb")
        self.p = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err, start_new_session=True)
        self.lines = []
        self.lock = threading.Lock()
        _running.append(self)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        ready = self.wait_for("ready ", 30)
        self.ports = {k: int(v) for k, v in (kv.split("=") for kv in ready.split()[1:])}
        self.http = self.ports["http"]
        self.https = self.ports["https"]
        self.addr = ("[%s]:%d" if ":" in bind else "%s:%d") % (bind, self.http)

    def _read(self):
        for raw in self.p.stdout:
            with self.lock:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_for(self, prefix, timeout_s=30, after=0):
        """The first event line starting with prefix among those from index `after` on (see
        mark()), waiting for it."""
        t_end = time.monotonic() + timeout_s
        while time.monotonic() < t_end:
            with self.lock:
                for line in self.lines[after:]:
                    if line.startswith(prefix):
                        return line
            if self.p.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.02)
        fail("the test host never printed %r; its last lines: %r\n  stderr: %s"
             % (prefix, self.lines[-30:], self.stderr_tail()))

    def events(self, prefix, after=0):
        """The event lines starting with prefix, from index `after` on (see mark())."""
        with self.lock:
            return [l for l in self.lines[after:] if l.startswith(prefix)]

    def mark(self):
        """The number of event lines so far (for wait_for's `after`)."""
        with self.lock:
            return len(self.lines)

    def command(self, line):
        self.p.stdin.write((line + "\n").encode())
        self.p.stdin.flush()

    def stderr_tail(self, n=3000):
        self.err.flush()
        with open(self.err_path, "rb") as f:
            return f.read()[-n:].decode("utf-8", "replace")

    def stop(self):
        """SIGTERM; the host must exit 0 within 30 s with no sanitizer report."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
                fail("the test host did not stop on SIGTERM: %s" % self.stderr_tail())
        tail = self.stderr_tail()
        self.err.close()
        rep = [l for l in open(self.err_path, encoding="utf-8", errors="replace")
               if any(m in l for m in skytest.SANITIZER_MARKS)]
        check(not rep, "the test host reported: %s" % (rep[:3],))
        check(self.p.returncode == 0, "the test host exited with %s: %s"
              % (self.p.returncode, tail))


class Client:
    """skylight with its own config directory (identity and known hosts)."""

    def __init__(self, ctx, name="client"):
        self.ctx = ctx
        self.xdg = ctx.path(name + "-xdg")
        os.makedirs(self.xdg, exist_ok=True)
        self.dir = os.path.join(self.xdg, "skylight")
        self.cache = ctx.path(name + "-cache")  # XDG_CACHE_HOME: box art under skylight/boxart

    def env(self, extra=None, drop=()):
        e = {"XDG_CONFIG_HOME": self.xdg, "XDG_CACHE_HOME": self.cache}
        e.update(extra or {})
        return self.ctx.env(e, drop)

    def run(self, *args, expect_rc=None, timeout_s=60):
        return self.ctx.skylight_run(list(args), env=self.env(), expect_rc=expect_rc,
                                     timeout_s=timeout_s)

    def popen(self, *args, env=None, drop=(), stderr_path=None):
        """skylight in the background (finish() collects it). stderr_path: its stderr goes to
        that file, which a test can read while it runs, instead of a pipe."""
        err = open(stderr_path, "wb") if stderr_path else subprocess.PIPE
        try:
            p = subprocess.Popen([self.ctx.skylight] + list(args), env=self.env(env, drop),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                                 start_new_session=True)
        finally:
            if stderr_path:
                err.close()
        p.stderr_path = stderr_path
        return p

    def pair(self, host, pin="1234", expect_rc=0):
        """Pairs with a host started with --pin PIN."""
        return self.run("pair", host.addr, "--pin", pin, expect_rc=expect_rc)

    def json(self, *args):
        r = self.run(*args, "--json", expect_rc=0)
        try:
            return json.loads(r.out)
        except ValueError as e:
            fail("--json output is not JSON (%s)" % e, r)

    def host_files(self):
        d = os.path.join(self.dir, "hosts")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def snapshot(self):
        """Every file under the config directory with its bytes (to prove nothing changed)."""
        out = {}
        for root, _dirs, files in os.walk(self.dir):
            for f in files:
                p = os.path.join(root, f)
                with open(p, "rb") as fh:
                    out[os.path.relpath(p, self.dir)] = fh.read()
        return out


def finish(p, timeout_s=60):
    """Waits for a Client.popen process; its Result (sanitizer reports fail the test)."""
    try:
        out, err = p.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        fail("skylight did not finish: %s" % err.decode()[-1500:])
    if err is None:
        with open(p.stderr_path, "rb") as f:
            err = f.read()
    r = skytest.Result(p.args, p.returncode, out.decode(), err.decode(), 0)
    rep = skytest.sanitizer_report(r)
    check(rep is None, "sanitizer report: %s" % rep, r)
    return r

"""Hosts: pairing, server info, app list, launch/resume/quit, known hosts and wake-on-LAN,
against the test host (tests/host, skylight-testhost) over loopback with real TLS and real
pairing crypto, and against fake hosts that answer badly.

    python3 test_hosts.py SKYLIGHT SAMPLES_DIR CASE      (SKY_TESTHOST names the test host)
"""

import os
import select
import signal
import socket
import socketserver
import stat
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skytest  # noqa: E402
from skytest import check  # noqa: E402
from testhost import Client, TestHost, finish  # noqa: E402

# ---------------------------------------------------------------------------------------------

def pair_list_launch_quit(ctx):
    host = TestHost(ctx, args=["--pin", "4687"])
    c = Client(ctx)
    try:
        r = c.pair(host, "4687")
        check("Paired with skylight-testhost" in r.out, "no pairing message", r)
        ev = host.wait_for("paired ")
        # The identity: created once, key private, reused.
        st = os.stat(os.path.join(c.dir, "client.key"))
        check(stat.S_IMODE(st.st_mode) == 0o600, "client.key has mode %o" % stat.S_IMODE(st.st_mode))
        with open(os.path.join(c.dir, "uniqueid")) as f:
            uid = f.read().strip()
        check(("uniqueid=%s " % uid) in ev, "the host paired another uniqueid: %s" % ev)
        files = c.host_files()
        check(len(files) == 2 and files[0].endswith(".conf") and files[1].endswith(".pem"),
              "known-host files: %r" % files)
        # Pairing again is a no-op.
        r = c.pair(host, "4687")
        check("Already paired" in r.out, "second pairing not recognised", r)
        with open(os.path.join(c.dir, "uniqueid")) as f:
            check(f.read().strip() == uid, "the client identity changed")

        apps = c.json("list", host.addr)["apps"]
        names = [a["name"] for a in apps]
        check(names == ["Desktop", "Low Res Desktop", "Steam Big Picture"], "apps: %r" % names)
        r = c.run("list", host.addr, expect_rc=0)
        check("Steam Big Picture" in r.out, "text list lacks an app", r)

        info = c.json("info", "skylight-testhost")  # by name, from the known hosts
        check(info["paired"] is True and info["state"] == "free", "info: %r" % info)
        check(info["codecs"] == ["h264", "hevc"] and info["hevc"] and not info["av1"], "codecs")
        check(info["max_mode"] == {"width": 3840, "height": 2160, "fps": 120}, "max mode")
        check(info["mac"] == "02:00:00:00:00:01", "mac: %r" % info["mac"])
        check(len(info["cert_sha256"]) == 95, "fingerprint: %r" % info["cert_sha256"])

        r = c.run("stream", host.addr, "Low Res Desktop", "--dry-run", "--width", "1920",
                  "--height", "1080", "--fps", "120", "--audio", "5.1", expect_rc=0)
        check("Launched Low Res Desktop" in r.out and "rtspenc://" in r.out, "launch output", r)
        ev = host.wait_for("launch ")
        want_id = [a["id"] for a in apps if a["name"] == "Low Res Desktop"][0]
        for kv in ("appid=%d" % want_id, "mode=1920x1080x120", "surround=%d" % (0x3F << 16 | 6),
                   "corever=1", "sops=1", "localaudio=0"):
            check(kv in ev.split(), "launch event lacks %s: %s" % (kv, ev))
        info = c.json("info", host.addr)
        check(info["state"] == "busy" and info["current_app"] == "Low Res Desktop",
              "info while streaming: %r" % info)
        running = [a for a in c.json("list", host.addr)["apps"] if a["running"]]
        check([a["name"] for a in running] == ["Low Res Desktop"], "running: %r" % running)

        # No app named: the running one is resumed; another app is refused while one runs.
        r = c.run("stream", host.addr, "--dry-run", expect_rc=0)
        check("Resumed Low Res Desktop" in r.out, "resume output", r)
        host.wait_for("resume ")
        r = c.run("stream", host.addr, "Desktop", "--dry-run", expect_rc=1)
        check("quit it first" in r.err, "launching a second app not refused clearly", r)
        r = c.run("stream", host.addr, "No Such App", "--dry-run", expect_rc=1)
        check("has no app 'No Such App'" in r.err, "unknown app message", r)

        r = c.run("quit", host.addr, expect_rc=0)
        host.wait_for("cancel")
        check(c.json("info", host.addr)["state"] == "free", "still busy after quit")
        hosts = c.json("hosts")["hosts"]
        check(len(hosts) == 1 and hosts[0]["paired"] and hosts[0]["name"] == "skylight-testhost"
              and hosts[0]["mac"] == "02:00:00:00:00:01", "hosts: %r" % hosts)
        r = c.run("hosts", expect_rc=0)
        check("skylight-testhost" in r.out and hosts[0]["cert_sha256"] in r.out, "hosts text", r)
    finally:
        host.stop()


def pin_through_host_hook(ctx):
    """The PIN the client shows, typed into the host (its stdin stands for Sunshine's web UI)."""
    host = TestHost(ctx)
    c = Client(ctx)
    try:
        p = c.popen("pair", host.addr)
        line = p.stdout.readline().decode()
        check(line.startswith("Enter PIN "), "first line %r" % line)
        pin = line.split()[2]
        check(len(pin) == 4 and pin.isdigit(), "PIN %r" % pin)
        host.wait_for("pin-wait ")
        host.command("pin " + pin)
        r = finish(p)
        check(r.rc == 0 and "Paired with" in r.out, "pairing through the hook failed", r)
        c.run("list", host.addr, expect_rc=0)
    finally:
        host.stop()


def wrong_pin(ctx):
    host = TestHost(ctx, args=["--pin", "1111"])
    c = Client(ctx)
    try:
        before = c.snapshot()
        r = c.pair(host, "2222", expect_rc=1)
        check("wrong PIN" in r.err, "wrong PIN not reported as such", r)
        check(len([l for l in r.err.splitlines() if l.startswith("skylight pair:")]) == 1,
              "not one line of error", r)
        check(c.host_files() == [], "a failed pairing left files: %r" % c.host_files())
        after = c.snapshot()
        check(set(after) - set(before) <= {"client.pem", "client.key", "uniqueid"},
              "files written: %r" % (set(after) - set(before)))
        r = c.run("list", host.addr, expect_rc=1)
        check("not paired" in r.err, "list after a failed pairing", r)
        # The right PIN works afterwards (a host may refuse the first retry; the client copes).
        c.pair(host, "1111", expect_rc=0)
    finally:
        host.stop()


def unpaired_client_refused(ctx):
    """The host refuses a certificate it never paired, even with a valid pinned record."""
    host = TestHost(ctx, args=["--pin", "1234"])
    a, b = Client(ctx, "a"), Client(ctx, "b")
    try:
        a.pair(host)
        b.run("hosts", expect_rc=0)  # creates b's own identity
        os.makedirs(os.path.join(b.dir, "hosts"))
        for f in a.host_files():
            with open(os.path.join(a.dir, "hosts", f), "rb") as src:
                data = src.read()
            with open(os.path.join(b.dir, "hosts", f), "wb") as dst:
                dst.write(data)
        r = b.run("list", host.addr, expect_rc=1)
        check("not paired" in r.err and "no longer accepts this client" in r.err,
              "an unpaired certificate was not refused clearly", r)
        # Raw HTTPS without any client certificate gets nothing either.
        import ssl
        sctx = ssl.create_default_context()
        sctx.check_hostname = False
        sctx.verify_mode = ssl.CERT_NONE
        try:
            with socket.create_connection(("127.0.0.1", host.https), timeout=10) as s:
                with sctx.wrap_socket(s) as t:
                    t.sendall(b"GET /applist?uniqueid=X&uuid=Y HTTP/1.1\r\nHost: x\r\n\r\n")
                    got = t.recv(4096)
        except (ssl.SSLError, OSError):
            got = b""
        check(b"<App>" not in got, "applist served without a client certificate: %r" % got)
    finally:
        host.stop()


def swapped_host_certificate(ctx):
    host = TestHost(ctx, args=["--pin", "1234"])
    c = Client(ctx)
    http_port = host.http
    try:
        c.pair(host)
    finally:
        host.stop()
    before = c.snapshot()
    # Same unique id and address, another certificate: an impostor.
    evil = ctx.path("evil")
    os.makedirs(evil)
    skytest.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                 evil + "/k.pem", "-out", evil + "/c.pem", "-subj", "/CN=Sunshine Gamestream Host",
                 "-days", "30"], timeout_s=60)
    host = TestHost(ctx, http_port=http_port,
                    args=["--cert", evil + "/c.pem", "--key", evil + "/k.pem"])
    try:
        for verb in (["list", host.addr], ["info", host.addr], ["quit", "skylight-testhost"],
                     ["stream", host.addr, "--dry-run"]):
            r = c.run(*verb, expect_rc=1)
            check("possible impostor" in r.err and "skylight unpair" in r.err,
                  "%s: swapped certificate not refused clearly" % verb[0], r)
        check(host.events("launch") == [] and host.events("cancel") == [],
              "the impostor received a launch or quit")
        check(c.snapshot() == before, "the refusal changed the client's files")
        # unpair then pair again is the way out.
        c.run("unpair", "skylight-testhost", expect_rc=0)
        check(c.host_files() == [], "unpair left files: %r" % c.host_files())
    finally:
        host.stop()


def cancel_pairing(ctx):
    host = TestHost(ctx)
    c = Client(ctx)
    try:
        p = c.popen("pair", host.addr)
        check(p.stdout.readline().decode().startswith("Enter PIN"), "no PIN shown")
        host.wait_for("pin-wait ")  # the client waits for the PIN
        p.send_signal(signal.SIGINT)
        r = finish(p)
        check(r.rc == 1 and "cancelled" in r.err, "Ctrl+C did not cancel cleanly", r)
        check(c.host_files() == [], "a cancelled pairing left files")
        # The host forgets the waiting pairing (once it has seen the client go, another pairing
        # can start).
        gone = host.wait_for("pair-failed ")
        check(" reason=client-gone " in gone or " reason=cancelled " in gone, gone)
        m = host.mark()
        p = c.popen("pair", host.addr, "--pin", "4321")
        host.wait_for("pin-wait ", after=m)
        host.command("pin 4321")
        r = finish(p)
        check(r.rc == 0, "pairing after a cancelled one failed", r)
    finally:
        host.stop()


def host_busy_pairing(ctx):
    host = TestHost(ctx)
    a, b = Client(ctx, "a"), Client(ctx, "b")
    try:
        pa = a.popen("pair", host.addr)
        host.wait_for("pin-wait ")
        r = b.run("pair", host.addr, expect_rc=1)
        check("another device" in r.err, "a host busy pairing not reported clearly", r)
        check(b.host_files() == [], "files left by the refused pairing")
        pa.send_signal(signal.SIGINT)
        finish(pa)
    finally:
        host.stop()


def pin_timeout(ctx):
    host = TestHost(ctx)
    c = Client(ctx)
    try:
        r = c.run("pair", host.addr, "--pin-timeout", "1", expect_rc=1)
        check("nobody entered the PIN" in r.err, "PIN timeout not reported clearly", r)
        check(c.host_files() == [], "files left by the timed-out pairing")
    finally:
        host.stop()


def connection_errors(ctx):
    c = Client(ctx)
    # Nothing listening.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    r = c.run("info", "127.0.0.1:%d" % port, expect_rc=1)
    check("cannot connect" in r.err, "refused connection message", r)
    # Accepts and never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)
    try:
        r = c.run("info", "127.0.0.1:%d" % silent.getsockname()[1], "--timeout", "1",
                  expect_rc=1)
        check("timed out" in r.err, "timeout message", r)
    finally:
        silent.close()
    for bad in ("no such host!", "[::1", "host:99999"):
        r = c.run("info", bad, expect_rc=1)
        check("is not a host name or address" in r.err, "bad address %r" % bad, r)
    r = c.run("list", "nonexistent.invalid", "--timeout", "5", expect_rc=1)
    check(r.err.count("\n") == 1, "not one line of error", r)
    check(c.host_files() == [], "files written")


class FakeHost(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """Answers every request with a canned reply."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, reply):
        self.reply = reply

        class H(socketserver.BaseRequestHandler):
            def handle(h):
                try:
                    h.request.settimeout(5)
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = h.request.recv(4096)
                        if not chunk:
                            return
                        data += chunk
                    h.request.sendall(self.reply)
                except OSError:
                    pass
        super().__init__(("127.0.0.1", 0), H)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def http_reply(body, status=b"200 OK", length=None):
    if length is None:
        length = len(body)
    return (b"HTTP/1.1 " + status + b"\r\nContent-Length: " + str(length).encode() +
            b"\r\nConnection: close\r\n\r\n" + body)


GOOD_SI = (b'<?xml version="1.0" encoding="utf-8"?>\n<root status_code="200"><hostname>h'
           b'</hostname><appversion>7.1.431.-1</appversion><uniqueid>U-1</uniqueid>'
           b'<state>SUNSHINE_SERVER_FREE</state><currentgame>0</currentgame>'
           b'<PairStatus>0</PairStatus></root>')


def hostile_replies(ctx):
    deep = b"<root status_code=\"200\">" + b"<a>" * 5000 + b"</a>" * 5000 + b"</root>"
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;'
            b'&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
            b'<root status_code="200"><hostname>&c;</hostname></root>')
    cases = {
        "malformed": http_reply(b"<root status_code=\"200\"><hostname>x</root>"),
        "truncated": http_reply(GOOD_SI[:60]),
        "short body": http_reply(GOOD_SI[:100], length=len(GOOD_SI)),
        "oversized": http_reply(b"<root status_code=\"200\">" + b"x" * (3 << 20) + b"</root>"),
        "deep": http_reply(deep),
        "entity bomb": http_reply(bomb),
        "not gamestream": http_reply(b"<html><body>hello</body></html>"),
        "status 503": http_reply(b'<root status_code="503" status_message="Busy now"/>'),
        "http 500": http_reply(b"oops", status=b"500 Internal Server Error"),
        "binary": http_reply(bytes(range(256)) * 4),
        "no uniqueid": http_reply(GOOD_SI.replace(b"<uniqueid>U-1</uniqueid>", b"")),
        "path uniqueid": http_reply(GOOD_SI.replace(b"U-1", b"../../x")),
        "bad port": http_reply(GOOD_SI.replace(b"</root>", b"<HttpsPort>99999</HttpsPort></root>")),
        "empty": b"",
        "garbage status line": b"SSH-2.0-OpenSSH\r\n\r\n",
    }
    c = Client(ctx)
    for name, reply in cases.items():
        srv = FakeHost(reply)
        try:
            port = srv.server_address[1]
            for verb in ("info", "pair", "list"):
                r = c.run(verb, "127.0.0.1:%d" % port, "--pin", "1234", "--timeout", "5")\
                    if verb == "pair" else c.run(verb, "127.0.0.1:%d" % port, "--timeout", "5")
                check(r.rc == 1, "%s / %s: exit status %s" % (name, verb, r.rc), r)
                lines = r.err.strip().splitlines()
                check(len(lines) >= 1 and lines[-1].startswith("skylight %s: " % verb),
                      "%s / %s: no clear error line" % (name, verb), r)
        finally:
            srv.shutdown()
            srv.server_close()
    r = c.run("info", "127.0.0.1:%d" % FakeHost(http_reply(b'<root status_code="503" '
                                                        b'status_message="Busy now"/>'))
              .server_address[1], expect_rc=1)
    check("503" in r.err and "Busy now" in r.err, "the host's message is not shown", r)
    check(c.host_files() == [], "hostile replies left host files: %r" % c.host_files())


def ipv6(ctx):
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
    except OSError:
        skytest.skip("no IPv6 loopback here")
    host = TestHost(ctx, bind="::1", args=["--pin", "1234"])
    c = Client(ctx)
    try:
        check(host.addr.startswith("[::1]:"), host.addr)
        c.pair(host)
        c.run("list", host.addr, expect_rc=0)
        r = c.run("stream", host.addr, "--dry-run", expect_rc=0)
        check("rtspenc://[::1]:" in r.out, "IPv6 session URL", r)
        c.run("quit", host.addr, expect_rc=0)
    finally:
        host.stop()


def address_change_keeps_pairing(ctx):
    host = TestHost(ctx, args=["--pin", "1234"])
    c = Client(ctx)
    try:
        c.pair(host)
    finally:
        host.stop()
    host = TestHost(ctx, args=["--pin", "1234"])  # same state: same unique id, new port
    try:
        r = c.run("list", host.addr, expect_rc=0)
        check("Desktop" in r.out, "the moved host is not recognised as paired", r)
        hosts = c.json("hosts")["hosts"]
        check(len(hosts) == 1 and hosts[0]["address"] == host.addr,
              "the record did not follow the move: %r" % hosts)
        c.run("list", "skylight-testhost", expect_rc=0)  # the name finds the new address
    finally:
        host.stop()


def wake_on_lan(ctx):
    host = TestHost(ctx, args=["--pin", "1234"])
    c = Client(ctx)
    try:
        c.pair(host)
    finally:
        host.stop()
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    port = rx.getsockname()[1]
    try:
        r = c.run("wake", "skylight-testhost", "--wol-port", str(port), expect_rc=0)
        ready, _, _ = select.select([rx], [], [], 10)
        check(ready, "no wake-on-LAN packet arrived", r)
        data = rx.recv(2048)
        mac = bytes.fromhex("020000000001")
        check(data == b"\xff" * 6 + mac * 16, "not the magic packet: %r" % data[:32])
        r = c.run("wake", "unknown-host", expect_rc=1)
        check("no MAC address known" in r.err, "wake without a MAC", r)
        r = c.run("wake", "127.0.0.1", "--mac", "aa:bb:cc:dd:ee:0f", "--wol-port", str(port),
                  expect_rc=0)
        ready, _, _ = select.select([rx], [], [], 10)
        check(ready and rx.recv(2048)[6:12] == bytes.fromhex("aabbccddee0f"), "--mac ignored")
        c.run("wake", "x", "--mac", "nonsense", expect_rc=1)
    finally:
        rx.close()


def identity_and_unpair_offline(ctx):
    c = Client(ctx)
    c.run("hosts", expect_rc=0)
    c.run("info", "127.0.0.1:1", expect_rc=1)  # creates the identity on the way
    first = c.snapshot()
    check({"client.pem", "client.key", "uniqueid"} <= set(first), "identity files: %r" % first)
    c.run("info", "127.0.0.1:1", expect_rc=1)
    check(c.snapshot() == first, "the identity was not reused")
    host = TestHost(ctx, args=["--pin", "1234"])
    try:
        c.pair(host)
    finally:
        host.stop()
    # The host is gone: unpair still forgets it.
    r = c.run("unpair", "skylight-testhost", expect_rc=0)
    check("Forgot" in r.out, "offline unpair", r)
    check(c.host_files() == [], "offline unpair left files")
    c.run("unpair", "skylight-testhost", expect_rc=1)
    # A damaged identity is an error that says how to recover, never silently replaced.
    os.remove(os.path.join(c.dir, "client.pem"))
    r = c.run("info", "127.0.0.1:1", expect_rc=1)
    check("incomplete" in r.err, "damaged identity message", r)
    check(not os.path.exists(os.path.join(c.dir, "client.pem")), "identity silently recreated")


if __name__ == "__main__":
    skytest.main([pair_list_launch_quit, pin_through_host_hook, wrong_pin,
                  unpaired_client_refused, swapped_host_certificate, cancel_pairing,
                  host_busy_pairing, pin_timeout, connection_errors, hostile_replies, ipv6,
                  address_change_keeps_pairing, wake_on_lan, identity_and_unpair_offline])

"""Host discovery over mDNS (`skylight discover`) on a real link: two network namespaces made
for the test, joined by a veth pair, with documentation addresses (198.51.100.0/24) and
link-local IPv6; the test host (--mdns) answers in one, skylight asks in the other. Nothing is
sent outside the namespaces, which are always removed. Skipped where `ip netns` is not
permitted (not root, no CAP_SYS_ADMIN, no iproute2).

    python3 test_discovery.py SKYLIGHT SAMPLES_DIR CASE     (SKY_TESTHOST names the test host)
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skytest  # noqa: E402
from skytest import check, fail  # noqa: E402
from testhost import TestHost  # noqa: E402

HOST_V4, CLIENT_V4 = "198.51.100.1", "198.51.100.2"
HOST_LL, CLIENT_LL = "fe80::1", "fe80::2"
CAP_HOSTS = 32  # SKY_DISCOVERY_MAX_HOSTS


def ip(*args, ns=None):
    """ip ARGS, in namespace ns if given. A namespace is entered with nsenter, which changes the
    network namespace alone: `ip -n` and `ip netns exec` also remount / and /sys, which fails
    in a chroot (CI may be one)."""
    cmd = (["nsenter", "--net=/run/netns/" + ns] if ns else []) + ["ip"] + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    return r.returncode, r.stderr.decode(errors="replace").strip()


class Link:
    """Namespaces `host` and `client` joined by veth `sky-h` <-> `sky-c` (made, then removed on
    exit whatever happened)."""

    def __init__(self):
        tag = "skyd%d" % os.getpid()
        self.host, self.client = tag + "h", tag + "c"
        self.made = []

    def __enter__(self):
        if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("nsenter"):
            skytest.skip("network namespaces need root, iproute2 and nsenter (util-linux)")
        rc, err = ip("netns", "add", self.host)
        if rc != 0:
            skytest.skip("ip netns is not permitted here: %s" % err)
        self.made.append(self.host)
        try:
            self._setup()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _setup(self):
        check(ip("netns", "add", self.client)[0] == 0, "cannot add a second namespace")
        self.made.append(self.client)
        rc, err = ip("link", "add", "sky-h", "type", "veth", "peer", "name", "sky-c", "netns",
                     self.client, ns=self.host)
        if rc != 0:
            skytest.skip("no veth pair between namespaces here: %s" % err)
        steps = [
            # No address made from the MAC: the link-local addresses are the test's own.
            (self.host, ("link", "set", "sky-h", "addrgenmode", "none")),
            (self.client, ("link", "set", "sky-c", "addrgenmode", "none")),
            (self.host, ("addr", "add", HOST_V4 + "/24", "dev", "sky-h")),
            (self.client, ("addr", "add", CLIENT_V4 + "/24", "dev", "sky-c")),
            (self.host, ("addr", "add", HOST_LL + "/64", "dev", "sky-h", "nodad")),
            (self.client, ("addr", "add", CLIENT_LL + "/64", "dev", "sky-c", "nodad")),
            (self.host, ("link", "set", "sky-h", "up")),
            (self.client, ("link", "set", "sky-c", "up")),
        ]
        for ns, args in steps:
            rc, err = ip(*args, ns=ns)
            check(rc == 0, "ip -n %s %s: %s" % (ns, " ".join(args), err))

    def __exit__(self, *exc):
        for ns in reversed(self.made):  # the veth pair goes with them
            rc, err = ip("netns", "del", ns)
            if rc != 0:
                sys.stderr.write("could not remove namespace %s: %s\n" % (ns, err))
        self.made = []
        return False

    def run_in(self, ns):
        return ["nsenter", "--net=/run/netns/" + ns]


def discover(ctx, link, *args, timeout_s=6):
    """skylight discover in the client namespace with the own querier; its Result."""
    cmd = link.run_in(link.client) + [ctx.skylight, "discover", "--mdns-backend", "mdns",
                                      "--timeout", str(timeout_s), "--log-level", "verbose"]
    r = skytest.run(cmd + list(args), env=ctx.env(), timeout_s=timeout_s + 60)
    check(not r.timed_out, "skylight discover did not finish", r)
    rep = skytest.sanitizer_report(r)
    check(rep is None, "sanitizer report: %s" % rep, r)
    check(r.rc == 0, "skylight discover failed", r)
    return r


def start_host(ctx, link, name="skylight-testhost"):
    return TestHost(ctx, bind="::", http_port=47989, prefix=link.run_in(link.host),
                    args=["--mdns", "--hostname", name])


# ---------------------------------------------------------------------------------------------

def finds_host(ctx):
    """The host is found with its IPv4 and link-local IPv6 addresses and its HTTP port; the
    addresses work as HOST for the other verbs; its goodbye makes it gone."""
    with Link() as link:
        host = start_host(ctx, link, "Living Room PC")
        try:
            r = discover(ctx, link)
            lines = r.out.strip().splitlines()
            check(len(lines) == 1, "one host expected", r)
            cols = lines[0].split("\t")
            want = ["Living Room PC", "%s:47989" % HOST_V4, "[%s%%sky-c]:47989" % HOST_LL]
            check(cols == want, "line %r, want %r" % (cols, want), r)
            host.wait_for("mdns-answer ")

            j = json.loads(discover(ctx, link, "--json").out)
            check(j["backend"] == "mdns", "backend %r" % j["backend"])
            check(j["hosts"] == [{"name": "Living Room PC", "port": 47989,
                                  "addresses": [HOST_V4, HOST_LL + "%sky-c"]}], "json: %r" % j)

            # The link-local address with its scope reaches the host.
            xdg = ctx.path("xdg")
            os.makedirs(xdg, exist_ok=True)
            r = skytest.run(link.run_in(link.client) + [ctx.skylight, "info", cols[2]],
                            env=ctx.env({"XDG_CONFIG_HOME": xdg}))
            check(r.rc == 0 and "Living Room PC" in r.out, "info over the found address", r)

            # Found, then gone when the host stops (its goodbye), while discover still listens.
            err_path = ctx.path("discover.stderr")
            with open(err_path, "wb") as err:
                p = subprocess.Popen(link.run_in(link.client) + [
                    ctx.skylight, "discover", "--mdns-backend", "mdns", "--timeout", "600",
                    "--log-level", "verbose"], env=ctx.env(), stdout=subprocess.PIPE,
                    stderr=err, start_new_session=True)
            try:
                wait_for_line(err_path, "found: Living Room PC", p)
                host.stop()
                wait_for_line(err_path, "gone: Living Room PC", p)
                p.send_signal(signal.SIGINT)  # Ctrl+C: the list so far, exit 0
                out, _ = p.communicate(timeout=60)
                check(p.returncode == 0, "discover after Ctrl+C exited %s" % p.returncode)
                check(b"No host answered" in out, "the gone host is still listed: %r" % out)
            finally:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        finally:
            if host.p.poll() is None:
                host.stop()


def wait_for_line(path, text, p, timeout_s=60):
    t_end = time.monotonic() + timeout_s
    while time.monotonic() < t_end:
        with open(path, encoding="utf-8", errors="replace") as f:
            if text in f.read():
                return
        if p.poll() is not None:
            break
        time.sleep(0.05)
    with open(path, encoding="utf-8", errors="replace") as f:
        fail("discover never logged %r:\n%s" % (text, f.read()[-2000:]))


# The hostile responder: a small sender in the host's namespace that answers the client's first
# queries with bursts of malformed and lying packets from port 5353.
HOSTILE = r'''
import os, select, socket, struct, sys
mode = sys.argv[1]
def name(s):
    return b"".join(bytes([len(l)]) + l.encode("latin-1") for l in s.split(".")) + b"\0"
SVC = name("_nvstream._tcp.local")
def rr(n, t, ttl, rd):
    return n + struct.pack(">HHIH", t, 0x8001, ttl, len(rd)) + rd
def resp(rrs, count=None):
    return struct.pack(">HHHHHH", 0, 0x8400, 0, len(rrs) if count is None else count, 0, 0) + b"".join(rrs)
def host(inst, port, addr, target="h.local"):
    full = name(inst + "._nvstream._tcp.local")
    return resp([rr(SVC, 12, 4500, full),
                 rr(full, 33, 120, struct.pack(">HHH", 0, 0, port) + name(target)),
                 rr(name(target), 1, 120, socket.inet_aton(addr))])
def hostile():
    yield resp([rr(b"\xc0\x0c", 1, 120, b"\xc6\x33\x64\x09")])          # pointer to itself
    yield resp([rr(b"\x01x\xc0\x0e", 1, 120, b"\xc6\x33\x64\x09")])      # pointer loop
    yield host("Truncated", 47989, "198.51.100.9")[:-3]
    yield resp([], count=65535) + os.urandom(64)                          # counts that lie
    yield os.urandom(9000)
    yield host("Evil\x07Bell", 47989, "198.51.100.9", "e.local")
    yield host("PortZero", 0, "198.51.100.9", "z.local")
    yield host("Loopback", 47989, "127.0.0.1", "l.local")
    yield host("Multicast", 47989, "224.0.0.1", "m.local")
    for i in range(600):                                                  # PTRs alone
        yield resp([rr(SVC, 12, 4500, name("ghost%d._nvstream._tcp.local" % i))])
def flood():
    for i in range(300):
        yield host("Flood%03d" % i, 47989, "198.51.100.%d" % (10 + i % 200), "f%d.local" % i)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("0.0.0.0", 5353))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton("224.0.0.251") + socket.inet_aton(sys.argv[2]))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[2]))
wrong = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # answers must come from port 5353
wrong.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[2]))
print("ready", flush=True)
bursts = 0
while bursts < 2:
    data = s.recv(9000)
    if len(data) < 12 or data[2] & 0x80:
        continue  # answers (ours, the host's)
    bursts += 1
    wrong.sendto(host("WrongPort", 47989, "198.51.100.9", "w.local"), ("224.0.0.251", 5353))
    for pkt in (hostile() if mode == "hostile" else flood()):
        s.sendto(pkt, ("224.0.0.251", 5353))
    print("burst", bursts, flush=True)
select.select([sys.stdin], [], [])  # until the test closes our stdin
'''


def run_sender(ctx, link, mode):
    path = ctx.path("sender.py")
    with open(path, "w") as f:
        f.write(HOSTILE)
    p = subprocess.Popen(link.run_in(link.host) + [sys.executable, path, mode, HOST_V4],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
    check(p.stdout.readline().strip() == b"ready", "the hostile sender did not start")
    return p


def stop_sender(p):
    try:
        out = p.communicate(input=b"", timeout=30)[0]  # closes its stdin: it ends
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out = p.communicate()[0]
    return out.decode()


def hostile_responder(ctx):
    """Malformed and lying answers beside the real host: only the real host is listed."""
    with Link() as link:
        host = start_host(ctx, link)
        sender = run_sender(ctx, link, "hostile")
        try:
            r = discover(ctx, link, timeout_s=10)
        finally:
            bursts = stop_sender(sender)
            host.stop()
        check("burst 2" in bursts, "the sender never saw the client's queries: %r" % bursts, r)
        lines = r.out.strip().splitlines()
        check(len(lines) == 1 and lines[0].split("\t")[:2] ==
              ["skylight-testhost", "%s:47989" % HOST_V4], "only the real host expected", r)
        check("packets refused" in r.err, "the hostile packets were not counted", r)


def flood_of_hosts(ctx):
    """Hundreds of well-formed hosts: the client keeps at most its cap and lists them sanely."""
    with Link() as link:
        sender = run_sender(ctx, link, "flood")
        try:
            r = discover(ctx, link, timeout_s=6)
        finally:
            bursts = stop_sender(sender)
        check("burst" in bursts, "the sender never saw the client's queries", r)
        lines = r.out.strip().splitlines()
        check(1 <= len(lines) <= CAP_HOSTS, "%d hosts listed (cap %d)" % (len(lines), CAP_HOSTS),
              r)
        for line in lines:
            cols = line.split("\t")
            check(len(cols) == 2 and cols[0].startswith("Flood") and
                  cols[1].startswith("198.51.100.") and cols[1].endswith(":47989"),
                  "odd line %r" % line, r)
        check("WrongPort" not in r.out, "an answer from another port than 5353 was taken", r)


def avahi_fallback(ctx):
    """auto: where avahi-daemon does not answer, the own querier is used (logged); asking for
    avahi then fails with a clear message."""
    r = ctx.skylight_run(["discover", "--timeout", "0.5", "--log-level", "verbose"],
                         expect_rc=0)
    if "with avahi" in r.err:
        skytest.skip("avahi-daemon runs here")
    check("using skylight's own mDNS querier" in r.err and "with mdns" in r.err,
          "no fall-back to the own querier", r)
    r = ctx.skylight_run(["discover", "--mdns-backend", "avahi", "--timeout", "0.5"],
                         expect_rc=1)
    check("avahi-daemon does not answer" in r.err, "avahi without a daemon", r)


if __name__ == "__main__":
    skytest.main([finds_host, hostile_responder, flood_of_hosts, avahi_fallback])

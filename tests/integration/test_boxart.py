"""Box art: `skylight boxart HOST APP --out FILE` against the test host's /appasset (tests/host,
--boxart): fetched once then served from the cache, what is cached, broken, oversized and
missing pictures, an unpaired client, a host that never answers.

    python3 test_boxart.py SKYLIGHT SAMPLES_DIR CASE      (SKY_TESTHOST names the test host)
"""

import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skytest  # noqa: E402
from skytest import check, fail  # noqa: E402
from testhost import Client, TestHost  # noqa: E402

# Ids chosen here so the test host's colours (id bytes as R, G, B) are known.
APPS = ("Desktop=1193046,Other=66051,Broken=11,Big=12,Huge=13,Empty=14,Gone=15,Slow=16,"
        "Plain=17")
BOXART = "11=broken,12=big,13=huge,14=empty,15=404,16=slow,17=default"


def read_png(data):
    """(width, height, rows of RGB bytes) of an 8-bit RGB PNG without filters, every chunk's
    CRC checked; fails the test on anything else."""
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG: %r" % data[:16])
    pos, chunks = 8, []
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        check(zlib.crc32(kind + body) == crc, "bad CRC in chunk %r" % kind)
        chunks.append((kind, body))
        pos += 12 + n
    check(chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND", "chunks: %r"
          % [k for k, _ in chunks])
    w, h, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    check(depth == 8 and colour == 2, "not 8-bit RGB: depth %d colour type %d" % (depth, colour))
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    stride = 1 + 3 * w
    check(len(raw) == h * stride, "%d bytes of pixels for %dx%d" % (len(raw), w, h))
    rows = [raw[y * stride:(y + 1) * stride] for y in range(h)]
    check(all(r[0] == 0 for r in rows), "a row with a filter")
    return w, h, [r[1:] for r in rows]


def start(ctx):
    host = TestHost(ctx, args=["--pin", "1234", "--apps", APPS, "--boxart", BOXART])
    c = Client(ctx)
    c.pair(host)
    return host, c


def host_dir(c, host):
    """The client's box-art cache folder for the host."""
    with open(os.path.join(host.state, "uniqueid")) as f:
        return os.path.join(c.cache, "skylight", "boxart", f.read().strip())


def cached(c, host):
    d = host_dir(c, host)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def asked(host, appid, after):
    return [e for e in host.events("appasset ", after) if ("appid=%d " % appid) in e + " "]


# ---------------------------------------------------------------------------------------------

def fetched_once_then_cached(ctx):
    host, c = start(ctx)
    try:
        out = ctx.path("desktop.png")
        mark = host.mark()
        r = c.run("boxart", host.addr, "Desktop", "--out", out, expect_rc=0)
        check("from the host" in r.out and "60x80" in r.out, "first run's output", r)
        host.wait_for("appasset appid=1193046 ", after=mark)
        with open(out, "rb") as f:
            data = f.read()
        w, h, rows = read_png(data)
        check((w, h) == (60, 80), "size %dx%d" % (w, h))
        check(all(r == bytes([0x56, 0x34, 0x12]) * w for r in rows), "not the app's colour")
        path = os.path.join(host_dir(c, host), "1193046.png")
        with open(path, "rb") as f:
            check(f.read() == data, "the cached file is not what was written")
        check(cached(c, host) == ["1193046.png"], "cache holds %r" % cached(c, host))

        # Again, by id this time: from the cache, no request. The request for another app
        # afterwards orders the host's events: had the second run asked, it would show first.
        mark = host.mark()
        os.remove(out)
        r = c.run("boxart", host.addr, "1193046", "--out", out, expect_rc=0)
        check("from the cache" in r.out, "second run's output", r)
        with open(out, "rb") as f:
            check(f.read() == data, "the second run wrote other bytes")
        c.run("boxart", host.addr, "Other", "--out", ctx.path("other.png"), expect_rc=0)
        host.wait_for("appasset appid=66051 ", after=mark)
        check(not asked(host, 1193046, mark), "the cached picture was fetched again: %r"
              % host.events("appasset ", mark))
        w, h, rows = read_png(open(ctx.path("other.png"), "rb").read())
        check(rows[0][:3] == bytes([0x03, 0x02, 0x01]), "other app's colour %r" % rows[0][:3])

        # A damaged cache file is dropped and fetched again.
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n truncated")
        mark = host.mark()
        r = c.run("boxart", host.addr, "Desktop", "--out", out, expect_rc=0)
        check("from the host" in r.out, "a damaged cache file was used", r)
        host.wait_for("appasset appid=1193046 ", after=mark)
        with open(path, "rb") as f:
            check(f.read() == data, "the damaged cache file was not replaced")

        # Sunshine's default picture (an app without its own) is box art like any other.
        r = c.run("boxart", host.addr, "Plain", "--out", ctx.path("plain.png"), expect_rc=0)
        w, h, rows = read_png(open(ctx.path("plain.png"), "rb").read())
        check(rows[0][:3] == b"\x80\x80\x80", "default picture's colour %r" % rows[0][:3])
    finally:
        host.stop()


def broken_oversized_missing(ctx):
    host, c = start(ctx)
    try:
        cases = [("Broken", 11, "is broken: not a PNG"),
                 ("Big", 12, "is broken: larger than 4 MiB"),
                 ("Huge", 13, "is broken: 8192x2 pixels"), ("Empty", 14, "has no box art"),
                 ("Gone", 15, "has no box art for app 15 (HTTP 404)")]
        for name, appid, msg in cases:
            out = ctx.path(name + ".png")
            for attempt in range(2):  # nothing is remembered: the host is asked each time
                mark = host.mark()
                r = c.run("boxart", host.addr, name, "--out", out, expect_rc=1)
                check(msg in r.err and r.err.count("\n") == 1, "%s: message" % name, r)
                host.wait_for("appasset appid=%d " % appid, after=mark)
            check(not os.path.exists(out), "%s: --out written" % name)
        check(cached(c, host) == [], "cached: %r" % cached(c, host))
        r = c.run("boxart", host.addr, "No Such App", "--out", ctx.path("x.png"), expect_rc=1)
        check("has no app 'No Such App'" in r.err, "unknown app", r)
        r = c.run("boxart", host.addr, "Desktop", expect_rc=1)
        check("--out FILE" in r.err, "missing --out", r)
    finally:
        host.stop()


def unpaired_client_refused(ctx):
    host = TestHost(ctx, args=["--apps", APPS])
    c = Client(ctx)
    try:
        r = c.run("boxart", host.addr, "1193046", "--out", ctx.path("x.png"), expect_rc=1)
        check("not paired" in r.err, "unpaired client's message", r)
        check(host.events("appasset ") == [], "the host was asked: %r" % host.events("appasset "))
        check(not os.path.exists(c.cache), "an unpaired client made a cache")
    finally:
        host.stop()


def slow_host_times_out(ctx):
    host, c = start(ctx)
    try:
        mark = host.mark()
        r = c.run("boxart", host.addr, "Slow", "--out", ctx.path("slow.png"), "--timeout", "1",
                  expect_rc=1)
        check("/appasset): timed out" in r.err, "no timeout message", r)
        host.wait_for("appasset appid=16 ", after=mark)
        check(cached(c, host) == [], "cached: %r" % cached(c, host))
        # The host is fine afterwards.
        c.run("boxart", host.addr, "Desktop", "--out", ctx.path("d.png"), expect_rc=0)
    finally:
        host.stop()


if __name__ == "__main__":
    skytest.main([fetched_once_then_cached, broken_oversized_missing, unpaired_client_refused,
                  slow_host_times_out])

"""Audio output: `skylight play --headless` with SDL's disk driver, which writes what the device
plays to a raw file (S16 interleaved, 48 kHz, the stream's channel count in SDL's order: the audio
module opens the device with exactly that format and allows no changes). The clips are made here
with the ffmpeg CLI (tones in Opus in Matroska, next to a tiny H.264 track since `play` needs
video) and cached in SAMPLES_DIR.

    python3 test_audio.py SKYLIGHT SAMPLES_DIR [CASE ...]

Checks: each output channel carries its tone (stereo, mono, 5.1 and 7.1 in SDL's channel order),
--no-audio writes nothing, no audio device means playing on without sound, a hole of two packets
is concealed (concealed_frames > 0, and the concealment is not silence) while a clean clip
conceals nothing, a jump too long to conceal resynchronises, and corrupted packets are survived.
Runs are paced (real time), about 1.5 s each. Nothing here depends on timing: where a busy
machine could make the output stutter, the run's own underrun count decides what is checked.
"""

import array
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skytest  # noqa: E402
from skytest import check, fail  # noqa: E402

RATE = 48000
DURATION_S = 1.5
PACKET_MS = 20  # ffmpeg's libopus default frame duration

# ffmpeg's layouts below are in the same order as SDL's (SDL_audio.h): FL FR FC LFE BL BR SL SR.
LAYOUTS = {
    "mono": (["FC"], [550]),
    "stereo": (["FL", "FR"], [440, 660]),
    "5.1": (["FL", "FR", "FC", "LFE", "BL", "BR"], [300, 500, 700, 90, 1100, 1300]),
    "7.1": (["FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"],
            [300, 500, 700, 90, 1100, 1300, 1500, 1700]),
}
BITRATES = {"mono": "64k", "stereo": "128k", "5.1": "384k", "7.1": "512k"}


def need_ffmpeg():
    r = skytest.run(["ffmpeg", "-hide_banner", "-encoders"], timeout_s=30)
    if r.rc != 0 or "libopus" not in r.out or "libx264" not in r.out:
        skytest.skip("ffmpeg with libopus and libx264 is needed")


def make_clip(ctx, layout, bsf=None):
    """A Matroska clip: 64x64 H.264 plus an Opus track whose channel i is a sine at
    LAYOUTS[layout][1][i]. bsf: an audio bitstream filter applied while muxing (damage)."""
    names, freqs = LAYOUTS[layout]
    recipe = {"v": 2, "layout": layout, "bsf": bsf, "duration": DURATION_S}
    tag = layout.replace(".", "") + ("-" + skytest.recipe_key(bsf)[:8] if bsf else "")
    path = os.path.join(ctx.samples, "audio-%s.mkv" % tag)
    if skytest.up_to_date(path, recipe):
        return path
    need_ffmpeg()
    os.makedirs(ctx.samples, exist_ok=True)
    args = ["-f", "lavfi", "-i", "color=size=64x64:rate=30:duration=%g" % DURATION_S]
    for f in freqs:
        args += ["-f", "lavfi", "-i",
                 "sine=frequency=%d:duration=%g:sample_rate=%d" % (f, DURATION_S, RATE)]
    if len(freqs) == 1:
        graph = "[1:a]anull[a]"
    else:
        # join's explicit map: input i goes to channel names[i] (without it, join places
        # mono inputs by their own FC position first).
        labels = "".join("[%d:a]" % (i + 1) for i in range(len(freqs)))
        mapping = "|".join("%d.0-%s" % (i, n) for i, n in enumerate(names))
        graph = "%sjoin=inputs=%d:channel_layout=%s:map=%s[a]" % (labels, len(freqs), layout,
                                                                 mapping)
    args += ["-filter_complex", graph, "-map", "0:v", "-map", "[a]",
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
             "-c:a", "libopus", "-b:a", BITRATES[layout]]
    if len(freqs) > 2:
        args += ["-mapping_family", "1"]
    if bsf:
        args += ["-bsf:a", bsf]
    skytest.ffmpeg_make(path, args)
    skytest.stamp(path, recipe)
    return path


def play(ctx, clip, extra_args=(), env_extra=None):
    """Plays clip headless and paced into the disk driver. Returns (result, raw bytes or None if
    no file was written, summary JSON object)."""
    raw = ctx.path("out.raw")
    stats = ctx.path("stats.jsonl")
    for p in (raw, stats):
        if os.path.exists(p):
            os.unlink(p)
    extra = {"SDL_AUDIODRIVER": "disk", "SDL_DISKAUDIOFILE": raw}
    extra.update(env_extra or {})
    env = skytest.test_env(extra, drop=("SDL_DISKAUDIODELAY",))
    r = ctx.skylight_run(["play", "--headless", "--stats-json", stats] + list(extra_args) + [clip],
                         env=env, expect_rc=0)
    with open(stats) as f:
        lines = skytest.parse_json_lines(f.read())
    summaries = [o for o in lines if o.get("type") == "summary"]
    check(len(summaries) == 1, "expected one summary line in --stats-json", r)
    data = None
    if os.path.exists(raw):
        with open(raw, "rb") as f:
            data = f.read()
    return r, data, summaries[0]


def channels_of(data, nch, r):
    check(data is not None and len(data) > 0, "the disk driver wrote no audio", r)
    frame = 2 * nch
    check(len(data) % frame == 0,
          "%d bytes of output is not a whole number of %d-channel S16 frames" % (len(data), nch),
          r)
    s = array.array("h")
    s.frombytes(data)
    if sys.byteorder != "little":
        s.byteswap()
    return [s[c::nch] for c in range(nch)]


def sounding_span(chans, threshold=200):
    """(first, last) sample index where any channel is louder than threshold."""
    first, last = None, None
    for x in chans:
        for i, v in enumerate(x):
            if abs(v) > threshold:
                first = i if first is None else min(first, i)
                break
        for i in range(len(x) - 1, -1, -1):
            if abs(x[i]) > threshold:
                last = i if last is None else max(last, i)
                break
    return first, last


def tone_power(x, freq, start, n):
    """Power of x[start:start+n] at freq (Hann-windowed Goertzel)."""
    w = 2 * math.pi * freq / RATE
    coeff = 2 * math.cos(w)
    s1 = s2 = 0.0
    for i in range(n):
        hann = 0.5 - 0.5 * math.cos(2 * math.pi * i / (n - 1))
        s0 = x[start + i] * hann + coeff * s1 - s2
        s2, s1 = s1, s0
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def check_tones(chans, freqs, r, blocks=6, block_len=2400):
    """Each channel's strongest tone among freqs, summed over blocks spread over the sounding
    middle of the output, must be its own, by at least 10 dB over every other."""
    first, last = sounding_span(chans)
    check(first is not None and last - first > RATE // 2,
          "less than half a second of sound in the output (%s..%s)" % (first, last), r)
    margin = (last - first) // 5
    lo, hi = first + margin, last - margin - block_len
    starts = [lo + (hi - lo) * k // max(1, blocks - 1) for k in range(blocks)]
    report = []
    bad = False
    for c, x in enumerate(chans):
        powers = {f: sum(tone_power(x, f, s, block_len) for s in starts) for f in freqs}
        best = max(powers, key=powers.get)
        others = max([p for f, p in powers.items() if f != freqs[c]] or [0.0])
        ok = best == freqs[c] and powers[freqs[c]] >= 10 * others
        bad = bad or not ok
        report.append("  channel %d: expected %d Hz, strongest %d Hz (%.1f dB over the rest)%s"
                      % (c, freqs[c], best,
                         10 * math.log10(powers[freqs[c]] / others) if others > 0 else 99,
                         "" if ok else "   <-- wrong"))
    if bad:
        fail("output channels do not carry the expected tones:\n" + "\n".join(report), r)


def longest_silence_ms(chans, threshold=100):
    """The longest run (ms) in which every channel stays within +-threshold, between the first
    and the last sound."""
    first, last = sounding_span(chans)
    longest = run = 0
    for i in range(first, last + 1):
        if all(abs(x[i]) <= threshold for x in chans):
            run += 1
            longest = max(longest, run)
        else:
            run = 0
    return longest * 1000.0 / RATE


def audio_summary(summary, r):
    a = summary.get("audio")
    check(isinstance(a, dict), "the summary has no audio figures: %s" % json.dumps(summary), r)
    for k in ("packets", "concealed_frames", "overflow_bytes", "underruns", "buffer_ms_now",
              "buffer_ms_p50", "buffer_ms_p99"):
        check(k in a, "audio figures lack %s: %s" % (k, json.dumps(a)), r)
    return a


def tone_case(ctx, layout):
    names, freqs = LAYOUTS[layout]
    r, data, summary = play(ctx, make_clip(ctx, layout))
    a = audio_summary(summary, r)
    expected_packets = int(DURATION_S * 1000 / PACKET_MS)
    check(a["packets"] >= expected_packets - 1,
          "%d packets decoded, expected about %d" % (a["packets"], expected_packets), r)
    check(a["concealed_frames"] == 0,
          "a clip without holes had %d concealed frames" % a["concealed_frames"], r)
    check(a["buffer_ms_p50"] > 0, "no output buffer depth was measured: %s" % json.dumps(a), r)
    check_tones(channels_of(data, len(names), r), freqs, r)


def stereo(ctx):
    tone_case(ctx, "stereo")


def mono(ctx):
    tone_case(ctx, "mono")


def surround51(ctx):
    tone_case(ctx, "5.1")


def surround71(ctx):
    tone_case(ctx, "7.1")


def no_audio(ctx):
    r, data, summary = play(ctx, make_clip(ctx, "stereo"), ["--no-audio"])
    check(not data, "--no-audio still wrote %d bytes of audio" % len(data or b""), r)
    check("audio" not in summary, "--no-audio still reports audio figures", r)


def no_device(ctx):
    # No audio device: the run goes on without sound, saying why.
    clip = make_clip(ctx, "stereo")
    stats = ctx.path("stats.jsonl")
    env = skytest.test_env({"SDL_AUDIODRIVER": "no-such-driver"})
    r = ctx.skylight_run(["play", "--headless", "--duration", "0.5", "--stats-json", stats, clip],
                         env=env, expect_rc=0)
    check("playing without sound" in r.err and "no audio" in r.err,
          "a missing audio device was not reported", r)
    with open(stats) as f:
        summary = [o for o in skytest.parse_json_lines(f.read()) if o.get("type") == "summary"]
    check(len(summary) == 1 and "audio" not in summary[0],
          "the summary reports audio without a device", r)


# Audio packets 30 and 31 (20 ms each, 0.6 s in) are removed: a 40 ms hole.
GAP_BSF = "noise=drop=between(n\\,30\\,31)"
# Packets 30..39 removed: a 200 ms jump, beyond the 100 ms the client conceals.
JUMP_BSF = "noise=drop=between(n\\,30\\,39)"
# The disk driver sleeps a whole number of milliseconds per buffer; 22 ms for the 1024-frame
# (21.3 ms) buffer of a 100 ms target makes it a little slower than real time, so the ring never
# runs dry on its own and any silence would come from the hole.
STEADY = (["--audio-buffer-ms=100"], {"SDL_DISKAUDIODELAY": "22"})


def gap_concealed(ctx):
    r, data, summary = play(ctx, make_clip(ctx, "stereo", GAP_BSF), STEADY[0], STEADY[1])
    a = audio_summary(summary, r)
    check(a["concealed_frames"] > 0, "a 40 ms hole was not concealed: %s" % json.dumps(a), r)
    chans = channels_of(data, 2, r)
    # The concealed audio must sound: with a 100 ms buffer the ring outlasts the 40 ms hole, so
    # any silence would be concealment written as zeros. A machine too busy to keep the paced run
    # in real time underruns on its own (the run says so); silence then proves nothing.
    silence = longest_silence_ms(chans)
    if a["underruns"] == 0:
        check(silence < 10, "%.1f ms of silence in the middle of the output" % silence, r)
    else:
        print("note: %d underruns (a busy machine): silence check skipped (%.1f ms)"
              % (a["underruns"], silence))
    check_tones(chans, LAYOUTS["stereo"][1], r)


def jump_resyncs(ctx):
    r, data, summary = play(ctx, make_clip(ctx, "stereo", JUMP_BSF), STEADY[0], STEADY[1])
    a = audio_summary(summary, r)
    check(a["concealed_frames"] == 0,
          "a 200 ms jump should resynchronise, not be concealed: %s" % json.dumps(a), r)
    check("resynchronising" in r.err, "the jump was not logged", r)
    check_tones(channels_of(data, 2, r), LAYOUTS["stereo"][1], r)


def corrupt_packets(ctx):
    # Every Opus packet has a chance of damaged bytes; the client must play on.
    r, data, summary = play(ctx, make_clip(ctx, "5.1", "noise=amount=8"))
    a = audio_summary(summary, r)
    check(a["packets"] + a["concealed_frames"] > 0, "nothing was played: %s" % json.dumps(a), r)
    channels_of(data, 6, r)


if __name__ == "__main__":
    skytest.main([stereo, mono, surround51, surround71, no_audio, no_device, gap_concealed,
                  jump_resyncs, corrupt_packets])

#!/usr/bin/env bash
# Pipeline benchmarks (figures, not pass/fail):
#  1. Overhead against the physical limit: wall and CPU time per frame of
#       skylight play --headless --no-pacing --decoder software --decoder-threads N
#     against  ffmpeg -threads N -thread_type slice -i SAME -f null -
#     on 1080p60 H.264, HEVC and AV1 (encoded with 4 slices / tiles so slice threads have work),
#     run alternately, median of R runs; the ratio is skylight / ffmpeg.
#  2. Decoded-to-presented latency p50/p99 in a real window under Xvfb with vsync off.
# Usage: bench/pipeline.sh [RUNS] [THREADS]     (defaults: 5 runs, threads = nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
threads=${2:-$(nproc)}
sky=build/client/skylight
[ -x "$sky" ] || scripts/build.sh release >/dev/null
dir=build/bench
mkdir -p "$dir"
export SDL_AUDIODRIVER=dummy

make_sample() { # name encoder-args...
  local out="$dir/$1"; shift
  [ -s "$out" ] && return
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1920x1080:rate=60 -t 5 \
    -pix_fmt yuv420p "$@" "$out.tmp.mkv" 2>/dev/null
  mv "$out.tmp.mkv" "$out"
}
make_sample h264.mkv -c:v libx264 -preset veryfast -tune zerolatency -x264-params slices=4 -b:v 20M
make_sample hevc.mkv -c:v libx265 -preset ultrafast -x265-params "slices=4:bframes=0:log-level=error" -b:v 20M
make_sample av1.mkv -c:v libsvtav1 -preset 12 -svtav1-params "tile-columns=2:tile-rows=1" -b:v 20M

frames_of() { ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "$1"; }

# Prints "wall_s cpu_s" for one command: wall clock, and user+system CPU of it and its
# children (os.wait4), so no /usr/bin/time is needed.
measure() {
  python3 - "$@" <<'PY'
import os, subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
wall = time.monotonic() - t0
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit("benchmark command failed: %s" % " ".join(sys.argv[1:]))
print("%.3f %.3f" % (wall, ru.ru_utime + ru.ru_stime))
PY
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "Pipeline overhead: $threads threads, median of $runs runs, 1080p60, 300 frames"
printf "%-6s %14s %14s %14s %14s %8s %8s\n" codec sky_wall_ms/f ff_wall_ms/f sky_cpu_ms/f ff_cpu_ms/f wall_x cpu_x
# Rows: codec, then the ffmpeg decoder options. "av1-ld" holds ffmpeg's dav1d to the same one
# frame of delay Skylight asks for (-flags low_delay; ffmpeg's default lets dav1d keep several
# frames in flight, which buys throughput with latency).
rows=("h264|" "hevc|" "av1|" "av1-ld|-flags low_delay")
for row in "${rows[@]}"; do
  name=${row%%|*}; ffopts=${row#*|}
  c=${name%-ld}
  f="$dir/$c.mkv"
  n=$(frames_of "$f")
  : >"$dir/sky.txt"; : >"$dir/ff.txt"
  for _ in $(seq "$runs"); do
    measure "$sky" play --headless --no-pacing --no-audio --decoder software \
      --decoder-threads "$threads" "$f" >>"$dir/sky.txt"
    # shellcheck disable=SC2086
    measure ffmpeg -nostdin -hide_banner -threads "$threads" -thread_type slice $ffopts \
      -i "$f" -an -f null - >>"$dir/ff.txt"
  done
  sw=$(cut -d' ' -f1 "$dir/sky.txt" | median); sc=$(cut -d' ' -f2 "$dir/sky.txt" | median)
  fw=$(cut -d' ' -f1 "$dir/ff.txt" | median); fc=$(cut -d' ' -f2 "$dir/ff.txt" | median)
  awk -v c="$name" -v n="$n" -v sw="$sw" -v sc="$sc" -v fw="$fw" -v fc="$fc" 'BEGIN {
    printf "%-6s %14.3f %14.3f %14.3f %14.3f %8.3f %8.3f\n", c, sw*1000/n, fw*1000/n,
      sc*1000/n, fc*1000/n, sw/fw, sc/fc }'
done

echo
echo "Decoded-to-presented latency in a window (Xvfb, software renderer, vsync off)"
if ! command -v xvfb-run >/dev/null; then
  echo "  skipped: xvfb-run is not installed (scripts/deps.sh test)"
  exit 0
fi
for c in h264 hevc av1; do
  f="$dir/$c.mkv"
  xvfb-run -a -s "-screen 0 1920x1080x24" "$sky" play --no-vsync --no-audio \
    --stats-json "$dir/win-$c.jsonl" "$f" >/dev/null 2>&1
  python3 - "$dir/win-$c.jsonl" "$c" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"summary"' in l][-1]
p = s["present_latency_us"]; d = s["decode_us"]
print(f"  {sys.argv[2]:5s} presented {s['presented']}/{s['frames']}  present latency p50 {p['p50']/1000:.2f} ms"
      f"  p99 {p['p99']/1000:.2f} ms   (decode p50 {d['p50']/1000:.2f} ms)")
PY
done

#!/usr/bin/env bash
# The main job: installs what is missing, builds, then streams for 10 seconds from the test host
# (tests/host: a local stand-in for a Sunshine host) over loopback: pairing, launch, RTSP, the
# control stream, video and audio with FEC. In a window when a display exists, headless
# otherwise; the summary line says what arrived and how fast.
#   bash scripts/demo.sh [STREAM OPTIONS]     e.g. --latency-mode balanced --codec hevc
#   bash scripts/demo.sh play [PLAY OPTIONS]  plays a generated clip through the pipeline instead
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
scripts/build.sh release
sky=build/client/skylight
headless=()
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No display: decoding headless." >&2
  headless=(--headless)
  export SDL_AUDIODRIVER=${SDL_AUDIODRIVER:-dummy}
fi

if [ "${1:-}" = play ]; then
  shift
  sample=build/samples/demo-h264-opus.mkv
  if [ ! -s "$sample" ]; then
    mkdir -p build/samples
    ffmpeg -hide_banner -loglevel error -y \
      -f lavfi -i testsrc2=size=1280x720:rate=60 \
      -f lavfi -i "sine=frequency=440:sample_rate=48000" \
      -t 5 -c:v libx264 -preset veryfast -tune zerolatency -pix_fmt yuv420p \
      -c:a libopus -b:a 128k -ac 2 "$sample.tmp.mkv"
    mv "$sample.tmp.mkv" "$sample"
  fi
  exec "$sky" play "${headless[@]}" "$sample" "$@"
fi

# A private client identity and host state, so the demo touches nothing of the user's.
tmp=$(mktemp -d)
host_pid=
cleanup() {
  if [ -n "$host_pid" ]; then
    kill "$host_pid" 2>/dev/null || true
    wait "$host_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
build/tests/host/skylight-testhost --state-dir "$tmp/host" --http-port 0 --https-port 0 \
  --rtsp-port 0 --video-port 0 --audio-port 0 --control-port 0 --pin 1234 \
  >"$tmp/host.out" 2>"$tmp/host.err" </dev/null &
host_pid=$!
for _ in $(seq 100); do
  grep -q '^ready ' "$tmp/host.out" 2>/dev/null && break
  sleep 0.1
done
port=$(sed -n 's/^ready http=\([0-9]*\).*/\1/p' "$tmp/host.out")
if [ -z "$port" ]; then
  echo "The test host did not start:" >&2
  cat "$tmp/host.err" >&2
  exit 1
fi
export XDG_CONFIG_HOME="$tmp/client"
"$sky" pair "127.0.0.1:$port" --pin 1234
"$sky" stream "127.0.0.1:$port" "${headless[@]}" --duration 10 "$@"

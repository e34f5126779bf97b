#!/usr/bin/env bash
# The main job: installs what is missing, builds, makes a sample clip (video + Opus audio) and
# plays it through Skylight's pipeline: in a window when a display exists, headless otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
scripts/build.sh release
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
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec build/client/skylight play "$sample" "$@"
fi
echo "No display: decoding headless." >&2
SDL_AUDIODRIVER=${SDL_AUDIODRIVER:-dummy} exec build/client/skylight play --headless "$sample" "$@"

#!/usr/bin/env bash
# Installs the Debian 12 packages Skylight needs to build, test and run, if any are missing.
# Idempotent: does nothing (and needs no network) when everything is there.
# Usage: scripts/deps.sh [build|test]   (test adds the tools the test suite uses)
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config
  libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  libopus-dev libenet-dev libssl-dev libexpat1-dev libcurl4-openssl-dev
  libisal-dev  # Reed-Solomon FEC
  libavahi-client-dev  # host discovery through avahi-daemon (which need not run)
  libplacebo-dev libvulkan-dev  # the placebo renderer (Vulkan, OpenGL)
  ffmpeg  # makes the demo and test samples
)
test_pkgs=(
  libcmocka-dev clang libclang-rt-14-dev  # unit tests, libFuzzer
  xvfb x11-apps xauth                     # a real X server and xwd for window tests
  mesa-vulkan-drivers libgl1-mesa-dri     # lavapipe (Vulkan) and llvmpipe (OpenGL): no GPU in CI
  libegl-dev libegl-mesa0                 # offscreen OpenGL (surfaceless EGL) for renderer tests
  python3
  openssl                                 # a second host identity in the hosts tests
  iproute2                                # network namespaces and veth pairs (discovery tests)
  desktop-file-utils                      # desktop-file-validate for the desktop entry
)

pkgs=("${build_pkgs[@]}")
if [ "${1:-build}" = test ]; then
  pkgs+=("${test_pkgs[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

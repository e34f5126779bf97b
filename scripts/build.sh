#!/usr/bin/env bash
# Configures and builds one flavour of Skylight into build/ (or build-<flavour>/).
# Usage: scripts/build.sh [release|asan|tsan|fuzz]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
jobs=$(nproc)
werror=ON
case "$flavour" in
  release) dir=build; args=() ;;
  asan) dir=build-asan; args=(-DSKY_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug) ;;
  tsan) dir=build-tsan; args=(-DSKY_SANITIZE=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  fuzz) dir=build-fuzz; args=(-DSKY_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  *) echo "unknown flavour '$flavour' (release, asan, tsan, fuzz)" >&2; exit 2 ;;
esac
# The builds made here run the tests: their test-only hooks are in (see SKY_TEST_HOOKS).
cmake -S . -B "$dir" -DSKY_WERROR=$werror -DSKY_TEST_HOOKS=ON "${args[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"

#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and runs
#   1. the ASan+UBSan build: every unit and integration test;
#   2. the TSan build: the threaded pipeline (queues, ring, headless decoding);
#   3. the libFuzzer build: a short run of every fuzz target;
#   4. the release build with -Werror: every test (its ctest summary closes the run).
# Usage: scripts/test.sh [--quick]   (--quick: the release build only)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/deps.sh test
jobs=$(nproc)
export SDL_AUDIODRIVER=${SDL_AUDIODRIVER:-dummy}

if [ "${1:-}" != "--quick" ]; then
  echo "== ASan+UBSan build"
  scripts/build.sh asan
  (cd build-asan && \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j "$jobs" -L 'unit|integration')

  echo "== TSan build"
  scripts/build.sh tsan
  (cd build-tsan && \
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp" \
    ctest --output-on-failure -j "$jobs" -L threads)

  echo "== libFuzzer build"
  scripts/build.sh fuzz
  (cd build-fuzz && ctest --output-on-failure -j "$jobs" -L fuzz)
fi

echo "== Release build (-Werror)"
scripts/build.sh release
cd build && ctest --output-on-failure -j "$jobs"

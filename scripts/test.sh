#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and runs
#   1. the ASan+UBSan build: every unit and integration test;
#   2. the TSan build: the threaded pipeline (queues, ring, headless decoding);
#   3. the libFuzzer build: a short run of every fuzz target;
#   4. the release build with -Werror: every test (its ctest summary closes the run).
# Usage: scripts/test.sh [--quick | --stress [N]]
#   --quick       the release build only
#   --stress [N]  the release build's unit and integration tests N times (3) beside two busy
#                 CPU hogs, stopping at the first failure: proves the suite does not depend on
#                 speed (not part of CI: it is long)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/deps.sh test
jobs=$(nproc)
export SDL_AUDIODRIVER=${SDL_AUDIODRIVER:-dummy}

if [ "${1:-}" = "--stress" ]; then
  runs=${2:-3}
  case "$runs" in ''|*[!0-9]*) echo "usage: scripts/test.sh --stress [N]" >&2; exit 2 ;; esac
  echo "== Release build (-Werror)"
  scripts/build.sh release
  hogs=()
  stop_hogs() { [ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null || true; }
  trap stop_hogs EXIT
  trap 'exit 130' INT TERM
  for _ in 1 2; do
    sh -c 'while :; do :; done' &
    hogs+=($!)
  done
  for ((i = 1; i <= runs; i++)); do
    echo "== Stress run $i of $runs: unit and integration tests beside 2 CPU hogs (pids ${hogs[*]})"
    (cd build && ctest --output-on-failure -j "$jobs" -L 'unit|integration')
  done
  echo "== $runs stress runs passed"
  exit 0
fi

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

#!/usr/bin/env bash
# Reed-Solomon throughput: encode and rebuild of 1040-byte shards, k = 10..200, 20 % parity
# (figures, not pass/fail). Builds the bench_fec target of the release tree (build/) first.
# Usage: bench/fec.sh [ITERATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/CMakeCache.txt ] || cmake -S . -B build -DSKY_WERROR=ON >/dev/null
cmake --build build --target bench_fec -j "$(nproc)" >/dev/null
exec build/bench/bench_fec "$@"

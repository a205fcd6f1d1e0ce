#!/usr/bin/env bash
# The first command of the quick start: installs dependencies, builds (Release), and runs the
# main job: `cacheme-bench replay` of the seed's Zipf workload (200,000 requests, 1,000 workers,
# a 100 ms loader) on the embedded default storage (SQLite in a temporary folder; no server).
#   scripts/bench.sh [extra cacheme-bench replay options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
# Release: no -Werror (g++ 12 has false -Wrestrict positives at -O3, GCC PR 105651).
BUILD_TYPE=Release "$root/scripts/build.sh" "$root/build-release" -DCACHEME_TESTS=OFF -DCACHEME_BENCHMARKS=OFF \
  -DCACHEME_EXAMPLES=OFF -DCACHEME_WERROR=OFF
exec "$root/build-release/cli/cacheme-bench" replay "$@"

#!/usr/bin/env bash
# The first command of the quick start: installs dependencies, builds (Release), and runs the
# main job: `cacheme-bench replay` of the seed's Zipf workload (200,000 requests, 1,000 workers,
# a 100 ms loader) on the embedded default storage (SQLite in a temporary folder; no server).
#   scripts/bench.sh [extra cacheme-bench replay options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
# Release, without -Werror: a warning that another compiler adds must not stop a first run
# (with Debian 12's g++ 12 this build has none; CI builds with -Werror).
BUILD_TYPE=Release "$root/scripts/build.sh" "$root/build-release" -DCACHEME_TESTS=OFF -DCACHEME_BENCHMARKS=OFF \
  -DCACHEME_EXAMPLES=OFF -DCACHEME_WERROR=OFF
exec "$root/build-release/cli/cacheme-bench" replay "$@"

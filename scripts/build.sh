#!/usr/bin/env bash
# Configures and builds cacheme.   scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Default BUILD_DIR is build/. Parallelism: $JOBS (default 2, as CI has 2 cores).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}
shift || true
cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} -DCACHEME_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j "${JOBS:-2}"

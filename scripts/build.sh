#!/usr/bin/env bash
# Configures and builds cacheme.   scripts/build.sh [BUILD_DIR] [extra cmake args...]
# Default BUILD_DIR is build/. Parallelism: $JOBS (default 2, as CI has 2 cores).
# $TARGETS (space-separated) builds only those targets (the sanitizer builds of scripts/test.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}
shift || true
cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} -DCACHEME_WERROR=ON "$@" >/dev/null
# shellcheck disable=SC2086  # TARGETS is a list
cmake --build "$dir" -j "${JOBS:-2}" ${TARGETS:+--target $TARGETS}

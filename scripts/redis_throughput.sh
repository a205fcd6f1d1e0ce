#!/usr/bin/env bash
# Redis throughput (DESIGN.md §8, the adapters issue): redis-benchmark's GET rate beside
# cacheme's (examples/redis_throughput) on the same throwaway redis-server, and their ratio.
#
#   scripts/redis_throughput.sh [BUILD_DIR] [--asio]
#
# BUILD_DIR (default build) must hold examples/redis_throughput. The server runs under its own
# SVC_BASE on REDIS_PORT (default 16399) and is stopped at exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
[[ ${1:-} == --asio ]] && build=build
adapters=(libevent)
[[ " $* " == *" --asio "* ]] && adapters+=(asio)
prog=$build/examples/redis_throughput
[[ -x $prog ]] || { echo "no $prog: build the redis_throughput target" >&2; exit 2; }

export SVC_BASE=${SVC_BASE:-${TMPDIR:-/tmp}/cacheme-throughput-$$}
export REDIS_PORT=${REDIS_PORT:-16399}
mkdir -p "$SVC_BASE"
trap '"$here/services.sh" stop redis; rm -rf "$SVC_BASE"' EXIT
"$here/services.sh" start redis

flags=(-h 127.0.0.1 -p "$REDIS_PORT" -c 100 -n 1000000 -d 100 -r 10000 -q)
echo "redis-benchmark ${flags[*]} -t set / -t get"
redis-benchmark "${flags[@]}" -t set | tr '\r' '\n' | grep -v '^$' | tail -1
get_line=$(redis-benchmark "${flags[@]}" -t get | tr '\r' '\n' | grep -v '^$' | tail -1)
echo "$get_line"
bench_rate=$(sed -E 's/.*GET: ([0-9.]+) requests per second.*/\1/' <<<"$get_line")

for adapter in "${adapters[@]}"; do
  line=$("$prog" --url "redis://127.0.0.1:$REDIS_PORT" --adapter "$adapter" --requests 1000000 --keys 10000 \
                 --concurrency 100 --value-size 100)
  echo "$line"
  ours=$(sed -E 's/.*gets_per_s=([0-9]+).*/\1/' <<<"$line")
  awk -v a="$adapter" -v o="$ours" -v b="$bench_rate" \
    'BEGIN { printf "cacheme (%s): %.0f gets/s   redis-benchmark GET: %.0f req/s   ratio: %.2f\n", a, o, b, o / b }'
done

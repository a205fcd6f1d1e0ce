#!/usr/bin/env bash
# `--plot` of replay and compare: the time panel's axis starts at 0 (a run of 0.05 s beside a
# floor of 0.04 s once got an axis from 0.04, where the floor bar looked empty) and a latency
# panel (p50, p90, p99, p99.9 per run, log scale) is drawn below it. Needs gnuplot (setup.sh).
#   plot_test.sh CACHEME_BENCH
set -uo pipefail
bench=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
if ! command -v gnuplot >/dev/null; then
  [[ ${CACHEME_REQUIRE_SERVERS:-} == 1 ]] && fail "gnuplot is not installed but CACHEME_REQUIRE_SERVERS=1"
  echo "[not run] gnuplot is not installed: this test did NOT run"
  exit 77
fi

# A floor close to the time: 2,000 requests, 400 workers, 10 ms loads.
small=(--requests 2000 --workers 400 --load-latency 10ms)
"$bench" replay "${small[@]}" --chain 'local://lru?size=100' --plot "$out/replay.svg" >/dev/null \
  || fail "replay --plot failed"
"$bench" compare "${small[@]}" --chain 'local://lru?size=100' --chain 'local://tlfu?size=100' \
  --plot "$out/compare.svg" >/dev/null || fail "compare --plot failed"

for svg in "$out/replay.svg" "$out/compare.svg"; do
  [[ -s $svg ]] || fail "$svg was not written"
  grep -q '<svg' "$svg" || fail "$svg is not an SVG"
  # gnuplot writes a panel's ticks and keys, then its title: the time panel is everything up
  # to its title, the latency panel what follows up to its own.
  time_at=$(grep -n 'time and load-bound floor' "$svg" | head -1 | cut -d: -f1)
  latency_at=$(grep -n 'request latency (log scale)' "$svg" | head -1 | cut -d: -f1)
  [[ -n $time_at ]] || fail "$svg has no time panel"
  [[ -n $latency_at && $latency_at -gt $time_at ]] || fail "$svg has no latency panel below the time panel"
  tick() { grep -Eq ">[[:space:]]*($1)[[:space:]]*</(tspan|text)>"; }
  sed -n "1,${time_at}p" "$svg" | tick '0|0\.0+' || fail "$svg: the time axis does not start at 0"
  for key in p50 p90 p99 'p99\.9'; do
    sed -n "${time_at},${latency_at}p" "$svg" | tick "$key" || fail "$svg: no $key in the latency panel"
  done
  # A log axis: ticks at powers of 10.
  sed -n "${time_at},${latency_at}p" "$svg" | tick '1|10|100|1000' || fail "$svg: the latency axis has no power-of-10 tick"
done
echo "plots: axis from 0 and latency panel present"

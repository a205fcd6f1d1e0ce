#!/usr/bin/env bash
# Scrapes examples/metrics_server once and checks the text with `promtool check metrics` (CTest).
#   check_metrics.sh <metrics_server> [STORAGE_URL...]
# promtool: $PROMTOOL, else on PATH; scripts/test.sh fetches it (see scripts/promtool.sh).
set -euo pipefail
prog=$1
shift
promtool=${PROMTOOL:-$(command -v promtool || true)}
if [ -z "$promtool" ]; then
  if [ "${CACHEME_REQUIRE_SERVERS:-}" = 1 ]; then echo "promtool not found but CACHEME_REQUIRE_SERVERS=1" >&2; exit 1; fi
  echo "[not run] promtool not found" >&2
  exit 0
fi
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
"$prog" --port 0 --scrapes 1 "$@" >"$dir/out" &
pid=$!
for _ in $(seq 100); do grep -q listening "$dir/out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1://p' "$dir/out")
[ -n "$port" ] || { echo "metrics_server did not start" >&2; exit 1; }
sleep 0.5  # let the workload move the counters
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
cat <&3 >"$dir/response"
exec 3>&-
wait "$pid"
head -1 "$dir/response" | grep -q "200 OK" || { echo "no 200 OK:"; head -5 "$dir/response"; exit 1; } >&2
sed '1,/^\r$/d' "$dir/response" >"$dir/metrics"
for family in cacheme_requests_total cacheme_load_duration_seconds_bucket cacheme_local_entry_lifetime_seconds_count \
              cacheme_tier_hits_total cacheme_local_entries; do
  grep -q "^$family" "$dir/metrics" || { echo "missing family $family" >&2; exit 1; }
done
"$promtool" check metrics <"$dir/metrics"
echo "promtool: $(grep -c '^cacheme_' "$dir/metrics") samples OK"

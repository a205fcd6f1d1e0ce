#!/bin/sh
# Runs an example program (CTest): on the default local storage, then local + the test Redis.
set -e
prog=$1
"$prog"
if [ -z "${CACHEME_TEST_REDIS_URL:-}" ]; then
  if [ "${CACHEME_REQUIRE_SERVERS:-}" = 1 ]; then
    echo "CACHEME_TEST_REDIS_URL is not set but CACHEME_REQUIRE_SERVERS=1" >&2
    exit 1
  fi
  echo "[not run] $(basename "$prog") with Redis: CACHEME_TEST_REDIS_URL is not set" >&2
  exit 0
fi
"$prog" "local://tlfu?size=100" "$CACHEME_TEST_REDIS_URL"
"$prog" "$CACHEME_TEST_REDIS_URL"

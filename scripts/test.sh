#!/usr/bin/env bash
# The second command of the quick start, and exactly what CI runs (.ci/run):
# installs dependencies, builds, starts every server the tests use on 127.0.0.1, runs every
# test (unit, sim, integration), then the sanitizer build (unit, sim) and the codec fuzzers,
# and stops the servers it started.
#   scripts/test.sh            everything
#   SKIP_SANITIZE=1 SKIP_FUZZ=1 scripts/test.sh   the normal build only
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/scripts/setup.sh"

export SVC_BASE=${SVC_BASE:-$(mktemp -d /tmp/cacheme-test.XXXXXX)}
chmod 755 "$SVC_BASE"
cleanup() { "$root/scripts/services.sh" stop all || true; rm -rf "$SVC_BASE"; }
trap cleanup EXIT

echo "== build (RelWithDebInfo)"
"$root/scripts/build.sh" "$root/build"

echo "== servers"
"$root/scripts/services.sh" start all
eval "$("$root/scripts/services.sh" env)"
export CACHEME_REQUIRE_SERVERS=1
export CACHEME_SERVICES_SCRIPT="$root/scripts/services.sh"

echo "== tests: unit, sim, integration"
ctest --test-dir "$root/build" --output-on-failure -j 2 -LE fuzz

# The sanitizer build covers the pure layers (core, local storage, codecs) and both adapters on
# the embedded storages (their safety suites: hung loaders, cancellation, throwing handlers, a
# cache destroyed inside a handler, Asio included first); the fuzz build the pure layers. The
# network drivers are left out to keep CI within its time.
no_drivers="-DCACHEME_WITH_REDIS=OFF -DCACHEME_WITH_POSTGRES=OFF -DCACHEME_WITH_MYSQL=OFF -DCACHEME_WITH_MONGO=OFF"
no_adapters="-DCACHEME_WITH_ASIO=OFF -DCACHEME_WITH_LIBEVENT=OFF -DCACHEME_WITH_SQLITE=OFF"

if [[ -z ${SKIP_PACKAGE:-} ]]; then
  echo "== install, consumers (find_package, add_subdirectory, pkg-config), Debian packages, API docs"
  "$root/scripts/package_test.sh" "$root/build"
fi

if [[ -z ${SKIP_SANITIZE:-} ]]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build: unit, sim, adapters"
  BUILD_TYPE=Debug "$root/scripts/build.sh" "$root/build-asan" -DCACHEME_SANITIZE=address,undefined \
    -DCACHEME_CLI=OFF -DCACHEME_BENCHMARKS=OFF -DCACHEME_EXAMPLES=OFF $no_drivers
  ctest --test-dir "$root/build-asan" --output-on-failure -j 2 -L 'unit|sim'
  for t in adapters/asio/test_adapter_asio adapters/libevent/test_adapter_libevent; do
    echo "-- $t (ASan+UBSan)"
    "$root/build-asan/tests/$t"
  done
fi

if [[ -z ${SKIP_FUZZ:-} ]]; then
  echo "== fuzz (clang, libFuzzer), bounded time"
  CXX=clang++ "$root/scripts/build.sh" "$root/build-fuzz" -DCACHEME_FUZZ=ON -DCACHEME_TESTS=OFF \
    -DCACHEME_CLI=OFF -DCACHEME_BENCHMARKS=OFF -DCACHEME_EXAMPLES=OFF $no_drivers $no_adapters
  ctest --test-dir "$root/build-fuzz" --output-on-failure -j 2 -L fuzz
fi
echo "== all tests passed"

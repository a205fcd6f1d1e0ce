#!/usr/bin/env bash
# The second command of the quick start, and exactly what CI runs (.ci/run):
# installs dependencies, builds, starts every server the tests use on 127.0.0.1, runs every
# test (unit, sim, integration), then the same suites under ASan+UBSan (drivers and adapters
# included, against the same servers), the threaded adapter tests under TSan, and the codec
# fuzzers, and stops the servers it started. Each phase is timed.
#   scripts/test.sh            everything
#   SKIP_SANITIZE=1 SKIP_FUZZ=1 scripts/test.sh   the normal build only
#   SANITIZE_PURE_ONLY=1 scripts/test.sh   ASan+UBSan without the network drivers (quicker)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export SVC_BASE=${SVC_BASE:-$(mktemp -d /tmp/cacheme-test.XXXXXX)}
chmod 755 "$SVC_BASE"
# Every phase is timed; the figures are printed at the end (and on failure, so far).
timings=()
phase_start=$SECONDS
phase() {
  local now=$SECONDS
  [[ -n ${phase_name:-} ]] && timings+=("$(printf '%5d s  %s' $((now - phase_start)) "$phase_name")")
  phase_name=$1
  phase_start=$now
  [[ -n $phase_name ]] && echo "== $phase_name"
  return 0
}
report_timings() {
  phase ""
  echo "== phase timings (total $SECONDS s)"
  printf '%s\n' "${timings[@]}"
}
cleanup() { report_timings; "$root/scripts/services.sh" stop all || true; rm -rf "$SVC_BASE"; }
trap cleanup EXIT

phase "setup (apt)"
"$root/scripts/setup.sh"

phase "build (RelWithDebInfo)"
"$root/scripts/build.sh" "$root/build"

phase "servers"
"$root/scripts/services.sh" start all
eval "$("$root/scripts/services.sh" env)"
export CACHEME_REQUIRE_SERVERS=1
export CACHEME_SERVICES_SCRIPT="$root/scripts/services.sh"
PROMTOOL=$("$root/scripts/promtool.sh")  # the metrics test's checker (not the whole prometheus package)
export PROMTOOL

phase "tests: unit, sim, integration"
ctest --test-dir "$root/build" --output-on-failure -j 2 -LE fuzz

# Sanitizers over every layer. ASan+UBSan: the pure layers, every driver and both adapters, with
# the unit, sim, integration and conformance suites against the servers above (the CLI, its
# shell tests and the examples are left out: they add build time and no code of their own
# below the CLI). TSan: the tests that cross threads (the reactors' post from other threads,
# Asio's use_future from another thread, the SQLite worker under both adapters).
no_drivers="-DCACHEME_WITH_REDIS=OFF -DCACHEME_WITH_POSTGRES=OFF -DCACHEME_WITH_MYSQL=OFF -DCACHEME_WITH_MONGO=OFF"
no_adapters="-DCACHEME_WITH_ASIO=OFF -DCACHEME_WITH_LIBEVENT=OFF -DCACHEME_WITH_SQLITE=OFF"
no_tools="-DCACHEME_CLI=OFF -DCACHEME_BENCHMARKS=OFF -DCACHEME_EXAMPLES=OFF"
# Tests left out of the ASan+UBSan run, one regex a line, each with its reason in that file.
sanitize_exclude=$(grep -v -e '^#' -e '^$' "$root/tests/sanitize/asan_exclude.txt" | paste -sd'|' || true)

if [[ -z ${SKIP_PACKAGE:-} ]]; then
  echo "== install, consumers (find_package, add_subdirectory, pkg-config), Debian packages, API docs"
  "$root/scripts/package_test.sh" "$root/build"
fi

if [[ -z ${SKIP_SANITIZE:-} ]]; then
  # -g1 (line tables, no variables): stack traces still name files and lines, and a translation
  # unit compiles in about 25% less CPU than with -g. Not -O1: it made compiles 1.4-2.6x slower,
  # for tests that spend little CPU at -O0 (most wait on servers; README, Development).
  sanitize_flags=(-DCMAKE_CXX_FLAGS_DEBUG=-g1)
  if [[ -n ${SANITIZE_PURE_ONLY:-} ]]; then
    # Opt-out (a quicker local run): the pure layers and both adapters on the embedded storages.
    phase "ASan+UBSan build: core, local, codecs, adapters on SQLite"
    BUILD_TYPE=Debug "$root/scripts/build.sh" "$root/build-asan" -DCACHEME_SANITIZE=address,undefined \
      "${sanitize_flags[@]}" $no_tools $no_drivers
  else
    phase "ASan+UBSan build: core, drivers, adapters, their tests"
    BUILD_TYPE=Debug "$root/scripts/build.sh" "$root/build-asan" -DCACHEME_SANITIZE=address,undefined \
      "${sanitize_flags[@]}" $no_tools
  fi
  phase "ASan+UBSan tests: unit, sim, integration, conformance"
  # -j 3: the server-bound suites mostly wait on I/O.
  ASAN_OPTIONS=${ASAN_OPTIONS:-"detect_leaks=1:abort_on_error=1"} \
  LSAN_OPTIONS=${LSAN_OPTIONS:-"suppressions=$root/tests/sanitize/lsan.supp:print_suppressions=0"} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-"print_stacktrace=1:halt_on_error=1"} \
    ctest --test-dir "$root/build-asan" --output-on-failure -j 3 -LE fuzz ${sanitize_exclude:+-E "$sanitize_exclude"}

  phase "TSan build: reactors and adapters"
  BUILD_TYPE=Debug TARGETS="test_adapters_reactor test_adapter_asio test_adapter_libevent" \
    "$root/scripts/build.sh" "$root/build-tsan" -DCACHEME_SANITIZE=thread $no_tools $no_drivers
  phase "TSan tests: threads crossing into the loop"
  for t in adapters/reactor/test_adapters_reactor adapters/asio/test_adapter_asio adapters/libevent/test_adapter_libevent; do
    echo "-- $t (TSan)"
    TSAN_OPTIONS=${TSAN_OPTIONS:-"halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/sanitize/tsan.supp"} \
      "$root/build-tsan/tests/$t"
  done
fi

if [[ -z ${SKIP_FUZZ:-} ]]; then
  phase "fuzz (clang, libFuzzer), bounded time"
  CXX=clang++ "$root/scripts/build.sh" "$root/build-fuzz" -DCACHEME_FUZZ=ON -DCACHEME_TESTS=OFF \
    $no_tools $no_drivers $no_adapters
  ctest --test-dir "$root/build-fuzz" --output-on-failure -j 2 -L fuzz
fi
phase ""
echo "== all tests passed"

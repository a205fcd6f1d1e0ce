#!/usr/bin/env bash
# The library as a service adopts it (issue 18), against a built tree (default build/):
#   0. the API reference (Doxygen): any warning (an undocumented public entity, bad markup)
#      fails, as with -DCACHEME_DOCS_STRICT=ON;
#   1. cmake --install into a temporary prefix; tests/consumer built with find_package and with
#      pkg-config against it, and run (a get through the local tier, one through SQLite);
#   2. tests/consumer built with add_subdirectory of this checkout, as shared libraries
#      (BUILD_SHARED_LIBS=ON: checks the SONAME), and run;
#   3. the Debian packages (CPack) installed with dpkg -i, `cacheme-bench replay --requests 20000`
#      and the consumer (find_package, no prefix given) run against them, then dpkg -r.
#   scripts/package_test.sh [BUILD_DIR]        (as root: step 3 installs packages)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
work=$(mktemp -d /tmp/cacheme-package.XXXXXX)
packages=(libcacheme-dev cacheme-bench)
installed=0
cleanup() {
  if ((installed)); then dpkg -r "${packages[@]}" >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
consumer_cmake() {  # consumer_cmake DIR [cmake args...]: configure, build and run the consumer
  local dir=$1
  shift
  cmake -S "$root/tests/consumer" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >"$dir.log" 2>&1 ||
    { cat "$dir.log"; return 1; }
  cmake --build "$dir" --target consumer -j "${JOBS:-2}" >>"$dir.log" 2>&1 || { cat "$dir.log"; return 1; }
  "$dir/consumer" "$dir/cache.db"
}

echo "-- API reference: cmake --build $build --target docs (Doxygen)"
# Any line of the log fails (Doxygen continues a warning on the next lines), whatever
# CACHEME_DOCS_STRICT the build directory was configured with (ON fails the target itself).
docs_log=$build/docs/api/warnings.log
if ! cmake --build "$build" --target docs >/dev/null || [[ -s $docs_log ]]; then
  cat "$docs_log" >&2 || true
  # (strict, Doxygen writes them as "error:")
  echo "Doxygen warnings: $(grep -cE ': (warning|error):' "$docs_log" || true); document the public API" >&2
  exit 1
fi
echo "Doxygen warnings: 0"

echo "-- cmake --install $build --prefix $work/prefix"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
echo "-- consumer: find_package(cacheme REQUIRED COMPONENTS asio redis) from the prefix"
consumer_cmake "$work/find" -DCMAKE_PREFIX_PATH="$work/prefix"
echo "-- consumer: pkg-config --cflags --libs cacheme-asio cacheme-redis"
mkdir -p "$work/pc"
PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" "$root/tests/consumer/build_with_pkg_config.sh" "$work/pc/consumer"
"$work/pc/consumer" "$work/pc/cache.db"

echo "-- consumer: add_subdirectory, BUILD_SHARED_LIBS=ON"
# Only the parts the consumer uses, to keep CI short; the other drivers build the same way.
consumer_cmake "$work/subdir" -DCACHEME_SOURCE_DIR="$root" -DBUILD_SHARED_LIBS=ON -DCACHEME_WITH_POSTGRES=OFF \
  -DCACHEME_WITH_MYSQL=OFF -DCACHEME_WITH_MONGO=OFF -DCACHEME_WITH_LIBEVENT=OFF
soname=$(readelf -d "$work/subdir/cacheme/core/libcacheme_core.so" | grep -o 'SONAME.*')
echo "$soname"
[[ $soname == *"libcacheme_core.so.0"* ]] || { echo "unexpected SONAME: $soname" >&2; exit 1; }
ldd "$work/subdir/consumer" | grep -q "libcacheme_core.so.0 =>" || { echo "consumer not linked shared" >&2; exit 1; }

echo "-- Debian packages (CPack)"
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/debs" >/dev/null)
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "$p is installed already: not replacing it" >&2
    exit 1
  fi
done
installed=1
dpkg -i "$work"/debs/*.deb
dpkg-deb -f "$work"/debs/cacheme-bench_*.deb Depends
cacheme-bench replay --requests 20000
echo "-- consumer against the installed packages"
consumer_cmake "$work/deb-find"
echo "pkg-config --libs cacheme-redis: $(pkg-config --libs cacheme-redis)"
dpkg -r "${packages[@]}"
installed=0
echo "-- packaging: all passed"

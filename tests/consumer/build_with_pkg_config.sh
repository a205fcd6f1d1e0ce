#!/usr/bin/env bash
# Builds the consumer with pkg-config alone (no CMake): build_with_pkg_config.sh OUTPUT
# (PKG_CONFIG_PATH names the install prefix's lib/pkgconfig when it is not a system one).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
${CXX:-c++} -std=c++20 -O1 -o "$1" "$here/main.cpp" $(pkg-config --cflags --libs cacheme-asio cacheme-redis)

#!/usr/bin/env bash
# Installs every dependency of cacheme with apt (Debian 12, as root). Idempotent: when every
# package is already installed it returns at once, without `apt-get update`.
set -euo pipefail

PACKAGES=(
  cmake g++ ninja-build pkg-config clang libclang-rt-14-dev
  libexpected-dev libmsgpack-cxx-dev nlohmann-json3-dev zlib1g-dev libzstd-dev
  libasio-dev libevent-dev libhiredis-dev libpq-dev libsqlite3-dev libmariadb-dev libmongoc-dev
  libcli11-dev catch2 libbenchmark-dev
  redis-server redis-tools postgresql mariadb-server mariadb-client gnuplot-nox openssl procps
  doxygen dpkg-dev  # the API reference (target docs); dpkg-shlibdeps for the .deb's Depends
)
# The MongoDB-wire test server runs on Node.js with packages from npm (scripts/services.sh). A
# node that is already there (e.g. a newer one that bundles npm) is used as it is.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "[setup] all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "[setup] installing: ${missing[*]}"
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

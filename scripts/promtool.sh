#!/usr/bin/env bash
# Prints the path of a `promtool` for the metrics test (examples/check_metrics.sh): the one on
# PATH, else one extracted from Debian's `prometheus` package into a cache folder. The package
# is not installed: it is 19 MB to download and 96 MB installed, and its postinst starts a
# Prometheus server; the test needs only this one binary (static Go, no dependencies).
set -euo pipefail
if command -v promtool >/dev/null; then command -v promtool; exit 0; fi
cache=${CACHEME_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cacheme}/promtool
if [ ! -x "$cache/usr/bin/promtool" ]; then
  tmp=$(mktemp -d)
  chmod 755 "$tmp"  # apt downloads as its own user
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download prometheus >/dev/null)
  mkdir -p "$cache"
  dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$cache" ./usr/bin/promtool
fi
echo "$cache/usr/bin/promtool"

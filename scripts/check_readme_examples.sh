#!/usr/bin/env bash
# Checks that the README shows each example program exactly as examples/ holds it (the programs
# themselves are built and run as tests). Usage: scripts/check_readme_examples.sh [ROOT]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
status=0
for example in asio_example libevent_example; do
  # The ```cpp block that follows the heading naming examples/<example>.cpp.
  shown=$(awk -v name="examples/$example.cpp" '
    index($0, "### ") == 1 && index($0, name) { found = 1; next }
    found && /^```cpp$/ { inside = 1; next }
    inside && /^```$/ { exit }
    inside { print }' "$root/README.md")
  if ! diff -q <(printf '%s\n' "$shown") "$root/examples/$example.cpp" >/dev/null; then
    echo "README.md does not show examples/$example.cpp as it is" >&2
    status=1
  fi
done
exit $status

#include <catch2/catch.hpp>

#include "cacheme/local/ghost_filter.hpp"
#include "cacheme/local/hash.hpp"

using cacheme::local::GhostFilter;
using cacheme::local::mix64;

namespace {
std::uint32_t h(std::uint64_t key) { return static_cast<std::uint32_t>(mix64(key)); }
}  // namespace

TEST_CASE("a ghost remembers what was added in its last span of ticks", "[ghost]") {
  GhostFilter ghost(100);
  ghost.add(h(1));
  CHECK(ghost.contains(h(1)));
  CHECK_FALSE(ghost.contains(h(2)));
  ghost.tick(99);
  CHECK(ghost.contains(h(1)));  // still in the current generation
  ghost.tick(1);                // a new generation starts: the old one is still read
  CHECK(ghost.contains(h(1)));
  ghost.tick(100);              // two generations later: forgotten
  CHECK_FALSE(ghost.contains(h(1)));
}

TEST_CASE("a long pause forgets everything at once", "[ghost]") {
  GhostFilter ghost(10);
  ghost.add(h(1));
  ghost.tick(25);
  CHECK_FALSE(ghost.contains(h(1)));
}

TEST_CASE("a full ghost has few false positives", "[ghost]") {
  GhostFilter ghost(1000);
  for (std::uint64_t k = 0; k < 1000; ++k) ghost.add(h(k));
  int false_positives = 0;
  for (std::uint64_t k = 1'000'000; k < 1'010'000; ++k) false_positives += ghost.contains(h(k)) ? 1 : 0;
  CHECK(false_positives < 500);  // 8 bits and 3 probes per key: about 3% expected
  ghost.clear();
  CHECK_FALSE(ghost.contains(h(0)));
}

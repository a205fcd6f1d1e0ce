#include <catch2/catch.hpp>

#include <map>
#include <vector>

#include "cacheme/local/belady.hpp"
#include "cacheme/local/exact_lfu.hpp"
#include "cacheme/local/zipf.hpp"

using cacheme::local::belady_hits;
using cacheme::local::ZipfGenerator;

TEST_CASE("zipf keys stay in range and repeat for a seed", "[zipf]") {
  ZipfGenerator a(1.001, 10, 1000, 1);
  ZipfGenerator b(1.001, 10, 1000, 1);
  ZipfGenerator c(1.001, 10, 1000, 2);
  int differ = 0;
  for (int i = 0; i < 10'000; ++i) {
    const auto x = a.next();
    REQUIRE(x <= 1000);
    REQUIRE(x == b.next());
    differ += x != c.next() ? 1 : 0;
  }
  CHECK(differ > 1000);
}

TEST_CASE("zipf frequencies follow (v + k)^-s", "[zipf]") {
  ZipfGenerator zipf(1.5, 1, 1'000'000, 3);
  std::map<std::uint64_t, int> counts;
  const int n = 200'000;
  for (int i = 0; i < n; ++i) ++counts[zipf.next()];
  // P(k) ∝ (1 + k)^-1.5: P(1)/P(0) = 2^-1.5 ~ 0.354, P(3)/P(0) = 4^-1.5 = 0.125.
  CHECK(static_cast<double>(counts[1]) / counts[0] == Approx(0.354).epsilon(0.05));
  CHECK(static_cast<double>(counts[3]) / counts[0] == Approx(0.125).epsilon(0.08));
  CHECK(ZipfGenerator::valid(1.0001, 10));
  CHECK_FALSE(ZipfGenerator::valid(1.0, 10));
  CHECK_FALSE(ZipfGenerator::valid(1.1, 0.5));
}

TEST_CASE("Belady's optimum on small traces", "[belady]") {
  const std::vector<std::uint64_t> trace{1, 2, 3, 1, 2, 4, 1, 2, 3, 4};
  // Size 2, by hand: 3 and 4 are needed later than 1 and 2, so they bypass; 1 and 2 hit at
  // t3, t4, t6, t7; then 3 and 4 miss: 4 hits.
  CHECK(belady_hits(trace, 2) == 4);
  CHECK(belady_hits(trace, 4) == 6);  // every repeat hits: 10 requests - 4 distinct keys
  CHECK(belady_hits(trace, 0) == 0);
  // A loop of 5 keys in a cache of 4: the optimum misses once per pass after the first (it
  // evicts the key needed last), so at least 3 hits per pass; LRU would hit none.
  std::vector<std::uint64_t> loop;
  for (int round = 0; round < 100; ++round) {
    for (std::uint64_t k = 0; k < 5; ++k) loop.push_back(k);
  }
  CHECK(belady_hits(loop, 4) >= 99 * 3);
  CHECK(belady_hits(loop, 5) == 495);
}

TEST_CASE("the exact-count LFU on small traces", "[lfu]") {
  using cacheme::local::exact_lfu_hits;
  // Size 1, by hand: 1 is cached first and hits at t1, t2, t5 (its count reaches 4); 2 is
  // refused at t3, t4, t6 (counts 1, 2, 3 against 1's 3, 3, 4) and at t7 (4 against 4: a tie
  // keeps the incumbent).
  const std::vector<std::uint64_t> trace{1, 1, 1, 2, 2, 1, 2, 2};
  CHECK(exact_lfu_hits(trace, 1) == 3);
  CHECK(exact_lfu_hits(trace, 2) == 6);  // room for both: every repeat hits
  CHECK(exact_lfu_hits(trace, 0) == 0);
  // A key seen once never displaces a key seen twice: a scan leaves the hot key cached.
  std::vector<std::uint64_t> scan{7, 7};
  for (std::uint64_t k = 100; k < 200; ++k) scan.push_back(k);
  scan.push_back(7);
  CHECK(exact_lfu_hits(scan, 1) == 2);
}

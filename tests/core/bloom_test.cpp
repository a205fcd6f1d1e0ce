// The doorkeeper's bloom filter (DESIGN.md §3 rule 7): sized for n insertions at
// false-positive rate p, no false negatives, and cleared once it holds n.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

#include "bloom.hpp"

namespace cacheme::core::detail {
namespace {

// Well-spread 64-bit hashes of 0, 1, 2, ... (splitmix64), standing in for hashed keys.
std::uint64_t key_hash(std::uint64_t i) {
  std::uint64_t z = i + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

TEST_CASE("the bloom filter is sized from n and p", "[bloom][rule7]") {
  const BloomFilter f(1000, 0.01);
  // m = -n ln p / (ln 2)^2 = 9,585.1 bits, rounded up to whole 64-bit words.
  CHECK(f.bit_count() == 9600);
  // k = (m / n) ln 2 = 6.65, rounded.
  CHECK(f.hash_count() == 7);
  const BloomFilter tight(1000, 0.0001);
  CHECK(tight.bit_count() >= 19170);
  CHECK(tight.hash_count() == 13);
}

TEST_CASE("the bloom filter has no false negatives and about p false positives", "[bloom][rule7]") {
  BloomFilter f(10'000, 0.01);
  for (std::uint64_t i = 0; i < 10'000; ++i) f.insert(key_hash(i));
  for (std::uint64_t i = 0; i < 10'000; ++i) REQUIRE(f.contains(key_hash(i)));
  int false_positives = 0;
  for (std::uint64_t i = 1'000'000; i < 1'100'000; ++i) false_positives += f.contains(key_hash(i));
  CHECK(false_positives > 500);   // 0.5%: the filter is not oversized
  CHECK(false_positives < 2000);  // 2%: nor undersized
}

TEST_CASE("the bloom filter clears itself after n insertions", "[bloom][rule7]") {
  BloomFilter f(100, 0.01);
  for (std::uint64_t i = 0; i < 100; ++i) f.insert(key_hash(i));
  CHECK(f.insertions() == 100);
  for (std::uint64_t i = 0; i < 100; ++i) REQUIRE(f.contains(key_hash(i)));
  f.insert(key_hash(100));  // the 101st: it forgets the first 100, then remembers this one
  CHECK(f.insertions() == 1);
  CHECK(f.contains(key_hash(100)));
  int remembered = 0;
  for (std::uint64_t i = 0; i < 100; ++i) remembered += f.contains(key_hash(i));
  CHECK(remembered <= 2);  // only false positives against a single key's bits
}

}  // namespace
}  // namespace cacheme::core::detail

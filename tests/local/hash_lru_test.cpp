// HashLru is an exact LRU: on any stream it hits exactly where LruPolicy does.
#include <catch2/catch.hpp>

#include <cstdint>

#include "cacheme/local/hash_lru.hpp"
#include "cacheme/local/lru_policy.hpp"
#include "cacheme/local/random.hpp"

using cacheme::local::HashLru;
using cacheme::local::kNoNode;
using cacheme::local::LruPolicy;
using cacheme::local::NoValue;

TEST_CASE("HashLru hits exactly where an exact LRU does", "[hash_lru]") {
  for (const std::uint64_t capacity : {1, 2, 7, 100, 1000, 5000}) {
    for (const std::uint32_t keys : {3u, 150u, 1500u, 20000u}) {
      HashLru fast(capacity);
      LruPolicy<std::uint64_t> exact(capacity, 1);
      cacheme::local::Xoshiro256 rng(capacity * 31 + keys);
      std::uint64_t hits = 0, agree = 0;
      const int requests = 30000;
      for (int i = 0; i < requests; ++i) {
        // Skewed keys (the square of a uniform draw), some near the top of the 32-bit range.
        const double u = rng.next_double();
        auto key = static_cast<std::uint32_t>(u * u * keys);
        if (i % 7 == 0) key = UINT32_MAX - key;
        const bool expected = exact.find(key) != kNoNode;
        if (!expected) exact.insert(key, NoValue{}, 1, [](std::uint32_t) {});
        const bool got = fast.access(key);
        agree += got == expected ? 1 : 0;
        hits += got ? 1 : 0;
      }
      INFO("capacity " << capacity << ", keys " << keys);
      CHECK(agree == static_cast<std::uint64_t>(requests));
      CHECK(fast.size() == exact.size());
      // With room for every key (each drawn as itself or mirrored), only first uses miss.
      if (2 * keys <= capacity) CHECK(hits >= static_cast<std::uint64_t>(requests) - 2 * keys);
    }
  }
}

TEST_CASE("HashLru holds 12 bytes an entry and an index at most 80 % full", "[hash_lru]") {
  HashLru lru(12500);
  for (std::uint32_t k = 0; k < 100000; ++k) lru.access(k * 2654435761U);
  CHECK(lru.size() == 12500);
  CHECK(lru.memory_bytes() <= 12500 * 12 + 16384 * 8);  // 8-byte index slots, 76 % full
  // The 12,500 most recent keys are there, the one before them is not.
  CHECK(lru.access(99999 * 2654435761U));
  CHECK_FALSE(lru.access(87000 * 2654435761U));
}

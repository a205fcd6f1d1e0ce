#include <catch2/catch.hpp>

#include "cacheme/local/hash.hpp"
#include "cacheme/local/recency_guard.hpp"

using cacheme::local::mix64;
using cacheme::local::RecencyGuard;

namespace {
std::uint32_t h(std::uint64_t key) { return static_cast<std::uint32_t>(mix64(key)); }

/// Feeds `n` requests that LRU of 1,000 entries hits (each key comes back 500 requests later),
/// telling the guard the cache hit them with `own_hit`.
void recency_requests(RecencyGuard& guard, std::uint64_t n, bool own_hit) {
  for (std::uint64_t i = 0; i < n; ++i) guard.record(h(i % 500), own_hit);
}
}  // namespace

TEST_CASE("the guard is sure when LRU hits what the cache misses", "[guard]") {
  RecencyGuard guard(1000, 2);
  recency_requests(guard, 2000, false);
  REQUIRE(guard.ready());
  CHECK(guard.lru_advantage() > 10);
  CHECK_FALSE(guard.ready());  // a new period
}

TEST_CASE("the guard sees no advantage when the cache hits as LRU does", "[guard]") {
  RecencyGuard guard(1000, 2);
  recency_requests(guard, 500, false);  // first uses: both miss
  recency_requests(guard, 1500, true);  // both hit
  REQUIRE(guard.ready());
  CHECK(guard.lru_advantage() == 0);
}

TEST_CASE("the guard samples large caches", "[guard]") {
  // 1,000,000 entries: 1 key in 8 is simulated, by an LRU of 125,000 entries (12 bytes each
  // and an index of 262,144 8-byte slots: 3.6 bytes per entry of the cache).
  RecencyGuard guard(1'000'000, 1);
  CHECK(guard.memory_bytes() < 3'700'000);
  std::uint64_t sampled_requests = 0;
  for (std::uint64_t i = 0; i < 2'000'000 && !guard.ready(); ++i) {
    guard.record(h(i), false);
    sampled_requests = i + 1;
  }
  CHECK(guard.ready());
  CHECK(sampled_requests > 700'000);  // about 125,000 x 8 requests
  CHECK(sampled_requests < 1'300'000);
}

TEST_CASE("the guard decides as soon as LRU's advantage is sure", "[guard]") {
  // A period of 2,000 sampled requests; LRU's lead is sure (z > 4 over 30 discordant requests)
  // once it has hit 30 requests the cache missed.
  RecencyGuard guard(1000, 2, 4, 30);
  recency_requests(guard, 529, false);  // 500 first uses, then 29 LRU-only hits
  CHECK_FALSE(guard.ready());
  recency_requests(guard, 1, false);
  CHECK(guard.ready());
  CHECK(guard.lru_advantage() > 4);
  CHECK_FALSE(guard.ready());
}

TEST_CASE("the cache's own advantage waits for the period's end", "[guard]") {
  // Each key comes back 1,500 requests later: LRU of 1,000 entries misses, the cache hits.
  RecencyGuard guard(1000, 2, 4, 30);
  for (std::uint64_t i = 0; i < 1999; ++i) guard.record(h(i % 1500), i >= 1500);
  CHECK_FALSE(guard.ready());
  guard.record(h(1999 % 1500), true);
  CHECK(guard.ready());
  CHECK(guard.lru_advantage() < -4);
}

TEST_CASE("a large cache's guard gathers evidence at a rate that does not fall with capacity", "[guard]") {
  // 1,000,000 entries, keys that come back 400,000 requests later: after their first uses LRU
  // hits them all and the cache none. With 1 key in 8 sampled, 30 such requests (a sure lead)
  // take about 240 requests; with 1 in 512 (about 1,000 entries simulated) about 15,000.
  RecencyGuard guard(1'000'000, 0.5, 4, 30);
  std::uint64_t n = 0;
  for (; n < 1'000'000 && !guard.ready(); ++n) guard.record(h(n % 400'000), false);
  CHECK(n > 400'000);
  CHECK(n < 401'000);
  CHECK(guard.lru_advantage() > 4);
}

// Entry lifetimes (how long entries lived before eviction or expiry) and clear().
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "cacheme/local/local_store.hpp"

using cacheme::core::Instant;
using cacheme::local::make_local_store;
using namespace std::chrono_literals;

namespace {
const Instant kT0 = Instant{} + 5h;
cacheme::core::AnyValue value(int v) { return std::make_shared<const int>(v); }
}  // namespace

TEST_CASE("an evicted entry's lifetime runs from its insertion to its eviction", "[store][lifetime]") {
  auto store = std::move(*make_local_store("local://lru?size=2", 1));
  store->insert("a", value(1), std::nullopt, kT0);
  store->insert("b", value(2), std::nullopt, kT0 + 1s);
  store->insert("c", value(3), std::nullopt, kT0 + 2s);  // evicts "a", which lived 2 s
  const auto& evicted = store->lifetimes().evicted;
  CHECK(evicted.count() == 1);
  CHECK(evicted.sum_ns() == 2'000'000'000);
  CHECK(store->lifetimes().expired.count() == 0);
}

TEST_CASE("an expired entry's lifetime is counted to its expiry, swept or found", "[store][lifetime]") {
  for (const char* url : {"local://lru?size=10", "local://tlfu?size=10"}) {
    auto store = std::move(*make_local_store(url, 1));
    store->insert("swept", value(1), kT0 + 10s, kT0);
    store->insert("found", value(2), kT0 + 20s, kT0 + 5s);
    store->advance(kT0 + 12s);  // the wheel sweeps "swept" a little after its expiry
    CHECK_FALSE(store->find("found", kT0 + 30s).value);
    const auto& expired = store->lifetimes().expired;
    CHECK(expired.count() == 2);
    CHECK(expired.sum_ns() == 25'000'000'000);  // 10 s + 15 s
  }
}

TEST_CASE("erased and replaced entries are not counted", "[store][lifetime]") {
  auto store = std::move(*make_local_store("local://lru?size=10", 1));
  store->insert("a", value(1), kT0 + 10s, kT0);
  store->insert("a", value(2), kT0 + 20s, kT0 + 1s);
  CHECK(store->erase("a"));
  store->advance(kT0 + 1h);
  CHECK(store->lifetimes().expired.count() == 0);
  CHECK(store->lifetimes().evicted.count() == 0);
}

TEST_CASE("a newcomer W-TinyLFU refuses never lived", "[store][lifetime]") {
  auto store = std::move(*make_local_store("local://tlfu?size=100", 1));
  for (int round = 0; round < 20; ++round)
    for (int k = 0; k < 100; ++k) {
      store->insert("hot" + std::to_string(k), value(k), std::nullopt, kT0 + std::chrono::seconds(round));
      (void)store->find("hot" + std::to_string(k), kT0 + std::chrono::seconds(round));
    }
  for (int k = 0; k < 1000; ++k) store->insert("cold" + std::to_string(k), value(k), std::nullopt, kT0 + 100s);
  const auto& evicted = store->lifetimes().evicted;
  // Every counted eviction lived since its own insertion, never since a stale id's.
  CHECK(evicted.sum_ns() <= evicted.count() * std::uint64_t{100'000'000'000});
}

TEST_CASE("clear removes every entry and timer; the store works on", "[store]") {
  for (const char* url : {"local://lru?size=10", "local://tlfu?size=10"}) {
    auto store = std::move(*make_local_store(url, 1));
    store->insert("a", value(1), kT0 + 10s, kT0);
    store->insert("b", value(2), std::nullopt, kT0);
    store->clear(kT0 + 1s);
    CHECK(store->size() == 0);
    CHECK_FALSE(store->find("a", kT0 + 1s).value);
    CHECK_FALSE(store->find("b", kT0 + 1s).value);
    store->advance(kT0 + 1h);
    CHECK(store->lifetimes().expired.count() == 0);
    store->insert("c", value(3), kT0 + 1h + 1s, kT0 + 1h);
    CHECK(store->find("c", kT0 + 1h).value);
    store->advance(kT0 + 2h);
    CHECK(store->lifetimes().expired.count() == 1);
  }
}

TEST_CASE("lifetimes count from the birth's millisecond", "[store][lifetime]") {
  auto store = std::move(*make_local_store("local://lru?size=1", 1));
  store->insert("a", value(1), std::nullopt, kT0 + 400us);
  store->insert("b", value(2), std::nullopt, kT0 + 3s);  // evicts "a": lived 3 s - 0.4 ms
  const auto& evicted = store->lifetimes().evicted;
  REQUIRE(evicted.count() == 1);
  CHECK(evicted.sum_ns() == 3'000'000'000);  // the birth floored to kT0: up to 1 ms more
}

TEST_CASE("a lifetime past the 32-bit birth times' 49.7 days saturates, never wraps", "[store][lifetime]") {
  constexpr auto kLater = 50 * 24h;  // 2^32 ms is 49.7 days: a wrapped birth would be 7.3 h old
  auto lru = std::move(*make_local_store("local://lru?size=1", 1));
  lru->insert("old", value(1), std::nullopt, kT0);
  lru->insert("new", value(2), std::nullopt, kT0 + kLater);  // evicts "old"
  const auto& evicted = lru->lifetimes().evicted;
  REQUIRE(evicted.count() == 1);
  CHECK(evicted.counts().back() == 1);  // above the last bound (1 day)
  CHECK(evicted.sum_ns() >= std::uint64_t{24 * 24} * 3600 * 1'000'000'000);  // at least 24.8 days
  lru->insert("newer", value(3), std::nullopt, kT0 + kLater + 2s);  // births after it stay exact
  CHECK(evicted.count() == 2);
  CHECK((lru->lifetimes().evicted.sum_ns() - std::uint64_t{(1ULL << 31) * 1'000'000}) == 2'000'000'000);

  auto tlfu = std::move(*make_local_store("local://tlfu?size=10", 1));
  tlfu->insert("old", value(1), kT0 + 60 * 24h, kT0);
  tlfu->advance(kT0 + kLater);
  tlfu->advance(kT0 + 61 * 24h);
  REQUIRE(tlfu->lifetimes().expired.count() == 1);
  CHECK(tlfu->lifetimes().expired.counts().back() == 1);
}

TEST_CASE("a full store holds nodes (with their birth times), links and index, no more", "[store][lifetime]") {
  constexpr std::size_t kEntries = 100'000;
  auto store = std::move(*make_local_store("local://lru?size=100000", 1));
  for (std::size_t k = 0; k < kEntries; ++k) store->insert("key" + std::to_string(k), value(1), std::nullopt, kT0);
  // Nodes (one 64-byte line each, the newcomer's included, the birth time inside) and their
  // 8-byte queue links, the index (2^17 slots of 4 bytes); the empty timer wheel's sentinels
  // are the slack. Birth times by id beside the nodes added 8 bytes per entry, weights 4.
  const std::size_t exact = (64 + 8) * (kEntries + 1) + (std::size_t{1} << 17) * 4;
  CHECK(store->memory_bytes() <= exact + 16 * 1024);
}

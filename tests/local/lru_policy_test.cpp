#include <catch2/catch.hpp>

#include <list>
#include <unordered_map>
#include <vector>

#include "cacheme/local/lru_policy.hpp"
#include "cacheme/local/random.hpp"

using cacheme::local::kNoNode;
using cacheme::local::LruPolicy;

namespace {
/// The obvious LRU: a list in recency order and a map into it.
class OracleLru {
 public:
  explicit OracleLru(std::size_t capacity) : capacity_(capacity) {}
  bool access(std::uint64_t key) {
    if (const auto it = where_.find(key); it != where_.end()) {
      order_.splice(order_.end(), order_, it->second);
      return true;
    }
    order_.push_back(key);
    where_[key] = std::prev(order_.end());
    if (order_.size() > capacity_) {
      where_.erase(order_.front());
      order_.pop_front();
    }
    return false;
  }
  std::vector<std::uint64_t> keys() const { return {order_.begin(), order_.end()}; }

 private:
  std::size_t capacity_;
  std::list<std::uint64_t> order_;
  std::unordered_map<std::uint64_t, std::list<std::uint64_t>::iterator> where_;
};
}  // namespace

TEST_CASE("LRU matches an oracle hit for hit on a random trace", "[lru]") {
  for (const std::size_t capacity : {1, 2, 7, 50}) {
    LruPolicy<std::uint64_t> lru(capacity, 99);
    OracleLru oracle(capacity);
    cacheme::local::Xoshiro256 random(capacity);
    for (int i = 0; i < 20'000; ++i) {
      const std::uint64_t key = random.next() % (capacity * 3 + 1);
      const bool hit = lru.find(key) != kNoNode;
      if (!hit) lru.insert(key, {}, 1, [](std::uint32_t) {});
      REQUIRE(hit == oracle.access(key));
      REQUIRE(lru.size() <= capacity);
    }
    for (const auto key : oracle.keys()) CHECK(lru.peek(key) != kNoNode);
  }
}

TEST_CASE("LRU evicts the least recently used entry and reports it", "[lru]") {
  LruPolicy<std::uint64_t, int> lru(2, 1);
  std::vector<std::uint64_t> evicted;
  const auto record = [&](std::uint32_t id) { evicted.push_back(lru.key(id)); };
  lru.insert(1, 10, 1, record);
  lru.insert(2, 20, 1, record);
  REQUIRE(lru.find(1) != kNoNode);  // 2 is now the least recent
  lru.insert(3, 30, 1, record);
  CHECK(evicted == std::vector<std::uint64_t>{2});
  CHECK(lru.value(lru.peek(1)) == 10);
  lru.insert(1, 11, 1, record);  // replace, no eviction
  CHECK(lru.value(lru.peek(1)) == 11);
  CHECK(evicted.size() == 1);
}

TEST_CASE("LRU bounds the summed weight", "[lru]") {
  LruPolicy<std::uint64_t> lru(10, 1);
  const auto ignore = [](std::uint32_t) {};
  lru.insert(1, {}, 4, ignore);
  lru.insert(2, {}, 4, ignore);
  lru.insert(3, {}, 4, ignore);  // 12 > 10: key 1 leaves
  CHECK(lru.peek(1) == kNoNode);
  CHECK(lru.weight() == 8);
  CHECK(lru.insert(4, {}, 11, ignore) == kNoNode);  // heavier than the whole cache
  CHECK(lru.weight() <= 10);
}

TEST_CASE("weights set after unweighted entries count; replacing one reweighs", "[lru]") {
  LruPolicy<std::uint64_t> lru(10, 1);
  const auto ignore = [](std::uint32_t) {};
  lru.insert(1, {}, 1, ignore);  // no weights held yet: every weight is 1
  lru.insert(2, {}, 1, ignore);
  const std::size_t unweighted = lru.memory_bytes();
  lru.insert(3, {}, 5, ignore);  // the first weight other than 1: 1 and 2 keep weight 1
  CHECK(lru.weight() == 7);
  CHECK(lru.memory_bytes() > unweighted);  // the weights are held now
  lru.insert(2, {}, 3, ignore);  // replaced with weight 3
  CHECK(lru.weight() == 9);
  lru.insert(4, {}, 2, ignore);  // 11 > 10: key 1 (weight 1) leaves
  CHECK(lru.peek(1) == kNoNode);
  CHECK(lru.weight() == 10);
  lru.insert(5, {}, 1, ignore);  // 11 > 10: key 3 (weight 5) leaves
  CHECK(lru.peek(3) == kNoNode);
  CHECK(lru.weight() == 6);
}

TEST_CASE("LRU applies buffered hits in order, across several batches, before evicting", "[lru]") {
  constexpr std::uint64_t kKeys = 100;  // three full batches of hits and part of a fourth
  LruPolicy<std::uint64_t> lru(kKeys, 5);
  std::vector<std::uint64_t> evicted;
  const auto record = [&](std::uint32_t id) { evicted.push_back(lru.key(id)); };
  for (std::uint64_t k = 0; k < kKeys; ++k) lru.insert(k, {}, 1, record);
  std::vector<std::uint64_t> order;  // a permutation: 7 is coprime with 100
  for (std::uint64_t i = 0; i < kKeys; ++i) order.push_back((i * 7) % kKeys);
  for (const auto key : order) REQUIRE(lru.find(key) != kNoNode);
  for (std::uint64_t k = 0; k < kKeys; ++k) lru.insert(kKeys + k, {}, 1, record);
  CHECK(evicted == order);  // least recently hit first
}

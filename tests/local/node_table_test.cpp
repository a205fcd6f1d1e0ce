// NodeTable's index: 32-bit slots (node id, displacement from home, hash tag) that must find
// every live key and no other, whatever the hashes share, as the table grows.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "cacheme/local/node_table.hpp"
#include "cacheme/local/random.hpp"

using cacheme::local::kNoNode;
using cacheme::local::NoValue;
using cacheme::local::Xoshiro256;
using cacheme::local::detail::NodeTable;
using cacheme::local::detail::Queue;

namespace {

using Table = NodeTable<std::uint64_t, NoValue>;

// Adds `key` with the given hash (not its own: the tests choose collisions) as a policy does,
// putting the node in a queue so that the index keeps it when it grows.
std::uint32_t add(Table& t, std::uint64_t key, std::uint32_t h) {
  const std::uint32_t id = t.add(key, h, NoValue{}, 1);
  t[id].queue = Queue::lru;
  return id;
}

void remove(Table& t, std::uint32_t id) {
  t[id].queue = Queue::none;
  t.remove(id);
}

// Random adds and removes against a map, with hashes drawn by `hash_of` (which decides what
// keys share: home slot, tag, the whole hash); every live key is found with its id after each
// step's batch, and absent keys with colliding hashes are not.
template <class HashOf>
void replay(std::size_t expected, std::size_t live_max, int steps, std::uint64_t seed, HashOf hash_of) {
  Table t(expected, 11);
  Xoshiro256 rng(seed);
  std::unordered_map<std::uint64_t, std::uint32_t> ids;  // key -> id
  std::vector<std::uint64_t> keys;
  std::uint64_t next = 1;
  for (int step = 0; step < steps; ++step) {
    // Mostly adds until `live_max`, then as many removes as adds.
    const bool grow = keys.size() < live_max && (keys.empty() || rng.next() % 3 != 0);
    if (grow) {
      const std::uint64_t key = next++;
      ids[key] = add(t, key, hash_of(key));
      keys.push_back(key);
    } else {
      const std::size_t at = rng.next() % keys.size();
      const std::uint64_t key = keys[at];
      REQUIRE(t.find(key, hash_of(key)) == ids[key]);
      remove(t, ids[key]);
      ids.erase(key);
      keys[at] = keys.back();
      keys.pop_back();
      REQUIRE(t.find(key, hash_of(key)) == kNoNode);
    }
    if (step % 257 == 0 || step == steps - 1) {
      INFO("step " << step << ", live " << keys.size());
      for (const std::uint64_t key : keys) REQUIRE(t.find(key, hash_of(key)) == ids[key]);
      for (std::uint64_t absent = next; absent < next + 50; ++absent) REQUIRE(t.find(absent, hash_of(absent)) == kNoNode);
    }
  }
  CHECK(t.size() == keys.size());
}

}  // namespace

TEST_CASE("NodeTable finds every key as it grows past id widths, with spread hashes", "[node_table]") {
  // From 16 slots (4-bit ids) to 2^15 (15-bit ids): every growth changes the slot layout.
  replay(1, 20000, 60000, 1, [](std::uint64_t key) { return static_cast<std::uint32_t>(cacheme::local::mix64(key)); });
}

TEST_CASE("NodeTable tells apart keys whose hashes share the tag", "[node_table]") {
  // Only the home bits differ (the low 8): at up to 2^15 slots every key's tag is 0, and
  // homes crowd the first 256 slots, so displacements pass 63 (saturated, read from nodes).
  replay(1, 3000, 12000, 2, [](std::uint64_t key) { return static_cast<std::uint32_t>(cacheme::local::mix64(key) & 0xff); });
  // Only the tag bits differ (the top 6): every key has home slot 0.
  replay(1, 500, 3000, 3, [](std::uint64_t key) { return static_cast<std::uint32_t>(cacheme::local::mix64(key) << 26); });
}

TEST_CASE("NodeTable tells apart keys with the same hash", "[node_table]") {
  // Every key has one hash: same home, same tag, a run of displacements far past saturation.
  replay(1, 300, 2000, 4, [](std::uint64_t) { return std::uint32_t{0x9e3779b9}; });
  replay(1, 300, 2000, 5, [](std::uint64_t key) { return static_cast<std::uint32_t>(key % 3) << 29; });
}

TEST_CASE("NodeTable keeps string keys apart when their hashes collide", "[node_table]") {
  NodeTable<std::string, int> t(4, 3);
  std::vector<std::uint32_t> ids;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "key:" + std::to_string(i);
    const std::uint32_t id = t.add(key, 77, i, 1);
    t[id].queue = Queue::lru;
    ids.push_back(id);
  }
  for (int i = 0; i < 100; ++i) CHECK(t.find("key:" + std::to_string(i), 77) == ids[static_cast<std::size_t>(i)]);
  CHECK(t.find("key:100", 77) == kNoNode);
  CHECK(t.find("key:1", 78) == kNoNode);  // same key, another hash: another home and tag
}

TEST_CASE("NodeTable's displacements rarely saturate at 80 % load, so deletions rarely read nodes", "[node_table]") {
  // The store's case: 100,000 live keys (131,072 slots), the oldest removed for each new one
  // through two generations. Linear probing's clusters grow long at this load: with 4-bit
  // displacements (saturated at 15) 2 % of the entries were saturated, and each deletion's
  // backward shift read 0.86 of their nodes; with 6 bits, 0.05 % and 0.05.
  Table t(100000, 1);
  std::vector<std::uint32_t> fifo;
  std::uint64_t next = 0;
  for (; next < 100000; ++next) fifo.push_back(add(t, next, t.hash(next)));
  for (std::size_t oldest = 0; next < 300000; ++next, ++oldest) {
    remove(t, fifo[oldest]);
    fifo.push_back(add(t, next, t.hash(next)));
  }
  REQUIRE(t.size() == 100000);
  CHECK(t.saturated_slots() < 500);
  for (std::uint64_t k = 200000; k < 300000; k += 7) REQUIRE(t.find(k, t.hash(k)) != kNoNode);
}

TEST_CASE("NodeTable's index slots are 4 bytes", "[node_table]") {
  Table t(100000, 1);
  for (std::uint64_t k = 0; k < 100000; ++k) add(t, k, t.hash(k));
  // 100,000 entries at most 80 % full: 131,072 slots.
  const std::size_t slab = 100001 * (sizeof(Table::NodeType) + sizeof(cacheme::local::detail::Link));
  CHECK(t.memory_bytes() <= slab + 131072 * 4);
  for (std::uint64_t k = 0; k < 100000; ++k) REQUIRE(t.find(k, t.hash(k)) != kNoNode);
  CHECK(t.find(100000, t.hash(100000)) == kNoNode);
}

// What an evicting insert costs at the least on this machine, without the store's generality:
// every insert brings a key never seen (or evicted long ago), so every insert evicts. Each row
// does only the work its policy cannot skip, on a layout like the store's (64-byte nodes by id,
// an index of slots; but the queue links are in the node and a slot holds the whole hash, which
// spares a line here and there), with nothing the store adds (no allocation, no TTL, no value
// handle to release, no window adaptation, no ghost filter, no recency guard):
//   floor/evict_lru         hash the key, probe the index (absent), take the LRU node, remove it
//                           from the index, write the key over it, index it, move it to the tail;
//   floor/evict_tinylfu     W-TinyLFU: the same probe, count the key in a `FrequencySketch`, add
//                           it to the window (1 %), move the window's oldest to probation, and
//                           keep whichever of it and probation's oldest the sketch estimates more
//                           frequent; the loser leaves the index and its node takes the next key.
//                           The contest's loads start before the newcomer's probe (prefetches).
//   floor/evict_tinylfu_adaptive  the same, and the bookkeeping of the adaptive window that
//                           the hit-ratio rule needs, as the store does it (a `WindowAdapter`
//                           told of the miss, the loser and the rejection; its ghosts and
//                           recency guard); the window keeps its size (its moves are rare: 0.003
//                           per insert, measured in session 10).
// `*/store/insert_new` (every insert evicts there too) add the store's work to these rows.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "cacheme/local/frequency_sketch.hpp"
#include "cacheme/local/hash.hpp"
#include "cacheme/local/window_adapter.hpp"

namespace {

constexpr std::uint64_t kSeed = 7;
constexpr std::size_t kKeys = std::size_t{1} << 21;  // cycled: 2 M keys, so each is long evicted when it recurs
constexpr std::uint32_t kNone = UINT32_MAX;
constexpr std::uint64_t kEmptySlot = UINT64_MAX;

struct alignas(64) Node {
  std::array<char, 31> key{};
  std::uint8_t size = 0;
  std::uint32_t hash = 0;
  std::uint32_t prev = kNone, next = kNone;
  std::uint8_t queue = 0;
  std::array<char, 19> rest{};  // the value handle and birth time of a real node
};
static_assert(sizeof(Node) == 64);

/// Full keys shaped like the engine's, 32 bytes each (the last holds the length), read in order.
const std::vector<char>& packed_keys() {
  static const std::vector<char> packed = [] {
    std::vector<char> bytes(kKeys * 32);
    for (std::size_t k = 0; k < kKeys; ++k) {
      const std::string key = "cacheme:user:" + std::to_string(10'000'000 + k) + ":v1";
      std::memcpy(&bytes[k * 32], key.data(), key.size());
      bytes[k * 32 + 31] = static_cast<char>(key.size());
    }
    return bytes;
  }();
  return packed;
}

std::string_view key_at(std::size_t i) {
  const char* slot = &packed_keys()[(i & (kKeys - 1)) * 32];
  return {slot, static_cast<std::size_t>(slot[31])};
}

/// Nodes by id, doubly linked queues of ids, and an open-addressing index of 8-byte slots (hash,
/// id), so that neither an absent key's probe nor a backward-shift deletion reads a node.
class Table {
 public:
  struct Queue {
    std::uint32_t head = kNone, tail = kNone;
    std::size_t size = 0;
  };

  explicit Table(std::size_t nodes)
      : nodes_(nodes), slots_(std::bit_ceil(nodes + nodes / 4), kEmptySlot), mask_(slots_.size() - 1) {}

  Node& operator[](std::uint32_t id) noexcept { return nodes_[id]; }

  bool contains(std::string_view key, std::uint32_t h) const noexcept {
    for (std::size_t i = h & mask_; slots_[i] != kEmptySlot; i = (i + 1) & mask_) {
      if (static_cast<std::uint32_t>(slots_[i] >> 32) != h) continue;
      const Node& n = nodes_[static_cast<std::uint32_t>(slots_[i])];
      if (n.size == key.size() && std::memcmp(n.key.data(), key.data(), key.size()) == 0) return true;
    }
    return false;
  }

  /// Writes `key` into node `id` and indexes it.
  void assign(std::uint32_t id, std::string_view key, std::uint32_t h) noexcept {
    Node& n = nodes_[id];
    std::memcpy(n.key.data(), key.data(), key.size());
    n.size = static_cast<std::uint8_t>(key.size());
    n.hash = h;
    std::size_t i = h & mask_;
    while (slots_[i] != kEmptySlot) i = (i + 1) & mask_;
    slots_[i] = (std::uint64_t{h} << 32) | id;
  }

  /// Removes node `id` from the index (backward-shift deletion).
  void unindex(std::uint32_t id) noexcept {
    std::size_t i = nodes_[id].hash & mask_;
    while (static_cast<std::uint32_t>(slots_[i]) != id) i = (i + 1) & mask_;
    for (std::size_t j = (i + 1) & mask_; slots_[j] != kEmptySlot; j = (j + 1) & mask_) {
      const std::size_t home = (slots_[j] >> 32) & mask_;
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = kEmptySlot;
  }

  void prefetch_slot(std::uint32_t h) const noexcept { __builtin_prefetch(&slots_[h & mask_]); }

  void push_back(Queue& q, std::uint32_t id) noexcept {
    nodes_[id].prev = q.tail;
    nodes_[id].next = kNone;
    (q.tail == kNone ? q.head : nodes_[q.tail].next) = id;
    q.tail = id;
    ++q.size;
  }

  void unlink(Queue& q, std::uint32_t id) noexcept {
    const Node& n = nodes_[id];
    (n.prev == kNone ? q.head : nodes_[n.prev].next) = n.next;
    (n.next == kNone ? q.tail : nodes_[n.next].prev) = n.prev;
    --q.size;
  }

 private:
  std::vector<Node> nodes_;
  std::vector<std::uint64_t> slots_;
  std::size_t mask_;
};

std::uint32_t hash_of(std::string_view key) { return static_cast<std::uint32_t>(cacheme::local::hash_bytes(key, kSeed)); }

/// LRU: the oldest node takes the new key.
class LruFloor {
 public:
  explicit LruFloor(std::size_t capacity) : table_(capacity) {
    for (std::uint32_t id = 0; id < capacity; ++id) {
      table_.assign(id, key_at(id), hash_of(key_at(id)));
      table_.push_back(queue_, id);
    }
  }

  void insert(std::string_view key) noexcept {
    const std::uint32_t h = hash_of(key);
    if (table_.contains(key, h)) return;
    const std::uint32_t id = queue_.head;
    table_.unlink(queue_, id);
    table_.unindex(id);
    table_.assign(id, key, h);
    table_.push_back(queue_, id);
  }

 private:
  Table table_;
  Table::Queue queue_;
};

/// W-TinyLFU with a fixed 1 % window: the newcomer enters the window, the window's oldest then
/// competes with probation's oldest, and the loser's node is the spare that takes the next key.
/// `Adaptive`: a `WindowAdapter` is told what the store tells it (its answer is not applied).
template <bool Adaptive>
class TinyLfuFloor {
 public:
  explicit TinyLfuFloor(std::size_t capacity)
      : table_(capacity + 1), sketch_(capacity), adapter_(capacity),
        window_capacity_(std::max<std::size_t>(1, capacity / 100)), capacity_(capacity) {
    for (std::uint32_t id = 0; id < capacity; ++id) {
      table_.assign(id, key_at(id), hash_of(key_at(id)));
      sketch_.increment(table_[id].hash);
      table_.push_back(window_.size < window_capacity_ ? window_ : probation_, id);
    }
    spare_ = static_cast<std::uint32_t>(capacity);
  }

  void insert(std::string_view key) noexcept {
    const std::uint32_t h = hash_of(key);
    sketch_.prefetch(h);
    prefetch_contest();
    if (table_.contains(key, h)) return;
    sketch_.increment(h);
    if constexpr (Adaptive) adapter_.record_miss(h);
    table_.assign(spare_, key, h);
    table_.push_back(window_, spare_);
    const std::uint32_t candidate = window_.head;
    table_.unlink(window_, candidate);
    const std::uint32_t victim = probation_.head;
    const int candidate_freq = sketch_.frequency(table_[candidate].hash);
    const int victim_freq = sketch_.frequency(table_[victim].hash);
    const bool admitted = candidate_freq > victim_freq;
    const std::uint32_t loser = admitted ? victim : candidate;
    if constexpr (Adaptive) {
      if (admitted) {
        adapter_.record_evicted(table_[victim].hash);
      } else {
        adapter_.record_rejected(table_[candidate].hash, victim_freq - candidate_freq);
      }
      benchmark::DoNotOptimize(adapter_.adjustment(capacity_ - window_capacity_));
    }
    if (admitted) {
      table_.unlink(probation_, victim);
      table_.push_back(probation_, candidate);
    }
    table_.unindex(loser);
    spare_ = loser;
  }

 private:
  // Starts loading what the coming contest reads: both contenders' counters and index slots,
  // and the nodes that unlinking them touches.
  void prefetch_contest() noexcept {
    for (const std::uint32_t id : {window_.head, probation_.head}) {
      const Node& n = table_[id];
      sketch_.prefetch(n.hash);
      table_.prefetch_slot(n.hash);
      if (n.next != kNone) __builtin_prefetch(&table_[n.next]);
    }
  }

  Table table_;
  cacheme::local::FrequencySketch sketch_;
  cacheme::local::WindowAdapter adapter_;
  Table::Queue window_, probation_;
  std::size_t window_capacity_;
  std::size_t capacity_;
  std::uint32_t spare_ = kNone;
};

template <class Floor>
void time_evictions(benchmark::State& state) {
  const auto capacity = static_cast<std::size_t>(state.range(0));
  Floor floor(capacity);
  std::size_t i = capacity;
  for (auto _ : state) floor.insert(key_at(i++));
}

BENCHMARK(time_evictions<LruFloor>)->Name("floor/evict_lru")->Arg(100'000)->Arg(10'000);
BENCHMARK(time_evictions<TinyLfuFloor<false>>)->Name("floor/evict_tinylfu")->Arg(100'000)->Arg(10'000);
BENCHMARK(time_evictions<TinyLfuFloor<true>>)->Name("floor/evict_tinylfu_adaptive")->Arg(100'000)->Arg(10'000);

}  // namespace

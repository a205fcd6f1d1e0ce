// What a string-keyed hit costs at the least on this machine, without any cache policy: the
// same 100,000 full keys and the same Zipf stream of present keys as `tlfu/store/hit`, the same
// seeded hash, and tables of the store's sizes. Each row does one more step of a lookup:
//   floor/hash        the key's hash only (the keys are read in order, from a packed array);
//   floor/one_line    hash, then one 64-byte line chosen by it, whose key is compared: a table
//                     holding each entry at a slot computed from the hash (one dependent load);
//   floor/two_lines   hash, a 4-byte index slot, then the 64-byte node it names, whose key is
//                     compared: the store's layout (two dependent loads);
//   floor/one_line_lru  one_line, then the entry moves to the most recent end of a doubly
//                     linked recency list whose links are in the lines themselves: the least an
//                     exact LRU (or any policy that orders its entries by recency, as W-TinyLFU's
//                     queues do) adds to a hit, in the layout that reads the fewest lines.
// A design cannot hit faster than the row of its layout; `tlfu/store/hit` adds the policy's work
// (recording the access) to `floor/two_lines`.
#include <benchmark/benchmark.h>

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cacheme/local/hash.hpp"
#include "cacheme/local/zipf.hpp"

namespace {

constexpr std::size_t kEntries = 100'000;
constexpr std::size_t kStream = std::size_t{1} << 20;
constexpr std::uint64_t kSeed = 7;

struct alignas(64) Line {
  std::array<char, 31> key{};
  std::uint8_t size = 0;
  std::uint32_t hash = 0;
  std::uint32_t prev = 0, next = 0;  // floor/one_line_lru's recency links (slot numbers)
  std::array<char, 20> rest{};       // the value handle and expiry of a real node
};
static_assert(sizeof(Line) == 64);

std::string full_key(std::uint64_t k) { return "cacheme:user:" + std::to_string(k) + ":v1"; }

bool same_key(const Line& line, std::string_view key) {
  return line.size == key.size() && std::memcmp(line.key.data(), key.data(), key.size()) == 0;
}

/// The keys, both tables and a Zipf stream of key numbers (all present).
struct Tables {
  std::vector<std::string> keys;
  std::vector<char> packed;            // the stream's keys, 32 bytes each, in stream order
  std::vector<Line> direct;            // one_line: entries at their hash's slot (linear probing)
  std::vector<std::uint32_t> index;    // two_lines: hash -> node id
  std::vector<Line> nodes;             // two_lines: nodes by id
  std::size_t direct_mask = 0, index_mask = 0;

  Tables() {
    const std::size_t slots = std::bit_ceil(kEntries + kEntries / 4);
    direct.resize(slots);
    index.assign(slots, UINT32_MAX);
    nodes.resize(kEntries);
    direct_mask = index_mask = slots - 1;
    for (std::uint64_t k = 0; k < kEntries; ++k) {
      keys.push_back(full_key(k));
      const std::string& key = keys.back();
      const auto h = static_cast<std::uint32_t>(cacheme::local::hash_bytes(key, kSeed));
      Line line;
      std::memcpy(line.key.data(), key.data(), key.size());
      line.size = static_cast<std::uint8_t>(key.size());
      line.hash = h;
      std::size_t i = h & direct_mask;
      while (direct[i].size != 0) i = (i + 1) & direct_mask;
      direct[i] = line;
      nodes[k] = line;
      std::size_t j = h & index_mask;
      while (index[j] != UINT32_MAX) j = (j + 1) & index_mask;
      index[j] = static_cast<std::uint32_t>(k);
    }
    cacheme::local::ZipfGenerator zipf(1.001, 1, 1'000'000 - 1, 42);
    packed.reserve(kStream * 32);
    while (packed.size() < kStream * 32) {
      const std::uint64_t k = zipf.next();
      if (k >= kEntries) continue;
      const std::string& key = keys[k];
      const std::size_t at = packed.size();
      packed.resize(at + 32);
      std::memcpy(&packed[at], key.data(), key.size());
      packed[at + 31] = static_cast<char>(key.size());
    }
  }
  std::string_view key(std::size_t i) const {
    const char* slot = &packed[(i & (kStream - 1)) * 32];
    return {slot, static_cast<std::size_t>(slot[31])};
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

void floor_hash(benchmark::State& state) {
  const Tables& t = tables();
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cacheme::local::hash_bytes(t.key(i++), kSeed));
}

// Times lookups of the stream's keys; `probe(key, hash)` returns the key's slot.
template <class Probe>
void time_lookups(benchmark::State& state, Probe probe) {
  const Tables& t = tables();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string_view key = t.key(i++);
    benchmark::DoNotOptimize(probe(key, static_cast<std::uint32_t>(cacheme::local::hash_bytes(key, kSeed))));
  }
}

void floor_one_line(benchmark::State& state) {
  const Tables& t = tables();
  time_lookups(state, [&t](std::string_view key, std::uint32_t h) {
    std::size_t slot = h & t.direct_mask;
    while (!(t.direct[slot].hash == h && same_key(t.direct[slot], key))) slot = (slot + 1) & t.direct_mask;
    return slot;
  });
}

void floor_two_lines(benchmark::State& state) {
  const Tables& t = tables();
  time_lookups(state, [&t](std::string_view key, std::uint32_t h) {
    std::size_t slot = h & t.index_mask;
    while (!(t.nodes[t.index[slot]].hash == h && same_key(t.nodes[t.index[slot]], key))) slot = (slot + 1) & t.index_mask;
    return slot;
  });
}

void floor_one_line_lru(benchmark::State& state) {
  const Tables& t = tables();
  std::vector<Line> lines = t.direct;  // the recency list, through every occupied slot
  constexpr std::uint32_t kNone = UINT32_MAX;
  std::uint32_t head = kNone, tail = kNone;
  for (std::uint32_t i = 0; i < lines.size(); ++i) {
    if (lines[i].size == 0) continue;
    lines[i].prev = tail;
    lines[i].next = kNone;
    (tail == kNone ? head : lines[tail].next) = i;
    tail = i;
  }
  const auto find = [&](std::string_view key, std::uint32_t h) {
    std::size_t slot = h & t.direct_mask;
    while (!(lines[slot].hash == h && same_key(lines[slot], key))) slot = (slot + 1) & t.direct_mask;
    return static_cast<std::uint32_t>(slot);
  };
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string_view key = t.key(i++);
    const std::uint32_t at = find(key, static_cast<std::uint32_t>(cacheme::local::hash_bytes(key, kSeed)));
    if (at == tail) continue;
    Line& line = lines[at];
    (line.prev == kNone ? head : lines[line.prev].next) = line.next;
    lines[line.next].prev = line.prev;
    line.prev = tail;
    line.next = kNone;
    lines[tail].next = at;
    tail = at;
  }
  benchmark::DoNotOptimize(head);
}

BENCHMARK(floor_hash)->Name("floor/hash");
BENCHMARK(floor_one_line)->Name("floor/one_line");
BENCHMARK(floor_two_lines)->Name("floor/two_lines");
BENCHMARK(floor_one_line_lru)->Name("floor/one_line_lru");

}  // namespace

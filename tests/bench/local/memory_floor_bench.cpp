// What a string-keyed hit costs at the least on this machine, with no cache policy or with only
// an exact recency move: the same 100,000 full keys and the same Zipf stream of present keys as
// `tlfu/store/hit`, the same seeded hash, and tables of the store's sizes. The rows:
//   floor/hash        the key's hash only (the keys are read in order, from a packed array);
//   floor/one_line    hash, then one 64-byte line chosen by it, whose key is compared: a table
//                     holding each entry at a slot computed from the hash (one dependent load);
//   floor/two_lines   hash, a 4-byte index slot, then the 64-byte node it names, whose key is
//                     compared: the store's layout (two dependent loads);
//   floor/one_line_lru  one_line, then the entry moves to the most recent end of a doubly
//                     linked recency list whose links are in the lines themselves: the least an
//                     exact LRU (or any policy that orders its entries by recency, as W-TinyLFU's
//                     queues do) adds to a hit, in the layout that reads the fewest lines;
//   floor/two_lines_lru        two_lines and the same move, the links in the node;
//   floor/two_lines_lru_apart  the same with the links in an array of their own, by node id,
//                     as the store keeps them;
//   floor/two_lines_lru_apart_sampled  and each hit also shown to the adaptive window's
//                     recency guard (a `WindowAdapter` of the store's size: 1 key in 8 takes
//                     a step of its sampled LRU), as a W-TinyLFU store's hit is.
// A design cannot hit faster than the row of its layout; `lru/store/hit` adds the store's work to
// `floor/two_lines_lru_apart`, and `tlfu/store/hit` W-TinyLFU's bookkeeping to that.
#include <benchmark/benchmark.h>

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cacheme/local/hash.hpp"
#include "cacheme/local/window_adapter.hpp"
#include "cacheme/local/zipf.hpp"

namespace {

constexpr std::size_t kEntries = 100'000;
constexpr std::size_t kStream = std::size_t{1} << 20;
constexpr std::uint64_t kSeed = 7;

constexpr std::uint32_t kNone = UINT32_MAX;

struct Link {
  std::uint32_t prev = kNone, next = kNone;
};

struct alignas(64) Line {
  std::array<char, 31> key{};
  std::uint8_t size = 0;
  std::uint32_t hash = 0;
  Link links;                    // the *_lru rows' recency links, when they are in the line
  std::array<char, 20> rest{};  // the value handle and expiry of a real node
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

/// A doubly linked recency list of ids whose links `link_of(id)` gives (in the entries or apart).
template <class LinkOf>
class RecencyList {
 public:
  explicit RecencyList(LinkOf link_of) : link_of_(link_of) {}

  void push_back(std::uint32_t id) noexcept {
    link_of_(id) = Link{tail_, kNone};
    (tail_ == kNone ? head_ : link_of_(tail_).next) = id;
    tail_ = id;
  }

  /// Moves `id` to the most recent end.
  void touch(std::uint32_t id) noexcept {
    if (id == tail_) return;
    const Link l = link_of_(id);
    (l.prev == kNone ? head_ : link_of_(l.prev).next) = l.next;
    link_of_(l.next).prev = l.prev;
    push_back(id);
  }

 private:
  LinkOf link_of_;
  std::uint32_t head_ = kNone, tail_ = kNone;
};

// Times hits that look up the stream's keys with `find(key, hash)` (an id), touch the id and
// call `also(hash)`.
template <class Find, class List, class Also = void (*)(std::uint32_t)>
void time_recency_hits(benchmark::State& state, Find find, List& list, Also also = [](std::uint32_t) {}) {
  const Tables& t = tables();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string_view key = t.key(i++);
    const auto h = static_cast<std::uint32_t>(cacheme::local::hash_bytes(key, kSeed));
    list.touch(find(key, h));
    also(h);
  }
}

void floor_one_line_lru(benchmark::State& state) {
  const Tables& t = tables();
  std::vector<Line> lines = t.direct;
  RecencyList list([&lines](std::uint32_t slot) -> Link& { return lines[slot].links; });
  for (std::uint32_t slot = 0; slot < lines.size(); ++slot) {
    if (lines[slot].size != 0) list.push_back(slot);
  }
  time_recency_hits(state, [&](std::string_view key, std::uint32_t h) {
    std::size_t slot = h & t.direct_mask;
    while (!(lines[slot].hash == h && same_key(lines[slot], key))) slot = (slot + 1) & t.direct_mask;
    return static_cast<std::uint32_t>(slot);
  }, list);
}

// two_lines plus a recency move; `links_apart`: the links in an array by id, not in the node;
// `Sampled`: each hit shown to a W-TinyLFU store's recency guard too (a template argument, so
// that the other rows' loops hold no test of it).
template <bool Sampled>
void floor_two_lines_lru(benchmark::State& state, bool links_apart) {
  const Tables& t = tables();
  std::vector<Line> nodes = t.nodes;
  std::vector<Link> apart(links_apart ? nodes.size() : 0);
  RecencyList list([&](std::uint32_t id) -> Link& { return links_apart ? apart[id] : nodes[id].links; });
  for (std::uint32_t id = 0; id < nodes.size(); ++id) list.push_back(id);
  cacheme::local::WindowAdapter adapter(kEntries);
  time_recency_hits(state, [&](std::string_view key, std::uint32_t h) {
    std::size_t slot = h & t.index_mask;
    while (!(nodes[t.index[slot]].hash == h && same_key(nodes[t.index[slot]], key))) slot = (slot + 1) & t.index_mask;
    return t.index[slot];
  }, list, [&](std::uint32_t h) {
    if constexpr (Sampled) adapter.record_hit(h);
  });
}

void floor_two_lines_lru_in_node(benchmark::State& state) { floor_two_lines_lru<false>(state, false); }
void floor_two_lines_lru_apart(benchmark::State& state) { floor_two_lines_lru<false>(state, true); }
void floor_two_lines_lru_apart_sampled(benchmark::State& state) { floor_two_lines_lru<true>(state, true); }

BENCHMARK(floor_hash)->Name("floor/hash");
BENCHMARK(floor_one_line)->Name("floor/one_line");
BENCHMARK(floor_two_lines)->Name("floor/two_lines");
BENCHMARK(floor_one_line_lru)->Name("floor/one_line_lru");
BENCHMARK(floor_two_lines_lru_in_node)->Name("floor/two_lines_lru");
BENCHMARK(floor_two_lines_lru_apart)->Name("floor/two_lines_lru_apart");
BENCHMARK(floor_two_lines_lru_apart_sampled)->Name("floor/two_lines_lru_apart_sampled");

}  // namespace

// Speed of the local tier alone (DESIGN.md §8): 100,000 entries, a pre-generated Zipf(s=1.001)
// key stream over 1,000,000 keys. Policies with integer keys, and the engine's `LocalStore`
// with string keys and shared values. Memory per entry is reported as a counter.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <string>
#include <vector>

#include "cacheme/local/local_store.hpp"
#include "cacheme/local/lru_policy.hpp"
#include "cacheme/local/tinylfu_policy.hpp"
#include "cacheme/local/zipf.hpp"

namespace {

using cacheme::core::AnyValue;
using cacheme::core::Instant;
using cacheme::local::kNoNode;

constexpr std::size_t kEntries = 100'000;
constexpr std::uint64_t kKeySpace = 1'000'000;
constexpr std::size_t kStream = std::size_t{1} << 20;  // a power of two, to wrap with a mask
constexpr std::uint64_t kAbsent = std::uint64_t{1} << 40;  // keys at and above are never cached
const auto kIgnore = [](std::uint32_t) {};

const std::vector<std::uint64_t>& zipf_stream() {
  static const std::vector<std::uint64_t> keys = [] {
    cacheme::local::ZipfGenerator zipf(1.001, 1, kKeySpace - 1, 42);
    std::vector<std::uint64_t> k(kStream);
    for (auto& key : k) key = zipf.next();
    return k;
  }();
  return keys;
}

/// A policy filled with 100,000 keys from the stream (then distinct ranks), and the stream's
/// keys that it holds, for hits.
template <class Policy>
struct Filled {
  Policy policy{kEntries, 7};
  std::vector<std::uint64_t> present;
  Filled() {
    for (const auto key : zipf_stream()) {
      if (policy.size() >= kEntries) break;
      if (policy.find(key) == kNoNode) policy.insert(key, {}, 1, kIgnore);
    }
    for (std::uint64_t k = 0; policy.size() < kEntries; ++k) {
      if (policy.find(k) == kNoNode) policy.insert(k, {}, 1, kIgnore);
    }
    for (const auto key : zipf_stream()) {
      if (policy.peek(key) != kNoNode) present.push_back(key);
    }
    present.resize(std::bit_floor(present.size()));
  }
};

template <class Policy>
void policy_hit(benchmark::State& state) {
  Filled<Policy> f;
  const std::size_t mask = f.present.size() - 1;
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.policy.find(f.present[i++ & mask]));
}

template <class Policy>
void policy_miss(benchmark::State& state) {
  Filled<Policy> f;
  const auto& keys = zipf_stream();
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.policy.find(kAbsent + keys[i++ & (kStream - 1)]));
}

template <class Policy>
void policy_insert_evict(benchmark::State& state) {
  Filled<Policy> f;
  std::uint64_t next = kAbsent;
  for (auto _ : state) benchmark::DoNotOptimize(f.policy.insert(next++, {}, 1, kIgnore));
  state.counters["bytes_per_entry"] =
      static_cast<double>(f.policy.memory_bytes()) / static_cast<double>(f.policy.size()) - sizeof(std::uint64_t);
}

std::string full_key(std::uint64_t k);

/// Keys packed in 32-byte slots (the last byte holds the length), read in order: as in the
/// engine, whose key buffer is always in the CPU cache, reading a key costs the benchmark no
/// cache miss of its own (a vector of std::string would chase a heap pointer per key).
class PackedKeys {
 public:
  void push_back(std::string_view key) {
    if (key.size() >= kSlot) throw std::length_error("key longer than a slot");
    const std::size_t at = bytes_.size();
    bytes_.resize(at + kSlot);
    std::memcpy(&bytes_[at], key.data(), key.size());
    bytes_[at + kSlot - 1] = static_cast<char>(key.size());
  }
  std::string_view operator[](std::size_t i) const noexcept {
    const char* slot = &bytes_[i * kSlot];
    return {slot, static_cast<std::size_t>(slot[kSlot - 1])};
  }
  std::size_t size() const noexcept { return bytes_.size() / kSlot; }
  void resize(std::size_t n) { bytes_.resize(n * kSlot); }

 private:
  static constexpr std::size_t kSlot = 32;
  std::vector<char> bytes_;
};

/// A hit on an entry with a TTL: the expiry check reads the timer wheel too.
void store_hit_ttl(benchmark::State& state, const char* url) {
  auto store = std::move(*cacheme::local::make_local_store(url, 7));
  AnyValue value = std::make_shared<const int>(1);
  const Instant now{};
  std::vector<std::string> keys;
  for (std::uint64_t k = 0; k < kEntries; ++k) {
    keys.push_back(full_key(k));
    store->insert(keys.back(), value, now + std::chrono::hours(1), now);
  }
  PackedKeys stream;
  for (const auto key : zipf_stream()) {
    if (key < kEntries) stream.push_back(keys[key]);
  }
  stream.resize(std::bit_floor(stream.size()));
  const std::size_t mask = stream.size() - 1;
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(store->find(stream[i++ & mask], now));
}

using Tlfu = cacheme::local::TinyLfuPolicy<std::uint64_t>;
using Lru = cacheme::local::LruPolicy<std::uint64_t>;
BENCHMARK(policy_hit<Tlfu>)->Name("tlfu/u64/hit");
BENCHMARK(policy_miss<Tlfu>)->Name("tlfu/u64/miss");
BENCHMARK(policy_insert_evict<Tlfu>)->Name("tlfu/u64/insert_evict");
BENCHMARK(policy_hit<Lru>)->Name("lru/u64/hit");
BENCHMARK(policy_miss<Lru>)->Name("lru/u64/miss");
BENCHMARK(policy_insert_evict<Lru>)->Name("lru/u64/insert_evict");

// The engine's interface: string keys shaped like full keys, shared values.
std::string full_key(std::uint64_t k) { return "cacheme:user:" + std::to_string(k) + ":v1"; }

struct FilledStore {
  std::unique_ptr<cacheme::local::LocalStore> store;
  PackedKeys present;
  PackedKeys absent;
  AnyValue value = std::make_shared<const int>(1);
  /// A store from `url` filled with `entries` entries (its capacity).
  explicit FilledStore(const char* url, std::size_t entries = kEntries)
      : store(std::move(*cacheme::local::make_local_store(url, 7))) {
    const Instant now{};
    std::vector<std::string> stream;
    stream.reserve(kStream);
    for (const auto key : zipf_stream()) stream.push_back(full_key(key));
    for (const auto& key : stream) {
      if (store->size() >= entries) break;
      if (store->find(key, now).value == nullptr) store->insert(key, value, std::nullopt, now);
    }
    for (std::uint64_t k = 0; store->size() < entries; ++k) {
      if (store->find(full_key(k), now).value == nullptr) store->insert(full_key(k), value, std::nullopt, now);
    }
    for (const auto& key : stream) {
      if (store->find(key, now).value != nullptr) present.push_back(key);
    }
    present.resize(std::bit_floor(present.size()));
    for (std::size_t i = 0; i < kStream; ++i) absent.push_back(full_key(kAbsent + zipf_stream()[i]));
  }
};

void store_hit(benchmark::State& state, const char* url) {
  FilledStore f(url);
  const std::size_t mask = f.present.size() - 1;
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.store->find(f.present[i++ & mask], Instant{}));
}

void store_miss(benchmark::State& state, const char* url) {
  FilledStore f(url);
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.store->find(f.absent[i++ & (kStream - 1)], Instant{}));
}

void store_insert_evict(benchmark::State& state, const char* url) {
  FilledStore f(url);
  std::size_t i = 0;
  for (auto _ : state) {
    // Each key is new for the first pass over `absent`; later passes mostly still are, as
    // the cache evicts them.
    f.store->insert(f.absent[i++ & (kStream - 1)], f.value, std::nullopt, Instant{});
  }
}

/// The same in a store of 10,000 entries, which fits in the CPU's 2 MiB L2 (nodes 640 KB, index
/// 128 KB, sketch 160 KB): the insert's own work, with few waits on memory.
void store_insert_evict_cached(benchmark::State& state, const char* url) {
  FilledStore f(url, 10000);
  std::size_t i = 0;
  for (auto _ : state) f.store->insert(f.absent[i++ & (kStream - 1)], f.value, std::nullopt, Instant{});
}

/// Inserts of keys the store has never held (2 M distinct keys, cycled: each has long been
/// evicted when it comes round again), so that every insert evicts, as in `floor/evict_*`; the
/// Zipf stream of `store_insert_evict` also brings keys still cached, which an insert replaces.
void store_insert_new(benchmark::State& state, const char* url) {
  FilledStore f(url);
  constexpr std::size_t kNewKeys = std::size_t{1} << 21;
  PackedKeys fresh;
  for (std::size_t k = 0; k < kNewKeys; ++k) fresh.push_back(full_key(kAbsent + kKeySpace + k));
  std::size_t i = 0;
  for (auto _ : state) f.store->insert(fresh[i++ & (kNewKeys - 1)], f.value, std::nullopt, Instant{});
}

void store_insert_evict_ttl(benchmark::State& state, const char* url) {
  FilledStore f(url);
  std::size_t i = 0;
  for (auto _ : state) {
    f.store->insert(f.absent[i++ & (kStream - 1)], f.value, Instant{} + std::chrono::hours(1), Instant{});
  }
}

BENCHMARK_CAPTURE(store_hit, tlfu, "local://tlfu?size=100000")->Name("tlfu/store/hit");
BENCHMARK_CAPTURE(store_miss, tlfu, "local://tlfu?size=100000")->Name("tlfu/store/miss");
BENCHMARK_CAPTURE(store_insert_evict, tlfu, "local://tlfu?size=100000")->Name("tlfu/store/insert_evict");
BENCHMARK_CAPTURE(store_insert_new, tlfu, "local://tlfu?size=100000")->Name("tlfu/store/insert_new");
BENCHMARK_CAPTURE(store_insert_evict_ttl, tlfu, "local://tlfu?size=100000")->Name("tlfu/store/insert_evict_ttl");
BENCHMARK_CAPTURE(store_insert_evict_cached, tlfu, "local://tlfu?size=10000")->Name("tlfu/store/insert_evict_10k");
BENCHMARK_CAPTURE(store_hit_ttl, tlfu, "local://tlfu?size=100000")->Name("tlfu/store/hit_ttl");
BENCHMARK_CAPTURE(store_hit, lru, "local://lru?size=100000")->Name("lru/store/hit");
BENCHMARK_CAPTURE(store_miss, lru, "local://lru?size=100000")->Name("lru/store/miss");
BENCHMARK_CAPTURE(store_insert_evict, lru, "local://lru?size=100000")->Name("lru/store/insert_evict");
BENCHMARK_CAPTURE(store_insert_new, lru, "local://lru?size=100000")->Name("lru/store/insert_new");
BENCHMARK_CAPTURE(store_insert_evict_ttl, lru, "local://lru?size=100000")->Name("lru/store/insert_evict_ttl");

/// Memory per entry beyond key and value, of the engine's store: all the bytes it holds, less
/// the keys' own bytes (inline in the node here: full keys of 17 to 22 bytes) and the 16-byte
/// shared value handle; without a TTL, then with one (the timer wheel's links).
void store_memory(benchmark::State& state, const char* url) {
  AnyValue value = std::make_shared<const int>(1);
  const Instant now{};
  double per_entry[2] = {};
  double key_bytes = 0;
  for (const bool ttl : {false, true}) {
    auto store = std::move(*cacheme::local::make_local_store(url, 7));
    key_bytes = 0;
    for (std::uint64_t k = 0; k < kEntries; ++k) {
      const std::string key = full_key(k);
      key_bytes += static_cast<double>(key.size());
      store->insert(key, value, ttl ? std::optional(now + std::chrono::hours(1)) : std::nullopt, now);
    }
    const double n = static_cast<double>(store->size());
    per_entry[ttl] = (static_cast<double>(store->memory_bytes()) - key_bytes) / n - sizeof(AnyValue);
    key_bytes /= n;
  }
  for (auto _ : state) {
  }
  state.counters["bytes_per_entry"] = per_entry[0];
  state.counters["with_ttl"] = per_entry[1];
  state.counters["key_bytes"] = key_bytes;
}
BENCHMARK_CAPTURE(store_memory, tlfu, "local://tlfu?size=100000")->Name("tlfu/store/memory")->Iterations(1);
BENCHMARK_CAPTURE(store_memory, lru, "local://lru?size=100000")->Name("lru/store/memory")->Iterations(1);

}  // namespace

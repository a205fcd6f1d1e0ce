// Engine micro-benchmarks: core time per request, one thread (targets: a local hit under
// 100 ns, a full miss under 2 us). Storage and loads are completed inline, at zero latency.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "cacheme/codec/codec.hpp"
#include "cacheme/core/engine.hpp"
#include "cacheme/local/local_store.hpp"
#include "cacheme/local/zipf.hpp"

// A counting global operator new (this binary only): the `*_allocations` rows report heap
// allocations per request, so that a change that adds one to the hot path shows.
namespace {
std::size_t g_allocations = 0;  // one thread: the benchmark's
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace cacheme;
using namespace std::chrono_literals;

constexpr std::size_t kKeys = 100'000;

std::vector<std::string> make_keys(std::size_t n, const char* tag) {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < n; ++i) keys.push_back(std::string(tag) + ":" + std::to_string(i));
  return keys;
}

core::SourceRef source_of(const std::string& key) {
  return {&key, [](const void* p) -> core::AnyValue { return std::make_shared<const std::string>(*static_cast<const std::string*>(p)); }};
}

struct Bench {
  core::Engine engine;
  core::NodeId node;
  core::Now now{core::Instant{} + 1s, 1'700'000'000'000};

  // The local store holds 100,000 entries at most (DESIGN.md §8), so the key sets below fill it.
  explicit Bench(bool local, bool remote, const char* policy = "lru") {
    std::vector<core::ChainLink> chain;
    if (local) {
      auto store = local::make_local_store(std::string("local://") + policy + "?size=" + std::to_string(kKeys), 1);
      (void)engine.add_local_storage("local", std::move(*store));
      chain.push_back({"local", std::nullopt});
    }
    if (remote) {
      (void)engine.add_remote_storage("remote");
      chain.push_back({"remote", std::nullopt});
    }
    core::NodeConfig c{"bench", "v1", chain, codec::make_codec<std::string>(codec::Id::raw), std::nullopt};
    node = *engine.add_node(std::move(c));
  }

  // Carries out every effect at once: fetches miss (or hit with `stored`), loads succeed.
  // Like the runtime and the Redis driver, it fills one fetch result again and again and gives
  // each finished fetch and reply back to the engine (`recycle`).
  void settle(const std::string* stored) {
    while (auto e = engine.poll_effect()) {
      if (auto* f = std::get_if<core::FetchRequest>(&*e)) {
        fetched.values.resize(f->keys.size());
        for (auto& v : fetched.values) {
          if (stored)
            core::assign_value(v, *stored);
          else
            v.reset();
        }
        engine.complete_fetch(f->id, fetched, now);
      } else if (auto* l = std::get_if<core::LoadRequest>(&*e)) {
        std::vector<Result<core::AnyValue>> v;
        for (auto& src : l->sources) v.emplace_back(src);
        engine.complete_load(l->id, std::move(v), now);
      } else if (auto* s = std::get_if<core::StoreRequest>(&*e)) {
        engine.complete_write(s->id, core::IoStatus::ok, now);
      } else if (auto* r = std::get_if<core::Reply>(&*e)) {
        benchmark::DoNotOptimize(r->values.data());
      }
      engine.recycle(std::move(*e));
    }
  }
  core::FetchResult fetched;
};

void local_hit(benchmark::State& state) {
  Bench b(true, true);
  const auto keys = make_keys(kKeys, "k");
  for (auto& k : keys) {
    b.engine.get(b.node, k, source_of(k), b.now);
    b.settle(nullptr);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    auto s = b.engine.get(b.node, keys[i], {}, b.now);
    benchmark::DoNotOptimize(s.ready.get());
    if (++i == kKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(local_hit);

// The same under the local storage's benchmark shape (DESIGN.md §8): 100,000 entries and a
// pre-generated Zipf(s=1.001) key stream over 1,000,000 keys, of which the hits are replayed
// (hot keys stay in the CPU caches, as in a real service).
void local_hit_zipf(benchmark::State& state) {
  Bench b(true, true);
  const auto keys = make_keys(kKeys, "k");
  for (auto& k : keys) {
    b.engine.get(b.node, k, source_of(k), b.now);
    b.settle(nullptr);
  }
  local::ZipfGenerator zipf(1.001, 1, 10 * kKeys - 1, 42);
  std::vector<std::string> stream;
  while (stream.size() < (1u << 20)) {
    const auto k = zipf.next();
    if (k < kKeys) stream.push_back(keys[k]);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    auto s = b.engine.get(b.node, stream[i], {}, b.now);
    benchmark::DoNotOptimize(s.ready.get());
    i = (i + 1) & (stream.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(local_hit_zipf);

void local_hit_one_key(benchmark::State& state) {
  Bench b(true, true);
  const std::string key = "k:1";
  b.engine.get(b.node, key, source_of(key), b.now);
  b.settle(nullptr);
  for (auto _ : state) {
    auto s = b.engine.get(b.node, key, {}, b.now);
    benchmark::DoNotOptimize(s.ready.get());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(local_hit_one_key);

void remote_hit(benchmark::State& state) {
  Bench b(false, true);
  const auto keys = make_keys(kKeys, "k");
  const std::string stored = codec::make_entry(codec::Id::raw, 0, 0, std::string(100, 'x'));
  std::size_t i = 0;
  for (auto _ : state) {
    b.engine.get(b.node, keys[i], {}, b.now);
    b.settle(&stored);
    if (++i == kKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(remote_hit);

void full_miss(benchmark::State& state) {
  Bench b(true, true);
  const auto keys = make_keys(1'000'000, "m");  // more keys than the local tier ever sees here
  std::size_t i = 0;
  for (auto _ : state) {
    b.engine.get(b.node, keys[i], source_of(keys[i]), b.now);
    b.settle(nullptr);
    if (++i == keys.size()) {
      state.PauseTiming();
      b.engine.set_prefix(std::string("p").append(std::to_string(state.iterations())));  // every key is new again
      i = 0;
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(full_miss);

// Heap allocations per request of the two rows above, once the engine has warmed up (its
// tables and spare buffers sized): `allocs_per_op`. A remote hit allocates only the decoded
// value (a shared string and its bytes): the ticket's value list and the fetch's key list and
// key come back through `recycle`, and the storage's result is filled in place, as the runtime
// and the Redis driver do. What hiredis and the adapter add is not counted here.
template <bool Miss>
void allocations(benchmark::State& state) {
  Bench b(Miss, true);
  const auto keys = make_keys(Miss ? 1'000'000 : kKeys, Miss ? "m" : "k");
  const std::string stored = codec::make_entry(codec::Id::raw, 0, 0, std::string(100, 'x'));
  std::size_t i = 0;
  auto one = [&] {
    b.engine.get(b.node, keys[i], Miss ? source_of(keys[i]) : core::SourceRef{}, b.now);
    b.settle(Miss ? nullptr : &stored);
    if (++i == keys.size()) i = 0;
  };
  for (int warm = 0; warm < 1000; ++warm) one();
  const std::size_t before = g_allocations;
  std::size_t n = 0;
  for (auto _ : state) {
    one();
    ++n;
  }
  state.counters["allocs_per_op"] = static_cast<double>(g_allocations - before) / static_cast<double>(n ? n : 1);
}
BENCHMARK(allocations<false>)->Name("remote_hit_allocations")->Iterations(100'000);
BENCHMARK(allocations<true>)->Name("full_miss_allocations")->Iterations(100'000);

// Not the engine: this machine's latency of one dependent read from a random cache line of a
// `state.range(0)`-MiB array (a pointer chase). A cold local hit waits on three such reads one
// after the other (index slot, node, the value's reference count); this puts a figure on them
// in the same run as the engine's.
void memory_latency(benchmark::State& state) {
  const std::size_t lines = static_cast<std::size_t>(state.range(0)) * 1024 * 1024 / 64;
  std::vector<std::uint32_t> order(lines);
  std::iota(order.begin(), order.end(), 0u);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
  struct alignas(64) Line {
    std::uint32_t next;
  };
  std::vector<Line> chain(lines);
  for (std::size_t i = 0; i < lines; ++i) chain[order[i]].next = order[(i + 1) % lines];
  std::uint32_t at = order[0];
  for (auto _ : state) {
    at = chain[at].next;
    benchmark::DoNotOptimize(at);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(memory_latency)->Arg(1)->Arg(4)->Arg(16)->Arg(64);

}  // namespace

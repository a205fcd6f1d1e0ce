// Redis throughput through cacheme (DESIGN.md §8, the adapters issue): 10,000 warm keys with
// 100-byte values, uniform random keys, 100 concurrent requesters, 1,000,000 `get`s through a
// `[redis]` chain; prints gets/s. `scripts/redis_throughput.sh` runs it beside redis-benchmark.
//
//   redis_throughput --url redis://127.0.0.1:6379 [--adapter libevent|asio] [--requests N]
//                    [--keys N] [--concurrency N] [--value-size N]
#include <event2/event.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "cacheme/asio/cacheme.hpp"
#include "cacheme/libevent/cacheme.hpp"

namespace {

struct Options {
  std::string url = "redis://127.0.0.1:6379";
  std::string adapter = "libevent";
  long requests = 1'000'000, keys = 10'000, concurrency = 100, value_size = 100;
};

Options g_opt;
long g_loads = 0;

// One key of the benchmark; the value is `value_size` bytes; both adapters' loaders.
struct KeyNode {
  using value_type = std::string;
  long i = 0;
  std::string key() const { return "k:" + std::to_string(i); }
  std::string make() const {
    ++g_loads;
    return std::string(std::size_t(g_opt.value_size), char('a' + i % 26));
  }
  void load(std::function<void(std::error_code, std::string)> done) const { done({}, make()); }
  asio::awaitable<std::string> load() const { co_return make(); }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"redis", std::nullopt}}, .codec = cacheme::codecs::raw}; }
};

// Uniform keys from a tiny xorshift generator (one per requester, fixed seeds).
struct Rng {
  std::uint64_t s;
  long next(long n) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    return long(s % std::uint64_t(n));
  }
};

void report(const char* adapter, double seconds, long errors, cacheme::adapters::Runtime& rt, const cacheme::core::NodeStats& st) {
  const auto counts = rt.storage("redis")->command_counts();
  const auto gets = counts.count("GET") ? counts.at("GET") : 0;
  std::printf("adapter=%s requests=%ld seconds=%.3f gets_per_s=%.0f errors=%ld redis_GET=%llu coalesced=%llu "
              "tier_hits=%llu loads_during_run=%llu\n",
              adapter, g_opt.requests, seconds, double(g_opt.requests) / seconds, errors, (unsigned long long)gets,
              (unsigned long long)st.coalesced, (unsigned long long)st.tiers.at(0).hits,
              (unsigned long long)st.load_count());
}

// ---- libevent: callbacks ---------------------------------------------------------------
int run_libevent() {
  event_base* base = cacheme::adapters::libevent::EventReactor::new_base();
  int status = 1;
  {
    cacheme::libevent::Cacheme cm(base);
    cm.set_prefix("cacheme-throughput");
    std::error_code reg = make_error_code(cacheme::errc::cancelled);
    cm.register_storage("redis", {g_opt.url}, [&](std::error_code ec) { reg = ec, event_base_loopbreak(base); });
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    if (reg) return std::fprintf(stderr, "register: %s\n", reg.message().c_str()), 1;

    // Warm: every key once (loaded and written), then wait for the writes.
    std::vector<KeyNode> all;
    for (long i = 0; i < g_opt.keys; ++i) all.push_back({i});
    cm.get_all(all, [&](std::error_code, std::vector<std::shared_ptr<const std::string>>) {});
    while (cm.runtime().engine().flights() > 0) event_base_loop(base, EVLOOP_ONCE);
    const auto warm = cm.stats<KeyNode>();

    long issued = 0, finished = 0, errors = 0;
    std::vector<Rng> rngs;
    for (long w = 0; w < g_opt.concurrency; ++w) rngs.push_back({0x9E3779B97F4A7C15ull * std::uint64_t(w + 1)});
    std::function<void(long)> next = [&](long w) {
      if (issued >= g_opt.requests) return;
      ++issued;
      cm.get(KeyNode{rngs[w].next(g_opt.keys)}, [&, w](std::error_code ec, std::shared_ptr<const std::string> v) {
        errors += ec || !v || v->size() != std::size_t(g_opt.value_size);
        if (++finished == g_opt.requests) return (void)event_base_loopbreak(base);
        next(w);
      });
    };
    const auto start = std::chrono::steady_clock::now();
    for (long w = 0; w < g_opt.concurrency; ++w) next(w);
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report("libevent", seconds, errors, cm.runtime(), cm.stats<KeyNode>() - warm);
    status = errors == 0 ? 0 : 1;
  }
  event_base_free(base);
  return status;
}

// ---- Asio: one coroutine per requester, co_await cm.get(...) ------------------------------
int run_asio() {
  asio::io_context io;
  cacheme::asio::Cacheme cm(io);
  cm.set_prefix("cacheme-throughput");
  long finished = 0, errors = 0;
  int status = 1;
  auto main = [&]() -> asio::awaitable<void> {
    co_await cm.register_storage("redis", g_opt.url);
    std::vector<KeyNode> all;
    for (long i = 0; i < g_opt.keys; ++i) all.push_back({i});
    co_await cm.get_all(std::move(all));
    asio::steady_timer t(io);
    while (cm.runtime().engine().flights() > 0) {
      t.expires_after(std::chrono::milliseconds(1));
      co_await t.async_wait(asio::use_awaitable);
    }
    const auto warm = cm.stats<KeyNode>();

    const long per_worker = g_opt.requests / g_opt.concurrency;
    const auto start = std::chrono::steady_clock::now();
    for (long w = 0; w < g_opt.concurrency; ++w) {
      const long n = per_worker + (w < g_opt.requests % g_opt.concurrency ? 1 : 0);
      asio::co_spawn(
          io,
          [&, w, n]() -> asio::awaitable<void> {
            Rng rng{0x9E3779B97F4A7C15ull * std::uint64_t(w + 1)};
            for (long k = 0; k < n; ++k) {
              const KeyNode node{rng.next(g_opt.keys)};
              auto v = co_await cm.get(node);
              errors += !v || v->size() != std::size_t(g_opt.value_size);
              ++finished;
            }
          },
          asio::detached);
    }
    while (finished < g_opt.requests) {  // the requesters run; wait for the last one
      t.expires_after(std::chrono::milliseconds(1));
      co_await t.async_wait(asio::use_awaitable);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report("asio", seconds, errors, cm.runtime(), cm.stats<KeyNode>() - warm);
    status = errors == 0 ? 0 : 1;
  };
  asio::co_spawn(io, main(), [&](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "error: %s\n", ex.what());
      }
    }
    io.stop();
  });
  io.run();
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--url") g_opt.url = value;
    else if (flag == "--adapter") g_opt.adapter = value;
    else if (flag == "--requests") g_opt.requests = std::atol(value.c_str());
    else if (flag == "--keys") g_opt.keys = std::atol(value.c_str());
    else if (flag == "--concurrency") g_opt.concurrency = std::atol(value.c_str());
    else if (flag == "--value-size") g_opt.value_size = std::atol(value.c_str());
    else return std::fprintf(stderr, "unknown option %s\n", flag.c_str()), 2;
  }
  if (g_opt.requests <= 0 || g_opt.keys <= 0 || g_opt.concurrency <= 0 || g_opt.value_size < 0) return 2;
  if (g_opt.adapter == "libevent") return run_libevent();
  if (g_opt.adapter == "asio") return run_asio();
  std::fprintf(stderr, "--adapter libevent|asio\n");
  return 2;
}

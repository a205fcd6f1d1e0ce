// The sharded front: N engines on N threads behind one API. Each key goes to one shard, so the
// guarantees hold per key (one load per key under concurrency), get_all is split and re-joined
// in input order, stats and metrics are summed, and destroying the front with requests in
// flight answers them all. Requests come from a client io_context run by 2 threads of its own,
// so every request crosses threads: meant for the TSan build too (tag [threads]). (No co_await
// inside CHECK: Catch2 repeats its expression in an unevaluated branch, which g++ 12 runs.)
#include <asio/bind_cancellation_slot.hpp>
#include <asio/bind_executor.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/strand.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cacheme/asio/sharded_cacheme.hpp"

namespace {

using namespace std::chrono_literals;

constexpr int kKeys = 24;     // the concurrency test's keys
constexpr int kWorkers = 16;  // and its requesters

std::atomic<int> loads{0};
std::atomic<int> generation{0};  // bumped by a test to tell a reload from a cached value

// A key whose load takes 20 ms, so concurrent requests overlap its flight.
struct Slow {
  int id;
  std::string key() const { return "slow:" + std::to_string(id); }
  ::asio::awaitable<std::string> load() const {
    ++loads;
    ::asio::steady_timer t(co_await ::asio::this_coro::executor, 20ms);
    co_await t.async_wait(::asio::use_awaitable);
    co_return "v" + std::to_string(id) + "." + std::to_string(generation.load());
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 1h}}, .codec = cacheme::codecs::raw}; }
};

// A key whose load never ends by itself (the shutdown test).
struct Stuck {
  int id;
  std::string key() const { return "stuck:" + std::to_string(id); }
  ::asio::awaitable<std::string> load() const {
    ::asio::steady_timer t(co_await ::asio::this_coro::executor, 1h);
    co_await t.async_wait(::asio::use_awaitable);
    co_return "never";
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 1h}}, .codec = cacheme::codecs::raw}; }
};

// Registers a local LRU of 100 entries on `cm` from a thread that is not a shard's, and waits.
std::error_code register_small_lru(cacheme::asio::ShardedCacheme& cm) {
  std::promise<std::error_code> registered;
  cm.register_storage("local", "local://lru?size=100", [&](std::error_code ec) { registered.set_value(ec); });
  return registered.get_future().get();
}

std::string value_of(int id) { return "v" + std::to_string(id) + "." + std::to_string(generation.load()); }

// Runs `body(cm)` as a coroutine on a client io_context of 2 threads, against a front of
// `shards` shards with a local LRU of 1,000 entries; at most 30 s.
template <class Body>
void run_client(std::size_t shards, Body body) {
  loads = 0;
  // The client's context outlives the front: a shard's thread may still be inside its post of
  // the last completion when the client's run() returns.
  ::asio::io_context client(2);
  cacheme::asio::ShardedCacheme cm(shards);
  std::promise<std::exception_ptr> outcome;
  auto finished = outcome.get_future();
  ::asio::co_spawn(
      client,
      [&]() -> ::asio::awaitable<void> {
        co_await cm.register_storage("local", "local://lru?size=1000");
        co_await body(cm);
      },
      [&](std::exception_ptr e) { outcome.set_value(e); });
  std::thread second([&] { client.run_for(30s); });
  client.run_for(30s);
  second.join();
  REQUIRE(finished.wait_for(0s) == std::future_status::ready);
  if (auto e = finished.get()) std::rethrow_exception(e);
}

// Keys 0..n-1 spread over the shards (checked: every shard owns some).
std::vector<int> keys_on_every_shard(cacheme::asio::ShardedCacheme& cm, int n) {
  std::vector<int> ids;
  std::set<std::size_t> owners;
  for (int i = 0; i < n; ++i) {
    ids.push_back(i);
    owners.insert(cm.shard_of(Slow{i}));
  }
  REQUIRE(owners.size() == cm.shard_count());
  return ids;
}

// The first line of `text` that starts with `start` ("" if none).
std::string sample_line(const std::string& text, const std::string& start) {
  const auto at = text.find("\n" + start);
  if (at == std::string::npos) return "";
  return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

::asio::awaitable<int> requester(cacheme::asio::ShardedCacheme& cm, int seed, int keys) {
  int wrong = 0;
  for (int i = 0; i < 40; ++i) {
    const int id = (seed * 7 + i) % keys;
    auto v = co_await cm.get(Slow{id});
    if (!v || *v != value_of(id)) ++wrong;
  }
  co_return wrong;
}

}  // namespace

TEST_CASE("sharded: one load per distinct key across shards, requests from 2 client threads", "[asio][sharded][threads]") {
  run_client(2, [](cacheme::asio::ShardedCacheme& cm) -> ::asio::awaitable<void> {
    keys_on_every_shard(cm, kKeys);
    auto ex = co_await ::asio::this_coro::executor;
    auto wrong = std::make_shared<std::atomic<int>>(0);
    auto running = std::make_shared<std::atomic<int>>(kWorkers);
    for (int w = 0; w < kWorkers; ++w)
      ::asio::co_spawn(ex, requester(cm, w, kKeys), [wrong, running](std::exception_ptr e, int n) {
        *wrong += e ? 1000 : n;
        --*running;
      });
    ::asio::steady_timer t(ex);
    while (*running > 0) {
      t.expires_after(5ms);
      co_await t.async_wait(::asio::use_awaitable);
    }
    CHECK(*wrong == 0);
    CHECK(loads == kKeys);
    const auto stats = cm.stats<Slow>();  // summed over the shards (this thread is no shard's)
    CHECK(stats.request_count() == kWorkers * 40);
    CHECK(stats.load_count() == kKeys);
    CHECK(stats.hits + kKeys == stats.requests);
  });
}

TEST_CASE("sharded: get_all is split by shard and re-joined in input order, duplicates included", "[asio][sharded][threads]") {
  run_client(3, [](cacheme::asio::ShardedCacheme& cm) -> ::asio::awaitable<void> {
    const auto ids = keys_on_every_shard(cm, 12);
    std::vector<Slow> wanted;
    for (int round = 0; round < 2; ++round)
      for (auto it = ids.rbegin(); it != ids.rend(); ++it) wanted.push_back(Slow{*it});
    auto values = co_await cm.get_all(wanted);
    REQUIRE(values.size() == wanted.size());
    for (std::size_t k = 0; k < wanted.size(); ++k) {
      REQUIRE(values[k]);
      CHECK(*values[k] == value_of(wanted[k].id));
    }
    CHECK(loads == 12);  // the duplicates were no second load
    std::vector<Slow> none;
    const auto empty = co_await cm.get_all(none);
    CHECK(empty.empty());
    const auto stats = cm.stats<Slow>();
    CHECK(stats.requests == wanted.size());
    CHECK(stats.load_count() == 12);
  });
}

TEST_CASE("sharded: invalidate and refresh reach the shard that owns the key", "[asio][sharded][threads]") {
  run_client(2, [](cacheme::asio::ShardedCacheme& cm) -> ::asio::awaitable<void> {
    const auto ids = keys_on_every_shard(cm, 8);
    for (int id : ids) {
      const auto v = co_await cm.get(Slow{id});
      CHECK(*v == value_of(id));
    }
    generation = 1;
    for (int id : ids) {
      const auto cached = co_await cm.get(Slow{id});
      CHECK(*cached == "v" + std::to_string(id) + ".0");
      co_await cm.invalidate(Slow{id});
      const auto reloaded = co_await cm.get(Slow{id});
      CHECK(*reloaded == value_of(id));
    }
    generation = 2;
    const auto fresh = co_await cm.refresh(Slow{ids[0]});
    CHECK(*fresh == value_of(ids[0]));
    CHECK(loads == 2 * 8 + 1);
    generation = 0;
  });
}

TEST_CASE("sharded: stats, storage health and metrics are the sums of the shards'", "[asio][sharded][threads]") {
  run_client(2, [](cacheme::asio::ShardedCacheme& cm) -> ::asio::awaitable<void> {
    const auto ids = keys_on_every_shard(cm, 10);
    for (int id : ids) co_await cm.get(Slow{id});
    for (int id : ids) co_await cm.get(Slow{id});
    std::uint64_t requests = 0, hits = 0;
    cm.on_each([&](cacheme::asio::Cacheme& shard) {
      requests += shard.stats<Slow>().requests;
      hits += shard.stats<Slow>().hits;
    });
    const auto total = cm.stats<Slow>();
    CHECK(total.requests == 20);
    CHECK(requests == 20);
    CHECK(total.hits == hits);
    CHECK(total.hits == 10);
    CHECK(total.load_time.count() == 10);
    REQUIRE(total.tiers.size() == 1);
    CHECK(total.tiers[0].hits == 10);
    CHECK(!cm.storage_health("local"));  // a local tier has none
    const std::string text = cm.metrics_text();
    std::string name;
    cm.on_each([&](cacheme::asio::Cacheme& shard) {
      if (name.empty() && !shard.nodes().empty()) name = shard.nodes().front().name;
    });
    CHECK(sample_line(text, "cacheme_requests_total{") == "cacheme_requests_total{node=\"" + name + "\"} 20");
    CHECK(text.find("local_capacity{storage=\"local\"} 1000\n") != std::string::npos);  // 500 + 500
    CHECK(text.find("# TYPE cacheme_requests_total counter") == text.rfind("# TYPE cacheme_requests_total counter"));
  });
}

TEST_CASE("sharded: a memoized function goes to the shard that owns its node", "[asio][sharded][threads]") {
  run_client(2, [](cacheme::asio::ShardedCacheme& cm) -> ::asio::awaitable<void> {
    std::atomic<int> calls{0};
    auto square = cacheme::asio::memoize<Slow>(
        [&calls](int x) -> ::asio::awaitable<std::string> {
          ++calls;
          co_return std::to_string(x * x);
        },
        [](int x) { return Slow{x}; });
    for (int round = 0; round < 2; ++round)
      for (int x = 0; x < 6; ++x) {
        const auto v = co_await square(cm, x);
        CHECK(*v == std::to_string(x * x));
      }
    CHECK(calls == 6);
    CHECK(cm.stats<Slow>().requests == 12);
  });
}

TEST_CASE("sharded: a synchronous call from a shard's thread is refused, not a deadlock", "[asio][sharded]") {
  cacheme::asio::ShardedCacheme cm(2);
  std::promise<bool> refused;
  ::asio::dispatch(cm.shard(1).get_executor(), [&] {
    try {
      cm.stats<Slow>();
      refused.set_value(false);
    } catch (const std::logic_error&) {
      refused.set_value(true);
    }
  });
  CHECK(refused.get_future().get());
}

TEST_CASE("sharded: destroying the front with requests in flight answers every one", "[asio][sharded][threads]") {
  constexpr int kRequests = 40;
  std::atomic<int> aborted{0}, other{0};
  std::promise<void> all_answered;
  std::atomic<int> answered{0};
  auto answer = [&](std::error_code ec) {
    (ec == ::asio::error::operation_aborted ? aborted : other)++;
    if (++answered == kRequests) all_answered.set_value();
  };
  const auto before = std::chrono::steady_clock::now();
  {
    cacheme::asio::ShardedCacheme cm(2);
    REQUIRE(!register_small_lru(cm));
    for (int i = 0; i < kRequests / 2; ++i) {
      cm.get(Stuck{i}, [&](std::error_code ec, std::shared_ptr<const std::string>) { answer(ec); });
      std::vector<Stuck> two{{i}, {i + 1000}};
      cm.get_all(two, [&](std::error_code ec, std::vector<std::shared_ptr<const std::string>>) { answer(ec); });
    }
    std::this_thread::sleep_for(50ms);  // the loads are running
  }
  CHECK(std::chrono::steady_clock::now() - before < 5s);
  REQUIRE(all_answered.get_future().wait_for(5s) == std::future_status::ready);
  CHECK(aborted == kRequests);
  CHECK(other == 0);
}

// A joined operation (register_storage, a get_all over several shards) keeps each part's strand
// to send it the caller's cancellation. Its handler may be the caller's last use of the front
// and destroy it, with the shards' contexts: the strands must be let go of by then, or the
// joined state, freed after the handler returns, unlinks them from a destroyed strand service
// (a race TSan saw in CI, a use after free under ASan).
// A handler that asks again when its request is aborted (a retry) runs while the front is
// being destroyed: on a shard already shut down, whose engine is gone, and with other shards
// still open. Its get_all over both must complete with operation_aborted: the shard already
// shut down is refused before anything of its engine is touched (it was read, its strand
// copied from the destroyed engine: a use after free under ASan).
// A request that passed a shard's gate waits in its strand's queue. When the strand was busy,
// the strand re-enters the context's queue behind whatever was posted to the context meanwhile:
// the shutdown must reach the engine through the strand, or the engine is destroyed before the
// request runs on it (a use after free under ASan; seen as a SIGSEGV under TSan).
TEST_CASE("sharded: a request queued behind a busy shard when the front is destroyed completes aborted",
          "[asio][sharded][threads]") {
  std::promise<std::error_code> answered;
  std::promise<void> release;
  std::thread releaser;
  {
    cacheme::asio::ShardedCacheme cm(2);
    REQUIRE(!register_small_lru(cm));
    int key = 0;
    while (cm.shard_of(Stuck{key}) != 0) ++key;
    // Shard 0's strand stays busy until the front's destruction has begun.
    ::asio::post(cm.shard(0).get_executor(), [busy = release.get_future().share()] { busy.wait(); });
    cm.get(Stuck{key}, [&](std::error_code ec, std::shared_ptr<const std::string>) { answered.set_value(ec); });
    releaser = std::thread([&] {
      std::this_thread::sleep_for(200ms);
      release.set_value();
    });
  }
  releaser.join();
  auto outcome = answered.get_future();
  REQUIRE(outcome.wait_for(5s) == std::future_status::ready);
  CHECK(outcome.get() == ::asio::error::operation_aborted);
}

TEST_CASE("sharded: a request made while the front is being destroyed completes aborted", "[asio][sharded][threads]") {
  std::promise<std::error_code> retried;
  std::vector<Stuck> both;  // a key of each shard
  {
    cacheme::asio::ShardedCacheme cm(2);
    REQUIRE(!register_small_lru(cm));
    for (int i = 0; both.size() < 2; ++i)
      if (cm.shard_of(Stuck{i}) == both.size()) both.push_back(Stuck{i});
    cm.get(both[0], [&](std::error_code, std::shared_ptr<const std::string>) {
      cm.get_all(both, [&](std::error_code ec, std::vector<std::shared_ptr<const std::string>>) { retried.set_value(ec); });
    });
  }
  auto outcome = retried.get_future();
  REQUIRE(outcome.wait_for(5s) == std::future_status::ready);
  CHECK(outcome.get() == ::asio::error::operation_aborted);
}

TEST_CASE("sharded: the handler of a joined operation may destroy the front", "[asio][sharded][threads]") {
  ::asio::io_context client(1);
  std::optional<cacheme::asio::ShardedCacheme> cm(std::in_place, 2);
  std::error_code outcome = ::asio::error::would_block;
  auto destroy_front = [&](std::error_code ec, auto&&...) {
    outcome = ec;
    cm.reset();
  };
  SECTION("register_storage") {
    cm->register_storage("local", "local://lru?size=100", ::asio::bind_executor(client, destroy_front));
  }
  SECTION("get_all over both shards") {
    REQUIRE(!register_small_lru(*cm));
    std::vector<Slow> keys;
    std::set<std::size_t> owners;
    for (int i = 0; i < 8; ++i) {
      keys.push_back(Slow{i});
      owners.insert(cm->shard_of(keys.back()));
    }
    REQUIRE(owners.size() == 2);
    cm->get_all(keys, ::asio::bind_executor(client, destroy_front));
  }
  client.run();
  CHECK(!outcome);
  CHECK(!cm.has_value());
}

TEST_CASE("sharded: cancelling a get_all over several shards cancels every part", "[asio][sharded][threads]") {
  run_client(2, [](cacheme::asio::ShardedCacheme& cm) -> ::asio::awaitable<void> {
    std::vector<Stuck> keys;
    std::set<std::size_t> owners;
    for (int i = 0; i < 8; ++i) {
      keys.push_back(Stuck{i});
      owners.insert(cm.shard_of(keys.back()));
    }
    REQUIRE(owners.size() == 2);
    // The handler and the cancellation both on one strand (Asio's rule for a slot).
    auto strand = ::asio::make_strand(co_await ::asio::this_coro::executor);
    ::asio::cancellation_signal signal;
    auto outcome = std::make_shared<std::promise<std::pair<std::error_code, std::size_t>>>();
    cm.get_all(keys, ::asio::bind_executor(strand, ::asio::bind_cancellation_slot(
                                                       signal.slot(), [outcome](std::error_code ec, auto values) {
                                                         std::size_t null = 0;
                                                         for (const auto& v : values) null += v ? 0 : 1;
                                                         outcome->set_value({ec, null});
                                                       })));
    ::asio::steady_timer t(strand, 50ms);  // the loads are running (and never end by themselves)
    co_await t.async_wait(::asio::use_awaitable);
    co_await ::asio::dispatch(strand, ::asio::use_awaitable);
    signal.emit(::asio::cancellation_type::terminal);
    auto answered = outcome->get_future();
    for (int i = 0; i < 500 && answered.wait_for(0s) != std::future_status::ready; ++i) {
      t.expires_after(10ms);
      co_await t.async_wait(::asio::use_awaitable);
    }
    REQUIRE(answered.wait_for(0s) == std::future_status::ready);
    const auto [ec, null] = answered.get();
    CHECK(ec == ::asio::error::operation_aborted);
    CHECK(null == keys.size());
  });
}

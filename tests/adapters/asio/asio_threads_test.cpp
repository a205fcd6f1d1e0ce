// The Asio adapter on an io_context run by 4 threads: requests start from coroutines on any of
// the threads, the Cacheme serialises the engine, the drivers and the loaders on its strand.
// Meant for the TSan build too (tag [threads]): without the strand the engine is raced.
#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "cacheme/asio/cacheme.hpp"

namespace {

using namespace std::chrono_literals;

constexpr int kThreads = 4;
constexpr int kWorkers = 32;
constexpr int kGetsPerWorker = 60;
constexpr int kKeys = 20;

std::atomic<int> loads{0};

struct Item {
  int id;
  std::string key() const { return "item:" + std::to_string(id); }
  ::asio::awaitable<std::string> load() const {
    ++loads;
    co_return "value " + std::to_string(id);
  }
  static cacheme::Meta meta() {
    return {.version = "v1", .caches = {{"local", 1h}, {"sqlite", 1h}}, .codec = cacheme::codecs::raw};
  }
};

// One requester: gets and a get_all over the shared keys, from whichever thread resumes it.
::asio::awaitable<int> requester(cacheme::asio::Cacheme& cm, int seed) {
  int wrong = 0;
  for (int i = 0; i < kGetsPerWorker; ++i) {
    const int id = (seed * 7 + i) % kKeys;
    auto v = co_await cm.get(Item{id});
    if (!v || *v != "value " + std::to_string(id)) ++wrong;
  }
  std::vector<Item> some{{seed % kKeys}, {(seed + 1) % kKeys}};
  auto all = co_await cm.get_all(std::move(some));
  if (all.size() != 2 || !all[0] || *all[0] != "value " + std::to_string(seed % kKeys)) ++wrong;
  co_return wrong;
}

struct Outcome {
  std::atomic<int> wrong{0};
  std::atomic<int> failed{0};
  std::atomic<int> remaining{kWorkers};
  std::promise<void> done;
};

::asio::awaitable<void> start(cacheme::asio::Cacheme& cm, std::string sqlite_file, Outcome& out) {
  co_await cm.register_storage("local", "local://lru?size=1000");
  co_await cm.register_storage("sqlite", "sqlite://" + sqlite_file + "?init=1");
  auto ex = co_await ::asio::this_coro::executor;
  for (int w = 0; w < kWorkers; ++w)
    ::asio::co_spawn(ex, requester(cm, w), [&out](std::exception_ptr e, int wrong) {
      if (e) ++out.failed;
      out.wrong += wrong;
      if (--out.remaining == 0) out.done.set_value();
    });
}

// Runs `cm`'s test on `io` with kThreads threads; returns once every requester finished (60 s).
template <class Check>
void run_threaded(::asio::io_context& io, cacheme::asio::Cacheme& cm, Check check) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("cacheme-threads-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(file);
  loads = 0;
  Outcome out;
  auto finished = out.done.get_future();
  auto work = ::asio::make_work_guard(io);
  // Started on the io_context itself (not the strand): requests come from every thread.
  ::asio::co_spawn(io, start(cm, file.string(), out), [&out](std::exception_ptr e) {
    if (e) {
      ++out.failed;
      out.done.set_value();
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back([&io] { io.run(); });
  const bool in_time = finished.wait_for(60s) == std::future_status::ready;
  if (in_time) check();
  io.stop();
  for (auto& t : threads) t.join();
  std::filesystem::remove(file);
  REQUIRE(in_time);
  CHECK(out.failed == 0);
  CHECK(out.wrong == 0);
  CHECK(loads == kKeys);  // one load per key, however many threads asked at once
}

// The node's counts, read on the cache's strand from a foreign thread.
cacheme::core::NodeStats stats_on_strand(cacheme::asio::Cacheme& cm) {
  std::promise<cacheme::core::NodeStats> p;
  ::asio::dispatch(cm.get_executor(), [&] { p.set_value(cm.stats<Item>()); });
  return p.get_future().get();
}

}  // namespace

TEST_CASE("an io_context run by 4 threads: requests from every thread, one engine", "[asio][threads]") {
  ::asio::io_context io(kThreads);
  cacheme::asio::Cacheme cm(io);
  run_threaded(io, cm, [&] {
    const auto stats = stats_on_strand(cm);
    CHECK(stats.request_count() == kWorkers * (kGetsPerWorker + 2));
    CHECK(stats.load_count() == kKeys);
  });
}

TEST_CASE("a Cacheme given a strand of a multi-threaded io_context", "[asio][threads]") {
  ::asio::io_context io(kThreads);
  cacheme::asio::Cacheme cm(::asio::make_strand(io));
  run_threaded(io, cm, [&] { CHECK(stats_on_strand(cm).load_count() == kKeys); });
}

TEST_CASE("a Cacheme given an any_io_executor", "[asio][threads]") {
  ::asio::io_context io(kThreads);
  const ::asio::any_io_executor ex = io.get_executor();
  cacheme::asio::Cacheme cm(ex);
  run_threaded(io, cm, [&] { CHECK(stats_on_strand(cm).request_count() == kWorkers * (kGetsPerWorker + 2)); });
}

// The Asio adapter end to end on embedded storages (local, SQLite): no server needed.
// (g++ 12 cannot keep an initializer_list alive across co_await: "array used as initializer";
// such arguments are built before the co_await statement.)
// Checks the completion-token idioms: use_awaitable (throws), as_tuple, plain callbacks (never
// run inside the initiating call), use_future from another thread, and awaitable loaders.
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_future.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <stdexcept>
#include <thread>

#include "adapters/asio/run_coroutine.hpp"
#include "cacheme/asio/cacheme.hpp"

namespace {

using namespace std::chrono_literals;
using cacheme::asio::Cacheme;

int g_loads = 0;

struct SquareNode {
  int n = 0;
  std::string key() const { return "square:" + std::to_string(n); }
  asio::awaitable<int> load() const {
    ++g_loads;
    asio::steady_timer t(co_await asio::this_coro::executor, 2ms);  // a real suspension
    co_await t.async_wait(asio::use_awaitable);
    if (n < 0) throw std::runtime_error("negative");
    co_return n * n;
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}, {"sql", std::chrono::hours(1)}}}; }
};

/// A value type without a default constructor, loaded without suspending.
struct Word {
  explicit Word(std::string s) : text(std::move(s)) {}
  std::string text;
};
struct WordNode {
  std::string w;
  std::string key() const { return "word:" + w; }
  asio::awaitable<Word> load() const { co_return Word(w + "!"); }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}}}; }
};

struct Dir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("cacheme-asio-" + std::to_string(::getpid()));
  Dir() { std::filesystem::create_directories(path); }
  ~Dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

using cacheme::test::run;

asio::awaitable<void> register_local_sql(Cacheme& cm, const Dir& dir) {
  co_await cm.register_storage("local", {"local://tlfu?size=100"});
  co_await cm.register_storage("sql", {"sqlite://" + (dir.path / "c.db").string() + "?init=1"});
}

TEST_CASE("asio adapter: get, get_all, invalidate, refresh, stats with awaitables", "[asio]") {
  Dir dir;
  g_loads = 0;
  run([&](Cacheme& cm) -> asio::awaitable<void> {
    co_await register_local_sql(cm, dir);
    auto [bad] = co_await cm.register_storage("nope", {"gopher://x"}, asio::experimental::as_tuple(asio::use_awaitable));
    CHECK(bad == cacheme::errc::bad_url);

    std::shared_ptr<const int> v = co_await cm.get(SquareNode{3});
    CHECK(*v == 9);
    v = co_await cm.get(SquareNode{3});  // a local hit
    CHECK(*v == 9);
    CHECK(g_loads == 1);

    const std::vector<SquareNode> nodes{{2}, {3}, {2}, {4}};
    auto all = co_await cm.get_all(nodes);
    REQUIRE(all.size() == 4);
    CHECK((std::vector<int>{*all[0], *all[1], *all[2], *all[3]} == std::vector<int>{4, 9, 4, 16}));
    CHECK(g_loads == 3);

    // A throwing loader: use_awaitable throws std::system_error(load_failed); as_tuple gives it.
    bool threw = false;
    try {
      co_await cm.get(SquareNode{-1});
    } catch (const std::system_error& e) {
      threw = e.code() == cacheme::errc::load_failed;
    }
    CHECK(threw);
    auto [ec, none] = co_await cm.get(SquareNode{-2}, asio::experimental::as_tuple(asio::use_awaitable));
    CHECK(ec == cacheme::errc::load_failed);
    CHECK(none == nullptr);

    co_await cm.invalidate(SquareNode{3});
    v = co_await cm.refresh(SquareNode{3});
    CHECK(*v == 9);
    CHECK(g_loads == 6);
    auto st = cm.stats<SquareNode>();
    CHECK(st.requests == 8);  // refresh is not a request
    CHECK(st.load_failures == 2);
    CHECK(st.tiers.at(1).storage == "sql");
    CHECK(cm.nodes().size() == 1);
  });
}

TEST_CASE("asio adapter: concurrent gets of one key make one load; values without a default constructor",
          "[asio]") {
  Dir dir;
  g_loads = 0;
  run([&](Cacheme& cm) -> asio::awaitable<void> {
    co_await register_local_sql(cm, dir);
    int done = 0, sum = 0;
    for (int i = 0; i < 100; ++i)
      cm.get(SquareNode{5}, [&](std::error_code ec, std::shared_ptr<const int> v) {
        CHECK_FALSE(ec);
        sum += v ? *v : 0;
        ++done;
      });
    asio::steady_timer t(co_await asio::this_coro::executor);
    while (done < 100) {
      t.expires_after(1ms);
      co_await t.async_wait(asio::use_awaitable);
    }
    CHECK(sum == 2500);
    CHECK(g_loads == 1);
    CHECK(cm.stats<SquareNode>().coalesced == 99);
    const WordNode hi{"hi"};  // named: see the g++ 12 note in cacheme.hpp
    auto word = co_await cm.get(hi);
    CHECK(word->text == "hi!");
  });
}

TEST_CASE("asio adapter: a callback never runs inside the initiating call", "[asio]") {
  Dir dir;
  run([&](Cacheme& cm) -> asio::awaitable<void> {
    co_await register_local_sql(cm, dir);
    co_await cm.get(SquareNode{6});  // now a local hit
    bool inside = true, called = false;
    cm.get(SquareNode{6}, [&](std::error_code, std::shared_ptr<const int> v) {
      CHECK_FALSE(inside);
      CHECK(*v == 36);
      called = true;
    });
    cm.invalidate(SquareNode{7}, [&](std::error_code) { CHECK_FALSE(inside); });
    inside = false;
    asio::steady_timer t(co_await asio::this_coro::executor, 50ms);
    co_await t.async_wait(asio::use_awaitable);
    CHECK(called);
  });
}

TEST_CASE("asio adapter: use_future from another thread while the loop runs on one", "[asio]") {
  Dir dir;
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  Cacheme cm(io);
  std::thread loop([&] { io.run(); });
  cm.register_storage("local", {"local://lru?size=10"}, asio::use_future).get();
  cm.register_storage("sql", {"sqlite://" + (dir.path / "f.db").string() + "?init=1"}, asio::use_future).get();
  CHECK(*cm.get(SquareNode{8}, asio::use_future).get() == 64);
  auto all = cm.get_all(std::vector<SquareNode>{{8}, {9}}, asio::use_future).get();
  CHECK(*all.at(1) == 81);
  bool threw = false;
  try {
    cm.get(SquareNode{-3}, asio::use_future).get();
  } catch (const std::system_error& e) {
    threw = e.code() == cacheme::errc::load_failed;
  }
  CHECK(threw);
  // Let the write-backs finish on the loop thread, then stop.
  std::this_thread::sleep_for(100ms);
  work.reset();
  io.stop();
  loop.join();
}

TEST_CASE("asio adapter: built nodes and memoize use awaitable loaders", "[asio]") {
  Dir dir;
  run([&](Cacheme& cm) -> asio::awaitable<void> {
    co_await register_local_sql(cm, dir);
    auto built = cm.build_node<std::string>("greeting", {.version = "v2", .caches = {{"local", 10s}, {"sql", 1h}}});
    REQUIRE(built);
    int loads = 0;
    auto loader = [&loads]() -> asio::awaitable<std::string> {
      ++loads;
      co_return std::string("hello");
    };
    auto hello = co_await cm.get(*built, "a", loader);
    CHECK(*hello == "hello");
    hello = co_await cm.get(*built, "a", loader);
    CHECK(*hello == "hello");
    std::vector<std::string> keys{"a", "b", "a"};
    std::vector<cacheme::asio::Loader<std::string>> loaders(3, loader);
    auto many = co_await cm.get_all(*built, keys, loaders);
    CHECK(many.size() == 3);
    CHECK(loads == 2);
    CHECK(cm.stats(*built).requests == 5);

    int calls = 0;
    auto memo = cacheme::asio::memoize<SquareNode>(
        [&calls](int a, int b) -> asio::awaitable<int> {
          ++calls;
          co_return a * 100 + b;
        },
        [](int a, int b) { return SquareNode{a * 1000 + b}; });
    auto m = co_await memo(cm, 1, 2);
    CHECK(*m == 102);
    m = co_await memo(cm, 1, 2);
    CHECK(*m == 102);
    auto [ec, v] = co_await memo.async_call(cm, asio::experimental::as_tuple(asio::use_awaitable), 3, 4);
    CHECK_FALSE(ec);
    CHECK(*v == 304);
    CHECK(calls == 2);
  });
}

}  // namespace

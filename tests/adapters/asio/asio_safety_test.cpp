// The Asio adapter under misbehaving users (DESIGN.md §3 rules 10, 11): a loader that never
// returns, callers that give up, handlers that throw or destroy the cache, colliding nodes.
// No server needed: local tiers only.
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include <optional>
#include <stdexcept>

#include "adapters/asio/run_coroutine.hpp"
#include "cacheme/asio/cacheme.hpp"
#include "cacheme/asio/with_timeout.hpp"

namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using cacheme::asio::Cacheme;

struct LoaderLog {
  int started = 0;
  int aborted = 0;  // saw operation_aborted at an await: the load was cancelled
};
LoaderLog g_log;

/// A source that hangs for an hour unless cancelled.
struct HungNode {
  int id = 0;
  std::string key() const { return "hung:" + std::to_string(id); }
  asio::awaitable<int> load() const {
    ++g_log.started;
    asio::steady_timer t(co_await asio::this_coro::executor, 1h);
    try {
      co_await t.async_wait(asio::use_awaitable);
    } catch (const std::system_error& e) {
      if (e.code() == asio::error::make_error_code(asio::error::operation_aborted)) ++g_log.aborted;
      throw;
    }
    co_return id;
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}}, .load_timeout = 200ms}; }
};

/// A source that takes 50 ms.
struct SlowNode {
  int id = 0;
  std::string key() const { return "slow:" + std::to_string(id); }
  asio::awaitable<int> load() const {
    asio::steady_timer t(co_await asio::this_coro::executor, 50ms);
    co_await t.async_wait(asio::use_awaitable);
    co_return id * 10;
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}}}; }
};

struct FailingNode {
  int how = 0;
  std::string key() const { return "failing:" + std::to_string(how); }
  asio::awaitable<int> load() const {
    if (how == 0) throw std::system_error(std::make_error_code(std::errc::connection_refused), "source down");
    throw std::runtime_error("row 7 is corrupt");
    co_return 0;
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}}}; }
};

struct Text {
  std::string s;
};
struct Number {
  long n = 0;
};
struct TextNode {  // collides with NumberNode: same key, same version, same local tier
  std::string k;
  std::string key() const { return k; }
  asio::awaitable<Text> load() const { co_return Text{"text:" + k}; }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}}}; }
};
struct NumberNode {
  std::string k;
  std::string key() const { return k; }
  asio::awaitable<Number> load() const { co_return Number{42}; }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}}}; }
};

/// asio::error::operation_aborted as an error_code (the bare enum compares as a condition).
bool is_aborted(std::error_code ec) { return ec == asio::error::make_error_code(asio::error::operation_aborted); }

using cacheme::test::run;

asio::awaitable<void> register_local(Cacheme& cm) { co_await cm.register_storage("local", {"local://lru?size=100"}); }

TEST_CASE("asio: a loader that never completes is cancelled at its deadline; callers get load_timeout",
          "[asio][rule10]") {
  g_log = {};
  run([&](Cacheme& cm) -> asio::awaitable<void> {
    co_await register_local(cm);
    const auto start = std::chrono::steady_clock::now();
    HungNode n{1};
    auto [ec, v] = co_await cm.get(n, asio::experimental::as_tuple(asio::use_awaitable));
    CHECK(ec == cacheme::errc::load_timeout);
    CHECK(v == nullptr);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    asio::steady_timer settle(co_await asio::this_coro::executor, 20ms);
    co_await settle.async_wait(asio::use_awaitable);
    CHECK(g_log.started == 1);
    CHECK(g_log.aborted == 1);  // the loader saw operation_aborted
    CHECK(cm.stats<HungNode>().load_timeouts == 1);
    CHECK(cm.runtime().engine().flights() == 0);
  });
}

TEST_CASE("asio: get || timer returns when the timer fires and the abandoned load is cancelled", "[asio][rule10]") {
  g_log = {};
  run([&](Cacheme& cm) -> asio::awaitable<void> {
    co_await register_local(cm);
    HungNode n{2};
    cacheme::core::RequestOptions no_deadline{.load_timeout = 0s};
    asio::steady_timer timer(co_await asio::this_coro::executor, 30ms);
    const auto start = std::chrono::steady_clock::now();
    auto r = co_await (cm.get(n, no_deadline) || timer.async_wait(asio::use_awaitable));
    CHECK(r.index() == 1);  // the timer won
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    asio::steady_timer settle(co_await asio::this_coro::executor, 20ms);
    co_await settle.async_wait(asio::use_awaitable);
    CHECK(g_log.aborted == 1);
    CHECK(cm.stats<HungNode>().loads_cancelled == 1);
    CHECK(cm.runtime().engine().flights() == 0);
    CHECK(cm.runtime().engine().pending_operations() == 0);
  });
}

TEST_CASE("asio: with_timeout bounds one caller; the others of the key still get the value", "[asio][rule10]") {
  run([&](Cacheme& cm) -> asio::awaitable<void> {
    co_await register_local(cm);
    SlowNode n{7};
    std::optional<int> other;
    cm.get(n, [&](std::error_code ec, std::shared_ptr<const int> v) {
      CHECK_FALSE(ec);
      if (v) other = *v;
    });
    bool timed_out = false;
    try {
      co_await cacheme::asio::with_timeout(cm.get(n), 5ms);
    } catch (const std::system_error& e) {
      timed_out = e.code() == std::errc::timed_out;
    }
    CHECK(timed_out);
    auto v = co_await cacheme::asio::with_timeout(cm.get(n), 5s);  // attaches to the same flight
    co_await cacheme::asio::with_timeout(cm.invalidate(n), 5s);      // an operation without a value
    CHECK(*v == 70);
    CHECK(other == 70);
    CHECK(cm.stats<SlowNode>().load_count() == 1);
  });
}

TEST_CASE("asio: a bound cancellation slot answers at once with operation_aborted", "[asio][rule10]") {
  run([&](Cacheme& cm) -> asio::awaitable<void> {
    co_await register_local(cm);
    asio::cancellation_signal signal;
    std::optional<std::error_code> got;
    cm.get(SlowNode{3}, asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, std::shared_ptr<const int>) {
             got = ec;
           }));
    asio::steady_timer t(co_await asio::this_coro::executor, 1ms);
    co_await t.async_wait(asio::use_awaitable);
    signal.emit(asio::cancellation_type::terminal);
    t.expires_after(1ms);
    co_await t.async_wait(asio::use_awaitable);
    REQUIRE(got);
    CHECK(is_aborted(*got));
    // Registration is cancellable too (a local one completes at once, so it wins the race).
    auto [ec] = co_await cm.register_storage("l2", {"local://lru?size=10"}, asio::experimental::as_tuple(asio::use_awaitable));
    CHECK_FALSE(ec);
  });
}

TEST_CASE("asio: loader errors keep their code; other exceptions are load_failed with the message", "[asio]") {
  run([&](Cacheme& cm) -> asio::awaitable<void> {
    co_await register_local(cm);
    auto [ec, v] = co_await cm.get(FailingNode{0}, asio::experimental::as_tuple(asio::use_awaitable));
    CHECK(ec == std::errc::connection_refused);
    auto [ec2, v2] = co_await cm.get(FailingNode{1}, asio::experimental::as_tuple(asio::use_awaitable));
    CHECK(ec2 == cacheme::errc::load_failed);
    CHECK(cm.last_load_error<FailingNode>() == "row 7 is corrupt");
  });
}

TEST_CASE("asio: a handler that throws reaches io_context::run, and the cache keeps working", "[asio]") {
  asio::io_context io;
  Cacheme cm(io);
  cm.register_storage("local", {"local://lru?size=10"}, [](std::error_code) {});
  io.run();
  io.restart();
  cm.get(SlowNode{1}, [](std::error_code, std::shared_ptr<const int>) { throw std::runtime_error("handler bug"); });
  int later = 0;
  cm.get(SlowNode{2}, [&](std::error_code ec, std::shared_ptr<const int> v) { later = ec ? -1 : *v; });
  CHECK_THROWS_WITH(io.run(), "handler bug");
  io.restart();
  io.run();
  CHECK(later == 20);
  int again = 0;
  cm.get(SlowNode{3}, [&](std::error_code ec, std::shared_ptr<const int> v) { again = ec ? -1 : *v; });
  io.restart();
  io.run();
  CHECK(again == 30);
}

TEST_CASE("asio: the Cacheme destroyed inside a handler, with requests pending", "[asio]") {
  asio::io_context io;
  auto cm = std::make_unique<Cacheme>(io);
  cm->register_storage("local", {"local://lru?size=10"}, [](std::error_code) {});
  io.run();
  io.restart();
  std::optional<std::error_code> pending_ec;
  bool destroyed = false;
  HungNode hung{9};
  cm->get(hung, [&](std::error_code ec, std::shared_ptr<const int>) { pending_ec = ec; });
  cm->get(SlowNode{4}, [&](std::error_code ec, std::shared_ptr<const int> v) {
    CHECK_FALSE(ec);
    CHECK(*v == 40);
    cm.reset();  // shutdown after the last reply
    destroyed = true;
  });
  io.run_for(5s);
  CHECK(destroyed);
  REQUIRE(pending_ec);
  CHECK(is_aborted(*pending_ec));
}

TEST_CASE("asio: two node types with colliding keys keep their own values", "[asio][rule11]") {
  run([&](Cacheme& cm) -> asio::awaitable<void> {
    co_await register_local(cm);
    TextNode t{"k"};
    NumberNode n{"k"};
    auto a = co_await cm.get(t);
    auto b = co_await cm.get(n);
    auto c = co_await cm.get(t);  // local hits, in both orders
    auto d = co_await cm.get(n);
    CHECK(a->s == "text:k");
    CHECK(c->s == "text:k");
    CHECK(b->n == 42);
    CHECK(d->n == 42);
  });
}

}  // namespace

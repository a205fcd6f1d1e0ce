// The libevent adapter under misbehaving users (DESIGN.md §3 rules 10, 11): a loader that
// never calls back, callers that cancel, callbacks that throw or destroy the cache.
#include <catch2/catch.hpp>
#include <event2/event.h>

#include <optional>
#include <stdexcept>

#include "cacheme/libevent/cacheme.hpp"

namespace {

using namespace std::chrono_literals;
using cacheme::libevent::Cacheme;

struct Log {
  int started = 0;
  int cancelled = 0;
};
Log g_log;
std::vector<std::function<void(std::error_code, int)>> g_parked;  // loads that never answer

/// A source that never calls back, but hears of its cancellation.
struct HungNode {
  using value_type = int;
  int id = 0;
  std::string key() const { return "hung:" + std::to_string(id); }
  void load(std::function<void(std::error_code, int)> done, cacheme::libevent::LoadCancel cancel) const {
    ++g_log.started;
    g_parked.push_back(std::move(done));
    cancel->on_cancel([] { ++g_log.cancelled; });
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}}, .load_timeout = 100ms}; }
};

/// A source that answers on the next loop turn.
struct QuickNode {
  using value_type = int;
  int id = 0;
  std::string key() const { return "quick:" + std::to_string(id); }
  void load(std::function<void(std::error_code, int)> done) const { done({}, id * 10); }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}}}; }
};

struct ThrowingLoaderNode {
  using value_type = int;
  std::string key() const { return "throws"; }
  void load(std::function<void(std::error_code, int)>) const { throw std::runtime_error("loader bug"); }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}}}; }
};

struct Loop {
  event_base* base = cacheme::adapters::libevent::EventReactor::new_base();
  ~Loop() { event_base_free(base); }
  template <class Pred>
  bool until(Pred done, std::chrono::milliseconds limit = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < end) event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    return done();
  }
};

void register_local(Loop& loop, Cacheme& cm) {
  bool ok = false;
  cm.register_storage("local", {"local://lru?size=100"}, [&](std::error_code ec) { ok = !ec; });
  REQUIRE(loop.until([&] { return ok; }));
}

bool aborted(std::error_code ec) { return ec == std::error_code(ECANCELED, std::system_category()); }

TEST_CASE("libevent: a loader that never calls back is cancelled at its deadline", "[libevent][rule10]") {
  g_log = {};
  g_parked.clear();
  Loop loop;
  Cacheme cm(loop.base);
  register_local(loop, cm);
  std::optional<std::error_code> a, b;
  cm.get(HungNode{1}, [&](std::error_code ec, std::shared_ptr<const int>) { a = ec; });
  cm.get(HungNode{1}, [&](std::error_code ec, std::shared_ptr<const int>) { b = ec; });
  REQUIRE(loop.until([&] { return a && b; }));
  CHECK(*a == cacheme::errc::load_timeout);
  CHECK(*b == cacheme::errc::load_timeout);
  CHECK(g_log.started == 1);
  CHECK(g_log.cancelled == 1);
  g_parked.at(0)({}, 5);  // a late answer is ignored
  CHECK(cm.stats<HungNode>().load_timeouts == 1);
  CHECK(cm.runtime().engine().flights() == 0);
}

TEST_CASE("libevent: cancel answers at once, leaves the other callers, cancels an abandoned load",
          "[libevent][rule10]") {
  g_log = {};
  g_parked.clear();
  Loop loop;
  Cacheme cm(loop.base);
  register_local(loop, cm);
  std::optional<std::error_code> a, b;
  auto ra = cm.get(HungNode{2}, cacheme::core::RequestOptions{.load_timeout = 0s},
                   [&](std::error_code ec, std::shared_ptr<const int>) { a = ec; });
  auto rb = cm.get(HungNode{2}, [&](std::error_code ec, std::shared_ptr<const int>) { b = ec; });
  loop.until([] { return false; }, 10ms);
  CHECK(ra.cancel());
  REQUIRE(a);  // at once, inside cancel()
  CHECK(aborted(*a));
  CHECK_FALSE(b);
  CHECK(g_log.cancelled == 0);  // b still waits
  CHECK(rb.cancel());
  REQUIRE(b);
  CHECK(aborted(*b));
  CHECK(g_log.cancelled == 1);
  CHECK_FALSE(rb.cancel());  // answered already
  CHECK(cm.stats<HungNode>().loads_cancelled == 1);
  CHECK(cm.runtime().engine().flights() == 0);
}

TEST_CASE("libevent: a callback that throws stops the loop, dispatch rethrows, the cache goes on", "[libevent]") {
  Loop loop;
  Cacheme cm(loop.base);
  register_local(loop, cm);
  cm.get(QuickNode{1}, [](std::error_code, std::shared_ptr<const int>) { throw std::runtime_error("callback bug"); });
  int later = 0;
  cm.get(QuickNode{2}, [&](std::error_code ec, std::shared_ptr<const int> v) { later = ec ? -1 : *v; });
  CHECK_THROWS_WITH(cm.dispatch(), "callback bug");
  REQUIRE(loop.until([&] { return later != 0; }));
  CHECK(later == 20);
  int again = 0;
  cm.get(QuickNode{3}, [&](std::error_code ec, std::shared_ptr<const int> v) { again = ec ? -1 : *v; });
  REQUIRE(loop.until([&] { return again != 0; }));
  CHECK(again == 30);
  CHECK_FALSE(cm.take_exception());
}

TEST_CASE("libevent: a registration callback that throws is caught too", "[libevent]") {
  Loop loop;
  Cacheme cm(loop.base);
  cm.register_storage("local", {"local://lru?size=10"}, [](std::error_code) { throw std::runtime_error("reg bug"); });
  CHECK_THROWS_WITH(cm.dispatch(), "reg bug");
  int got = 0;
  cm.get(QuickNode{5}, [&](std::error_code ec, std::shared_ptr<const int> v) { got = ec ? -1 : *v; });
  REQUIRE(loop.until([&] { return got != 0; }));
  CHECK(got == 50);
}

/// Answers twice: the second answer must not count for another key of the batch.
struct TwiceNode {
  using value_type = int;
  int id = 0;
  std::string key() const { return "twice:" + std::to_string(id); }
  void load(std::function<void(std::error_code, int)> done) const {
    if (id == 1) {
      done({}, 1);
      done({}, 1);
    } else {
      g_parked.push_back(std::move(done));  // answered later
    }
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}}}; }
};

TEST_CASE("libevent: a loader that answers twice is heard once", "[libevent]") {
  g_parked.clear();
  Loop loop;
  Cacheme cm(loop.base);
  register_local(loop, cm);
  std::optional<std::vector<int>> got;
  cm.get_all(std::vector<TwiceNode>{{1}, {2}}, [&](std::error_code ec, std::vector<std::shared_ptr<const int>> v) {
    CHECK_FALSE(ec);
    got = std::vector<int>{v.at(0) ? *v[0] : -1, v.at(1) ? *v[1] : -1};
  });
  loop.until([] { return false; }, 10ms);
  CHECK_FALSE(got);  // key 2 has not answered yet
  REQUIRE(g_parked.size() == 1);
  g_parked[0]({}, 2);
  REQUIRE(loop.until([&] { return got.has_value(); }));
  CHECK(*got == std::vector<int>{1, 2});
}

TEST_CASE("libevent: a loader that throws is a failed load with its message", "[libevent]") {
  Loop loop;
  Cacheme cm(loop.base);
  register_local(loop, cm);
  std::optional<std::error_code> got;
  cm.get(ThrowingLoaderNode{}, [&](std::error_code ec, std::shared_ptr<const int>) { got = ec; });
  REQUIRE(loop.until([&] { return got.has_value(); }));
  CHECK(*got == cacheme::errc::load_failed);
  CHECK(cm.last_load_error<ThrowingLoaderNode>() == "loader bug");
}

TEST_CASE("libevent: the Cacheme destroyed inside a callback, with requests pending", "[libevent]") {
  g_parked.clear();
  Loop loop;
  auto cm = std::make_unique<Cacheme>(loop.base);
  register_local(loop, *cm);
  std::optional<std::error_code> pending_ec;
  bool destroyed = false;
  cm->get(HungNode{3}, cacheme::core::RequestOptions{.load_timeout = 0s},
          [&](std::error_code ec, std::shared_ptr<const int>) { pending_ec = ec; });
  cm->get(QuickNode{4}, [&](std::error_code ec, std::shared_ptr<const int> v) {
    CHECK_FALSE(ec);
    CHECK(*v == 40);
    cm.reset();
    destroyed = true;
  });
  REQUIRE(loop.until([&] { return destroyed; }));
  REQUIRE(pending_ec);
  CHECK(aborted(*pending_ec));
  loop.until([] { return false; }, 20ms);  // nothing left that calls into the freed cache
}

TEST_CASE("libevent: out-of-range options are bad_option, never an overflow", "[libevent]") {
  Loop loop;
  Cacheme cm(loop.base);
  std::vector<std::error_code> got;
  auto done = [&](std::error_code ec) { got.push_back(ec); };
  cm.register_storage("a", {"local://lru?size=99999999999999999999"}, done);
  cm.register_storage("b", {"local://lru?size=0"}, done);
  cm.register_storage("c", {"sqlite:///tmp/x.db?timeout=9223372036854775807"}, done);
  cm.register_storage("d", {"sqlite:///tmp/x.db?timeout=86400001"}, done);
  cacheme::adapters::StorageSpec huge_pool{"sqlite:///tmp/x.db", {}};
  huge_pool.options.pool_size = 1'000'000'000;
  cm.register_storage("e", huge_pool, done);
  REQUIRE(loop.until([&] { return got.size() == 5; }));
  for (auto ec : got) CHECK(ec == cacheme::errc::bad_option);
}

TEST_CASE("libevent: hash seeds are per process unless fixed", "[libevent]") {
  Loop loop;
  cacheme::core::Config fixed;
  fixed.seed = 7;
  fixed.fixed_seed = true;
  Cacheme a(loop.base, fixed);
  CHECK(a.runtime().seed() == 7);
  cacheme::core::Config mixed;
  mixed.seed = 7;
  Cacheme b(loop.base, mixed);
  Cacheme c(loop.base, mixed);
  CHECK(b.runtime().seed() != 7);
  CHECK(b.runtime().seed() == c.runtime().seed());  // one random value per process
}

}  // namespace

TEST_CASE("libevent: a callback that asks again while the Cacheme is destroyed is answered aborted", "[libevent]") {
  // The destructor answers pending callbacks with operation_aborted. One that asks the cache
  // again from there used to reach a runtime half torn down: its loader started on closed
  // storages, its callback never ran.
  g_log = {};
  g_parked.clear();
  Loop loop;
  auto cm = std::make_unique<Cacheme>(loop.base);
  Cacheme* const raw = cm.get();
  register_local(loop, *cm);
  bool cached = false;
  cm->get(QuickNode{1}, [&](std::error_code ec, std::shared_ptr<const int>) { cached = !ec; });
  REQUIRE(loop.until([&] { return cached; }));

  std::vector<std::error_code> again;
  const auto note = [&](std::error_code ec, auto&&...) { again.push_back(ec); };
  cm->get(HungNode{2}, [&](std::error_code ec, std::shared_ptr<const int>) {
    REQUIRE(aborted(ec));
    raw->get(QuickNode{1}, note);  // a local hit before the destruction
    raw->get(HungNode{3}, note);   // a miss: its loader must not start
    raw->get_all(std::vector<QuickNode>{{1}, {2}}, note);
    raw->refresh(QuickNode{1}, note);
    raw->invalidate(QuickNode{1}, note);
    raw->register_storage("late", {"local://lru?size=10"}, note);
    const auto memo = cacheme::libevent::memoize<QuickNode>([](int id, auto cb) { cb({}, id * 10); },
                                                           [](int id) { return QuickNode{id}; });
    memo(*raw, note, 1);
  });
  REQUIRE(g_log.started == 1);
  cm.reset();
  REQUIRE(again.size() == 7);
  for (auto ec : again) CHECK(aborted(ec));
  CHECK(g_log.started == 1);
  loop.until([] { return false; }, 20ms);  // nothing left that calls into the freed cache
}

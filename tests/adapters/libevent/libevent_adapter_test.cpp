// The libevent adapter end to end on embedded storages (local, SQLite): no server needed.
#include <catch2/catch.hpp>
#include <event2/event.h>

#include <filesystem>

#include "cacheme/libevent/cacheme.hpp"

namespace {

using namespace std::chrono_literals;
using cacheme::libevent::Cacheme;

int g_loads = 0;

struct SquareNode {
  using value_type = int;
  int n = 0;
  std::string key() const { return "square:" + std::to_string(n); }
  void load(std::function<void(std::error_code, int)> done) const {
    ++g_loads;
    if (n < 0) return done(make_error_code(cacheme::errc::load_failed), 0);
    done({}, n * n);
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 10s}, {"sql", std::chrono::hours(1)}}}; }
};

struct Loop {
  event_base* base = cacheme::adapters::libevent::EventReactor::new_base();
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("cacheme-libevent-" + std::to_string(::getpid()));
  ~Loop() {
    event_base_free(base);
    std::filesystem::remove_all(dir);
  }
  void run() { event_base_dispatch(base); }
  void stop() { event_base_loopbreak(base); }
};

TEST_CASE("libevent adapter: register, get, get_all, invalidate, refresh, stats", "[libevent]") {
  Loop loop;
  std::filesystem::create_directories(loop.dir);
  g_loads = 0;
  {
    Cacheme cm(loop.base);
    std::error_code reg1, reg2, bad;
    int step = 0;
    cm.register_storage("local", {"local://tlfu?size=100"}, [&](std::error_code ec) { reg1 = ec; ++step; });
    cm.register_storage("sql", {"sqlite://" + (loop.dir / "c.db").string() + "?init=1"}, [&](std::error_code ec) {
      reg2 = ec;
      ++step;
    });
    cm.register_storage("nope", {"gopher://127.0.0.1"}, [&](std::error_code ec) { bad = ec; ++step; });
    while (step < 3) event_base_loop(loop.base, EVLOOP_ONCE);
    REQUIRE_FALSE(reg1);
    REQUIRE_FALSE(reg2);
    CHECK(bad == cacheme::errc::bad_url);

    int got = 0;
    std::vector<int> all;
    int done = 0;
    for (int i = 0; i < 10; ++i)  // concurrent gets of one key: one load
      cm.get(SquareNode{3}, [&](std::error_code ec, std::shared_ptr<const int> v) {
        REQUIRE_FALSE(ec);
        got += *v;
        ++done;
      });
    while (done < 10) event_base_loop(loop.base, EVLOOP_ONCE);
    CHECK(got == 90);
    CHECK(g_loads == 1);

    cm.get_all(std::vector<SquareNode>{{2}, {3}, {2}, {4}},
               [&](std::error_code ec, std::vector<std::shared_ptr<const int>> v) {
                 REQUIRE_FALSE(ec);
                 for (auto& p : v) all.push_back(*p);
                 ++done;
               });
    while (done < 11) event_base_loop(loop.base, EVLOOP_ONCE);
    CHECK(all == std::vector<int>{4, 9, 4, 16});
    CHECK(g_loads == 3);

    std::error_code failed;
    cm.get(SquareNode{-1}, [&](std::error_code ec, std::shared_ptr<const int> v) {
      failed = ec;
      CHECK(v == nullptr);
      ++done;
    });
    while (done < 12) event_base_loop(loop.base, EVLOOP_ONCE);
    CHECK(failed == cacheme::errc::load_failed);

    std::error_code inv{make_error_code(cacheme::errc::cancelled)};
    cm.invalidate(SquareNode{3}, [&](std::error_code ec) { inv = ec; ++done; });
    while (done < 13) event_base_loop(loop.base, EVLOOP_ONCE);
    CHECK_FALSE(inv);
    cm.refresh(SquareNode{3}, [&](std::error_code ec, std::shared_ptr<const int> v) {
      REQUIRE_FALSE(ec);
      CHECK(*v == 9);
      ++done;
    });
    while (done < 14) event_base_loop(loop.base, EVLOOP_ONCE);
    CHECK(g_loads == 5);
    auto st = cm.stats<SquareNode>();
    CHECK(st.requests == 15);
    CHECK(st.load_failures == 1);
    CHECK(st.tiers.at(1).storage == "sql");
  }
}

TEST_CASE("libevent adapter: SQLite copy survives a new process-level cache", "[libevent]") {
  Loop loop;
  std::filesystem::create_directories(loop.dir);
  const std::string url = "sqlite://" + (loop.dir / "p.db").string() + "?init=1";
  g_loads = 0;
  for (int round = 0; round < 2; ++round) {
    Cacheme cm(loop.base);
    int step = 0;
    cm.register_storage("local", {"local://lru?size=10"}, [&](std::error_code ec) { REQUIRE_FALSE(ec); ++step; });
    cm.register_storage("sql", {url}, [&](std::error_code ec) { REQUIRE_FALSE(ec); ++step; });
    while (step < 2) event_base_loop(loop.base, EVLOOP_ONCE);
    int value = 0;
    cm.get(SquareNode{7}, [&](std::error_code ec, std::shared_ptr<const int> v) {
      REQUIRE_FALSE(ec);
      value = *v;
      ++step;
    });
    while (step < 3) event_base_loop(loop.base, EVLOOP_ONCE);
    CHECK(value == 49);
    // Let the write-back finish before the cache goes away.
    while (cm.runtime().engine().flights() > 0) event_base_loop(loop.base, EVLOOP_ONCE);
  }
  CHECK(g_loads == 1);  // the second cache found it in SQLite
}

}  // namespace

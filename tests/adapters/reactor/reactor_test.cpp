// Reactor conformance (drivers::Reactor): one body per case, run against every built reactor.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "reactor_loops.hpp"

using cacheme::drivers::Interest;
using namespace std::chrono_literals;

namespace {

/// A non-blocking socketpair, closed on destruction unless already closed.
struct Pair {
  std::array<int, 2> fd{-1, -1};
  Pair() {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd.data()) == 0);
    for (int f : fd) ::fcntl(f, F_SETFL, ::fcntl(f, F_GETFL) | O_NONBLOCK);
  }
  ~Pair() { close(); }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
  void close() {
    for (int& f : fd) {
      if (f >= 0) ::close(f);
      f = -1;
    }
  }
  int a() const { return fd[0]; }
  int b() const { return fd[1]; }
  void send_to_a(const std::string& s) const { REQUIRE(::write(b(), s.data(), s.size()) == ssize_t(s.size())); }
  std::string drain_a() const {
    std::string out;
    char buf[256];
    for (ssize_t n; (n = ::read(a(), buf, sizeof buf)) > 0;) out.append(buf, std::size_t(n));
    return out;
  }
};

}  // namespace

TEMPLATE_LIST_TEST_CASE("reactor reports read readiness until the data is consumed", "[reactor]",
                        cacheme::test::Loops) {
  TestType loop;
  auto& r = loop.reactor();
  Pair p;
  int calls = 0;
  std::string got;
  r.watch(p.a(), Interest::read, [&](Interest ready) {
    CHECK(ready == Interest::read);
    ++calls;
    got += p.drain_a();
  });
  loop.run_for(30ms);
  CHECK(calls == 0);

  p.send_to_a("hello");
  REQUIRE(loop.run_until([&] { return calls >= 1; }));
  CHECK(got == "hello");
  loop.run_for(30ms);
  CHECK(calls == 1);  // drained: no spurious wake-ups

  p.send_to_a("again");
  REQUIRE(loop.run_until([&] { return calls >= 2; }));
  CHECK(got == "helloagain");
  r.unwatch(p.a());
}

TEMPLATE_LIST_TEST_CASE("watch inside a callback replaces interest and callback", "[reactor]", cacheme::test::Loops) {
  TestType loop;
  auto& r = loop.reactor();
  Pair p;
  int write_calls = 0, read_calls = 0;
  r.watch(p.a(), Interest::write, [&](Interest ready) {
    CHECK(ready == Interest::write);
    ++write_calls;
    // Like hiredis's delWrite right after flushing its buffer.
    r.watch(p.a(), Interest::read, [&](Interest ready2) {
      CHECK(ready2 == Interest::read);
      ++read_calls;
      p.drain_a();
    });
  });
  REQUIRE(loop.run_until([&] { return write_calls == 1; }));
  loop.run_for(30ms);
  CHECK(write_calls == 1);  // the socket stays writable, but write is no longer wanted
  CHECK(read_calls == 0);

  p.send_to_a("x");
  REQUIRE(loop.run_until([&] { return read_calls == 1; }));
  CHECK(write_calls == 1);

  // And back to read+write from outside a callback: both directions are reported.
  Interest seen = Interest::none;
  r.watch(p.a(), Interest::read_write, [&](Interest ready) { seen = seen | ready; });
  p.send_to_a("y");
  REQUIRE(loop.run_until([&] { return seen == Interest::read_write; }));
  r.unwatch(p.a());
}

TEMPLATE_LIST_TEST_CASE("Interest::none keeps a fd registered but idle", "[reactor]", cacheme::test::Loops) {
  TestType loop;
  auto& r = loop.reactor();
  Pair p;
  int calls = 0;
  p.send_to_a("data");
  r.watch(p.a(), Interest::none, [&](Interest) { ++calls; });
  loop.run_for(30ms);
  CHECK(calls == 0);
  r.watch(p.a(), Interest::read, [&](Interest) {
    ++calls;
    p.drain_a();
  });
  REQUIRE(loop.run_until([&] { return calls == 1; }));
  r.unwatch(p.a());
}

TEMPLATE_LIST_TEST_CASE("unwatch inside the fd's own callback stops it at once", "[reactor]", cacheme::test::Loops) {
  TestType loop;
  auto& r = loop.reactor();
  Pair p;
  int calls = 0;
  p.send_to_a("unread");  // readable and writable: both directions are ready together
  r.watch(p.a(), Interest::read_write, [&](Interest) {
    ++calls;
    r.unwatch(p.a());
  });
  REQUIRE(loop.run_until([&] { return calls >= 1; }));
  loop.run_for(50ms);
  CHECK(calls == 1);
}

TEMPLATE_LIST_TEST_CASE("no callback runs after unwatch", "[reactor]", cacheme::test::Loops) {
  TestType loop;
  auto& r = loop.reactor();

  SECTION("unwatch before the loop runs") {
    Pair p;
    int calls = 0;
    p.send_to_a("ready");
    r.watch(p.a(), Interest::read_write, [&](Interest) { ++calls; });
    r.unwatch(p.a());
    loop.run_for(50ms);
    CHECK(calls == 0);
  }

  SECTION("a callback unwatches another ready fd in the same iteration") {
    Pair p, q;
    int calls_p = 0, calls_q = 0;
    p.send_to_a("x");
    q.send_to_a("y");
    r.watch(p.a(), Interest::read, [&](Interest) {
      ++calls_p;
      r.unwatch(p.a());
      r.unwatch(q.a());
    });
    r.watch(q.a(), Interest::read, [&](Interest) {
      ++calls_q;
      r.unwatch(p.a());
      r.unwatch(q.a());
    });
    REQUIRE(loop.run_until([&] { return calls_p + calls_q >= 1; }));
    loop.run_for(50ms);
    CHECK(calls_p + calls_q == 1);
  }

  SECTION("unwatch while a wait for a dropped direction is still outstanding") {
    Pair p;
    int calls = 0;
    r.watch(p.a(), Interest::read, [&](Interest) { ++calls; });
    loop.run_for(10ms);
    r.watch(p.a(), Interest::none, [&](Interest) { ++calls; });
    p.send_to_a("late");
    loop.run_for(30ms);
    r.unwatch(p.a());
    loop.run_for(30ms);
    CHECK(calls == 0);
  }
}

TEMPLATE_LIST_TEST_CASE("a fd closed right after unwatch, and its number reused", "[reactor]", cacheme::test::Loops) {
  TestType loop;
  auto& r = loop.reactor();
  int old_calls = 0, new_calls = 0;
  auto first = std::make_unique<Pair>();
  const int old_fd = first->a();
  r.watch(first->a(), Interest::read, [&](Interest) { ++old_calls; });
  loop.run_for(10ms);
  r.unwatch(first->a());
  first->close();  // right away, as hiredis does after its cleanup hook
  loop.run_for(10ms);

  Pair second;  // the lowest free numbers: usually the ones just closed
  INFO("old fd " << old_fd << ", new fd " << second.a());
  r.watch(second.a(), Interest::read, [&](Interest) {
    ++new_calls;
    second.drain_a();
  });
  second.send_to_a("new");
  REQUIRE(loop.run_until([&] { return new_calls == 1; }));
  CHECK(old_calls == 0);
  r.unwatch(second.a());
}

TEMPLATE_LIST_TEST_CASE("timers fire in order and cancel works", "[reactor]", cacheme::test::Loops) {
  TestType loop;
  auto& r = loop.reactor();
  std::vector<int> fired;
  // 30 ms between the last timer and the ones before it: a preemption while they are armed (a
  // loaded machine, TSan) must not swap them.
  r.call_after(60ms, [&] { fired.push_back(4); });
  const auto cancelled = r.call_after(20ms, [&] { fired.push_back(99); });
  r.call_after(10ms, [&] { fired.push_back(1); });
  const auto killed_by_timer = r.call_after(70ms, [&] { fired.push_back(98); });
  r.call_after(0ms, [&] { fired.push_back(0); });
  r.call_after(25ms, [&] {
    fired.push_back(2);
    r.cancel(killed_by_timer);  // cancel from inside another timer's callback
    r.call_after(5ms, [&] { fired.push_back(3); });
  });
  CHECK(cancelled != 0);
  r.cancel(cancelled);
  r.cancel(cancelled);  // twice: a no-op
  r.cancel(12345);      // unknown: a no-op
  REQUIRE(loop.run_until([&] { return fired.size() >= 5; }));
  loop.run_for(80ms);
  CHECK(fired == std::vector<int>{0, 1, 2, 3, 4});
}

TEMPLATE_LIST_TEST_CASE("a fired or cancelled timer's id never cancels a later timer", "[reactor]",
                        cacheme::test::Loops) {
  TestType loop;
  auto& r = loop.reactor();
  int fired = 0;
  const auto first = r.call_after(0ms, [&] { ++fired; });
  REQUIRE(loop.run_until([&] { return fired == 1; }));
  const auto cancelled = r.call_after(50ms, [&] { fired += 100; });
  r.cancel(cancelled);
  // Later timers may reuse what the first two held; their ids differ, and the old ids are dead.
  const auto second = r.call_after(0ms, [&] { ++fired; });
  const auto third = r.call_after(1ms, [&] { ++fired; });
  CHECK(second != first);
  CHECK(second != cancelled);
  CHECK(third != first);
  CHECK(third != cancelled);
  r.cancel(first);
  r.cancel(cancelled);
  REQUIRE(loop.run_until([&] { return fired == 3; }));
  loop.run_for(60ms);
  CHECK(fired == 3);
}

TEMPLATE_LIST_TEST_CASE("post is thread-safe and runs on the loop thread in order", "[reactor]",
                        cacheme::test::Loops) {
  TestType loop;
  auto& r = loop.reactor();
  constexpr int kCount = 1000;
  const auto loop_thread = std::this_thread::get_id();
  std::vector<int> order;
  bool all_on_loop_thread = true;
  std::thread worker([&] {
    for (int i = 0; i < kCount; ++i)
      r.post([&, i] {
        all_on_loop_thread = all_on_loop_thread && std::this_thread::get_id() == loop_thread;
        order.push_back(i);
      });
  });
  const bool done = loop.run_until([&] { return int(order.size()) == kCount; });
  worker.join();
  REQUIRE(done);
  CHECK(all_on_loop_thread);
  bool fifo = true;
  for (int i = 0; i < kCount; ++i) fifo = fifo && order[std::size_t(i)] == i;
  CHECK(fifo);

  // A post from the loop thread, from inside a posted function, also runs.
  int nested = 0;
  r.post([&] { r.post([&] { ++nested; }); });
  REQUIRE(loop.run_until([&] { return nested == 1; }));
}

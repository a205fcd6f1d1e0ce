// Test loops owning each reactor, with the same small API, so one test body runs on all:
//   loop.reactor()              the drivers::Reactor
//   loop.run_until(pred, max)   runs callbacks until pred() (true) or max elapsed (false)
//   loop.run_for(d)             runs callbacks for d
// The reactor_test and the driver tests share them (Loops lists those that are built).
#pragma once

#include <chrono>
#include <tuple>

#include "cacheme/drivers/reactor.hpp"

#if CACHEME_TEST_ASIO
#include <asio/io_context.hpp>

#include "cacheme/asio/asio_reactor.hpp"
#endif
#if CACHEME_TEST_LIBEVENT
#include <event2/event.h>

#include "cacheme/libevent/event_reactor.hpp"
#endif

namespace cacheme::test {

using namespace std::chrono_literals;

template <class Self>
struct LoopBase {
  template <class Pred>
  bool run_until(Pred pred, std::chrono::milliseconds max = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + max;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      static_cast<Self*>(this)->run_once();
    }
    return true;
  }
  void run_for(std::chrono::milliseconds d) {
    const auto deadline = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < deadline) static_cast<Self*>(this)->run_once();
  }
};

#if CACHEME_TEST_ASIO
struct AsioLoop : LoopBase<AsioLoop> {
  static constexpr const char* kName = "asio";
  ::asio::io_context io;
  adapters::asio::AsioReactor asio_reactor{io};

  drivers::Reactor& reactor() { return asio_reactor; }
  /// Runs one handler, waiting at most 5 ms for it.
  void run_once() {
    io.run_one_for(std::chrono::milliseconds(5));
    if (io.stopped()) io.restart();
  }
};
#endif

#if CACHEME_TEST_LIBEVENT
struct EventLoop : LoopBase<EventLoop> {
  static constexpr const char* kName = "libevent";
  struct Base {
    event_base* base = adapters::libevent::EventReactor::new_base();
    event* tick = evtimer_new(base, [](evutil_socket_t, short, void*) {}, nullptr);
    ~Base() {
      event_free(tick);
      event_base_free(base);
    }
  } owned;  // declared first: destroyed after the reactor
  adapters::libevent::EventReactor event_reactor{owned.base};

  drivers::Reactor& reactor() { return event_reactor; }
  /// Runs one loop iteration, waiting at most 5 ms for an event.
  void run_once() {
    timeval tv{0, 5000};
    evtimer_add(owned.tick, &tv);
    event_base_loop(owned.base, EVLOOP_ONCE);
  }
};
#endif

template <class... T>
using TypeList = std::tuple<T...>;

using Loops = TypeList<
#if CACHEME_TEST_ASIO
    AsioLoop
#endif
#if CACHEME_TEST_ASIO && CACHEME_TEST_LIBEVENT
    ,
#endif
#if CACHEME_TEST_LIBEVENT
    EventLoop
#endif
    >;

}  // namespace cacheme::test

/// @file reactor.hpp
/// The small event-loop interface every driver is written against (STYLE.md §5). Each adapter
/// (Asio, libevent) implements it once; drivers never name an event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace cacheme::drivers {

/// Readiness a driver waits for on a C client's socket (bit flags).
enum class Interest : unsigned { none = 0, read = 1, write = 2, read_write = 3 };

/// The union of two interests.
constexpr Interest operator|(Interest a, Interest b) { return Interest(unsigned(a) | unsigned(b)); }
/// The interest common to both.
constexpr Interest operator&(Interest a, Interest b) { return Interest(unsigned(a) & unsigned(b)); }
/// `a` without the readiness of `b`.
constexpr Interest without(Interest a, Interest b) { return Interest(unsigned(a) & ~unsigned(b)); }
/// True unless `i` is `Interest::none`.
constexpr bool any(Interest i) { return i != Interest::none; }

/// Identifies a timer armed with `Reactor::call_after`; 0 is never a valid id.
using TimerId = std::uint64_t;

/// An event loop, as a driver sees it. Every call but `post` is made on the loop's thread,
/// and every callback runs on that thread.
class Reactor {
 public:
  virtual ~Reactor() = default;

  /// Calls `on_ready(ready)` whenever `fd` is ready for (part of) `interest`, until `unwatch`
  /// or until `watch` is called again for the same fd (which replaces interest and callback).
  /// `Interest::none` keeps the fd registered but idle. The reactor never closes `fd`.
  virtual void watch(int fd, Interest interest, std::function<void(Interest ready)> on_ready) = 0;

  /// Stops watching `fd`; no callback for it runs afterwards. Call before closing the fd.
  virtual void unwatch(int fd) = 0;

  /// Runs `fn` once after `delay` (driver-internal schedules such as reconnect backoff; the
  /// core owns every operation deadline).
  virtual TimerId call_after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;

  /// Cancels a timer that has not fired; a no-op otherwise.
  virtual void cancel(TimerId id) = 0;

  /// The one thread-safe call: runs `fn` on the loop thread soon. For blocking clients (SQLite,
  /// libmongoc) that work on a thread of their own and hand completions back.
  virtual void post(std::function<void()> fn) = 0;
};

}  // namespace cacheme::drivers

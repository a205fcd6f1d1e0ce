/// @file event_reactor.hpp
/// The `drivers::Reactor` over a libevent `event_base` (STYLE.md §5).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "cacheme/drivers/reactor.hpp"

struct event_base;
struct event;

namespace cacheme::adapters::libevent {

namespace detail {
struct EventWatch;
struct EventTimer;
}  // namespace detail

/// Runs drivers on a libevent `event_base`: one persistent `event` per watched fd, one timer
/// event per `call_after`, and for `post` a mutex-protected queue drained by an `event` that
/// `event_active` wakes.
///
/// `post` from another thread needs libevent's locking, which a base only gets when it is
/// created *after* `evthread_use_pthreads()`: call `EventReactor::enable_threads()` (or create
/// the base with `EventReactor::new_base()`) before `event_base_new`. The constructor calls
/// `enable_threads()` too, which is enough when `post` is only called from the loop thread.
class EventReactor final : public drivers::Reactor {
 public:
  /// Calls `evthread_use_pthreads()` once per process; thread-safe and idempotent.
  static void enable_threads() noexcept;

  /// `enable_threads()`, then `event_base_new()`; free the result with `event_base_free`.
  static event_base* new_base() noexcept;

  /// Wraps `base`, which must outlive the reactor. Use the reactor (except `post`) on the
  /// thread that runs `event_base_dispatch(base)`.
  explicit EventReactor(event_base* base);
  ~EventReactor() override;

  EventReactor(const EventReactor&) = delete;
  EventReactor& operator=(const EventReactor&) = delete;

  /// See `drivers::Reactor::watch`; safe inside any callback, including the fd's own.
  void watch(int fd, drivers::Interest interest, std::function<void(drivers::Interest)> on_ready) override;
  /// See `drivers::Reactor::unwatch`; safe inside the fd's own callback. The fd stays open.
  void unwatch(int fd) override;
  /// See `drivers::Reactor::call_after`.
  drivers::TimerId call_after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  /// See `drivers::Reactor::cancel`.
  void cancel(drivers::TimerId id) override;
  /// See `drivers::Reactor::post`: thread-safe (see the class comment), FIFO.
  void post(std::function<void()> fn) override;

  /// The base this reactor runs on.
  event_base* base() const noexcept { return base_; }

 private:
  static void on_post(int fd, short what, void* self) noexcept;
  static void on_timer(int fd, short what, void* timer) noexcept;
  detail::EventTimer& take_timer();
  std::function<void()> release_timer(detail::EventTimer& t);

  event_base* base_;
  event* post_event_ = nullptr;
  std::mutex post_mutex_;
  std::deque<std::function<void()>> posted_;  // guarded by post_mutex_
  std::map<int, std::unique_ptr<detail::EventWatch>> watches_;
  std::vector<std::unique_ptr<detail::EventTimer>> timers_;  // by slot; see detail::EventTimer
  std::vector<std::uint32_t> free_timers_;                   // slots not armed

  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once destroyed (on_post)
};

}  // namespace cacheme::adapters::libevent

#include "cacheme/libevent/event_reactor.hpp"

#include <mutex>
#include <utility>

#include <event2/event.h>
#include <event2/thread.h>

namespace cacheme::adapters::libevent {

using drivers::Interest;
using drivers::TimerId;

namespace detail {

using ReadyFn = std::function<void(Interest)>;

/// One watched fd. The libevent event is re-created when the interest changes; freeing an
/// event inside its own callback is allowed by libevent 2.1 (it copies what it needs first).
struct EventWatch {
  ~EventWatch() {
    if (ev) event_free(ev);
  }
  event* ev = nullptr;
  Interest interest = Interest::none;
  std::shared_ptr<const ReadyFn> on_ready;  // copied before each call: watch() may replace it
};

struct EventTimer {
  ~EventTimer() {
    if (ev) event_free(ev);
  }
  event* ev = nullptr;
  EventReactor* owner = nullptr;
  TimerId id = 0;
  std::function<void()> fn;
};

namespace {

short to_events(Interest i) {
  return short((any(i & Interest::read) ? EV_READ : 0) | (any(i & Interest::write) ? EV_WRITE : 0));
}

void on_ready(evutil_socket_t, short what, void* arg) noexcept {
  auto* w = static_cast<EventWatch*>(arg);
  Interest ready = Interest::none;
  if (what & EV_READ) ready = ready | Interest::read;
  if (what & EV_WRITE) ready = ready | Interest::write;
  ready = ready & w->interest;
  if (!any(ready)) return;
  // The callback may unwatch (freeing *w) or re-watch (replacing on_ready): hold a copy and do
  // not touch *w afterwards.
  const auto fn = w->on_ready;
  (*fn)(ready);
}

}  // namespace
}  // namespace detail

void EventReactor::enable_threads() noexcept {
  static std::once_flag once;
  std::call_once(once, [] { evthread_use_pthreads(); });
}

event_base* EventReactor::new_base() noexcept {
  enable_threads();
  return event_base_new();
}

EventReactor::EventReactor(event_base* base) : base_(base) {
  enable_threads();
  post_event_ = event_new(base_, -1, 0, &EventReactor::on_post, this);
}

EventReactor::~EventReactor() {
  *alive_ = false;
  watches_.clear();
  timers_.clear();
  if (post_event_) event_free(post_event_);
}

void EventReactor::watch(int fd, Interest interest, std::function<void(Interest)> on_ready) {
  auto& slot = watches_[fd];
  if (!slot) slot = std::make_unique<detail::EventWatch>();
  slot->on_ready = std::make_shared<const detail::ReadyFn>(std::move(on_ready));
  if (slot->ev && slot->interest == interest) return;
  if (slot->ev) {
    event_free(slot->ev);
    slot->ev = nullptr;
  }
  slot->interest = interest;
  if (!any(interest)) return;  // registered but idle
  slot->ev = event_new(base_, fd, short(detail::to_events(interest) | EV_PERSIST), &detail::on_ready, slot.get());
  event_add(slot->ev, nullptr);
}

void EventReactor::unwatch(int fd) {
  // Destroying the watch frees (and so deletes) its event, which also drops it from the
  // active queue: no callback for it can run afterwards, even in this loop iteration.
  watches_.erase(fd);
}

TimerId EventReactor::call_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  auto t = std::make_unique<detail::EventTimer>();
  t->owner = this;
  t->id = next_timer_++;
  t->fn = std::move(fn);
  t->ev = evtimer_new(base_, &EventReactor::on_timer, t.get());
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(delay < delay.zero() ? delay.zero() : delay);
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(us.count() / 1000000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>(us.count() % 1000000);
  evtimer_add(t->ev, &tv);
  const TimerId id = t->id;
  timers_.emplace(id, std::move(t));
  return id;
}

void EventReactor::cancel(TimerId id) { timers_.erase(id); }

void EventReactor::post(std::function<void()> fn) {
  bool wake = false;
  {
    std::lock_guard lock(post_mutex_);
    wake = posted_.empty();  // otherwise the event is already active and will drain everything
    posted_.push_back(std::move(fn));
  }
  if (wake) event_active(post_event_, EV_READ, 0);
}

void EventReactor::on_post(evutil_socket_t, short, void* self) noexcept {
  auto* r = static_cast<EventReactor*>(self);
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(r->post_mutex_);
    batch.swap(r->posted_);
  }
  // Functions posted while this batch runs wake the event again; r is not touched below, so a
  // posted function may even destroy the reactor: the rest of the batch is then dropped (what
  // it would call back into is gone).
  const std::shared_ptr<bool> alive = r->alive_;
  for (auto& fn : batch) {
    if (!*alive) break;
    fn();
  }
}

void EventReactor::on_timer(evutil_socket_t, short, void* arg) noexcept {
  auto* t = static_cast<detail::EventTimer*>(arg);
  auto& timers = t->owner->timers_;
  const auto it = timers.find(t->id);
  if (it == timers.end()) return;
  const auto owned = std::move(it->second);  // keeps fn alive while it runs; freed afterwards
  timers.erase(it);
  owned->fn();
}

}  // namespace cacheme::adapters::libevent

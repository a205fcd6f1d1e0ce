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

/// One timer slot, reused: its libevent event is created once and re-armed by each
/// `call_after` that takes the slot. A timer's id is its slot and the slot's generation, so
/// cancelling a timer that already fired (its slot reused since) does nothing.
struct EventTimer {
  ~EventTimer() {
    if (ev) event_free(ev);
  }
  TimerId id() const noexcept { return (TimerId{generation} << 32) | slot; }

  event* ev = nullptr;
  EventReactor* owner = nullptr;
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  bool armed = false;
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
  {
    // Posted closures may own driver objects whose destructors unwatch or cancel timers: they
    // go first, while the maps they touch still exist.
    std::deque<std::function<void()>> posted;
    std::lock_guard lock(post_mutex_);
    posted.swap(posted_);
  }
  watches_.clear();
  // Functions first, one at a time, slots intact: a destructor may cancel another timer.
  for (auto& t : timers_) {
    t->armed = false;
    std::exchange(t->fn, nullptr);
  }
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
  detail::EventTimer& t = take_timer();
  t.fn = std::move(fn);
  t.armed = true;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(delay < delay.zero() ? delay.zero() : delay);
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(us.count() / 1000000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>(us.count() % 1000000);
  evtimer_add(t.ev, &tv);
  return t.id();
}

// A free slot (a new one when none is free), its generation advanced: ids never repeat, and
// never are 0 (which callers use for "no timer").
detail::EventTimer& EventReactor::take_timer() {
  if (free_timers_.empty()) {
    auto t = std::make_unique<detail::EventTimer>();
    t->owner = this;
    t->slot = static_cast<std::uint32_t>(timers_.size());
    t->ev = evtimer_new(base_, &EventReactor::on_timer, t.get());
    timers_.push_back(std::move(t));
    free_timers_.push_back(timers_.back()->slot);
  }
  detail::EventTimer& t = *timers_[free_timers_.back()];
  free_timers_.pop_back();
  ++t.generation;
  return t;
}

// Disarms slot `t` and frees it for reuse; its function is returned, not destroyed here (it
// may be running, or own objects whose destructors call back into this reactor).
std::function<void()> EventReactor::release_timer(detail::EventTimer& t) {
  t.armed = false;
  free_timers_.push_back(t.slot);
  return std::exchange(t.fn, nullptr);
}

void EventReactor::cancel(TimerId id) {
  const auto slot = static_cast<std::uint32_t>(id);
  if (slot >= timers_.size()) return;
  detail::EventTimer& t = *timers_[slot];
  if (!t.armed || t.id() != id) return;  // fired or cancelled already
  evtimer_del(t.ev);
  release_timer(t);  // the function is destroyed on return
}

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
  if (!t->armed) return;
  // The slot is free before fn runs (fn may set timers, or destroy the reactor: *t is not
  // touched afterwards); fn itself is freed on return.
  const std::function<void()> fn = t->owner->release_timer(*t);
  fn();
}

}  // namespace cacheme::adapters::libevent

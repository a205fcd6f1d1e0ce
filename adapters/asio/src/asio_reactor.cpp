#include "cacheme/asio/asio_reactor.hpp"

#include <map>
#include <utility>

#include <asio/post.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

namespace cacheme::adapters::asio {

using drivers::Interest;
using drivers::TimerId;

namespace detail {

using ReadyFn = std::function<void(Interest)>;

/// One watched fd. Pending `async_wait` handlers hold it by shared_ptr, so it outlives both
/// `unwatch` and the reactor; `active` tells a late handler that it must not call back.
struct Watch {
  Watch(const ::asio::any_io_executor& ex, int fd) : sd(ex, fd) {}

  ::asio::posix::stream_descriptor sd;
  Interest interest = Interest::none;
  std::shared_ptr<const ReadyFn> on_ready;  // copied before each call: watch() may replace it
  bool read_armed = false;                  // an async_wait(wait_read) is outstanding
  bool write_armed = false;
  bool active = true;

  /// Stops every wait and gives the fd back without closing it (it belongs to the C client).
  void retire() {
    active = false;
    ::asio::error_code ignored;
    sd.cancel(ignored);
    sd.release();
  }
};

struct Timer {
  explicit Timer(const ::asio::any_io_executor& ex) : timer(ex) {}
  ::asio::steady_timer timer;
  std::function<void()> fn;
};

struct AsioReactorState {
  std::map<int, std::shared_ptr<Watch>> watches;
  std::map<TimerId, std::shared_ptr<Timer>> timers;
  TimerId next_timer = 1;
};

namespace {

void arm(const std::shared_ptr<Watch>& w, Interest dir);

/// Completion of one direction's wait: call back while that direction is still wanted, re-arm.
void on_wait_done(const std::shared_ptr<Watch>& w, Interest dir, const ::asio::error_code& ec) {
  (dir == Interest::read ? w->read_armed : w->write_armed) = false;
  if (!w->active || ec == ::asio::error::operation_aborted) return;
  if (!any(w->interest & dir)) return;  // interest dropped meanwhile; re-armed by watch()
  // An error on the fd (HUP, ERR) also completes the wait: report readiness and let the client
  // read the EOF or error, as with poll().
  auto on_ready = w->on_ready;
  (*on_ready)(dir);
  if (w->active && any(w->interest & dir)) arm(w, dir);
}

void arm(const std::shared_ptr<Watch>& w, Interest dir) {
  bool& armed = dir == Interest::read ? w->read_armed : w->write_armed;
  if (armed) return;
  armed = true;
  const auto type = dir == Interest::read ? ::asio::posix::descriptor_base::wait_read
                                          : ::asio::posix::descriptor_base::wait_write;
  w->sd.async_wait(type, [w, dir](const ::asio::error_code& ec) { on_wait_done(w, dir, ec); });
}

}  // namespace
}  // namespace detail

bool AsioReactor::built_with_std_aligned_alloc() noexcept {
#if defined(ASIO_HAS_STD_ALIGNED_ALLOC)
  return true;
#else
  return false;
#endif
}

AsioReactor::AsioReactor(::asio::io_context& io) : AsioReactor(::asio::any_io_executor(io.get_executor())) {}

AsioReactor::AsioReactor(::asio::any_io_executor executor)
    : ex_(std::move(executor)), state_(std::make_shared<detail::AsioReactorState>()) {}

AsioReactor::~AsioReactor() {
  for (auto& [fd, w] : state_->watches) w->retire();
  for (auto& [id, t] : state_->timers) {
    t->fn = nullptr;
    t->timer.cancel();
  }
}

void AsioReactor::watch(int fd, Interest interest, std::function<void(Interest)> on_ready) {
  auto& slot = state_->watches[fd];
  if (!slot) slot = std::make_shared<detail::Watch>(ex_, fd);
  slot->interest = interest;
  slot->on_ready = std::make_shared<const detail::ReadyFn>(std::move(on_ready));
  // A wait for a direction no longer wanted stays outstanding; its completion is ignored.
  if (any(interest & Interest::read)) detail::arm(slot, Interest::read);
  if (any(interest & Interest::write)) detail::arm(slot, Interest::write);
}

void AsioReactor::unwatch(int fd) {
  const auto it = state_->watches.find(fd);
  if (it == state_->watches.end()) return;
  const auto w = std::move(it->second);
  state_->watches.erase(it);
  w->retire();  // deregisters from epoll now, so the caller may close the fd right away
}

TimerId AsioReactor::call_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  const TimerId id = state_->next_timer++;
  auto t = std::make_shared<detail::Timer>(ex_);
  t->fn = std::move(fn);
  t->timer.expires_after(delay);
  std::weak_ptr<detail::AsioReactorState> weak = state_;
  t->timer.async_wait([t, id, weak](const ::asio::error_code&) {
    const auto state = weak.lock();
    if (!state || !t->fn) return;  // cancelled, or the reactor is gone
    state->timers.erase(id);
    auto fn = std::move(t->fn);
    t->fn = nullptr;
    fn();
  });
  state_->timers.emplace(id, std::move(t));
  return id;
}

void AsioReactor::cancel(TimerId id) {
  const auto it = state_->timers.find(id);
  if (it == state_->timers.end()) return;
  it->second->fn = nullptr;  // the handler may already be queued; it sees no fn and returns
  it->second->timer.cancel();
  state_->timers.erase(it);
}

void AsioReactor::post(std::function<void()> fn) {
  std::weak_ptr<detail::AsioReactorState> weak = state_;
  ::asio::post(ex_, [weak, fn = std::move(fn)] {
    if (weak.lock()) fn();
  });
}

}  // namespace cacheme::adapters::asio

/// @file asio_reactor.hpp
/// The `drivers::Reactor` over a standalone Asio `io_context` (STYLE.md §5).
#pragma once

#include <chrono>
#include <memory>

#include <asio/any_io_executor.hpp>
#include <asio/io_context.hpp>

#include "cacheme/drivers/reactor.hpp"

namespace cacheme::adapters::asio {

namespace detail {
struct AsioReactorState;
}  // namespace detail

/// Runs drivers on an Asio executor: one `posix::stream_descriptor` per watched fd (its
/// `async_wait` gives readiness; the fd is released, never closed), one `steady_timer` per
/// `call_after`, and `asio::post` for `post`.
///
/// Every handler runs on the executor given (its fd waits, timers and posts): give a strand of
/// a multi-threaded `io_context` and use the reactor only from inside that strand (except
/// `post`). Destroy it before the execution context; callbacks still queued when the reactor
/// is destroyed are dropped, never run.
class AsioReactor final : public drivers::Reactor {
 public:
  /// Runs on `io`'s executor (`io` must outlive the reactor and run on one thread).
  explicit AsioReactor(::asio::io_context& io);
  /// Runs on `executor` (e.g. a strand), whose execution context must outlive the reactor.
  explicit AsioReactor(::asio::any_io_executor executor);
  ~AsioReactor() override;

  AsioReactor(const AsioReactor&) = delete;
  AsioReactor& operator=(const AsioReactor&) = delete;

  /// See `drivers::Reactor::watch`. Re-watching a fd keeps its descriptor and re-arms waits.
  void watch(int fd, drivers::Interest interest, std::function<void(drivers::Interest)> on_ready) override;
  /// See `drivers::Reactor::unwatch`; safe inside the fd's own callback. The fd stays open.
  void unwatch(int fd) override;
  /// See `drivers::Reactor::call_after`.
  drivers::TimerId call_after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  /// See `drivers::Reactor::cancel`.
  void cancel(drivers::TimerId id) override;
  /// See `drivers::Reactor::post`: thread-safe, runs `fn` on the reactor's executor.
  void post(std::function<void()> fn) override;

  /// Whether the library was compiled with Asio's `std::aligned_alloc` recycling allocator. A
  /// translation unit of the user must agree (its `ASIO_HAS_STD_ALIGNED_ALLOC`), or memory
  /// allocated on one side is freed on the other; `cacheme::asio` exports the setting.
  static bool built_with_std_aligned_alloc() noexcept;

  /// The executor every handler of this reactor runs on.
  const ::asio::any_io_executor& executor() const noexcept { return ex_; }

 private:
  ::asio::any_io_executor ex_;
  std::shared_ptr<detail::AsioReactorState> state_;
};

}  // namespace cacheme::adapters::asio

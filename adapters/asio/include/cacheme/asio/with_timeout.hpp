/// @file with_timeout.hpp
/// Bounds one caller's wait: `co_await cacheme::asio::with_timeout(cm.get(node), 50ms)`.
///
/// Unlike `(cm.get(node) || timer.async_wait(use_awaitable))`, whose `||` waits for the first
/// *success* (so a failed `get` is reported only when the timer fires), the first operation to
/// finish wins here: the value, the get's own error, or, when the duration passes first,
/// `std::system_error` with `std::errc::timed_out`. The `get` is cancelled then (it completes
/// with `operation_aborted`; other callers of the key are not affected, a load nobody waits for
/// any more is cancelled).
#pragma once

#include <chrono>
#include <system_error>
#include <utility>
#include <variant>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/experimental/parallel_group.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace cacheme::asio {

/// Awaits `op` for at most `timeout`; see the file comment.
template <class T>
::asio::awaitable<T> with_timeout(::asio::awaitable<T> op, std::chrono::steady_clock::duration timeout) {
  auto ex = co_await ::asio::this_coro::executor;
  ::asio::steady_timer timer(ex, timeout);
  auto [order, error, value, timer_ec] =
      co_await ::asio::experimental::make_parallel_group(::asio::co_spawn(ex, std::move(op), ::asio::experimental::deferred),
                                                          timer.async_wait(::asio::experimental::deferred))
          .async_wait(::asio::experimental::wait_for_one(), ::asio::use_awaitable);
  (void)timer_ec;
  if (order[0] == 1) throw std::system_error(std::make_error_code(std::errc::timed_out));
  if (error) std::rethrow_exception(error);
  co_return std::move(value);
}

namespace detail {
inline ::asio::awaitable<std::monostate> as_value(::asio::awaitable<void> op) {
  co_await std::move(op);
  co_return std::monostate{};
}
}  // namespace detail

/// Awaits `op` (an operation without a value: `invalidate`, `register_storage`) for at most
/// `timeout`; see the file comment.
inline ::asio::awaitable<void> with_timeout(::asio::awaitable<void> op, std::chrono::steady_clock::duration timeout) {
  co_await with_timeout(detail::as_value(std::move(op)), timeout);
}

}  // namespace cacheme::asio

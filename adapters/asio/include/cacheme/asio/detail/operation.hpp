/// @file operation.hpp
/// Private pieces of `cacheme::asio::Cacheme`: awaitable loaders as the runtime starts them,
/// and completion handlers kept alive (with the io_context's work) until their reply.
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <system_error>
#include <memory>
#include <utility>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/dispatch.hpp>
#include <asio/error.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/prefer.hpp>
#include <asio/strand.hpp>
#include <asio/any_io_executor.hpp>
#include <asio/post.hpp>

#include "cacheme/adapters/runtime.hpp"
#include "cacheme/errc.hpp"
#include "cacheme/node_cache.hpp"

namespace cacheme::asio::detail {

/// The executor the cache runs on: a strand over the executor the user gave, so the engine is
/// serialised even when that executor's context is run by several threads.
using Executor = ::asio::strand<::asio::any_io_executor>;

/// A loader given with a request (built nodes, memoized functions).
template <class T>
using Loader = std::function<::asio::awaitable<T>()>;

/// A node type's own loader, `node.load()`.
template <class N>
struct NodeLoader {
  N node;
  auto operator()() const { return node.load(); }
};

/// The runtime's view of an awaitable loader `F` (a callable returning `awaitable<T>`): it
/// runs on the io_context with `co_spawn`, bound to a cancellation slot that the core's
/// `CancelLoad` triggers (the loader sees `operation_aborted` at its next await). A
/// `std::system_error` keeps its code; any other exception is `errc::load_failed` with its message.
template <class T, class F>
struct AwaitableThunk final : adapters::LoadThunk {
  AwaitableThunk(const Executor& ex, F f) : ex_(ex), f_(std::move(f)) {}

  void start(adapters::LoadDone done, const std::shared_ptr<adapters::LoadCancellation>& cancel) const override {
    auto signal = std::make_shared<::asio::cancellation_signal>();
    cancel->on_cancel([signal] { signal->emit(::asio::cancellation_type::terminal); });
    ::asio::co_spawn(ex_, run(f_, std::move(done)),
                     ::asio::bind_cancellation_slot(signal->slot(), [signal](std::exception_ptr) {}));
  }

 private:
  // `f` lives in this frame for as long as the coroutine `f()` may refer to it.
  static ::asio::awaitable<void> run(F f, adapters::LoadDone done) {
    Result<core::AnyValue> result = fail(errc::load_failed);
    std::string message;
    try {
      result = core::AnyValue(std::make_shared<const T>(co_await f()));
    } catch (const std::system_error& e) {
      result = fail(e.code());
      message = e.what();
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
      message = "unknown exception";
    }
    done(std::move(result), message);
  }

  Executor ex_;
  F f_;
};

/// What a request's `core::SourceRef` points to: copied into a thunk only if a flight starts.
template <class T, class F>
struct LoaderRef {
  const Executor* ex;
  const F* f;

  core::SourceRef source() const {
    return {this, [](const void* p) -> core::AnyValue {
              const auto& ref = *static_cast<const LoaderRef*>(p);
              return std::make_shared<const AwaitableThunk<T, F>>(*ref.ex, *ref.f);
            }};
  }
};

/// A completion handler waiting for its reply (handlers are move-only, `std::function` is not:
/// the runtime's callbacks hold a `shared_ptr` to this), keeping the io_context running.
template <class Handler>
struct Pending {
  Pending(Handler h, const Executor& ex)
      : handler(std::move(h)), work(::asio::prefer(ex.get_inner_executor(), ::asio::execution::outstanding_work.tracked)) {}
  Handler handler;
  ::asio::any_io_executor work;  ///< tracks outstanding work: the context's run() waits for the reply

  /// Connects the handler's cancellation slot, if it has one, to `cancel` (run on `ex`). Terminal and partial cancellation are honoured (DESIGN.md §3 rule 10); a request
  /// for total cancellation only is ignored: a flight the caller started may still cache its value.
  template <class Cancel>
  void on_cancel(const Executor& ex, std::weak_ptr<bool> alive, Cancel cancel) {
    auto slot = ::asio::get_associated_cancellation_slot(handler);
    if (!slot.is_connected()) return;
    slot.assign([ex, alive, cancel](::asio::cancellation_type type) {
      if ((type & (::asio::cancellation_type::terminal | ::asio::cancellation_type::partial)) ==
          ::asio::cancellation_type::none)
        return;
      ::asio::dispatch(ex, [alive, cancel] {
        if (adapters::is_alive(alive)) cancel();
      });
    });
  }
  /// Disconnects the slot: the operation is about to complete.
  void done() {
    auto slot = ::asio::get_associated_cancellation_slot(handler);
    if (slot.is_connected()) slot.clear();
  }
};

/// Calls `handler(args...)` on its associated executor (default: the cache's `ex`): posted when `at_once`
/// (we may be inside the initiating function), else dispatched.
template <class Handler, class... Args>
void complete(const Executor& cache_ex, bool at_once, Handler handler, Args... args) {
  auto ex = ::asio::get_associated_executor(handler, cache_ex);
  auto call = [h = std::move(handler), ... a = std::move(args)]() mutable { std::move(h)(std::move(a)...); };
  if (at_once)
    ::asio::post(ex, std::move(call));
  else
    ::asio::dispatch(ex, std::move(call));
}

/// A reply's error in Asio's terms: the runtime's `operation_aborted` (ECANCELED in the
/// standard system category) becomes `asio::error::operation_aborted` (Asio's own category).
inline std::error_code asio_error(std::error_code ec) {
  if (ec == adapters::operation_aborted()) return ::asio::error::make_error_code(::asio::error::operation_aborted);
  return ec;
}

/// The error and typed value of a `get`/`refresh` reply.
template <class T>
std::pair<std::error_code, std::shared_ptr<const T>> single(const core::Reply& r) {
  std::error_code ec = asio_error(r.error);
  std::shared_ptr<const T> value;
  if (!r.values.empty()) {
    if (r.values[0])
      value = value_cast<T>(*r.values[0]);
    else if (!ec)
      ec = r.values[0].error();
  }
  return {ec, std::move(value)};
}

/// The first error and the typed values of a `get_all` reply (null where a key failed).
template <class T>
std::pair<std::error_code, std::vector<std::shared_ptr<const T>>> all(const core::Reply& r) {
  std::error_code ec = asio_error(r.error);
  std::vector<std::shared_ptr<const T>> values;
  values.reserve(r.values.size());
  for (const auto& v : r.values) {
    if (!v && !ec) ec = v.error();
    values.push_back(v ? value_cast<T>(*v) : nullptr);
  }
  return {ec, std::move(values)};
}

}  // namespace cacheme::asio::detail

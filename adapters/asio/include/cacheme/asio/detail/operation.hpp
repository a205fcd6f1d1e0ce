/// @file operation.hpp
/// Private pieces of `cacheme::asio::Cacheme`: awaitable loaders as the runtime starts them,
/// and completion handlers kept alive (with the io_context's work) until their reply.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <utility>

#include <asio/associated_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "cacheme/adapters/runtime.hpp"
#include "cacheme/errc.hpp"
#include "cacheme/node_cache.hpp"

namespace cacheme::asio::detail {

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
/// runs on the io_context with `co_spawn`; an exception becomes `errc::load_failed`.
template <class T, class F>
struct AwaitableThunk final : adapters::LoadThunk {
  AwaitableThunk(::asio::io_context& io, F f) : io_(&io), f_(std::move(f)) {}

  void start(std::function<void(Result<core::AnyValue>)> done) const override {
    ::asio::co_spawn(*io_, run(f_, std::move(done)), ::asio::detached);
  }

 private:
  // `f` lives in this frame for as long as the coroutine `f()` may refer to it.
  static ::asio::awaitable<void> run(F f, std::function<void(Result<core::AnyValue>)> done) {
    Result<core::AnyValue> result = fail(errc::load_failed);
    try {
      result = core::AnyValue(std::make_shared<const T>(co_await f()));
    } catch (...) {  // any exception of the source is a failed load, for every waiter
    }
    done(std::move(result));
  }

  ::asio::io_context* io_;
  F f_;
};

/// What a request's `core::SourceRef` points to: copied into a thunk only if a flight starts.
template <class T, class F>
struct LoaderRef {
  ::asio::io_context* io;
  const F* f;

  core::SourceRef source() const {
    return {this, [](const void* p) -> core::AnyValue {
              const auto& ref = *static_cast<const LoaderRef*>(p);
              return std::make_shared<const AwaitableThunk<T, F>>(*ref.io, *ref.f);
            }};
  }
};

/// A completion handler waiting for its reply (handlers are move-only, `std::function` is not:
/// the runtime's callbacks hold a `shared_ptr` to this), keeping the io_context running.
template <class Handler>
struct Pending {
  Pending(Handler h, ::asio::io_context& io) : handler(std::move(h)), work(io.get_executor()) {}
  Handler handler;
  ::asio::executor_work_guard<::asio::io_context::executor_type> work;
};

/// Calls `handler(args...)` on its associated executor (default: `io`'s): posted when `at_once`
/// (we may be inside the initiating function), else dispatched.
template <class Handler, class... Args>
void complete(::asio::io_context& io, bool at_once, Handler handler, Args... args) {
  auto ex = ::asio::get_associated_executor(handler, io.get_executor());
  auto call = [h = std::move(handler), ... a = std::move(args)]() mutable { std::move(h)(std::move(a)...); };
  if (at_once)
    ::asio::post(ex, std::move(call));
  else
    ::asio::dispatch(ex, std::move(call));
}

/// The error and typed value of a `get`/`refresh` reply.
template <class T>
std::pair<std::error_code, std::shared_ptr<const T>> single(const core::Reply& r) {
  std::error_code ec = r.error;
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
  std::error_code ec = r.error;
  std::vector<std::shared_ptr<const T>> values;
  values.reserve(r.values.size());
  for (const auto& v : r.values) {
    if (!v && !ec) ec = v.error();
    values.push_back(v ? value_cast<T>(*v) : nullptr);
  }
  return {ec, std::move(values)};
}

}  // namespace cacheme::asio::detail

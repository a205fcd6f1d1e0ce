/// @file cacheme.hpp
/// cacheme on a standalone Asio `io_context`: every operation takes a completion token
/// (default `asio::use_awaitable`), loaders are awaitables.
///
/// @code
/// struct UserNode {
///   int id;
///   std::string key() const { return "user:" + std::to_string(id); }
///   asio::awaitable<User> load() const;                  // the source, on a miss
///   static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 30s}, {"redis", 1h}}}; }
/// };
/// asio::awaitable<void> serve(cacheme::asio::Cacheme& cm) {
///   co_await cm.register_storage("local", {"local://tlfu?size=10000"});
///   co_await cm.register_storage("redis", {"redis://127.0.0.1:6379"});
///   std::shared_ptr<const User> u = co_await cm.get(UserNode{1});        // throws std::system_error
///   auto [ec, v] = co_await cm.get(UserNode{2}, asio::experimental::as_tuple(asio::use_awaitable));
/// }
/// @endcode
///
/// Signatures: `void(std::error_code, std::shared_ptr<const T>)` (get, refresh),
/// `void(std::error_code, std::vector<std::shared_ptr<const T>>)` (get_all),
/// `void(std::error_code)` (register_storage, invalidate). Plain callbacks, `use_future`,
/// `as_tuple`, ... work as with any Asio operation.
///
/// g++ 12 pitfall: inside a coroutine, an aggregate temporary with non-trivial members written
/// in a `co_await` expression (`co_await cm.get(Node{"name"})` where the node holds a
/// `std::string`) is destroyed twice by the compiler. Name such arguments first
/// (`Node n{"name"}; co_await cm.get(n);`); trivially destructible nodes (`UserNode{1}`) are fine.
///
/// Threading: the engine is single-threaded, and the `Cacheme` serialises it on a strand of the
/// executor it is given (`Cacheme(io)`, `Cacheme(asio::make_strand(io))`, any
/// `any_io_executor`), so the `io_context` may be run by any number of threads. The
/// asynchronous operations may be started from any thread; each is carried out on the strand.
/// The loaders, the drivers' callbacks and the completion handlers without an executor of their
/// own run on the strand too; a handler with one (a coroutine's `use_awaitable`) runs there.
/// The synchronous calls (`stats`, `nodes`, `set_prefix`, `build_node`, `runtime`) must run on
/// the strand (`co_await asio::dispatch(cm.get_executor(), asio::use_awaitable)` first).
/// Construct and destroy the `Cacheme` while no other thread uses it.
/// A completion handler never runs inside the call that starts its operation, nor inside a
/// driver's callback: a local hit is posted, later replies are dispatched on the handler's
/// associated executor from a task of their own.
///
/// Cancellation (DESIGN.md §3 rule 10): every operation supports Asio per-operation
/// cancellation through its handler's cancellation slot (`bind_cancellation_slot`, the
/// awaitable operators' `||`, `parallel_group`, or `with_timeout` below), for the
/// `terminal` and `partial` types; `total` alone is ignored (a flight the caller started may
/// still cache its value). A cancelled operation completes at once with
/// `asio::error::operation_aborted`; the other callers of the same key are not affected, and
/// a load nobody waits for any more is cancelled (its coroutine sees `operation_aborted` at its
/// next await). Each load also has a deadline (`Meta::load_timeout`, default 30 s, or a call's
/// `core::RequestOptions`): past it the callers get `errc::load_timeout`.
///
/// Errors and lifetime: a loader's `std::system_error` reaches the caller with its code; any
/// other exception becomes `errc::load_failed` (`last_load_error<N>()` has its message). An
/// exception thrown by a completion handler propagates out of `io_context::run()` (which may
/// be called again; the cache keeps working). The `Cacheme` may be destroyed inside a handler;
/// handlers of operations still pending then are posted with `operation_aborted` (replies
/// already known keep their value), as Asio does for a destroyed I/O object.
#pragma once

#include <chrono>
#include <concepts>
#include <memory>
#include <string>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/async_result.hpp>
#include <asio/use_awaitable.hpp>

#include "cacheme/adapters/runtime.hpp"
#include "cacheme/asio/asio_reactor.hpp"
#include "cacheme/asio/detail/operation.hpp"
#include "cacheme/node_cache.hpp"

namespace cacheme::asio {

/// A storage to register: a URL and its options (as `adapters::StorageSpec`). A class with
/// constructors rather than an aggregate on purpose: g++ 12 miscompiles an aggregate temporary
/// with non-trivial members inside a `co_await` expression (it frees its members twice), so
/// `co_await cm.register_storage("redis", {"redis://..."})` must not build an aggregate.
class StorageSpec {
 public:
  // No default arguments: they would be aggregate temporaries at the call site.
  /// A storage at `url` with default options.
  StorageSpec(std::string url) { spec_.url = std::move(url); }
  /// A storage at `url` with default options.
  StorageSpec(const char* url) { spec_.url = url; }
  /// A storage at `url` with `options` (pool size, timeouts, ...).
  StorageSpec(std::string url, drivers::StorageOptions options) : spec_{std::move(url), std::move(options)} {}
  /// The runtime's own form.
  StorageSpec(adapters::StorageSpec spec) : spec_(std::move(spec)) {}
  /// The runtime's form.
  adapters::StorageSpec& get() { return spec_; }

 private:
  adapters::StorageSpec spec_;
};

/// The loader of a built node's key: a callable returning `asio::awaitable<T>`.
template <class T>
using Loader = detail::Loader<T>;

/// Completion signature of `get`/`refresh`.
template <class T>
using ValueSignature = void(std::error_code, std::shared_ptr<const T>);
/// Completion signature of `get_all`.
template <class T>
using ValuesSignature = void(std::error_code, std::vector<std::shared_ptr<const T>>);
/// Completion signature of `register_storage` and `invalidate`.
using DoneSignature = void(std::error_code);

/// The default completion token: a coroutine of the calling `awaitable`.
using DefaultToken = ::asio::use_awaitable_t<>;

/// The cache on an Asio executor: storages registered by URL, nodes' values by `get`,
/// `get_all`, `invalidate` and `refresh` with any completion token (see the file's notes).
class Cacheme {
 public:
  /// The executor the cache runs on: a strand, so the engine is serialised whatever runs it.
  using executor_type = detail::Executor;

  /// Runs on a strand of `io` (which must outlive this object); `config.seed` seeds every
  /// hash of the core. `io` may be run by any number of threads.
  explicit Cacheme(::asio::io_context& io, core::Config config = {})
      : Cacheme(::asio::any_io_executor(io.get_executor()), std::move(config)) {}

  /// Runs on a strand of `executor` (an `io_context`'s executor, a strand of it, any
  /// `any_io_executor`); its execution context must outlive this object and may be run by any
  /// number of threads: the engine, the drivers' callbacks and the loaders all run on the strand.
  explicit Cacheme(::asio::any_io_executor executor, core::Config config = {})
      : ex_(::asio::make_strand(std::move(executor))), reactor_(ex_), runtime_(reactor_, std::move(config)) {}

  /// Completions of the operations still pending are posted (never run inside the destructor).
  ~Cacheme() { initiating_ = 1; }

  Cacheme(const Cacheme&) = delete;
  Cacheme& operator=(const Cacheme&) = delete;

  /// Connects storage `spec` and registers it as `name`. Errors: `errc::bad_url` (unknown
  /// scheme, malformed URL), `errc::connect_failed`, `errc::duplicate_name`, ...
  template <class Token = DefaultToken>
  auto register_storage(std::string name, StorageSpec spec, Token&& token = {}) {
    return ::asio::async_initiate<Token, DoneSignature>(
        [this](auto handler, std::string name, StorageSpec spec) {
          on_loop([this, h = std::move(handler), name = std::move(name), spec = std::move(spec)]() mutable {
            auto op = pending(std::move(h));
            const std::uint64_t id =
                runtime_.register_storage(std::move(name), std::move(spec.get()), [this, op](std::error_code ec) {
                  op->done();
                  detail::complete(ex_, initiating_ > 0, std::move(op->handler), detail::asio_error(ec));
                });
            op->on_cancel(ex_, runtime_.alive_token(), [this, id] { runtime_.cancel_registration(id); });
          });
        },
        token, std::move(name), std::move(spec));
  }

  /// The value of `node`: from the first tier of its chain that has it, else from
  /// `node.load()` (one load per key, whatever the concurrency). A failed load completes
  /// with `errc::load_failed` (or the loader's error) and a null value.
  template <Node N, class Token = DefaultToken>
    requires(!std::same_as<std::decay_t<Token>, core::RequestOptions>)
  auto get(const N& node, Token&& token = {}) {
    return get(node, core::RequestOptions{}, std::forward<Token>(token));
  }

  /// `get` with per-call options (a load deadline of its own).
  template <Node N, class Token = DefaultToken>
  auto get(const N& node, core::RequestOptions options, Token&& token = {}) {
    using T = node_value_t<N>;
    return initiate_value<T>(
        [this, node, options]() {
          const detail::NodeLoader<N> loader{node};
          const detail::LoaderRef<T, detail::NodeLoader<N>> ref{&ex_, &loader};
          return runtime_.cache().get(node, adapters::real_now(), ref.source(), options);
        },
        std::forward<Token>(token));
  }

  /// The value of `key` of a built node, loaded by `loader` on a miss.
  template <class T, class Token = DefaultToken>
  auto get(const BuiltNode<T>& node, std::string key, std::type_identity_t<Loader<T>> loader, Token&& token = {}) {
    return initiate_value<T>(
        [this, node, key = std::move(key), loader = std::move(loader)]() {
          const detail::LoaderRef<T, Loader<T>> ref{&ex_, &loader};
          return runtime_.cache().get(node, key, adapters::real_now(), ref.source());
        },
        std::forward<Token>(token));
  }

  /// One result per node, in input order, duplicates included; each tier is read with one
  /// multi-key fetch. `ec` is the first error, if any (failed keys are null).
  template <Node N, class Token = DefaultToken>
    requires(!std::same_as<std::decay_t<Token>, core::RequestOptions>)
  auto get_all(std::vector<N> nodes, Token&& token = {}) {
    return get_all(std::move(nodes), core::RequestOptions{}, std::forward<Token>(token));
  }

  /// `get_all` with per-call options.
  template <Node N, class Token = DefaultToken>
  auto get_all(std::vector<N> nodes, core::RequestOptions options, Token&& token = {}) {
    using T = node_value_t<N>;
    return initiate_values<T>(
        [this, nodes = std::move(nodes), options]() {
          std::vector<detail::NodeLoader<N>> loaders;
          loaders.reserve(nodes.size());
          for (const N& n : nodes) loaders.push_back({n});
          std::vector<detail::LoaderRef<T, detail::NodeLoader<N>>> refs;
          refs.reserve(nodes.size());
          for (const auto& l : loaders) refs.push_back({&ex_, &l});
          std::vector<core::SourceRef> sources;
          for (const auto& r : refs) sources.push_back(r.source());
          return runtime_.cache().get_all(std::span<const N>(nodes), adapters::real_now(), sources, options);
        },
        std::forward<Token>(token));
  }

  /// Several keys of a built node, `loaders[i]` loading `keys[i]` on a miss.
  template <class T, class Token = DefaultToken>
  auto get_all(const BuiltNode<T>& node, std::vector<std::string> keys, std::type_identity_t<std::vector<Loader<T>>> loaders,
               Token&& token = {}) {
    return initiate_values<T>(
        [this, node, keys = std::move(keys), loaders = std::move(loaders)]() {
          std::vector<detail::LoaderRef<T, Loader<T>>> refs;
          refs.reserve(loaders.size());
          for (const auto& l : loaders) refs.push_back({&ex_, &l});
          std::vector<core::SourceRef> sources;
          for (const auto& r : refs) sources.push_back(r.source());
          return runtime_.engine().get_all(core::NodeId{node.id}, keys, sources, adapters::real_now());
        },
        std::forward<Token>(token));
  }

  /// Removes `node` from every tier; `ec` is set if a storage failed to erase it. Requests
  /// after this one load again; requests already waiting still get the old flight's value.
  template <Node N, class Token = DefaultToken>
  auto invalidate(const N& node, Token&& token = {}) {
    return ::asio::async_initiate<Token, DoneSignature>(
        [this](auto handler, N node) {
          on_loop([this, h = std::move(handler), node = std::move(node)]() mutable {
            const core::Ticket t = runtime_.cache().invalidate(node, adapters::real_now());
            await(t, std::move(h), [](auto h, core::Reply& r) { return std::make_tuple(std::move(h), detail::asio_error(r.error)); });
          });
        },
        token, node);
  }

  /// Invalidates `node`, loads it again and completes with the fresh value.
  template <Node N, class Token = DefaultToken>
    requires(!std::same_as<std::decay_t<Token>, core::RequestOptions>)
  auto refresh(const N& node, Token&& token = {}) {
    return refresh(node, core::RequestOptions{}, std::forward<Token>(token));
  }

  /// `refresh` with per-call options.
  template <Node N, class Token = DefaultToken>
  auto refresh(const N& node, core::RequestOptions options, Token&& token = {}) {
    using T = node_value_t<N>;
    return initiate_value<T>(
        [this, node, options]() {
          const detail::NodeLoader<N> loader{node};
          const detail::LoaderRef<T, detail::NodeLoader<N>> ref{&ex_, &loader};
          return core::Submitted{runtime_.cache().refresh(node, adapters::real_now(), ref.source(), options), nullptr,
                                 {}};
        },
        std::forward<Token>(token));
  }

  /// Builds a node at run time, with its own configuration and stats. Loop thread only.
  template <class T>
  Result<BuiltNode<T>> build_node(std::string name, Meta meta) {
    return runtime_.cache().build_node<T>(std::move(name), std::move(meta));
  }
  /// The counts of node type `N` (empty before its first use). Loop thread only.
  template <Node N>
  core::NodeStats stats() {
    return runtime_.cache().stats<N>();
  }
  /// The counts of a built node. Loop thread only.
  template <class T>
  core::NodeStats stats(const BuiltNode<T>& node) const {
    return runtime_.cache().stats(node);
  }
  /// Why the last failed load of node type `N` failed, when its loader threw ("" if none).
  /// Loop thread only.
  template <Node N>
  std::string last_load_error() {
    auto id = runtime_.cache().node_id<N>();
    return id ? runtime_.last_load_error(*id) : std::string();
  }
  /// Every node used or built so far, in registration order. Loop thread only.
  std::vector<core::NodeInfo> nodes() const { return runtime_.engine().nodes(); }
  /// What remote storage `name` is doing now: connections (up), outstanding operations,
  /// reconnects, connection timeouts, abandoned and overloaded operations. nullopt for a local
  /// storage or an unknown name. Loop thread only.
  std::optional<drivers::StorageHealth> storage_health(std::string_view name) const {
    return runtime_.storage_health(name);
  }
  /// Changes the key prefix (default "cacheme"), which makes every stored key unreachable.
  /// Loop thread only.
  void set_prefix(std::string prefix) { runtime_.cache().set_prefix(std::move(prefix)); }

  /// The runtime (engine, storages and their command counts). Loop thread only.
  adapters::Runtime& runtime() { return runtime_; }
  /// The strand the cache runs on: the synchronous calls above must run on it, e.g. in a
  /// coroutine after `co_await asio::dispatch(cm.get_executor(), asio::use_awaitable)`.
  const executor_type& get_executor() const noexcept { return ex_; }

  /// Starts a value request made by `submit()` (used by `get`, `refresh` and `Memoized`).
  template <class T, class Submit, class Token>
  auto initiate_value(Submit submit, Token&& token) {
    return ::asio::async_initiate<Token, ValueSignature<T>>(
        [this](auto handler, Submit submit) {
          on_loop([this, h = std::move(handler), submit = std::move(submit)]() mutable {
            const core::Submitted s = submit();
            if (s.answered()) return detail::complete(ex_, true, std::move(h), s.error, value_cast<T>(s.ready));
            await(s.ticket, std::move(h), [](auto h, core::Reply& r) {
              auto [ec, value] = detail::single<T>(r);
              return std::make_tuple(std::move(h), ec, std::move(value));
            });
          });
        },
        token, std::move(submit));
  }

 private:
  template <class T, class Submit, class Token>
  auto initiate_values(Submit submit, Token&& token) {
    return ::asio::async_initiate<Token, ValuesSignature<T>>(
        [this](auto handler, Submit submit) {
          on_loop([this, h = std::move(handler), submit = std::move(submit)]() mutable {
            const core::Ticket t = submit();
            await(t, std::move(h), [](auto h, core::Reply& r) {
              auto [ec, values] = detail::all<T>(r);
              return std::make_tuple(std::move(h), ec, std::move(values));
            });
          });
        },
        token, std::move(submit));
  }

  // Runs `fn` on the loop thread (inline when already there), counting it as an initiation:
  // replies delivered meanwhile are posted, never run inside an initiating function.
  template <class Fn>
  void on_loop(Fn fn) {
    ::asio::dispatch(ex_, [this, fn = std::move(fn)]() mutable {
      ++initiating_;
      struct Leave {
        int& n;
        ~Leave() { --n; }
      } leave{initiating_};
      fn();
    });
  }

  template <class Handler>
  auto pending(Handler h) {
    return std::make_shared<detail::Pending<Handler>>(std::move(h), ex_);
  }

  // Waits for `ticket`'s reply; `unpack(handler, reply)` gives (handler, completion args...).
  template <class Handler, class Unpack>
  void await(core::Ticket ticket, Handler h, Unpack unpack) {
    auto op = pending(std::move(h));
    op->on_cancel(ex_, runtime_.alive_token(), [this, ticket] { runtime_.cancel(ticket); });
    runtime_.await_reply(ticket, [this, op, unpack](core::Reply& r) {
      op->done();
      std::apply([this](auto&&... args) { detail::complete(ex_, initiating_ > 0, std::move(args)...); },
                 unpack(std::move(op->handler), r));
    });
  }

  executor_type ex_;
  adapters::asio::AsioReactor reactor_;
  int initiating_ = 0;  ///< initiations on the stack (loop thread only); 1 while destroyed
  mutable adapters::Runtime runtime_;  // last: destroyed first, while the members above exist
};

/// The cache a memoized call of `node` goes to: `cm` itself (a `ShardedCacheme` adds the
/// overload that picks the shard owning the node).
template <class N>
Cacheme& shard_for(Cacheme& cm, const N&) {
  return cm;
}

/// A function memoized through node `N` under Asio: `fn(args...)` returns `asio::awaitable<T>`
/// and is the loader on a miss, `to_node(args...)` gives the key and meta. `cm` is a `Cacheme`
/// or a `ShardedCacheme` (the call goes to the shard owning the node).
/// @code
/// auto user = cacheme::asio::memoize<UserNode>(fetch_user, [](int id) { return UserNode{id}; });
/// std::shared_ptr<const User> u = co_await user(cm, 42);
/// @endcode
template <Node N, class Fn, class ToNode>
class Memoized {
 public:
  /// Memoizes `fn`, keyed and configured by the node `to_node(args...)` gives.
  Memoized(Fn fn, ToNode to_node) : fn_(std::move(fn)), to_node_(std::move(to_node)) {}

  /// The memoized value for `args`, as an awaitable.
  template <class Cache, class... Args>
  auto operator()(Cache& cm, const Args&... args) const {
    return async_call(cm, DefaultToken{}, args...);
  }

  /// The memoized value for `args`, with any completion token.
  template <class Token, class Cache, class... Args>
  auto async_call(Cache& cache, Token&& token, const Args&... args) const {
    using T = node_value_t<N>;
    Loader<T> loader = [fn = fn_, tuple = std::make_tuple(args...)]() { return std::apply(fn, tuple); };
    N node = to_node_(args...);
    Cacheme& cm = shard_for(cache, node);
    return cm.initiate_value<T>(
        [&cm, node = std::move(node), loader = std::move(loader)]() {
          const detail::LoaderRef<T, Loader<T>> ref{&cm.get_executor(), &loader};
          return cm.runtime().cache().get(node, adapters::real_now(), ref.source());
        },
        std::forward<Token>(token));
  }

 private:
  Fn fn_;
  ToNode to_node_;
};

/// Memoizes `fn` (returning `asio::awaitable<T>`) through node type `N`.
template <Node N, class Fn, class ToNode>
Memoized<N, Fn, ToNode> memoize(Fn fn, ToNode to_node) {
  return {std::move(fn), std::move(to_node)};
}

}  // namespace cacheme::asio

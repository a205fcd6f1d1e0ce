/// @file cacheme.hpp
/// cacheme on a libevent loop: callbacks `void(std::error_code, std::shared_ptr<const T>)`.
///
/// @code
/// struct UserNode {
///   using value_type = User;                       // callback loaders name their value type
///   int id;
///   std::string key() const { return "user:" + std::to_string(id); }
///   void load(std::function<void(std::error_code, User)> done) const;   // the source
///   static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", 30s}, {"redis", 1h}}}; }
/// };
/// cacheme::libevent::Cacheme cm(base);
/// cm.register_storage("redis", {"redis://127.0.0.1:6379"}, [&](std::error_code ec) {
///   cm.get(UserNode{1}, [](std::error_code ec, std::shared_ptr<const User> u) { ... });
/// });
/// @endcode
/// Everything runs on the thread that runs `event_base_dispatch`. A callback may run before
/// the call that takes it returns (a local hit is answered at once); other replies come from a
/// task of their own, never inside a driver's callback.
///
/// Cancellation and deadlines (DESIGN.md §3 rule 10): every request returns a `Request`
/// handle; `cancel()` answers its callback at once with `operation_aborted` (ECANCELED) and
/// leaves the other callers of the key alone; a load nobody waits for any more is cancelled.
/// A node's loader may take a second parameter, a `LoadCancel` handle, to hear of it:
/// `void load(std::function<void(std::error_code, T)> done, cacheme::libevent::LoadCancel cancel) const`.
/// Each load has a deadline (`Meta::load_timeout`, default 30 s; `core::RequestOptions` per
/// call): past it the callers get `errc::load_timeout`.
///
/// Exceptions and lifetime: a callback that throws must not unwind through libevent (C): the
/// exception is caught, the loop is stopped (`event_base_loopbreak`) and `dispatch()` rethrows
/// it (or `take_exception()` returns it if you run the loop yourself); the cache keeps working.
/// A loader that throws is a failed load (`last_load_error<N>()` has the message). The
/// `Cacheme` may be destroyed inside a callback; callbacks of requests still pending are then
/// called from the destructor with `operation_aborted`. A request made from one of them (while
/// the destructor runs) is answered at once with `operation_aborted` too; once the destructor
/// has returned, the cache must not be used.
#pragma once

#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <event2/event.h>

#include "cacheme/adapters/runtime.hpp"
#include "cacheme/libevent/event_reactor.hpp"
#include "cacheme/memoize.hpp"
#include "cacheme/node_cache.hpp"

namespace cacheme::libevent {

/// What a request answers with: an error code (0 on success) and the value (null on error).
template <class T>
using Callback = std::function<void(std::error_code, std::shared_ptr<const T>)>;

using adapters::StorageSpec;

/// What a loader may take to hear that its load is no longer wanted (`on_cancel(fn)`).
using LoadCancel = std::shared_ptr<adapters::LoadCancellation>;

/// A pending request: `cancel()` answers its callback at once with `operation_aborted`.
/// Default-constructed, or once answered, it does nothing. Loop thread only.
class Request {
 public:
  Request() = default;
  /// True if the request was still pending (its callback has now run with ECANCELED).
  bool cancel() {
    if (!adapters::is_alive(alive_) || !runtime_) return false;
    const bool was_pending = registration_ ? runtime_->cancel_registration(registration_) : runtime_->cancel(ticket_);
    runtime_->deliver_ready();
    return was_pending;
  }

 private:
  friend class Cacheme;
  Request(adapters::Runtime& rt, core::Ticket t) : alive_(rt.alive_token()), runtime_(&rt), ticket_(t) {}
  Request(adapters::Runtime& rt, std::uint64_t registration)
      : alive_(rt.alive_token()), runtime_(&rt), registration_(registration) {}
  std::weak_ptr<bool> alive_;
  adapters::Runtime* runtime_ = nullptr;
  core::Ticket ticket_{};
  std::uint64_t registration_ = 0;
};

namespace detail {

template <class T>
std::function<void(std::error_code, T)> typed_done(adapters::LoadDone done) {
  return [done = std::move(done)](std::error_code ec, T value) {
    if (ec) return done(fail(ec), {});
    done(core::AnyValue(std::make_shared<const T>(std::move(value))), {});
  };
}

// A node's callback loader as the runtime starts it; it gets a cancel handle if it takes one.
template <class N>
struct NodeThunk final : adapters::LoadThunk {
  explicit NodeThunk(N n) : node(std::move(n)) {}
  N node;
  void start(adapters::LoadDone done, const std::shared_ptr<adapters::LoadCancellation>& cancel) const override {
    using T = node_value_t<N>;
    if constexpr (requires { node.load(typed_done<T>(done), cancel); })
      node.load(typed_done<T>(std::move(done)), cancel);
    else
      node.load(typed_done<T>(std::move(done)));
  }
};

// A callback loader given with the request (built nodes, memoized functions).
template <class T>
struct FunctionThunk final : adapters::LoadThunk {
  using Loader = std::function<void(std::function<void(std::error_code, T)>)>;
  explicit FunctionThunk(Loader l) : loader(std::move(l)) {}
  Loader loader;
  void start(adapters::LoadDone done, const std::shared_ptr<adapters::LoadCancellation>&) const override {
    loader(typed_done<T>(std::move(done)));
  }
};

template <class Thunk, class Arg>
core::SourceRef source_of(const Arg& arg) {
  return {&arg, [](const void* p) -> core::AnyValue { return std::make_shared<const Thunk>(*static_cast<const Arg*>(p)); }};
}

template <class T>
std::shared_ptr<const T> typed(const Result<core::AnyValue>& r) {
  return r ? value_cast<T>(*r) : nullptr;
}

// A get or refresh reply to its callback: the value, or the error.
template <class T>
void deliver_one(const core::Reply& r, const Callback<T>& done) {
  if (r.error || r.values.empty()) return done(r.error ? r.error : make_error_code(errc::load_failed), nullptr);
  done(r.values[0] ? std::error_code{} : r.values[0].error(), typed<T>(r.values[0]));
}

// A get_all reply to its callback: the values in order, and the first error if any.
template <class T, class Done>
void deliver_all(const core::Reply& r, Done& done) {
  std::error_code ec = r.error;
  std::vector<std::shared_ptr<const T>> values;
  for (const auto& v : r.values) {
    if (!v && !ec) ec = v.error();
    values.push_back(typed<T>(v));
  }
  done(ec, std::move(values));
}

}  // namespace detail

/// The cache on a libevent loop: storages, typed requests with callbacks, stats. Everything,
/// callbacks included, runs on the thread that runs `base`; the object is not thread-safe.
class Cacheme {
 public:
  /// Uses `base` (which must outlive this object); `config.seed` seeds every hash of the core.
  explicit Cacheme(event_base* base, core::Config config = {})
      : base_(base),
        errors_(std::make_shared<Errors>()),
        reactor_(base),
        runtime_(reactor_, std::move(config), [base, errors = errors_](std::exception_ptr e) {
          errors->pending.push_back(std::move(e));
          event_base_loopbreak(base);
        }) {}

  /// Connects and registers a storage; `done(ec)` runs later on the loop.
  Request register_storage(std::string name, StorageSpec spec, std::function<void(std::error_code)> done) {
    if (refused(done)) return {};
    return {runtime_, runtime_.register_storage(std::move(name), std::move(spec), std::move(done))};
  }

  /// The value of `node`: from the first tier that has it, else from `node.load`.
  template <Node N>
  Request get(const N& node, Callback<node_value_t<N>> done) {
    return get(node, core::RequestOptions{}, std::move(done));
  }

  /// `get` with per-call options (a load deadline of its own).
  template <Node N>
  Request get(const N& node, core::RequestOptions options, Callback<node_value_t<N>> done) {
    using T = node_value_t<N>;
    if (refused(done)) return {};
    auto s = runtime_.cache().get(node, adapters::real_now(), detail::source_of<detail::NodeThunk<N>>(node), options);
    return finish_get<T>(s, std::move(done));
  }

  /// The value of `key` of a built node, loaded by `loader` on a miss. `options` as for node
  /// types (a load deadline; `info` tells the caller whether the value is stale).
  template <class T>
  Request get(const BuiltNode<T>& node, std::string key, typename detail::FunctionThunk<T>::Loader loader,
              std::type_identity_t<Callback<T>> done, core::RequestOptions options = {}) {
    if (refused(done)) return {};
    auto s = runtime_.cache().get(node, key, adapters::real_now(), detail::source_of<detail::FunctionThunk<T>>(loader),
                                  options);
    return finish_get<T>(s, std::move(done));
  }

  /// One result per node, in order, duplicates included. `ec` is the first error, if any.
  template <Node N>
  Request get_all(const std::vector<N>& nodes,
                  std::function<void(std::error_code, std::vector<std::shared_ptr<const node_value_t<N>>>)> done,
                  core::RequestOptions options = {}) {
    using T = node_value_t<N>;
    if (refused(done)) return {};
    std::vector<core::SourceRef> sources;
    for (const N& n : nodes) sources.push_back(detail::source_of<detail::NodeThunk<N>>(n));
    const core::Ticket t = runtime_.cache().get_all(std::span<const N>(nodes), adapters::real_now(), sources, options);
    runtime_.await_reply(t, [done = std::move(done)](core::Reply& r) { detail::deliver_all<T>(r, done); });
    return {runtime_, t};
  }

  /// Several keys of a built node, `loaders[i]` loading `keys[i]` on a miss; one result per key.
  template <class T>
  Request get_all(const BuiltNode<T>& node, const std::vector<std::string>& keys,
                  const std::vector<typename detail::FunctionThunk<T>::Loader>& loaders,
                  std::type_identity_t<std::function<void(std::error_code, std::vector<std::shared_ptr<const T>>)>> done) {
    if (refused(done)) return {};
    std::vector<core::SourceRef> sources;
    for (const auto& l : loaders) sources.push_back(detail::source_of<detail::FunctionThunk<T>>(l));
    const core::Ticket t = runtime_.engine().get_all(core::NodeId{node.id}, keys, sources, adapters::real_now());
    runtime_.await_reply(t, [done = std::move(done)](core::Reply& r) { detail::deliver_all<T>(r, done); });
    return {runtime_, t};
  }

  /// Removes `node` from every tier; `ec` is set if a storage failed to erase it.
  template <Node N>
  Request invalidate(const N& node, std::function<void(std::error_code)> done) {
    if (refused(done)) return {};
    const core::Ticket t = runtime_.cache().invalidate(node, adapters::real_now());
    runtime_.await_reply(t, [done = std::move(done)](core::Reply& r) { done(r.error); });
    return {runtime_, t};
  }

  /// Invalidates `node`, loads it again and returns the fresh value.
  template <Node N>
  Request refresh(const N& node, Callback<node_value_t<N>> done, core::RequestOptions options = {}) {
    using T = node_value_t<N>;
    if (refused(done)) return {};
    const core::Ticket t =
        runtime_.cache().refresh(node, adapters::real_now(), detail::source_of<detail::NodeThunk<N>>(node), options);
    runtime_.await_reply(t, [done = std::move(done)](core::Reply& r) { detail::deliver_one<T>(r, done); });
    return {runtime_, t};
  }

  /// Runs `event_base_dispatch` on the loop and rethrows the first exception a callback threw
  /// (the loop stopped there; call again to go on). Returns what `event_base_dispatch` returns.
  int dispatch() {
    const int rc = event_base_dispatch(base_);
    if (auto e = take_exception()) std::rethrow_exception(e);
    return rc;
  }

  /// The oldest exception a callback threw that nobody has taken yet (null if none).
  std::exception_ptr take_exception() {
    if (errors_->pending.empty()) return nullptr;
    std::exception_ptr e = errors_->pending.front();
    errors_->pending.pop_front();
    return e;
  }

  /// Why the last failed load of node type `N` failed, when its loader threw ("" if none).
  template <Node N>
  std::string last_load_error() {
    auto id = runtime_.cache().node_id<N>();
    return id ? runtime_.last_load_error(*id) : std::string();
  }

  /// Builds a node at run time, with its own configuration and stats. `errc::duplicate_name`
  /// if a node of that name exists already.
  template <class T>
  Result<BuiltNode<T>> build_node(std::string name, Meta meta) {
    return runtime_.cache().build_node<T>(std::move(name), std::move(meta));
  }
  /// The counts of node type `N` (empty before its first use).
  template <Node N>
  core::NodeStats stats() {
    return runtime_.cache().stats<N>();
  }
  /// The counts of a built node.
  template <class T>
  core::NodeStats stats(const BuiltNode<T>& node) const {
    return runtime_.cache().stats(node);
  }
  /// Every node used or built so far, in registration order.
  std::vector<core::NodeInfo> nodes() const { return runtime_.engine().nodes(); }
  /// What remote storage `name` is doing now: connections (up), outstanding operations,
  /// reconnects, connection timeouts, abandoned and overloaded operations. nullopt for a local
  /// storage or an unknown name.
  std::optional<drivers::StorageHealth> storage_health(std::string_view name) const {
    return runtime_.storage_health(name);
  }
  /// Changes the key prefix (default "cacheme"), which makes every stored key unreachable.
  void set_prefix(std::string prefix) { runtime_.cache().set_prefix(std::move(prefix)); }

  /// The runtime (engine, storages and their command counts).
  adapters::Runtime& runtime() { return runtime_; }

  /// Answers a submitted `get` (at once for a local hit) or waits for its reply (used by
  /// `get` and `Memoized`).
  template <class T>
  Request finish_get(const core::Submitted& s, Callback<T> done) {
    if (s.answered()) {
      done(s.error, value_cast<T>(s.ready));
      return {};
    }
    runtime_.await_reply(s.ticket, [done = std::move(done)](core::Reply& r) { detail::deliver_one<T>(r, done); });
    return {runtime_, s.ticket};
  }

 private:
  template <Node, class, class>
  friend class Memoized;

  // While the destructor answers the pending requests (`adapters::Runtime::closing`), a new
  // one is answered at once, aborted, before it reaches the half torn down runtime.
  template <class Done>
  bool refused(Done& done) {
    if (!runtime_.closing()) return false;
    if constexpr (std::is_invocable_v<Done&, std::error_code>) {
      done(adapters::operation_aborted());
    } else {
      done(adapters::operation_aborted(), {});
    }
    return true;
  }

  struct Errors {
    std::deque<std::exception_ptr> pending;
  };

  event_base* base_;
  std::shared_ptr<Errors> errors_;  // shared with the runtime's sink, which may outlive this
  adapters::libevent::EventReactor reactor_;
  mutable adapters::Runtime runtime_;
};

/// A function memoized through node `N` under libevent: `fn(args..., done)` is the loader and
/// `to_node(args...)` gives the key. Call `memo(cm, done, args...)`.
template <Node N, class Fn, class ToNode>
class Memoized {
 public:
  /// Keeps `fn` (called as `fn(args..., cb)` on a miss, `cb(ec, value)` when done) and `to_node`.
  Memoized(Fn fn, ToNode to_node) : fn_(std::move(fn)), to_node_(std::move(to_node)) {}

  /// Gets the value for `args` through `cm`: `done` runs with it (at once on a local hit).
  template <class... Args>
  Request operator()(Cacheme& cm, Callback<node_value_t<N>> done, const Args&... args) const {
    using T = node_value_t<N>;
    if (cm.refused(done)) return {};
    const N node = to_node_(args...);
    typename detail::FunctionThunk<T>::Loader loader = [fn = fn_, tuple = std::make_tuple(args...)](
                                                           std::function<void(std::error_code, T)> cb) {
      std::apply([&](const auto&... a) { fn(a..., std::move(cb)); }, tuple);
    };
    auto s = cm.runtime().cache().get(node, adapters::real_now(), detail::source_of<detail::FunctionThunk<T>>(loader));
    return cm.finish_get<T>(s, std::move(done));
  }

 private:
  Fn fn_;
  ToNode to_node_;
};

/// Memoizes `fn` (taking `args..., cb` and calling `cb(ec, value)`) through node type `N`.
template <Node N, class Fn, class ToNode>
Memoized<N, Fn, ToNode> memoize(Fn fn, ToNode to_node) {
  return {std::move(fn), std::move(to_node)};
}

}  // namespace cacheme::libevent

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
/// the call that takes it returns (a local hit is answered at once).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cacheme/adapters/runtime.hpp"
#include "cacheme/libevent/event_reactor.hpp"
#include "cacheme/memoize.hpp"
#include "cacheme/node_cache.hpp"

namespace cacheme::libevent {

template <class T>
using Callback = std::function<void(std::error_code, std::shared_ptr<const T>)>;

using adapters::StorageSpec;

namespace detail {

// A node's callback loader as the runtime starts it.
template <class N>
struct NodeThunk final : adapters::LoadThunk {
  explicit NodeThunk(N n) : node(std::move(n)) {}
  N node;
  void start(std::function<void(Result<core::AnyValue>)> done) const override {
    using T = node_value_t<N>;
    node.load([done = std::move(done)](std::error_code ec, T value) {
      if (ec) return done(fail(ec));
      done(core::AnyValue(std::make_shared<const T>(std::move(value))));
    });
  }
};

// A callback loader given with the request (built nodes, memoized functions).
template <class T>
struct FunctionThunk final : adapters::LoadThunk {
  using Loader = std::function<void(std::function<void(std::error_code, T)>)>;
  explicit FunctionThunk(Loader l) : loader(std::move(l)) {}
  Loader loader;
  void start(std::function<void(Result<core::AnyValue>)> done) const override {
    loader([done = std::move(done)](std::error_code ec, T value) {
      if (ec) return done(fail(ec));
      done(core::AnyValue(std::make_shared<const T>(std::move(value))));
    });
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

class Cacheme {
 public:
  /// Uses `base` (which must outlive this object); `config.seed` seeds every hash of the core.
  explicit Cacheme(event_base* base, core::Config config = {}) : reactor_(base), runtime_(reactor_, std::move(config)) {}

  /// Connects and registers a storage; `done(ec)` runs later on the loop.
  void register_storage(std::string name, StorageSpec spec, std::function<void(std::error_code)> done) {
    runtime_.register_storage(std::move(name), std::move(spec), std::move(done));
  }

  /// The value of `node`: from the first tier that has it, else from `node.load`.
  template <Node N>
  void get(const N& node, Callback<node_value_t<N>> done) {
    using T = node_value_t<N>;
    auto s = runtime_.cache().get(node, adapters::real_now(), detail::source_of<detail::NodeThunk<N>>(node));
    finish_get<T>(s, std::move(done));
  }

  /// The value of `key` of a built node, loaded by `loader` on a miss.
  template <class T>
  void get(const BuiltNode<T>& node, std::string key, typename detail::FunctionThunk<T>::Loader loader,
           std::type_identity_t<Callback<T>> done) {
    auto s = runtime_.cache().get(node, key, adapters::real_now(), detail::source_of<detail::FunctionThunk<T>>(loader));
    finish_get<T>(s, std::move(done));
  }

  /// One result per node, in order, duplicates included. `ec` is the first error, if any.
  template <Node N>
  void get_all(const std::vector<N>& nodes,
               std::function<void(std::error_code, std::vector<std::shared_ptr<const node_value_t<N>>>)> done) {
    using T = node_value_t<N>;
    std::vector<core::SourceRef> sources;
    for (const N& n : nodes) sources.push_back(detail::source_of<detail::NodeThunk<N>>(n));
    const core::Ticket t = runtime_.cache().get_all(std::span<const N>(nodes), adapters::real_now(), sources);
    runtime_.await_reply(t, [done = std::move(done)](core::Reply r) { detail::deliver_all<T>(r, done); });
  }

  /// Several keys of a built node, `loaders[i]` loading `keys[i]` on a miss; one result per key.
  template <class T>
  void get_all(const BuiltNode<T>& node, const std::vector<std::string>& keys,
               const std::vector<typename detail::FunctionThunk<T>::Loader>& loaders,
               std::type_identity_t<std::function<void(std::error_code, std::vector<std::shared_ptr<const T>>)>> done) {
    std::vector<core::SourceRef> sources;
    for (const auto& l : loaders) sources.push_back(detail::source_of<detail::FunctionThunk<T>>(l));
    const core::Ticket t = runtime_.engine().get_all(core::NodeId{node.id}, keys, sources, adapters::real_now());
    runtime_.await_reply(t, [done = std::move(done)](core::Reply r) { detail::deliver_all<T>(r, done); });
  }

  /// Removes `node` from every tier; `ec` is set if a storage failed to erase it.
  template <Node N>
  void invalidate(const N& node, std::function<void(std::error_code)> done) {
    const core::Ticket t = runtime_.cache().invalidate(node, adapters::real_now());
    runtime_.await_reply(t, [done = std::move(done)](core::Reply r) { done(r.error); });
  }

  /// Invalidates `node`, loads it again and returns the fresh value.
  template <Node N>
  void refresh(const N& node, Callback<node_value_t<N>> done) {
    using T = node_value_t<N>;
    const core::Ticket t =
        runtime_.cache().refresh(node, adapters::real_now(), detail::source_of<detail::NodeThunk<N>>(node));
    runtime_.await_reply(t, [done = std::move(done)](core::Reply r) {
      done(r.values.empty() || r.values[0] ? r.error : r.values[0].error(),
           r.values.empty() ? nullptr : detail::typed<T>(r.values[0]));
    });
  }

  template <class T>
  Result<BuiltNode<T>> build_node(std::string name, Meta meta) {
    return runtime_.cache().build_node<T>(std::move(name), std::move(meta));
  }
  template <Node N>
  core::NodeStats stats() {
    return runtime_.cache().stats<N>();
  }
  template <class T>
  core::NodeStats stats(const BuiltNode<T>& node) const {
    return runtime_.cache().stats(node);
  }
  std::vector<core::NodeInfo> nodes() const { return runtime_.engine().nodes(); }
  void set_prefix(std::string prefix) { runtime_.cache().set_prefix(std::move(prefix)); }

  adapters::Runtime& runtime() { return runtime_; }

 private:
  template <class T>
  void finish_get(const core::Submitted& s, Callback<T> done) {
    if (s.answered()) return done(s.error, value_cast<T>(s.ready));
    runtime_.await_reply(s.ticket, [done = std::move(done)](core::Reply r) {
      done(r.values.at(0) ? std::error_code{} : r.values[0].error(), detail::typed<T>(r.values[0]));
    });
  }

  adapters::libevent::EventReactor reactor_;
  mutable adapters::Runtime runtime_;
};

/// A function memoized through node `N` under libevent: `fn(args..., done)` is the loader and
/// `to_node(args...)` gives the key. Call `memo(cm, args..., done)`.
template <Node N, class Fn, class ToNode>
class Memoized {
 public:
  Memoized(Fn fn, ToNode to_node) : fn_(std::move(fn)), to_node_(std::move(to_node)) {}

  template <class... Args>
  void operator()(Cacheme& cm, Callback<node_value_t<N>> done, const Args&... args) const {
    using T = node_value_t<N>;
    const N node = to_node_(args...);
    typename detail::FunctionThunk<T>::Loader loader = [fn = fn_, tuple = std::make_tuple(args...)](
                                                           std::function<void(std::error_code, T)> cb) {
      std::apply([&](const auto&... a) { fn(a..., std::move(cb)); }, tuple);
    };
    auto s = cm.runtime().cache().get(node, adapters::real_now(), detail::source_of<detail::FunctionThunk<T>>(loader));
    if (s.answered()) return done(s.error, value_cast<T>(s.ready));
    cm.runtime().await_reply(s.ticket, [done = std::move(done)](core::Reply r) {
      done(r.values.at(0) ? std::error_code{} : r.values[0].error(), detail::typed<T>(r.values[0]));
    });
  }

 private:
  Fn fn_;
  ToNode to_node_;
};

template <Node N, class Fn, class ToNode>
Memoized<N, Fn, ToNode> memoize(Fn fn, ToNode to_node) {
  return {std::move(fn), std::move(to_node)};
}

}  // namespace cacheme::libevent

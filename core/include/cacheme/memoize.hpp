/// @file memoize.hpp
/// Memoize: a function cached through a node. A mapping from the function's arguments to a
/// node gives the key and meta; on a miss the function itself is the loader (it replaces the
/// node's `load`), called with the arguments of the request that started the flight.
/// @code
/// auto user_info = cacheme::memoize<UserNode>(fetch_user, [](int id) { return UserNode{id}; });
/// auto s = user_info.get(cache, now, 42);   // key of UserNode{42}; a miss calls fetch_user(42)
/// @endcode
#pragma once

#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cacheme/node_cache.hpp"

namespace cacheme {

/// A function `fn` cached through node type `N` (made by `memoize`); `to_node` maps the
/// function's arguments to the node that gives the key and meta.
template <Node N, class Fn, class ToNode>
class Memoized {
 public:
  /// Keeps `fn` (the loader on a miss) and `to_node` (arguments to node).
  Memoized(Fn fn, ToNode to_node) : fn_(std::move(fn)), to_node_(std::move(to_node)) {}

  /// The source of a flight started by a memoized call: the node and the call's arguments.
  template <class... Args>
  struct Call {
    N node;                                  ///< the node the arguments map to
    std::tuple<std::decay_t<Args>...> args;  ///< copies of the call's arguments
  };

  /// The node the arguments map to.
  template <class... Args>
  N node_for(const Args&... args) const {
    return to_node_(args...);
  }

  /// Starts a `get` for `args`; a flight it starts carries a `Call<Args...>` as its source.
  template <class... Args>
  core::Submitted get(NodeCache& cache, core::Now now, const Args&... args) const {
    const Call<Args...> call{to_node_(args...), {args...}};
    const core::SourceRef source{&call, [](const void* p) -> core::AnyValue {
                                   return std::make_shared<const Call<Args...>>(*static_cast<const Call<Args...>*>(p));
                                 }};
    return cache.get(call.node, now, source);
  }

  /// Runs the memoized function for a flight's source (what the loader does on a miss).
  template <class... Args>
  decltype(auto) load(const core::AnyValue& source) const {
    const auto& call = *static_cast<const Call<Args...>*>(source.get());
    return std::apply(fn_, call.args);
  }

 private:
  Fn fn_;
  ToNode to_node_;
};

/// Memoizes `fn` through node type `N`; `to_node` maps `fn`'s arguments to a node.
template <Node N, class Fn, class ToNode>
Memoized<N, Fn, ToNode> memoize(Fn fn, ToNode to_node) {
  return {std::move(fn), std::move(to_node)};
}

}  // namespace cacheme

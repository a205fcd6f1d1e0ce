/// @file node_cache.hpp
/// The typed, sans-IO face of cacheme: node types and built nodes over one `core::Engine`.
///
/// It registers a node type at its first use (from `N::meta()`), builds full keys, binds the
/// node's codec to its value type, and turns the engine's type-erased values back into
/// `std::shared_ptr<const T>`. It does no I/O: an adapter (Asio, libevent) or a test drives
/// the engine's effects. Not thread-safe, like the engine.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "cacheme/codec/codec.hpp"
#include "cacheme/core/engine.hpp"
#include "cacheme/errc.hpp"
#include "cacheme/node.hpp"
#include "cacheme/result.hpp"

namespace cacheme {
namespace detail {
/// A readable name of a type, for `nodes()` ("UserNode", not its mangled name).
std::string type_name(const std::type_index& type);
}  // namespace detail

/// The value held by an engine value, typed again.
template <class T>
std::shared_ptr<const T> value_cast(const core::AnyValue& v) {
  return std::static_pointer_cast<const T>(v);
}

/// The typed layer over the engine: nodes by type (registered on first use) or built at run
/// time, their keys, codecs and stats. Single-threaded, as the engine; the adapters own one.
class NodeCache {
 public:
  /// An engine configured by `config`.
  explicit NodeCache(core::Config config = {}) : engine_(std::move(config)) {}

  /// The engine underneath.
  core::Engine& engine() { return engine_; }
  /// The engine underneath.
  const core::Engine& engine() const { return engine_; }

  /// Registers an in-process storage from a `local://lru?size=N` or `local://tlfu?size=N` URL.
  Result<core::TierId> add_local_storage(std::string name, std::string_view url, std::uint64_t seed = 0) {
    auto store = local::make_local_store(url, seed);
    if (!store) return fail(store.error());
    return engine_.add_local_storage(std::move(name), std::move(*store));
  }

  /// The engine's id of node type `N`, registering it from `N::meta()` at first use.
  /// Fails with `errc::unknown_storage` while a storage of its chain is not registered.
  template <Node N>
  Result<core::NodeId> node_id() {
    const std::type_index type(typeid(N));
    if (auto it = typed_.find(type); it != typed_.end()) return it->second;
    // Two node types may print the same name (the same class name in two namespaces, or in
    // anonymous ones): the second gets a number, names stay unique.
    const std::string name = detail::type_name(type);
    auto id = register_node<node_value_t<N>>(name, N::meta());
    for (int i = 2; !id && id.error() == errc::duplicate_name; ++i)
      id = register_node<node_value_t<N>>(name + "#" + std::to_string(i), N::meta());
    if (id) typed_.emplace(type, *id);
    return id;
  }

  /// Builds a node at run time, with its own configuration and stats. `errc::duplicate_name`
  /// if a node of that name exists already.
  template <class T>
  Result<BuiltNode<T>> build_node(std::string name, Meta meta) {
    auto id = register_node<T>(name, std::move(meta));
    if (!id) return fail(id.error());
    return BuiltNode<T>{id->v, std::move(name)};
  }

  /// Starts a `get` of `node`. `source` defaults to a copy of the node (what a loader needs);
  /// adapters pass their own (a load thunk in their idiom).
  template <Node N>
  core::Submitted get(const N& node, core::Now now, core::SourceRef source = {}, const core::RequestOptions& options = {}) {
    auto id = node_id<N>();
    if (!id) return {core::Ticket{}, nullptr, id.error()};
    if (!source.make) source = copy_source(node);
    return engine_.get(*id, node.key(), source, now, options);
  }

  /// Starts a `get` of key `key` of a built node.
  template <class T>
  core::Submitted get(const BuiltNode<T>& node, std::string_view key, core::Now now, core::SourceRef source = {},
                      const core::RequestOptions& options = {}) {
    return engine_.get(core::NodeId{node.id}, key, source, now, options);
  }

  /// Starts a `get_all` of `nodes` (one node type); results in input order, duplicates kept.
  template <Node N>
  core::Ticket get_all(std::span<const N> nodes, core::Now now, std::span<const core::SourceRef> sources = {},
                       const core::RequestOptions& options = {}) {
    auto id = node_id<N>();
    std::vector<std::string> keys;
    keys.reserve(nodes.size());
    for (const N& n : nodes) keys.push_back(n.key());
    std::vector<core::SourceRef> own;
    if (sources.empty()) {
      for (const N& n : nodes) own.push_back(copy_source(n));
      sources = own;
    }
    return engine_.get_all(id ? *id : core::NodeId{}, keys, sources, now, options);
  }

  /// Removes `node`'s key from every tier of its chain.
  template <Node N>
  core::Ticket invalidate(const N& node, core::Now now) {
    auto id = node_id<N>();
    return engine_.invalidate(id ? *id : core::NodeId{}, node.key(), now);
  }

  /// Invalidates `node`'s key and loads it again through `source` (default: a copy of `node`).
  template <Node N>
  core::Ticket refresh(const N& node, core::Now now, core::SourceRef source = {},
                       const core::RequestOptions& options = {}) {
    auto id = node_id<N>();
    if (!source.make) source = copy_source(node);
    return engine_.refresh(id ? *id : core::NodeId{}, node.key(), source, now, options);
  }

  /// The counts of node type `N` (empty while it was never used).
  template <Node N>
  core::NodeStats stats() {
    auto it = typed_.find(std::type_index(typeid(N)));
    return it == typed_.end() ? core::NodeStats{} : engine_.stats(it->second);
  }
  /// The counts of a built node.
  template <class T>
  core::NodeStats stats(const BuiltNode<T>& node) const {
    return engine_.stats(core::NodeId{node.id});
  }

  /// Every node used or built so far, in registration order.
  std::vector<core::NodeInfo> nodes() const { return engine_.nodes(); }
  /// Changes the key prefix (default "cacheme"), which makes every stored key unreachable.
  void set_prefix(std::string prefix) { engine_.set_prefix(std::move(prefix)); }

  /// A source holding a copy of `node`, made only if the request starts a flight.
  template <class N>
  static core::SourceRef copy_source(const N& node) {
    return {&node, [](const void* p) -> core::AnyValue { return std::make_shared<const N>(*static_cast<const N*>(p)); }};
  }

 private:
  template <class T>
  Result<core::NodeId> register_node(std::string name, Meta meta) {
    core::NodeConfig config;
    config.name = std::move(name);
    config.version = std::move(meta.version);
    for (Cache& c : meta.caches) config.caches.push_back({std::move(c.storage), c.ttl});
    // A codec the type cannot use stays empty: fine for local-only chains, refused by the
    // engine (errc::invalid_argument) when the chain has a remote tier.
    if (codec::supports<T>(meta.codec)) config.codec = codec::make_codec<T>(meta.codec);
    if (meta.doorkeeper) config.doorkeeper = core::DoorkeeperOptions{meta.doorkeeper->capacity, meta.doorkeeper->false_positive_rate};
    config.load_timeout = meta.load_timeout;
    config.stale_for = meta.stale_for;
    config.fail_safe_throttle = meta.fail_safe_throttle;
    config.soft_timeout = meta.soft_timeout;
    config.early_refresh = meta.early_refresh;
    config.negative_ttl = meta.negative_ttl;
    config.max_concurrent_loads = meta.max_concurrent_loads;
    return engine_.add_node(std::move(config));
  }

  core::Engine engine_;
  std::unordered_map<std::type_index, core::NodeId> typed_;
};

}  // namespace cacheme

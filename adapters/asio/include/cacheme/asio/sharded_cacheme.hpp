/// @file sharded_cacheme.hpp
/// One engine per core: `ShardedCacheme` runs N `Cacheme`s, each on its own `io_context` and
/// thread, and routes every key to one of them by a hash of its full key
/// (`{prefix}:{key}:{version}`). The engine stays single-threaded; the shards share nothing.
///
/// @code
/// cacheme::asio::ShardedCacheme cm(2);                                  // two engines, two threads
/// co_await cm.register_storage("local", "local://tlfu?size=10000");     // 5,000 per shard
/// co_await cm.register_storage("redis", "redis://127.0.0.1:6379");      // one pool per shard
/// std::shared_ptr<const User> u = co_await cm.get(UserNode{1});
/// auto users = co_await cm.get_all(nodes);                              // split, re-joined in order
/// auto stats = cm.stats<UserNode>();                                    // summed over the shards
/// @endcode
///
/// Guarantees (DESIGN.md §3) hold per key, because a key always goes to the same shard: one
/// fetch per tier and one load per key whatever the concurrency, write-back, invalidation and
/// its fences, deadlines and cancellation. `get_all` sends each shard its keys (one multi-key
/// fetch per tier per shard) and returns one result per input, in input order, duplicates
/// included; its error is the first one a part reported.
///
/// Storages: `register_storage` registers the storage on every shard. A `local://` tier's
/// `size=N` is split, each shard holding N / shards (rounded up). A remote storage gets one
/// driver per shard, on that shard's loop, with its own connections (`pool_size` is per shard:
/// N shards open N × pool_size connections). Drivers are written for one loop thread; sharing
/// one across loops would put a lock on every command, and keys never move between shards, so
/// nothing is gained by sharing.
///
/// Threads: operations may be started from any thread; each runs on its shard's strand, and
/// a handler runs on its associated executor (a coroutine resumes on its own). Loaders run on
/// the shard's thread. A service that wants no cross-thread hop runs its own work on the
/// shards' contexts (`context(i)`) and sends each request from the shard that owns its key
/// (`shard_of`), as `cacheme-bench replay --threads N` does. The synchronous calls (`stats`,
/// `storage_health`, `metrics_text`, `build_node`, `set_prefix`) wait for every shard: call
/// them from a thread that is not a shard's (they throw `std::logic_error` there).
///
/// Destruction: requests still pending complete with `operation_aborted` (as with `Cacheme`);
/// requests started while the front is being destroyed (a handler that asks again, say)
/// complete with it too, and loads are cancelled. Destroy the front while no other thread is
/// about to use it, and before the execution contexts its callers' handlers run on (a shard's
/// thread may still be inside its post of a completion when that context's `run()` returns).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cacheme/adapters/metrics.hpp"
#include "cacheme/adapters/metrics_merge.hpp"
#include "cacheme/asio/cacheme.hpp"
#include "cacheme/asio/detail/gather.hpp"
#include "cacheme/asio/detail/shard.hpp"
#include "cacheme/local/hash.hpp"

namespace cacheme::asio {

/// A node built at run time on every shard (`ShardedCacheme::build_node`).
template <class T>
struct ShardedNode {
  std::string name;                   ///< the node's name
  std::string version;                ///< its meta's version (part of the full key, so of the routing)
  std::vector<BuiltNode<T>> shards;   ///< the node as each shard built it
};

/// N engines, one per thread, behind one front (see the file's notes).
class ShardedCacheme {
 public:
  /// Starts `shards` engines (at least 1), each on an `io_context` run by a thread of its own.
  /// `config.seed` seeds every shard and the routing.
  explicit ShardedCacheme(std::size_t shards, core::Config config = {})
      : prefix_(config.prefix.empty() ? "cacheme" : config.prefix), seed_(config.seed) {
    if (shards == 0) shards = 1;
    for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<detail::Shard>(config));
  }

  /// Destroys every shard's `Cacheme` on its thread (pending requests complete with
  /// `operation_aborted`), lets each context run what that posted, and joins the threads.
  ~ShardedCacheme() {
    for (auto& s : shards_) s->shut_down(std::chrono::seconds(5));
  }

  ShardedCacheme(const ShardedCacheme&) = delete;
  ShardedCacheme& operator=(const ShardedCacheme&) = delete;

  /// How many shards (engines, threads) run.
  std::size_t shard_count() const noexcept { return shards_.size(); }
  /// The `io_context` of shard `i`, run by that shard's thread (for work that should run
  /// beside the shard's engine).
  ::asio::io_context& context(std::size_t i) { return shards_[i]->io; }
  /// The `Cacheme` of shard `i` (its strand is `shard(i).get_executor()`).
  Cacheme& shard(std::size_t i) { return *shards_[i]->cm; }

  /// The shard that owns `node`'s full key.
  template <Node N>
  std::size_t shard_of(const N& node) const {
    return shard_of_key(node.key(), version_of<N>());
  }
  /// The shard that owns key `key` of a node of version `version`.
  std::size_t shard_of_key(std::string_view key, std::string_view version) const {
    std::uint64_t h = local::hash_bytes(prefix_, seed_);
    h = local::hash_bytes(key, h);
    h = local::hash_bytes(version, h);
    return static_cast<std::size_t>(h % shards_.size());
  }

  /// Registers storage `spec` as `name` on every shard (a local tier's size split among them);
  /// `ec` is the first error a shard reported.
  template <class Token = DefaultToken>
  auto register_storage(std::string name, StorageSpec spec, Token&& token = {}) {
    return ::asio::async_initiate<Token, DoneSignature>(
        [this](auto handler, std::string name, StorageSpec spec) {
          auto gather = std::make_shared<detail::Gather<decltype(handler), int>>(std::move(handler), 0, shards_.size());
          gather->on_finish([](auto h, std::error_code ec, int) { std::move(h)(ec); });
          for (std::size_t i = 0; i < shards_.size(); ++i) {
            auto on_part = [gather, i](std::error_code ec) { gather->part_done(i, ec, [](int&) {}); };
            start_part(i, i, *gather, std::move(on_part), [&](Cacheme& cm, auto h) {
              adapters::StorageSpec copy = spec.get();
              copy.url = detail::share_of_local_size(copy.url, shards_.size());
              cm.register_storage(name, StorageSpec(std::move(copy)), std::move(h));
            });
          }
          gather->forward_cancellation();
          gather->part_done(gather->kInitiation, {}, [](int&) {});  // started them all
        },
        token, std::move(name), std::move(spec));
  }

  /// `Cacheme::get` on the shard that owns `node`.
  template <Node N, class Token = DefaultToken>
    requires(!std::same_as<std::decay_t<Token>, core::RequestOptions>)
  auto get(const N& node, Token&& token = {}) {
    return get(node, core::RequestOptions{}, std::forward<Token>(token));
  }

  /// `Cacheme::get` with per-call options, on the shard that owns `node`.
  template <Node N, class Token = DefaultToken>
  auto get(const N& node, core::RequestOptions options, Token&& token = {}) {
    return on_shard<ValueSignature<node_value_t<N>>>(shard_of(node), std::forward<Token>(token),
                                                    [&](Cacheme& cm, auto&& t) { return cm.get(node, options, std::move(t)); });
  }

  /// Key `key` of a built node, loaded by `loader` on a miss, on the shard that owns it.
  template <class T, class Token = DefaultToken>
  auto get(const ShardedNode<T>& node, std::string key, std::type_identity_t<Loader<T>> loader, Token&& token = {}) {
    const std::size_t i = shard_of_key(key, node.version);
    return on_shard<ValueSignature<T>>(i, std::forward<Token>(token), [&](Cacheme& cm, auto&& t) {
      return cm.get(node.shards[i], std::move(key), std::move(loader), std::move(t));
    });
  }

  /// One result per node, in input order, duplicates included: each shard gets its keys (one
  /// multi-key fetch per tier there) and the results are put back in order.
  template <Node N, class Token = DefaultToken>
    requires(!std::same_as<std::decay_t<Token>, core::RequestOptions>)
  auto get_all(std::vector<N> nodes, Token&& token = {}) {
    return get_all(std::move(nodes), core::RequestOptions{}, std::forward<Token>(token));
  }

  /// `get_all` with per-call options.
  template <Node N, class Token = DefaultToken>
  auto get_all(std::vector<N> nodes, core::RequestOptions options, Token&& token = {}) {
    std::vector<std::size_t> owner;
    owner.reserve(nodes.size());
    for (const N& n : nodes) owner.push_back(shard_of(n));
    return split_values<node_value_t<N>>(std::move(owner), std::forward<Token>(token),
                                         [nodes = std::move(nodes), options](Cacheme& cm, const std::vector<std::size_t>& idx,
                                                                            auto handler) {
                                           std::vector<N> part;
                                           part.reserve(idx.size());
                                           for (std::size_t k : idx) part.push_back(nodes[k]);
                                           cm.get_all(std::move(part), options, std::move(handler));
                                         });
  }

  /// Several keys of a built node, `loaders[i]` loading `keys[i]` on a miss.
  template <class T, class Token = DefaultToken>
  auto get_all(const ShardedNode<T>& node, std::vector<std::string> keys, std::type_identity_t<std::vector<Loader<T>>> loaders,
               Token&& token = {}) {
    std::vector<std::size_t> owner;
    owner.reserve(keys.size());
    for (const auto& k : keys) owner.push_back(shard_of_key(k, node.version));
    return split_values<T>(std::move(owner), std::forward<Token>(token),
                           [this, &node, keys = std::move(keys), loaders = std::move(loaders)](
                               Cacheme& cm, const std::vector<std::size_t>& idx, auto handler) {
                             std::vector<std::string> part_keys;
                             std::vector<Loader<T>> part_loaders;
                             for (std::size_t k : idx) {
                               part_keys.push_back(keys[k]);
                               part_loaders.push_back(k < loaders.size() ? loaders[k] : Loader<T>{});
                             }
                             cm.get_all(node.shards[index_of(cm)], std::move(part_keys), std::move(part_loaders),
                                        std::move(handler));
                           });
  }

  /// `Cacheme::invalidate` on the shard that owns `node`.
  template <Node N, class Token = DefaultToken>
  auto invalidate(const N& node, Token&& token = {}) {
    return on_shard<DoneSignature>(shard_of(node), std::forward<Token>(token),
                                   [&](Cacheme& cm, auto&& t) { return cm.invalidate(node, std::move(t)); });
  }

  /// `Cacheme::refresh` on the shard that owns `node`.
  template <Node N, class Token = DefaultToken>
    requires(!std::same_as<std::decay_t<Token>, core::RequestOptions>)
  auto refresh(const N& node, Token&& token = {}) {
    return refresh(node, core::RequestOptions{}, std::forward<Token>(token));
  }

  /// `Cacheme::refresh` with per-call options.
  template <Node N, class Token = DefaultToken>
  auto refresh(const N& node, core::RequestOptions options, Token&& token = {}) {
    return on_shard<ValueSignature<node_value_t<N>>>(shard_of(node), std::forward<Token>(token),
                                                    [&](Cacheme& cm, auto&& t) { return cm.refresh(node, options, std::move(t)); });
  }

  /// Builds a node on every shard. Not from a shard's thread.
  template <class T>
  Result<ShardedNode<T>> build_node(std::string name, Meta meta) {
    ShardedNode<T> node{name, meta.version, {}};
    std::error_code error;
    on_each([&](Cacheme& cm) {
      auto built = cm.build_node<T>(name, meta);
      if (built)
        node.shards.push_back(*built);
      else if (!error)
        error = built.error();
    });
    if (error) return fail(error);
    return node;
  }

  /// The counts of node type `N`, summed over the shards. Not from a shard's thread.
  template <Node N>
  core::NodeStats stats() {
    return sum([](Cacheme& cm) { return cm.stats<N>(); });
  }
  /// The counts of a built node, summed over the shards. Not from a shard's thread.
  template <class T>
  core::NodeStats stats(const ShardedNode<T>& node) {
    return sum([&](Cacheme& cm) { return cm.stats(node.shards[index_of(cm)]); });
  }

  /// Remote storage `name`'s health summed over the shards' drivers (connections, outstanding
  /// operations, failures); nullopt for a local storage or an unknown name. Not from a shard's thread.
  std::optional<drivers::StorageHealth> storage_health(std::string_view name) {
    std::optional<drivers::StorageHealth> total;
    on_each([&](Cacheme& cm) {
      auto h = cm.storage_health(name);
      if (!h) return;
      if (!total) total.emplace();
      add_health(*total, *h);
    });
    return total;
  }

  /// Commands sent to remote storage `name` by every shard's driver, by name. Not from a shard's thread.
  std::map<std::string, std::uint64_t> command_counts(std::string_view name) {
    std::map<std::string, std::uint64_t> counts;
    on_each([&](Cacheme& cm) {
      if (drivers::Storage* s = cm.runtime().storage(name))
        for (const auto& [command, n] : s->command_counts()) counts[command] += n;
    });
    return counts;
  }

  /// Every shard's Prometheus text (`cacheme::metrics_text`), summed sample by sample: counters,
  /// histograms and gauges (entries, capacity, connections) are the front's totals. Not from a
  /// shard's thread.
  std::string metrics_text() {
    std::vector<std::string> texts;
    on_each([&](Cacheme& cm) { texts.push_back(cacheme::metrics_text(cm.runtime())); });
    return adapters::merge_metrics_text(texts);
  }

  /// Changes the key prefix on every shard (and so the routing). Not from a shard's thread,
  /// and while no request runs.
  void set_prefix(std::string prefix) {
    on_each([&](Cacheme& cm) { cm.set_prefix(prefix); });
    prefix_ = std::move(prefix);
  }

  /// Runs `fn(shard)` on every shard's strand in turn and waits for each. Not from a shard's thread.
  template <class Fn>
  void on_each(Fn fn) {
    for (auto& s : shards_)
      if (s->cm->get_executor().running_in_this_thread())
        throw std::logic_error("cacheme::asio::ShardedCacheme: a synchronous call from a shard's thread");
    for (auto& s : shards_) {
      std::promise<void> done;
      ::asio::dispatch(s->cm->get_executor(), [&] {
        fn(*s->cm);
        done.set_value();
      });
      done.get_future().wait();
    }
  }

  /// The node type's version, read from `N::meta()` once (it is part of the full key).
  template <Node N>
  static const std::string& version_of() {
    static const std::string version = N::meta().version;
    return version;
  }

 private:
  // Starts `start(shard, token)` on shard `i`, or completes with `operation_aborted` when the
  // front is being destroyed.
  template <class Signature, class Token, class Start>
  auto on_shard(std::size_t i, Token&& token, Start start) {
    detail::Shard& s = *shards_[i];
    if (detail::ShardGate::Pass pass(s.gate); pass) return start(*s.cm, std::forward<Token>(token));
    return ::asio::async_initiate<Token, Signature>(
        [](auto handler) {
          auto ex = ::asio::get_associated_executor(handler, ::asio::system_executor());
          ::asio::post(ex, [h = std::move(handler)]() mutable { aborted(std::move(h), static_cast<Signature*>(nullptr)); });
        },
        token);
  }

  template <class Handler, class... Args>
  static void aborted(Handler h, void (*)(std::error_code, Args...)) {
    std::move(h)(::asio::error::make_error_code(::asio::error::operation_aborted), Args{}...);
  }

  // Starts part `part` of `gather` on shard `i`: `start(engine, handler)`, the part's handler
  // `on_part` bound to its cancellation slot. If the shard is already shut down (the front is
  // being destroyed, and this is a handler asking again), the part is done at once, aborted,
  // with `empty...` for its values, and nothing of that shard's engine, which is gone, is read.
  template <class Join, class OnPart, class Start, class... Empty>
  void start_part(std::size_t i, std::size_t part, Join& gather, OnPart on_part, Start start, Empty... empty) {
    detail::Shard& s = *shards_[i];
    detail::ShardGate::Pass pass(s.gate);
    if (!pass) return on_part(::asio::error::make_error_code(::asio::error::operation_aborted), std::move(empty)...);
    start(*s.cm, ::asio::bind_cancellation_slot(gather.slot(part, s.cm->get_executor()), std::move(on_part)));
  }

  // A get_all split by `owner[k]` (the shard of input k): `start(cm, indices, handler)` sends
  // a shard its inputs; the values come back in input order.
  template <class T, class Token, class Start>
  auto split_values(std::vector<std::size_t> owner, Token&& token, Start start) {
    return ::asio::async_initiate<Token, ValuesSignature<T>>(
        [this](auto handler, std::vector<std::size_t> owner, Start start) {
          std::vector<std::vector<std::size_t>> parts(shards_.size());
          for (std::size_t k = 0; k < owner.size(); ++k) parts[owner[k]].push_back(k);
          std::erase_if(parts, [](const auto& p) { return p.empty(); });
          using Values = std::vector<std::shared_ptr<const T>>;
          auto gather =
              std::make_shared<detail::Gather<decltype(handler), Values>>(std::move(handler), Values(owner.size()), parts.size());
          gather->on_finish([](auto h, std::error_code ec, Values v) { std::move(h)(ec, std::move(v)); });
          for (std::size_t p = 0; p < parts.size(); ++p) {
            const std::size_t i = owner[parts[p].front()];
            auto idx = std::make_shared<std::vector<std::size_t>>(std::move(parts[p]));
            auto on_part = [gather, idx, p](std::error_code ec, Values v) {
              gather->part_done(p, ec, [&](Values& all) {
                for (std::size_t j = 0; j < idx->size() && j < v.size(); ++j) all[(*idx)[j]] = std::move(v[j]);
              });
            };
            start_part(i, p, *gather, std::move(on_part), [&](Cacheme& cm, auto h) { start(cm, *idx, std::move(h)); },
                       Values{});
          }
          gather->forward_cancellation();
          gather->part_done(gather->kInitiation, {}, [](Values&) {});  // started them all
        },
        token, std::move(owner), std::move(start));
  }

  // Calls `read(shard)` on every shard and sums the node stats.
  template <class Read>
  core::NodeStats sum(Read read) {
    core::NodeStats total;
    on_each([&](Cacheme& cm) { total = total + read(cm); });
    return total;
  }

  static void add_health(drivers::StorageHealth& total, const drivers::StorageHealth& h) {
    total.connections += h.connections;
    total.connections_up += h.connections_up;
    total.outstanding += h.outstanding;
    total.reconnects += h.reconnects;
    total.connection_timeouts += h.connection_timeouts;
    total.abandoned += h.abandoned;
    total.overloaded += h.overloaded;
  }

  std::size_t index_of(const Cacheme& cm) const {
    for (std::size_t i = 0; i < shards_.size(); ++i)
      if (&*shards_[i]->cm == &cm) return i;
    return 0;
  }

  std::vector<std::unique_ptr<detail::Shard>> shards_;
  std::string prefix_;
  std::uint64_t seed_;
};

/// The shard of a sharded front that owns `node` (a memoized call goes there).
template <Node N>
Cacheme& shard_for(ShardedCacheme& cm, const N& node) {
  return cm.shard(cm.shard_of(node));
}

}  // namespace cacheme::asio

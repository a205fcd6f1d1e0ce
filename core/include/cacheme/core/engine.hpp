/// @file engine.hpp
/// The sans-IO cache engine: requests and completions in, effects out, time passed in.
///
/// The engine reads a node's chain of storages in order, reads local tiers itself, asks for
/// remote reads, writes and loads as effects, coalesces concurrent requests for one full key
/// into one flight (one fetch per tier and one load, whatever the concurrency), writes found
/// values back to the tiers that missed, and keeps per-node stats. It implements DESIGN.md §3.
///
/// Driving it (an adapter's pump, or a test):
///   1. submit requests (`get`, `get_all`, `invalidate`, `refresh`) with the current `Now`;
///   2. drain `poll_effect()` until empty, carrying out each effect;
///   3. hand results back (`complete_fetch`, `complete_write`, `complete_load`);
///   4. arm a timer for `next_deadline()` and call `on_timeout` when it passes.
/// Not thread-safe: one engine belongs to one thread (or strand).
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cacheme/core/any_value.hpp"
#include "cacheme/core/config.hpp"
#include "cacheme/core/effects.hpp"
#include "cacheme/core/ids.hpp"
#include "cacheme/core/stats.hpp"
#include "cacheme/core/time.hpp"
#include "cacheme/local/local_store.hpp"
#include "cacheme/result.hpp"

namespace cacheme::core {

/// Makes the opaque source object of a request, only if the request starts a flight (so a
/// local hit allocates nothing). `make(ctx)` is called at most once, inside the submitting call.
struct SourceRef {
  const void* ctx = nullptr;                    ///< passed to `make`; owned by the caller
  AnyValue (*make)(const void* ctx) = nullptr;  ///< builds the source (null: no source, no loader)

  /// The source object: `make(ctx)`, or an empty value when `make` is null.
  AnyValue materialize() const { return make ? make(ctx) : AnyValue{}; }
};

/// What `get` returns: either the value right away (a local hit, or a flight that already
/// holds its value; no `Reply` will follow), or a ticket whose `Reply` comes as an effect.
struct Submitted {
  Ticket ticket;      ///< valid when `ready` is empty and `error` is not set
  AnyValue ready;     ///< the value, when answered at once
  std::error_code error;  ///< set when the request was refused at once (unknown node, ...)

  /// True when no `Reply` will follow: `ready` holds the value or `error` is set.
  bool answered() const { return ready != nullptr || static_cast<bool>(error); }
};

/// A node as listed by `nodes()`.
struct NodeInfo {
  NodeId id;            ///< what `add_node` returned
  std::string name;     ///< `NodeConfig::name`
  std::string version;  ///< `NodeConfig::version`
};

/// A storage as listed by `storages()`.
struct StorageInfo {
  TierId id;           ///< what `add_local_storage` / `add_remote_storage` returned
  std::string name;    ///< the name it was registered under
  bool local = false;  ///< an in-process tier (`add_local_storage`), read by the engine itself
};

/// An erase that finished in a tier with `RemoteOptions::announce_erases` (`poll_erased`).
struct ErasedKey {
  TierId tier;           ///< the tier the key was erased from
  std::string full_key;  ///< `{prefix}:{key}:{version}`, as remote tiers store it
};

namespace detail {
class EngineImpl;
}

/// The engine: one per thread (or strand), with its storages, nodes, flights and stats.
/// Movable, not copyable.
class Engine {
 public:
  /// An engine with no storage and no node yet.
  explicit Engine(Config config = {});
  ~Engine();
  /// Moves the whole state (storages, nodes, flights); the moved-from engine is unusable.
  Engine(Engine&&) noexcept;
  /// Moves the whole state (storages, nodes, flights); the moved-from engine is unusable.
  Engine& operator=(Engine&&) noexcept;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // ---- storages and nodes ------------------------------------------------------------

  /// Registers an in-process tier under `name`. `errc::duplicate_name` if taken.
  Result<TierId> add_local_storage(std::string name, std::unique_ptr<local::LocalStore> store);

  /// Registers a remote tier under `name` (its driver lives outside the core).
  Result<TierId> add_remote_storage(std::string name, RemoteOptions options = {});

  /// The tier registered under `name`, if any.
  std::optional<TierId> find_storage(std::string_view name) const;

  /// Registers a node. Its chain must name registered storages (`errc::unknown_storage`);
  /// an empty chain is allowed (every get loads). Each node has its own config and stats.
  Result<NodeId> add_node(NodeConfig config);

  /// Every registered node, in registration order.
  std::vector<NodeInfo> nodes() const;

  /// Changes the key prefix (default "cacheme"): every key changes, which invalidates them all.
  void set_prefix(std::string prefix);
  /// The current key prefix (`Config::prefix`, or what `set_prefix` set).
  const std::string& prefix() const;

  // ---- requests ----------------------------------------------------------------------

  /// One key of `node` (`key` is the node's own key; the engine adds prefix and version).
  Submitted get(NodeId node, std::string_view key, SourceRef source, Now now, const RequestOptions& options = {});

  /// Several keys of one node; the `Reply` holds one result per key, in input order,
  /// duplicates included. `sources[i]` goes with `keys[i]` (may be empty for no loader).
  Ticket get_all(NodeId node, std::span<const std::string> keys, std::span<const SourceRef> sources, Now now,
                 const RequestOptions& options = {});

  /// Removes the key from every tier and detaches its flight (DESIGN.md §3 rule 6). The
  /// `Reply` comes when every remote erase is done; `error` is set if one failed.
  Ticket invalidate(NodeId node, std::string_view key, Now now);

  /// Invalidate, then load; the `Reply` holds the fresh value.
  Ticket refresh(NodeId node, std::string_view key, SourceRef source, Now now, const RequestOptions& options = {});

  /// Detaches a caller: no `Reply` for `ticket` (unknown or answered tickets are ignored).
  /// The flights it waited for go on for their other waiters; a load left with no waiter at
  /// all is cancelled (a `CancelLoad` effect), never one that somebody still waits for.
  void cancel(Ticket ticket);

  // ---- completions -------------------------------------------------------------------

  /// A fetch finished. `errc::unknown_io` for an id the engine does not wait for (already
  /// timed out, or never issued): the result is then ignored. The engine copies what it keeps
  /// of `result`, so a driver may fill the same `FetchResult` again for its next completion
  /// (its buffers are reused: no allocation per fetch once warm).
  std::error_code complete_fetch(IoId id, const FetchResult& result, Now now);

  /// A store or an erase finished.
  std::error_code complete_write(IoId id, IoStatus status, Now now);

  /// A load finished: one result per key of the `LoadRequest`, or a single error for all.
  std::error_code complete_load(LoadId id, std::vector<Result<AnyValue>> results, Now now);

  // ---- time and effects --------------------------------------------------------------

  /// Times out storage operations and loads whose deadline passed (a timed-out load answers
  /// its waiters with `errc::load_timeout` and emits `CancelLoad`) and expires local entries.
  /// Spurious calls are no-ops.
  void on_timeout(Now now);

  /// The earliest instant `on_timeout` has work to do, if any.
  std::optional<Instant> next_deadline() const;

  /// The next effect to carry out; drain until `nullopt` after every call above.
  std::optional<Effect> poll_effect();

  /// Gives back an effect the caller is done with: a `Reply` once its handler returned (the
  /// values may have been moved out), a `FetchRequest` once the storage sent it (its keys may
  /// have been moved out). The engine keeps their buffers for its next requests, so a remote
  /// hit allocates nothing of the engine's own once warm. Optional: an effect simply dropped
  /// is fine; effects of other kinds are dropped here.
  void recycle(Effect&& effect);

  // ---- cross-process invalidation --------------------------------------------------

  /// The next finished erase (success or failure) of a tier registered with
  /// `announce_erases`; drain until `nullopt` after each call that completes writes. The
  /// erase is done when it is announced, so a process that drops its local copy on hearing of
  /// it cannot read the old value back from that tier.
  std::optional<ErasedKey> poll_erased();

  /// Another process erased `full_key` from remote tier `remote`: removes the key's copies from
  /// the local tiers of every node whose chain holds `remote`, and detaches the key's flights
  /// there (what they read may be the old value: they answer their waiters and write nothing
  /// back). Returns how many local copies were removed. Unknown tiers or keys do nothing.
  std::size_t drop_local(TierId remote, std::string_view full_key, Now now);

  /// Invalidations of `remote` may have been missed (the channel was down): clears every local
  /// tier of the nodes whose chain holds `remote` (a whole tier, shared nodes included).
  void clear_local(TierId remote, Now now);

  // ---- observation -------------------------------------------------------------------

  /// Every registered storage, in registration order.
  std::vector<StorageInfo> storages() const;

  /// The in-process store of local tier `tier` (for its size and entry lifetimes); nullptr for
  /// a remote or unknown tier.
  const local::LocalStore* local_store(TierId tier) const;

  /// A snapshot of the node's counts (`errc::unknown_node`-safe: empty stats).
  NodeStats stats(NodeId node) const;

  /// Flights alive (attached or detached, writing back included). 0 when idle.
  std::size_t flights() const;

  /// Storage operations and loads awaiting completion.
  std::size_t pending_operations() const;

 private:
  std::unique_ptr<detail::EngineImpl> impl_;
};

}  // namespace cacheme::core

/// @file config.hpp
/// Configuration of the engine, its storages and its nodes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cacheme/codec/erased_codec.hpp"
#include "cacheme/core/time.hpp"

namespace cacheme::core {

/// Engine-wide settings.
struct Config {
  std::uint64_t seed = 0x9E3779B97F4A7C15ull;  ///< seeds every hash and generator of the core
  std::string prefix = "cacheme";               ///< full key = {prefix}:{key}:{version}
  /// The adapters mix `seed` with a per-process random value, so hash-flooding keys cannot be
  /// precomputed. `true` keeps `seed` as it is (tests, simulations, reproducible benchmarks).
  /// The core itself never reads randomness: it uses `seed` as given.
  bool fixed_seed = false;
};

/// The default deadline of a node's loads (DESIGN.md §3 rule 10).
inline constexpr Duration kDefaultLoadTimeout = std::chrono::seconds(30);

/// The longest duration the engine accepts for a timeout or a TTL (about 100 years): every
/// deadline it computes (`now + duration`) stays far from overflowing a 64-bit nanosecond count.
inline constexpr Duration kMaxDuration = std::chrono::hours(24 * 365 * 100);

/// How a value reached its caller (`RequestOptions::info`).
struct ValueInfo {
  /// Past its fresh-until time: served by fail-safe (the load failed or timed out) or after the
  /// node's `soft_timeout`, from the grace period `NodeConfig::stale_for` keeps it for.
  bool stale = false;
  /// The caller waited for a load of the source (it started it, or attached to its flight).
  bool loaded = false;
};

/// Per-call options of `get`, `get_all` and `refresh`.
struct RequestOptions {
  /// Overrides the node's `load_timeout` for the load this call starts (0: none). A call that
  /// attaches to a flight already in progress shares that flight's deadline; to bound one
  /// caller's wait, cancel it (Asio per-operation cancellation, a libevent handle).
  std::optional<Duration> load_timeout{};
  /// Filled, for `get` and `refresh`, with how the value was obtained (stale or not, loaded or
  /// not) before the reply is emitted (or at once, when `get` answers at once). Must outlive the
  /// request; a cancelled request never writes it. `get_all` ignores it.
  ValueInfo* info = nullptr;
};

/// Settings of one remote storage, as the engine sees it.
struct RemoteOptions {
  Duration timeout = std::chrono::seconds(1);  ///< operation timeout, counted from the effect
  /// Queue every finished erase of this tier (of `invalidate` and `refresh`) for
  /// `Engine::poll_erased`, so that the adapter can tell other processes to drop their local
  /// copies (cross-process invalidation over Redis pub/sub).
  bool announce_erases = false;
};

/// One link of a node's chain: a registered storage name and how long entries live there
/// (absent: as long as the storage keeps them).
struct ChainLink {
  std::string storage{};          ///< the name of a registered storage
  std::optional<Duration> ttl{};  ///< lifetime of entries written there (absent: no TTL)
};

/// The doorkeeper of a node: a bloom filter of `capacity` insertions at false-positive rate
/// `false_positive_rate`, cleared after `capacity` insertions.
struct DoorkeeperOptions {
  std::size_t capacity = 100'000;     ///< insertions before the filter is cleared
  double false_positive_rate = 0.01;  ///< target false-positive rate at `capacity` insertions
};

/// Everything the engine knows of a node.
struct NodeConfig {
  std::string name{};               ///< for `nodes()` and reports
  std::string version{};            ///< last part of the full key
  std::vector<ChainLink> caches{};  ///< read in this order
  codec::ErasedCodec codec{};       ///< values <-> bytes for remote tiers
  /// When set, a loaded value is written to the tiers only on the second load of its key
  /// (the first is returned, not cached), so one-off keys do not evict others. Absent: off.
  std::optional<DoorkeeperOptions> doorkeeper{};
  /// Deadline of a load, counted from the load effect (0: none). When it passes, every waiter
  /// gets `errc::load_timeout`, nothing is cached and the load is cancelled (a `CancelLoad`).
  Duration load_timeout = kDefaultLoadTimeout;

  // ---- resilience (all off by default) ------------------------------------------------

  /// Grace period: an entry past its fresh-until time is kept this long more in every tier
  /// (remote TTL = fresh + grace; the entry header holds the fresh-until time), as a fallback.
  /// A request never gets a stale value while the source answers; it gets it (marked stale)
  /// when the load fails or times out (fail-safe), or after `soft_timeout`.
  Duration stale_for{};
  /// After fail-safe served a stale value, it is written back as fresh for this long, so the
  /// next requests do not hammer a source that is down.
  Duration fail_safe_throttle = std::chrono::seconds(30);
  /// With a stale value at hand, callers get it after this long while the load goes on in the
  /// background and updates the tiers when it completes (`load_timeout` still bounds it).
  /// Absent: callers wait for the load. 0: stale-while-revalidate.
  std::optional<Duration> soft_timeout{};
  /// XFetch's beta (Vattani et al., VLDB 2015), 0 = off: a fresh hit starts a background load
  /// when `now - delta * beta * ln(rand) >= fresh_until` (delta: the node's measured load time).
  double early_refresh = 0.0;
  /// How long a loader's `errc::not_found` is cached in every tier, whatever the tiers' TTLs
  /// (absent: not cached).
  std::optional<Duration> negative_ttl{};
  /// Loads of this node running at once, at most (0: no limit). Excess loads queue in FIFO
  /// order; their deadlines count from the request, so a queued load may time out.
  std::size_t max_concurrent_loads = 0;
};

}  // namespace cacheme::core

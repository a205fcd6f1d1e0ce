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

/// Per-call options of `get`, `get_all` and `refresh`.
struct RequestOptions {
  /// Overrides the node's `load_timeout` for the load this call starts (0: none). A call that
  /// attaches to a flight already in progress shares that flight's deadline; to bound one
  /// caller's wait, cancel it (Asio per-operation cancellation, a libevent handle).
  std::optional<Duration> load_timeout{};
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
  std::string storage{};
  std::optional<Duration> ttl{};
};

/// The doorkeeper of a node: a bloom filter of `capacity` insertions at false-positive rate
/// `false_positive_rate`, cleared after `capacity` insertions.
struct DoorkeeperOptions {
  std::size_t capacity = 100'000;
  double false_positive_rate = 0.01;
};

/// Everything the engine knows of a node.
struct NodeConfig {
  std::string name{};               ///< for `nodes()` and reports
  std::string version{};            ///< last part of the full key
  std::vector<ChainLink> caches{};  ///< read in this order
  codec::ErasedCodec codec{};       ///< values <-> bytes for remote tiers
  std::optional<DoorkeeperOptions> doorkeeper{};
  /// Deadline of a load, counted from the load effect (0: none). When it passes, every waiter
  /// gets `errc::load_timeout`, nothing is cached and the load is cancelled (a `CancelLoad`).
  Duration load_timeout = kDefaultLoadTimeout;
};

}  // namespace cacheme::core

/// @file node.hpp
/// Nodes: what is cached, under which key, stored where, encoded how (DESIGN.md §9).
///
/// A node type gives its key, its meta and, usually, a loader:
/// @code
/// struct UserNode {
///   int user_id;
///   std::string key() const { return "user:" + std::to_string(user_id) + ":info"; }
///   asio::awaitable<User> load() const;          // the source, on a miss (adapter idiom)
///   static cacheme::Meta meta() {
///     return {.version = "v1",
///             .caches = {{"local", 30s}, {"my-redis", std::chrono::days{10}}},
///             .codec = cacheme::codecs::msgpack_zlib,
///             .doorkeeper = cacheme::BloomFilter{100'000, 0.01}};
///   }
/// };
/// @endcode
/// The value type is `N::value_type` when declared, else the `value_type` of what `load()`
/// returns (`asio::awaitable<T>`, `std::future<T>`, ...).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cacheme/codec/erased_codec.hpp"
#include "cacheme/core/config.hpp"
#include "cacheme/core/time.hpp"

namespace cacheme {

/// One storage of a node's chain and the TTL of entries there (absent: no expiry).
struct Cache {
  std::string storage{};                ///< a registered storage's name
  std::optional<core::Duration> ttl{};  ///< lifetime of entries written there
};

/// The doorkeeper: a bloom filter of `capacity` insertions at rate `false_positive_rate`.
/// A loaded key is written to the tiers only from its second load on (DESIGN.md §3 rule 7).
struct BloomFilter {
  std::size_t capacity = 100'000;     ///< insertions before the rate is exceeded
  double false_positive_rate = 0.01;  ///< at `capacity` insertions
};

/// A node's configuration.
struct Meta {
  std::string version{};                    ///< last part of the full key: {prefix}:{key}:{version}
  std::vector<Cache> caches{};              ///< read left to right
  codec::Id codec = codec::Id::msgpack;     ///< how remote tiers store values
  std::optional<BloomFilter> doorkeeper{};  ///< off by default
  /// Deadline of a load (0: none). When it passes, every caller waiting for the key gets
  /// `errc::load_timeout`, nothing is cached and the loader is cancelled.
  core::Duration load_timeout = core::kDefaultLoadTimeout;
  /// Fail-safe grace period (0: off): an expired value is kept this long more in every tier and
  /// served, marked stale (`core::RequestOptions::info`), when the load fails or times out.
  core::Duration stale_for{};
  /// After fail-safe, the stale value counts as fresh this long (the source is not hammered).
  core::Duration fail_safe_throttle = std::chrono::seconds(30);
  /// With a stale value at hand, callers get it after this long; the load goes on in the
  /// background (0: stale-while-revalidate; absent: callers wait for the load).
  std::optional<core::Duration> soft_timeout{};
  /// XFetch's beta (0: off; 1 is the paper's default): hits refresh a hot key in the background
  /// shortly before it expires, so it never expires under load.
  double early_refresh = 0.0;
  /// How long a loader's "not found" (`std::system_error(cacheme::errc::not_found)`) is cached
  /// in every tier; callers get `errc::not_found`. Absent: not cached.
  std::optional<core::Duration> negative_ttl{};
  /// Loads of this node at once, at most (0: no limit); the others queue, FIFO.
  std::size_t max_concurrent_loads = 0;
};

/// Codec constants, as in `Meta{.codec = cacheme::codecs::msgpack_zlib}`.
namespace codecs {
/// The built-in codecs: format (raw, json, msgpack), then compression (none, zlib, zstd).
///@{
inline constexpr codec::Id raw = codec::Id::raw;
inline constexpr codec::Id json = codec::Id::json;
inline constexpr codec::Id msgpack = codec::Id::msgpack;
inline constexpr codec::Id raw_zlib = codec::Id::raw_zlib;
inline constexpr codec::Id json_zlib = codec::Id::json_zlib;
inline constexpr codec::Id msgpack_zlib = codec::Id::msgpack_zlib;
inline constexpr codec::Id raw_zstd = codec::Id::raw_zstd;
inline constexpr codec::Id json_zstd = codec::Id::json_zstd;
inline constexpr codec::Id msgpack_zstd = codec::Id::msgpack_zstd;
///@}
}  // namespace codecs

/// A node type: a key, and a static meta.
template <class N>
concept Node = std::copy_constructible<N> && requires(const N& n) {
  { n.key() } -> std::convertible_to<std::string>;
  { N::meta() } -> std::convertible_to<Meta>;
};

namespace detail {

template <class N>
struct node_value {
  using type = typename decltype(std::declval<const N&>().load())::value_type;
};
template <class N>
  requires requires { typename N::value_type; }
struct node_value<N> {
  using type = typename N::value_type;
};

}  // namespace detail

/// The type of a node's values.
template <class N>
using node_value_t = typename detail::node_value<N>::type;

/// A node whose configuration is given at run time (`NodeCache::build_node`); its requests
/// carry only a key. Each built node has its own configuration and stats (rule 9).
template <class T>
struct BuiltNode {
  using value_type = T;  ///< the type of the node's values
  std::uint64_t id = 0;  ///< the engine's NodeId
  std::string name;      ///< as given to `build_node`
};

}  // namespace cacheme

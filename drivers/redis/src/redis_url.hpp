// Parsing of redis:// URLs (private to the driver; the tests include it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cacheme/result.hpp"

namespace cacheme::drivers::redis::detail {

/// What a `redis://[user:password@]host[:port][,host[:port]...][/db][?pool_size=N&cluster=true]`
/// URL says.
struct RedisUrl {
  std::string host;           ///< the first (or only) host
  /// The name `host` was resolved from, looked up again after a lost connection; empty for an IP
  /// literal and a cluster (whose nodes are reached at the addresses they announce).
  std::string host_name;
  std::uint16_t port = 6379;
  /// Every host:port of the URL, the first included (several only for a cluster: seed nodes).
  std::vector<std::pair<std::string, std::uint16_t>> seeds;
  std::string user;      ///< empty: AUTH with the password only (or no AUTH)
  std::string password;  ///< empty: no AUTH
  int db = 0;            ///< SELECTed on every (re)connect when not 0
  std::size_t pool_size = 0;  ///< from `?pool_size=N`; 0 when absent (per master for a cluster)
  bool cluster = false;       ///< `?cluster=true`: a Redis Cluster, slot-routed
  /// `?timeout=MS` (the core's operation timeout, default 1 s): the cluster driver retries a
  /// `TRYAGAIN` within it.
  std::chrono::milliseconds timeout{1000};
  /// `?max_outstanding=N`: the most operations the storage holds at once (0: the default,
  /// `kOutstandingPerConnection` x the connections); past it they fail at once, overloaded.
  std::size_t max_outstanding = 0;
};

/// The default cap on outstanding operations, per connection of the pool (all masters' pools
/// for a cluster). 1,024 x 100 connections stays far above what the seed's workload keeps in
/// flight at 100,000 workers (about 55,600 distinct keys at most), and bounds a stalled
/// server's cost to about 100,000 small commands.
inline constexpr std::size_t kOutstandingPerConnection = 1024;

/// Parses `url`. User and password are percent-decoded; `redis://secret@host` is a password
/// (as with redis-cli). Errors: `errc::bad_url` for a malformed URL or another scheme, several
/// hosts without `cluster=true`, or a cluster URL naming a database other than 0 (a cluster has
/// only database 0); `errc::bad_option` for an invalid `pool_size`, `cluster`, `timeout` or
/// `max_outstanding`.
/// Other query parameters are the caller's and ignored here.
Result<RedisUrl> parse_redis_url(std::string_view url);

/// Why `parse_redis_url` refused `url`, in words (never echoes the URL: it may hold a password).
std::string explain_bad_redis_url(std::string_view url);

}  // namespace cacheme::drivers::redis::detail

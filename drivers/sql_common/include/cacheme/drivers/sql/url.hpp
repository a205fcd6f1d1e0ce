/// @file url.hpp
/// Parsing of SQL storage URLs (`scheme://user:pass@host:port/db?k=v`, `sqlite:///path?k=v`)
/// and of the options common to the SQL drivers. Shared by the sqlite, postgres and mysql drivers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cacheme/drivers/storage.hpp"
#include "cacheme/result.hpp"

namespace cacheme::drivers::sql {

/// A parsed storage URL; every part is percent-decoded.
struct Url {
  std::string scheme;                  ///< lower-case, e.g. "postgresql"
  std::string user;                    ///< empty when absent
  std::optional<std::string> password; ///< absent when the URL has no `:pass`
  std::string host;                    ///< without brackets for an IPv6 literal; may be empty
  std::optional<std::uint16_t> port;   ///< absent when the URL has none
  std::string path;                    ///< after the authority, with its leading '/' (may be empty)
  std::string target;                  ///< everything between "://" and '?', decoded (SQLite's file)
  std::vector<std::pair<std::string, std::string>> query;  ///< in URL order
};

/// Parses `url`. Fails with `errc::bad_url` when it has no `scheme://`, a bad port, a bad
/// percent escape or an empty query key.
Result<Url> parse_url(std::string_view url);

/// Operations batched into one statement by default: a multi-row read or upsert of 64 rows is
/// still a cheap statement, and 64 turn ~20,000 statements/s of single-key work into a few hundred.
inline constexpr std::size_t kDefaultBatch = 64;
/// The largest `batch` accepted.
inline constexpr std::size_t kMaxBatch = 1024;
/// The largest `pipeline` accepted (statements in flight on one PostgreSQL connection).
inline constexpr std::size_t kMaxPipeline = 64;

/// The options an SQL driver runs with, after URL query parameters override `StorageOptions`.
struct Settings {
  std::string table;                          ///< validated, see `valid_table_name`
  std::size_t pool_size = 0;                  ///< at least 1
  bool init = false;                          ///< apply `sql/<backend>.sql` when the table is missing
  std::chrono::milliseconds connect_timeout{5000};  ///< `connect_timeout=<ms>`
  /// `timeout=<ms>`, the core's operation timeout (default 1000, as the core's): the server's
  /// statement timeout and the age past which a busy connection counts as stalled.
  std::chrono::milliseconds timeout{1000};
  /// `max_outstanding=<n>` (1..1,000,000): operations accepted and not yet completed or abandoned;
  /// past it an operation completes at once with `IoStatus::overloaded`. 0: the driver's default.
  std::size_t max_outstanding = 0;
  /// `batch=<n>` (1..1024; PostgreSQL and MariaDB): fetches, or stores, sent as one statement
  /// when they queue together (1: one statement per operation).
  std::size_t batch = kDefaultBatch;
  /// `pipeline=<n>` (PostgreSQL, 1..64): statements in flight on one connection (1: one at a time).
  std::size_t pipeline = 1;
  std::map<std::string, std::string> extra;   ///< backend-specific keys the caller allowed
};

/// The cap on outstanding operations when the URL sets none: room for every connection to have a
/// deep queue (200 per connection: a pool of 50 holds 10,000, far more than a healthy server ever
/// queues), yet a bound on what a stalled server can make the process hold.
inline std::size_t default_max_outstanding(std::size_t pool_size) { return pool_size * 200; }

/// Merges `options` and the URL's query (`table`, `pool_size`, `init`, `connect_timeout`,
/// `timeout`, `max_outstanding`; keys in `extra_keys` are copied to `Settings::extra`). Fails with
/// `errc::bad_option` on an invalid table name, a pool size outside 1..1000, a non-boolean
/// `init`, a bad timeout, a `max_outstanding` outside 1..1,000,000, or an unknown key.
Result<Settings> resolve_settings(const Url& url, const StorageOptions& options, std::size_t default_pool_size,
                                  std::initializer_list<std::string_view> extra_keys = {});

}  // namespace cacheme::drivers::sql

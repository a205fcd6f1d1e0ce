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

/// The options an SQL driver runs with, after URL query parameters override `StorageOptions`.
struct Settings {
  std::string table;                          ///< validated, see `valid_table_name`
  std::size_t pool_size = 0;                  ///< at least 1
  bool init = false;                          ///< apply sql/<backend>.sql when the table is missing
  std::chrono::milliseconds connect_timeout{5000};  ///< `connect_timeout=<ms>`
  std::map<std::string, std::string> extra;   ///< backend-specific keys the caller allowed
};

/// Merges `options` and the URL's query (`table`, `pool_size`, `init`, `connect_timeout`;
/// `timeout` is accepted and ignored, the core owns deadlines; keys in `extra_keys` are copied
/// to `Settings::extra`). Fails with `errc::bad_option` on an invalid table name, a pool size
/// outside 1..1000, a non-boolean `init`, a bad timeout, or an unknown key.
Result<Settings> resolve_settings(const Url& url, const StorageOptions& options, std::size_t default_pool_size,
                                  std::initializer_list<std::string_view> extra_keys = {});

}  // namespace cacheme::drivers::sql

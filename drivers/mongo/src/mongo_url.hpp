// The mongodb:// URL of the storage: its parts, the options cacheme reads from its query, and the
// form of it that may be printed (password as ***).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cacheme/drivers/storage.hpp"
#include "cacheme/result.hpp"

namespace cacheme::drivers::mongo {

/// The default number of worker threads (and pooled clients), as for the SQL servers.
inline constexpr std::size_t kDefaultPoolSize = 50;

struct Settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 27017;
  std::string user;                     ///< empty: no authentication
  std::optional<std::string> password;
  std::string auth_source;              ///< the URL's path database or `authSource`; empty: libmongoc's default
  std::string database = "cacheme";
  std::string collection = "cache";
  std::size_t pool_size = kDefaultPoolSize;
  bool init = false;                    ///< create the TTL index of sql/mongo.js
  std::chrono::milliseconds timeout{1000};          ///< the core's operation timeout (`timeout=`)
  std::chrono::milliseconds connect_timeout{5000};  ///< the first `ping`
  std::size_t max_outstanding = 0;      ///< `max_outstanding=`; 0: pool_size * 200 (as the SQL pools)
  std::string display;                  ///< the URL with its password replaced by ***
};

/// Parses `url` (`mongodb://[user[:pass]@]host[:port][/authdb][?k=v...]`) with `options` under
/// it. Fails with `errc::bad_url` (another scheme, no host, a bad port or escape, several hosts)
/// or `errc::bad_option` (an unknown key, a bad database or collection name, a bad number).
Result<Settings> parse_url(std::string_view url, const StorageOptions& options);

/// `url` with its secrets as `***` (`cacheme::redact_url`, the one redaction of the library).
std::string masked_url(std::string_view url);

/// True for a database name MongoDB accepts: 1..63 of `[A-Za-z0-9_-]`.
bool valid_database_name(std::string_view name);

/// True for a collection name cacheme accepts: `[A-Za-z_][A-Za-z0-9_.-]*`, at most 120 bytes,
/// not in the `system.` namespace.
bool valid_collection_name(std::string_view name);

}  // namespace cacheme::drivers::mongo

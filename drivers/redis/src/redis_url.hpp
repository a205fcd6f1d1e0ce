// Parsing of redis:// URLs (private to the driver; the tests include it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cacheme/result.hpp"

namespace cacheme::drivers::redis::detail {

/// What a `redis://[user:password@]host[:port][/db][?pool_size=N]` URL says.
struct RedisUrl {
  std::string host;
  std::uint16_t port = 6379;
  std::string user;      ///< empty: AUTH with the password only (or no AUTH)
  std::string password;  ///< empty: no AUTH
  int db = 0;            ///< SELECTed on every (re)connect when not 0
  std::size_t pool_size = 0;  ///< from `?pool_size=N`; 0 when absent
};

/// Parses `url`. User and password are percent-decoded; `redis://secret@host` is a password
/// (as with redis-cli). Errors: `errc::bad_url` for a malformed URL or another scheme,
/// `errc::bad_option` for an invalid `pool_size`. Other query parameters (`timeout`, ...) are
/// the caller's and ignored here.
Result<RedisUrl> parse_redis_url(std::string_view url);

}  // namespace cacheme::drivers::redis::detail

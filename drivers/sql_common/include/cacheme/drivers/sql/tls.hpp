/// @file tls.hpp
/// The TLS options of the server-based SQL drivers, from the URL in libpq's words: `sslmode`,
/// `sslrootcert` (the CA), `sslcert` and `sslkey` (a client certificate). Each backend maps them
/// to its client library (libpq conninfo keywords; MariaDB's `mysql_options(MYSQL_OPT_SSL_*)`).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/result.hpp"

namespace cacheme::drivers::sql {

/// Validated TLS options; empty strings are unset.
struct TlsOptions {
  std::string mode;       ///< one of the backend's modes, empty: the library's default
  std::string root_cert;  ///< a CA file the server's certificate must chain to
  std::string cert;       ///< the client certificate (with `key`)
  std::string key;        ///< the client certificate's private key (with `cert`)
};

/// Reads the TLS keys of `settings.extra` (`parse_server_url` lets them through). Fails with `errc::bad_option`, after logging which
/// option is wrong and why (as `backend`), on a mode not in `modes`, a file that cannot be
/// read, `sslcert` without `sslkey` (or the reverse), or a verifying mode without `sslrootcert`.
Result<TlsOptions> parse_tls(const Settings& settings, std::string_view backend,
                             std::span<const std::string_view> modes);

}  // namespace cacheme::drivers::sql

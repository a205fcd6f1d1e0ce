/// @file redact.hpp
/// The one place that hides secrets in storage URLs before anything prints them (tables, JSON,
/// CSV, plots, error messages, logs): the password of the user info and the values of secret
/// query parameters become `***`.
/// @code{.unparsed}
///   redis://:s3cret@127.0.0.1:6379          -> redis://:***@127.0.0.1:6379
///   redis://s3cret@127.0.0.1:6379           -> redis://***@127.0.0.1:6379  (a password, as redis-cli reads it)
///   postgresql://u:s3cret@h/db?sslmode=require -> postgresql://u:***@h/db?sslmode=require
///   mysql://u@h/db?password=s3cret&table=t  -> mysql://u@h/db?password=***&table=t
/// @endcode
/// The user info ends at the last `@` before the first `/` or `?`, as the drivers' parsers read
/// it, so a password the drivers accept is always inside what is hidden. Secret query keys
/// (compared percent-decoded, in any case): `password`, `pass`, `passwd`, `pwd`, any key ending in
/// `password` (`sslpassword`, `tlsCertificateKeyFilePassword`) and any containing `secret` or
/// `token`. `password_file` and `password_env` name where a secret is, not the secret: they stay.
#pragma once

#include <string>
#include <string_view>

namespace cacheme {

/// `url` with its secrets as `***`. `url` may be one storage URL or a comma-separated chain of
/// them (`local://lru?size=10,redis://:pw@h:6379`: a comma starts a new URL when a scheme
/// follows, as `cacheme-bench --chain` splits them); text without `://` comes back unchanged.
std::string redact_url(std::string_view url);

/// Every word of `text` that holds `://` passed through `redact_url`: for free text that may
/// echo a URL (a command-line parser's message). Text built around a URL should redact the URL
/// itself with `redact_url` (exact even for a password with spaces).
std::string redact_text(std::string_view text);

}  // namespace cacheme

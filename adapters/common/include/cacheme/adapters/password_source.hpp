/// @file password_source.hpp
/// A storage's password from a file or the environment instead of the URL itself, where `ps`,
/// shell history and process listings would show it. Two URL query parameters, for every
/// storage with a user info (`redis://`, `postgresql://`, `mysql://`, `mongodb://`):
///
///   `password_file=PATH`  the file's content, one trailing newline (`\n` or `\r\n`) removed
///                         (a Docker or Kubernetes secret, a file of mode 0600);
///   `password_env=NAME`   the value of environment variable `NAME`.
///
/// `register_storage` resolves them before the driver sees the URL; printed URLs keep the
/// parameter (a path or a name, not the secret) and never show a password (`redact.hpp`).
#pragma once

#include <string>
#include <string_view>

#include "cacheme/result.hpp"

namespace cacheme::adapters {

/// `url` with `password_file` or `password_env` removed and the password it names put,
/// percent-encoded, in the user info: `redis://127.0.0.1:6379?password_file=/run/r` gives
/// `redis://:PW@127.0.0.1:6379`, `postgresql://app@h/db?password_env=PGPW` gives
/// `postgresql://app:PW@h/db` (a Redis user info without a colon is then the user name). A
/// URL with neither comes back unchanged. `errc::bad_option`, with the reason on stderr (never
/// the secret), when both are given, when the URL already holds a password, when the file cannot
/// be read or the variable is unset, or when the password is empty.
Result<std::string> resolve_password_source(std::string_view url);

}  // namespace cacheme::adapters

/// @file errc.hpp
/// cacheme's error codes, as a `std::error_category` (so they mix with asio's and the OS's).
#pragma once

#include <string>
#include <system_error>

namespace cacheme {

/// Every error cacheme itself reports. Storage errors are counted, not returned, on reads
/// (DESIGN.md §3 rule 5); they reach callers only from `invalidate` and `register_storage`.
enum class errc {
  ok = 0,
  unknown_io,         ///< a completion for an operation the core does not know (late, or never issued)
  unknown_storage,    ///< a node's chain names a storage that is not registered
  unknown_node,       ///< a NodeId the engine never issued
  duplicate_name,     ///< a storage or node name registered twice
  storage_error,      ///< a storage reported a failure
  storage_timeout,    ///< a storage did not answer within its timeout
  decode_error,       ///< stored bytes are truncated, damaged, foreign or undecodable
  encode_error,       ///< a value could not be encoded
  load_failed,        ///< the source (loader) failed
  no_loader,          ///< a node has no loader and the value was not in any tier
  cancelled,          ///< the caller cancelled its request
  bad_url,            ///< a storage URL that cannot be parsed, or an unknown scheme
  bad_option,         ///< an option with an invalid value
  bad_key,            ///< a key a storage cannot hold (too long, ...)
  connect_failed,     ///< a storage could not be reached
  schema_missing,     ///< an SQL storage's table does not exist
  invalid_argument,   ///< misuse of an API (a bad size, an empty chain, ...)
  load_timeout,       ///< the load did not finish within the node's (or the call's) load timeout
  overloaded,         ///< a storage refused an operation: its cap on outstanding operations was reached
  not_found,          ///< the source has no value for the key (a loader's answer, cached with `negative_ttl`)
};

/// The category of `errc`; `name()` is "cacheme".
const std::error_category& error_category() noexcept;

/// `e` as a `std::error_code` of the cacheme category (found by ADL: `ec == errc::bad_url`).
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace cacheme

// Makes errc convert to std::error_code; hidden from the reference, as Doxygen cannot place
// a specialization of std:: declared outside namespace std.
/// @cond
template <>
struct std::is_error_code_enum<cacheme::errc> : std::true_type {};
/// @endcond

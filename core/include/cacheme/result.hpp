/// @file result.hpp
/// `Result<T>`: a value or a `std::error_code`. One place to switch to `std::expected` later
/// (g++ 12 has it only under -std=c++2b and clang 14 cannot parse it).
#pragma once

#include <system_error>

#include <tl/expected.hpp>

namespace cacheme {

/// A value or an error code (`tl::expected`, until `std::expected` is in both compilers).
template <class T>
using Result = tl::expected<T, std::error_code>;

/// Builds the error alternative of a `Result`: `return fail(errc::bad_url);`.
template <class E>
tl::unexpected<std::error_code> fail(E e) {
  return tl::unexpected<std::error_code>(make_error_code(e));
}
/// Builds the error alternative of a `Result` from an error code.
inline tl::unexpected<std::error_code> fail(std::error_code ec) { return tl::unexpected<std::error_code>(ec); }

}  // namespace cacheme

/// @file raw.hpp
/// The raw format: strings and byte vectors stored as they are, with no framing.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "cacheme/result.hpp"

namespace cacheme::codec {

/// The types the raw format holds: `std::string` and vectors of `std::byte`, `unsigned char`
/// or `char`. Their bytes are the body; any body decodes.
template <class T>
concept RawCodable = std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<std::byte>> ||
                     std::is_same_v<T, std::vector<unsigned char>> || std::is_same_v<T, std::vector<char>>;

/// The bytes of `value`.
template <RawCodable T>
std::string encode_raw(const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    return value;
  } else {
    return std::string(reinterpret_cast<const char*>(value.data()), value.size());
  }
}

/// `body` as a `T`; never fails (the Result keeps the same shape as the other formats).
template <RawCodable T>
Result<T> decode_raw(std::string_view body) {
  if constexpr (std::is_same_v<T, std::string>) {
    return std::string(body);
  } else {
    T out(body.size());
    if (!body.empty()) std::memcpy(out.data(), body.data(), body.size());
    return out;
  }
}

}  // namespace cacheme::codec

/// @file limits.hpp
/// Bounds every decoder applies to untrusted bytes.
#pragma once

#include <cstddef>

namespace cacheme::codec {

/// The largest body any decoder produces (after decompression): 64 MiB. Larger is a decode error.
inline constexpr std::size_t kMaxDecodedSize = std::size_t{64} << 20;

/// The deepest nesting of arrays and maps a JSON or msgpack body may have. Deeper bodies are
/// decode errors: it bounds the recursion of copying and converting a document.
inline constexpr std::size_t kMaxDepth = 64;

}  // namespace cacheme::codec

/// @file erased_codec.hpp
/// What the engine needs of a codec: a node's values to body bytes and back, type-erased.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "cacheme/core/any_value.hpp"
#include "cacheme/result.hpp"

namespace cacheme::codec {

/// Codec identifiers, written into every remote entry's header so a reader refuses bytes
/// written by another codec. Values are part of the stored format: never renumber.
enum class Id : std::uint8_t {
  raw = 1,
  json = 2,
  msgpack = 3,
  raw_zlib = 4,
  json_zlib = 5,
  msgpack_zlib = 6,
  raw_zstd = 7,
  json_zstd = 8,
  msgpack_zstd = 9,
};

/// A codec bound to one value type, with the type erased. `decode` must treat its input as
/// untrusted: it returns an error, never crashes, hangs or allocates without bound.
struct ErasedCodec {
  Id id = Id::msgpack;                                                   ///< written into each entry
  std::function<Result<std::string>(const void* value)> encode;          ///< a `const T*` -> body
  std::function<Result<core::AnyValue>(std::string_view body)> decode;  ///< body -> a `const T`
};

}  // namespace cacheme::codec

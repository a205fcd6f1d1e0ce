/// @file codec_id.hpp
/// A codec `Id` split into its two halves, the body format and the compression, and named
/// (for configuration strings such as `?codec=msgpack_zstd`).
#pragma once

#include <optional>
#include <string_view>

#include "cacheme/codec/erased_codec.hpp"

namespace cacheme::codec {

/// How a value becomes bytes.
enum class Format : std::uint8_t {
  raw,      ///< bytes and strings as they are
  json,     ///< nlohmann-json text (UTF-8)
  msgpack,  ///< msgpack-cxx
};

/// What is done to those bytes afterwards.
enum class Compression : std::uint8_t {
  none,  ///< stored as encoded
  zlib,  ///< zlib stream (RFC 1950), level 3, as the seed's Compressed* serializers
  zstd,  ///< one zstd frame with its content size, level 3
};

/// The body format of `id`.
constexpr Format format_of(Id id) {
  switch (id) {
    case Id::raw: case Id::raw_zlib: case Id::raw_zstd: return Format::raw;
    case Id::json: case Id::json_zlib: case Id::json_zstd: return Format::json;
    case Id::msgpack: case Id::msgpack_zlib: case Id::msgpack_zstd: return Format::msgpack;
  }
  return Format::raw;
}

/// The compression of `id`.
constexpr Compression compression_of(Id id) {
  switch (id) {
    case Id::raw: case Id::json: case Id::msgpack: return Compression::none;
    case Id::raw_zlib: case Id::json_zlib: case Id::msgpack_zlib: return Compression::zlib;
    case Id::raw_zstd: case Id::json_zstd: case Id::msgpack_zstd: return Compression::zstd;
  }
  return Compression::none;
}

/// Every codec id, in stored-value order (for tests and configuration listings).
inline constexpr Id kAllIds[] = {Id::raw,      Id::json,      Id::msgpack,      Id::raw_zlib, Id::json_zlib,
                                 Id::msgpack_zlib, Id::raw_zstd, Id::json_zstd, Id::msgpack_zstd};

/// The configuration name of `id`: "raw", "json_zlib", "msgpack_zstd", ...
std::string_view name(Id id);

/// The id named `name` (as `name(Id)` spells it), or nullopt.
std::optional<Id> parse_id(std::string_view name);

}  // namespace cacheme::codec

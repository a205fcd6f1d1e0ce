/// @file compression.hpp
/// zlib and zstd over whole bodies, with decompression bounded so that untrusted bytes (a
/// decompression bomb, a frame that declares a huge size) are refused instead of allocated.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "cacheme/codec/codec_id.hpp"
#include "cacheme/codec/limits.hpp"
#include "cacheme/result.hpp"

namespace cacheme::codec {

/// The compression level of both zlib and zstd (the seed's Compressed* serializers use 3).
inline constexpr int kCompressionLevel = 3;

/// Compresses `input` with `c` (a copy when `c` is `none`). `errc::encode_error` if the
/// library fails or the input is larger than `kMaxDecodedSize` (it could never be read back).
Result<std::string> compress(Compression c, std::string_view input);

/// Decompresses `input`, which must be exactly one complete zlib stream or zstd frame with no
/// trailing bytes. `errc::decode_error` when it is truncated, damaged or foreign, or when its
/// output would exceed `max_size`; never allocates more than about `max_size`.
Result<std::string> decompress(Compression c, std::string_view input, std::size_t max_size = kMaxDecodedSize);

}  // namespace cacheme::codec

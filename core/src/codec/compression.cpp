#include "cacheme/codec/compression.hpp"

#include "cacheme/errc.hpp"
#include "compressors.hpp"

namespace cacheme::codec {

Result<std::string> compress(Compression c, std::string_view input) {
  if (input.size() > kMaxDecodedSize) return fail(errc::encode_error);
  switch (c) {
    case Compression::none: return std::string(input);
    case Compression::zlib: return detail::zlib_compress(input, kCompressionLevel);
    case Compression::zstd: return detail::zstd_compress(input, kCompressionLevel);
  }
  return fail(errc::encode_error);
}

Result<std::string> decompress(Compression c, std::string_view input, std::size_t max_size) {
  switch (c) {
    case Compression::none:
      if (input.size() > max_size) return fail(errc::decode_error);
      return std::string(input);
    case Compression::zlib: return detail::zlib_decompress(input, max_size);
    case Compression::zstd: return detail::zstd_decompress(input, max_size);
  }
  return fail(errc::decode_error);
}

}  // namespace cacheme::codec

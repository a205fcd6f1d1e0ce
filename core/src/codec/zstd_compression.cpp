// zstd whole-body compression: one frame that records its content size. Decompression trusts
// nothing: the declared size must be known and within `max_size` before anything is allocated,
// and the frame must then produce exactly that many bytes and end where the input ends.
#include <zstd.h>

#include <cstdint>

#include "cacheme/errc.hpp"
#include "compressors.hpp"

namespace cacheme::codec::detail {
namespace {

// Frees a decompression context on every path.
struct DctxGuard {
  ZSTD_DCtx* dctx;
  ~DctxGuard() { ZSTD_freeDCtx(dctx); }
};

// A regular zstd frame starts with ZSTD_MAGICNUMBER, little-endian.
bool starts_with_frame_magic(std::string_view input) {
  if (input.size() < 4) return false;
  std::uint32_t magic = 0;
  for (std::size_t i = 0; i < 4; ++i) magic |= std::uint32_t{static_cast<unsigned char>(input[i])} << (8 * i);
  return magic == ZSTD_MAGICNUMBER;
}

}  // namespace

Result<std::string> zstd_compress(std::string_view input, int level) {
  std::string out(ZSTD_compressBound(input.size()), '\0');
  // ZSTD_compress writes the content size into the frame header, which the reader requires.
  const std::size_t size = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), level);
  if (ZSTD_isError(size)) return fail(errc::encode_error);
  out.resize(size);
  return out;
}

Result<std::string> zstd_decompress(std::string_view input, std::size_t max_size) {
  if (!starts_with_frame_magic(input)) return fail(errc::decode_error);  // e.g. a skippable frame
  const unsigned long long declared = ZSTD_getFrameContentSize(input.data(), input.size());
  // Unknown (a streamed frame: not written by us), an error, or too big: refuse before allocating.
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN || declared == ZSTD_CONTENTSIZE_ERROR || declared > max_size)
    return fail(errc::decode_error);
  // The frame must span the whole input: no second frame, no trailing bytes, no truncation.
  const std::size_t frame_size = ZSTD_findFrameCompressedSize(input.data(), input.size());
  if (ZSTD_isError(frame_size) || frame_size != input.size()) return fail(errc::decode_error);

  DctxGuard guard{ZSTD_createDCtx()};
  if (guard.dctx == nullptr) return fail(errc::decode_error);
  std::string out(static_cast<std::size_t>(declared), '\0');
  const std::size_t size = ZSTD_decompressDCtx(guard.dctx, out.data(), out.size(), input.data(), input.size());
  if (ZSTD_isError(size) || size != out.size()) return fail(errc::decode_error);
  return out;
}

}  // namespace cacheme::codec::detail

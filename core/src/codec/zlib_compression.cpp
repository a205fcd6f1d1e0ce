// zlib (RFC 1950) whole-body compression. Inflate runs in bounded chunks: it stops as soon as the
// output would pass `max_size`, so a bomb (1 GB of zeros is about 1 MB deflated) costs at most
// `max_size` bytes and the time to inflate them.
#include <zlib.h>

#include <algorithm>
#include <limits>

#include "cacheme/errc.hpp"
#include "compressors.hpp"

namespace cacheme::codec::detail {
namespace {

// zlib counts in uInt (32 bits); the bodies are capped far below that, but check anyway.
constexpr std::size_t kMaxZlibInput = std::numeric_limits<uInt>::max();
constexpr std::size_t kInflateChunk = std::size_t{64} << 10;

// Ends an inflate stream on every path out of zlib_decompress.
struct InflateGuard {
  z_stream* stream;
  ~InflateGuard() { inflateEnd(stream); }
};

}  // namespace

Result<std::string> zlib_compress(std::string_view input, int level) {
  if (input.size() > kMaxZlibInput) return fail(errc::encode_error);
  uLongf size = compressBound(static_cast<uLong>(input.size()));
  std::string out(size, '\0');
  const int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(input.data()),
                           static_cast<uLong>(input.size()), level);
  if (rc != Z_OK) return fail(errc::encode_error);
  out.resize(size);
  return out;
}

Result<std::string> zlib_decompress(std::string_view input, std::size_t max_size) {
  if (input.size() > kMaxZlibInput) return fail(errc::decode_error);
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) return fail(errc::decode_error);
  InflateGuard guard{&stream};
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());

  std::string out;
  // A first guess from the usual ratios; growth is geometric after that, never past max_size + 1.
  out.resize(std::min(max_size + 1, std::max(kInflateChunk, input.size() * 4)));
  std::size_t produced = 0;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() > max_size) return fail(errc::decode_error);  // the +1 byte was written: too big
      out.resize(std::min(max_size + 1, out.size() * 2));
    }
    const std::size_t room = std::min(out.size() - produced, kMaxZlibInput);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    stream.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&stream, Z_NO_FLUSH);
    produced += room - stream.avail_out;
    if (produced > max_size) return fail(errc::decode_error);
    if (rc == Z_STREAM_END) break;
    // Z_BUF_ERROR with output room left means the input ran out: truncated.
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && stream.avail_out == 0)) return fail(errc::decode_error);
    if (rc == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) return fail(errc::decode_error);
  }
  if (stream.avail_in != 0) return fail(errc::decode_error);  // trailing bytes: not one of ours
  out.resize(produced);
  return out;
}

}  // namespace cacheme::codec::detail

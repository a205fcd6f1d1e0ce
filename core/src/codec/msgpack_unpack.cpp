// Untrusted msgpack in, one object out. msgpack-cxx allocates an array's or map's elements as
// soon as it reads the count, so every count is bounded by the input's size (each element needs
// at least one byte, each map entry two): a forged count of 2^32 costs nothing.
#include <exception>

#include "cacheme/codec/limits.hpp"
#include "cacheme/codec/msgpack.hpp"

namespace cacheme::codec::detail {

namespace {
thread_local msgpack::zone t_zone;
thread_local bool t_zone_lent = false;
}  // namespace

DecodeZone::DecodeZone() {
  if (t_zone_lent) {
    zone_ = &own_.emplace();
  } else {
    t_zone_lent = true;
    zone_ = &t_zone;
  }
}

DecodeZone::~DecodeZone() {
  if (zone_ != &t_zone) return;
  t_zone.clear();
  t_zone_lent = false;
}

Result<msgpack::object> unpack_msgpack(std::string_view body, msgpack::zone& zone) {
  if (body.empty() || body.size() > kMaxDecodedSize) return fail(errc::decode_error);
  const std::size_t n = body.size();
  const msgpack::unpack_limit limit(/*array=*/n, /*map=*/n / 2, /*str=*/n, /*bin=*/n, /*ext=*/n, /*depth=*/kMaxDepth);
  try {
    std::size_t offset = 0;
    msgpack::object object = msgpack::unpack(zone, body.data(), n, offset, nullptr, nullptr, limit);
    if (offset != n) return fail(errc::decode_error);  // trailing bytes: not one value of ours
    return object;
  } catch (const std::exception&) {  // parse_error, insufficient_bytes, *_size_overflow, bad_alloc
    return fail(errc::decode_error);
  }
}

}  // namespace cacheme::codec::detail

// A user codec (README "Your own codec"): a hand-written binary format for `Point`, registered
// under the user codec id 200. Shared by examples/user_codec_example.cpp, the codec tests and
// the fuzz harness tests/fuzz/user_codec_fuzz.cpp.
//
// Body: i32 x, i32 y (little-endian), u16 label length, the label's bytes; nothing else.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cacheme/codec/user_codec.hpp"

namespace point {

struct Point {
  std::int32_t x = 0;
  std::int32_t y = 0;
  std::string label;
  bool operator==(const Point&) const = default;
};

/// The id under which the format is stored: a new format would take a new id.
inline constexpr cacheme::codec::Id kCodecId = cacheme::codec::user_id(200);

inline void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

inline std::uint32_t get_u32(std::string_view in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

inline cacheme::Result<std::string> encode(const Point& p) {
  if (p.label.size() > 0xFFFF) return cacheme::fail(cacheme::errc::encode_error);
  std::string out;
  put_u32(out, static_cast<std::uint32_t>(p.x));
  put_u32(out, static_cast<std::uint32_t>(p.y));
  out.push_back(static_cast<char>(p.label.size() & 0xFF));
  out.push_back(static_cast<char>(p.label.size() >> 8));
  return out + p.label;
}

// The body is untrusted: every length is checked against what is there before it is used.
inline cacheme::Result<Point> decode(std::string_view body) {
  if (body.size() < 10) return cacheme::fail(cacheme::errc::decode_error);
  const std::size_t length = static_cast<unsigned char>(body[8]) | (static_cast<unsigned char>(body[9]) << 8);
  if (body.size() != 10 + length) return cacheme::fail(cacheme::errc::decode_error);
  return Point{static_cast<std::int32_t>(get_u32(body)), static_cast<std::int32_t>(get_u32(body.substr(4))),
               std::string(body.substr(10))};
}

/// Registers the codec (once per process; a second call is refused with errc::duplicate_name).
inline cacheme::Result<void> register_codec() {
  return cacheme::codec::register_codec<Point>(kCodecId, {.name = "point_v1", .encode = encode, .decode = decode});
}

}  // namespace point

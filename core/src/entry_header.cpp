#include "cacheme/codec/entry_header.hpp"

#include <cstring>
#include <limits>

#include "cacheme/codec/user_codec.hpp"
#include "cacheme/errc.hpp"

namespace cacheme::codec {
namespace {

constexpr unsigned char kMagic0 = 0xCA;
constexpr unsigned char kMagic1 = 0xC4;
constexpr std::size_t kCrcOffset = 24;

template <class T>
void put_le(char* out, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xFF);
}

template <class T>
T get_le(const char* in) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return static_cast<T>(v);
}

bool known_version(std::uint8_t v) { return v == kFormatVersion || v == kNegativeFormatVersion; }

bool known_codec(std::uint8_t id) {
  if (id >= static_cast<std::uint8_t>(Id::raw) && id <= static_cast<std::uint8_t>(Id::msgpack_zstd)) return true;
  return is_registered(static_cast<Id>(id));  // a user codec: only once registered
}

std::string make_versioned(std::uint8_t version, Id codec, std::int64_t expire_unix_ms, std::int64_t write_unix_ms,
                           std::string_view body) {
  std::string out(kHeaderSize + body.size(), '\0');
  out[0] = static_cast<char>(kMagic0);
  out[1] = static_cast<char>(kMagic1);
  out[2] = static_cast<char>(version);
  out[3] = static_cast<char>(codec);
  put_le<std::int64_t>(&out[4], expire_unix_ms);
  put_le<std::int64_t>(&out[12], write_unix_ms);
  put_le<std::uint32_t>(&out[20], static_cast<std::uint32_t>(body.size()));
  if (!body.empty()) std::memcpy(&out[kHeaderSize], body.data(), body.size());
  const std::uint32_t crc = crc32c(std::string_view(out).substr(kHeaderSize), crc32c(std::string_view(out.data(), kCrcOffset)));
  put_le<std::uint32_t>(&out[kCrcOffset], crc);
  return out;
}

}  // namespace

std::string make_entry(Id codec, std::int64_t expire_unix_ms, std::int64_t write_unix_ms, std::string_view body) {
  return make_versioned(kFormatVersion, codec, expire_unix_ms, write_unix_ms, body);
}

std::string make_negative_entry(Id codec, std::int64_t expire_unix_ms, std::int64_t write_unix_ms) {
  return make_versioned(kNegativeFormatVersion, codec, expire_unix_ms, write_unix_ms, {});
}

Result<EntryView> parse_entry(std::string_view bytes) {
  if (bytes.size() < kHeaderSize) return fail(errc::decode_error);
  const char* p = bytes.data();
  if (static_cast<unsigned char>(p[0]) != kMagic0 || static_cast<unsigned char>(p[1]) != kMagic1 ||
      !known_version(static_cast<std::uint8_t>(p[2])) || !known_codec(static_cast<std::uint8_t>(p[3])))
    return fail(errc::decode_error);
  const auto body_len = get_le<std::uint32_t>(p + 20);
  if (bytes.size() - kHeaderSize != body_len) return fail(errc::decode_error);
  const bool negative = static_cast<std::uint8_t>(p[2]) == kNegativeFormatVersion;
  if (negative && body_len != 0) return fail(errc::decode_error);
  const std::uint32_t crc = crc32c(bytes.substr(kHeaderSize), crc32c(bytes.substr(0, kCrcOffset)));
  if (crc != get_le<std::uint32_t>(p + kCrcOffset)) return fail(errc::decode_error);
  EntryView v;
  v.codec = static_cast<Id>(p[3]);
  v.expire_unix_ms = get_le<std::int64_t>(p + 4);
  v.write_unix_ms = get_le<std::int64_t>(p + 12);
  // Unix times before 1970 are never written; refusing them keeps remaining_ms() overflow-free.
  if (v.expire_unix_ms < 0 || v.write_unix_ms < 0) return fail(errc::decode_error);
  v.body = bytes.substr(kHeaderSize);
  v.negative = negative;
  return v;
}

}  // namespace cacheme::codec

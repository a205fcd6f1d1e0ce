/// @file entry_header.hpp
/// The header in front of every remote entry (DESIGN.md §5), so a reader knows the remaining
/// lifetime without a second command and detects truncated, damaged or foreign bytes.
///
/// Layout, 28 bytes, integers little-endian:
///   offset 0  u16 magic 0xCA 0xC4 ("cacheme")      offset 2  u8  format version (1 or 2)
///   offset 3  u8  codec id (codec::Id)              offset 4  i64 absolute expiry, Unix ms (0: never)
///   offset 12 i64 write time, Unix ms               offset 20 u32 body length
///   offset 24 u32 CRC-32C over bytes 0..23 and the body
/// then the body (the codec's bytes).
///
/// Format version 1 is a value; version 2 is a *negative entry*: the source has no value for the
/// key (a loader's `errc::not_found`, cached for the node's `negative_ttl`), and its body is
/// empty. Values are still written as version 1, so readers that predate negative entries read
/// every value and take a negative entry for a damaged one (a miss and a reload: safe).
/// The expiry is the entry's fresh-until time; a node with a grace period (`stale_for`) stores
/// it with a TTL of fresh + grace and may still serve it, marked stale, while the source fails.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cacheme/codec/erased_codec.hpp"
#include "cacheme/result.hpp"

namespace cacheme::codec {

/// The size of the header in front of every body.
inline constexpr std::size_t kHeaderSize = 28;
/// The header's format version, byte 2.
inline constexpr std::uint8_t kFormatVersion = 1;
/// The format version of a negative entry (the source has no value; empty body), byte 2.
inline constexpr std::uint8_t kNegativeFormatVersion = 2;

/// A parsed entry; `body` points into the bytes given to `parse_entry`.
struct EntryView {
  Id codec = Id::raw;               ///< the codec that wrote the body
  std::int64_t expire_unix_ms = 0;  ///< 0: never expires
  std::int64_t write_unix_ms = 0;   ///< when it was written, Unix ms
  std::string_view body;            ///< the codec's bytes
  bool negative = false;            ///< a negative entry: the source has no value (body empty)

  /// Remaining lifetime in ms at `now_unix_ms`: -1 when it never expires, 0 when expired.
  std::int64_t remaining_ms(std::int64_t now_unix_ms) const {
    if (expire_unix_ms == 0) return -1;
    return now_unix_ms >= expire_unix_ms ? 0 : expire_unix_ms - std::max<std::int64_t>(now_unix_ms, 0);
  }
};

/// Header + body as one string.
std::string make_entry(Id codec, std::int64_t expire_unix_ms, std::int64_t write_unix_ms, std::string_view body);

/// A negative entry (format version 2, empty body) for a node whose codec is `codec`.
std::string make_negative_entry(Id codec, std::int64_t expire_unix_ms, std::int64_t write_unix_ms);

/// Checks magic, version, length and CRC; `errc::decode_error` on any mismatch.
Result<EntryView> parse_entry(std::string_view bytes);

/// CRC-32C (Castagnoli) of `data`, continuing from `crc` (0 to start).
std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0);

}  // namespace cacheme::codec

// libFuzzer: parse_entry on untrusted bytes. Whatever parses must re-encode to the same bytes
// (the header has one encoding; a negative entry, format version 2, has an empty body), and its lifetime arithmetic must stay in range.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cacheme/codec/entry_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cacheme::codec;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto entry = parse_entry(bytes);
  if (!entry) return 0;
  const std::string again = entry->negative
                                ? make_negative_entry(entry->codec, entry->expire_unix_ms, entry->write_unix_ms)
                                : make_entry(entry->codec, entry->expire_unix_ms, entry->write_unix_ms, entry->body);
  if (again != bytes || (entry->negative && !entry->body.empty())) std::abort();
  if (entry->expire_unix_ms < 0 || entry->write_unix_ms < 0) std::abort();
  // Clocks read Unix time, never before 1970 (remaining_ms(now) requires now >= 0).
  for (const std::int64_t now : {std::int64_t{0}, entry->write_unix_ms, INT64_MAX}) {
    const std::int64_t left = entry->remaining_ms(now);
    if (left < -1 || (entry->expire_unix_ms == 0) != (left == -1)) std::abort();
  }
  return 0;
}

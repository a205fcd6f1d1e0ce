// Inputs the fuzzers found (tests/fuzz/regressions/<target>/), replayed in every build, g++
// included. Each is here as bytes so this test needs no files; keep both copies in sync.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "cacheme/codec/codec.hpp"
#include "codec/payload.hpp"

namespace cacheme::codec {
namespace {

// entry_header_fuzz/remaining-ms-negative-now: expiry 5, write time 1. The harness asked for
// remaining_ms(INT64_MIN) and 5 - INT64_MIN overflowed: remaining_ms needs now >= 0 (a Unix
// clock). parse_entry now also refuses negative stored times, so only `now` could overflow.
const std::string kSmallTimes(
    "\xca\xc4\x01\x01\x05\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x92\xf6\xb8\x73",
    28);

// json_decode_fuzz/float-into-narrow-int: "-9.23", a NUL, then junk. nlohmann stops at the NUL
// (so the junk was accepted) and static_casts -9.23 into an unsigned field (undefined).
const std::string kFloatThenNul("-9.23\x00" "7203685<775A808]", 22);

TEST_CASE("fuzz regression: remaining lifetime at the ends of the clock", "[codec][fuzz_regression]") {
  const auto entry = parse_entry(kSmallTimes);
  REQUIRE(entry);
  CHECK(entry->remaining_ms(0) == 5);
  CHECK(entry->remaining_ms(INT64_MAX) == 0);
  std::string negative = make_entry(Id::raw, 5, 1, "");
  negative[19] = '\x80';  // write time < 0, CRC left stale: refused either way
  CHECK_FALSE(parse_entry(negative));
}

TEST_CASE("fuzz regression: JSON with a NUL byte", "[codec][fuzz_regression]") {
  CHECK_FALSE(decode<double>(Id::json, kFloatThenNul));
  CHECK_FALSE(decode<std::optional<std::int64_t>>(Id::json, kFloatThenNul));
  CHECK_FALSE(decode<std::string>(Id::json, std::string("\"a\"\0", 4)));
  CHECK(*decode<std::string>(Id::json, "\"a\\u0000b\"") == std::string("a\0b", 3));  // escaped NUL is fine
}

}  // namespace
}  // namespace cacheme::codec

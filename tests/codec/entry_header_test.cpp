// The 28-byte entry header: fields, remaining lifetime, and every kind of damage refused.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "cacheme/codec/codec.hpp"
#include "cacheme/codec/entry_header.hpp"

namespace cacheme::codec {
namespace {

constexpr std::int64_t kWrite = 1'700'000'000'000;  // Unix ms
constexpr std::int64_t kExpire = kWrite + 60'000;

// True when `r` is the error `e`; false (not a crash) when it holds a value.
template <class R>
bool is_error(const R& r, errc e) {
  return !r && r.error() == e;
}
template <class R>
bool refused(const R& r) {
  return is_error(r, errc::decode_error);
}
template <class R>
bool refused_encode(const R& r) {
  return is_error(r, errc::encode_error);
}

// Recomputes the CRC after a deliberate edit, so that only the check under test can refuse it.
void reseal(std::string& entry) {
  const std::uint32_t crc = crc32c(std::string_view(entry).substr(kHeaderSize), crc32c(std::string_view(entry).substr(0, 24)));
  for (int i = 0; i < 4; ++i) entry[24 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
}

TEST_CASE("crc32c matches the Castagnoli check value", "[entry]") {
  CHECK(crc32c("123456789") == 0xE3069283u);
  CHECK(crc32c("") == 0u);
  CHECK(crc32c("56789", crc32c("1234")) == 0xE3069283u);  // continues across pieces
  const std::string long_text(1000, 'x');                  // the 8-byte fast path
  CHECK(crc32c(long_text) == crc32c(long_text.substr(3), crc32c(long_text.substr(0, 3))));
}

TEST_CASE("an entry round-trips its fields and body", "[entry]") {
  const std::string entry = make_entry(Id::msgpack_zstd, kExpire, kWrite, "body bytes");
  REQUIRE(entry.size() == kHeaderSize + 10);
  const auto view = parse_entry(entry);
  REQUIRE(view);
  CHECK(view->codec == Id::msgpack_zstd);
  CHECK(view->expire_unix_ms == kExpire);
  CHECK(view->write_unix_ms == kWrite);
  CHECK(view->body == "body bytes");
  CHECK(view->body.data() == entry.data() + kHeaderSize);  // a view, no copy
  CHECK(parse_entry(make_entry(Id::raw, 0, kWrite, ""))->body.empty());
}

TEST_CASE("the byte layout is the documented one", "[entry]") {
  const std::string e = make_entry(Id::json, 0x0102030405060708, 0x1112131415161718, "xyz");
  CHECK(static_cast<unsigned char>(e[0]) == 0xCA);
  CHECK(static_cast<unsigned char>(e[1]) == 0xC4);
  CHECK(e[2] == kFormatVersion);
  CHECK(e[3] == static_cast<char>(Id::json));
  CHECK(e.substr(4, 8) == "\x08\x07\x06\x05\x04\x03\x02\x01");
  CHECK(e.substr(12, 8) == "\x18\x17\x16\x15\x14\x13\x12\x11");
  CHECK(e.substr(20, 4) == std::string("\x03\x00\x00\x00", 4));
  CHECK(e.substr(28) == "xyz");
}

TEST_CASE("remaining lifetime from the header alone", "[entry][ttl]") {
  const auto view = *parse_entry(make_entry(Id::json, kExpire, kWrite, "{}"));
  CHECK(view.remaining_ms(kWrite) == 60'000);
  CHECK(view.remaining_ms(kWrite + 59'999) == 1);
  CHECK(view.remaining_ms(kExpire) == 0);  // expired at its expiry instant
  CHECK(view.remaining_ms(kExpire + 1) == 0);
  CHECK(view.remaining_ms(0) == kExpire);  // a reader with a clock far behind
  const auto forever = *parse_entry(make_entry(Id::json, 0, kWrite, "{}"));
  CHECK(forever.remaining_ms(kWrite) == -1);
  CHECK(forever.remaining_ms(INT64_MAX) == -1);
}

TEST_CASE("every single-bit flip is refused", "[entry][damage]") {
  const std::string entry = make_entry(Id::msgpack, kExpire, kWrite, "some body of a few bytes");
  for (std::size_t i = 0; i < entry.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = entry;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      INFO("byte " << i << " bit " << bit);
      REQUIRE_FALSE(parse_entry(damaged));
      CHECK(refused(parse_entry(damaged)));
    }
  }
}

TEST_CASE("every truncation and any extension is refused", "[entry][damage]") {
  const std::string entry = make_entry(Id::json_zlib, kExpire, kWrite, "0123456789");
  for (std::size_t n = 0; n < entry.size(); ++n) {
    INFO("length " << n);
    REQUIRE_FALSE(parse_entry(entry.substr(0, n)));
  }
  CHECK_FALSE(parse_entry(entry + '\0'));
}

TEST_CASE("foreign headers are refused even with a valid CRC", "[entry][damage]") {
  const std::string entry = make_entry(Id::json, kExpire, kWrite, "[1]");
  const auto edited = [&](std::size_t offset, char value) {
    std::string e = entry;
    e[offset] = value;
    reseal(e);
    return e;
  };
  CHECK(refused(parse_entry(edited(0, 'x'))));  // magic
  CHECK(refused(parse_entry(edited(1, 'x'))));
  CHECK(refused(parse_entry(edited(2, 3))));  // a future format version
  CHECK(refused(parse_entry(edited(2, 2))));  // a negative entry never has a body
  CHECK(refused(parse_entry(edited(2, 0))));
  CHECK(refused(parse_entry(edited(3, 0))));  // codec ids 0 and 10+ are unknown
  CHECK(refused(parse_entry(edited(3, 10))));
  CHECK(refused(parse_entry(edited(20, 4))));   // body length says 4, body is 3
  CHECK(refused(parse_entry(edited(11, '\x80'))));  // negative expiry
  CHECK(refused(parse_entry(edited(19, '\x80'))));  // negative write time
  CHECK(parse_entry(edited(3, static_cast<char>(Id::msgpack))));    // sanity: another known codec parses
  CHECK(refused(parse_entry("plain text written by someone else")));
}

TEST_CASE("parse_entry_as refuses another codec's entries", "[entry]") {
  const std::string entry = make_entry(Id::json, kExpire, kWrite, "[1]");
  CHECK(parse_entry_as(Id::json, entry));
  CHECK(refused(parse_entry_as(Id::json_zlib, entry)));
  CHECK(refused(parse_entry_as(Id::msgpack, entry)));
}

TEST_CASE("a value survives header, codec and compression end to end", "[entry]") {
  const std::vector<int> value{1, 2, 3};
  for (const Id id : {Id::json, Id::msgpack_zlib, Id::msgpack_zstd}) {
    const std::string entry = make_entry(id, kExpire, kWrite, *encode(id, value));
    const auto view = parse_entry_as(id, entry);
    REQUIRE(view);
    CHECK(*decode<std::vector<int>>(id, view->body) == value);
  }
}

TEST_CASE("a negative entry is format version 2 with an empty body; values stay version 1", "[entry]") {
  const std::string neg = make_negative_entry(Id::msgpack, kExpire, kWrite);
  CHECK(neg.size() == kHeaderSize);
  CHECK(neg[2] == kNegativeFormatVersion);
  const auto view = parse_entry(neg);
  REQUIRE(view);
  CHECK(view->negative);
  CHECK(view->codec == Id::msgpack);
  CHECK(view->expire_unix_ms == kExpire);
  CHECK(view->body.empty());
  const auto value = parse_entry(make_entry(Id::msgpack, kExpire, kWrite, "x"));
  REQUIRE(value);
  CHECK_FALSE(value->negative);
  CHECK(make_entry(Id::msgpack, kExpire, kWrite, "x")[2] == kFormatVersion);  // old readers read values
}

}  // namespace
}  // namespace cacheme::codec

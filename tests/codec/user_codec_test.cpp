// User codecs: the reserved id range, registration clashes, and the same entry header, CRC and
// decode-error rules as the built-in codecs, with the example's Point codec.
#include <catch2/catch.hpp>
#include <stdexcept>

#include "../../examples/point_codec.hpp"
#include "cacheme/codec/codec.hpp"

using namespace cacheme;
using namespace cacheme::codec;

namespace {

// Registered once for the whole binary (the table is process-wide).
const bool registered = [] { return point::register_codec().has_value(); }();

Result<point::Point> decode_entry(std::string_view bytes) {
  auto entry = parse_entry_as(point::kCodecId, bytes);
  if (!entry) return fail(entry.error());
  auto value = make_codec<point::Point>(point::kCodecId).decode(entry->body);
  if (!value) return fail(value.error());
  return *std::static_pointer_cast<const point::Point>(*value);
}

}  // namespace

TEST_CASE("a user codec registers in the reserved range only, once", "[codec][user]") {
  REQUIRE(registered);
  CHECK(is_registered(point::kCodecId));
  CHECK(name(point::kCodecId) == "point_v1");
  CHECK(parse_id("point_v1") == point::kCodecId);
  const UserCodec<point::Point> other{.name = "other", .encode = point::encode, .decode = point::decode};
  CHECK(register_codec<point::Point>(point::kCodecId, other).error() == errc::duplicate_name);  // id taken
  auto same_name = other;
  same_name.name = "point_v1";
  CHECK(register_codec<point::Point>(user_id(201), same_name).error() == errc::duplicate_name);
  same_name.name = "msgpack_zlib";  // a built-in codec's name
  CHECK(register_codec<point::Point>(user_id(201), same_name).error() == errc::duplicate_name);
  CHECK(register_codec<point::Point>(Id::msgpack, other).error() == errc::invalid_argument);
  CHECK(register_codec<point::Point>(static_cast<Id>(127), other).error() == errc::invalid_argument);
  CHECK(register_codec<point::Point>(user_id(202), UserCodec<point::Point>{.name = "no_functions"}).error() ==
        errc::invalid_argument);
  CHECK_FALSE(is_registered(user_id(201)));
}

TEST_CASE("a user codec's entries round-trip with the header and CRC", "[codec][user]") {
  REQUIRE(registered);
  CHECK(supports<point::Point>(point::kCodecId));
  CHECK_FALSE(supports<std::string>(point::kCodecId));  // registered for Point only
  const point::Point p{3, -4, "corner"};
  auto body = make_codec<point::Point>(point::kCodecId).encode(&p);
  REQUIRE(body);
  const std::string entry = make_entry(point::kCodecId, 0, 1000, *body);
  CHECK(static_cast<unsigned char>(entry[3]) == 200);  // the id is in the header
  CHECK(decode_entry(entry) == p);

  std::string flipped = entry;
  flipped.back() ^= 1;  // the CRC covers the body
  CHECK(decode_entry(flipped).error() == errc::decode_error);
  CHECK(decode_entry(entry.substr(0, entry.size() - 1)).error() == errc::decode_error);
  // An entry of another codec, and one of a user id nobody registered, are decode errors.
  CHECK(decode_entry(make_entry(Id::raw, 0, 1000, *body)).error() == errc::decode_error);
  CHECK(parse_entry(make_entry(user_id(250), 0, 1000, *body)).error() == errc::decode_error);
}

TEST_CASE("a user codec's failures are encode and decode errors, exceptions included", "[codec][user]") {
  REQUIRE(registered);
  const ErasedCodec codec = make_codec<point::Point>(point::kCodecId);
  CHECK(codec.decode("short").error() == errc::decode_error);
  CHECK(codec.decode(std::string(10, '\xff')).error() == errc::decode_error);  // a length past the end
  const ErasedCodec wrong_type = make_codec<std::string>(point::kCodecId);
  const std::string s = "x";
  CHECK(wrong_type.encode(&s).error() == errc::encode_error);
  CHECK(make_codec<point::Point>(user_id(251)).encode(&s).error() == errc::encode_error);  // unregistered

  const UserCodec<int> throwing{.name = "throwing",
                                .encode = [](const int&) -> Result<std::string> { throw std::runtime_error("no"); },
                                .decode = [](std::string_view) -> Result<int> { throw std::runtime_error("no"); }};
  REQUIRE(register_codec<int>(user_id(252), throwing));
  const int one = 1;
  CHECK(make_codec<int>(user_id(252)).encode(&one).error() == errc::encode_error);
  CHECK(make_codec<int>(user_id(252)).decode("x").error() == errc::decode_error);
  // The built-in free functions do not know user codecs: they refuse the id.
  CHECK(encode(point::kCodecId, std::string("x")).error() == errc::encode_error);
}

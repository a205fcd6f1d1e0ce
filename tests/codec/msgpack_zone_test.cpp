// msgpack decoding unpacks into a zone that each thread reuses (detail::DecodeZone): values
// decoded one after another, after a failed decode, and inside another decode stay intact.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cacheme/codec/msgpack.hpp"

namespace cacheme::codec {
namespace {

template <class T>
std::string packed(const T& value) {
  auto bytes = encode_msgpack(value);
  REQUIRE(bytes);
  return *bytes;
}

TEST_CASE("msgpack: decodes one after another on the reused zone", "[codec][msgpack]") {
  for (int i = 0; i < 200; ++i) {
    const std::vector<std::string> value{std::string(50 + i, 'a' + i % 26), std::to_string(i)};
    auto back = decode_msgpack<std::vector<std::string>>(packed(value));
    REQUIRE(back);
    CHECK(*back == value);
    if (i % 10 == 0) {  // a failure in between leaves the zone usable
      CHECK_FALSE(decode_msgpack<std::vector<std::string>>(std::string("\x92\xa5" "ab", 4)));
      CHECK_FALSE(decode_msgpack<int>(packed(std::string("not an int"))));
    }
  }
  const std::string big(100000, 'x');  // larger than the zone's first chunk
  auto back = decode_msgpack<std::string>(packed(big));
  REQUIRE(back);
  CHECK(*back == big);
  CHECK(decode_msgpack<std::string>(packed(std::string("small"))).value() == "small");
}

TEST_CASE("msgpack: a decode inside another does not clear the outer one's zone", "[codec][msgpack]") {
  const std::vector<std::string> outer_value{std::string(40, 'o'), std::string(40, 'p')};
  detail::DecodeZone outer;  // as if a conversion of the outer object were running
  auto object = detail::unpack_msgpack(packed(outer_value), outer.get());
  REQUIRE(object);
  // Same sizes, other bytes, twice: on a shared zone the first inner decode would clear it
  // and the second would be unpacked over the outer strings.
  const std::vector<std::string> inner_value{std::string(40, 'i'), std::string(40, 'j')};
  for (int i = 0; i < 2; ++i) {
    auto inner = decode_msgpack<std::vector<std::string>>(packed(inner_value));
    REQUIRE(inner);
    CHECK(*inner == inner_value);
  }
  CHECK(object->as<std::vector<std::string>>() == outer_value);
}

}  // namespace
}  // namespace cacheme::codec

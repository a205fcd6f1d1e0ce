// Every codec x compression round-trips every supported type; unsupported pairs fail cleanly.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cacheme/codec/codec.hpp"
#include "codec/payload.hpp"

namespace cacheme::codec {
namespace {

// A user type with both libraries' adaptors, one of them hand-written.
struct Point {
  int x = 0;
  int y = 0;
  MSGPACK_DEFINE(x, y)
  bool operator==(const Point&) const = default;
};
void to_json(nlohmann::json& j, const Point& p) { j = {{"x", p.x}, {"y", p.y}}; }
void from_json(const nlohmann::json& j, Point& p) {
  j.at("x").get_to(p.x);
  j.at("y").get_to(p.y);
}

// Nested user types, optional members, containers of user types.
struct Shape {
  std::string name;
  std::vector<Point> points;
  std::optional<Point> center;
  std::map<std::string, std::optional<double>> weights;
  MSGPACK_DEFINE(name, points, center, weights)
  bool operator==(const Shape&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Shape, name, points, center, weights)

// Only JSON knows this type: msgpack ids must refuse it at runtime, not fail to compile.
struct JsonOnly {
  int v = 0;
  bool operator==(const JsonOnly&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(JsonOnly, v)

// Encodes and decodes `value` under every id: supported ids give it back (through the typed
// API and through make_codec), the others fail with encode_error / decode_error.
template <class T>
void check_round_trip(const T& value) {
  for (const Id id : kAllIds) {
    INFO("codec " << name(id));
    auto body = encode(id, value);
    if (!supports<T>(id)) {
      REQUIRE_FALSE(body);
      CHECK(body.error() == errc::encode_error);
      CHECK_FALSE(decode<T>(id, "anything"));
      continue;
    }
    REQUIRE(body);
    auto back = decode<T>(id, *body);
    REQUIRE(back);
    CHECK(*back == value);

    const ErasedCodec codec = make_codec<T>(id);
    CHECK(codec.id == id);
    auto erased_body = codec.encode(&value);
    REQUIRE(erased_body);
    CHECK(*erased_body == *body);
    auto erased_back = codec.decode(*erased_body);
    REQUIRE(erased_back);
    CHECK(*static_cast<const T*>(erased_back->get()) == value);
  }
}

TEST_CASE("numbers round-trip", "[codec][round_trip]") {
  check_round_trip(0);
  check_round_trip(std::numeric_limits<int>::min());
  check_round_trip(std::numeric_limits<std::int64_t>::max());
  check_round_trip(std::numeric_limits<std::uint64_t>::max());
  check_round_trip(-0.5);
  check_round_trip(3.141592653589793);
  check_round_trip(-1.5e18);  // JSON refuses floats of magnitude 2^63 and more (see rejection tests)
  check_round_trip(true);
}

TEST_CASE("strings and bytes round-trip, raw included", "[codec][round_trip]") {
  check_round_trip(std::string());
  check_round_trip(std::string("hello, cache"));
  check_round_trip(std::string(100'000, 'z'));
  check_round_trip(std::string("caf\xC3\xA9 \xE2\x82\xAC"));  // UTF-8
  check_round_trip(std::vector<unsigned char>{0, 1, 2, 255});
  check_round_trip(std::vector<char>{'\0', 'a', '\xFF'});
  check_round_trip(std::vector<std::byte>{std::byte{0}, std::byte{0x80}});
}

TEST_CASE("raw bodies are the bytes themselves", "[codec][raw]") {
  const std::string text("\0\x01 binary \xFF", 11);
  CHECK(*encode(Id::raw, text) == text);
  const std::vector<std::byte> bytes{std::byte{0xCA}, std::byte{0xC4}};
  CHECK(*encode(Id::raw, bytes) == "\xCA\xC4");
  CHECK(*decode<std::string>(Id::raw, text) == text);
}

TEST_CASE("containers and optionals round-trip", "[codec][round_trip]") {
  check_round_trip(std::vector<int>{});
  check_round_trip(std::vector<int>{1, -2, 3});
  check_round_trip(std::vector<std::string>{"a", "", "c"});
  check_round_trip(std::map<std::string, std::vector<double>>{{"a", {1.5}}, {"b", {}}});
  check_round_trip(std::unordered_map<std::string, int>{{"x", 1}, {"y", 2}});
  check_round_trip(std::optional<int>{});
  check_round_trip(std::optional<int>{7});
  check_round_trip(std::optional<std::string>{"present"});
  check_round_trip(std::vector<std::optional<int>>{1, std::nullopt, 3});
}

TEST_CASE("user types and nested structs round-trip", "[codec][round_trip]") {
  check_round_trip(Point{3, -4});
  check_round_trip(Shape{"tri", {{0, 0}, {1, 0}, {0, 1}}, Point{1, 1}, {{"a", 0.25}, {"b", std::nullopt}}});
  check_round_trip(Shape{});
  check_round_trip(JsonOnly{5});
  check_round_trip(testing::make_record(1, testing::kSmallEntries));
  check_round_trip(testing::make_record(2, testing::kLargeEntries));
}

TEST_CASE("support is decided by the type", "[codec]") {
  STATIC_REQUIRE(supports<std::string>(Id::raw_zstd));
  STATIC_REQUIRE_FALSE(supports<int>(Id::raw));
  STATIC_REQUIRE(supports<JsonOnly>(Id::json_zlib));
  STATIC_REQUIRE_FALSE(supports<JsonOnly>(Id::msgpack));
  STATIC_REQUIRE(supports<testing::Record>(Id::msgpack_zstd));
}

TEST_CASE("the payload generator is deterministic and sized as documented", "[codec][payload]") {
  CHECK(testing::make_record(9, 20) == testing::make_record(9, 20));
  CHECK_FALSE(testing::make_record(9, 20) == testing::make_record(10, 20));
  const auto json_size = [](std::size_t entries) { return encode(Id::json, testing::make_record(1, entries))->size(); };
  CHECK(json_size(testing::kSmallEntries) == Approx(1'000).epsilon(0.1));
  CHECK(json_size(testing::kMediumEntries) == Approx(15'000).epsilon(0.1));
  CHECK(json_size(testing::kLargeEntries) == Approx(56'000).epsilon(0.1));
}

TEST_CASE("compression shrinks the payload", "[codec][compression]") {
  const auto record = testing::make_record(3, testing::kLargeEntries);
  for (const Format f : {Format::json, Format::msgpack}) {
    const Id plain = f == Format::json ? Id::json : Id::msgpack;
    const Id zlib = f == Format::json ? Id::json_zlib : Id::msgpack_zlib;
    const Id zstd = f == Format::json ? Id::json_zstd : Id::msgpack_zstd;
    const auto size = [&](Id id) { return encode(id, record)->size(); };
    CHECK(size(zlib) < size(plain) / 2);
    CHECK(size(zstd) < size(plain) / 2);
  }
}

TEST_CASE("codec names parse back", "[codec][id]") {
  for (const Id id : kAllIds) CHECK(parse_id(name(id)) == id);
  CHECK(parse_id("pickle") == std::nullopt);
  CHECK(format_of(Id::msgpack_zlib) == Format::msgpack);
  CHECK(compression_of(Id::json_zstd) == Compression::zstd);
}

}  // namespace
}  // namespace cacheme::codec

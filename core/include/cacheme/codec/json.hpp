/// @file json.hpp
/// The JSON format (nlohmann-json). User types plug in with nlohmann's own adaptors, either
/// free functions found by ADL or the intrusive macro:
///
///     struct Point { int x; int y; };
///     void to_json(nlohmann::json& j, const Point& p) { j = {{"x", p.x}, {"y", p.y}}; }
///     void from_json(const nlohmann::json& j, Point& p) { j.at("x").get_to(p.x); j.at("y").get_to(p.y); }
///     // or: NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Point, x, y)
///
/// Standard containers, strings and numbers work as nlohmann defines them; this header adds
/// `std::optional` (null when empty), which nlohmann-json 3.11.2 lacks.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cacheme/codec/limits.hpp"
#include "cacheme/errc.hpp"
#include "cacheme/result.hpp"

namespace nlohmann {

/// `std::optional<T>` as JSON: `null` when empty, else `T`'s JSON.
template <class T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& value) {
    if (value) {
      j = *value;
    } else {
      j = nullptr;
    }
  }
  static void from_json(const json& j, std::optional<T>& value) {
    if (j.is_null()) {
      value.reset();
    } else {
      value = j.get<T>();
    }
  }
};

}  // namespace nlohmann

namespace cacheme::codec {

/// Types the JSON format holds: those nlohmann-json converts both ways.
template <class T>
concept JsonCodable = requires(const T& value, const nlohmann::json& j) {
  nlohmann::json(value);
  j.template get<T>();
};

namespace detail {

/// Parses untrusted JSON text: nesting deeper than `kMaxDepth`, a syntax error, invalid UTF-8 or
/// trailing bytes give `errc::decode_error`, as does a number that no C++ arithmetic type takes
/// safely (magnitude 2^63 or more, see `numbers_in_range`). Never throws.
Result<nlohmann::json> parse_json(std::string_view text);

/// Serializes a document; `errc::encode_error` for invalid UTF-8 in a string or a number the
/// reader would refuse. Never throws.
Result<std::string> dump_json(const nlohmann::json& document);

}  // namespace detail

/// `value` as JSON text; `errc::encode_error` if its `to_json` throws or its strings are not UTF-8.
template <JsonCodable T>
Result<std::string> encode_json(const T& value) {
  try {
    return detail::dump_json(nlohmann::json(value));
  } catch (const std::exception&) {
    return fail(errc::encode_error);
  }
}

/// `body` as a `T`; `errc::decode_error` for malformed text or a document of another shape
/// (a missing key, a string where a number is expected, ...). Never throws.
template <JsonCodable T>
Result<T> decode_json(std::string_view body) {
  auto document = detail::parse_json(body);
  if (!document) return fail(document.error());
  try {
    return document->template get<T>();
  } catch (const std::exception&) {
    return fail(errc::decode_error);
  }
}

}  // namespace cacheme::codec

// Untrusted JSON in, a document out, with no exception and no unbounded work escaping.
//
// nlohmann's parser is iterative, but copying or converting a document recurses once per level,
// so the nesting depth is checked first by a linear scan. The same scan refuses NUL bytes, which
// JSON text never contains raw and where nlohmann's lexer silently stops reading: "1\0junk"
// would otherwise parse as 1. Numbers are checked after parsing:
// nlohmann converts a float to an integer field with a plain static_cast, which is undefined
// behaviour when the value is out of the integer's range; a float of magnitude 2^63 or more is
// out of range of every integer type, so such documents are refused (writer and reader agree).
#include <cmath>
#include <exception>

#include "cacheme/codec/json.hpp"
#include "cacheme/codec/limits.hpp"

namespace cacheme::codec::detail {
namespace {

constexpr double kTwoPow63 = 9223372036854775808.0;

// True when `text` has no NUL byte and its [ / { nesting (outside strings) stays within `limit`.
bool scan_ok(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (c == '\0') return false;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

// True when every float in `node` is finite and below 2^63 in magnitude. Recursion is bounded
// by the depth check above.
bool numbers_in_range(const nlohmann::json& node) {
  switch (node.type()) {
    case nlohmann::json::value_t::number_float: {
      const double v = node.get_ref<const nlohmann::json::number_float_t&>();
      return std::isfinite(v) && std::fabs(v) < kTwoPow63;
    }
    case nlohmann::json::value_t::array:
    case nlohmann::json::value_t::object:
      for (const auto& child : node)
        if (!numbers_in_range(child)) return false;
      return true;
    default:
      return true;
  }
}

}  // namespace

Result<nlohmann::json> parse_json(std::string_view text) {
  if (text.size() > kMaxDecodedSize || !scan_ok(text, kMaxDepth)) return fail(errc::decode_error);
  try {
    // allow_exceptions = false: a syntax error yields a `discarded` value instead of throwing.
    auto document = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (document.is_discarded() || !numbers_in_range(document)) return fail(errc::decode_error);
    return document;
  } catch (const std::exception&) {  // bad_alloc
    return fail(errc::decode_error);
  }
}

Result<std::string> dump_json(const nlohmann::json& document) {
  if (!numbers_in_range(document)) return fail(errc::encode_error);
  try {
    return document.dump();  // throws type_error 316 on invalid UTF-8
  } catch (const std::exception&) {
    return fail(errc::encode_error);
  }
}

}  // namespace cacheme::codec::detail

// libFuzzer: one codec id's decoder (CACHEME_FUZZ_ID, e.g. json_zlib) on untrusted bytes, into
// several types. Decoding must never crash, hang or overallocate (the sanitizers and libFuzzer's
// -rss_limit_mb and -timeout check that); a Record that decodes must re-encode to stable bytes.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cacheme/codec/codec.hpp"
#include "codec/payload.hpp"

namespace {

using namespace cacheme::codec;
constexpr Id kId = Id::CACHEME_FUZZ_ID;

template <class T>
void decode_as(std::string_view body) {
  (void)decode<T>(kId, body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if constexpr (format_of(kId) == Format::raw) {
    const auto text = decode<std::string>(kId, body);
    const auto bytes = decode<std::vector<std::byte>>(kId, body);
    if (text.has_value() != bytes.has_value() || (text && text->size() != bytes->size())) std::abort();
    if (text && *encode(kId, *text) != body && compression_of(kId) == Compression::none) std::abort();
  } else {
    if (const auto record = decode<testing::Record>(kId, body)) {
      const auto again = encode(kId, *record);
      if (!again) std::abort();
      // Compared as bytes: a NaN that came in must go out the same, though NaN != NaN.
      const auto back = decode<testing::Record>(kId, *again);
      const auto twice = back ? encode(kId, *back) : decltype(again){};
      if (!twice || *twice != *again) std::abort();
    }
    decode_as<std::map<std::string, std::vector<std::optional<double>>>>(body);
    decode_as<std::vector<std::int64_t>>(body);
    // 64-bit signed integers only: nlohmann-json 3.11.2 converts a JSON float to a narrower or
    // unsigned integer with a static_cast, undefined when out of range (docs/codecs.md).
    decode_as<std::optional<std::int64_t>>(body);
    decode_as<std::string>(body);
    if constexpr (format_of(kId) == Format::json) decode_as<nlohmann::json>(body);
  }
  return 0;
}

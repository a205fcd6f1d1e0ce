#include "cacheme/codec/codec_id.hpp"

#include "cacheme/codec/user_codec.hpp"

namespace cacheme::codec {

std::string_view name(Id id) {
  switch (id) {
    case Id::raw: return "raw";
    case Id::json: return "json";
    case Id::msgpack: return "msgpack";
    case Id::raw_zlib: return "raw_zlib";
    case Id::json_zlib: return "json_zlib";
    case Id::msgpack_zlib: return "msgpack_zlib";
    case Id::raw_zstd: return "raw_zstd";
    case Id::json_zstd: return "json_zstd";
    case Id::msgpack_zstd: return "msgpack_zstd";
  }
  return detail::user_codec_name(id);  // a user codec's, or "unknown"
}

std::optional<Id> parse_id(std::string_view text) {
  for (const Id id : kAllIds)
    if (name(id) == text) return id;
  return detail::find_user_codec_named(text);
}

}  // namespace cacheme::codec

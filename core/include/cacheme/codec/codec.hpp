/// @file codec.hpp
/// The typed codec API: values of a type `T` to body bytes and back under a codec `Id`
/// (format + compression), and `make_codec<T>`, the type-erased codec a node hands the engine.
///
/// Which formats a type supports is decided at compile time (`RawCodable`, `JsonCodable`,
/// `MsgpackCodable`); asking for another one is a runtime error (`supports<T>(id)` tells in
/// advance). No exception crosses this API: failures are `errc::encode_error` and
/// `errc::decode_error`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "cacheme/codec/codec_id.hpp"
#include "cacheme/codec/compression.hpp"
#include "cacheme/codec/entry_header.hpp"
#include "cacheme/codec/erased_codec.hpp"
#include "cacheme/codec/json.hpp"
#include "cacheme/codec/msgpack.hpp"
#include "cacheme/codec/raw.hpp"
#include "cacheme/codec/user_codec.hpp"
#include "cacheme/errc.hpp"
#include "cacheme/result.hpp"

namespace cacheme::codec {

/// Whether values of `T` can be stored with codec `id`.
template <class T>
constexpr bool supports(Id id) {
  if (is_user_id(id)) return detail::user_codec_accepts(id, typeid(T));  // registered for T
  switch (format_of(id)) {
    case Format::raw: return RawCodable<T>;
    case Format::json: return JsonCodable<T>;
    case Format::msgpack: return MsgpackCodable<T>;
  }
  return false;
}

namespace detail {

// The uncompressed body of `value` in `format`.
template <class T>
Result<std::string> encode_format(Format format, const T& value) {
  switch (format) {
    case Format::raw:
      if constexpr (RawCodable<T>) return encode_raw(value);
      break;
    case Format::json:
      if constexpr (JsonCodable<T>) return encode_json(value);
      break;
    case Format::msgpack:
      if constexpr (MsgpackCodable<T>) return encode_msgpack(value);
      break;
  }
  return fail(errc::encode_error);
}

// `body` (uncompressed) as a `T` in `format`.
template <class T>
Result<T> decode_format(Format format, std::string_view body) {
  switch (format) {
    case Format::raw:
      if constexpr (RawCodable<T>) return decode_raw<T>(body);
      break;
    case Format::json:
      if constexpr (JsonCodable<T>) return decode_json<T>(body);
      break;
    case Format::msgpack:
      if constexpr (MsgpackCodable<T>) return decode_msgpack<T>(body);
      break;
  }
  return fail(errc::decode_error);
}

}  // namespace detail

/// The body of `value` under built-in codec `id` (encoded, then compressed; a user codec's
/// id: `errc::encode_error`). `errc::encode_error` when
/// `T` does not support the format or the library fails.
template <class T>
Result<std::string> encode(Id id, const T& value) {
  if (is_user_id(id)) return fail(errc::encode_error);  // user codecs: through make_codec<T>
  auto body = detail::encode_format(format_of(id), value);
  if (!body || compression_of(id) == Compression::none) return body;
  return compress(compression_of(id), *body);
}

/// `body` as a `T` under built-in codec `id` (a user codec's id: `errc::decode_error`). `body` is untrusted: truncated, damaged, oversized or
/// foreign bytes, or a value of another shape, give `errc::decode_error`; never crashes, hangs
/// or allocates more than about `kMaxDecodedSize` plus the decoded value.
template <class T>
Result<T> decode(Id id, std::string_view body) {
  if (is_user_id(id)) return fail(errc::decode_error);  // user codecs: through make_codec<T>
  if (compression_of(id) == Compression::none) return detail::decode_format<T>(format_of(id), body);
  auto plain = decompress(compression_of(id), body);
  if (!plain) return fail(plain.error());
  return detail::decode_format<T>(format_of(id), *plain);
}

/// The type-erased codec for values of `T` under `id`, as a node gives it to the engine; for a
/// user codec (user_codec.hpp), the one registered for `T` (or one that fails every call).
/// `encode` takes a `const T*` as `const void*`; `decode` returns an `AnyValue` holding a
/// `const T`. Copies are cheap and share nothing mutable: safe to call from any thread.
template <class T>
ErasedCodec make_codec(Id id) {
  if (is_user_id(id)) return detail::find_user_codec(id, typeid(T));  // register_codec<T>
  ErasedCodec codec;
  codec.id = id;
  codec.encode = [id](const void* value) -> Result<std::string> {
    if (value == nullptr) return fail(errc::encode_error);
    return encode<T>(id, *static_cast<const T*>(value));
  };
  codec.decode = [id](std::string_view body) -> Result<core::AnyValue> {
    auto value = decode<T>(id, body);
    if (!value) return fail(value.error());
    return core::AnyValue(std::make_shared<const T>(std::move(*value)));
  };
  return codec;
}

/// Parses a whole remote entry (header + body) that must have been written with codec
/// `expected`: `errc::decode_error` if the header is damaged or names another codec.
inline Result<EntryView> parse_entry_as(Id expected, std::string_view bytes) {
  auto entry = parse_entry(bytes);
  if (entry && entry->codec != expected) return fail(errc::decode_error);
  return entry;
}

}  // namespace cacheme::codec

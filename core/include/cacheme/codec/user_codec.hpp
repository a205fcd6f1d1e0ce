/// @file user_codec.hpp
/// Your own codec (protobuf, a hand-written binary format, ...): ids 128 to 255 are reserved for
/// codecs registered at run time, before the nodes that name them are built.
///
/// @code
/// constexpr cacheme::codec::Id kPointCodec = cacheme::codec::user_id(200);
/// auto ok = cacheme::codec::register_codec<Point>(kPointCodec, {.name = "point_v1",
///                                                              .encode = encode_point,
///                                                              .decode = decode_point});
/// // then, in the node: static cacheme::Meta meta() { return {.codec = kPointCodec, ...}; }
/// @endcode
///
/// A user codec gets the same treatment as the built-in ones: every remote entry keeps its
/// header (the codec id is written into it) and its CRC-32C, an entry whose header names
/// another codec, or an id nobody registered, is a decode error (a counted miss), and the body
/// is untrusted: `decode` must return an error on bytes it did not write, never crash, hang or
/// allocate without bound (the fuzz harness `tests/fuzz/user_codec_fuzz.cpp` checks a codec for
/// that). An exception thrown by `encode` or `decode` becomes `errc::encode_error` or
/// `errc::decode_error`. The id and the format of its bytes are part of what is stored: change
/// the format, change the id (or the node's version).
///
/// Threading: register during start-up. Registration and lookups are guarded by a lock, so a
/// registration while other threads encode or decode is safe; a codec is never unregistered.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>
#include <utility>

#include "cacheme/codec/erased_codec.hpp"
#include "cacheme/errc.hpp"
#include "cacheme/result.hpp"

namespace cacheme::codec {

/// The first codec id reserved for user codecs; 1 to 127 belong to cacheme.
inline constexpr std::uint8_t kFirstUserId = 128;
/// The last codec id reserved for user codecs.
inline constexpr std::uint8_t kLastUserId = 255;

/// Whether `id` is in the range reserved for user codecs.
constexpr bool is_user_id(Id id) { return static_cast<std::uint8_t>(id) >= kFirstUserId; }

/// The codec id `n` (128 to 255), to name in `register_codec` and in `Meta::codec`.
constexpr Id user_id(std::uint8_t n) { return static_cast<Id>(n); }

/// A codec for values of `T`.
template <class T>
struct UserCodec {
  std::string name{};                                           ///< for configuration strings; unique
  std::function<Result<std::string>(const T& value)> encode{};  ///< value -> body bytes
  std::function<Result<T>(std::string_view body)> decode{};     ///< untrusted body bytes -> value
};

namespace detail {

/// Stores `codec` under `id` for values of type `type`. Errors as `register_codec`.
Result<void> register_erased(Id id, std::string name, std::type_index type, ErasedCodec codec);

/// The codec registered under `id` for values of `type`: a codec that fails every call
/// (`encode_error`/`decode_error`) when `id` is not registered or holds another type.
ErasedCodec find_user_codec(Id id, std::type_index type);

/// Whether a user codec is registered under `id` for values of `type`.
bool user_codec_accepts(Id id, std::type_index type);

/// The name of the user codec `id`, or "unknown".
std::string_view user_codec_name(Id id);

/// The user codec named `name`, or nullopt.
std::optional<Id> find_user_codec_named(std::string_view name);

}  // namespace detail

/// Whether a user codec is registered under `id` (any type): `parse_entry` accepts its entries.
bool is_registered(Id id);

/// Registers `codec` under `id` for values of `T`. Refused with `errc::invalid_argument` when
/// `id` is not a user id (128 to 255), the name is empty or a function is missing; with
/// `errc::duplicate_name` when the id or the name is taken (by a user codec or a built-in one).
template <class T>
Result<void> register_codec(Id id, UserCodec<T> codec) {
  if (!codec.encode || !codec.decode) return fail(errc::invalid_argument);
  ErasedCodec erased;
  erased.id = id;
  erased.encode = [encode = std::move(codec.encode)](const void* value) -> Result<std::string> {
    if (value == nullptr) return fail(errc::encode_error);
    try {
      return encode(*static_cast<const T*>(value));
    } catch (...) {
      return fail(errc::encode_error);
    }
  };
  erased.decode = [decode = std::move(codec.decode)](std::string_view body) -> Result<core::AnyValue> {
    try {
      auto value = decode(body);
      if (!value) return fail(errc::decode_error);  // whatever the codec said: the one rule
      return core::AnyValue(std::make_shared<const T>(std::move(*value)));
    } catch (...) {
      return fail(errc::decode_error);
    }
  };
  return detail::register_erased(id, std::move(codec.name), std::type_index(typeid(T)), std::move(erased));
}

}  // namespace cacheme::codec

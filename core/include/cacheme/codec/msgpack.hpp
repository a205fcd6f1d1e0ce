/// @file msgpack.hpp
/// The msgpack format (msgpack-cxx, with MSGPACK_NO_BOOST). User types plug in with
/// msgpack-cxx's own adaptors:
///
///     struct Point {
///       int x = 0;
///       int y = 0;
///       MSGPACK_DEFINE(x, y)  // stored as the array [x, y]
///     };
///
/// Arithmetic types, `std::string`, `std::optional`, `std::vector`, `std::array`, `std::map`,
/// `std::unordered_map`, `std::set`, `std::pair` and `std::tuple` of those work as they are. A
/// type with a hand-written `msgpack::adaptor` specialization (or `MSGPACK_ADD_ENUM`) opts in
/// with `template <> inline constexpr bool cacheme::codec::kMsgpackAdaptor<MyType> = true;`.
#pragma once

#include <array>
#include <cstddef>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "cacheme/errc.hpp"
#include "cacheme/result.hpp"

namespace cacheme::codec {

/// Set to true for a type that has its own `msgpack::adaptor` pack and convert specializations.
template <class T>
inline constexpr bool kMsgpackAdaptor = false;

namespace detail {

// Whether msgpack-cxx can pack and convert T. msgpack-cxx's fallback adaptor calls member
// functions and fails to compile for other types, so the answer is spelled out here instead.
template <class T>
struct MsgpackTraits {
  static constexpr bool kValue = (std::is_arithmetic_v<T> && !std::is_same_v<T, long double>) ||
                                 kMsgpackAdaptor<T> ||
                                 requires(T& v, const T& cv, const msgpack::object& o, msgpack::packer<msgpack::sbuffer>& p) {
                                   v.msgpack_unpack(o);  // MSGPACK_DEFINE
                                   cv.msgpack_pack(p);
                                 };
};
template <>
struct MsgpackTraits<std::string> {
  static constexpr bool kValue = true;
};
template <class T>
struct MsgpackTraits<std::optional<T>> : MsgpackTraits<T> {};
template <class T, class A>
struct MsgpackTraits<std::vector<T, A>> : MsgpackTraits<T> {};
template <class T, std::size_t N>
struct MsgpackTraits<std::array<T, N>> : MsgpackTraits<T> {};
template <class T, class C, class A>
struct MsgpackTraits<std::set<T, C, A>> : MsgpackTraits<T> {};
template <class K, class V, class C, class A>
struct MsgpackTraits<std::map<K, V, C, A>> {
  static constexpr bool kValue = MsgpackTraits<K>::kValue && MsgpackTraits<V>::kValue;
};
template <class K, class V, class H, class E, class A>
struct MsgpackTraits<std::unordered_map<K, V, H, E, A>> {
  static constexpr bool kValue = MsgpackTraits<K>::kValue && MsgpackTraits<V>::kValue;
};
template <class A, class B>
struct MsgpackTraits<std::pair<A, B>> {
  static constexpr bool kValue = MsgpackTraits<A>::kValue && MsgpackTraits<B>::kValue;
};
template <class... Ts>
struct MsgpackTraits<std::tuple<Ts...>> {
  static constexpr bool kValue = (MsgpackTraits<Ts>::kValue && ...);
};

// Appends packed bytes to a string (msgpack-cxx's Stream concept: write(const char*, size_t)).
struct StringSink {
  std::string& out;
  void write(const char* data, std::size_t size) { out.append(data, size); }
};

/// The zone a decode unpacks into: this thread's, lent for the decode and cleared after it
/// (its first 8 KiB chunk stays), so that decoding a value allocates no zone. msgpack-cxx's
/// `unpack` gives each call a zone of its own, a 8 KiB allocation per decoded value: a large
/// one, which also makes glibc's malloc merge its free small blocks every time. A decode
/// nested in another on the same thread (a conversion that decodes) gets a zone of its own.
class DecodeZone {
 public:
  /// Takes this thread's zone, or makes one of its own when the thread's is lent already.
  DecodeZone();
  /// Clears the thread's zone and gives it back (a zone of its own just dies).
  ~DecodeZone();
  DecodeZone(const DecodeZone&) = delete;
  DecodeZone& operator=(const DecodeZone&) = delete;
  /// The zone to unpack into, valid until this object dies.
  msgpack::zone& get() noexcept { return *zone_; }

 private:
  msgpack::zone* zone_;
  std::optional<msgpack::zone> own_;  // only when the thread's zone is lent already
};

/// Unpacks untrusted bytes into one msgpack object in `zone`: exactly one object spanning the
/// whole input, with element counts bounded by the input's size and nesting by `kMaxDepth`;
/// otherwise `errc::decode_error`. Never throws.
Result<msgpack::object> unpack_msgpack(std::string_view body, msgpack::zone& zone);

}  // namespace detail

/// Types the msgpack format holds (see the file comment).
template <class T>
concept MsgpackCodable = detail::MsgpackTraits<T>::kValue;

/// `value` packed; `errc::encode_error` if packing throws (a string over 4 GiB, ...).
template <MsgpackCodable T>
Result<std::string> encode_msgpack(const T& value) {
  std::string out;
  try {
    detail::StringSink sink{out};
    msgpack::pack(sink, value);
  } catch (const std::exception&) {
    return fail(errc::encode_error);
  }
  return out;
}

/// `body` as a `T`; `errc::decode_error` for malformed bytes or an object of another shape
/// (a string where an integer is expected, an integer out of range, ...). Never throws.
template <MsgpackCodable T>
Result<T> decode_msgpack(std::string_view body) {
  try {
    detail::DecodeZone zone;  // may allocate (a thread's first decode, a nested one)
    auto object = detail::unpack_msgpack(body, zone.get());
    if (!object) return fail(object.error());
    return object->template as<T>();
  } catch (const std::exception&) {
    return fail(errc::decode_error);
  }
}

}  // namespace cacheme::codec

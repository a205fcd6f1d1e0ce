/// @file hash.hpp
/// Seeded hashing of the keys the policies hold, and the key traits that let one policy
/// template serve both the engine (string keys) and the simulator (integer keys).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "cacheme/local/small_key.hpp"

namespace cacheme::local {

/// A strong 64-bit finalizer (the MurmurHash3 `fmix64` constants as tuned for SplitMix64):
/// every input bit affects every output bit, so low and high bits are both usable.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

namespace detail {

/// The folded 128-bit product of `a` and `b` (wyhash's `mum`).
inline std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) noexcept {
  const __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

inline std::uint64_t read64(const unsigned char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline std::uint64_t read32(const unsigned char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace detail

/// A fast seeded 64-bit hash of bytes, after wyhash (Wang Yi): 16 bytes per 128-bit multiply.
/// Keyed by `seed` (from `Config::seed`), so an attacker who does not know the seed cannot aim
/// keys at one slot of a table, a sketch or a bloom filter. Shared by the core's tables.
inline std::uint64_t hash_bytes(std::string_view s, std::uint64_t seed) noexcept {
  constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL, k2 = 0x8ebc6af09c88c6e3ULL;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size();
  std::uint64_t h = seed ^ k0;
  while (n > 16) {
    h = detail::fold_multiply(detail::read64(p) ^ k1, detail::read64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  // The last 1..16 bytes (possibly overlapping bytes already mixed), branch-light.
  std::uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = detail::read64(p);
    b = detail::read64(p + n - 8);
  } else if (n >= 4) {
    a = detail::read32(p);
    b = detail::read32(p + n - 4);
  } else if (n > 0) {
    a = (std::uint64_t{p[0]} << 16) | (std::uint64_t{p[n >> 1]} << 8) | p[n - 1];
  }
  return detail::fold_multiply(k1 ^ s.size(), detail::fold_multiply(a ^ k1, b ^ h) ^ k2);
}

/// How a policy stores, looks up and hashes keys of type `Key`. Specialized below for
/// `std::uint64_t` (the simulator) and `std::string` (the engine's full keys).
template <class Key>
struct KeyTraits;

/// Integer keys: the key is its own view; hashing is one mix.
template <>
struct KeyTraits<std::uint64_t> {
  /// What lookups take.
  using View = std::uint64_t;
  /// What a node holds.
  using Stored = std::uint64_t;
  /// The seeded hash of `key`.
  static std::uint64_t hash(View key, std::uint64_t seed) noexcept { return mix64(key ^ seed); }
  /// Whether a stored key equals a looked-up one.
  static bool equal(const Stored& stored, View key) noexcept { return stored == key; }
  /// Stores `key` into `stored`.
  static void assign(Stored& stored, View key) { stored = key; }
  /// Releases what `stored` holds.
  static void clear(Stored&) noexcept {}
  /// The view of a stored key.
  static View view(const Stored& stored) noexcept { return stored; }
};

/// String keys: lookups take a `std::string_view`, so the engine never allocates to read;
/// nodes hold a `SmallKey` (up to 30 bytes inline, in the node's cache line).
template <>
struct KeyTraits<std::string> {
  /// What lookups take.
  using View = std::string_view;
  /// What a node holds.
  using Stored = SmallKey;
  /// The seeded hash of `key`.
  static std::uint64_t hash(View key, std::uint64_t seed) noexcept { return hash_bytes(key, seed); }
  /// Whether a stored key equals a looked-up one.
  static bool equal(const Stored& stored, View key) noexcept { return stored == key; }
  /// Stores `key` into `stored`.
  static void assign(Stored& stored, View key) { stored.assign(key); }
  /// Releases what `stored` holds.
  static void clear(Stored& stored) noexcept { stored.clear(); }
  /// The view of a stored key.
  static View view(const Stored& stored) noexcept { return stored.view(); }
};

}  // namespace cacheme::local

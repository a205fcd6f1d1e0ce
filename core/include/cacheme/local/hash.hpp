/// @file hash.hpp
/// Seeded hashing of the keys the policies hold, and the key traits that let one policy
/// template serve both the engine (string keys) and the simulator (integer keys).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace cacheme::local {

/// A strong 64-bit finalizer (the MurmurHash3 `fmix64` constants as tuned for SplitMix64):
/// every input bit affects every output bit, so low and high bits are both usable.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
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
  /// The seeded hash of `key`.
  static std::uint64_t hash(View key, std::uint64_t seed) noexcept { return mix64(key ^ seed); }
  /// Whether a stored key equals a looked-up one.
  static bool equal(const std::uint64_t& stored, View key) noexcept { return stored == key; }
  /// Builds the stored key from a view.
  static std::uint64_t make(View key) { return key; }
};

/// String keys: lookups take a `std::string_view`, so the engine never allocates to read.
template <>
struct KeyTraits<std::string> {
  /// What lookups take.
  using View = std::string_view;
  /// The seeded hash of `key` (libstdc++'s byte hash, then mixed with the seed).
  static std::uint64_t hash(View key, std::uint64_t seed) noexcept {
    return mix64(std::hash<std::string_view>{}(key) ^ seed);
  }
  /// Whether a stored key equals a looked-up one.
  static bool equal(const std::string& stored, View key) noexcept { return std::string_view(stored) == key; }
  /// Builds the stored key from a view.
  static std::string make(View key) { return std::string(key); }
};

}  // namespace cacheme::local

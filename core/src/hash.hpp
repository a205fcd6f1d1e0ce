// A fast seeded 64-bit string hash for the core's tables and filters (wyhash's mixing step).
// Seeded from Config::seed so that an attacker who does not know the seed cannot aim keys at
// one bloom filter slot.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace cacheme::core::detail {

inline std::uint64_t mix64(std::uint64_t a, std::uint64_t b) {
  const __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

inline std::uint64_t read64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline std::uint64_t hash_bytes(std::string_view s, std::uint64_t seed) {
  constexpr std::uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull, k2 = 0x8ebc6af09c88c6e3ull;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size();
  std::uint64_t h = seed ^ k0;
  while (n >= 16) {
    h = mix64(read64(p) ^ k1, read64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  std::uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = read64(p);
    b = read64(p + n - 8);
  } else {
    for (std::size_t i = 0; i < n; ++i) a |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  }
  return mix64(k1 ^ s.size(), mix64(a ^ k1, b ^ h) ^ k2);
}

/// splitmix64: the core's own generator step (never std::random_device).
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace cacheme::core::detail

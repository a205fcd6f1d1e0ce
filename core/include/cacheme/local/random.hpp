/// @file random.hpp
/// Small seeded generators for the local tier and the simulator: never an OS entropy source,
/// so the same seed gives the same run.
#pragma once

#include <cstdint>

namespace cacheme::local {

/// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", 2014).
/// Used to expand one seed into many independent words (hash seeds, xoshiro state).
class SplitMix64 {
 public:
  /// Starts the sequence at `seed`.
  explicit SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

  /// The next 64 random bits.
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

/// xoshiro256** (Blackman, Vigna, "Scrambled linear pseudorandom number generators", 2018):
/// the general-purpose generator (admission jitter, trace generation), seeded via SplitMix64.
class Xoshiro256 {
 public:
  /// Seeds the four state words from `seed` through SplitMix64 (never all zero).
  explicit Xoshiro256(std::uint64_t seed) noexcept {
    SplitMix64 sm(seed);
    for (auto& word : s_) word = sm.next();
  }

  /// The next 64 random bits.
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// A double uniform on [0, 1) with 53 random bits (as Go's `Rand.Float64`).
  double next_double() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace cacheme::local

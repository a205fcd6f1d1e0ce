/// @file zipf.hpp
/// A seeded Zipf key generator, the algorithm of Go's `math/rand.Zipf`.
#pragma once

#include <cstdint>

#include "cacheme/local/random.hpp"

namespace cacheme::local {

/// Draws integers k in [0, imax] with P(k) proportional to (v + k)^(-s).
///
/// Design. Rejection-inversion sampling (Hörmann and Derflinger, "Rejection-inversion to
/// generate variates from monotone discrete distributions", ACM TOMACS 1996), step for step as
/// Go's `rand.NewZipf` / `Zipf.Uint64`, so traces match Go's distribution (not Go's bit stream:
/// the uniform doubles come from a seeded xoshiro256**). O(1) per draw, no tables.
class ZipfGenerator {
 public:
  /// Parameters: `s` > 1 (skew), `v` >= 1 (offset), `imax` (largest key); `seed` for the draws.
  /// Use `valid` to check the parameters first (Go returns nil on bad ones).
  ZipfGenerator(double s, double v, std::uint64_t imax, std::uint64_t seed) noexcept;

  /// Whether `s` > 1 and `v` >= 1.
  static bool valid(double s, double v) noexcept { return s > 1.0 && v >= 1.0; }

  /// The next key.
  std::uint64_t next() noexcept;

 private:
  double h(double x) const noexcept;
  double h_inv(double x) const noexcept;

  Xoshiro256 random_;
  double imax_;
  double v_;
  double q_;
  double s_;
  double one_minus_q_;
  double one_minus_q_inv_;
  double hxm_;
  double hx0_minus_hxm_;
};

}  // namespace cacheme::local

#include "cacheme/local/zipf.hpp"

#include <cmath>

namespace cacheme::local {

// Names follow Go's src/math/rand/zipf.go, which this mirrors line by line.
ZipfGenerator::ZipfGenerator(double s, double v, std::uint64_t imax, std::uint64_t seed) noexcept
    : random_(seed), imax_(static_cast<double>(imax)), v_(v), q_(s), s_(0) {
  one_minus_q_ = 1.0 - q_;
  one_minus_q_inv_ = 1.0 / one_minus_q_;
  hxm_ = h(imax_ + 0.5);
  hx0_minus_hxm_ = h(0.5) - std::exp(std::log(v_) * (-q_)) - hxm_;
  s_ = 1 - h_inv(h(1.5) - std::exp(-q_ * std::log(v_ + 1.0)));
}

double ZipfGenerator::h(double x) const noexcept { return std::exp(one_minus_q_ * std::log(v_ + x)) * one_minus_q_inv_; }

double ZipfGenerator::h_inv(double x) const noexcept {
  return std::exp(one_minus_q_inv_ * std::log(one_minus_q_ * x)) - v_;
}

std::uint64_t ZipfGenerator::next() noexcept {
  double k = 0.0;
  for (;;) {
    const double r = random_.next_double();
    const double ur = hxm_ + r * hx0_minus_hxm_;
    const double x = h_inv(ur);
    k = std::floor(x + 0.5);
    if (k - x <= s_) break;
    if (ur >= h(k + 0.5) - std::exp(-std::log(k + v_) * q_)) break;
  }
  return static_cast<std::uint64_t>(k);
}

}  // namespace cacheme::local

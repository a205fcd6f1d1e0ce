#include "cacheme/local/ghost_filter.hpp"

#include <algorithm>

namespace cacheme::local {

namespace {
/// Bit `i` (of `bits` bits) of the `k`th probe, from 21-bit fields of one 64-bit mix.
std::uint64_t probe(std::uint64_t probes, int k, std::size_t bits) noexcept {
  return (((probes >> (21 * k)) & 0x1fffff) * bits) >> 21;
}
}  // namespace

GhostFilter::GhostFilter(std::size_t span)
    : span_(std::max<std::size_t>(span, 1)), words_((span_ + 7) / 8), bits_(2 * words_, 0) {}

void GhostFilter::tick(std::size_t n) noexcept {
  ticks_ += n;
  if (ticks_ < span_) return;
  if (ticks_ >= 2 * span_) std::fill(bits_.begin(), bits_.end(), 0);  // both generations are over
  current_ ^= 1;
  std::fill_n(bits_.begin() + static_cast<std::ptrdiff_t>(current_ * words_), words_, 0);
  ticks_ = 0;
}

void GhostFilter::add(std::uint32_t hash) noexcept {
  const std::uint64_t probes = mix64(hash ^ 0x2545f4914f6cdd1dULL);
  std::uint64_t* bits = bits_.data() + current_ * words_;
  for (int k = 0; k < kProbes; ++k) {
    const std::uint64_t i = probe(probes, k, words_ * 64);
    bits[i >> 6] |= std::uint64_t{1} << (i & 63);
  }
}

bool GhostFilter::test(const std::uint64_t* bits, std::uint64_t probes) const noexcept {
  for (int k = 0; k < kProbes; ++k) {
    const std::uint64_t i = probe(probes, k, words_ * 64);
    if ((bits[i >> 6] & (std::uint64_t{1} << (i & 63))) == 0) return false;
  }
  return true;
}

bool GhostFilter::contains(std::uint32_t hash) const noexcept {
  const std::uint64_t probes = mix64(hash ^ 0x2545f4914f6cdd1dULL);
  return test(bits_.data(), probes) || test(bits_.data() + words_, probes);
}

void GhostFilter::clear() noexcept {
  std::fill(bits_.begin(), bits_.end(), 0);
  ticks_ = 0;
}

}  // namespace cacheme::local

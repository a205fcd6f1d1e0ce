#include "bloom.hpp"

#include <algorithm>
#include <cmath>

namespace cacheme::core::detail {

BloomFilter::BloomFilter(std::size_t capacity, double false_positive_rate)
    : capacity_(std::max<std::size_t>(capacity, 1)) {
  const double p = std::clamp(false_positive_rate, 1e-9, 0.5);
  const double ln2 = std::log(2.0);
  const double m = std::ceil(-static_cast<double>(capacity_) * std::log(p) / (ln2 * ln2));
  const std::size_t words = std::max<std::size_t>(1, static_cast<std::size_t>((m + 63) / 64));
  bits_.assign(words, 0);
  const double k = std::round(static_cast<double>(words * 64) / static_cast<double>(capacity_) * ln2);
  hashes_ = static_cast<unsigned>(std::clamp(k, 1.0, 16.0));
}

bool BloomFilter::contains(std::uint64_t hash) const {
  const std::uint64_t h1 = hash, h2 = (hash >> 32) | (hash << 32) | 1;
  const std::uint64_t m = bit_count();
  for (unsigned i = 0; i < hashes_; ++i) {
    const std::uint64_t bit = (h1 + i * h2) % m;
    if (!(bits_[bit / 64] & (1ull << (bit % 64)))) return false;
  }
  return true;
}

void BloomFilter::insert(std::uint64_t hash) {
  if (insertions_ >= capacity_) {
    std::fill(bits_.begin(), bits_.end(), 0);
    insertions_ = 0;
  }
  const std::uint64_t h1 = hash, h2 = (hash >> 32) | (hash << 32) | 1;
  const std::uint64_t m = bit_count();
  for (unsigned i = 0; i < hashes_; ++i) {
    const std::uint64_t bit = (h1 + i * h2) % m;
    bits_[bit / 64] |= 1ull << (bit % 64);
  }
  ++insertions_;
}

}  // namespace cacheme::core::detail

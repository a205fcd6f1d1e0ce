// The doorkeeper's bloom filter (DESIGN.md §3 rule 7; TinyLFU's "doorkeeper", Einziger et al.).
// Sized for `capacity` insertions at false-positive rate p: m = -n ln p / (ln 2)^2 bits and
// k = (m / n) ln 2 hash functions, derived from one 64-bit hash by double hashing
// (Kirsch & Mitzenmacher). After `capacity` insertions it clears itself, so it remembers only
// recent keys, as the Python library documents.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cacheme::core::detail {

class BloomFilter {
 public:
  BloomFilter(std::size_t capacity, double false_positive_rate);

  /// True if `hash` may have been inserted since the last reset (false positives at rate p).
  bool contains(std::uint64_t hash) const;

  /// Records `hash`; clears the filter first when it already holds `capacity` insertions.
  void insert(std::uint64_t hash);

  std::size_t insertions() const { return insertions_; }
  std::size_t bit_count() const { return bits_.size() * 64; }
  unsigned hash_count() const { return hashes_; }

 private:
  std::vector<std::uint64_t> bits_;
  std::size_t capacity_;
  std::size_t insertions_ = 0;
  unsigned hashes_;
};

}  // namespace cacheme::core::detail

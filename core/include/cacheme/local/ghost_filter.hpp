/// @file ghost_filter.hpp
/// A set of recently evicted keys, approximate and small: the "ghost" lists of ARC as a pair
/// of Bloom filters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cacheme/local/hash.hpp"

namespace cacheme::local {

/// Remembers the keys added (by hash) during the last `span` to 2 x `span` ticks of its clock,
/// with a few false positives.
///
/// Design. Two Bloom filters of 8 bits per key and 3 probes (about 3% false positives) take
/// turns: keys go into the current one; after `span` ticks the older one is cleared and becomes
/// current. A key is remembered while either holds it, so it is forgotten between `span` and
/// 2 x `span` ticks later. Memory: 2 bytes per tick of `span` (at most `span` keys per filter).
class GhostFilter {
 public:
  /// A filter that forgets a key between `span` and 2 x `span` ticks after it was added.
  explicit GhostFilter(std::size_t span);

  /// Remembers the key of (well-mixed 32-bit) hash `hash`.
  void add(std::uint32_t hash) noexcept;

  /// Counts `n` events of the filter's clock (see `GhostFilter(span)`).
  void tick(std::size_t n = 1) noexcept;

  /// Whether `hash` was added recently (or collides with a key that was).
  bool contains(std::uint32_t hash) const noexcept;

  /// Forgets everything.
  void clear() noexcept;

  /// Bytes held by the two Bloom filters.
  std::size_t memory_bytes() const noexcept { return 2 * words_ * sizeof(std::uint64_t); }

 private:
  static constexpr int kProbes = 3;
  bool test(const std::uint64_t* bits, std::uint64_t probes) const noexcept;

  std::size_t span_;
  std::size_t words_;
  std::vector<std::uint64_t> bits_;  // two filters of `words_` words each
  int current_ = 0;
  std::size_t ticks_ = 0;
};

}  // namespace cacheme::local

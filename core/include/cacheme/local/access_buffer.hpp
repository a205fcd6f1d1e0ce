/// @file access_buffer.hpp
/// Hits recorded at once and applied to a policy's queues later, in order, a batch at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace cacheme::local::detail {

/// The node ids of recent hits, not yet applied to the policy's queues and sketch.
///
/// Why. A hit on a cold entry costs a cache miss for each structure it updates: the entry's
/// queue links, its neighbours' links, the frequency sketch's counters. Applied one at a time
/// those misses are serial. Recorded here and applied `kCapacity` at a time, the policy first
/// prefetches what every pending hit will touch and then applies them, so the misses overlap
/// (Caffeine buffers reads too, there to take its lock less often).
///
/// Exactness. A policy drains the buffer before anything that reads or changes its queues
/// (insert, remove, eviction, inspection), in the order the hits came, so its decisions are the
/// ones it would have made applying each hit at once: hit ratios do not change.
class AccessBuffer {
 public:
  static constexpr std::size_t kCapacity = 32;

  /// Records a hit on node `id`; true when the buffer is now full and must be drained.
  bool push(std::uint32_t id) noexcept {
    ids_[size_++] = id;
    return size_ == kCapacity;
  }

  /// The pending hits, oldest first.
  std::span<const std::uint32_t> pending() const noexcept { return {ids_.data(), size_}; }

  bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept { size_ = 0; }

 private:
  std::array<std::uint32_t, kCapacity> ids_{};
  std::size_t size_ = 0;
};

}  // namespace cacheme::local::detail

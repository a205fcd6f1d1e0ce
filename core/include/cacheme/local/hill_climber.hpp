/// @file hill_climber.hpp
/// Sizes W-TinyLFU's admission window from the observed hit ratio.
#pragma once

#include <cstdint>

namespace cacheme::local {

/// Decides, once per sample of requests, how much capacity to move between the admission
/// window and the main space.
///
/// Design. Einziger, Eytan, Friedman and Manes ("Adaptive Software Cache Management",
/// Middleware 2018) tune the window of W-TinyLFU by hill climbing, as Caffeine does: after each
/// sample (10 x capacity requests) compare the hit ratio with the previous sample's; if it
/// improved keep stepping the same way, otherwise turn back. Steps start at 6.25% of the
/// capacity and decay by 2% per sample, so the window settles; a change of the hit ratio of 5
/// points or more (a new workload) restarts with full steps. A recency-biased workload grows
/// the window (towards LRU), a frequency-biased one shrinks it (towards LFU).
class HillClimber {
 public:
  /// A climber for a cache of `capacity` weight; samples are `sample_size` requests.
  HillClimber(std::uint64_t capacity, std::uint64_t sample_size) noexcept;

  /// Records a hit.
  void record_hit() noexcept { ++hits_; }
  /// Records a miss.
  void record_miss() noexcept { ++misses_; }

  /// When a sample is complete, the weight to move into the window (positive) or out of it
  /// (negative), and a new sample starts; otherwise 0.
  std::int64_t adjustment() noexcept;

 private:
  static constexpr double kStepPercent = 0.0625;
  static constexpr double kStepDecayRate = 0.98;
  static constexpr double kRestartThreshold = 0.05;

  std::uint64_t capacity_;
  std::uint64_t sample_size_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  double step_;
  double previous_hit_ratio_ = 0.0;
};

}  // namespace cacheme::local

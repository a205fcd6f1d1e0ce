/// @file histogram.hpp
/// A fixed-bucket histogram of durations (load times, how long local entries lived), the shape
/// Prometheus histograms expose: counts per upper bound, plus the sum and the count.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cacheme/core/time.hpp"

namespace cacheme::core {

namespace detail {
constexpr Duration ms(double v) { return Duration(static_cast<std::int64_t>(v * 1e6)); }
}  // namespace detail

/// Upper bounds of load-time buckets: 1 ms to 30 s. Loads are database queries and remote calls
/// (the seed's loader sleeps 100 ms); the default load deadline is 30 s.
inline constexpr std::array<Duration, 14> kLoadTimeBounds = {
    detail::ms(1),   detail::ms(2.5),  detail::ms(5),    detail::ms(10),   detail::ms(25),
    detail::ms(50),  detail::ms(100),  detail::ms(250),  detail::ms(500),  detail::ms(1000),
    detail::ms(2500), detail::ms(5000), detail::ms(10000), detail::ms(30000)};

/// Upper bounds of entry-lifetime buckets: 10 ms to one day, roughly ×3 apart. Local TTLs range
/// from seconds to hours; an entry evicted within milliseconds says the tier is too small.
inline constexpr std::array<Duration, 14> kLifetimeBounds = {
    detail::ms(10),        detail::ms(100),        detail::ms(1e3),        detail::ms(3e3),
    detail::ms(1e4),       detail::ms(3e4),        detail::ms(6e4),        detail::ms(3e5),
    detail::ms(9e5),       detail::ms(3.6e6),      detail::ms(1.08e7),     detail::ms(2.16e7),
    detail::ms(4.32e7),    detail::ms(8.64e7)};

/// Counts of durations by bucket. `counts[i]` holds durations in (bounds[i-1], bounds[i]];
/// the last count (index `bounds.size()`) those above every bound.
class DurationHistogram {
 public:
  /// An empty histogram over `bounds` (ascending; the span must outlive the histogram).
  explicit DurationHistogram(std::span<const Duration> bounds = kLoadTimeBounds)
      : bounds_(bounds), counts_(bounds.size() + 1, 0) {}

  /// Adds one duration (a negative one counts as 0).
  void record(Duration d) {
    d = std::max(d, Duration::zero());
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), d);
    ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
    sum_ns_ += static_cast<std::uint64_t>(d.count());
    ++count_;
  }

  /// The upper bounds of the buckets, ascending.
  std::span<const Duration> bounds() const { return bounds_; }
  /// Per bucket, not cumulative; one more than `bounds()` (the +Inf bucket last).
  const std::vector<std::uint64_t>& counts() const { return counts_; }
  /// How many durations were recorded.
  std::uint64_t count() const { return count_; }
  /// The sum of the recorded durations, in nanoseconds.
  std::uint64_t sum_ns() const { return sum_ns_; }

  /// The counts of the interval since `earlier` (a snapshot of the same histogram).
  DurationHistogram operator-(const DurationHistogram& earlier) const {
    DurationHistogram d = *this;
    for (std::size_t i = 0; i < d.counts_.size() && i < earlier.counts_.size(); ++i) d.counts_[i] -= earlier.counts_[i];
    d.sum_ns_ -= earlier.sum_ns_;
    d.count_ -= earlier.count_;
    return d;
  }

  /// Both histograms' counts (of the same bounds), e.g. several engines' together.
  DurationHistogram operator+(const DurationHistogram& other) const {
    DurationHistogram s = *this;
    for (std::size_t i = 0; i < s.counts_.size() && i < other.counts_.size(); ++i) s.counts_[i] += other.counts_[i];
    s.sum_ns_ += other.sum_ns_;
    s.count_ += other.count_;
    return s;
  }

 private:
  std::span<const Duration> bounds_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t sum_ns_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace cacheme::core

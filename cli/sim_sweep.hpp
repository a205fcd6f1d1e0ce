/// @file sim_sweep.hpp
/// The simulation behind `cacheme-bench sim`: policies replayed over a trace at several sizes,
/// sizes relative to a trace's distinct keys, and the gap of `tlfu` to the better of `lru` and
/// `lfu` (the measure of any change to the W-TinyLFU policy).
#pragma once

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "report.hpp"

namespace cacheme::cli {

/// Hit ratios of `policies` (`lru`, `tlfu`, `lfu`, `opt`) on `keys` at each of `sizes`; the
/// online policies are seeded with `seed`.
std::vector<HitRatio> simulate_policies(std::span<const std::uint64_t> keys, const std::vector<std::string>& policies,
                                        const std::vector<std::uint64_t>& sizes, std::uint64_t seed);

/// Sizes at `percents` of `distinct` keys (at least 1 each, duplicates dropped).
std::vector<std::uint64_t> relative_sizes(std::size_t distinct, const std::vector<double>& percents);

/// How far `tlfu` falls below the better of `lru` and `lfu`, over the sizes of one trace.
struct TlfuGap {
  bool known = false;           ///< false without tlfu, or without both lru and lfu
  double worst = 0;             ///< min over sizes of tlfu - max(lru, lfu), in points
  std::uint64_t worst_size = 0;
  int sizes = 0;                ///< sizes compared
  int short_of_rule = 0;        ///< sizes where tlfu < lru - 1 or tlfu < lfu - 2 points
};

/// The gap of `tlfu` in `results` (one trace).
TlfuGap tlfu_gap(const std::vector<HitRatio>& results);

/// One line: `tlfu - max(lru,lfu): worst -1.23 at 400; short of (lru-1, lfu-2) at 2 of 8 sizes`.
void print_tlfu_gap(std::ostream& out, const TlfuGap& gap);

}  // namespace cacheme::cli

/// @file metrics_merge.hpp
/// Several Prometheus texts of the same process (one per engine of a sharded cache) as one.
#pragma once

#include <span>
#include <string>

namespace cacheme::adapters {

/// One exposition (format 0.0.4) in which every sample is the sum of that sample (same name,
/// same labels) over `texts`: counters, histogram buckets, sums and counts add up, and so do
/// the gauges cacheme writes (entries, capacity, memory, connections, outstanding operations),
/// which then describe the whole. Families keep their first-seen order and stay together;
/// `# HELP` and `# TYPE` lines are written once. A line that is not a sample is kept once.
std::string merge_metrics_text(std::span<const std::string> texts);

}  // namespace cacheme::adapters

/// @file report.hpp
/// How cacheme-bench prints results: aligned tables for people, JSON for scripts.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace cacheme::cli {

/// One simulated (policy, size) pair.
struct HitRatio {
  std::string policy;
  std::uint64_t size = 0;
  double hit_ratio = 0;  ///< hits / requests, in [0, 1]
};

/// A table with one row per policy and one column per size, hit ratios in percent.
void print_hit_ratio_table(std::ostream& out, const std::vector<HitRatio>& results);

/// `{"trace": ..., "requests": n, "distinct": d, "results": [{"policy", "size", "hit_ratio"}, ...]}`.
void print_hit_ratio_json(std::ostream& out, const std::string& trace, std::uint64_t requests,
                          std::uint64_t distinct, const std::vector<HitRatio>& results);

/// `text` as a JSON string literal, quotes included.
std::string json_string(const std::string& text);

}  // namespace cacheme::cli

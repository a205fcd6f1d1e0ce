#include "sim_sweep.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>

#include "cacheme/local/belady.hpp"
#include "cacheme/local/exact_lfu.hpp"
#include "cacheme/local/lru_policy.hpp"
#include "cacheme/local/tinylfu_policy.hpp"

namespace cacheme::cli {

namespace {

/// Hits of an online policy: look each key up, insert it on a miss.
template <class Policy>
std::uint64_t simulate(std::span<const std::uint64_t> keys, std::uint64_t size, std::uint64_t seed) {
  Policy policy(size, seed);
  std::uint64_t hits = 0;
  for (const std::uint64_t key : keys) {
    if (policy.find(key) != local::kNoNode) {
      ++hits;
    } else {
      policy.insert(key, local::NoValue{}, 1, [](std::uint32_t) {});
    }
  }
  return hits;
}

std::uint64_t hits_of(const std::string& policy, std::span<const std::uint64_t> keys, std::uint64_t size,
                      std::uint64_t seed) {
  if (policy == "lru") return simulate<local::LruPolicy<std::uint64_t>>(keys, size, seed);
  if (policy == "tlfu") return simulate<local::TinyLfuPolicy<std::uint64_t>>(keys, size, seed);
  if (policy == "lfu") return local::exact_lfu_hits(keys, size);
  return local::belady_hits(keys, size);
}

/// The hit ratio of `policy` at `size`, if simulated.
const HitRatio* find(const std::vector<HitRatio>& results, const std::string& policy, std::uint64_t size) {
  const auto it = std::find_if(results.begin(), results.end(),
                               [&](const HitRatio& r) { return r.policy == policy && r.size == size; });
  return it == results.end() ? nullptr : &*it;
}

}  // namespace

std::vector<HitRatio> simulate_policies(std::span<const std::uint64_t> keys, const std::vector<std::string>& policies,
                                        const std::vector<std::uint64_t>& sizes, std::uint64_t seed) {
  std::vector<HitRatio> results;
  for (const auto& policy : policies) {
    for (const auto size : sizes) {
      const std::uint64_t hits = hits_of(policy, keys, size, seed);
      results.push_back({policy, size, static_cast<double>(hits) / static_cast<double>(keys.size())});
    }
  }
  return results;
}

std::vector<std::uint64_t> relative_sizes(std::size_t distinct, const std::vector<double>& percents) {
  std::vector<std::uint64_t> sizes;
  for (const double percent : percents) {
    const auto size = std::max<std::uint64_t>(1, std::llround(static_cast<double>(distinct) * percent / 100));
    if (std::find(sizes.begin(), sizes.end(), size) == sizes.end()) sizes.push_back(size);
  }
  return sizes;
}

TlfuGap tlfu_gap(const std::vector<HitRatio>& results) {
  TlfuGap gap;
  gap.worst = std::numeric_limits<double>::infinity();
  for (const auto& r : results) {
    if (r.policy != "tlfu") continue;
    const HitRatio* lru = find(results, "lru", r.size);
    const HitRatio* lfu = find(results, "lfu", r.size);
    if (lru == nullptr && lfu == nullptr) continue;
    const double tlfu = r.hit_ratio * 100;
    const double lru_points = lru ? lru->hit_ratio * 100 : 0;
    const double lfu_points = lfu ? lfu->hit_ratio * 100 : 0;
    const double difference = tlfu - std::max(lru_points, lfu_points);
    if (difference < gap.worst) {
      gap.worst = difference;
      gap.worst_size = r.size;
    }
    ++gap.sizes;
    // Hit ratios print with two decimals: compare at that precision, as the tables read.
    const auto cents = [](double points) { return std::llround(points * 100); };
    if (cents(tlfu) < cents(lru_points) - 100 || cents(tlfu) < cents(lfu_points) - 200) ++gap.short_of_rule;
  }
  gap.known = gap.sizes > 0;
  return gap;
}

void print_tlfu_gap(std::ostream& out, const TlfuGap& gap) {
  if (!gap.known) return;
  out << "tlfu - max(lru,lfu): worst " << std::showpos << std::fixed << std::setprecision(2) << gap.worst
      << std::noshowpos << " at " << gap.worst_size << "; short of (lru-1, lfu-2) at " << gap.short_of_rule << " of "
      << gap.sizes << " sizes\n";
}

}  // namespace cacheme::cli

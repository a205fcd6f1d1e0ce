#include "cacheme/local/hill_climber.hpp"

#include <cmath>

namespace cacheme::local {

HillClimber::HillClimber(std::uint64_t capacity, std::uint64_t sample_size) noexcept
    : capacity_(capacity),
      sample_size_(sample_size),
      // Caffeine's first step shrinks the window: most workloads favour frequency.
      step_(-kStepPercent * static_cast<double>(capacity)) {}

std::int64_t HillClimber::adjustment() noexcept {
  const std::uint64_t requests = hits_ + misses_;
  if (requests < sample_size_) return 0;
  const double hit_ratio = static_cast<double>(hits_) / static_cast<double>(requests);
  const double change = hit_ratio - previous_hit_ratio_;
  const double amount = change >= 0 ? step_ : -step_;
  // A large change means the workload moved: restart with full steps in the chosen direction.
  step_ = std::abs(change) >= kRestartThreshold
              ? kStepPercent * static_cast<double>(capacity_) * (amount >= 0 ? 1 : -1)
              : kStepDecayRate * amount;
  previous_hit_ratio_ = hit_ratio;
  hits_ = 0;
  misses_ = 0;
  return static_cast<std::int64_t>(amount);
}

}  // namespace cacheme::local

#include "cacheme/local/window_adapter.hpp"

#include <cmath>

namespace cacheme::local {

namespace {
std::size_t ghost_span_of(std::uint64_t capacity, double span) {
  return static_cast<std::size_t>(span * static_cast<double>(capacity));
}
}  // namespace

WindowAdapter::WindowAdapter(std::uint64_t capacity, const WindowAdapterSettings& settings)
    : settings_(settings),
      rejected_(ghost_span_of(capacity, settings.ghost_span)),
      evicted_(ghost_span_of(capacity, settings.ghost_span)),
      guard_(capacity, settings.guard_period, settings.guard_early_z, settings.guard_early_min),
      capacity_(capacity) {}

void WindowAdapter::record_miss(std::uint32_t hash) {
  if (rejected_.contains(hash)) {
    balance_ += settings_.ghost_gain;
  } else if (evicted_.contains(hash)) {
    balance_ -= settings_.ghost_gain;
  }
  guard_.record(hash, false);
}

std::int64_t WindowAdapter::decide(std::uint64_t main_capacity) noexcept {
  std::int64_t amount = 0;
  if (guard_.ready()) {
    const double z = guard_.lru_advantage();
    const std::uint64_t window = capacity_ > main_capacity ? capacity_ - main_capacity : 0;
    if (z > settings_.guard_z) {
      amount += static_cast<std::int64_t>(settings_.guard_grow * static_cast<double>(main_capacity));
    } else if (z < -settings_.guard_z && 2 * window > capacity_) {
      amount -= static_cast<std::int64_t>(settings_.guard_shrink * static_cast<double>(main_capacity));
    }
  }
  const double whole = std::trunc(balance_);  // ghost moves go by whole units of weight
  balance_ -= whole;
  return amount + static_cast<std::int64_t>(whole);
}

}  // namespace cacheme::local

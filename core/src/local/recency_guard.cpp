#include "cacheme/local/recency_guard.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cacheme::local {

namespace {
constexpr std::uint64_t kSampledEntries = 1024;
constexpr std::uint64_t kMaxRate = 8;  // 1 key in 8 at most: evidence at a rate that does not
                                       // fall with the capacity (see Cadence)

/// The sampling rate: a power of two leaving about `kSampledEntries` entries to simulate, and
/// at most `kMaxRate`.
std::uint64_t rate_for(std::uint64_t capacity) noexcept {
  return std::bit_floor(std::clamp<std::uint64_t>(capacity / kSampledEntries, 1, kMaxRate));
}
}  // namespace

RecencyGuard::RecencyGuard(std::uint64_t capacity, double period, double early_z, std::uint64_t early_min)
    : mask_(rate_for(capacity) - 1),
      lru_(std::max<std::uint64_t>(capacity / rate_for(capacity), 1)),
      period_(std::max<std::uint64_t>(static_cast<std::uint64_t>(period * static_cast<double>(lru_.capacity())), 1)),
      deadline_(period_),
      early_z2_(early_z * early_z),
      early_min_(early_min) {}

void RecencyGuard::record_sampled(std::uint32_t hash, bool hit) {
  ++requests_;
  const bool lru_hit = lru_.access(hash);
  lru_only_ += lru_hit && !hit ? 1 : 0;
  own_only_ += hit && !lru_hit ? 1 : 0;
  if (early_z2_ > 0 && lru_hit != hit) {  // the test moves on discordant requests only
    // Ready while the boundary holds: the cache applies verdicts with its batches of hits,
    // and a lead that an own-only hit undoes in between was not sure.
    const std::uint64_t discordant = lru_only_ + own_only_;
    const double lead = static_cast<double>(lru_only_) - static_cast<double>(own_only_);
    const bool sure = discordant >= early_min_ && lead > 0 && lead * lead >= early_z2_ * static_cast<double>(discordant);
    deadline_ = sure ? requests_ : period_;
  }
}

double RecencyGuard::lru_advantage() noexcept {
  const double discordant = static_cast<double>(lru_only_ + own_only_);
  const double z = discordant == 0 ? 0 : (static_cast<double>(lru_only_) - static_cast<double>(own_only_)) / std::sqrt(discordant);
  requests_ = lru_only_ = own_only_ = 0;
  deadline_ = period_;
  return z;
}

}  // namespace cacheme::local

/// @file recency_guard.hpp
/// Tells W-TinyLFU when plain LRU would do better, by simulating LRU on a sample of the keys.
#pragma once

#include <cstdint>

#include "cacheme/local/hash_lru.hpp"

namespace cacheme::local {

/// Compares the cache's hit ratio with LRU's on the same requests, on a hash-chosen sample of
/// the keys.
///
/// Design. The sample is every key whose hash falls in 1 of `rate` buckets (`rate` a power of
/// two, chosen so that the simulated LRU holds about 1,000 entries, and at most 8: all keys
/// below 2,048 of capacity, 1 in 8 from 8,192), and the simulated LRU has capacity / `rate`
/// entries, so it behaves as an LRU of the full capacity would on the whole stream
/// (Waldspurger et al., "Efficient MRC construction with SHARDS", FAST 2015). Both hit ratios
/// are measured on the same sampled requests, so their difference is far less noisy than two
/// hit ratios of different periods (what a hill climber compares). The simulated LRU is a
/// `HashLru` (exact, 12 bytes an entry and an 8-byte index slot): at most 1,024 entries below
/// 8,192 of capacity (about 29 KB), then about 2.8 to 4 bytes per entry of capacity.
///
/// Cadence. Evidence comes with sampled requests. With about 1,000 entries simulated at every
/// capacity (the rate's former rule), a period held about 500 sampled requests whatever the
/// capacity, and they took a number of requests proportional to it (1 key in capacity / 1,000
/// sampled): a 200,000-entry cache got a verdict every 100,000 requests on 780 sampled ones,
/// and after a change of regime its window took a million requests to reach LRU's corner.
/// Hence two rules. The rate is capped (1 key in 8), so that from 8,192 entries the evidence
/// per request no longer falls with the capacity. And the test is sequential on LRU's side:
/// the verdict comes as
/// soon as the evidence is there, when LRU's advantage passes `early_z` (stricter than the
/// period's threshold, as it is looked at after every discordant request) over at least
/// `early_min` discordant requests. The cache's own advantage still waits for the period's end
/// (a verdict for it shrinks the window: sooner ones cost sprite and multi2 up to 1.4 points).
class RecencyGuard {
 public:
  /// A guard for a cache of `capacity` entries; a verdict every `period` x (LRU entries)
  /// sampled requests, or sooner (a sequential test) once LRU's advantage passes `early_z`
  /// over at least `early_min` discordant requests (`early_z` 0: never sooner).
  RecencyGuard(std::uint64_t capacity, double period, double early_z = 0,
std::uint64_t early_min = 0);

  /// Records a request for the key of hash `hash`, a hit in the cache or not. Cheap for keys
  /// outside the sample.
  void record(std::uint32_t hash, bool hit) {
    if (sampled(hash)) record_sampled(hash, hit);
  }

  /// Whether a verdict is ready (see `lru_advantage`): the period is over, or LRU's advantage
  /// is already sure.
  bool ready() const noexcept { return requests_ >= deadline_; }

  /// How surely LRU beat the cache over the last period: McNemar's statistic on the paired
  /// outcomes, (LRU-only hits - cache-only hits) / sqrt(their sum), about normal; above 2 to 3
  /// LRU did better beyond noise. Starts a new period.
  double lru_advantage() noexcept;

  /// Bytes held by the simulated LRU.
  std::size_t memory_bytes() const noexcept { return lru_.memory_bytes(); }

 private:
  bool sampled(std::uint32_t hash) const noexcept {
    return ((static_cast<std::uint64_t>(hash) * 0x9e3779b97f4a7c15ULL) >> 40 & mask_) == 0;
  }
  void record_sampled(std::uint32_t hash, bool hit);

  std::uint64_t mask_;
  HashLru lru_;
  std::uint64_t period_;
  std::uint64_t deadline_;      // period_, or requests_ while LRU's lead is sure (one compare in `ready`)
  std::uint64_t requests_ = 0;
  std::uint64_t lru_only_ = 0;  // requests LRU hit and the cache missed
  std::uint64_t own_only_ = 0;  // requests the cache hit and LRU missed
  double early_z2_;             // early_z squared
  std::uint64_t early_min_;
};

}  // namespace cacheme::local

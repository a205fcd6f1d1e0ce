// When a MongoDB storage deletes expired documents. As the SQL drivers' sql::SweepSchedule (at
// most one sweep at a time; another at once after a full batch), except that the pause doubles
// after every sweep that found nothing, from 250 ms up to 8 s. Without an index on `expire`
// (the test server has none; a real collection has one only with init=1 or sql/mongo.js) a sweep
// scans the whole collection: with the seed's 55,600 keys and no TTL, a fixed 250 ms pause took
// a large share of the test server's time for nothing. With the index a sweep costs little either way.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

#include "documents.hpp"

namespace cacheme::drivers::mongo {

class SweepSchedule {
 public:
  static constexpr std::chrono::milliseconds kMinPause{250};
  static constexpr std::chrono::milliseconds kMaxPause{8000};

  /// True when a sweep is due now; the caller then runs one and reports it with `swept`.
  bool due(std::chrono::steady_clock::time_point now) const {
    return !in_progress_ && (more_ || now - last_ >= pause_);
  }
  /// Marks a sweep as started at `now`.
  void started(std::chrono::steady_clock::time_point now) {
    in_progress_ = true;
    last_ = now;
  }
  /// Records that the sweep deleted `count` documents (`nullopt`: it failed).
  void swept(std::optional<std::uint64_t> count) {
    in_progress_ = false;
    more_ = count && *count >= kExpiredBatch;
    pause_ = count && *count == 0 ? std::min(pause_ * 2, kMaxPause) : kMinPause;
  }

 private:
  std::chrono::steady_clock::time_point last_{};
  std::chrono::milliseconds pause_ = kMinPause;
  bool in_progress_ = false;
  bool more_ = false;
};

}  // namespace cacheme::drivers::mongo

/// @file reconnect_backoff.hpp
/// When a pool may try to connect again after failed attempts: exponential backoff with jitter,
/// shared by every connection of the pool, so a database that is down sees a few connects a
/// second from each process, not one per request.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace cacheme::drivers::sql {

/// The reconnect schedule of one pool: no wait until a connect fails, then a growing, jittered
/// delay until one succeeds. Loop thread only.
class ReconnectBackoff {
 public:
  /// The clock of every time point it takes and returns.
  using Clock = std::chrono::steady_clock;

  /// The first delay.
  static constexpr std::chrono::milliseconds kFirst{50};
  /// The cap. It bounds how late a pool notices that its server is back (the stall tests ask
  /// for recovery within a second of SIGCONT).
  static constexpr std::chrono::milliseconds kMax{500};

  /// No failure yet; `seed` seeds the jitter.
  explicit ReconnectBackoff(std::uint64_t seed) : rng_(static_cast<std::uint32_t>(seed ^ (seed >> 32))) {}

  /// A connect failed at `now`: the next attempt waits a delay doubled from the last one (up to
  /// kMax), drawn uniformly from its upper half so processes that lost the server together do
  /// not come back in lockstep.
  void failed(Clock::time_point now) {
    ++failures_;
    const auto shift = std::min<std::uint64_t>(failures_ - 1, 16);
    const auto full = std::min<std::int64_t>(kFirst.count() << shift, kMax.count());
    std::uniform_int_distribution<std::int64_t> jitter(full / 2, full);
    next_ = now + std::chrono::milliseconds(jitter(rng_));
  }

  /// A connect succeeded: no more waiting.
  void succeeded() {
    failures_ = 0;
    next_ = {};
  }

  /// Whether the last attempts failed (and none succeeded since).
  bool failing() const { return failures_ > 0; }
  /// The earliest time of the next attempt.
  Clock::time_point next_attempt() const { return next_; }

 private:
  std::minstd_rand rng_;
  std::uint64_t failures_ = 0;
  Clock::time_point next_{};
};

}  // namespace cacheme::drivers::sql

/// @file time.hpp
/// Time as the core sees it: passed in, never read. The adapter takes both readings together.
#pragma once

#include <chrono>
#include <cstdint>

namespace cacheme::core {

/// A tag clock for monotonic instants. It has no `now()` on purpose: the core reads no clock.
struct MonoClock {
  /// The std::chrono clock requirements.
  ///@{
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<MonoClock, duration>;
  static constexpr bool is_steady = true;
  ///@}
};

/// A monotonic instant, in nanoseconds.
using Instant = MonoClock::time_point;
/// A span of monotonic time, in nanoseconds.
using Duration = std::chrono::nanoseconds;

/// One reading of the two clocks: `mono` drives every deadline, operation timeout and local
/// TTL; `unix_ms` (Unix time, milliseconds) is written into remote entries as their absolute
/// expiry, which must mean the same in every process.
struct Now {
  Instant mono{};            ///< the monotonic clock
  std::int64_t unix_ms = 0;  ///< the Unix time, milliseconds

  /// The same reading moved forward by `d` on both clocks (tests and simulations).
  Now operator+(Duration d) const {
    return {mono + d, unix_ms + std::chrono::duration_cast<std::chrono::milliseconds>(d).count()};
  }
};

}  // namespace cacheme::core

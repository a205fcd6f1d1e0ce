/// @file keys.hpp
/// Key rules and small helpers common to the SQL drivers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cacheme::drivers::sql {

/// The longest key an SQL storage holds (the key column is 512 bytes). A fetch of a longer key
/// is a miss; a store of one completes with `backend_error` and writes nothing.
inline constexpr std::size_t kMaxKeyBytes = 512;

/// Expired rows deleted by one cleanup statement: a bound on the work any one sweep adds.
inline constexpr std::size_t kExpiredBatch = 500;

/// The least time between two cleanup sweeps, unless the previous one deleted a full batch.
inline constexpr std::chrono::milliseconds kSweepInterval{250};

/// The least byte string greater than every string starting with `prefix`: `prefix` with its
/// last byte below 0xff incremented and what follows it removed. `nullopt` when there is none
/// (empty prefix, or all 0xff): then every key >= `prefix` starts with it.
std::optional<std::string> prefix_successor(std::string_view prefix);

/// The distinct keys of `keys` that an SQL storage can hold (`<= kMaxKeyBytes`), in first-seen order.
std::vector<std::string> distinct_valid_keys(const std::vector<std::string>& keys);

/// The wall clock in Unix milliseconds (drivers may read it; the core never does).
std::int64_t unix_now_ms();

/// Decides when the storage sweeps expired rows: at most once per `kSweepInterval`, or at once
/// after a sweep that deleted a full batch (more are probably waiting).
class SweepSchedule {
 public:
  /// True when a sweep is due now; the caller then runs one and reports it with `swept`.
  bool due(std::chrono::steady_clock::time_point now) const {
    return !in_progress_ && (more_ || now - last_ >= kSweepInterval);
  }
  /// Marks a sweep as started at `now`.
  void started(std::chrono::steady_clock::time_point now) {
    in_progress_ = true;
    last_ = now;
  }
  /// Records that the sweep deleted `rows` rows (`nullopt`: it failed).
  void swept(std::optional<std::uint64_t> rows) {
    in_progress_ = false;
    more_ = rows && *rows >= kExpiredBatch;
  }

 private:
  std::chrono::steady_clock::time_point last_{};
  bool in_progress_ = false;
  bool more_ = false;
};

}  // namespace cacheme::drivers::sql

namespace cacheme::drivers::sql {

/// Writes "cacheme[<backend>]: <message>" to stderr (the server's message on a failed connect,
/// the schema file to apply when the table is missing). One place to plug a logger in later.
void log_message(std::string_view backend, std::string_view message);

}  // namespace cacheme::drivers::sql

/// @file timer_wheel.hpp
/// A hierarchical timer wheel: per-entry expiry in O(1) amortized, driven by a passed-in `now`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "cacheme/core/time.hpp"

namespace cacheme::local {

/// Schedules numbered entries (ids, dense small integers such as a policy's node slots) to
/// expire at an instant, and hands back the ones whose instant has come as time advances.
///
/// Design. A hierarchical timing wheel (Varghese and Lauck, "Hashed and Hierarchical Timing
/// Wheels: Data Structures for the Efficient Implementation of a Timer Facility", SOSP 1987),
/// arranged as Caffeine's `TimerWheel` (Ben Manes): `kLevels` wheels of 64 buckets; a bucket of
/// level k spans 2^(20 + 6k) ns, so level 0 ticks every ~1.05 ms and covers ~67 ms, level 1
/// ~4.3 s, level 2 ~4.6 min, level 3 ~4.9 h, level 4 ~13 days and level 5 ~2.3 years (later
/// expiries wait in level 5's last bucket and are placed again when it comes round). An entry
/// goes to the lowest level whose 64 buckets reach its expiry; when a level ticks, the buckets it
/// passed are emptied: expired entries leave, the others drop to a finer level. Each entry
/// therefore moves at most once per level: O(1) amortized per entry, O(1) schedule and cancel.
///
/// Exactness. `advance(now)` also revisits the current level-0 bucket, so an entry leaves at
/// the first `advance` whose `now` reaches its expiry: never early, never later than that call.
/// `next_expiry()` is a lower bound of the next instant at which `advance` has work to do.
///
/// Expiries. The wheel keeps each id's expiry itself (8 bytes per id), or reads it from its
/// owner (`ExpirySource`): a cache keeps it in the entry's node, which a hit reads anyway, so
/// checking a TTL costs no second cache miss and the wheel only adds its links.
///
/// Memory: two 32-bit links per id, plus the expiry when the wheel keeps it, allocated up to
/// the largest id used.
class TimerWheel {
 public:
  /// An entry's number, chosen by the caller (e.g. a node slot); ids should be dense.
  using Id = std::uint32_t;

  /// Where the wheel reads the expiry (ns since the clock's epoch) of a scheduled id, when its
  /// owner keeps them: `expiry_ns(context, id)` must return what `schedule` was given last.
  struct ExpirySource {
    const void* context = nullptr;  ///< passed back to `expiry_ns`; owned by the caller
    std::int64_t (*expiry_ns)(const void* context, Id id) = nullptr;  ///< the expiry of `id`, in ns
  };

  /// An empty wheel whose clock reads `start`, keeping the expiries itself.
  explicit TimerWheel(core::Instant start = core::Instant{});
  /// An empty wheel whose clock reads `start`, reading the expiries from `source`.
  TimerWheel(core::Instant start, ExpirySource source);

  /// Schedules `id` to expire at `expiry`, or reschedules it if already scheduled. An expiry
  /// at or before the wheel's clock leaves at the next `advance`.
  void schedule(Id id, core::Instant expiry);

  /// Makes room for ids below `ids` at once (growth otherwise doubles, overshooting).
  void reserve(std::size_t ids);

  /// Forgets `id` (no-op if it is not scheduled).
  void cancel(Id id) noexcept;

  /// Whether `id` is scheduled.
  bool scheduled(Id id) const noexcept { return node(id) < links_.size() && links_[node(id)].prev != kUnlinked; }

  /// The expiry of a scheduled `id`.
  core::Instant expiry(Id id) const noexcept { return core::Instant(core::Duration(expiry_ns(id))); }

  /// Moves the clock to `now` (a `now` in the past is ignored) and calls `on_expire(id)` once
  /// for every id whose expiry is at or before `now`; those ids are no longer scheduled when
  /// the callback runs, and the callback may schedule or cancel any id.
  template <class OnExpire>
  void advance(core::Instant now, OnExpire&& on_expire) {
    collect_expired(now.time_since_epoch().count());
    for (std::size_t i = 0; i < expired_.size(); ++i) on_expire(expired_[i]);
    expired_.clear();
  }

  /// A lower bound of the next instant at which `advance` will have work (never later than the
  /// earliest expiry); `nullopt` when nothing is scheduled.
  std::optional<core::Instant> next_expiry() const noexcept;

  /// The wheel's clock: the latest `now` passed to `advance`.
  core::Instant now() const noexcept { return core::Instant(core::Duration(now_)); }

  /// How many ids are scheduled.
  std::size_t size() const noexcept { return size_; }

  /// Bytes held per id slot and in the buckets.
  std::size_t memory_bytes() const noexcept;

 private:
  static constexpr int kLevels = 6;
  static constexpr int kBucketBits = 6;
  static constexpr std::uint32_t kBuckets = 1U << kBucketBits;
  static constexpr int kFirstShift = 20;  // level-0 tick: 2^20 ns ~ 1.05 ms
  static constexpr std::uint32_t kSentinels = kLevels * kBuckets;
  static constexpr std::uint32_t kUnlinked = UINT32_MAX;  // the links of an id not scheduled

  static constexpr int shift(int level) noexcept { return kFirstShift + kBucketBits * level; }

  /// Index in `links_` of an id, after the bucket sentinels.
  static constexpr std::uint32_t node(Id id) noexcept { return kSentinels + id; }

  struct Link {
    std::uint32_t prev;
    std::uint32_t next;
  };

  void collect_expired(std::int64_t now);
  void process_bucket(int level, std::uint32_t bucket, std::int64_t now);
  void place(Id id, std::int64_t expiry);
  void link(std::uint32_t sentinel, std::uint32_t n) noexcept;
  void unlink(std::uint32_t n) noexcept;
  void grow(Id id);
  std::int64_t expiry_ns(Id id) const noexcept { return source_.expiry_ns ? source_.expiry_ns(source_.context, id) : expiry_[id]; }

  std::int64_t now_;
  std::size_t size_ = 0;
  ExpirySource source_;
  std::vector<std::int64_t> expiry_;  // by id, when the wheel keeps the expiries
  std::vector<Link> links_;           // bucket sentinels, then one per id
  std::array<std::uint64_t, kLevels> occupied_{};  // bit b: bucket b of the level is non-empty
  std::int64_t current_min_ = INT64_MAX;  // lower bound of expiries in the current level-0 bucket
  std::vector<Id> expired_;
};

}  // namespace cacheme::local

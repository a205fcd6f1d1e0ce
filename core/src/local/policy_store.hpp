/// @file policy_store.hpp
/// Adapts a policy (LRU or W-TinyLFU over string keys) to the engine's `LocalStore`,
/// adding per-entry expiry on a timer wheel and the optional weigher.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cacheme/local/local_store.hpp"
#include "cacheme/local/timer_wheel.hpp"
#include "cacheme/local/weigher.hpp"

namespace cacheme::local::detail {

/// What a node of the store holds: the shared value and its expiry, side by side in the node's
/// cache line, so that a hit checks the TTL without reading anything else.
struct TimedValue {
  static constexpr std::int64_t kNever = INT64_MAX;

  AnyValue value;
  std::int64_t expiry_ns = kNever;  ///< since the monotonic clock's epoch; kNever: no TTL
};

/// A `LocalStore` over `Policy<std::string, TimedValue>`. Node ids double as timer ids, so an
/// entry's timer is cancelled whenever the policy drops it; the wheel reads expiries from the
/// nodes.
template <template <class, class> class Policy>
class PolicyStore final : public LocalStore {
 public:
  /// A store of `capacity` (entries, or weight with a `weigher`), seeded with `seed`.
  PolicyStore(std::uint64_t capacity, std::uint64_t seed, Weigher weigher)
      : policy_(capacity, seed), wheel_(Instant{}, {this, &PolicyStore::expiry_of}), weigher_(std::move(weigher)),
        seed_(seed) {}

  // The wheel holds `this`.
  PolicyStore(const PolicyStore&) = delete;
  PolicyStore& operator=(const PolicyStore&) = delete;

  // The hot path: one hash, one index probe, one node line (key, value and expiry inline).
  Hit find(std::string_view key, Instant now) override {
    const std::uint32_t id = policy_.peek(key);
    if (id == kNoNode) return {};
    const TimedValue& entry = policy_.value(id);
    if (entry.expiry_ns <= now.time_since_epoch().count()) [[unlikely]] {  // expired, not yet swept
      keep_epoch(now);
      wheel_.cancel(id);
      record_expired(id);
      policy_.remove(id);
      return {};
    }
    prefetch_use_count(entry.value);
    policy_.touch(id);
    if (entry.expiry_ns == TimedValue::kNever) return {&entry.value, std::nullopt};
    return {&entry.value, Instant(core::Duration(entry.expiry_ns))};
  }

  void insert(std::string_view key, AnyValue value, std::optional<Instant> expiry, Instant now) override {
    advance(now);  // also keeps the birth times' epoch (see `keep_epoch`)
    const std::uint32_t weight = weigher_ ? std::max<std::uint32_t>(weigher_(key, value), 1) : 1;
    const std::int64_t expiry_ns = expiry ? expiry->time_since_epoch().count() : TimedValue::kNever;
    const std::uint32_t id = policy_.insert(key, TimedValue{std::move(value), expiry_ns}, weight,
                                            [&](std::uint32_t victim) {
                                              wheel_.cancel(victim);
                                              record_evicted(victim, now);
                                            });
    if (id == kNoNode) return;
    policy_.stamp(id) = stamp_of(now);
    if (expiry) {
      // Node ids stay below the entry capacity (plus the newcomer an insert holds for a
      // moment): give the wheel exactly that, once a TTL appears at all.
      if (wheel_.size() == 0 && !weigher_) wheel_.reserve(static_cast<std::size_t>(policy_.capacity()) + 1);
      wheel_.schedule(id, *expiry);  // also reschedules a replaced entry
    } else {
      wheel_.cancel(id);
    }
  }

  bool erase(std::string_view key) override {
    const std::uint32_t id = policy_.peek(key);
    if (id == kNoNode) return false;
    wheel_.cancel(id);
    policy_.remove(id);
    return true;
  }

  void clear(Instant now) override {
    const std::uint64_t capacity = policy_.capacity();
    policy_ = Policy<std::string, TimedValue>(capacity, seed_);
    wheel_ = TimerWheel(std::max(now, wheel_.now()), {this, &PolicyStore::expiry_of});
  }

  const EntryLifetimes& lifetimes() const override { return lifetimes_; }

  void advance(Instant now) override {
    keep_epoch(now);
    wheel_.advance(now, [this](std::uint32_t id) {
      record_expired(id);
      policy_.remove(id);
    });
  }

  std::optional<Instant> next_expiry() const override { return wheel_.next_expiry(); }
  std::size_t size() const override { return policy_.size(); }
  std::size_t capacity() const override { return static_cast<std::size_t>(policy_.capacity()); }
  std::size_t memory_bytes() const override {
    return policy_.memory_bytes() + wheel_.memory_bytes();
  }

 private:
  static_assert(sizeof(detail::Node<std::string, TimedValue>) == detail::kCacheLine, "a node is one cache line");

  static std::int64_t expiry_of(const void* self, TimerWheel::Id id) {
    return static_cast<const PolicyStore*>(self)->policy_.value(id).expiry_ns;
  }

  // The engine copies the handle next, which writes its reference count: start loading that
  // line now. With std::make_shared (how codecs and loaders build values) the count sits just
  // before the value; for other values this is a harmless wasted prefetch.
  static void prefetch_use_count(const AnyValue& value) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(value.get());
    if (address != 0) __builtin_prefetch(reinterpret_cast<const void*>(address - sizeof(long)), 1);
  }

  // Birth times live in the nodes' 32-bit stamps (a hit never reads them), in milliseconds
  // since `epoch_ms_`, plus one: 0 marks a node that has not been born, a newcomer that
  // W-TinyLFU's admission rejected inside `insert` (it never entered, so it has no lifetime).
  // A birth is floored to its millisecond: a lifetime counts up to 1 ms more than it lasted
  // (none when times are whole milliseconds). 32 bits of milliseconds span 49.7 days from the
  // epoch; when `now` passes that, `rebase` moves the epoch to 2^31 ms (24.8 days) before now
  // and births older than the new epoch saturate to it: such an entry counts as having lived
  // 24.8 days or more (above the histogram's last bound, 1 day), never wraps round to a short life.
  static constexpr std::uint32_t kUnborn = 0;
  static constexpr std::int64_t kNsPerMs = 1'000'000;
  static constexpr std::int64_t kRebasedAge = std::int64_t{1} << 31;  // ms from the new epoch to now

  static std::int64_t ms_of(Instant t) {
    return std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }
  // The stamp of a birth at `now` (`keep_epoch(now)` has run); a `now` before the epoch (time
  // never goes back in the engine) counts from the epoch.
  std::uint32_t stamp_of(Instant now) const {
    return static_cast<std::uint32_t>(std::max<std::int64_t>(ms_of(now) - epoch_ms_, 0) + 1);
  }
  // Sets the epoch at the first `now`, and rebases it before a stamp would pass 32 bits.
  void keep_epoch(Instant now) {
    const std::int64_t ms = ms_of(now);
    if (!has_epoch_) {
      epoch_ms_ = ms;
      has_epoch_ = true;
    } else if (ms - epoch_ms_ + 1 > std::int64_t{UINT32_MAX}) {
      rebase(ms - kRebasedAge - epoch_ms_);
    }
  }
  // Moves the epoch `shift` ms later; older births saturate to the new epoch (O(entries), once
  // per 24.8 days at most).
  void rebase(std::int64_t shift) {
    epoch_ms_ += shift;
    policy_.for_each_live([&](std::uint32_t id) {
      std::uint32_t& stamp = policy_.stamp(id);
      if (stamp != kUnborn) stamp = static_cast<std::uint32_t>(std::max<std::int64_t>(std::int64_t{stamp} - shift, 1));
    });
  }
  std::int64_t birth_ns(std::uint32_t stamp) const { return (epoch_ms_ + stamp - 1) * kNsPerMs; }

  void record_evicted(std::uint32_t id, Instant now) {
    const std::uint32_t stamp = policy_.stamp(id);
    if (stamp != kUnborn) lifetimes_.evicted.record(core::Duration(now.time_since_epoch().count() - birth_ns(stamp)));
  }
  // Counted to the expiry itself, not to when the wheel or a lookup noticed it.
  void record_expired(std::uint32_t id) {
    const std::uint32_t stamp = policy_.stamp(id);
    if (stamp != kUnborn) lifetimes_.expired.record(core::Duration(policy_.value(id).expiry_ns - birth_ns(stamp)));
  }

  Policy<std::string, TimedValue> policy_;
  TimerWheel wheel_;
  Weigher weigher_;
  std::uint64_t seed_;
  std::int64_t epoch_ms_ = 0;  // of the birth times' stamps (see `keep_epoch`)
  bool has_epoch_ = false;
  EntryLifetimes lifetimes_;
};

}  // namespace cacheme::local::detail

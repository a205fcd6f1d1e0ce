/// @file policy_store.hpp
/// Adapts a policy (LRU or W-TinyLFU over string keys) to the engine's `LocalStore`,
/// adding per-entry expiry on a timer wheel and the optional weigher.
#pragma once

#include <algorithm>
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
    advance(now);
    const std::uint32_t weight = weigher_ ? std::max<std::uint32_t>(weigher_(key, value), 1) : 1;
    const std::int64_t expiry_ns = expiry ? expiry->time_since_epoch().count() : TimedValue::kNever;
    const std::uint32_t id = policy_.insert(key, TimedValue{std::move(value), expiry_ns}, weight,
                                            [&](std::uint32_t victim) {
                                              wheel_.cancel(victim);
                                              record_evicted(victim, now);
                                            });
    if (id == kNoNode) return;
    born(id, now);
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
    take_birth(id);
    policy_.remove(id);
    return true;
  }

  void clear(Instant now) override {
    const std::uint64_t capacity = policy_.capacity();
    policy_ = Policy<std::string, TimedValue>(capacity, seed_);
    wheel_ = TimerWheel(std::max(now, wheel_.now()), {this, &PolicyStore::expiry_of});
    born_ns_.assign(born_ns_.size(), kUnborn);
  }

  const EntryLifetimes& lifetimes() const override { return lifetimes_; }

  void advance(Instant now) override {
    wheel_.advance(now, [this](std::uint32_t id) {
      record_expired(id);
      policy_.remove(id);
    });
  }

  std::optional<Instant> next_expiry() const override { return wheel_.next_expiry(); }
  std::size_t size() const override { return policy_.size(); }
  std::size_t capacity() const override { return static_cast<std::size_t>(policy_.capacity()); }
  std::size_t memory_bytes() const override {
    return policy_.memory_bytes() + wheel_.memory_bytes() + born_ns_.capacity() * sizeof(std::int64_t);
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

  // Insertion times live beside the nodes, by id, not in them: a node is exactly one cache line
  // and the hit path must not read a second one. kUnborn marks a free id, or a newcomer that
  // W-TinyLFU's admission rejected inside `insert` (it never entered, so it has no lifetime).
  static constexpr std::int64_t kUnborn = INT64_MIN;

  void born(std::uint32_t id, Instant now) {
    if (id >= born_ns_.size()) grow_births(id);
    born_ns_[id] = now.time_since_epoch().count();
  }
  // Ids of an unweighted store stay below its capacity + 1 (see `insert`): growth stops there,
  // where doubling would overshoot by up to 2 x (2.5 bytes per entry at 100,000 entries).
  void grow_births(std::uint32_t id) {
    std::size_t want = std::max<std::size_t>(std::size_t{id} + 1, 2 * born_ns_.size());
    if (!weigher_) want = std::min<std::size_t>(want, static_cast<std::size_t>(policy_.capacity()) + 1);
    born_ns_.reserve(std::max<std::size_t>(want, std::size_t{id} + 1));
    born_ns_.resize(std::size_t{id} + 1, kUnborn);
  }
  std::int64_t take_birth(std::uint32_t id) {
    if (id >= born_ns_.size()) return kUnborn;
    return std::exchange(born_ns_[id], kUnborn);
  }
  void record_evicted(std::uint32_t id, Instant now) {
    const std::int64_t birth = take_birth(id);
    if (birth != kUnborn) lifetimes_.evicted.record(core::Duration(now.time_since_epoch().count() - birth));
  }
  // Counted to the expiry itself, not to when the wheel or a lookup noticed it.
  void record_expired(std::uint32_t id) {
    const std::int64_t birth = take_birth(id);
    if (birth != kUnborn) lifetimes_.expired.record(core::Duration(policy_.value(id).expiry_ns - birth));
  }

  Policy<std::string, TimedValue> policy_;
  TimerWheel wheel_;
  Weigher weigher_;
  std::uint64_t seed_;
  std::vector<std::int64_t> born_ns_;
  EntryLifetimes lifetimes_;
};

}  // namespace cacheme::local::detail

/// @file policy_store.hpp
/// Adapts a policy (LRU or W-TinyLFU over string keys) to the engine's `LocalStore`,
/// adding per-entry expiry on a timer wheel and the optional weigher.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "cacheme/local/local_store.hpp"
#include "cacheme/local/timer_wheel.hpp"
#include "cacheme/local/weigher.hpp"

namespace cacheme::local::detail {

/// A `LocalStore` over `Policy<std::string, AnyValue>`. Node ids double as timer ids, so an
/// entry's timer is cancelled whenever the policy drops it.
template <template <class, class> class Policy>
class PolicyStore final : public LocalStore {
 public:
  /// A store of `capacity` (entries, or weight with a `weigher`), seeded with `seed`.
  PolicyStore(std::uint64_t capacity, std::uint64_t seed, Weigher weigher)
      : policy_(capacity, seed), weigher_(std::move(weigher)) {}

  // The hot path: one hash, one index probe, one node line (key inline), and the TTL check
  // only when some entry has a TTL at all.
  Hit find(std::string_view key, Instant now) override {
    const std::uint32_t id = policy_.peek(key);
    if (id == kNoNode) return {};
    std::optional<Instant> expiry;
    if (wheel_.size() != 0 && wheel_.scheduled(id)) [[unlikely]] {
      expiry = wheel_.expiry(id);
      if (*expiry <= now) {  // expired but not yet swept: it leaves now
        wheel_.cancel(id);
        policy_.remove(id);
        return {};
      }
    }
    const AnyValue& value = policy_.value(id);
    prefetch_use_count(value);
    policy_.touch(id);
    return {&value, expiry};
  }

  void insert(std::string_view key, AnyValue value, std::optional<Instant> expiry, Instant now) override {
    advance(now);
    const std::uint32_t weight = weigher_ ? std::max<std::uint32_t>(weigher_(key, value), 1) : 1;
    const std::uint32_t id = policy_.insert(key, std::move(value), weight, [this](std::uint32_t victim) { wheel_.cancel(victim); });
    if (id == kNoNode) return;
    if (expiry) {
      wheel_.schedule(id, *expiry);  // also reschedules a replaced entry
    } else if (wheel_.size() != 0) {
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

  void advance(Instant now) override {
    wheel_.advance(now, [this](std::uint32_t id) { policy_.remove(id); });
  }

  std::optional<Instant> next_expiry() const override { return wheel_.next_expiry(); }
  std::size_t size() const override { return policy_.size(); }
  std::size_t capacity() const override { return static_cast<std::size_t>(policy_.capacity()); }

 private:
  // The engine copies the handle next, which writes its reference count: start loading that
  // line now. With std::make_shared (how codecs and loaders build values) the count sits just
  // before the value; for other values this is a harmless wasted prefetch.
  static void prefetch_use_count(const AnyValue& value) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(value.get());
    if (address != 0) __builtin_prefetch(reinterpret_cast<const void*>(address - sizeof(long)), 1);
  }

  static_assert(sizeof(detail::Node<std::string, AnyValue>) == detail::kCacheLine, "a node is one cache line");

  Policy<std::string, AnyValue> policy_;
  TimerWheel wheel_;
  Weigher weigher_;
};

}  // namespace cacheme::local::detail

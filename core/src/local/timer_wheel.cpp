#include "cacheme/local/timer_wheel.hpp"

#include <algorithm>
#include <bit>

namespace cacheme::local {

TimerWheel::TimerWheel(core::Instant start) : TimerWheel(start, ExpirySource{}) {}

TimerWheel::TimerWheel(core::Instant start, ExpirySource source) : now_(start.time_since_epoch().count()), source_(source) {
  links_.resize(kSentinels);
  for (std::uint32_t s = 0; s < kSentinels; ++s) links_[s] = {s, s};
}

void TimerWheel::grow(Id id) {
  if (node(id) < links_.size()) return;
  const std::size_t ids = links_.size() - kSentinels;
  std::size_t size = std::max<std::size_t>(std::size_t{id} + 1, ids * 2);
  if (node(id) < links_.capacity()) size = links_.capacity() - kSentinels;  // as reserved
  links_.resize(kSentinels + size, Link{kUnlinked, kUnlinked});
  if (!source_.expiry_ns) expiry_.resize(size);
}

void TimerWheel::reserve(std::size_t ids) {
  links_.reserve(kSentinels + ids);
  if (!source_.expiry_ns) expiry_.reserve(ids);
}

void TimerWheel::link(std::uint32_t sentinel, std::uint32_t n) noexcept {
  const std::uint32_t tail = links_[sentinel].prev;
  links_[n] = {tail, sentinel};
  links_[tail].next = n;
  links_[sentinel].prev = n;
}

void TimerWheel::unlink(std::uint32_t n) noexcept {
  const Link l = links_[n];
  links_[l.prev].next = l.next;
  links_[l.next].prev = l.prev;
  links_[n] = {kUnlinked, kUnlinked};
  // An emptied bucket clears its occupancy bit (a sentinel linked to itself).
  for (std::uint32_t s : {l.prev, l.next}) {
    if (s < kSentinels && links_[s].next == s) occupied_[s / kBuckets] &= ~(std::uint64_t{1} << (s % kBuckets));
  }
}

void TimerWheel::place(Id id, std::int64_t expiry) {
  const std::int64_t at = std::max(expiry, now_);  // already due: the current level-0 bucket
  int level = 0;
  std::int64_t tick = at >> shift(0);
  while ((tick - (now_ >> shift(level))) >= kBuckets) {
    if (level == kLevels - 1) {
      tick = (now_ >> shift(level)) + kBuckets - 1;  // beyond the wheel: the last bucket to come
      break;
    }
    ++level;
    tick = at >> shift(level);
  }
  const auto bucket = static_cast<std::uint32_t>(tick & (kBuckets - 1));
  link(static_cast<std::uint32_t>(level) * kBuckets + bucket, node(id));
  occupied_[level] |= std::uint64_t{1} << bucket;
  if (level == 0 && tick == (now_ >> shift(0))) current_min_ = std::min(current_min_, expiry);
}

void TimerWheel::schedule(Id id, core::Instant expiry) {
  grow(id);
  if (scheduled(id)) {
    unlink(node(id));
  } else {
    ++size_;
  }
  const std::int64_t at = expiry.time_since_epoch().count();
  if (!source_.expiry_ns) expiry_[id] = at;
  place(id, at);
}

void TimerWheel::cancel(Id id) noexcept {
  if (!scheduled(id)) return;
  unlink(node(id));
  --size_;
}

void TimerWheel::process_bucket(int level, std::uint32_t bucket, std::int64_t now) {
  const std::uint32_t sentinel = static_cast<std::uint32_t>(level) * kBuckets + bucket;
  // Detach the whole chain first: entries placed again may land in this very bucket.
  std::uint32_t n = links_[sentinel].next;
  links_[sentinel] = {sentinel, sentinel};
  occupied_[level] &= ~(std::uint64_t{1} << bucket);
  while (n != sentinel) {
    const std::uint32_t next = links_[n].next;
    links_[n] = {kUnlinked, kUnlinked};
    const Id id = n - kSentinels;
    const std::int64_t expiry = expiry_ns(id);
    if (expiry <= now) {
      --size_;
      expired_.push_back(id);
    } else {
      place(id, expiry);
    }
    n = next;
  }
}

void TimerWheel::collect_expired(std::int64_t now) {
  if (now < now_) return;  // time never goes back
  const std::int64_t previous = now_;
  now_ = now;
  // The current level-0 bucket is always processed below, and refills this bound.
  current_min_ = INT64_MAX;
  if (size_ == 0) return;
  for (int level = 0; level < kLevels; ++level) {
    const std::int64_t first = previous >> shift(level);
    const std::int64_t last = now >> shift(level);
    // Level 0 always revisits its current bucket (exact expiry); a level that did not tick
    // has nothing due, nor has any level above it.
    if (level > 0 && first == last) break;
    const std::int64_t steps = std::min<std::int64_t>(last - first + 1, kBuckets);
    for (std::int64_t i = 0; i < steps; ++i) {
      const auto bucket = static_cast<std::uint32_t>((first + i) & (kBuckets - 1));
      if ((occupied_[level] >> bucket) & 1U) process_bucket(level, bucket, now);
    }
  }
}

std::optional<core::Instant> TimerWheel::next_expiry() const noexcept {
  if (size_ == 0) return std::nullopt;
  std::int64_t best = INT64_MAX;
  for (int level = 0; level < kLevels; ++level) {
    const std::uint64_t bits = occupied_[level];
    if (bits == 0) continue;
    const std::int64_t tick = now_ >> shift(level);
    const int offset = std::countr_zero(std::rotr(bits, static_cast<int>(tick & (kBuckets - 1))));
    std::int64_t at = 0;
    if (offset != 0) {
      at = (tick + offset) << shift(level);  // no entry of that bucket expires before its start
    } else if (level == 0) {
      // The current bucket's entries were all seen by `place` since the last `advance`.
      at = std::min(current_min_, (tick + 1) << shift(0));
    } else {
      at = (tick + 1) << shift(level);  // a far entry aliased here; placed again at the next tick
    }
    best = std::min(best, at);
  }
  return core::Instant(core::Duration(best));
}

std::size_t TimerWheel::memory_bytes() const noexcept {
  return expiry_.capacity() * sizeof(std::int64_t) + links_.capacity() * sizeof(Link);
}

}  // namespace cacheme::local

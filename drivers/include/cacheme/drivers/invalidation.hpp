/// @file invalidation.hpp
/// A channel that tells other processes which shared keys were erased, so that they drop their
/// local copies (cross-process invalidation). The Redis driver implements it over pub/sub
/// (`cacheme/drivers/redis_invalidation.hpp`); the runtime drives it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace cacheme::drivers {

/// What an invalidation channel reports, on the reactor's thread.
struct InvalidationEvents {
  /// Another process erased `full_key` (`{prefix}:{key}:{version}`) from the shared Redis.
  std::function<void(std::string_view full_key)> erased;
  /// The channel is subscribed (again): what was published meanwhile was missed.
  std::function<void()> resubscribed;
};

/// Counts of one channel since it was opened.
struct InvalidationCounts {
  std::uint64_t published = 0;       ///< messages sent
  std::uint64_t received = 0;        ///< messages of other processes delivered to `erased`
  std::uint64_t own = 0;             ///< this process's own messages, ignored
  std::uint64_t malformed = 0;       ///< messages that are not ours to read, ignored
  std::uint64_t queued = 0;          ///< waiting for the publisher to reconnect
  std::uint64_t dropped = 0;         ///< not published: the queue was full while disconnected
  std::uint64_t subscriptions = 0;   ///< times the channel was subscribed (1 + reconnections)
  bool subscribed = false;           ///< listening now
};

/// A subscribed channel and its publisher.
class InvalidationChannel {
 public:
  virtual ~InvalidationChannel() = default;
  /// Tells the other processes that `full_key` was erased. While the publisher is down,
  /// messages wait (at most `kMaxQueuedInvalidations`; past it they are dropped and counted).
  virtual void publish(std::string_view full_key) = 0;
  /// What the channel has published, received, dropped so far, and whether it listens now.
  virtual InvalidationCounts counts() const = 0;
  /// The channel's name.
  virtual const std::string& name() const = 0;
};

/// The most messages kept while the publisher reconnects.
inline constexpr std::size_t kMaxQueuedInvalidations = 100'000;

}  // namespace cacheme::drivers

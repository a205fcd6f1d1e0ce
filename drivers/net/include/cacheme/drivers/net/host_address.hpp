/// @file host_address.hpp
/// The address of a host name, looked up again in the background after a connection is lost.
///
/// A driver resolves its URL's host name at registration (`resolve_hosts`); a server that
/// later moves (a failover that repoints a DNS name, a container given a new IP) would be lost for
/// good if that address were kept for ever. So after a failed connect or a lost connection the
/// driver calls `refresh`, which looks the name up again on a detached thread, and every connect
/// asks `current` for the address: the last one known until the lookup has answered. Internal to
/// the drivers: not part of the public API.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace cacheme::drivers::net {

/// One host's address, refreshed off the loop thread. Loop thread only (the lookup's thread only
/// touches a state it shares with this object, so destroying it while a lookup runs is safe: the
/// answer is dropped, the thread ends on its own).
class HostAddress {
 public:
  /// The shortest time between two lookups: a server that is down makes every reconnect fail,
  /// and its DNS server should not be asked at that pace.
  static constexpr std::chrono::milliseconds kMinInterval{1000};

  /// Nothing to look up (an IP literal, a Unix socket): `current` is `address`, `refresh` a no-op.
  explicit HostAddress(std::string address = {});
  /// `host`'s address is `address` (found at registration); IP literals are never looked up.
  HostAddress(std::string host, std::string address);
  ~HostAddress();
  /// Takes `other`'s address and any lookup in flight (the lookup's thread holds shared state only).
  HostAddress(HostAddress&& other) noexcept;
  /// Takes `other`'s address and any lookup in flight; a lookup of this one still running is dropped.
  HostAddress& operator=(HostAddress&& other) noexcept;
  HostAddress(const HostAddress&) = delete;
  HostAddress& operator=(const HostAddress&) = delete;

  /// The address to connect to: the answer of the last lookup that succeeded (never waits).
  const std::string& current();
  /// Starts a lookup of the name on a thread of its own, unless the host is an IP literal, a
  /// lookup is under way, or the last one started less than `kMinInterval` ago. A lookup that
  /// fails keeps the address known.
  void refresh();

 private:
  struct Shared;
  std::string host_;     // empty: nothing to look up
  std::string address_;  // the last known address
  std::chrono::steady_clock::time_point last_lookup_{};
  std::shared_ptr<Shared> shared_;  // with the lookup's thread
};

}  // namespace cacheme::drivers::net

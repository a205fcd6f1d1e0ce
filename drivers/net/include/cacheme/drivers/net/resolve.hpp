/// @file resolve.hpp
/// Host names resolved off the loop thread, for the network drivers (Redis, PostgreSQL, MariaDB).
///
/// hiredis, libpq and Connector/C connect with a blocking getaddrinfo on the calling thread, the
/// loop's, for every connection and reconnect: a slow DNS server would stall every storage of
/// the loop. So each driver resolves its URL's host names at registration, on a thread of its own,
/// and hands its client library the numeric address; after a lost connection it looks the name up
/// again in the background (`HostAddress`, host_address.hpp). IP literals skip resolution
/// altogether (no thread). Internal to the drivers: not part of the public API.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cacheme/drivers/reactor.hpp"

namespace cacheme::drivers::net {

/// Whether `host` is an IPv4 or IPv6 address written out (nothing to resolve).
bool is_ip_literal(std::string_view host);

/// What `resolve_hosts` found: the numeric address of each host, in order, or why one failed.
struct Resolved {
  std::vector<std::string> addresses;  ///< empty when `error` is set
  std::string error;                   ///< "host: reason" of the first host that did not resolve
};

/// Resolves `hosts` (IPv4 first, then IPv6) on a thread of its own when one of them is a name,
/// and runs `done` on the reactor's thread (posted, never inside this call). The reactor must
/// outlive the resolution.
void resolve_hosts(Reactor& reactor, std::vector<std::string> hosts, std::function<void(Resolved)> done);

namespace testing {

/// Called on the resolving thread for each host name, before it is looked up; an address it
/// returns is used instead of the system resolver's (so a test can name a host no resolver
/// knows). Tests only; an empty function removes it. Lookups already under way keep the hook
/// they started with: what the hook captures must outlive them.
using LookupHook = std::function<std::optional<std::string>(const std::string& host)>;

/// Installs `hook` (see `LookupHook`).
void set_lookup_hook(LookupHook hook);

}  // namespace testing
}  // namespace cacheme::drivers::net

// Host names resolved off the loop thread (private to the driver).
//
// hiredis connects with a blocking getaddrinfo on the calling thread, the loop's, for every
// connection and reconnect. So the driver resolves the URL's host names once, at registration,
// on a thread of its own, and hands hiredis the numeric address ever after. IP literals skip
// resolution altogether (no thread).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cacheme/drivers/reactor.hpp"

namespace cacheme::drivers::redis::detail {

/// Whether `host` is an IPv4 or IPv6 address written out (nothing to resolve).
bool is_ip_literal(std::string_view host);

/// What `resolve_hosts` found: the numeric address of each host, in order, or why one failed.
struct Resolved {
  std::vector<std::string> addresses;  ///< empty when `error` is set
  std::string error;                   ///< "host: reason" of the first host that did not resolve
};

/// Resolves `hosts` (IPv4 first, as hiredis does, then IPv6) on a thread of its own when one of
/// them is a name, and runs `done` on the reactor's thread (posted, never inside this call).
/// The reactor must outlive the resolution.
void resolve_hosts(Reactor& reactor, std::vector<std::string> hosts, std::function<void(Resolved)> done);

}  // namespace cacheme::drivers::redis::detail

// One host name looked up, blocking: for the lookup threads of resolve.cpp and host_address.cpp.
#pragma once

#include <string>

namespace cacheme::drivers::net::detail {

/// `host`'s address: the test hook's answer if it gives one, else IPv4 first (as hiredis tries
/// it), then IPv6. Empty, with `error` set, when none. Blocks: never on the loop thread.
std::string resolve_name(const std::string& host, std::string& error);

}  // namespace cacheme::drivers::net::detail

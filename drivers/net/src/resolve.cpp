#include "cacheme/drivers/net/resolve.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "lookup.hpp"

namespace cacheme::drivers::net {
namespace {

// The hook, read by lookup threads while a test may replace it. Never destroyed: a detached
// lookup thread may still read it while the process exits.
struct HookSlot {
  std::mutex mutex;
  std::shared_ptr<const testing::LookupHook> hook;
};
HookSlot& hook_slot() {
  static auto* slot = new HookSlot;
  return *slot;
}

std::shared_ptr<const testing::LookupHook> lookup_hook() {
  std::lock_guard lock(hook_slot().mutex);
  return hook_slot().hook;
}

/// The first address of `host` in `family`, as text; empty (and `error` set) when none.
std::string lookup(const std::string& host, int family, std::string& error) {
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    error = ::gai_strerror(rc);
    return {};
  }
  char text[INET6_ADDRSTRLEN] = {};
  const void* addr = found->ai_family == AF_INET
                         ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr)
                         : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(found->ai_addr)->sin6_addr);
  const bool ok = ::inet_ntop(found->ai_family, addr, text, sizeof text) != nullptr;
  ::freeaddrinfo(found);
  if (!ok) error = "address not printable";
  return ok ? std::string(text) : std::string();
}

Resolved resolve_now(const std::vector<std::string>& hosts) {
  Resolved r;
  for (const auto& host : hosts) {
    if (is_ip_literal(host)) {
      r.addresses.push_back(host);
      continue;
    }
    std::string error;
    std::string address = detail::resolve_name(host, error);
    if (address.empty()) return Resolved{{}, host + ": " + error};
    r.addresses.push_back(std::move(address));
  }
  return r;
}

}  // namespace

std::string detail::resolve_name(const std::string& host, std::string& error) {
  if (const auto hook = lookup_hook(); hook && *hook)
    if (auto answer = (*hook)(host)) return std::move(*answer);
  std::string address = lookup(host, AF_INET, error);
  if (address.empty()) address = lookup(host, AF_INET6, error);
  return address;
}

bool is_ip_literal(std::string_view host) {
  const std::string h(host);
  in6_addr buffer{};
  return ::inet_pton(AF_INET, h.c_str(), &buffer) == 1 || ::inet_pton(AF_INET6, h.c_str(), &buffer) == 1;
}

void resolve_hosts(Reactor& reactor, std::vector<std::string> hosts, std::function<void(Resolved)> done) {
  bool all_literal = true;
  for (const auto& h : hosts) all_literal = all_literal && is_ip_literal(h);
  if (all_literal) {
    reactor.post([hosts = std::move(hosts), done = std::move(done)] { done(Resolved{hosts, {}}); });
    return;
  }
  // Detached: the thread owns what it uses and only posts its result (post is thread-safe).
  std::thread([&reactor, hosts = std::move(hosts), done = std::move(done)]() mutable {
    auto result = std::make_shared<Resolved>(resolve_now(hosts));
    reactor.post([result, done = std::move(done)] { done(std::move(*result)); });
  }).detach();
}

namespace testing {

void set_lookup_hook(LookupHook hook) {
  auto shared = hook ? std::make_shared<const LookupHook>(std::move(hook)) : nullptr;
  std::lock_guard lock(hook_slot().mutex);
  hook_slot().hook = std::move(shared);
}

}  // namespace testing
}  // namespace cacheme::drivers::net

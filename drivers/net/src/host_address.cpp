#include "cacheme/drivers/net/host_address.hpp"

#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "cacheme/drivers/net/resolve.hpp"
#include "lookup.hpp"

namespace cacheme::drivers::net {

// What the loop thread and a lookup's thread share: the lookup writes its answer here, and the
// loop takes it at its next `current`. The thread holds its own reference, so it never touches
// the HostAddress, which may be gone by the time the name has resolved.
struct HostAddress::Shared {
  std::mutex mutex;
  bool in_flight = false;
  std::optional<std::string> answer;  // a lookup's answer not yet taken by the loop
};

HostAddress::HostAddress(std::string address) : address_(std::move(address)) {}

HostAddress::HostAddress(std::string host, std::string address)
    : host_(is_ip_literal(host) ? std::string() : std::move(host)),
      address_(std::move(address)),
      shared_(std::make_shared<Shared>()) {}

HostAddress::~HostAddress() = default;
HostAddress::HostAddress(HostAddress&&) noexcept = default;
HostAddress& HostAddress::operator=(HostAddress&&) noexcept = default;

const std::string& HostAddress::current() {
  if (!shared_) return address_;
  std::lock_guard lock(shared_->mutex);
  if (shared_->answer) address_ = std::move(*std::exchange(shared_->answer, std::nullopt));
  return address_;
}

void HostAddress::refresh() {
  if (host_.empty() || !shared_) return;
  const auto now = std::chrono::steady_clock::now();
  if (last_lookup_ != std::chrono::steady_clock::time_point{} && now - last_lookup_ < kMinInterval) return;
  {
    std::lock_guard lock(shared_->mutex);
    if (shared_->in_flight) return;
    shared_->in_flight = true;
  }
  last_lookup_ = now;
  // Detached: it touches only `shared` (and the resolver's hook), so neither this object nor the
  // loop has to outlive it, and nothing waits for it.
  std::thread([shared = shared_, host = host_] {
    std::string error;
    std::string address = detail::resolve_name(host, error);
    std::lock_guard lock(shared->mutex);
    shared->in_flight = false;
    if (!address.empty()) shared->answer = std::move(address);
  }).detach();
}

}  // namespace cacheme::drivers::net

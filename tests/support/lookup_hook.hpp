// The network drivers' host-name lookups seen, and answered, by a test: the resolver's test hook
// (drivers/net) records each lookup and its thread, answers one name with an address the test
// can change, and takes as long as a slow DNS server.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cacheme/drivers/net/resolve.hpp"

namespace cacheme::test_support {

class HookedLookups {
 public:
  /// Answers `name` with `address` after `delay`; other names go to the system resolver.
  HookedLookups(std::string name, std::string address, std::chrono::milliseconds delay)
      : name_(std::move(name)), address_(std::move(address)), delay_(delay) {
    drivers::net::testing::set_lookup_hook([this](const std::string& host) { return answer(host); });
  }
  /// Removes the hook, then waits for the lookups still inside it (they run on detached threads).
  ~HookedLookups() {
    drivers::net::testing::set_lookup_hook(nullptr);
    for (int i = 0; i < 500 && busy(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  HookedLookups(const HookedLookups&) = delete;
  HookedLookups& operator=(const HookedLookups&) = delete;

  /// What the next lookups of the name answer.
  void set_address(std::string address) {
    std::lock_guard lock(mutex_);
    address_ = std::move(address);
  }
  /// The names looked up so far, in order.
  std::vector<std::string> hosts() {
    std::lock_guard lock(mutex_);
    return hosts_;
  }
  /// The threads the lookups ran on, in order.
  std::vector<std::thread::id> threads() {
    std::lock_guard lock(mutex_);
    return threads_;
  }
  /// Forgets the lookups seen so far.
  void clear() {
    std::lock_guard lock(mutex_);
    hosts_.clear();
    threads_.clear();
  }

 private:
  std::optional<std::string> answer(const std::string& host) {
    {
      std::lock_guard lock(mutex_);
      hosts_.push_back(host);
      threads_.push_back(std::this_thread::get_id());
      ++inside_;
    }
    std::this_thread::sleep_for(delay_);  // a slow DNS server: the loop must tick meanwhile
    std::lock_guard lock(mutex_);
    --inside_;
    if (host == name_) return address_;
    return std::nullopt;  // the system resolver
  }
  bool busy() {
    std::lock_guard lock(mutex_);
    return inside_ > 0;
  }

  std::mutex mutex_;
  std::string name_;
  std::string address_;
  std::chrono::milliseconds delay_;
  std::vector<std::string> hosts_;
  std::vector<std::thread::id> threads_;
  std::size_t inside_ = 0;
};

}  // namespace cacheme::test_support

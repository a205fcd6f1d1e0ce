// The outstanding operations of one Redis storage (single or cluster): what bounds its memory
// and what lets it forget the operations the core gave up on.
//
// An operation is *held* from `begin` until it has completed (or been abandoned) AND every
// command it put into hiredis has come back (a reply, or nullptr when the connection went
// away). Held operations are what costs memory: hiredis's output buffer and its reply records,
// our closures. The cap counts them, abandoned ones included, so the storage's memory is
// bounded whatever the server does: past the cap an operation is refused at once
// (`IoStatus::overloaded`) and the chain goes on to the next tier and the source.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <unordered_map>

#include "cacheme/core/ids.hpp"

namespace cacheme::drivers::redis::detail {

class OpTable {
 public:
  /// `cap`: the most operations held at once (> 0).
  explicit OpTable(std::size_t cap) : cap_(cap) {}
  OpTable(const OpTable&) = delete;
  OpTable& operator=(const OpTable&) = delete;

  /// Whether one more operation may start; when not, it is counted as overloaded.
  bool admit() {
    if (held_.size() < cap_) return true;
    ++overloaded_;
    return false;
  }
  /// Operation `id` starts (after `admit`).
  void begin(core::IoId id) {
    held_.emplace(id.v, Entry{});
    ++outstanding_;
  }
  /// Whether `id` still wants to be worked on: started, neither completed nor abandoned.
  bool live(core::IoId id) const {
    const auto it = held_.find(id.v);
    return it != held_.end() && it->second.state == State::live;
  }
  /// One command of `id` went into hiredis.
  void sent(core::IoId id) {
    if (const auto it = held_.find(id.v); it != held_.end()) ++it->second.commands;
  }
  /// One command of `id` came back (reply or nullptr). True when `id` is still live.
  bool replied(core::IoId id);
  /// `id` completes now. True when its completion must be delivered (it was not abandoned).
  bool finish(core::IoId id);
  /// The core gave up on `id`: no completion for it; its replies, when they come, are dropped.
  void abandon(core::IoId id);

  std::size_t cap() const noexcept { return cap_; }
  void set_cap(std::size_t cap) noexcept { cap_ = cap; }
  /// Operations started and not yet completed nor abandoned.
  std::size_t outstanding() const noexcept { return outstanding_; }
  /// Operations holding memory (outstanding, or abandoned with commands still in hiredis).
  std::size_t held() const noexcept { return held_.size(); }
  std::uint64_t abandoned() const noexcept { return abandoned_; }
  std::uint64_t overloaded() const noexcept { return overloaded_; }

 private:
  enum class State : std::uint8_t { live, done };
  struct Entry {
    std::uint32_t commands = 0;  // in hiredis, reply not yet back
    State state = State::live;
  };
  using Map = std::pmr::unordered_map<std::uint64_t, Entry>;
  void retire(Map::iterator it);

  std::size_t cap_;
  // Every operation inserts one node and erases it: the pool hands the freed nodes (and
  // bucket arrays) back to the next operations instead of to malloc.
  std::pmr::unsynchronized_pool_resource nodes_;
  Map held_{&nodes_};
  std::size_t outstanding_ = 0;
  std::uint64_t abandoned_ = 0;
  std::uint64_t overloaded_ = 0;
};

}  // namespace cacheme::drivers::redis::detail

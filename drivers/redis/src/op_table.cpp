#include "op_table.hpp"

namespace cacheme::drivers::redis::detail {

bool OpTable::replied(core::IoId id) {
  const auto it = held_.find(id.v);
  if (it == held_.end()) return false;
  if (it->second.commands > 0) --it->second.commands;
  if (it->second.state == State::live) return true;
  retire(it);
  return false;
}

bool OpTable::finish(core::IoId id) {
  const auto it = held_.find(id.v);
  if (it == held_.end() || it->second.state != State::live) return false;
  it->second.state = State::done;
  --outstanding_;
  retire(it);
  return true;
}

void OpTable::abandon(core::IoId id) {
  const auto it = held_.find(id.v);
  if (it == held_.end() || it->second.state != State::live) return;  // completed already
  it->second.state = State::done;
  --outstanding_;
  ++abandoned_;
  retire(it);
}

void OpTable::retire(Map::iterator it) {
  if (it->second.state == State::done && it->second.commands == 0) held_.erase(it);
}

}  // namespace cacheme::drivers::redis::detail

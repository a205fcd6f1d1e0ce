// Cross-process invalidation, the core's half: announcing finished erases of a shared tier and
// dropping local copies when another process announced one. The transport (Redis pub/sub) is
// the adapter's; here everything stays a pure operation on the engine's state.
#include <algorithm>

#include "cacheme/core/engine.hpp"
#include "engine_state.hpp"

namespace cacheme::core {

namespace {

bool holds(const detail::NodeState& n, TierId tier) {
  return std::find(n.chain.begin(), n.chain.end(), tier) != n.chain.end();
}

}  // namespace

std::optional<ErasedKey> Engine::poll_erased() {
  if (impl_->erased_.empty()) return std::nullopt;
  ErasedKey e = std::move(impl_->erased_.front());
  impl_->erased_.pop_front();
  return e;
}

std::size_t Engine::drop_local(TierId remote, std::string_view full_key, Now now) {
  detail::EngineImpl& e = *impl_;
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < e.nodes_.size(); ++i) {
    detail::NodeState& n = e.nodes_[i];
    if (!holds(n, remote)) continue;
    // The local key is the full key plus this node's tag (rule 11): rebuild it in key_buf_.
    e.key_buf_.assign(full_key);
    detail::append_node_tag(e.key_buf_, NodeId{i + 1});
    bool any = false;
    for (TierId t : n.chain) {
      detail::Tier& tier = e.tiers_[t.v - 1];
      if (tier.is_local() && tier.local->erase(e.key_buf_)) {
        ++dropped;
        any = true;
      }
    }
    // A flight here may have read the old value from the shared tier before the other process
    // erased it: it must not write that value into a local tier now.
    e.detach(e.key_buf_);
    if (any) ++n.stats.remote_invalidations;
  }
  (void)now;
  return dropped;
}

void Engine::clear_local(TierId remote, Now now) {
  detail::EngineImpl& e = *impl_;
  std::vector<bool> cleared(e.tiers_.size(), false);
  for (detail::NodeState& n : e.nodes_) {
    if (!holds(n, remote)) continue;
    ++n.stats.local_clears;
    for (TierId t : n.chain) {
      detail::Tier& tier = e.tiers_[t.v - 1];
      if (!tier.is_local() || cleared[t.v - 1]) continue;
      tier.local->clear(now.mono);
      cleared[t.v - 1] = true;
    }
  }
}

std::vector<StorageInfo> Engine::storages() const {
  std::vector<StorageInfo> out;
  for (std::size_t i = 0; i < impl_->tiers_.size(); ++i)
    out.push_back({TierId{i + 1}, impl_->tiers_[i].name, impl_->tiers_[i].is_local()});
  return out;
}

const local::LocalStore* Engine::local_store(TierId tier) const {
  if (tier.v < 1 || tier.v > impl_->tiers_.size()) return nullptr;
  return impl_->tiers_[tier.v - 1].local.get();
}

}  // namespace cacheme::core

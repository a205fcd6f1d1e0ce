// The runtime's cross-process invalidation: finished erases of a storage registered with
// `?invalidation=pubsub` go out on its channel; what other processes announce drops local
// copies here (Engine::drop_local), and a (re)subscription clears the local tiers that may
// have missed messages (Engine::clear_local).
#include "cacheme/adapters/runtime.hpp"
#include "cacheme/errc.hpp"
#include "storage_factory.hpp"

namespace cacheme::adapters {

std::error_code Runtime::open_channel(core::TierId tier, std::string_view url) {
  std::weak_ptr<bool> alive = alive_;
  drivers::InvalidationEvents events;
  events.erased = [this, alive, tier](std::string_view full_key) {
    if (!is_alive(alive)) return;
    engine().drop_local(tier, full_key, real_now());
    if (on_remote_drop_) on_remote_drop_(full_key);
    pump();  // a detached flight may have finished
  };
  events.resubscribed = [this, alive, tier] {
    if (!is_alive(alive)) return;
    engine().clear_local(tier, real_now());
    pump();
  };
  auto parsed = parse_storage_url(url);
  if (!parsed) return parsed.error();
  auto channel = open_invalidation(reactor_, parsed->scheme, url, engine().prefix(), std::move(events));
  if (!channel) return channel.error();
  channels_[tier] = std::move(*channel);
  return {};
}

void Runtime::publish_erased() {
  while (auto erased = engine().poll_erased()) {
    const auto it = channels_.find(erased->tier);
    if (it != channels_.end()) it->second->publish(erased->full_key);
  }
}

const drivers::InvalidationChannel* Runtime::invalidation_channel(std::string_view name) const {
  const auto id = cache_.engine().find_storage(name);
  if (!id) return nullptr;
  const auto it = channels_.find(*id);
  return it == channels_.end() ? nullptr : it->second.get();
}

}  // namespace cacheme::adapters

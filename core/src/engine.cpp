// Engine: the public facade, registration of storages and nodes, and small shared helpers.
#include "cacheme/core/engine.hpp"

#include <algorithm>

#include "cacheme/errc.hpp"
#include "engine_state.hpp"

namespace cacheme::core {
namespace detail {
namespace {
bool in_range(Duration d) { return d >= Duration::zero() && d <= kMaxDuration; }

bool valid_resilience(const NodeConfig& c) {
  return in_range(c.stale_for) && in_range(c.fail_safe_throttle) && (!c.soft_timeout || in_range(*c.soft_timeout)) &&
         (!c.negative_ttl || (in_range(*c.negative_ttl) && *c.negative_ttl > Duration::zero())) &&
         c.early_refresh >= 0.0 && c.early_refresh <= 1000.0;  // NaN fails both
}
}  // namespace

EngineImpl::EngineImpl(Config config)
    : config_(std::move(config)), in_flight_(this, &EngineImpl::key_of), rng_(config_.seed ^ 0x5851F42D4C957F2Dull) {
  key_buf_.reserve(128);
}

Result<TierId> EngineImpl::add_storage(std::string name, std::unique_ptr<local::LocalStore> store,
                                       RemoteOptions options) {
  if (name.empty()) return fail(errc::invalid_argument);
  for (const Tier& t : tiers_)
    if (t.name == name) return fail(errc::duplicate_name);
  tiers_.push_back(Tier{std::move(name), std::move(store), options});
  return TierId{tiers_.size()};
}

Result<NodeId> EngineImpl::add_node(NodeConfig config) {
  NodeState n;
  if (config.caches.size() > kMaxChain) return fail(errc::invalid_argument);
  if (nodes_.size() >= UINT32_MAX) return fail(errc::invalid_argument);  // the node tag holds 32 bits
  if (config.load_timeout < Duration::zero() || config.load_timeout > kMaxDuration) return fail(errc::bad_option);
  if (!valid_resilience(config)) return fail(errc::bad_option);
  if (!config.name.empty())
    for (const NodeState& other : nodes_)
      if (other.config.name == config.name) return fail(errc::duplicate_name);
  for (const ChainLink& link : config.caches) {
    if (link.ttl && (*link.ttl <= Duration::zero() || *link.ttl > kMaxDuration)) return fail(errc::bad_option);
    auto it = std::find_if(tiers_.begin(), tiers_.end(), [&](const Tier& t) { return t.name == link.storage; });
    if (it == tiers_.end()) return fail(errc::unknown_storage);
    n.chain.push_back(TierId{static_cast<std::uint64_t>(it - tiers_.begin()) + 1});
    n.stats.tiers.push_back(TierStats{link.storage});
  }
  bool remote_codec_needed = false;
  for (TierId t : n.chain) remote_codec_needed |= !tiers_[t.v - 1].is_local();
  if (remote_codec_needed && (!config.codec.encode || !config.codec.decode)) return fail(errc::invalid_argument);
  while (n.leading_local < n.chain.size() && tiers_[n.chain[n.leading_local].v - 1].is_local()) ++n.leading_local;
  if (config.doorkeeper) n.doorkeeper.emplace(config.doorkeeper->capacity, config.doorkeeper->false_positive_rate);
  n.config = std::move(config);
  nodes_.push_back(std::move(n));
  return NodeId{nodes_.size()};
}

std::string_view EngineImpl::key_of(const void* self, std::uint64_t flight) {
  return static_cast<const EngineImpl*>(self)->flights_.find(flight)->key;
}

NodeState* EngineImpl::node(NodeId id) {
  return id.v >= 1 && id.v <= nodes_.size() ? &nodes_[id.v - 1] : nullptr;
}

// The local key of `key` of node `id` into `key_buf_`: `{prefix}:{key}:{version}` (the full key,
// what remote tiers store) followed by the node's tag (kNodeTagSize bytes of its id).
void EngineImpl::build_key(const NodeState& n, NodeId id, std::string_view key) {
  key_buf_.clear();
  key_buf_.append(config_.prefix).append(1, ':').append(key).append(1, ':').append(n.config.version);
  append_node_tag(key_buf_, id);
}

Ticket EngineImpl::new_ticket(std::uint32_t slots) {
  TicketState s;
  s.values = spare_values_.take();
  s.values.assign(slots, fail(errc::cancelled));
  s.remaining = slots;
  return Ticket{tickets_.insert(std::move(s))};
}

bool EngineImpl::answer(const Waiter& w, Result<AnyValue> value, ValueInfo info) {
  TicketState* t = tickets_.find(w.ticket.v);
  if (!t) return false;  // the caller cancelled
  if (t->info && w.slot == 0) *t->info = info;
  t->values[w.slot] = std::move(value);
  if (--t->remaining == 0) {
    emit_reply(w.ticket, *t);
  }
  return true;
}

void EngineImpl::emit_reply(Ticket ticket, TicketState& state) {
  effects_.emplace_back(Reply{ticket, state.error, std::move(state.values)});
}

IoId EngineImpl::new_io(PendingIo io, TierId tier, Now now) {
  io.tier = tier;
  const IoId id{ios_.insert(std::move(io))};
  Tier& t = tiers_[tier.v - 1];
  drop_stale_deadlines(t);
  t.deadlines.emplace_back(now.mono + t.remote.timeout, id);
  return id;
}

std::optional<PendingIo> EngineImpl::take_io(IoId id) {
  PendingIo* io = ios_.find(id.v);
  if (!io) return std::nullopt;
  std::optional<PendingIo> out(std::move(*io));
  ios_.erase(id.v);
  drop_stale_deadlines(tiers_[out->tier.v - 1]);
  return out;
}

void EngineImpl::drop_stale_deadlines(Tier& tier) {
  while (!tier.deadlines.empty() && !ios_.find(tier.deadlines.front().second.v)) tier.deadlines.pop_front();
}

}  // namespace detail

Engine::Engine(Config config) : impl_(std::make_unique<detail::EngineImpl>(std::move(config))) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

Result<TierId> Engine::add_local_storage(std::string name, std::unique_ptr<local::LocalStore> store) {
  if (!store) return fail(errc::invalid_argument);
  return impl_->add_storage(std::move(name), std::move(store), {});
}

Result<TierId> Engine::add_remote_storage(std::string name, RemoteOptions options) {
  if (options.timeout <= Duration::zero() || options.timeout > kMaxDuration) return fail(errc::bad_option);
  return impl_->add_storage(std::move(name), nullptr, options);
}

std::optional<TierId> Engine::find_storage(std::string_view name) const {
  for (std::size_t i = 0; i < impl_->tiers_.size(); ++i)
    if (impl_->tiers_[i].name == name) return TierId{i + 1};
  return std::nullopt;
}

Result<NodeId> Engine::add_node(NodeConfig config) { return impl_->add_node(std::move(config)); }

std::vector<NodeInfo> Engine::nodes() const {
  std::vector<NodeInfo> out;
  for (std::size_t i = 0; i < impl_->nodes_.size(); ++i)
    out.push_back({NodeId{i + 1}, impl_->nodes_[i].config.name, impl_->nodes_[i].config.version});
  return out;
}

void Engine::set_prefix(std::string prefix) { impl_->config_.prefix = std::move(prefix); }
const std::string& Engine::prefix() const { return impl_->config_.prefix; }

Submitted Engine::get(NodeId node, std::string_view key, SourceRef source, Now now, const RequestOptions& options) {
  return impl_->get(node, key, source, now, options);
}
Ticket Engine::get_all(NodeId node, std::span<const std::string> keys, std::span<const SourceRef> sources, Now now,
                       const RequestOptions& options) {
  return impl_->get_all(node, keys, sources, now, options);
}
Ticket Engine::invalidate(NodeId node, std::string_view key, Now now) { return impl_->invalidate(node, key, now); }
Ticket Engine::refresh(NodeId node, std::string_view key, SourceRef source, Now now, const RequestOptions& options) {
  return impl_->refresh(node, key, source, now, options);
}
void Engine::cancel(Ticket ticket) { impl_->cancel(ticket); }

std::error_code Engine::complete_fetch(IoId id, const FetchResult& result, Now now) {
  return impl_->complete_fetch(id, result, now);
}
std::error_code Engine::complete_write(IoId id, IoStatus status, Now now) {
  return impl_->complete_write(id, status, now);
}
std::error_code Engine::complete_load(LoadId id, std::vector<Result<AnyValue>> results, Now now) {
  return impl_->complete_load(id, std::move(results), now);
}

void Engine::on_timeout(Now now) { impl_->on_timeout(now); }
std::optional<Instant> Engine::next_deadline() const { return impl_->next_deadline(); }

std::optional<Effect> Engine::poll_effect() {
  if (impl_->effects_.empty()) return std::nullopt;
  Effect e = std::move(impl_->effects_.front());
  impl_->effects_.pop_front();
  // A ticket's slot is freed only now that its reply leaves: until then a caller waiting on it
  // cannot see the slot taken by a newer ticket (see slot_of).
  if (const auto* reply = std::get_if<Reply>(&e)) impl_->tickets_.erase(reply->ticket.v);
  return e;
}

void Engine::recycle(Effect&& effect) {
  if (auto* reply = std::get_if<Reply>(&effect)) {
    impl_->spare_values_.give(std::move(reply->values));
  } else if (auto* fetch = std::get_if<FetchRequest>(&effect)) {
    for (std::string& key : fetch->keys) impl_->spare_keys_.give(std::move(key));
    impl_->spare_key_lists_.give(std::move(fetch->keys));
  }
}

NodeStats Engine::stats(NodeId node) const {
  const auto* n = impl_->node(node);
  return n ? n->stats : NodeStats{};
}

std::size_t Engine::flights() const { return impl_->flights_.size(); }
std::size_t Engine::pending_operations() const { return impl_->ios_.size() + impl_->loads_.size(); }

}  // namespace cacheme::core

// Engine requests: get, get_all, invalidate, refresh, cancel (DESIGN.md §3 rules 1-6).
#include "cacheme/errc.hpp"
#include "engine_state.hpp"

namespace cacheme::core::detail {
// Reads the local tiers that open the chain, in order (rule 2: a hit in tier i is copied to the
// local tiers before i, never outliving the copy it came from). Counts per-tier hits and misses.
// A copy past its fresh-until time is no hit: it is kept aside as the flight's fallback.
LocalRead EngineImpl::read_leading_local(NodeState& n, Now now) {
  LocalRead out;
  for (std::size_t i = 0; i < n.leading_local; ++i) {
    local::LocalStore& store = *tiers_[n.chain[i].v - 1].local;
    const local::Hit hit = store.find(key_buf_, now.mono);
    if (!hit.value) {
      ++n.stats.tiers[i].misses;
      continue;
    }
    const std::optional<Instant> fresh = n.fresh_until(hit.expiry);
    if (fresh && *fresh <= now.mono) {  // in its grace period
      ++n.stats.tiers[i].misses;
      if (!out.stale) out.stale = *hit.value, out.stale_fresh_until = fresh;
      continue;
    }
    ++n.stats.tiers[i].hits;
    out.value = *hit.value;
    out.fresh_until = fresh;
    std::optional<Duration> remaining;
    if (fresh) remaining = *fresh - now.mono;
    for (std::size_t j = 0; j < i; ++j) {
      const auto ttl = is_negative(out.value) ? remaining : min_ttl(n.config.caches[j].ttl, remaining);
      put_local(n, tiers_[n.chain[j].v - 1], key_buf_, out.value, ttl, now);
    }
    return out;
  }
  return out;
}

// A local copy that is fresh for `ttl` (absent: forever), kept `stale_for` longer as a fallback.
void EngineImpl::put_local(const NodeState& n, Tier& tier, std::string_view key, const AnyValue& v,
                           std::optional<Duration> ttl, Now now) {
  tier.local->insert(key, v, ttl ? std::optional(now.mono + *ttl + n.config.stale_for) : std::nullopt, now.mono);
}

// A request answered without a ticket: a value, or `not_found` for a negative entry.
Submitted EngineImpl::at_once(NodeState& n, const AnyValue& v, ValueInfo info, const RequestOptions& options) {
  ++n.stats.hits;
  if (info.stale) ++n.stats.stale_served;
  if (options.info) *options.info = info;
  if (is_negative(v)) {
    ++n.stats.negative_hits;
    return {Ticket{}, nullptr, make_error_code(errc::not_found)};
  }
  return {Ticket{}, v, {}};
}

// What a newcomer gets at once from the flight of its key: its value once known (rule 3), or,
// once the flight went background, its fallback. Nothing while the caller must wait.
std::optional<Result<AnyValue>> EngineImpl::held(NodeState& n, const Flight& f, Now now, ValueInfo& info) {
  const AnyValue* v = nullptr;
  if (f.stage == Stage::writing) {
    v = &f.value;
    info.stale = f.value_stale;
  } else if (f.background && f.has_fallback()) {
    const FlightExtras& x = *f.extras_if();
    v = &x.fallback;
    info.stale = x.fallback_fresh && *x.fallback_fresh <= now.mono;
  }
  if (!v) return std::nullopt;
  ++n.stats.hits;
  if (info.stale) ++n.stats.stale_served;
  if (is_negative(*v)) ++n.stats.negative_hits;
  return deliverable(*v);
}

namespace {
bool valid(const RequestOptions& options) {
  return !options.load_timeout || (*options.load_timeout >= Duration::zero() && *options.load_timeout <= kMaxDuration);
}
}  // namespace

Submitted EngineImpl::get(NodeId id, std::string_view key, SourceRef source, Now now, const RequestOptions& options) {
  last_now_ = now;
  NodeState* n = node(id);
  if (!n) return {Ticket{}, nullptr, make_error_code(errc::unknown_node)};
  if (!valid(options)) return {Ticket{}, nullptr, make_error_code(errc::bad_option)};
  ++n->stats.requests;
  build_key(*n, id, key);
  LocalRead local = read_leading_local(*n, now);
  if (local.value) {
    refresh_early(*n, id, key, source, local.value, local.fresh_until, now);
    return at_once(*n, local.value, {}, options);
  }
  const std::uint64_t h = hash_key(key_buf_);
  if (const FlightId in = in_flight_.find(key_buf_, h)) {
    Flight& f = flight(in);
    ++n->stats.coalesced;
    ValueInfo info;
    if (auto v = held(*n, f, now, info)) {
      if (options.info) *options.info = info;
      if (!*v) return {Ticket{}, nullptr, v->error()};
      return {Ticket{}, std::move(**v), {}};
    }
    const Ticket t = new_ticket(1);
    tickets_.at(t.v).info = options.info;
    attach(f, t, 0);
    tickets_.at(t.v).waits_on(in);
    if (local.stale && !f.has_fallback()) keep_fallback(f, local.stale, local.stale_fresh_until, std::nullopt);
    return {t, nullptr, {}};
  }
  const Ticket t = new_ticket(1);
  tickets_.at(t.v).info = options.info;
  const FlightId fid = new_flight(*n, id, key, source, {t, 0, true}, h, options);
  tickets_.at(t.v).waits_on(fid);
  if (local.stale) keep_fallback(flight(fid), local.stale, local.stale_fresh_until, std::nullopt);
  start_flights(id, group_of(fid), now);
  return {t, nullptr, {}};
}

Ticket EngineImpl::get_all(NodeId id, std::span<const std::string> keys, std::span<const SourceRef> sources,
                           Now now, const RequestOptions& options) {
  last_now_ = now;
  const Ticket t = new_ticket(static_cast<std::uint32_t>(keys.size()));
  NodeState* n = node(id);
  TicketState& ts = tickets_.at(t.v);
  if (!n || !valid(options)) {
    for (auto& v : ts.values) v = fail(n ? errc::bad_option : errc::unknown_node);
    ts.remaining = 0;
    n = nullptr;
  }
  std::vector<FlightId> started;
  for (std::uint32_t i = 0; n && i < keys.size(); ++i) {
    ++n->stats.requests;
    build_key(*n, id, keys[i]);
    const SourceRef source = i < sources.size() ? sources[i] : SourceRef{};
    LocalRead local = read_leading_local(*n, now);
    if (local.value) {
      refresh_early(*n, id, keys[i], source, local.value, local.fresh_until, now);
      const Submitted s = at_once(*n, local.value, {}, {});
      ts.values[i] = s.error ? Result<AnyValue>(fail(s.error)) : Result<AnyValue>(s.ready);
      --ts.remaining;
      continue;
    }
    const std::uint64_t h = hash_key(key_buf_);
    if (const FlightId in = in_flight_.find(key_buf_, h)) {
      Flight& f = flight(in);
      ++n->stats.coalesced;  // also a duplicate within this very call (rule 4)
      ValueInfo info;
      if (auto v = held(*n, f, now, info)) {
        ts.values[i] = std::move(*v);
        --ts.remaining;
      } else {
        attach(f, t, i);
        ts.waits_on(in);
        if (local.stale && !f.has_fallback()) keep_fallback(f, local.stale, local.stale_fresh_until, std::nullopt);
      }
      continue;
    }
    started.push_back(new_flight(*n, id, keys[i], source, {t, i, true}, h, options));
    ts.waits_on(started.back());
    if (local.stale) keep_fallback(flight(started.back()), local.stale, local.stale_fresh_until, std::nullopt);
  }
  if (ts.remaining == 0) {
    emit_reply(t, ts);
  } else if (!started.empty()) {
    start_flights(id, std::move(started), now);
  }
  return t;
}

Ticket EngineImpl::invalidate(NodeId id, std::string_view key, Now now) {
  last_now_ = now;
  const Ticket t = new_ticket(0);
  NodeState* n = node(id);
  TicketState& ts = tickets_.at(t.v);
  if (!n) {
    ts.error = make_error_code(errc::unknown_node);
  } else {
    build_key(*n, id, key);
    const FlightId writer = writing_flight(key_buf_);
    detach(key_buf_);
    for (std::uint32_t i = 0; i < n->chain.size(); ++i) {
      const TierId tier = n->chain[i];
      if (tiers_[tier.v - 1].is_local()) {
        tiers_[tier.v - 1].local->erase(key_buf_);
        continue;
      }
      issue_erase(PendingIo{PendingIo::Kind::erase, id, i, {}, t, {}}, tier, full_key(), writer, now);
      ++ts.remaining;
    }
  }
  if (ts.remaining == 0) {
    emit_reply(t, ts);
  }
  return t;
}

Ticket EngineImpl::refresh(NodeId id, std::string_view key, SourceRef source, Now now, const RequestOptions& options) {
  last_now_ = now;
  NodeState* n = node(id);
  const Ticket t = new_ticket(1);
  tickets_.at(t.v).info = options.info;
  if (!n || !valid(options)) {
    answer(Waiter{t, 0, true}, fail(n ? errc::bad_option : errc::unknown_node));
    return t;
  }
  build_key(*n, id, key);
  const FlightId writer = writing_flight(key_buf_);
  detach(key_buf_);
  const FlightId fid = new_flight(*n, id, key, source, {t, 0, true}, hash_key(key_buf_), options);
  tickets_.at(t.v).waits_on(fid);
  Flight& f = flight(fid);
  f.next_tier = static_cast<std::uint32_t>(n->chain.size());  // straight to the source
  for (std::uint32_t i = 0; i < n->chain.size(); ++i) {
    f.missed |= TierMask{1} << i;
    const TierId tier = n->chain[i];
    if (tiers_[tier.v - 1].is_local()) {
      tiers_[tier.v - 1].local->erase(f.key);
      continue;
    }
    // The fresh value is written only after these erases finished, so an erase can never
    // land after (and delete) the write-back.
    issue_erase(PendingIo{PendingIo::Kind::erase, id, i, {fid}, Ticket{}, {}}, tier, f.full_key(), writer, now);
    ++f.pending_erases;
  }
  advance(id, {fid}, now);
  return t;
}

// The caller leaves every flight it waits on; a load that nobody waits for any more is cancelled
// (rule 10). Its reply is never emitted: its ticket is gone, so `answer` skips it.
void EngineImpl::cancel(Ticket ticket) {
  TicketState* t = tickets_.find(ticket.v);
  if (!t) return;  // unknown, or answered already
  std::vector<FlightId> flights = std::move(t->more_flights);
  if (t->flight) flights.push_back(t->flight);
  tickets_.erase(ticket.v);
  for (FlightId fid : flights) {
    Flight* f = flights_.find(fid);
    if (!f) continue;
    f->waiters.remove(ticket);
    if (f->waiters.empty()) drop_unwanted_load(fid);  // may emit a queued load: it starts at last_now_
  }
}

void EngineImpl::attach(Flight& f, Ticket t, std::uint32_t slot) { f.waiters.push_back({t, slot, false}); }

// A new flight for the key in `key_buf_`, entered in the in-flight table; it starts after the
// local tiers that open the chain, which the first request already read (and missed). A
// background flight (an early refresh) has no first waiter: `first.ticket` is empty.
FlightId EngineImpl::new_flight(NodeState& n, NodeId id, std::string_view key, SourceRef source, Waiter first,
                               std::uint64_t key_hash, const RequestOptions& options) {
  Flight f;
  f.node = id;
  f.key = spare_keys_.take();
  f.key.assign(key_buf_);
  f.key_hash = key_hash;
  f.load_timeout = options.load_timeout.value_or(n.config.load_timeout);
  f.user_key = spare_keys_.take();
  f.user_key.assign(key);
  f.source = source.materialize();
  if (first.ticket.v) f.waiters.push_back(first);
  f.next_tier = static_cast<std::uint32_t>(n.leading_local);
  f.missed = n.leading_local ? (TierMask{1} << n.leading_local) - 1 : 0;
  const FlightId fid = flights_.insert(std::move(f));
  in_flight_.insert(key_hash, fid);
  return fid;
}

}  // namespace cacheme::core::detail

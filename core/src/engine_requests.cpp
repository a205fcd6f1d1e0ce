// Engine requests: get, get_all, invalidate, refresh, cancel (DESIGN.md §3 rules 1-6).
#include "cacheme/errc.hpp"
#include "engine_state.hpp"

namespace cacheme::core::detail {
// Reads the local tiers that open the chain, in order (rule 2: a hit in tier i is copied to the
// local tiers before i, never outliving the copy it came from). Counts per-tier hits and misses.
AnyValue EngineImpl::read_leading_local(NodeState& n, Now now) {
  for (std::size_t i = 0; i < n.leading_local; ++i) {
    local::LocalStore& store = *tiers_[n.chain[i].v - 1].local;
    const local::Hit hit = store.find(key_buf_, now.mono);
    if (!hit.value) {
      ++n.stats.tiers[i].misses;
      continue;
    }
    ++n.stats.tiers[i].hits;
    AnyValue value = *hit.value;
    for (std::size_t j = 0; j < i; ++j) {
      std::optional<Duration> remaining;
      if (hit.expiry) remaining = *hit.expiry - now.mono;
      const auto ttl = min_ttl(n.config.caches[j].ttl, remaining);
      tiers_[n.chain[j].v - 1].local->insert(key_buf_, value, ttl ? std::optional(now.mono + *ttl) : std::nullopt,
                                             now.mono);
    }
    return value;
  }
  return nullptr;
}

namespace {
bool valid(const RequestOptions& options) {
  return !options.load_timeout || (*options.load_timeout >= Duration::zero() && *options.load_timeout <= kMaxDuration);
}
}  // namespace

Submitted EngineImpl::get(NodeId id, std::string_view key, SourceRef source, Now now, const RequestOptions& options) {
  NodeState* n = node(id);
  if (!n) return {Ticket{}, nullptr, make_error_code(errc::unknown_node)};
  if (!valid(options)) return {Ticket{}, nullptr, make_error_code(errc::bad_option)};
  ++n->stats.requests;
  build_key(*n, id, key);
  if (AnyValue v = read_leading_local(*n, now)) {
    ++n->stats.hits;
    return {Ticket{}, std::move(v), {}};
  }
  const std::uint64_t h = hash_key(key_buf_);
  if (const FlightId in = in_flight_.find(key_buf_, h)) {
    Flight& f = flight(in);
    ++n->stats.coalesced;
    if (f.stage == Stage::writing) {  // the flight already holds the value (rule 3)
      ++n->stats.hits;
      return {Ticket{}, f.value, {}};
    }
    const Ticket t = new_ticket(1);
    attach(f, t, 0);
    tickets_.at(t.v).waits_on(in);
    return {t, nullptr, {}};
  }
  const Ticket t = new_ticket(1);
  const FlightId fid = new_flight(*n, id, key, source, {t, 0, true}, h, options);
  tickets_.at(t.v).waits_on(fid);
  start_flights(id, {fid}, now);
  return {t, nullptr, {}};
}

Ticket EngineImpl::get_all(NodeId id, std::span<const std::string> keys, std::span<const SourceRef> sources,
                           Now now, const RequestOptions& options) {
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
    if (AnyValue v = read_leading_local(*n, now)) {
      ++n->stats.hits;
      ts.values[i] = std::move(v);
      --ts.remaining;
      continue;
    }
    const std::uint64_t h = hash_key(key_buf_);
    if (const FlightId in = in_flight_.find(key_buf_, h)) {
      Flight& f = flight(in);
      ++n->stats.coalesced;  // also a duplicate within this very call (rule 4)
      if (f.stage == Stage::writing) {
        ++n->stats.hits;
        ts.values[i] = f.value;
        --ts.remaining;
      } else {
        attach(f, t, i);
        ts.waits_on(in);
      }
      continue;
    }
    started.push_back(
        new_flight(*n, id, keys[i], i < sources.size() ? sources[i] : SourceRef{}, {t, i, true}, h, options));
    ts.waits_on(started.back());
  }
  if (ts.remaining == 0) {
    emit_reply(t, ts);
  } else if (!started.empty()) {
    start_flights(id, std::move(started), now);
  }
  return t;
}

Ticket EngineImpl::invalidate(NodeId id, std::string_view key, Now now) {
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
  NodeState* n = node(id);
  const Ticket t = new_ticket(1);
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
    if (f->waiters.empty()) drop_unwanted_load(fid);
  }
}

void EngineImpl::attach(Flight& f, Ticket t, std::uint32_t slot) { f.waiters.push_back({t, slot, false}); }

// A new flight for the key in `key_buf_`, entered in the in-flight table; it starts after the
// local tiers that open the chain, which the first request already read (and missed).
FlightId EngineImpl::new_flight(NodeState& n, NodeId id, std::string_view key, SourceRef source, Waiter first,
                               std::uint64_t key_hash, const RequestOptions& options) {
  Flight f;
  f.node = id;
  f.key = key_buf_;
  f.key_hash = key_hash;
  f.load_timeout = options.load_timeout.value_or(n.config.load_timeout);
  f.user_key = key;
  f.source = source.materialize();
  f.waiters.push_back(first);
  f.next_tier = static_cast<std::uint32_t>(n.leading_local);
  f.missed = n.leading_local ? (TierMask{1} << n.leading_local) - 1 : 0;
  const FlightId fid = flights_.insert(std::move(f));
  in_flight_.insert(key_hash, fid);
  return fid;
}

}  // namespace cacheme::core::detail

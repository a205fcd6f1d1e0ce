// Resilience: fail-safe, soft timeouts, XFetch early refresh and the per-node load limit (the
// theory of operation is in engine_state.hpp; negative entries live in the read and write paths).
#include <cmath>

#include "engine_state.hpp"

namespace cacheme::core::detail {
namespace {
TierMask whole_chain(const NodeState& n) {
  return n.chain.size() >= kMaxChain ? ~TierMask{0} : (TierMask{1} << n.chain.size()) - 1;
}
}  // namespace

void EngineImpl::keep_fallback(Flight& f, const AnyValue& v, std::optional<Instant> fresh,
                               std::optional<std::string> body) {
  FlightExtras& x = f.extras();
  x.fallback = v;
  x.fallback_fresh = fresh;
  x.fallback_body = std::move(body);
}

// XFetch (Vattani, Chierichetti, Lowenstein, "Optimal probabilistic cache stampede prevention",
// VLDB 2015): recompute when now - delta * beta * ln(u) >= expiry, u uniform on (0, 1]. The gap
// a hit tolerates grows with the load time delta (here the node's measured average) and beta,
// and the probability of refreshing grows as expiry nears, so one of the many hits of a hot key
// refreshes it shortly before it expires, and a cold key is left to expire.
bool EngineImpl::refresh_due(const NodeState& n, std::optional<Instant> fresh_until, Now now) {
  if (n.config.early_refresh <= 0.0 || !fresh_until) return false;
  const double delta_ns = n.stats.average_load_time();
  if (delta_ns <= 0.0) return false;  // nothing measured yet
  const double u = 1.0 - rng_.next_double();
  const double lead_ns = -delta_ns * n.config.early_refresh * std::log(u);
  return static_cast<double>((*fresh_until - now.mono).count()) <= lead_ns;
}

// A local hit may start an early refresh of the key in `key_buf_`: a background flight straight
// to the source, holding the hit as its fallback, unless any flight has the key already (one
// refresh per key, coalesced with every flight) or an erase fence holds it (start_flights).
void EngineImpl::refresh_early(NodeState& n, NodeId id, std::string_view key, SourceRef source, const AnyValue& value,
                               std::optional<Instant> fresh_until, Now now) {
  if (!source.make || !refresh_due(n, fresh_until, now)) return;
  const std::uint64_t h = hash_key(key_buf_);
  if (in_flight_.find(key_buf_, h)) return;
  const FlightId fid = new_flight(n, id, key, source, Waiter{}, h, {});
  Flight& f = flight(fid);
  f.background = true;
  keep_fallback(f, value, fresh_until, std::nullopt);
  f.next_tier = static_cast<std::uint32_t>(n.chain.size());
  f.missed = whole_chain(n);
  ++n.stats.early_refreshes;
  start_flights(id, group_of(fid), now);
}

// A value just found in a remote (or later local) tier may be due for an early refresh: the
// flight, its waiters answered, turns into the background load instead of writing the old value
// back. False when not due, or the flight has no loader, or a refresh's erases are pending.
bool EngineImpl::start_early_refresh(FlightId id, Now now) {
  Flight& f = flight(id);
  NodeState& n = *node(f.node);
  if (f.pending_erases > 0 || !f.source || !refresh_due(n, f.value_expiry, now)) return false;
  keep_fallback(f, f.value, f.value_expiry, std::move(f.body));
  f.body.reset();
  f.value = nullptr;
  f.background = true;
  f.missed = whole_chain(n);
  ++n.stats.early_refreshes;
  start_load(f.node, group_of(id), now);
  return true;
}

// Fail-safe: the load of flight `id` failed or timed out. With a stale fallback and a grace
// period, the fallback answers instead and is written back to every tier as fresh for
// `fail_safe_throttle`, so the next requests do not hammer the source. Not for a cancelled
// load (nobody waits) nor for `not_found` (the source answered).
std::optional<Resolution> EngineImpl::fail_safe(FlightId id, std::error_code error, Now now) {
  Flight& f = flight(id);
  NodeState& n = *node(f.node);
  if (!f.has_fallback() || n.config.stale_for <= Duration::zero() || error == errc::cancelled ||
      error == errc::not_found)
    return std::nullopt;
  ++n.stats.fail_safe;
  FlightExtras& x = f.extras();
  const bool stale = x.fallback_fresh && *x.fallback_fresh <= now.mono;
  Instant fresh = now.mono + n.config.fail_safe_throttle;
  if (x.fallback_fresh && *x.fallback_fresh > fresh) fresh = *x.fallback_fresh;  // never shortened
  f.missed = whole_chain(n);
  f.stage = Stage::loading;
  return Resolution{id, x.fallback, fresh, std::move(x.fallback_body), true, stale};
}

// soft_timeout: the waiters of flight `id` get its fallback now; newcomers get it at once
// (`held`); the load goes on with nobody waiting and updates the tiers when it completes.
void EngineImpl::go_background(FlightId id, Now now) {
  Flight& f = flight(id);
  NodeState& n = *node(f.node);
  f.background = true;
  FlightExtras& x = f.extras();
  x.soft_deadline.reset();
  const bool stale = x.fallback_fresh && *x.fallback_fresh <= now.mono;
  const Result<AnyValue> out = deliverable(x.fallback);
  f.waiters.for_each([&](const Waiter& w) {
    if (!answer(w, out, {stale, false})) return;
    if (stale) ++n.stats.stale_served;
    if (w.leader) return;  // it started the load: a miss
    ++n.stats.hits;
    if (!out) ++n.stats.negative_hits;
  });
  f.waiters.clear();
}

void EngineImpl::expire_soft(Now now) {
  while (!soft_deadlines_.empty() && soft_deadlines_.begin()->first <= now.mono) {
    const auto [at, fid] = *soft_deadlines_.begin();
    soft_deadlines_.erase(soft_deadlines_.begin());
    const Flight* f = flights_.find(fid);  // lazy deletion: the flight may be gone or answered
    if (f && f->stage == Stage::loading && f->extras_if() && f->extras_if()->soft_deadline == at) go_background(fid, now);
  }
}

// A load effect goes out now, or waits in the node's FIFO while `max_concurrent_loads` run.
// Its deadline already runs: a load queued too long times out like one that runs too long.
void EngineImpl::emit_or_queue(NodeState& n, LoadRequest req) {
  const std::size_t limit = n.config.max_concurrent_loads;
  if (limit == 0 || n.running_loads < limit) {
    ++n.running_loads;
    effects_.emplace_back(std::move(req));
    return;
  }
  PendingLoad& load = *loads_.find(req.id.v);
  load.emitted = false;
  n.stats.loads_queued += req.keys.size();
  n.queued_loads.push_back(req.id.v);
  load.queued = std::move(req);
}

// A load of node `id` ended (completed, timed out or cancelled): queued loads take the slots.
void EngineImpl::load_finished(NodeId id, bool emitted, Now now) {
  NodeState& n = *node(id);
  if (emitted) --n.running_loads;
  const std::size_t limit = n.config.max_concurrent_loads;
  while (!n.queued_loads.empty() && (limit == 0 || n.running_loads < limit)) {
    PendingLoad* load = loads_.find(n.queued_loads.front());
    n.queued_loads.pop_front();
    if (!load || load->emitted) continue;
    load->emitted = true;
    load->started = now.mono;  // its load time counts from here
    ++n.running_loads;
    effects_.emplace_back(std::move(*load->queued));
    load->queued.reset();
  }
}

}  // namespace cacheme::core::detail

// Flights: walking the chain, resolving, writing back, failing and finishing (DESIGN.md §3).
#include <algorithm>
#include <bit>
#include <map>

#include "cacheme/codec/entry_header.hpp"
#include "cacheme/errc.hpp"
#include "engine_state.hpp"

namespace cacheme::core::detail {
// Moves a group of flights (one node, all at the same chain index) down the chain: local
// tiers are read here, a remote tier gets one fetch for the whole group, and past the last
// tier the group is loaded with one load effect.
void EngineImpl::advance(NodeId id, std::vector<FlightId> group, Now now) {
  NodeState& n = *node(id);
  while (!group.empty()) {
    const std::uint32_t idx = flight(group.front()).next_tier;
    if (idx >= n.chain.size()) return start_load(id, std::move(group), now);
    const TierId tier = n.chain[idx];
    if (!tiers_[tier.v - 1].is_local()) {
      FetchRequest req{IoId{}, tier, spare_key_lists_.take()};
      for (FlightId fid : group) {
        std::string key = spare_keys_.take();
        key.assign(flight(fid).full_key());
        req.keys.push_back(std::move(key));
      }
      req.id = new_io(PendingIo{PendingIo::Kind::fetch, id, idx, std::move(group), Ticket{}, {}}, tier, now);
      effects_.emplace_back(std::move(req));
      return;
    }
    // A local tier after a remote one: read it now, for the whole group.
    std::vector<Resolution> found = spare_found_.take();
    std::vector<FlightId> rest = spare_groups_.take();
    for (FlightId fid : group) {
      Flight& f = flight(fid);
      const local::Hit hit = tiers_[tier.v - 1].local->find(f.key, now.mono);
      ++f.next_tier;
      const std::optional<Instant> fresh = n.fresh_until(hit.expiry);
      if (hit.value && (!fresh || *fresh > now.mono)) {
        ++n.stats.tiers[idx].hits;
        found.push_back({fid, *hit.value, fresh, std::nullopt, false});
      } else {
        if (hit.value && !f.has_fallback()) keep_fallback(f, *hit.value, fresh, std::nullopt);
        ++n.stats.tiers[idx].misses;
        f.missed |= TierMask{1} << idx;
        rest.push_back(fid);
      }
    }
    resolve(std::move(found), now);
    spare_groups_.give(std::move(group));
    group = std::move(rest);
  }
  spare_groups_.give(std::move(group));
}

// The value of each flight is known: answer every waiter now (rule 3), then write back to
// the tiers that missed, unless the flight was invalidated meanwhile (rule 6) or the
// doorkeeper has not seen the key before (rule 7).
void EngineImpl::resolve(std::vector<Resolution> found, Now now) {
  std::vector<FlightId> writers = spare_groups_.take();
  for (Resolution& r : found) {
    Flight& f = flight(r.flight);
    NodeState& n = *node(f.node);
    f.stage = Stage::writing;
    f.value = r.value;
    f.value_stale = r.stale;
    f.value_expiry = r.expiry;
    f.body = std::move(r.body);
    const Result<AnyValue> out = deliverable(r.value);
    f.waiters.for_each([&](const Waiter& w) {
      const bool delivered = answer(w, out, {r.stale, r.from_load});
      if (!delivered) return;
      if (r.stale) ++n.stats.stale_served;
      if (r.from_load && w.leader) return;  // a load is the leader's miss
      ++n.stats.hits;
      if (!out) ++n.stats.negative_hits;
    });
    f.waiters.clear();
    if (!f.attached) continue;  // invalidated: its value may be stale, write nothing
    if (!r.from_load && start_early_refresh(r.flight, now)) continue;  // XFetch: the new value is written
    if (r.from_load && !r.stale && n.doorkeeper) {
      const std::uint64_t h = hash_bytes(f.key, config_.seed);
      if (!n.doorkeeper->contains(h)) {
        n.doorkeeper->insert(h);
        f.missed = 0;  // first sighting: returned, not written anywhere
        continue;
      }
    }
    if (f.pending_erases > 0) {
      f.writeback_deferred = true;
      continue;
    }
    writers.push_back(r.flight);
  }
  start_writeback(writers, now);
  for (Resolution& r : found) maybe_finish(r.flight);
  spare_groups_.give(std::move(writers));
  spare_found_.give(std::move(found));
}

namespace {
// The store of `where` in `stores`, appended if missing (a write-back has one or two).
std::pair<StoreRequest, PendingIo>& store_for(WritebackBatch& stores, std::pair<std::uint64_t, std::uint32_t> where) {
  for (auto& [w, pending] : stores)
    if (w == where) return pending;
  return stores.emplace_back(where, std::pair<StoreRequest, PendingIo>{}).second;
}
}  // namespace

// Writes each flight's value to the tiers it missed: local tiers at once, remote tiers as one
// store effect per tier for the whole batch. TTL = min(tier TTL, remaining lifetime) (rule 2).
void EngineImpl::start_writeback(const std::vector<FlightId>& writers, Now now) {
  auto& stores = writeback_batch_;  // (node, chain idx) -> its store; reused: no allocation
  stores.clear();
  for (FlightId fid : writers) {
    Flight& f = flight(fid);
    NodeState& n = *node(f.node);
    std::optional<Duration> remaining;
    if (f.value_expiry) remaining = *f.value_expiry - now.mono;
    for (TierMask bits = f.missed; bits; bits &= bits - 1) {
      const auto idx = static_cast<std::uint32_t>(std::countr_zero(bits));
      // A negative entry lives negative_ttl in every tier, whatever the tier's TTL.
      const auto ttl = is_negative(f.value) ? remaining : min_ttl(n.config.caches[idx].ttl, remaining);
      if (ttl && *ttl < std::chrono::milliseconds(1)) continue;  // expired: nothing to copy
      Tier& tier = tiers_[n.chain[idx].v - 1];
      if (tier.is_local()) {
        put_local(n, tier, f.key, f.value, ttl, now);
        continue;
      }
      if (!f.body && !is_negative(f.value)) {
        auto body = n.config.codec.encode(f.value.get());
        if (!body) {
          ++n.stats.tiers[idx].errors;
          continue;
        }
        f.body = std::move(*body);
      }
      std::optional<std::chrono::milliseconds> ttl_ms;
      if (ttl) ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(*ttl);  // floor: never outlive
      const std::int64_t expire = ttl_ms ? now.unix_ms + ttl_ms->count() : 0;  // fresh-until
      if (ttl_ms) *ttl_ms += std::chrono::duration_cast<std::chrono::milliseconds>(n.config.stale_for);  // + grace
      auto& [req, io] = store_for(stores, {f.node.v, idx});
      req.tier = n.chain[idx];
      req.entries.push_back({std::string(f.full_key()),
                             is_negative(f.value) ? codec::make_negative_entry(n.config.codec.id, expire, now.unix_ms)
                                                  : codec::make_entry(n.config.codec.id, expire, now.unix_ms, *f.body),
                             ttl_ms});
      io.kind = PendingIo::Kind::store;
      io.node = f.node;
      io.chain_index = idx;
      io.flights.push_back(fid);
      ++f.pending_writes;
    }
    f.missed = 0;
  }
  // Effects in (node, chain index) order, whatever order the flights came in.
  std::sort(stores.begin(), stores.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [where, pending] : stores) {
    auto& [req, io] = pending;
    const TierId tier = req.tier;
    req.id = new_io(std::move(io), tier, now);
    effects_.emplace_back(std::move(req));
  }
}

// Emits the load of a group of flights that found their key in no tier. Flights nobody waits
// for any more (every caller cancelled meanwhile) are dropped instead of loaded (rule 10).
void EngineImpl::start_load(NodeId id, std::vector<FlightId> group, Now now) {
  NodeState& n = *node(id);
  std::erase_if(group, [&](FlightId fid) {
    if (!flight(fid).waiters.empty() || flight(fid).background) return false;
    ++node(id)->stats.loads_cancelled;
    fail_flight(fid, make_error_code(errc::cancelled));
    return true;
  });
  if (group.empty()) return;
  LoadRequest req{LoadId{}, id, {}, {}};
  std::optional<Duration> timeout;  // the shortest of the group's (a batch has one deadline)
  for (FlightId fid : group) {
    Flight& f = flight(fid);
    f.stage = Stage::loading;
    req.keys.push_back(f.user_key);
    req.sources.push_back(f.source);
    if (f.load_timeout > Duration::zero()) timeout = std::min(timeout.value_or(f.load_timeout), f.load_timeout);
  }
  std::optional<Instant> deadline;
  if (timeout) deadline = now.mono + *timeout;
  req.id = LoadId{loads_.insert(PendingLoad{id, group, now.mono, deadline, true, std::nullopt})};
  for (FlightId fid : group) flight(fid).load = req.id;
  if (deadline) load_deadlines_.emplace(*deadline, req.id.v);
  emit_or_queue(n, std::move(req));
  // soft_timeout: callers with a stale value at hand get it then (at once for 0).
  for (FlightId fid : group) {
    Flight& f = flight(fid);
    if (!f.has_fallback() || f.background || !n.config.soft_timeout) continue;
    if (*n.config.soft_timeout <= Duration::zero()) {
      go_background(fid, now);
      continue;
    }
    const Instant soft_deadline = now.mono + *n.config.soft_timeout;
    f.extras().soft_deadline = soft_deadline;
    soft_deadlines_.emplace(soft_deadline, fid);
  }
  spare_groups_.give(std::move(group));
}

// The core gives up on load `id`: every waiter of its flights gets `error`, nothing is cached,
// the flights leave the table, and the adapter is asked to cancel the loader.
void EngineImpl::give_up_load(LoadId id, std::error_code error, Now now) {
  PendingLoad* pending = loads_.find(id.v);
  if (!pending) return;
  PendingLoad load = std::move(*pending);
  loads_.erase(id.v);
  if (load.deadline) load_deadlines_.erase({*load.deadline, id.v});
  NodeState& n = *node(load.node);
  std::vector<Resolution> stale;
  for (FlightId fid : load.flights) {
    if (!flights_.find(fid)) continue;
    if (error == errc::load_timeout) {
      ++n.stats.load_failures;
      ++n.stats.load_timeouts;
    } else {
      ++n.stats.loads_cancelled;
    }
    if (auto r = fail_safe(fid, error, now)) {
      stale.push_back(std::move(*r));
      continue;
    }
    fail_flight(fid, error);
  }
  resolve(std::move(stale), now);  // fail-safe answers, as the failures above, before the cancel
  if (load.emitted) effects_.emplace_back(CancelLoad{id});  // a queued load never started
  load_finished(load.node, load.emitted, now);
}

// Flight `id` lost its last waiter: if it is loading and no flight of its load has a waiter
// left, the load is cancelled. A flight still reading goes on; it is dropped when it would load.
void EngineImpl::drop_unwanted_load(FlightId id) {
  const Flight& f = flight(id);
  if (f.stage != Stage::loading || f.background) return;
  const PendingLoad* load = loads_.find(f.load.v);
  if (!load) return;
  for (FlightId other : load->flights)
    if (const Flight* o = flights_.find(other); o && (!o->waiters.empty() || o->background)) return;
  give_up_load(f.load, make_error_code(errc::cancelled), last_now_);
}

// Gives up every load whose deadline passed.
void EngineImpl::expire_loads(Now now) {
  while (!load_deadlines_.empty() && load_deadlines_.begin()->first <= now.mono)
    give_up_load(LoadId{load_deadlines_.begin()->second}, make_error_code(errc::load_timeout), now);
}

void EngineImpl::fail_flight(FlightId id, std::error_code error) {
  Flight& f = flight(id);
  f.waiters.for_each([&](const Waiter& w) { answer(w, fail(error)); });
  f.waiters.clear();
  if (f.attached) in_flight_.erase(f.key_hash, id);
  erase_flight(id);  // nothing cached (rule 5); pending erases of a refresh are then ignored
}

void EngineImpl::detach(std::string_view key) {
  const std::uint64_t h = hash_key(key);
  const FlightId fid = in_flight_.find(key, h);
  if (!fid) return;
  Flight& f = flight(fid);
  f.attached = false;
  f.writeback_deferred = false;  // a refresh waiting for its erases now writes nothing
  in_flight_.erase(h, fid);
  maybe_finish(fid);
}

// The flight of local key `key` whose write-backs are still pending, if any: the one in the
// table, or one an earlier invalidate of the full key detached (its erases are held behind it,
// and so must these be).
FlightId EngineImpl::writing_flight(std::string_view key) {
  FlightId fid = in_flight_.find(key, hash_key(key));
  if (!fid || flight(fid).pending_writes == 0) {
    const auto fence = fences_.find(key.substr(0, key.size() - kNodeTagSize));
    fid = fence != fences_.end() ? fence->second.writer : FlightId{};
  }
  const Flight* f = fid ? flights_.find(fid) : nullptr;
  return f && f->pending_writes > 0 ? fid : FlightId{};
}

// Erases `full_key` in a remote tier now, or after the write-backs of `writer` if it still has
// some pending (rule 6: the erase must remove what they write).
void EngineImpl::issue_erase(PendingIo io, TierId tier, std::string_view full_key, FlightId writer, Now now) {
  io.key = full_key;
  io.tier = tier;
  io.erase_seq = next_erase_seq_++;
  auto fence = fences_.find(full_key);
  if (fence == fences_.end()) fence = fences_.emplace(io.key, EraseFence{}).first;
  fence->second.pending.push_back(io.erase_seq);
  if (Flight* w = writer ? flights_.find(writer) : nullptr; w && w->pending_writes > 0) {
    fence->second.writer = writer;
    w->extras().erases_after_writes.push_back(std::move(io));
    return;
  }
  emit_erase(std::move(io), now);
}

// Asks the storage to erase `io.key` in `io.tier`; the operation's deadline counts from now.
void EngineImpl::emit_erase(PendingIo io, Now now) {
  std::string key = io.key;
  const TierId tier = io.tier;
  const IoId id = new_io(std::move(io), tier, now);
  effects_.emplace_back(EraseRequest{id, tier, {std::move(key)}});
}

// The flight's write-backs are all acknowledged, failed or timed out: the erases held for them
// (if any) go.
void EngineImpl::release_erases(Flight& f, Now now) {
  if (!f.extras_if() || f.extras_if()->erases_after_writes.empty()) return;
  auto erases = std::move(f.extras().erases_after_writes);
  f.extras().erases_after_writes.clear();
  for (PendingIo& io : erases) emit_erase(std::move(io), now);
}

// Starts new flights down the chain, except those whose key an erase is still removing: they
// wait for it, so that no read can overtake the erase and find the old value (rule 6).
void EngineImpl::start_flights(NodeId id, std::vector<FlightId> group, Now now) {
  if (!fences_.empty()) {
    std::erase_if(group, [&](FlightId fid) {
      const auto fence = fences_.find(flight(fid).full_key());
      if (fence == fences_.end()) return false;
      fence->second.blocked.emplace_back(next_erase_seq_, fid);
      return true;
    });
    if (group.empty()) return;
  }
  advance(id, std::move(group), now);
}

// Erase `erase_seq` of `full_key` completed (or failed, or timed out): the flights that waited
// for no erase but those done by now start, those of one node together (one batched fetch).
void EngineImpl::lift_fence(const std::string& full_key, std::uint64_t erase_seq, Now now) {
  const auto fence = fences_.find(full_key);
  if (fence == fences_.end()) return;
  EraseFence& ef = fence->second;
  std::erase(ef.pending, erase_seq);
  const std::uint64_t oldest = ef.pending.empty() ? UINT64_MAX : *std::min_element(ef.pending.begin(), ef.pending.end());
  std::map<std::uint64_t, std::vector<FlightId>> ready;  // by node
  std::erase_if(ef.blocked, [&](const std::pair<std::uint64_t, FlightId>& b) {
    if (b.first > oldest) return false;  // an erase asked before it is still pending
    if (const Flight* f = flights_.find(b.second)) ready[f->node.v].push_back(b.second);
    return true;
  });
  if (ef.pending.empty() && ef.blocked.empty()) fences_.erase(fence);
  for (auto& [node_id, group] : ready) advance(NodeId{node_id}, std::move(group), now);
}

// A flight leaves when its value is known and nothing it wrote or erased is still pending.
void EngineImpl::maybe_finish(FlightId id) {
  Flight* f = flights_.find(id);
  if (!f) return;
  if (f->stage != Stage::writing || f->pending_writes > 0 || f->pending_erases > 0 || f->writeback_deferred) return;
  if (f->attached) in_flight_.erase(f->key_hash, id);
  erase_flight(id);
}

void EngineImpl::erase_flight(FlightId id) {
  Flight& f = flight(id);
  spare_keys_.give(std::move(f.key));
  spare_keys_.give(std::move(f.user_key));
  flights_.erase(id);
}

std::vector<FlightId> EngineImpl::group_of(FlightId id) {
  std::vector<FlightId> group = spare_groups_.take();
  group.push_back(id);
  return group;
}

// Whether a value read from a remote tier must keep its codec bytes: a remote tier before it
// missed (the write-back copies them), or an early refresh may keep the value as its fallback.
bool EngineImpl::body_wanted(const NodeState& n, const Flight& f) const {
  if (n.config.early_refresh > 0) return true;
  for (TierMask bits = f.missed; bits; bits &= bits - 1)
    if (!tiers_[n.chain[static_cast<std::size_t>(std::countr_zero(bits))].v - 1].is_local()) return true;
  return false;
}

}  // namespace cacheme::core::detail

// Completions of storage operations and loads, and timeouts (DESIGN.md §3 rule 5).
#include "cacheme/codec/entry_header.hpp"
#include "cacheme/errc.hpp"
#include "engine_state.hpp"

namespace cacheme::core::detail {

std::error_code EngineImpl::complete_fetch(IoId id, const FetchResult& result, Now now) {
  last_now_ = now;
  const PendingIo* pending = ios_.find(id.v);
  if (!pending || pending->kind != PendingIo::Kind::fetch) return make_error_code(errc::unknown_io);
  PendingIo io = std::move(*take_io(id));
  NodeState& n = *node(io.node);
  TierStats& ts = n.stats.tiers[io.chain_index];
  const bool failed = result.status != IoStatus::ok || result.values.size() != io.flights.size();
  if (failed) ++ts.errors;
  if (result.status == IoStatus::overloaded) ++ts.overloaded;

  std::vector<Resolution> found = spare_found_.take();
  std::vector<FlightId> rest = spare_groups_.take();
  for (std::size_t i = 0; i < io.flights.size(); ++i) {
    Flight& f = flight(io.flights[i]);
    ++f.next_tier;
    if (failed) {  // fall through to the next tier; do not pile writes on a failing storage
      rest.push_back(io.flights[i]);
      continue;
    }
    const std::optional<std::string>& bytes = result.values[i];
    if (bytes) {
      auto entry = codec::parse_entry(*bytes);
      if (entry && entry->codec == n.config.codec.id) {
        const std::int64_t remaining = entry->remaining_ms(now.unix_ms);
        const std::int64_t grace = std::chrono::duration_cast<std::chrono::milliseconds>(n.config.stale_for).count();
        // Past fresh-until: within the grace period a fallback, after it just gone.
        const bool stale = remaining == 0;
        if (!stale || now.unix_ms - entry->expire_unix_ms < grace) {
          auto value = entry->negative ? Result<AnyValue>(negative_value()) : n.config.codec.decode(entry->body);
          if (value && *value) {
            std::optional<Instant> fresh;
            if (remaining != -1) fresh = now.mono + std::chrono::milliseconds(entry->expire_unix_ms - now.unix_ms);
            std::optional<std::string> body;
            // Kept only for a write-back to a remote tier that missed, or as a fallback: a
            // plain hit copies no body.
            if (!entry->negative && (stale || body_wanted(n, f))) body.emplace(entry->body);
            if (!stale) {
              ++ts.hits;
              found.push_back({io.flights[i], std::move(*value), fresh, std::move(body), false});
              continue;
            }
            ++ts.misses;
            if (!f.has_fallback()) keep_fallback(f, *value, fresh, std::move(body));
          } else {
            ++ts.decode_errors;
          }
        } else {
          ++ts.misses;  // expired: the copy outlived nothing, it is just gone
        }
      } else {
        ++ts.decode_errors;  // truncated, damaged or foreign: reload and overwrite it
      }
    } else {
      ++ts.misses;
    }
    f.missed |= TierMask{1} << io.chain_index;
    rest.push_back(io.flights[i]);
  }
  resolve(std::move(found), now);
  if (!rest.empty())
    advance(io.node, std::move(rest), now);
  else
    spare_groups_.give(std::move(rest));
  spare_groups_.give(std::move(io.flights));
  return {};
}

std::error_code EngineImpl::complete_write(IoId id, IoStatus status, Now now) {
  last_now_ = now;
  const PendingIo* pending = ios_.find(id.v);
  if (!pending || pending->kind == PendingIo::Kind::fetch) return make_error_code(errc::unknown_io);
  PendingIo io = std::move(*take_io(id));
  NodeState& n = *node(io.node);
  if (status != IoStatus::ok) ++n.stats.tiers[io.chain_index].errors;
  if (status == IoStatus::overloaded) ++n.stats.tiers[io.chain_index].overloaded;

  if (io.kind == PendingIo::Kind::erase && tiers_[io.tier.v - 1].remote.announce_erases)
    erased_.push_back({io.tier, io.key});
  if (io.kind == PendingIo::Kind::erase) lift_fence(io.key, io.erase_seq, now);
  if (io.kind == PendingIo::Kind::store) {
    for (FlightId fid : io.flights) {
      Flight* f = flights_.find(fid);
      if (!f) continue;
      if (--f->pending_writes == 0) release_erases(*f, now);
      maybe_finish(fid);
    }
    spare_groups_.give(std::move(io.flights));
    return {};
  }
  if (!io.flights.empty()) {  // an erase of a refresh: its write-back may go now
    Flight* f = flights_.find(io.flights.front());
    if (!f) return {};
    if (--f->pending_erases == 0 && f->writeback_deferred) {
      f->writeback_deferred = false;
      start_writeback({io.flights.front()}, now);
    }
    maybe_finish(io.flights.front());
    return {};
  }
  TicketState* t = tickets_.find(io.ticket.v);  // an erase of an invalidate
  if (!t) return {};
  if (status != IoStatus::ok)
    t->error = make_error_code(status == IoStatus::overloaded ? errc::overloaded : errc::storage_error);
  if (--t->remaining == 0) {
    emit_reply(io.ticket, *t);
  }
  return {};
}

std::error_code EngineImpl::complete_load(LoadId id, std::vector<Result<AnyValue>> results, Now now) {
  last_now_ = now;
  PendingLoad* pending = loads_.find(id.v);
  if (!pending || !pending->emitted) return make_error_code(errc::unknown_io);
  PendingLoad load = std::move(*pending);
  loads_.erase(id.v);
  if (load.deadline) load_deadlines_.erase({*load.deadline, id.v});
  NodeState& n = *node(load.node);
  const auto elapsed = static_cast<std::uint64_t>(std::max<std::int64_t>(0, (now.mono - load.started).count()));

  std::vector<Resolution> found;
  for (std::size_t i = 0; i < load.flights.size(); ++i) {
    // One result per key; a single error stands for the whole batch.
    Result<AnyValue> r = results.size() == load.flights.size() ? std::move(results[i])
                         : (results.size() == 1 && !results[0]) ? Result<AnyValue>(results[0])
                                                                 : Result<AnyValue>(fail(errc::load_failed));
    if (r && !*r) r = fail(errc::load_failed);  // a loader must produce a value
    n.stats.total_load_time_ns += elapsed;
    n.stats.load_time.record(Duration(static_cast<std::int64_t>(elapsed)));
    if (!r && r.error() == errc::not_found && n.config.negative_ttl) {  // cached like a value
      ++n.stats.load_successes;
      found.push_back({load.flights[i], negative_value(), now.mono + *n.config.negative_ttl, std::nullopt, true});
    } else if (r) {
      ++n.stats.load_successes;
      found.push_back({load.flights[i], std::move(*r), std::nullopt, std::nullopt, true});
    } else if (++n.stats.load_failures; auto stale = fail_safe(load.flights[i], r.error(), now)) {
      found.push_back(std::move(*stale));
    } else {
      fail_flight(load.flights[i], r.error());
    }
  }
  resolve(std::move(found), now);
  spare_groups_.give(std::move(load.flights));
  load_finished(load.node, true, now);
  return {};
}

void EngineImpl::on_timeout(Now now) {
  last_now_ = now;
  for (Tier& t : tiers_)
    if (t.local) t.local->advance(now.mono);
  expire_soft(now);
  expire_loads(now);
  for (Tier& t : tiers_) {
    // A timeout is a failure like any other; the late reply, if any, is then ignored.
    while (!t.deadlines.empty() && t.deadlines.front().first <= now.mono) {
      const IoId id = t.deadlines.front().second;
      t.deadlines.pop_front();
      const PendingIo* io = ios_.find(id.v);
      if (!io) continue;  // completed already
      ++node(io->node)->stats.tiers[io->chain_index].timeouts;
      effects_.emplace_back(AbandonIo{id, io->tier});
      if (io->kind == PendingIo::Kind::fetch)
        complete_fetch(id, FetchResult{IoStatus::backend_error, {}}, now);
      else
        complete_write(id, IoStatus::backend_error, now);
    }
  }
}

std::optional<Instant> EngineImpl::next_deadline() const {
  std::optional<Instant> next;
  if (!load_deadlines_.empty()) next = load_deadlines_.begin()->first;
  if (!soft_deadlines_.empty() && (!next || soft_deadlines_.begin()->first < *next)) next = soft_deadlines_.begin()->first;
  for (const Tier& t : tiers_) {
    if (!t.deadlines.empty() && (!next || t.deadlines.front().first < *next)) next = t.deadlines.front().first;
    if (!t.local) continue;
    if (auto e = t.local->next_expiry(); e && (!next || *e < *next)) next = e;
  }
  return next;
}

}  // namespace cacheme::core::detail

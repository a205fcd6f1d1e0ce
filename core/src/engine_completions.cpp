// Completions of storage operations and loads, and timeouts (DESIGN.md §3 rule 5).
#include "cacheme/codec/entry_header.hpp"
#include "cacheme/errc.hpp"
#include "engine_state.hpp"

namespace cacheme::core::detail {

std::error_code EngineImpl::complete_fetch(IoId id, FetchResult result, Now now) {
  auto it = ios_.find(id);
  if (it == ios_.end() || it->second.kind != PendingIo::Kind::fetch) return make_error_code(errc::unknown_io);
  PendingIo io = std::move(it->second);
  ios_.erase(it);
  deadlines_.erase({io.deadline, id});
  NodeState& n = *node(io.node);
  TierStats& ts = n.stats.tiers[io.chain_index];
  const bool failed = result.status != IoStatus::ok || result.values.size() != io.flights.size();
  if (failed) ++ts.errors;

  std::vector<Resolution> found;
  std::vector<FlightId> rest;
  for (std::size_t i = 0; i < io.flights.size(); ++i) {
    Flight& f = flights_.at(io.flights[i]);
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
        if (remaining != 0) {
          auto value = n.config.codec.decode(entry->body);
          if (value && *value) {
            ++ts.hits;
            std::optional<Instant> expiry;
            if (remaining > 0) expiry = now.mono + std::chrono::milliseconds(remaining);
            found.push_back({io.flights[i], std::move(*value), expiry, std::string(entry->body), false});
            continue;
          }
          ++ts.decode_errors;
        } else {
          ++ts.misses;  // expired: the copy outlived nothing, it is just gone
        }
      } else {
        ++ts.decode_errors;  // truncated, damaged or foreign: reload and overwrite it
      }
    } else {
      ++ts.misses;
    }
    f.missed.push_back(io.chain_index);
    rest.push_back(io.flights[i]);
  }
  resolve(std::move(found), now);
  if (!rest.empty()) advance(io.node, std::move(rest), now);
  return {};
}

std::error_code EngineImpl::complete_write(IoId id, IoStatus status, Now now) {
  (void)now;
  auto it = ios_.find(id);
  if (it == ios_.end() || it->second.kind == PendingIo::Kind::fetch) return make_error_code(errc::unknown_io);
  PendingIo io = std::move(it->second);
  ios_.erase(it);
  deadlines_.erase({io.deadline, id});
  NodeState& n = *node(io.node);
  if (status != IoStatus::ok) ++n.stats.tiers[io.chain_index].errors;

  if (io.kind == PendingIo::Kind::store) {
    for (FlightId fid : io.flights) {
      auto f = flights_.find(fid);
      if (f == flights_.end()) continue;
      --f->second.pending_writes;
      maybe_finish(fid);
    }
    return {};
  }
  if (!io.flights.empty()) {  // an erase of a refresh: its write-back may go now
    auto f = flights_.find(io.flights.front());
    if (f == flights_.end()) return {};
    if (--f->second.pending_erases == 0 && f->second.writeback_deferred) {
      f->second.writeback_deferred = false;
      start_writeback({io.flights.front()}, now);
    }
    maybe_finish(io.flights.front());
    return {};
  }
  auto t = tickets_.find(io.ticket);  // an erase of an invalidate
  if (t == tickets_.end()) return {};
  if (status != IoStatus::ok) t->second.error = make_error_code(errc::storage_error);
  if (--t->second.remaining == 0) {
    emit_reply(io.ticket, t->second);
    tickets_.erase(t);
  }
  return {};
}

std::error_code EngineImpl::complete_load(LoadId id, std::vector<Result<AnyValue>> results, Now now) {
  auto it = loads_.find(id);
  if (it == loads_.end()) return make_error_code(errc::unknown_io);
  PendingLoad load = std::move(it->second);
  loads_.erase(it);
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
    if (r) {
      ++n.stats.load_successes;
      found.push_back({load.flights[i], std::move(*r), std::nullopt, std::nullopt, true});
    } else {
      ++n.stats.load_failures;
      fail_flight(load.flights[i], r.error());
    }
  }
  resolve(std::move(found), now);
  return {};
}

void EngineImpl::on_timeout(Now now) {
  for (Tier& t : tiers_)
    if (t.local) t.local->advance(now.mono);
  while (!deadlines_.empty() && deadlines_.begin()->first <= now.mono) {
    const IoId id = deadlines_.begin()->second;
    auto it = ios_.find(id);
    if (it == ios_.end()) {  // cannot happen: completions remove their deadline
      deadlines_.erase(deadlines_.begin());
      continue;
    }
    ++node(it->second.node)->stats.tiers[it->second.chain_index].timeouts;
    // A timeout is a failure like any other; the late reply, if any, is then ignored.
    if (it->second.kind == PendingIo::Kind::fetch)
      complete_fetch(id, FetchResult{IoStatus::backend_error, {}}, now);
    else
      complete_write(id, IoStatus::backend_error, now);
  }
}

std::optional<Instant> EngineImpl::next_deadline() const {
  std::optional<Instant> next;
  if (!deadlines_.empty()) next = deadlines_.begin()->first;
  for (const Tier& t : tiers_) {
    if (!t.local) continue;
    if (auto e = t.local->next_expiry(); e && (!next || *e < *next)) next = e;
  }
  return next;
}

}  // namespace cacheme::core::detail

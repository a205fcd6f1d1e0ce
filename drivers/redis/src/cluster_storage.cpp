#include "cluster_storage.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <utility>

#include "cacheme/drivers/redis.hpp"
#include "cacheme/errc.hpp"
#include "redis_reply.hpp"

namespace cacheme::drivers::redis::detail {
namespace {

using Clock = std::chrono::steady_clock;

// A storm of redirects or failures refreshes the map at most this often (the bound).
constexpr std::chrono::milliseconds kMinRefreshInterval{100};
// TRYAGAIN means "a slot migration is moving these keys right now": MIGRATE moves a batch in a
// few ms, so a short pause usually finds them together again.
constexpr std::chrono::milliseconds kTryAgainDelay{20};
constexpr std::string_view kScanCount = "1000";
constexpr std::size_t kInlineArgs = 8;

core::FetchResult failed_fetch() { return {core::IoStatus::backend_error, {}}; }

/// Indices of `keys` grouped by slot, groups in order of first appearance.
std::vector<std::pair<std::uint16_t, std::vector<std::size_t>>> group_by_slot(const std::vector<std::string>& keys) {
  std::vector<std::pair<std::uint16_t, std::vector<std::size_t>>> groups;
  std::unordered_map<std::uint16_t, std::size_t> where;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::uint16_t slot = key_slot(keys[i]);
    const auto [it, fresh] = where.emplace(slot, groups.size());
    if (fresh) groups.emplace_back(slot, std::vector<std::size_t>{});
    groups[it->second].second.push_back(i);
  }
  return groups;
}

}  // namespace

/// Counts the replies of a write split into several commands; the last one completes it.
struct ClusterStorage::Countdown {
  core::IoId id;
  std::size_t left = 0;
  bool failed = false;
};

std::function<void(const redisReply*)> ClusterStorage::count_write(std::shared_ptr<Countdown> pending,
                                                                   bool (*ok)(const redisReply*)) {
  return [this, pending = std::move(pending), ok](const redisReply* r) {
    if (!ok(r)) pending->failed = true;
    if (--pending->left == 0)
      complete_write(pending->id, pending->failed ? core::IoStatus::backend_error : core::IoStatus::ok);
  };
}

/// One command on its way to the owner of its slot, with what is left of its redirect budget.
struct ClusterStorage::Routed {
  std::vector<std::string> args;
  std::uint16_t slot = 0;
  std::string order_key;  // writes: the key whose connection keeps them in order
  Clock::time_point deadline;
  std::optional<core::IoId> op;  // the core's operation (none for flush_prefix's commands)
  bool moved = false;  // followed a MOVED already
  bool asked = false;  // followed an ASK already
  std::function<void(const redisReply*)> done;  // the final reply (nullptr: no reply)
};

/// The values of one get_all, filled group by group.
struct ClusterStorage::Gather {
  core::IoId id;
  core::FetchResult result;
  std::size_t left = 0;
  bool failed = false;
};

/// One flush_prefix: a SCAN per master plus the UNLINKs of what they found.
struct ClusterStorage::FlushJob {
  core::IoId id;
  std::string pattern;
  std::size_t left = 0;
  bool failed = false;
};

// ------------------------------------------------------------------ connect and lifetime

void ClusterStorage::connect(Reactor& reactor, RedisUrl url, std::size_t pool_size, CompletionSink sink,
                             ConnectDone done) {
  std::unique_ptr<ClusterStorage> s(new ClusterStorage(reactor, std::move(url), pool_size, std::move(sink)));
  ClusterStorage* raw = s.get();
  raw->connect_done_ = std::move(done);
  raw->self_ = std::move(s);
  Candidates seeds;
  for (const auto& [host, port] : raw->url_.seeds) seeds.push_back(raw->map_.index_of(NodeAddress{host, port}));
  raw->refreshing_ = true;
  raw->ask_slots(std::move(seeds), 0, [raw](bool ok) {
    raw->refreshing_ = false;
    raw->last_refresh_ = Clock::now();
    raw->bootstrap_done(ok);
  });
}

ClusterStorage::ClusterStorage(Reactor& reactor, RedisUrl url, std::size_t pool_size, CompletionSink sink)
    : reactor_(reactor),
      url_(std::move(url)),
      pool_size_(pool_size),
      queue_(reactor, std::move(sink)),
      ops_(url_.max_outstanding != 0 ? url_.max_outstanding : kOutstandingPerConnection),
      alive_(std::make_shared<ClusterStorage*>(this)) {}

ClusterStorage::~ClusterStorage() {
  queue_.silence();
  alive_.reset();
  close();
}

void ClusterStorage::bootstrap_done(bool ok) {
  // Without an explicit pool_size, the masters share the single-node default: with 100
  // connections per master, 3 masters took 1.7 x the time of 100 connections in all on the
  // seed workload (README, Redis Cluster benchmark): each command went out alone, in its own
  // write(2) and its own wake-up of a server.
  if (ok && pool_size_ == 0) {
    const std::size_t masters = std::max<std::size_t>(1, map_.masters().size());
    pool_size_ = (kDefaultPoolSize + masters - 1) / masters;
  }
  if (ok && url_.max_outstanding == 0)
    ops_.set_cap(pool_size_ * std::max<std::size_t>(1, map_.masters().size()) * kOutstandingPerConnection);
  // Possibly inside hiredis: hand the storage (or the error) over from a posted task, which
  // also drops the one-connection pools used to read the map (clean stack).
  auto owner = std::make_shared<std::unique_ptr<ClusterStorage>>(std::move(self_));
  reactor_.post([owner, ok, done = std::move(connect_done_)] {
    if (!ok) {
      owner->reset();
      return done(fail(errc::connect_failed));
    }
    for (auto& n : (*owner)->nodes_)
      if (n) n->close();
    (*owner)->nodes_.clear();
    done(std::unique_ptr<Storage>(std::move(*owner)));
  });
}

void ClusterStorage::close() {
  closed_ = true;
  if (refresh_timer_) reactor_.cancel(refresh_timer_);
  refresh_timer_ = 0;
  for (auto& n : nodes_)
    if (n) n->close();  // pending replies come back as nullptr: backend_error
  queue_.deliver_later();
}

StorageHealth ClusterStorage::health() const {
  StorageHealth h;
  for (const auto& n : nodes_) {
    if (!n) continue;
    const PoolHealth p = n->health();
    h.connections += p.connections;
    h.connections_up += p.connections_up;
    h.reconnects += p.reconnects;
    h.connection_timeouts += p.connection_timeouts;
  }
  h.outstanding = ops_.outstanding();
  h.abandoned = ops_.abandoned();
  h.overloaded = ops_.overloaded();
  return h;
}

bool ClusterStorage::admit(core::IoId id, bool fetch) {
  if (ops_.admit()) {
    ops_.begin(id);
    return true;
  }
  queue_.refuse(id, fetch);  // posted: never inside start
  return false;
}

bool ClusterStorage::abandoned(const Routed& cmd) const { return cmd.op && !ops_.live(*cmd.op); }

std::map<std::string, std::uint64_t> ClusterStorage::command_counts() const {
  return {counts_.begin(), counts_.end()};
}

ClusterNode& ClusterStorage::node(std::size_t index) {
  if (index >= nodes_.size()) nodes_.resize(index + 1);
  if (!nodes_[index]) {
    RedisUrl u = url_;  // credentials and options of the URL, the node's own address
    u.host = map_.address(index).host;
    u.port = map_.address(index).port;
    u.seeds.clear();
    const std::size_t size = self_ ? 1 : pool_size_;  // registration only reads the map
    nodes_[index] = std::make_unique<ClusterNode>(reactor_, std::move(u), size, counts_,
                                                  static_cast<ClusterNodeListener&>(*this));
  }
  return *nodes_[index];
}

// ------------------------------------------------------------------ routing

std::shared_ptr<ClusterStorage::Routed> ClusterStorage::make_command(std::vector<std::string> args,
                                                                     std::uint16_t slot, std::string order_key,
                                                                     std::optional<core::IoId> op) {
  auto cmd = std::make_shared<Routed>();
  cmd->op = op;
  cmd->args = std::move(args);
  cmd->slot = slot;
  cmd->order_key = std::move(order_key);
  cmd->deadline = Clock::now() + url_.timeout;
  return cmd;
}

void ClusterStorage::route(const std::shared_ptr<Routed>& cmd) {
  if (abandoned(*cmd)) return;  // dropped unsent (a retry, a redirect, a node still connecting)
  if (closed_) return cmd->done(nullptr);
  const auto owner = map_.owner(cmd->slot);
  if (!owner) {  // nobody serves the slot (yet): an error now, a fresher map for the next ones
    refresh_map();
    return cmd->done(nullptr);
  }
  ClusterNode& n = node(*owner);
  if (Connection* c = nullptr; n.connection_now(cmd->order_key, c)) return send_on(c, cmd, false);
  n.with_connection([this, cmd](Connection* c) { send_on(c, cmd, false); }, cmd->order_key);
}

void ClusterStorage::send_on(Connection* c, const std::shared_ptr<Routed>& cmd, bool asking) {
  if (abandoned(*cmd)) return;  // waited for its node's connection past its timeout: dropped unsent
  if (!c) return cmd->done(nullptr);
  if (asking) {
    // ASKING holds for the next command of this connection only: both go out back to back.
    static constexpr std::array<std::string_view, 1> kAsking{"ASKING"};
    if (!c->send(kAsking, [](const redisReply*) {})) return cmd->done(nullptr);
  }
  const auto on_reply = [this, cmd](const redisReply* r) { this->on_reply(cmd, r); };
  bool sent = false;
  if (cmd->args.size() <= kInlineArgs) {  // GET, SET ... PX, small MGETs: no allocation
    std::array<std::string_view, kInlineArgs> inline_args;
    std::copy(cmd->args.begin(), cmd->args.end(), inline_args.begin());
    sent = c->send(std::span(inline_args.data(), cmd->args.size()), on_reply);
  } else {
    const std::vector<std::string_view> args(cmd->args.begin(), cmd->args.end());
    sent = c->send(args, on_reply);
  }
  if (!sent) return cmd->done(nullptr);
  if (cmd->op) ops_.sent(*cmd->op);
}

void ClusterStorage::on_reply(const std::shared_ptr<Routed>& cmd, const redisReply* r) {
  if (cmd->op && !ops_.replied(*cmd->op)) return;  // abandoned: its reply is ignored
  if (!r) {  // connection lost: its node may be gone for good
    if (!closed_) refresh_map();
    return cmd->done(nullptr);
  }
  const Redirect redirect = redirect_of(r);
  switch (redirect.kind) {
    case RedirectKind::moved:
      map_.move_slot(redirect.slot, redirect.target);
      refresh_map();  // one MOVED usually means a whole range moved
      if (cmd->moved) break;
      cmd->moved = true;
      return route(cmd);
    case RedirectKind::ask: {
      if (cmd->asked) break;
      cmd->asked = true;
      const std::size_t target = map_.index_of(redirect.target);
      return node(target).with_connection([this, cmd](Connection* c) { send_on(c, cmd, true); });
    }
    case RedirectKind::try_again:
      if (Clock::now() + kTryAgainDelay >= cmd->deadline) break;
      return retry_later(cmd);
    case RedirectKind::none:
      break;
  }
  cmd->done(r);
}

void ClusterStorage::retry_later(const std::shared_ptr<Routed>& cmd) {
  reactor_.call_after(kTryAgainDelay, [alive = std::weak_ptr<ClusterStorage*>(alive_), cmd] {
    const auto p = alive.lock();
    if (!p || !*p) return;
    cmd->asked = false;  // a fresh attempt: the slot may have moved on meanwhile
    (*p)->route(cmd);
    (*p)->queue_.deliver_later();
  });
}

// ------------------------------------------------------------------ storage operations

void ClusterStorage::start(core::FetchRequest&& req) {
  if (!admit(req.id, true)) return;
  const std::size_t n = req.keys.size();
  if (n == 0) {
    complete_fetch(req.id, {});
  } else if (n == 1) {  // a get: GET alone, as on a single Redis
    const std::uint16_t slot = key_slot(req.keys[0]);
    auto cmd = make_command({"GET", std::move(req.keys[0])}, slot, {}, req.id);
    cmd->done = [this, id = req.id](const redisReply* r) { complete_fetch(id, get_result(r)); };
    route(cmd);
  } else {
    fetch_groups(req);
  }
  queue_.deliver_later();
}

void ClusterStorage::fetch_groups(core::FetchRequest& req) {
  auto gather = std::make_shared<Gather>();
  gather->id = req.id;
  gather->result.values.resize(req.keys.size());
  auto groups = group_by_slot(req.keys);
  gather->left = groups.size();
  // The groups of one master go out together, on one connection: one write per master.
  std::vector<std::pair<std::size_t, std::vector<std::shared_ptr<Routed>>>> by_master;
  for (auto& [slot, indices] : groups) {
    std::vector<std::string> args{"MGET"};
    for (const std::size_t i : indices) args.push_back(std::move(req.keys[i]));
    auto cmd = make_command(std::move(args), slot, {}, req.id);
    cmd->done = [this, gather, indices = std::move(indices)](const redisReply* r) {
      auto part = mget_result(r, indices.size());
      if (part.status != core::IoStatus::ok) gather->failed = true;
      for (std::size_t j = 0; j < part.values.size(); ++j) gather->result.values[indices[j]] = std::move(part.values[j]);
      if (--gather->left > 0) return;
      complete_fetch(gather->id, gather->failed ? failed_fetch() : std::move(gather->result));
    };
    const auto owner = map_.owner(slot);
    if (!owner) {
      route(cmd);  // fails it and refreshes the map
      continue;
    }
    auto it = std::find_if(by_master.begin(), by_master.end(), [&](const auto& m) { return m.first == *owner; });
    if (it == by_master.end()) it = by_master.insert(by_master.end(), {*owner, {}});
    it->second.push_back(std::move(cmd));
  }
  for (auto& [master, cmds] : by_master)
    node(master).with_connection([this, cmds = std::move(cmds)](Connection* c) {
      for (const auto& cmd : cmds) send_on(c, cmd, false);
    });
}

void ClusterStorage::start(core::StoreRequest req) {
  if (!admit(req.id, false)) return;
  if (req.entries.empty()) {
    complete_write(req.id, core::IoStatus::ok);
    return queue_.deliver_later();
  }
  // One SET per entry on its key's connection of its master: writes and deletes of one key
  // stay in order, as on a single Redis.
  auto pending = std::make_shared<Countdown>(Countdown{req.id, req.entries.size()});
  for (auto& e : req.entries) {
    const std::uint16_t slot = key_slot(e.key);
    std::string order_key = e.key;
    std::vector<std::string> args{"SET", std::move(e.key), std::move(e.bytes)};
    if (e.ttl) {  // milliseconds as given (the core never sends less than 1 ms)
      args.emplace_back("PX");
      args.push_back(std::to_string(e.ttl->count() > 0 ? e.ttl->count() : 1));
    }
    auto cmd = make_command(std::move(args), slot, std::move(order_key), req.id);
    cmd->done = count_write(pending, &is_ok_status);
    route(cmd);
  }
  queue_.deliver_later();
}

void ClusterStorage::start(core::EraseRequest req) {
  if (!admit(req.id, false)) return;
  if (req.keys.empty()) {
    complete_write(req.id, core::IoStatus::ok);
    return queue_.deliver_later();
  }
  // One DEL per slot (a multi-key command must be single-slot).
  auto groups = group_by_slot(req.keys);
  auto pending = std::make_shared<Countdown>(Countdown{req.id, groups.size()});
  for (auto& [slot, indices] : groups) {
    std::vector<std::string> args{"DEL"};
    for (const std::size_t i : indices) args.push_back(std::move(req.keys[i]));
    std::string order_key = args[1];
    auto cmd = make_command(std::move(args), slot, std::move(order_key), req.id);
    cmd->done = count_write(pending, &is_integer);
    route(cmd);
  }
  queue_.deliver_later();
}

// ------------------------------------------------------------------ flush_prefix

void ClusterStorage::flush_prefix(core::IoId id, std::string prefix) {
  const auto masters = map_.masters();
  auto job = std::make_shared<FlushJob>(FlushJob{id, prefix_pattern(prefix), masters.size()});
  if (masters.empty()) queue_.written(id, core::IoStatus::backend_error);
  for (const std::size_t m : masters) scan_step(job, m, "0");
  queue_.deliver_later();
}

void ClusterStorage::scan_step(const std::shared_ptr<FlushJob>& job, std::size_t master, std::string cursor) {
  node(master).with_connection([this, job, master, cursor = std::move(cursor)](Connection* c) {
    const std::array<std::string_view, 6> args{"SCAN", cursor, "MATCH", job->pattern, "COUNT", kScanCount};
    const bool sent = c && c->send(args, [this, job, master](const redisReply* r) {
      auto page = scan_page(r);
      if (!page) return scan_finished(job, false);
      // Each page's keys go by slot (UNLINK is multi-key), routed like any command.
      for (auto& [slot, indices] : group_by_slot(page->keys)) {
        std::vector<std::string> unlink{"UNLINK"};
        for (const std::size_t i : indices) unlink.push_back(std::move(page->keys[i]));
        auto cmd = make_command(std::move(unlink), slot, {});
        cmd->done = [this, job](const redisReply* r2) { scan_finished(job, is_integer(r2)); };
        ++job->left;
        route(cmd);
      }
      if (page->cursor == "0") return scan_finished(job, true);
      scan_step(job, master, std::move(page->cursor));
    });
    if (!sent) scan_finished(job, false);
  });
}

void ClusterStorage::scan_finished(const std::shared_ptr<FlushJob>& job, bool ok) {
  if (!ok) job->failed = true;
  if (--job->left == 0) queue_.written(job->id, job->failed ? core::IoStatus::backend_error : core::IoStatus::ok);
}

// ------------------------------------------------------------------ the slot map

void ClusterStorage::refresh_map() {
  if (closed_ || refreshing_ || refresh_timer_) return;
  const auto since = Clock::now() - last_refresh_;
  if (since >= kMinRefreshInterval) return send_refresh();
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(kMinRefreshInterval - since);
  refresh_timer_ = reactor_.call_after(wait, [alive = std::weak_ptr<ClusterStorage*>(alive_)] {
    const auto p = alive.lock();
    if (!p || !*p) return;
    (*p)->refresh_timer_ = 0;
    (*p)->send_refresh();
  });
}

void ClusterStorage::send_refresh() {
  if (closed_) return;
  refreshing_ = true;
  last_refresh_ = Clock::now();
  // Ask the masters in turn (a different one first each time: the first may be the dead one),
  // then the seeds of the URL.
  Candidates candidates = map_.masters();
  if (!candidates.empty())
    std::rotate(candidates.begin(), candidates.begin() + long(refresh_cursor_++ % candidates.size()), candidates.end());
  for (const auto& [host, port] : url_.seeds) {
    const std::size_t seed = map_.index_of(NodeAddress{host, port});
    if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end()) candidates.push_back(seed);
  }
  ask_slots(std::move(candidates), 0, [this](bool) { refreshing_ = false; });
}

void ClusterStorage::ask_slots(Candidates candidates, std::size_t next, std::function<void(bool ok)> done) {
  if (closed_ || next >= candidates.size()) return done(false);
  const std::size_t index = candidates[next];
  node(index).with_connection([this, candidates, next, done, index](Connection* c) mutable {
    static constexpr std::array<std::string_view, 2> kArgs{"CLUSTER", "SLOTS"};
    const auto on_slots = [this, candidates, next, done, index](const redisReply* r) mutable {
      auto ranges = parse_cluster_slots(r, map_.address(index).host);
      if (ranges && !ranges->empty()) {
        map_.assign(*ranges);
        return done(true);
      }
      if (self_ && r && r->type == REDIS_REPLY_ERROR)  // registration: say why this seed is no good
        std::fprintf(stderr, "cacheme: redis cluster %s: CLUSTER SLOTS: %.*s\n", map_.address(index).text().c_str(),
                     int(r->len), r->str);
      ask_slots(std::move(candidates), next + 1, std::move(done));
    };
    if (!c || !c->send(kArgs, on_slots)) ask_slots(std::move(candidates), next + 1, std::move(done));
  });
}

// ------------------------------------------------------------------ writes

void ClusterStorage::flush() {
  for (auto& n : nodes_)
    if (n) n->flush();
  queue_.deliver_later();  // a write that failed completed its commands with nullptr replies
}

// As on a single Redis: one write per connection per loop iteration (see RedisStorage).
void ClusterStorage::flush_soon() {
  if (flush_posted_) return;
  flush_posted_ = true;
  reactor_.post([alive = std::weak_ptr<ClusterStorage*>(alive_)] {
    const auto p = alive.lock();
    if (!p || !*p) return;
    (*p)->flush_posted_ = false;
    (*p)->flush();
  });
}

}  // namespace cacheme::drivers::redis::detail

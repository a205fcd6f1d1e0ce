#include "redis_storage.hpp"

#include <array>
#include <string>
#include <utility>

#include "cacheme/errc.hpp"
#include "redis_reply.hpp"

namespace cacheme::drivers::redis::detail {
namespace {

constexpr std::string_view kScanCount = "1000";

/// Keys (or command arguments) as string_views, after a command name.
std::vector<std::string_view> command(std::string_view name, const std::vector<std::string>& keys) {
  std::vector<std::string_view> args;
  args.reserve(keys.size() + 1);
  args.push_back(name);
  for (const auto& k : keys) args.push_back(k);
  return args;
}

}  // namespace

/// One flush_prefix: SCAN pages, each followed by an UNLINK of its keys, one step at a time.
struct RedisStorage::FlushJob {
  core::IoId id;
  std::string pattern;
};

void RedisStorage::connect(Reactor& reactor, RedisUrl url, std::size_t pool_size, CompletionSink sink,
                           ConnectDone done) {
  std::unique_ptr<RedisStorage> s(new RedisStorage(reactor, std::move(url), pool_size, std::move(sink)));
  RedisStorage* raw = s.get();
  raw->connect_done_ = std::move(done);
  raw->self_ = std::move(s);
  raw->pool_.start();
}

RedisStorage::RedisStorage(Reactor& reactor, RedisUrl url, std::size_t pool_size, CompletionSink sink)
    : reactor_(reactor),
      queue_(reactor, std::move(sink)),
      ops_(url.max_outstanding != 0 ? url.max_outstanding : pool_size * kOutstandingPerConnection),
      alive_(std::make_shared<RedisStorage*>(this)),
      pool_(reactor, std::move(url), pool_size, counts_, *this) {}

RedisStorage::~RedisStorage() {
  queue_.silence();
  alive_.reset();
  pool_.close();
}

void RedisStorage::on_first_connect(std::error_code ec) {
  // Possibly inside hiredis: hand the storage (or the error) over from a posted task.
  auto owner = std::make_shared<std::unique_ptr<RedisStorage>>(std::move(self_));
  reactor_.post([owner, ec, done = std::move(connect_done_)] {
    if (ec) {
      owner->reset();
      done(fail(ec));
    } else {
      done(std::unique_ptr<Storage>(std::move(*owner)));
    }
  });
}

bool RedisStorage::admit(core::IoId id, bool fetch) {
  if (ops_.admit()) {
    ops_.begin(id);
    return true;
  }
  queue_.refuse(id, fetch);  // posted: never inside start
  return false;
}

void RedisStorage::start(core::FetchRequest&& req) {
  if (!admit(req.id, true)) return;
  const std::size_t n = req.keys.size();
  Connection* c = n == 0 ? nullptr : pool_.pick();
  bool sent = false;
  const core::IoId id = req.id;
  if (n == 1 && c) {
    const std::array<std::string_view, 2> args{"GET", req.keys[0]};
    sent = c->send(args, [this, id](const redisReply* r) {
      if (ops_.replied(id)) fetched_with(id, [r](core::FetchResult& out) { read_get(r, out); });
    });
  } else if (c) {
    sent = c->send(command("MGET", req.keys), [this, id, n](const redisReply* r) {
      if (ops_.replied(id)) fetched_with(id, [r, n](core::FetchResult& out) { read_mget(r, n, out); });
    });
  }
  if (sent) ops_.sent(id);
  if (n == 0) fetched(id, {});
  else if (!sent) fetched(id, {core::IoStatus::backend_error, {}});
  deliver_later();
}

void RedisStorage::start(core::StoreRequest req) {
  if (!admit(req.id, false)) return;
  const std::size_t n = req.entries.size();
  if (n == 0) {
    written(req.id, core::IoStatus::ok);
    deliver_later();
    return;
  }
  // One SET per entry, each on its key's connection (writes and deletes of one key stay in
  // order: an invalidate's DEL can never overtake an earlier write-back of the same key); the
  // request completes with the last reply.
  struct Pending {
    core::IoId id;
    std::size_t left;
    bool failed = false;
  };
  auto pending = std::make_shared<Pending>(Pending{req.id, n});
  const auto on_reply = [this, pending](const redisReply* r) {
    if (!ops_.replied(pending->id)) return;  // abandoned: nobody waits for it
    if (!is_ok_status(r)) pending->failed = true;
    if (--pending->left == 0) written(pending->id, pending->failed ? core::IoStatus::backend_error : core::IoStatus::ok);
  };
  for (std::size_t i = 0; i < n; ++i) {
    const auto& e = req.entries[i];
    Connection* c = pool_.pick_for(e.key);
    bool sent = false;
    if (!c) {
    } else if (e.ttl) {
      // Milliseconds as given (the core never sends less than 1 ms; PX 0 would be an error).
      const std::string px = std::to_string(e.ttl->count() > 0 ? e.ttl->count() : 1);
      const std::array<std::string_view, 5> args{"SET", e.key, e.bytes, "PX", px};
      sent = c->send(args, on_reply);
    } else {
      const std::array<std::string_view, 3> args{"SET", e.key, e.bytes};
      sent = c->send(args, on_reply);
    }
    if (sent) ops_.sent(req.id);
    if (!sent) {  // no connection up: this entry fails, the others may still go
      pending->failed = true;
      if (--pending->left == 0) written(req.id, core::IoStatus::backend_error);
    }
  }
  deliver_later();
}

void RedisStorage::start(core::EraseRequest req) {
  if (!admit(req.id, false)) return;
  Connection* c = req.keys.empty() ? nullptr : pool_.pick_for(req.keys.front());
  const bool sent = c && c->send(command("DEL", req.keys), [this, id = req.id](const redisReply* r) {
    if (ops_.replied(id)) written(id, is_integer(r) ? core::IoStatus::ok : core::IoStatus::backend_error);
  });
  if (sent) ops_.sent(req.id);
  if (req.keys.empty()) written(req.id, core::IoStatus::ok);
  else if (!sent) written(req.id, core::IoStatus::backend_error);
  deliver_later();
}

void RedisStorage::flush_prefix(core::IoId id, std::string prefix) {
  scan_step(std::make_shared<FlushJob>(FlushJob{id, prefix_pattern(prefix)}), "0");
  deliver_later();
}

// flush_prefix is the benchmark's housekeeping, not an operation of the core: it is neither
// capped nor abandoned, and completes straight through the queue.
void RedisStorage::scan_step(const std::shared_ptr<FlushJob>& job, std::string cursor) {
  const auto written = [this](core::IoId id, core::IoStatus s) { queue_.written(id, s); };
  Connection* c = pool_.pick();
  const std::array<std::string_view, 6> args{"SCAN", cursor, "MATCH", job->pattern, "COUNT", kScanCount};
  const bool sent = c && c->send(args, [this, job, written](const redisReply* r) {
    auto page = scan_page(r);
    if (!page) return written(job->id, core::IoStatus::backend_error);
    if (page->keys.empty()) {
      if (page->cursor == "0") return written(job->id, core::IoStatus::ok);
      return scan_step(job, std::move(page->cursor));
    }
    Connection* u = pool_.pick();
    const bool unlinked = u && u->send(command("UNLINK", page->keys), [this, job, written, next = page->cursor](const redisReply* r2) {
      if (!is_integer(r2)) return written(job->id, core::IoStatus::backend_error);
      if (next == "0") return written(job->id, core::IoStatus::ok);
      scan_step(job, next);
    });
    if (!unlinked) written(job->id, core::IoStatus::backend_error);
  });
  if (!sent) written(job->id, core::IoStatus::backend_error);
}

StorageHealth RedisStorage::health() const {
  const PoolHealth p = pool_.health();
  StorageHealth h;
  h.connections = p.connections;
  h.connections_up = p.connections_up;
  h.outstanding = ops_.outstanding();
  h.reconnects = p.reconnects;
  h.connection_timeouts = p.connection_timeouts;
  h.abandoned = ops_.abandoned();
  h.overloaded = ops_.overloaded();
  return h;
}

std::map<std::string, std::uint64_t> RedisStorage::command_counts() const {
  return {counts_.begin(), counts_.end()};
}

void RedisStorage::close() {
  pool_.close();  // pending replies come back as nullptr: backend_error
  deliver_later();
}

void RedisStorage::after_io() { queue_.deliver(); }

void RedisStorage::flush() {
  pool_.flush();
  deliver_later();  // a write that failed completed its commands with nullptr replies
}

// Commands are written once per loop iteration: a posted task runs after the events already
// ready in this iteration, so every command their completions caused goes out in one write per
// connection, with no change of epoll interest.
void RedisStorage::flush_soon() {
  if (flush_posted_) return;
  flush_posted_ = true;
  reactor_.post([alive = std::weak_ptr<RedisStorage*>(alive_)] {
    const auto p = alive.lock();
    if (!p || !*p) return;
    (*p)->flush_posted_ = false;
    (*p)->flush();
  });
}

}  // namespace cacheme::drivers::redis::detail

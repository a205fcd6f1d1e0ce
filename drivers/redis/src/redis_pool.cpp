#include "redis_pool.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "cacheme/errc.hpp"

namespace cacheme::drivers::redis::detail {
namespace {

using std::chrono::milliseconds;

/// How late a reply may be beyond the storage timeout before its connection is declared
/// stalled: a quarter of the timeout, within [100 ms, 1 s]. By then the core has failed the
/// operation already; the margin only keeps a server that is merely slow from being cut off
/// at the very moment its reply arrives.
milliseconds reply_deadline(milliseconds timeout) {
  return timeout + std::clamp(timeout / 4, milliseconds(100), milliseconds(1000));
}

/// How often the watchdog looks: a connection is closed at most this much after its deadline.
milliseconds watchdog_period(milliseconds deadline) {
  return std::clamp(deadline / 8, milliseconds(10), milliseconds(100));
}

/// Commands one connection takes before `pick` moves on: the depth of pipeline that
/// `redis-benchmark -P 16` runs at, where the server's rate levels off.
constexpr std::size_t kPipelineDepth = 16;
/// Connections `pick` looks at, at most, once it met a full one (when every one is busy).
constexpr std::size_t kProbe = 4;

}  // namespace

Pool::Pool(Reactor& reactor, RedisUrl url, std::size_t size, CommandCounts& counts, PoolListener& listener)
    : reactor_(reactor),
      url_(std::move(url)),
      address_(url_.host_name.empty() ? net::HostAddress(url_.host) : net::HostAddress(url_.host_name, url_.host)),
      listener_(listener),
      reply_deadline_(reply_deadline(url_.timeout)) {
  conns_.reserve(size);
  for (std::size_t i = 0; i < size; ++i)
    conns_.push_back(
        std::make_unique<Connection>(reactor_, url_, address_, static_cast<ConnectionListener&>(*this), counts));
}

Pool::~Pool() { close(); }

void Pool::start() {
  if (!conns_.empty()) conns_.front()->connect();
  arm_watchdog();
}

void Pool::arm_watchdog() {
  if (closed_) return;
  watchdog_ = reactor_.call_after(watchdog_period(reply_deadline_), [this] {
    watchdog_ = 0;
    arm_watchdog();
    close_overdue();  // last: delivering completions may destroy the pool
  });
}

void Pool::close_overdue() {
  const auto too_old = std::chrono::steady_clock::now() - reply_deadline_;
  bool closed_some = false;
  for (auto& c : conns_) {
    const auto oldest = c->oldest_sent();
    if (!oldest || *oldest > too_old) continue;
    ++connection_timeouts_;
    closed_some = true;
    const auto id = c->client_id();
    c->abort("no reply within the timeout: connection closed");  // on_down reconnects it
    // What it wrote may still run when the server resumes: every connection (its replacement
    // too) kills its client ahead of its next command, so none runs after a later command.
    if (id)
      for (auto& other : conns_) other->fence(*id);
  }
  if (closed_some) listener_.after_io();  // the failed commands' completions
}

PoolHealth Pool::health() const {
  PoolHealth h{conns_.size(), 0, reconnects_, connection_timeouts_};
  for (const auto& c : conns_) h.connections_up += c->up();
  return h;
}

// O(1): the connection in turn takes commands until it has kPipelineDepth in flight, then the
// next one does. Commands so go out in batches of up to that many per write, which Redis
// reads and answers in one go (as `redis-benchmark -P 16` does), instead of one command per
// connection per loop iteration. Past kProbe full or down connections in a row, the least
// loaded of those probed is taken (all are busy: no use looking further), unless none was up.
Connection* Pool::pick() {
  const std::size_t n = conns_.size();
  Connection* least = nullptr;
  for (std::size_t k = 0; k < n; ++k) {
    Connection* c = conns_[next_].get();
    if (c->up()) {
      if (c->in_flight() < kPipelineDepth) return c;
      if (!least || c->in_flight() < least->in_flight()) least = c;
    }
    next_ = next_ + 1 == n ? 0 : next_ + 1;
    if (least && k + 1 >= kProbe) break;
  }
  return least;
}

Connection* Pool::pick_for(std::string_view key) {
  if (conns_.empty()) return nullptr;
  Connection* c = conns_[std::hash<std::string_view>{}(key) % conns_.size()].get();
  return c->up() ? c : pick();
}

void Pool::flush() {
  if (dirty_.empty()) return;
  std::vector<Connection*> later;
  auto dirty = std::exchange(dirty_, {});
  for (Connection* c : dirty)
    if (!c->flush()) later.push_back(c);  // inside hiredis now: its own after_io flushes it
  dirty_.insert(dirty_.end(), later.begin(), later.end());
}

void Pool::close() {
  closed_ = true;
  if (watchdog_) reactor_.cancel(watchdog_);
  watchdog_ = 0;
  for (auto& c : conns_) c->close();
}

void Pool::on_up(Connection& c) {
  if (c.ups() > 1) ++reconnects_;
  if (first_done_) return;
  first_done_ = true;
  // Safe inside hiredis: connecting other contexts only registers their fds.
  for (std::size_t i = 1; i < conns_.size(); ++i) conns_[i]->connect();
  listener_.on_first_connect({});
}

void Pool::on_down(Connection& c, std::string_view why) {
  if (closed_) return;
  if (!first_done_) {
    first_done_ = true;
    std::fprintf(stderr, "cacheme: redis %s:%u: connect failed: %.*s\n", url_.host.c_str(), unsigned(url_.port),
                 int(why.size()), why.data());
    listener_.on_first_connect(make_error_code(errc::connect_failed));
    return;
  }
  address_.refresh();  // the server may have moved (a failover): look its name up again, not waited for
  c.reconnect_later();
}

}  // namespace cacheme::drivers::redis::detail

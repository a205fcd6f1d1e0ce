// The Redis Cluster storage (`cluster=true`): slot routing over hiredis connections.
//
// Theory of operation. Every key hashes to one of 16,384 slots (CRC16 of the key or of its
// {hash tag}); `SlotMap` says which master owns each slot. The map is taken from `CLUSTER SLOTS`
// at registration (from the first seed that answers) and refreshed, from any known node, when
// the cluster says it is stale: a `MOVED`, a lost connection, a node that cannot be reached.
// Refreshes are rate-limited: one in flight at a time and at most one per 100 ms, so a storm of
// redirects costs one `CLUSTER SLOTS` per 100 ms, not one per command.
//
// Each command is a `Routed` command: its slot, its arguments and its redirect budget. It goes
// to the slot's master through that master's `ClusterNode` (a pool opened on first use). The
// reply decides what happens next:
//   MOVED    -> the map learns the slot's new owner; the command is sent there once more;
//   ASK      -> `ASKING` + the command, on one connection of the target, once; the map is kept;
//   TRYAGAIN -> sent again after 20 ms while the operation's deadline (`timeout`) allows;
//   anything else (a value, CLUSTERDOWN, a lost connection) -> the operation's outcome, an
//   error counting as `backend_error` (the core goes on to the next tier and the source).
// `get_all` groups its keys by slot (one MGET per slot: a multi-key command must be single-slot)
// and sends all the groups of one master on one connection, so they leave in one write; the
// values are put back in input order.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "cacheme/drivers/storage.hpp"
#include "cluster_node.hpp"
#include "cluster_slot_map.hpp"
#include "completion_queue.hpp"
#include "op_table.hpp"

namespace cacheme::drivers::redis::detail {

class ClusterStorage final : public Storage, private ClusterNodeListener {
 public:
  /// Creates the storage and reads the slot map from the first seed that answers; `done` runs
  /// later, via the reactor, with the storage or `errc::connect_failed` (message on stderr).
  /// `pool_size` is per master; 0 shares `kDefaultPoolSize` among the masters.
  static void connect(Reactor& reactor, RedisUrl url, std::size_t pool_size, CompletionSink sink, ConnectDone done);

  ~ClusterStorage() override;

  void start(core::FetchRequest&& req) override;
  void start(core::StoreRequest req) override;
  void start(core::EraseRequest req) override;
  /// `SCAN MATCH` on every master, `UNLINK` of each page's keys grouped by slot.
  void flush_prefix(core::IoId id, std::string prefix) override;
  void abandon(core::IoId id) override { ops_.abandon(id); }
  StorageHealth health() const override;
  std::map<std::string, std::uint64_t> command_counts() const override;
  void close() override;

 private:
  struct Routed;
  struct Gather;
  struct FlushJob;
  struct Countdown;
  using Candidates = std::vector<std::size_t>;

  ClusterStorage(Reactor& reactor, RedisUrl url, std::size_t pool_size, CompletionSink sink);

  // operations (see OpTable): admission, completion unless abandoned
  bool admit(core::IoId id, bool fetch);
  void complete_fetch(core::IoId id, core::FetchResult r) {
    if (ops_.finish(id)) queue_.fetched(id, std::move(r));
  }
  void complete_write(core::IoId id, core::IoStatus s) {
    if (ops_.finish(id)) queue_.written(id, s);
  }
  /// Whether `cmd` belongs to an operation the core gave up on (then it is not sent again).
  bool abandoned(const Routed& cmd) const;

  // routing
  std::shared_ptr<Routed> make_command(std::vector<std::string> args, std::uint16_t slot, std::string order_key,
                                       std::optional<core::IoId> op = std::nullopt);
  void route(const std::shared_ptr<Routed>& cmd);
  void send_on(Connection* c, const std::shared_ptr<Routed>& cmd, bool asking);
  void on_reply(const std::shared_ptr<Routed>& cmd, const redisReply* r);
  void retry_later(const std::shared_ptr<Routed>& cmd);
  ClusterNode& node(std::size_t index);
  void fetch_groups(core::FetchRequest& req);
  /// The reply handler of one command of a write: `ok` judges the reply.
  std::function<void(const redisReply*)> count_write(std::shared_ptr<Countdown> pending, bool (*ok)(const redisReply*));

  // the slot map
  void refresh_map();
  void send_refresh();
  void ask_slots(Candidates candidates, std::size_t next, std::function<void(bool ok)> done);
  void bootstrap_done(bool ok);

  // flush_prefix
  void scan_step(const std::shared_ptr<FlushJob>& job, std::size_t master, std::string cursor);
  void scan_finished(const std::shared_ptr<FlushJob>& job, bool ok);

  // ClusterNodeListener
  void after_io() override { queue_.deliver(); }
  void flush_soon() override;
  void node_unreachable() override { refresh_map(); }
  void flush();

  Reactor& reactor_;
  const RedisUrl url_;
  std::size_t pool_size_;  // per master; set at registration when 0
  CompletionQueue queue_;
  CommandCounts counts_;
  OpTable ops_;  // its cap is set once the masters are known
  SlotMap map_;
  bool refreshing_ = false;
  TimerId refresh_timer_ = 0;
  std::chrono::steady_clock::time_point last_refresh_{};
  std::size_t refresh_cursor_ = 0;  // spreads refreshes over the masters
  bool flush_posted_ = false;
  bool closed_ = false;
  std::unique_ptr<ClusterStorage> self_;  // owns itself until `done` takes it
  ConnectDone connect_done_;
  std::shared_ptr<ClusterStorage*> alive_;  // posted tasks and timers hold a weak_ptr to it
  std::vector<std::unique_ptr<ClusterNode>> nodes_;  // by SlotMap address index; last: closed first
};

}  // namespace cacheme::drivers::redis::detail

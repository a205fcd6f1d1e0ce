// The engine's state: storages, nodes, flights, pending operations and tickets.
//
// Theory of operation. A *flight* is the one in-progress resolution of one full key. It walks
// the node's chain (local tiers synchronously, remote tiers through fetch effects), then loads
// from the source; the flights a `get_all` starts walk together as a *group*, so every tier
// sees one batched fetch and the source one batched load. Every request for a key whose flight
// is in the in-flight table attaches to it as a *waiter*. When the value is known, every waiter
// is answered at once; the flight then stays in the table (stage `writing`), answering
// newcomers from its value, until its write-backs are acknowledged, failed or timed out.
// `invalidate` *detaches* a flight: it leaves the table (later requests start a new flight)
// but goes on for the waiters it has, and writes nothing back.
//
// Resilience (NodeConfig's stale_for, soft_timeout, early_refresh, negative_ttl,
// max_concurrent_loads). Every flight's value carries a *fresh-until* instant; tiers keep a
// copy `stale_for` longer (a local entry's expiry is fresh-until + stale_for; a remote entry's
// header holds fresh-until and its TTL adds the grace). A copy past fresh-until is never a hit:
// the flight goes on down the chain and to the source, holding the copy as its *fallback*.
// If the load fails or times out, the fallback answers the waiters (fail-safe) and is written
// back as fresh for `fail_safe_throttle`. After `soft_timeout` a flight with a fallback goes
// *background*: its waiters get the fallback at once, newcomers too, and the load goes on with
// nobody waiting (it is not cancelled for want of waiters). XFetch's early refresh starts such
// a background flight on a fresh hit, holding the fresh value as its fallback. A negative entry
// (the loader's `not_found`) is the value `negative_value()`, answered as `errc::not_found`.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bloom.hpp"
#include "flight_index.hpp"
#include "cacheme/core/engine.hpp"
#include "cacheme/core/fifo_queue.hpp"
#include "hash.hpp"
#include "slot_map.hpp"
#include "spare_pool.hpp"
#include "cacheme/errc.hpp"
#include "cacheme/local/random.hpp"

namespace cacheme::core::detail {

using FlightId = std::uint64_t;

/// A registered storage.
struct Tier {
  std::string name;
  std::unique_ptr<local::LocalStore> local;  ///< set for in-process tiers
  RemoteOptions remote;
  /// Deadlines of this tier's operations, in order: one timeout per tier and a `now` that never
  /// goes back make them non-decreasing, so a FIFO is enough. Entries of operations that already
  /// completed stay until they reach the front (lazy deletion).
  std::deque<std::pair<Instant, IoId>> deadlines{};
  bool is_local() const { return local != nullptr; }
};

/// A registered node: its configuration, resolved chain, doorkeeper and counts.
struct NodeState {
  NodeConfig config;
  std::vector<TierId> chain;  ///< config.caches resolved, same order
  std::size_t leading_local = 0;  ///< how many local tiers open the chain (read by each request)
  std::optional<BloomFilter> doorkeeper;
  NodeStats stats;
  std::size_t running_loads = 0;   ///< load effects emitted and not finished (max_concurrent_loads)
  std::deque<std::uint64_t> queued_loads;  ///< LoadIds waiting for a slot, FIFO (lazy: gone ones skipped)

  /// The fresh-until time of a local copy whose expiry is `expiry` (its grace removed).
  std::optional<Instant> fresh_until(std::optional<Instant> expiry) const {
    if (!expiry) return std::nullopt;
    return *expiry - config.stale_for;
  }
};

/// The value negative entries hold in local tiers and flights: the source has no value for the
/// key. Answered as `errc::not_found`; written to remote tiers as a negative entry.
inline const AnyValue& negative_value() {
  static const AnyValue marker = std::make_shared<const char>('\0');
  return marker;
}
inline bool is_negative(const AnyValue& v) { return v == negative_value(); }
/// What a caller gets for value `v`.
inline Result<AnyValue> deliverable(const AnyValue& v) {
  return is_negative(v) ? Result<AnyValue>(fail(errc::not_found)) : Result<AnyValue>(v);
}

/// One caller waiting on a flight: the ticket and the slot of its reply.
struct Waiter {
  Ticket ticket;
  std::uint32_t slot = 0;
  bool leader = false;  ///< the request that started the flight (a miss if the value is loaded)
};

/// The waiters of a flight; the first one inline (most flights have one waiter).
class Waiters {
 public:
  void push_back(const Waiter& w) {
    if (count_++ == 0)
      first_ = w;
    else
      rest_.push_back(w);
  }
  template <class F>
  void for_each(F&& f) const {
    if (count_ == 0) return;
    f(first_);
    for (const Waiter& w : rest_) f(w);
  }
  void clear() {
    count_ = 0;
    rest_.clear();
  }
  bool empty() const { return count_ == 0; }
  /// Removes every waiter of `ticket` (a caller that cancelled).
  void remove(Ticket ticket) {
    if (count_ == 0) return;
    std::erase_if(rest_, [&](const Waiter& w) { return w.ticket == ticket; });
    if (first_.ticket == ticket) {
      if (rest_.empty()) {
        count_ = 0;
        return;
      }
      first_ = rest_.front();
      rest_.erase(rest_.begin());
    }
    count_ = static_cast<std::uint32_t>(1 + rest_.size());
  }

 private:
  Waiter first_;
  std::vector<Waiter> rest_;
  std::uint32_t count_ = 0;
};

/// Chain indexes as bits (a chain has at most 64 tiers).
using TierMask = std::uint64_t;
inline constexpr std::size_t kMaxChain = 64;

/// Where a flight is (one line per state).
enum class Stage {
  reading,  ///< walking the chain; a fetch of tier `next_tier` may be pending
  loading,  ///< the source load is pending
  writing,  ///< value known, waiters answered; write-backs pending
};

/// A storage operation awaiting its completion.
struct PendingIo {
  enum class Kind { fetch, store, erase };
  Kind kind = Kind::fetch;
  NodeId node;
  std::uint32_t chain_index = 0;
  std::vector<FlightId> flights;  ///< fetch: one per key, in order; store: the writers; erase: a refresh flight
  Ticket ticket{};                ///< erase of an `invalidate`
  TierId tier{};
  std::string key{};              ///< erase: the full key, whose fence it holds up
  std::uint64_t erase_seq = 0;    ///< erase: its place in the order erases were asked
};

/// The erases (of `invalidate` and `refresh`) still removing one key, issued or held back, and
/// the flights started meanwhile: each reads no tier until every erase asked before it started
/// completed (rule 6). Erases asked later do not hold it up.
struct EraseFence {
  std::vector<std::uint64_t> pending;                      ///< sequence numbers of its erases
  std::vector<std::pair<std::uint64_t, FlightId>> blocked;  ///< (first erase it need not wait for, flight)
  FlightId writer{};  ///< the flight whose pending write-backs the erases are held behind
};

/// Bytes that end a local key: the node's id, so that two nodes whose full keys collide never
/// share a flight or a local entry (rule 11). A fixed length keeps the split unambiguous.
inline constexpr std::size_t kNodeTagSize = 4;

/// Appends node `id`'s tag (its 32-bit id, little-endian) to `key`.
inline void append_node_tag(std::string& key, NodeId id) {
  const auto v = static_cast<std::uint32_t>(id.v);
  const char tag[kNodeTagSize] = {char(v & 0xff), char((v >> 8) & 0xff), char((v >> 16) & 0xff), char(v >> 24)};
  key.append(tag, kNodeTagSize);
}

/// What only fail-safe, soft timeouts, early refresh and erases held behind write-backs use:
/// kept out of `Flight` (allocated on first use) so that a plain flight, the common case, spans
/// fewer cache lines. With thousands of flights in flight, each is out of the caches whenever
/// it is touched, and every line it spans costs a miss.
struct FlightExtras {
  AnyValue fallback;                          ///< a stale copy met on the way (or the value an early refresh replaces)
  std::optional<Instant> fallback_fresh;      ///< its fresh-until
  std::optional<std::string> fallback_body;   ///< its codec bytes, when it came from a remote tier
  std::optional<Instant> soft_deadline;       ///< when it goes background (soft_timeout)
  /// Erases (of an `invalidate` or a `refresh`) that came while this flight's write-backs were
  /// pending: issued once those finish, so that no erase can overtake a write-back it must
  /// remove (a storage may run two operations on one key on two connections, in any order).
  std::vector<PendingIo> erases_after_writes;
};

struct Flight {
  NodeId node;
  std::string key;  ///< the local key: full key + node tag (the in-flight table's key)
  std::uint64_t key_hash = 0;  ///< of key, seeded: its place in the in-flight table
  Duration load_timeout{};     ///< the deadline of its load (0: none), from the request that started it
  LoadId load{};               ///< while loading
  /// The full key `{prefix}:{key}:{version}`: what remote tiers store, shared by every node.
  std::string_view full_key() const { return std::string_view(key).substr(0, key.size() - kNodeTagSize); }
  std::string user_key;
  AnyValue source;
  Waiters waiters;
  Stage stage = Stage::reading;
  std::uint32_t next_tier = 0;          ///< chain index being read
  TierMask missed = 0;                  ///< chain indexes to write back to
  AnyValue value;                       ///< once known
  std::optional<Instant> value_expiry;  ///< the found copy's fresh-until; copies never outlive it
  std::optional<std::string> body;      ///< the codec's bytes, when known (a remote hit)
  std::uint32_t pending_writes = 0;     ///< store effects not yet completed
  std::uint32_t pending_erases = 0;     ///< refresh: erases that must finish before write-back
  bool attached = true;                 ///< in the in-flight table (false once invalidated)
  bool value_stale = false;             ///< the value is a fallback served by fail-safe
  bool background = false;              ///< its callers were answered from the fallback; the load goes on
  bool writeback_deferred = false;      ///< refresh: value known while erases are pending

  /// The rarely used fields, allocated now if they were not.
  FlightExtras& extras() {
    if (!extras_) extras_ = std::make_unique<FlightExtras>();
    return *extras_;
  }
  /// The rarely used fields, or nullptr when none was ever set.
  const FlightExtras* extras_if() const { return extras_.get(); }
  /// Whether a fallback (a stale copy, or the value an early refresh replaces) is held.
  bool has_fallback() const { return extras_ && extras_->fallback; }

 private:
  std::unique_ptr<FlightExtras> extras_;
};

struct PendingLoad {
  NodeId node;
  std::vector<FlightId> flights;
  Instant started;
  std::optional<Instant> deadline;
  bool emitted = true;              ///< false while queued behind max_concurrent_loads
  std::optional<LoadRequest> queued;  ///< the effect to emit when a slot frees
};

/// A ticket until its reply has been polled (`remaining` 0: the reply is queued).
struct TicketState {
  std::vector<Result<AnyValue>> values;
  std::uint32_t remaining = 0;
  std::error_code error;
  /// The flights it waits on, so that `cancel` can detach it (and cancel a load nobody wants).
  FlightId flight = 0;
  std::vector<FlightId> more_flights;
  ValueInfo* info = nullptr;  ///< RequestOptions::info of a get or refresh
  void waits_on(FlightId f) {
    if (!flight)
      flight = f;
    else
      more_flights.push_back(f);
  }
};

/// The shorter of two lifetimes, absent meaning unbounded (rule 2: a copy never outlives its source).
inline std::optional<Duration> min_ttl(std::optional<Duration> a, std::optional<Duration> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

/// A value found for a flight: from tier `chain_index`, or from the source.
struct Resolution {
  FlightId flight;
  AnyValue value;
  std::optional<Instant> expiry;
  std::optional<std::string> body;
  bool from_load = false;
  bool stale = false;  ///< a fallback served by fail-safe
};

/// What the local tiers that open a chain hold for a key: a fresh value, or only a stale one.
struct LocalRead {
  AnyValue value;
  std::optional<Instant> fresh_until;
  AnyValue stale;
  std::optional<Instant> stale_fresh_until;
};

/// The store effects one write-back builds: by (node, chain index).
using WritebackBatch = std::vector<std::pair<std::pair<std::uint64_t, std::uint32_t>, std::pair<StoreRequest, PendingIo>>>;

class EngineImpl {
 public:
  explicit EngineImpl(Config config);

  // registration (engine.cpp)
  Result<TierId> add_storage(std::string name, std::unique_ptr<local::LocalStore> store, RemoteOptions options);
  Result<NodeId> add_node(NodeConfig config);

  // requests (engine_requests.cpp)
  Submitted get(NodeId node, std::string_view key, SourceRef source, Now now, const RequestOptions& options);
  Ticket get_all(NodeId node, std::span<const std::string> keys, std::span<const SourceRef> sources, Now now,
                 const RequestOptions& options);
  Ticket invalidate(NodeId node, std::string_view key, Now now);
  Ticket refresh(NodeId node, std::string_view key, SourceRef source, Now now, const RequestOptions& options);
  void cancel(Ticket ticket);

  // completions and time (engine_completions.cpp)
  std::error_code complete_fetch(IoId id, const FetchResult& result, Now now);
  std::error_code complete_write(IoId id, IoStatus status, Now now);
  std::error_code complete_load(LoadId id, std::vector<Result<AnyValue>> results, Now now);
  void on_timeout(Now now);
  std::optional<Instant> next_deadline() const;

  // flights (engine_flights.cpp)
  void advance(NodeId node, std::vector<FlightId> group, Now now);
  void resolve(std::vector<Resolution> found, Now now);
  void fail_flight(FlightId id, std::error_code error);
  void start_load(NodeId node, std::vector<FlightId> group, Now now);
  void give_up_load(LoadId id, std::error_code error, Now now);
  void drop_unwanted_load(FlightId id);
  void expire_loads(Now now);
  void detach(std::string_view full_key);
  void start_flights(NodeId node, std::vector<FlightId> group, Now now);
  void lift_fence(const std::string& full_key, std::uint64_t erase_seq, Now now);
  FlightId writing_flight(std::string_view full_key);
  void issue_erase(PendingIo io, TierId tier, std::string_view full_key, FlightId writer, Now now);
  void release_erases(Flight& flight, Now now);
  void emit_erase(PendingIo io, Now now);
  void maybe_finish(FlightId id);
  void erase_flight(FlightId id);  // leaves flights_, its key buffers kept for the next flight
  std::vector<FlightId> group_of(FlightId id);  // a one-flight group, from the spare buffers
  bool body_wanted(const NodeState& n, const Flight& f) const;
  void start_writeback(const std::vector<FlightId>& flights, Now now);

  // resilience (engine_resilience.cpp)
  bool refresh_due(const NodeState& n, std::optional<Instant> fresh_until, Now now);
  void refresh_early(NodeState& n, NodeId id, std::string_view key, SourceRef source, const AnyValue& value,
                     std::optional<Instant> fresh_until, Now now);
  bool start_early_refresh(FlightId id, Now now);
  std::optional<Resolution> fail_safe(FlightId id, std::error_code error, Now now);
  void go_background(FlightId id, Now now);
  void expire_soft(Now now);
  void emit_or_queue(NodeState& n, LoadRequest req);
  void load_finished(NodeId id, bool emitted, Now now);
  void keep_fallback(Flight& f, const AnyValue& v, std::optional<Instant> fresh, std::optional<std::string> body);
  Submitted at_once(NodeState& n, const AnyValue& v, ValueInfo info, const RequestOptions& options);
  std::optional<Result<AnyValue>> held(NodeState& n, const Flight& f, Now now, ValueInfo& info);

  // helpers
  FlightId new_flight(NodeState& n, NodeId id, std::string_view key, SourceRef source, Waiter first,
                      std::uint64_t key_hash, const RequestOptions& options);
  void build_key(const NodeState& node, NodeId id, std::string_view key);
  std::string_view full_key() const { return std::string_view(key_buf_).substr(0, key_buf_.size() - kNodeTagSize); }
  void attach(Flight& f, Ticket t, std::uint32_t slot);
  std::uint64_t hash_key(std::string_view full_key) const { return hash_bytes(full_key, config_.seed); }
  static std::string_view key_of(const void* self, std::uint64_t flight);
  LocalRead read_leading_local(NodeState& node, Now now);
  void put_local(const NodeState& n, Tier& tier, std::string_view key, const AnyValue& v, std::optional<Duration> ttl,
                 Now now);
  Ticket new_ticket(std::uint32_t slots);
  bool answer(const Waiter& waiter, Result<AnyValue> value, ValueInfo info = {});  // false: the caller cancelled
  void emit_reply(Ticket ticket, TicketState& state);
  IoId new_io(PendingIo io, TierId tier, Now now);
  std::optional<PendingIo> take_io(IoId id);  // removes a pending operation, if known
  void drop_stale_deadlines(Tier& tier);
  NodeState* node(NodeId id);
  Flight& flight(FlightId id) { return flights_.at(id); }

  Config config_;
  std::vector<Tier> tiers_;        ///< TierId.v - 1 indexes this
  std::vector<NodeState> nodes_;   ///< NodeId.v - 1 indexes this
  SlotMap<Flight> flights_;
  /// The in-flight table: full key -> its attached flight (keys are read from the flights, so
  /// an entry must leave before its flight does).
  FlightIndex in_flight_;
  SlotMap<PendingIo> ios_;
  std::map<std::string, EraseFence, std::less<>> fences_;  ///< by full key; rare, usually empty
  std::uint64_t next_erase_seq_ = 0;
  SlotMap<PendingLoad> loads_;
  SlotMap<TicketState> tickets_;
  FifoQueue<Effect> effects_;
  std::set<std::pair<Instant, std::uint64_t>> load_deadlines_;  ///< (deadline, LoadId) of pending loads
  std::deque<ErasedKey> erased_;  ///< finished erases of announcing tiers, for `poll_erased`
  std::string key_buf_;  ///< the local key being built (reused: no allocation on a local hit)
  std::set<std::pair<Instant, FlightId>> soft_deadlines_;  ///< (soft deadline, flight); lazy deletion
  // Buffers of finished requests, reused by the next ones (spare_pool.hpp).
  SparePool<std::vector<FlightId>> spare_groups_;
  SparePool<std::vector<Resolution>> spare_found_;
  SparePool<std::string> spare_keys_;
  // Given back by the adapter (`Engine::recycle`): reply value lists and fetch key lists.
  SparePool<std::vector<Result<AnyValue>>> spare_values_;
  SparePool<std::vector<std::string>> spare_key_lists_;
  WritebackBatch writeback_batch_;  ///< start_writeback's scratch (it does not nest)
  local::Xoshiro256 rng_;  ///< XFetch's draws, seeded from Config::seed
  Now last_now_{};         ///< the latest `now` given (a queued load emitted from `cancel` starts then)
};

}  // namespace cacheme::core::detail

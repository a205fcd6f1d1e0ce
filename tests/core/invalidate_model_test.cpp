// Model check of invalidate and refresh (rule 6), over seeded random schedules. A node reads the
// keys "a" and "b" through one or two remote tiers, with or without a local tier before and after
// them. Each step is a get, a get_all (duplicates allowed), an invalidate, a refresh, a cancel, a
// set_prefix, or a move of the outside world: a fake storage (one map per remote tier) carries out
// one requested operation, or acknowledges one it carried out. Both happen in any order, and the
// acknowledgement is a separate step, so it can report a failure for an operation that did run. A
// load completes or fails, or the clock jumps, perhaps past the 100 ms remote timeout. At the end,
// everything left is carried out, acknowledged and loaded without faults. Asserted for every seed:
//  - every reply is for a ticket that was issued and not cancelled; without faults, no value is an
//    error;
//  - at the end, every ticket that was not cancelled got exactly one reply, and the engine has no
//    flight and no pending operation left;
//  - freshness: no request issued after an invalidate or refresh of its key receives a value
//    loaded before it. A loaded value is "<key>@<epoch>", where the epoch is the number of
//    invalidates and refreshes of the full key issued before its load was asked.
// Freshness is not asserted when timeouts are injected. After a store times out, the engine has
// forgotten it, but the storage may still carry it out later, after the erase of an invalidate. A
// later read then finds the old value. The engine cannot prevent that, so such a failure would be
// caused by the storage, not the engine.
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/harness.hpp"

namespace cacheme::test {
namespace {

constexpr int kSteps = 200;            // random steps per run, before everything is settled
// Seeds per fault mode and chain shape: 200 take half a second; the sanitizer build (Debug,
// instrumented, 50 x slower) looks for memory errors on the first 40.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t kSeeds = 40;
#else
constexpr std::uint64_t kSeeds = 200;
#endif
constexpr int kChainShapes = 8;        // see chain_of

struct FaultMode {
  const char* name = "";
  bool faults = false;          // failed acknowledgements and loads, and cancels
  bool timeouts = false;        // clock jumps past the remote timeout (with faults only)
  bool prefix_changes = false;  // set_prefix between "cacheme" and "p2"
};

constexpr FaultMode kFaultModes[] = {
    {"none", false, false, false},
    {"failures, cancels, timeouts", true, true, false},
    {"failures, cancels, timeouts, set_prefix", true, true, true},
    {"failures, cancels", true, false, false},
};

// The tiers of chain shape 0..7 in order: always "r1"; bit 1 adds "local" before it, bit 2 a
// second remote "r2" after it, bit 4 a local "l2" last.
std::vector<std::string> chain_of(int shape) {
  std::vector<std::string> tiers;
  if (shape & 1) tiers.push_back("local");
  tiers.push_back("r1");
  if (shape & 2) tiers.push_back("r2");
  if (shape & 4) tiers.push_back("l2");
  return tiers;
}

std::string join(const std::vector<std::string>& tiers) {
  std::string s;
  for (const std::string& t : tiers) s += (s.empty() ? "" : ", ") + t;
  return s;
}

std::string value_of(const std::string& key, int epoch) { return key + "@" + std::to_string(epoch); }
int epoch_of(const std::string& value) { return std::stoi(value.substr(value.find('@') + 1)); }

template <class T>
T take(std::vector<T>& v, std::size_t i) {
  T x = std::move(v[i]);
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
  return x;
}

// What the caller of a ticket is owed.
struct Request {
  std::vector<int> issued_epochs{};  // per value: its key's epoch when the request was issued
  bool wants_values = true;          // false for an invalidate
  bool cancelled = false;
  int replies = 0;
};

// A fetch, store or erase the storage was asked for.
struct StorageOp {
  Effect request{};
  bool executed = false;
  std::vector<std::optional<std::string>> read{};  // a fetch's findings when it was carried out
};

struct PendingLoad {
  core::LoadRequest request{};
  std::vector<int> epochs{};  // of its keys when it was asked: the epochs its values carry
};

struct Outcome {
  std::string violation{};           // the first one seen during the run, which stopped it
  std::string wrong_reply_counts{};  // live tickets that did not get exactly one reply
  std::size_t flights_left = 0;
  std::size_t operations_left = 0;
};

class Model {
 public:
  Model(std::uint64_t seed, const std::vector<std::string>& tiers, FaultMode mode) : mode_(mode), rng_(seed) {
    std::vector<core::ChainLink> chain;
    for (const std::string& name : tiers) {
      if (name.starts_with('r')) {
        h_.remote(name, 100ms);
      } else {
        h_.local(name);
      }
      chain.push_back({name, std::nullopt});
    }
    node_ = h_.node(chain);
  }

  Outcome run() {
    for (int step = 0; step < kSteps && violation_.empty(); ++step) {
      random_step();
      drain();
    }
    settle();
    Outcome out{violation_};
    for (const auto& [ticket, r] : requests_) {
      if (!r.cancelled && r.replies != 1)
        out.wrong_reply_counts += "ticket " + std::to_string(ticket) + ": " + std::to_string(r.replies) + " replies; ";
    }
    out.flights_left = h_.engine.flights();
    out.operations_left = h_.engine.pending_operations();
    return out;
  }

 private:
  std::size_t roll(std::size_t n) { return rng_() % n; }
  const std::string& random_key() { return keys_[roll(keys_.size())]; }
  std::string full_key(const std::string& key) const { return prefix_ + ":" + key + ":v1"; }

  void violate(std::string what) {
    if (violation_.empty()) violation_ = std::move(what);
  }

  // One step, by its odds out of 100; a step the fault mode disables falls through to the next.
  void random_step() {
    const std::size_t c = roll(100);
    if (c < 15) {
      get();
    } else if (c < 22) {
      get_all();
    } else if (c < 28) {
      invalidate();
    } else if (c < 32) {
      refresh();
    } else if (c < 34 && mode_.faults) {
      cancel();
    } else if (c < 35 && mode_.prefix_changes) {
      prefix_ = roll(2) ? "cacheme" : "p2";
      h_.engine.set_prefix(prefix_);
    } else if (c < 60) {
      execute_one();
    } else if (c < 80) {
      acknowledge_one();
    } else if (c < 93) {
      if (!loads_.empty()) {
        const std::size_t i = roll(loads_.size());
        complete_load(i, mode_.faults && roll(8) == 0);
      }
    } else if (mode_.timeouts) {
      h_.now = h_.now + std::chrono::milliseconds(roll(120));
      h_.engine.on_timeout(h_.now);
    }
  }

  // ---- the caller ----

  void get() {
    const std::string& key = random_key();
    const core::Submitted s = h_.engine.get(node_, key, source_of(key), h_.now);
    const Request r{{epochs_[full_key(key)]}};
    if (s.ready) {
      check_fresh(r.issued_epochs[0], s.ready, "answered at once");
    } else {
      requests_[s.ticket.v] = r;
    }
  }

  void get_all() {
    std::vector<std::string> keys;
    Request r;
    for (std::size_t i = 0, n = 1 + roll(3); i < n; ++i) {
      keys.push_back(random_key());
      r.issued_epochs.push_back(epochs_[full_key(keys.back())]);
    }
    requests_[h_.engine.get_all(node_, keys, {}, h_.now).v] = std::move(r);
  }

  void invalidate() {
    const std::string& key = random_key();
    ++epochs_[full_key(key)];
    Request r;
    r.wants_values = false;
    requests_[h_.engine.invalidate(node_, key, h_.now).v] = r;
  }

  void refresh() {
    const std::string& key = random_key();
    const int epoch = ++epochs_[full_key(key)];
    requests_[h_.engine.refresh(node_, key, source_of(key), h_.now).v] = Request{{epoch}};
  }

  void cancel() {
    std::vector<std::uint64_t> open;
    for (const auto& [ticket, r] : requests_) {
      if (r.replies == 0 && !r.cancelled) open.push_back(ticket);
    }
    if (open.empty()) return;
    const std::uint64_t ticket = open[roll(open.size())];
    h_.engine.cancel(core::Ticket{ticket});
    requests_[ticket].cancelled = true;
  }

  void check_fresh(int issued_epoch, const core::AnyValue& value, const char* how) {
    const std::string s = as_str(value);
    if (!mode_.timeouts && epoch_of(s) < issued_epoch) {
      violate("stale value " + s + " (" + how + ") for a request issued at epoch " + std::to_string(issued_epoch));
    }
  }

  void on_reply(const Reply& reply) {
    const auto it = requests_.find(reply.ticket.v);
    if (it == requests_.end()) {
      violate("a reply to a ticket never issued");
      return;
    }
    Request& r = it->second;
    ++r.replies;
    if (r.cancelled) violate("a reply to a cancelled ticket");
    if (!r.wants_values) return;
    for (std::size_t i = 0; i < reply.values.size(); ++i) {
      if (reply.values[i]) {
        check_fresh(r.issued_epochs.at(i), *reply.values[i], "in a reply");
      } else if (!mode_.faults) {
        violate("an error without a fault: " + reply.values[i].error().message());
      }
    }
  }

  void drain() {
    while (std::optional<Effect> e = h_.engine.poll_effect()) {
      if (const auto* reply = std::get_if<Reply>(&*e)) {
        on_reply(*reply);
      } else if (auto* load = std::get_if<LoadRequest>(&*e)) {
        PendingLoad pending{std::move(*load)};
        for (const std::string& key : pending.request.keys) pending.epochs.push_back(epochs_[full_key(key)]);
        loads_.push_back(std::move(pending));
      } else {
        ops_.push_back({std::move(*e)});
      }
    }
  }

  // ---- the outside world ----

  void execute(StorageOp& op) {
    op.executed = true;
    if (const auto* fetch = std::get_if<FetchRequest>(&op.request)) {
      const auto& tier = storage_[fetch->tier.v];
      for (const std::string& key : fetch->keys) {
        const auto it = tier.find(key);
        op.read.push_back(it == tier.end() ? std::nullopt : std::optional(it->second));
      }
    } else if (const auto* store = std::get_if<StoreRequest>(&op.request)) {
      for (const core::StoreEntry& e : store->entries) storage_[store->tier.v][e.key] = e.bytes;
    } else if (const auto* erase = std::get_if<EraseRequest>(&op.request)) {
      for (const std::string& key : erase->keys) storage_[erase->tier.v].erase(key);
    }
  }

  // Reports ops_[i], which was carried out, as done or failed. If the operation timed out, the
  // engine ignores the report (errc::unknown_io).
  void acknowledge(std::size_t i, bool ok) {
    StorageOp op = take(ops_, i);
    const core::IoStatus status = ok ? core::IoStatus::ok : core::IoStatus::backend_error;
    if (const auto* fetch = std::get_if<FetchRequest>(&op.request)) {
      core::FetchResult result{status, {}};
      if (ok) result.values = std::move(op.read);
      h_.engine.complete_fetch(fetch->id, std::move(result), h_.now);
    } else if (const auto* store = std::get_if<StoreRequest>(&op.request)) {
      h_.engine.complete_write(store->id, status, h_.now);
    } else if (const auto* erase = std::get_if<EraseRequest>(&op.request)) {
      h_.engine.complete_write(erase->id, status, h_.now);
    }
  }

  void complete_load(std::size_t i, bool failed) {
    const PendingLoad load = take(loads_, i);
    std::vector<Result<core::AnyValue>> results;
    if (failed) {
      results.emplace_back(fail(errc::load_failed));
    } else {
      for (std::size_t k = 0; k < load.request.keys.size(); ++k) {
        results.emplace_back(str(value_of(load.request.keys[k], load.epochs[k])));
      }
    }
    h_.engine.complete_load(load.request.id, std::move(results), h_.now);
  }

  void execute_one() {
    std::vector<std::size_t> waiting;
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (!ops_[i].executed) waiting.push_back(i);
    }
    if (!waiting.empty()) execute(ops_[waiting[roll(waiting.size())]]);
  }

  void acknowledge_one() {
    std::vector<std::size_t> executed;
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (ops_[i].executed) executed.push_back(i);
    }
    if (executed.empty()) return;
    const bool ok = !(mode_.faults && roll(6) == 0);
    acknowledge(executed[roll(executed.size())], ok);
  }

  // Carries out and acknowledges every operation, and completes every load, without faults,
  // until the engine asks for nothing more. The bound turns a livelock into a failure.
  void settle() {
    for (int round = 0; round < 10'000 && violation_.empty(); ++round) {
      drain();
      if (!ops_.empty()) {
        const std::size_t i = roll(ops_.size());
        if (!ops_[i].executed) execute(ops_[i]);
        acknowledge(i, true);
      } else if (!loads_.empty()) {
        complete_load(0, false);
      } else {
        break;
      }
    }
    drain();
  }

  FaultMode mode_;
  std::mt19937_64 rng_;
  Harness h_;
  core::NodeId node_;
  const std::vector<std::string> keys_{"a", "b"};
  std::string prefix_ = "cacheme";
  std::map<std::string, int> epochs_;  // by full key: the invalidates and refreshes issued
  std::map<std::uint64_t, std::map<std::string, std::string>> storage_;  // tier -> full key -> bytes
  std::vector<StorageOp> ops_;
  std::vector<PendingLoad> loads_;
  std::map<std::uint64_t, Request> requests_;  // by ticket
  std::string violation_;
};

TEST_CASE("invalidate and refresh under random schedules: one reply each, nothing left, no stale value",
          "[engine][rule6][model]") {
  for (const FaultMode& mode : kFaultModes) {
    for (int shape = 0; shape < kChainShapes; ++shape) {
      const std::vector<std::string> tiers = chain_of(shape);
      for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
        INFO("seed " << seed << ", chain " << join(tiers) << ", faults: " << mode.name);
        const Outcome out = Model(seed, tiers, mode).run();
        REQUIRE(out.violation == "");
        REQUIRE(out.wrong_reply_counts == "");
        REQUIRE(out.flights_left == 0);
        REQUIRE(out.operations_left == 0);
      }
    }
  }
}

}  // namespace
}  // namespace cacheme::test

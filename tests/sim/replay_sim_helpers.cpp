#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "cacheme/codec/codec.hpp"
#include "cacheme/core/engine.hpp"
#include "cacheme/local/random.hpp"
#include "cacheme/local/zipf.hpp"
#include "sim/replay_sim.hpp"

namespace cacheme::sim {
namespace {

using namespace std::chrono_literals;
using core::Now;

struct Event {
  core::Instant at;
  std::uint64_t seq;
  std::function<void()> run;
  bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

class Simulation {
 public:
  explicit Simulation(const SimConfig& c) : config_(c), random_(c.seed) {
    if (c.local_tier) {
      auto store = local::make_local_store("local://lru?size=" + std::to_string(c.local_size), c.seed);
      local_ = *engine_.add_local_storage("local", std::move(*store));
    }
    remote_ = *engine_.add_remote_storage("remote", {50ms});
    std::vector<core::ChainLink> chain;
    if (c.local_tier) chain.push_back({"local", std::nullopt});
    chain.push_back({"remote", std::nullopt});
    node_ = *engine_.add_node({.name = "sim", .version = "v1", .caches = std::move(chain),
                               .codec = codec::make_codec<std::string>(codec::Id::raw)});
  }

  SimResult run() {
    result_.requests = config_.trace.size();
    std::unordered_set<std::uint64_t> distinct(config_.trace.begin(), config_.trace.end());
    result_.distinct_keys = distinct.size();
    answered_.assign(config_.trace.size(), false);
    for (int w = 0; w < config_.workers; ++w) schedule(now_.mono, [this] { next_request(); });
    while (!events_.empty() && result_.events < config_.max_events) {
      Event e = events_.top();
      events_.pop();
      now_ = Now{e.at, kEpochMs + std::chrono::duration_cast<std::chrono::milliseconds>(e.at - core::Instant{}).count()};
      ++result_.events;
      e.run();
      pump();
    }
    // The run's time is that of its last reply: timers still armed afterwards (a load's
    // 30 s deadline that never fires for real) do not count.
    result_.virtual_seconds = std::chrono::duration<double>(last_reply_ - core::Instant{}).count();
    result_.flights_left = engine_.flights();
    result_.operations_left = engine_.pending_operations();
    return result_;
  }

 private:
  static constexpr std::int64_t kEpochMs = 1'700'000'000'000;

  void schedule(core::Instant at, std::function<void()> fn) { events_.push({at, seq_++, std::move(fn)}); }

  core::Duration latency() { return std::chrono::microseconds(200 + random_.next() % 800); }
  bool fault() { return config_.fault_rate > 0 && double(random_.next() % 1'000'000) < config_.fault_rate * 1e6; }

  void next_request() {
    if (cursor_ >= config_.trace.size()) return;
    const std::size_t index = cursor_++;
    const std::string key = std::to_string(config_.trace[index]);
    const core::SourceRef src{&key, [](const void* p) -> core::AnyValue {
                                return std::make_shared<const std::string>(*static_cast<const std::string*>(p));
                              }};
    core::Submitted s = engine_.get(node_, key, src, now_);
    if (s.answered()) {
      finish(index, s.ready ? Result<core::AnyValue>(s.ready) : Result<core::AnyValue>(fail(s.error)));
      schedule(now_.mono, [this] { next_request(); });
    } else {
      waiting_.emplace(s.ticket.v, index);
    }
  }

  void finish(std::size_t index, const Result<core::AnyValue>& value) {
    if (answered_[index]) ++result_.duplicate_replies;
    answered_[index] = true;
    ++result_.replies;
    last_reply_ = now_.mono;
    if (!value) {
      ++result_.errors;
    } else if (*std::static_pointer_cast<const std::string>(*value) != "value-" + std::to_string(config_.trace[index])) {
      ++result_.wrong_values;
    }
  }

  void pump() {
    while (auto e = engine_.poll_effect()) std::visit([this](auto& x) { handle(x); }, *e);
    if (auto d = engine_.next_deadline(); d && (!armed_ || *d < *armed_)) {
      armed_ = *d;
      schedule(*d, [this] {
        armed_.reset();
        engine_.on_timeout(now_);
      });
    }
  }

  void handle(core::FetchRequest& r) {
    ++result_.fetches;
    for (auto& k : r.keys) {
      const auto n = ++in_flight_fetches_[k];
      result_.max_fetches_in_flight_per_key = std::max<std::uint64_t>(result_.max_fetches_in_flight_per_key, n);
    }
    // The core stops waiting at its deadline (50 ms): count the fetch out of flight then.
    schedule(now_.mono + 50ms, [this, id = r.id, keys = r.keys] {
      if (!done_fetches_.count(id.v))
        for (auto& k : keys) --in_flight_fetches_[k];
    });
    if (fault()) {
      if (random_.next() % 2) return;  // never answers: the core times it out
      schedule(now_.mono + latency(), [this, r] { complete(r, core::FetchResult{core::IoStatus::backend_error, {}}); });
      return;
    }
    schedule(now_.mono + latency(), [this, r] {
      core::FetchResult res;
      for (auto& k : r.keys) {
        auto it = store_.find(k);
        res.values.push_back(it == store_.end() ? std::nullopt : std::optional(it->second));
      }
      complete(r, std::move(res));
    });
  }

  void complete(const core::FetchRequest& r, core::FetchResult res) {
    if (engine_.complete_fetch(r.id, std::move(res), now_)) return;  // late: already timed out
    done_fetches_.insert(r.id.v);
    for (auto& k : r.keys) --in_flight_fetches_[k];
  }

  void handle(core::StoreRequest& r) {
    const bool failed = fault();
    if (failed && random_.next() % 2) return;  // lost: times out
    schedule(now_.mono + latency(), [this, r, failed] {
      if (!failed)
        for (auto& e : r.entries) store_[e.key] = e.bytes;
      engine_.complete_write(r.id, failed ? core::IoStatus::backend_error : core::IoStatus::ok, now_);
    });
  }

  void handle(core::EraseRequest& r) {
    schedule(now_.mono + latency(), [this, r] { engine_.complete_write(r.id, core::IoStatus::ok, now_); });
  }

  void handle(core::LoadRequest& r) {
    result_.loads += r.keys.size();
    schedule(now_.mono + 100ms, [this, r] {
      std::vector<Result<core::AnyValue>> values;
      for (auto& k : r.keys) values.emplace_back(std::make_shared<const std::string>("value-" + k));
      engine_.complete_load(r.id, std::move(values), now_);
    });
  }

  // No caller cancels here and loads take milliseconds (the deadline is 30 s): never emitted.
  void handle(core::CancelLoad&) {}
  void handle(core::AbandonIo&) {}

  void handle(core::Reply& r) {
    auto it = waiting_.find(r.ticket.v);
    if (it == waiting_.end()) return;
    const std::size_t index = it->second;
    waiting_.erase(it);
    finish(index, r.values.empty() ? Result<core::AnyValue>(fail(errc::invalid_argument)) : r.values[0]);
    next_request();
  }

  const SimConfig& config_;
  core::Engine engine_;
  core::TierId local_{}, remote_{};
  core::NodeId node_{};
  local::Xoshiro256 random_;
  Now now_{core::Instant{}, kEpochMs};
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  core::Instant last_reply_{};
  std::uint64_t seq_ = 0;
  std::size_t cursor_ = 0;
  std::unordered_map<std::uint64_t, std::size_t> waiting_;  // ticket -> request index
  std::vector<bool> answered_;
  std::unordered_map<std::string, std::string> store_;
  std::unordered_map<std::string, std::int64_t> in_flight_fetches_;
  std::unordered_set<std::uint64_t> done_fetches_;
  std::optional<core::Instant> armed_;
  SimResult result_;
};

}  // namespace

SimResult run_simulation(const SimConfig& config) { return Simulation(config).run(); }

std::vector<std::uint64_t> zipf_trace(double s, double v, std::uint64_t imax, std::size_t requests, std::uint64_t seed) {
  local::ZipfGenerator zipf(s, v, imax, seed);
  std::vector<std::uint64_t> trace(requests);
  for (auto& k : trace) k = zipf.next();
  return trace;
}

}  // namespace cacheme::sim

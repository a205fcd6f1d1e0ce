#include "bench_run.hpp"

#include <event2/event.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <unordered_set>
#include <vector>

#include "cacheme/libevent/cacheme.hpp"
#include "cacheme/local/hash.hpp"
#include "cacheme/local/random.hpp"
#include "cacheme/redact.hpp"
#include "bench_common.hpp"

namespace cacheme::cli {
namespace {

using Clock = std::chrono::steady_clock;
using Loader = libevent::detail::FunctionThunk<std::string>::Loader;

// Prints "\r[#####     ] 50%" on stderr as calls finish (only when asked: a terminal).
class Progress {
 public:
  Progress(bool on, std::uint64_t total) : on_(on), total_(std::max<std::uint64_t>(total, 1)) {}
  void update(std::uint64_t done) {
    if (!on_) return;
    const int percent = static_cast<int>(done * 100 / total_);
    if (percent == shown_) return;
    shown_ = percent;
    std::cerr << "\r[" << std::string(percent / 5, '#') << std::string(20 - percent / 5, ' ') << "] " << percent << "%"
              << (percent == 100 ? "\n" : "") << std::flush;
  }

 private:
  bool on_;
  std::uint64_t total_;
  int shown_ = -1;
};

/// One call in progress: whether it was answered inline, what its key's state was when it started,
/// and how its value came (`RequestOptions::info`, a `get` only).
struct Call {
  int stage = 0;  ///< 0: issuing, 1: answered inline, 2: waiting
  bool filled = false;
  core::ValueInfo info;
  std::chrono::steady_clock::time_point begin;
};

// The keys a load gave a value for. One bit per key when the workload's keys are small
// integers (a generated trace's are at most --zipf-imax): the check every call makes then
// costs the harness no cache miss of its own, where a hash set's node did. A hash set otherwise.
class FilledKeys {
 public:
  explicit FilledKeys(const Workload& w) {
    std::uint64_t largest = 0;
    for (const std::uint64_t key : w.keys) largest = std::max(largest, key);
    for (const auto& batch : w.batches)
      for (const std::uint64_t key : batch) largest = std::max(largest, key);
    if (largest < kMostBits) {
      bits_.resize(largest + 1);
    } else {
      set_.reserve(w.distinct_keys);  // no rehash while the replay runs
    }
  }
  void insert(std::uint64_t key) {
    if (bits_.empty()) {
      set_.insert(key);
    } else {
      bits_[key] = true;
    }
  }
  bool contains(std::uint64_t key) const { return bits_.empty() ? set_.count(key) > 0 : bits_[key]; }

 private:
  static constexpr std::uint64_t kMostBits = std::uint64_t{1} << 24;  // 2 MiB of bits
  std::vector<bool> bits_;
  std::unordered_set<std::uint64_t> set_;
};

// N workers pulling calls from one queue; each call is a get (or a get_all) of the built node.
class Replayer {
 public:
  Replayer(libevent::Cacheme& cm, BuiltNode<std::string> node, const Workload& w, const RunOptions& o)
      : cm_(cm), node_(std::move(node)), workload_(w), options_(o),
        total_(w.batches.empty() ? w.keys.size() : w.batches.size()), progress_(o.progress, total_) {
    latencies_us_.reserve(total_);
  }

  void start() {
    started_ = Clock::now();
    calls_.resize(static_cast<std::size_t>(std::max(options_.workers, 0)));
    for (std::size_t w = 0; w < calls_.size() && next_ < total_; ++w) work(w);
  }
  bool finished() const { return done_ == total_; }
  double seconds() const { return std::chrono::duration<double>(finished_ - started_).count(); }
  std::uint64_t loads() const { return loads_; }
  std::uint64_t errors() const { return errors_; }
  std::vector<std::uint32_t>& latencies() { return latencies_us_; }
  const ResilienceResult& resilience() const { return result_; }

 private:
  // The source: it answers after --load-latency, fails as the resilience switches say, and
  // has no value for the --missing-rate share of the keys (chosen by a hash of the key).
  Loader loader_for(std::uint64_t key) {
    return [this, key](std::function<void(std::error_code, std::string)> done) {
      ++loads_;
      const ResilienceOptions& r = options_.resilience;
      std::error_code outcome;
      if (missing(key)) {
        ++result_.missing_loads;
        outcome = make_error_code(errc::not_found);
      } else if ((r.source_down_after && Clock::now() - started_ >= *r.source_down_after) ||
                 (r.load_error_rate > 0 && rng_.next_double() < r.load_error_rate)) {
        ++result_.failed_loads;
        outcome = make_error_code(errc::load_failed);
      }
      cm_.runtime().reactor().call_after(options_.load_latency, [this, done = std::move(done), key, outcome] {
        if (!outcome) filled_.insert(key);
        done(outcome, outcome ? std::string() : "value-" + std::to_string(key));
      });
    };
  }

  bool missing(std::uint64_t key) const {
    const double share = options_.resilience.missing_rate;
    return share > 0 && static_cast<double>(local::mix64(key ^ options_.seed) >> 11) * 0x1.0p-53 < share;
  }

  // Issues calls until one is left waiting; its callback resumes this worker. A call answered
  // at once (a local hit) loops here instead of recursing. The worker's call state lives in
  // `calls_` (one per worker, reused), so a call allocates nothing of the harness's own.
  void work(std::size_t worker) {
    Call& call = calls_[worker];
    while (next_ < total_) {
      const std::size_t i = next_++;
      call = Call{};
      call.begin = Clock::now();
      auto finish = [this, worker](std::error_code ec) {
        Call& c = calls_[worker];
        record(c.begin, ec, c);
        if (c.stage == 0) {
          c.stage = 1;
        } else {
          work(worker);
        }
      };
      if (workload_.batches.empty()) {
        const std::uint64_t key = workload_.keys[i];
        call.filled = filled_.contains(key);
        cm_.get(node_, std::to_string(key), loader_for(key),
                [finish](std::error_code ec, std::shared_ptr<const std::string>) { finish(ec); }, {.info = &call.info});
      } else {
        std::vector<std::string> keys;
        std::vector<Loader> loaders;
        for (std::uint64_t key : workload_.batches[i]) {
          keys.push_back(std::to_string(key));
          loaders.push_back(loader_for(key));
        }
        cm_.get_all(node_, keys, loaders,
                    [finish](std::error_code ec, std::vector<std::shared_ptr<const std::string>>) { finish(ec); });
      }
      if (call.stage == 1) continue;
      call.stage = 2;
      return;
    }
  }

  void record(Clock::time_point begin, std::error_code ec, const Call& call) {
    const auto now = Clock::now();
    latencies_us_.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - begin).count()));
    if (ec == errc::not_found) {
      ++result_.not_found;  // the answer for a missing key, not an error
    } else if (ec) {
      ++errors_;
      if (call.filled) ++result_.failed_after_fill;
    }
    if (call.filled && call.info.loaded) ++result_.waited_after_fill;
    if (++done_ == total_) finished_ = now;
    progress_.update(done_);
  }

  libevent::Cacheme& cm_;
  BuiltNode<std::string> node_;
  const Workload& workload_;
  const RunOptions& options_;
  std::size_t total_;
  std::size_t next_ = 0;
  std::size_t done_ = 0;
  std::uint64_t loads_ = 0;
  std::uint64_t errors_ = 0;
  std::vector<std::uint32_t> latencies_us_;
  Clock::time_point started_, finished_;
  Progress progress_;
  local::Xoshiro256 rng_{options_.seed};
  FilledKeys filled_{workload_};  ///< keys a load produced a value for
  std::vector<Call> calls_;                   ///< each worker's call in progress
  ResilienceResult result_;
};

void loop_until(event_base* base, const std::function<bool()>& done) {
  while (!done()) event_base_loop(base, EVLOOP_ONCE);
}

}  // namespace

RunResult run_benchmark(const Workload& workload, const RunOptions& options, std::optional<RunError>& error) {
  if (options.threads > 0) return run_sharded_benchmark(workload, options, error);
  RunResult result;
  result.chain = redact_url(join(options.chain));
  result.workload = workload.name;
  result.distinct_keys = workload.distinct_keys;
  result.workers = options.workers;
  result.load_latency_ms = static_cast<double>(options.load_latency.count());

  std::unique_ptr<event_base, decltype(&event_base_free)> base(adapters::libevent::EventReactor::new_base(),
                                                               &event_base_free);
  core::Config config;
  config.prefix = options.prefix;
  config.seed = options.seed;
  config.fixed_seed = true;  // the same --seed gives the same run
  libevent::Cacheme cm(base.get(), config);

  // Register the chain, tier0, tier1, ... in order.
  std::vector<std::string> names;
  for (std::size_t i = 0; i < options.chain.size(); ++i) names.push_back("tier" + std::to_string(i));
  const Meta meta = bench_meta(options, names);
  std::size_t pending = options.chain.size();
  for (std::size_t i = 0; i < options.chain.size(); ++i) {
    adapters::StorageSpec spec{options.chain[i], {}};
    spec.options.pool_size = options.pool_size;
    spec.options.init = options.init;
    cm.register_storage(names[i], spec, [&, url = options.chain[i]](std::error_code ec) {
      if (ec && !error) error = RunError{"cannot register storage " + redact_url(url) + ": " + ec.message()};
      --pending;
    });
  }
  loop_until(base.get(), [&] { return pending == 0; });
  if (error) return result;

  std::map<std::string, std::uint64_t> commands_before;
  std::map<std::string, std::uint64_t> server_before;
  for (std::size_t i = 0; i < names.size(); ++i) {
    drivers::Storage* storage = cm.runtime().storage(names[i]);
    if (!storage) continue;  // a local tier
    if (options.flush) {
      std::optional<std::error_code> flushed;
      cm.runtime().flush_prefix(names[i], options.prefix + ":", [&](std::error_code ec) { flushed = ec; });
      loop_until(base.get(), [&] { return flushed.has_value(); });
      if (*flushed) {
        error = RunError{"cannot flush " + redact_url(options.chain[i]) + ": " + flushed->message()};
        return result;
      }
    }
    for (auto& [name, count] : storage->command_counts()) commands_before[name] += count;
    add_server_counts(options.chain[i], server_before, false);
  }

  auto node = cm.build_node<std::string>("cacheme-bench", meta);
  if (!node) {
    error = RunError{"cannot build the benchmark node: " + node.error().message()};
    return result;
  }
  Replayer replayer(cm, *node, workload, options);
  const double cpu_before = cpu_seconds();
  replayer.start();
  loop_until(base.get(), [&] { return replayer.finished(); });
  result.cpu_s = cpu_seconds() - cpu_before;
  // Let the last write-backs land before reading the counts and closing the storages.
  loop_until(base.get(), [&] { return cm.runtime().engine().flights() == 0; });

  const core::NodeStats stats = cm.stats(*node);
  std::map<std::string, std::uint64_t> commands_after;
  std::map<std::string, std::uint64_t> server_after;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (drivers::Storage* storage = cm.runtime().storage(names[i])) {
      for (auto& [name, count] : storage->command_counts()) commands_after[name] += count;
      add_server_counts(options.chain[i], server_after, true);
    }
  }
  result.commands = commands_after - commands_before;
  result.server_commands = server_after - server_before;
  result.server_commands.erase("INFO");  // our own reading
  // Ours too with a cluster (finding the masters); the driver's own refreshes show as the
  // client's `CLUSTER` count.
  result.server_commands.erase("CLUSTER|SLOTS");
  set_node_figures(result, workload, options, stats);
  result.time_s = replayer.seconds();
  result.loads = replayer.loads();
  result.errors = replayer.errors();
  result.resilience = replayer.resilience();
  result.resilience.shown = options.resilience.any() || options.ttl.has_value();
  result.resilience.stale_served = stats.stale_served;
  result.resilience.fail_safe = stats.fail_safe;
  result.resilience.early_refreshes = stats.early_refreshes;
  result.resilience.negative_hits = stats.negative_hits;
  result.resilience.loads_queued = stats.loads_queued;
  set_latencies(result, replayer.latencies());
  result.tiers = tier_reports(names, options.chain, stats, [&](const std::string& name) { return cm.storage_health(name); });
  return result;
}

}  // namespace cacheme::cli

// `cacheme-bench replay --threads N`: the workload through a `cacheme::asio::ShardedCacheme`
// of N engines. Each request is sent by the engine that owns its key, from that engine's own
// thread (workers / N workers per engine, each pulling from its engine's queue, which holds
// that engine's keys in trace order): one engine per core, no request crossing threads, as a
// service that partitions its own work by key would run it.
#include "bench_run.hpp"

#if CACHEME_BENCH_SHARDED
#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <time.h>

#include <future>
#include <iostream>
#include <thread>

#include "bench_common.hpp"
#include "cacheme/asio/sharded_cacheme.hpp"
#include "cacheme/redact.hpp"

namespace cacheme::cli {
namespace {

using Clock = std::chrono::steady_clock;
using Front = asio::ShardedCacheme;
using Node = asio::ShardedNode<std::string>;

// The source: it answers after --load-latency (at once for 0, without a timer).
::asio::awaitable<std::string> load(std::uint64_t key, std::chrono::milliseconds latency) {
  if (latency.count() > 0) {
    ::asio::steady_timer t(co_await ::asio::this_coro::executor, latency);
    co_await t.async_wait(::asio::use_awaitable);
  }
  co_return "value-" + std::to_string(key);
}

// One engine's share of the replay: its queue, its workers, its figures. Runs on the engine's
// strand only.
class ShardReplayer {
 public:
  ShardReplayer(Front& front, std::size_t shard, const Node& node, std::vector<std::uint64_t> keys,
                const RunOptions& options)
      : cm_(front.shard(shard)), node_(node.shards[shard]), keys_(std::move(keys)), options_(options) {
    latencies_us_.reserve(keys_.size());
  }

  // Starts `workers` workers on the engine's strand; `finished` is set when the queue is done.
  void start(int workers) {
    ::asio::dispatch(cm_.get_executor(), [this, workers] {
      cpu_started_ = thread_cpu_seconds();
      if (keys_.empty()) return finish(Clock::now());
      for (int i = 0; i < workers && next_ < keys_.size(); ++i) issue();
    });
  }
  std::future<Clock::time_point> finished() { return finished_.get_future(); }
  std::uint64_t loads() const { return loads_; }
  std::uint64_t errors() const { return errors_; }
  std::vector<std::uint32_t>& latencies() { return latencies_us_; }
  /// CPU time the engine's thread spent on its share (read once `finished` is set).
  double cpu_s() const { return cpu_s_; }
  std::size_t requests() const { return keys_.size(); }

 private:
  static double thread_cpu_seconds() {
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
  }

  // One request; its callback (on the strand, never inside `get`) issues the worker's next.
  void issue() {
    if (next_ >= keys_.size()) return;
    const std::uint64_t key = keys_[next_++];
    const auto begin = Clock::now();
    asio::Loader<std::string> loader = [this, key] {
      ++loads_;
      return load(key, options_.load_latency);
    };
    cm_.get(node_, std::to_string(key), std::move(loader),
            [this, begin](std::error_code ec, std::shared_ptr<const std::string>) {
              const auto now = Clock::now();
              latencies_us_.push_back(
                  static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - begin).count()));
              if (ec) ++errors_;
              if (latencies_us_.size() == keys_.size()) return finish(now);
              issue();
            });
  }

  void finish(Clock::time_point at) {
    cpu_s_ = thread_cpu_seconds() - cpu_started_;
    finished_.set_value(at);
  }

  asio::Cacheme& cm_;
  BuiltNode<std::string> node_;
  std::vector<std::uint64_t> keys_;
  const RunOptions& options_;
  std::size_t next_ = 0;
  std::uint64_t loads_ = 0, errors_ = 0;
  double cpu_started_ = 0, cpu_s_ = 0;
  std::vector<std::uint32_t> latencies_us_;
  std::promise<Clock::time_point> finished_;
};

// Registers tier0, tier1, ... on every engine; a message on failure.
std::optional<RunError> register_chain(Front& front, const RunOptions& options, const std::vector<std::string>& names) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    adapters::StorageSpec spec{options.chain[i], {}};
    spec.options.pool_size = options.pool_size;
    spec.options.init = options.init;
    std::promise<std::error_code> done;
    front.register_storage(names[i], asio::StorageSpec(spec), [&](std::error_code ec) { done.set_value(ec); });
    if (auto ec = done.get_future().get())
      return RunError{"cannot register storage " + redact_url(options.chain[i]) + ": " + ec.message()};
  }
  return std::nullopt;
}

// Deletes the benchmark's keys from remote tier `name` (once: the engines share the server).
std::error_code flush(Front& front, const std::string& name, const std::string& prefix) {
  std::promise<std::error_code> done;
  ::asio::dispatch(front.shard(0).get_executor(), [&] {
    front.shard(0).runtime().flush_prefix(name, prefix + ":", [&](std::error_code ec) { done.set_value(ec); });
  });
  return done.get_future().get();
}

Counts client_counts(Front& front, const std::vector<std::string>& names) {
  Counts counts;
  for (const auto& name : names)
    for (const auto& [command, n] : front.command_counts(name)) counts[command] += n;
  return counts;
}

// Waits until no engine has a flight left (the last write-backs landed).
void wait_for_flights(Front& front) {
  for (;;) {
    std::size_t flights = 0;
    front.on_each([&](asio::Cacheme& cm) { flights += cm.runtime().engine().flights(); });
    if (flights == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

struct Replay {
  double seconds = 0;
  double cpu_s = 0;
  std::uint64_t loads = 0, errors = 0;
  std::vector<std::uint32_t> latencies_us;
  std::vector<EngineReport> engines;
};

// Splits the workload by owner, starts every engine's workers together, waits for the last.
Replay replay(Front& front, const Node& node, const Workload& workload, const RunOptions& options) {
  const std::size_t n = front.shard_count();
  std::vector<std::vector<std::uint64_t>> queues(n);
  for (std::uint64_t key : workload.keys) queues[front.shard_of_key(std::to_string(key), node.version)].push_back(key);
  std::vector<std::unique_ptr<ShardReplayer>> shards;
  std::vector<std::future<Clock::time_point>> finished;
  for (std::size_t i = 0; i < n; ++i) {
    shards.push_back(std::make_unique<ShardReplayer>(front, i, node, std::move(queues[i]), options));
    finished.push_back(shards.back()->finished());
  }
  const int workers = static_cast<int>((static_cast<std::size_t>(options.workers) + n - 1) / n);
  Replay r;
  const double cpu_before = cpu_seconds();
  const auto started = Clock::now();
  for (auto& s : shards) s->start(workers);
  Clock::time_point last = started;
  for (auto& f : finished) last = std::max(last, f.get());
  r.cpu_s = cpu_seconds() - cpu_before;
  r.seconds = std::chrono::duration<double>(last - started).count();
  for (auto& s : shards) {
    r.loads += s->loads();
    r.errors += s->errors();
    r.latencies_us.insert(r.latencies_us.end(), s->latencies().begin(), s->latencies().end());
    r.engines.push_back({s->requests(), s->cpu_s()});
  }
  return r;
}

}  // namespace

RunResult run_sharded_benchmark(const Workload& workload, const RunOptions& options, std::optional<RunError>& error) {
  RunResult result;
  result.chain = redact_url(join(options.chain));
  result.workload = workload.name;
  result.distinct_keys = workload.distinct_keys;
  result.workers = options.workers;
  result.threads = options.threads;
  result.load_latency_ms = static_cast<double>(options.load_latency.count());

  core::Config config;
  config.prefix = options.prefix;
  config.seed = options.seed;
  config.fixed_seed = true;  // the same --seed gives the same run
  Front front(static_cast<std::size_t>(options.threads), config);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < options.chain.size(); ++i) names.push_back("tier" + std::to_string(i));
  if ((error = register_chain(front, options, names))) return result;

  std::vector<bool> remote;
  for (const auto& name : names) {
    remote.push_back(front.storage_health(name).has_value());
    if (!remote.back() || !options.flush) continue;
    if (auto ec = flush(front, name, options.prefix)) {
      error = RunError{"cannot flush " + redact_url(options.chain[remote.size() - 1]) + ": " + ec.message()};
      return result;
    }
  }
  const Counts commands_before = client_counts(front, names);
  const Counts server_before = server_counts(options.chain, remote, false);

  auto node = front.build_node<std::string>("cacheme-bench", bench_meta(options, names));
  if (!node) {
    error = RunError{"cannot build the benchmark node: " + node.error().message()};
    return result;
  }
  Replay r = replay(front, *node, workload, options);
  wait_for_flights(front);

  const core::NodeStats stats = front.stats(*node);
  result.commands = client_counts(front, names) - commands_before;
  result.server_commands = server_counts(options.chain, remote, true) - server_before;
  result.server_commands.erase("INFO");           // our own reading
  result.server_commands.erase("CLUSTER|SLOTS");  // ours too, with a cluster
  set_node_figures(result, workload, options, stats);
  result.time_s = r.seconds;
  result.cpu_s = r.cpu_s;
  result.loads = r.loads;
  result.errors = r.errors;
  result.engines = std::move(r.engines);
  set_latencies(result, r.latencies_us);
  result.tiers = tier_reports(names, options.chain, stats, [&](const std::string& name) { return front.storage_health(name); });
  return result;
}

}  // namespace cacheme::cli

#else  // built without Asio

namespace cacheme::cli {
RunResult run_sharded_benchmark(const Workload&, const RunOptions&, std::optional<RunError>& error) {
  error = RunError{"--threads needs the Asio adapter, which this build does not have"};
  return {};
}
}  // namespace cacheme::cli

#endif

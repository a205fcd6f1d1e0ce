#include "replay_command.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "bench_report.hpp"
#include "bench_run.hpp"
#include "cacheme/local/zipf.hpp"
#include "trace.hpp"

namespace cacheme::cli {
namespace {

struct BenchOptions {
  std::string trace;
  std::string format;
  ZipfParams zipf;
  std::size_t batch = 20;    // getall
  std::size_t calls = 10'000;  // getall
  std::vector<std::string> chains;
  int workers = 1000;
  std::string load_latency = "100ms";
  std::string ttl;
  bool flush = true;
  bool init = false;
  std::string prefix = "cacheme-bench";
  std::size_t pool_size = 0;
  int threads = 0;  // 0: one engine on libevent; N: a sharded front of N engines (Asio)
  std::string json, csv, plot;
  // resilience (issue 19)
  std::string stale_for, soft_timeout, negative_ttl, source_down_after;
  double early_refresh = 0, load_error_rate = 0, missing_rate = 0;
  std::size_t max_loads = 0;
};

// "100ms", "0.1s", "2m" or a plain number of milliseconds.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  double ms = value;
  if (unit == "s") ms = value * 1000;
  else if (unit == "m") ms = value * 60'000;
  else if (unit == "h") ms = value * 3'600'000;
  else if (unit != "ms" && !unit.empty()) return std::nullopt;
  if (ms < 0) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(ms));
}

/// The URLs of a chain. A comma starts a new URL only when a scheme follows: a cluster URL's
/// seed list (`redis://h1:7000,h2:7001?cluster=true`) stays one URL.
std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ',')) {
    if (part.empty()) continue;
    if (part.find("://") == std::string::npos && !out.empty())
      out.back() += "," + part;
    else
      out.push_back(part);
  }
  return out;
}

std::string describe_zipf(const ZipfParams& z) {
  std::ostringstream text;
  text << "zipf(s=" << z.s << ", v=" << z.v << ", imax=" << z.imax << ", requests=" << z.requests << ", seed=" << z.seed << ")";
  return text.str();
}

// A fresh temporary folder for the default SQLite chain, removed at exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cacheme-bench.XXXXXX").string();
    if (::mkdtemp(pattern.data())) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Workload make_workload(const BenchOptions& o, bool batched) {
  Workload w;
  if (batched) {  // the seed's batch workload: `calls` get_alls of `batch` distinct keys
    local::ZipfGenerator zipf(o.zipf.s, o.zipf.v, o.zipf.imax, o.zipf.seed);
    std::set<std::uint64_t> all;
    for (std::size_t c = 0; c < o.calls; ++c) {
      std::vector<std::uint64_t> batch;
      while (batch.size() < std::min<std::size_t>(o.batch, o.zipf.imax + 1)) {
        const std::uint64_t k = zipf.next();
        if (std::find(batch.begin(), batch.end(), k) == batch.end()) batch.push_back(k);
      }
      all.insert(batch.begin(), batch.end());
      w.batches.push_back(std::move(batch));
    }
    w.distinct_keys = all.size();
    w.name = "getall " + std::to_string(o.calls) + " x " + std::to_string(o.batch) + " of " + describe_zipf(o.zipf);
    return w;
  }
  if (o.trace.empty()) {
    w.keys = generate_zipf(o.zipf);
    w.name = describe_zipf(o.zipf);
  } else {
    const auto format = o.format.empty() ? guess_trace_format(o.trace) : *parse_trace_format(o.format);
    w.keys = read_trace(o.trace, format);
    w.name = o.trace;
  }
  w.distinct_keys = count_distinct(w.keys);
  return w;
}

int run(const BenchOptions& o, bool batched, bool compare) {
  const char* name = compare ? "compare" : batched ? "getall" : "replay";
  auto usage = [&](const std::string& message) {
    std::cerr << "cacheme-bench " << name << ": " << message << '\n';
    return kUsageError;
  };
  RunOptions run;
  run.workers = o.workers;
  run.flush = o.flush;
  run.init = o.init;
  run.prefix = o.prefix;
  run.pool_size = o.pool_size;
  run.seed = o.zipf.seed;
  run.progress = ::isatty(STDERR_FILENO) && o.json != "-" && o.csv != "-";
  if (o.workers < 1) return usage("--workers must be at least 1");
  run.threads = o.threads;
  if (o.threads < 0 || o.threads > 256) return usage("--threads must be between 1 and 256");
  const auto latency = parse_duration(o.load_latency);
  if (!latency) return usage("--load-latency: not a duration: " + o.load_latency);
  run.load_latency = *latency;
  if (!o.ttl.empty()) {
    run.ttl = parse_duration(o.ttl);
    if (!run.ttl || run.ttl->count() < 1) return usage("--ttl: not a positive duration: " + o.ttl);
  }
  if (!compare && o.chains.size() > 1) return usage("one --chain only (use `compare` for several)");
  const std::pair<const std::string*, std::optional<std::chrono::milliseconds>*> durations[] = {
      {&o.stale_for, &run.resilience.stale_for},
      {&o.soft_timeout, &run.resilience.soft_timeout},
      {&o.negative_ttl, &run.resilience.negative_ttl},
      {&o.source_down_after, &run.resilience.source_down_after}};
  for (const auto& [text, out] : durations) {
    if (text->empty()) continue;
    *out = parse_duration(*text);
    if (!*out) return usage("not a duration: " + *text);
  }
  if (run.resilience.negative_ttl && run.resilience.negative_ttl->count() < 1)
    return usage("--negative-ttl: not a positive duration: " + o.negative_ttl);
  run.resilience.early_refresh = o.early_refresh;
  run.resilience.load_error_rate = o.load_error_rate;
  run.resilience.missing_rate = o.missing_rate;
  run.resilience.max_loads = o.max_loads;
  if (run.threads > 0 && run.resilience.any()) return usage("--threads takes no resilience switch (not yet)");

  Workload workload;
  try {
    workload = make_workload(o, batched);
  } catch (const TraceError& e) {
    return usage(e.what());
  }

  TempDir temp;
  std::vector<std::string> chains = o.chains;
  if (chains.empty()) {  // the embedded default: SQLite in a fresh temporary folder
    if (temp.path().empty()) return usage("cannot create a temporary folder");
    chains.push_back("sqlite://" + temp.path() + "/bench.db?init=1");
  }
  std::vector<RunResult> results;
  for (const auto& chain : chains) {
    run.chain = split(chain);
    if (run.chain.empty()) return usage("empty --chain");
    std::optional<RunError> error;
    results.push_back(run_benchmark(workload, run, error));
    if (error) return usage(error->message);
  }

  if (o.json == "-" || o.csv == "-") {
    if (o.json == "-") {
      if (compare) print_runs_json(std::cout, results);
      else print_run_json(std::cout, results.front()), std::cout << '\n';
    } else {
      print_runs_csv(std::cout, results);
    }
  } else {
    std::cout << workload.name << '\n';
    print_run_table(std::cout, results);
  }
  if (!o.json.empty() && o.json != "-" &&
      !write_to(o.json, [&](std::ostream& out) {
        if (compare) print_runs_json(out, results);
        else print_run_json(out, results.front()), out << '\n';
      }))
    return usage("cannot write " + o.json);
  if (!o.csv.empty() && o.csv != "-" && !write_to(o.csv, [&](std::ostream& out) { print_runs_csv(out, results); }))
    return usage("cannot write " + o.csv);
  if (!o.plot.empty()) {
    const std::string why = plot_runs(o.plot, results);
    if (!why.empty()) std::cerr << "cacheme-bench " << name << ": " << why << '\n';
  }
  for (const auto& r : results)
    if (r.errors && !run.resilience.any()) return 1;  // every request must get its value, unless failures were asked for
  return 0;
}

void add_common_options(CLI::App* app, BenchOptions& o, bool batched, bool compare) {
  if (!batched) {
    auto* trace = app->add_option("--trace", o.trace, "Trace file (gzip or plain text); default: a generated Zipf trace")
                      ->check(CLI::ExistingFile);
    app->add_option("--format", o.format, "Trace format: plain, arc, lirs (default: from the file name)")
        ->check(CLI::IsMember({"arc", "lirs", "plain"}))
        ->needs(trace);
    app->add_option("--requests", o.zipf.requests, "Requests of the generated trace")->capture_default_str();
  } else {
    o.zipf.s = 1.0001;
    app->add_option("--batch", o.batch, "Keys per get_all call")->check(CLI::PositiveNumber)->capture_default_str();
    app->add_option("--calls", o.calls, "get_all calls")->check(CLI::PositiveNumber)->capture_default_str();
  }
  app->add_option("--zipf-s", o.zipf.s, "Zipf skew s (> 1)")->capture_default_str();
  app->add_option("--zipf-v", o.zipf.v, "Zipf offset v (>= 1)")->capture_default_str();
  app->add_option("--zipf-imax", o.zipf.imax, "Zipf largest key")->capture_default_str();
  app->add_option("--seed", o.zipf.seed, "Seed of the generated trace and of the core")->capture_default_str();
  app->add_option("--chain", o.chains,
                  compare ? "A chain of storage URLs, comma-separated; repeat for each chain to compare"
                          : "Storage URLs, comma-separated, read in order (default: SQLite in a temporary folder)")
      ->take_all();
  app->add_option("--workers", o.workers, "Concurrent workers pulling from one queue")->capture_default_str();
  if (!batched)
    app->add_option("--threads", o.threads,
                    "Engines, one per thread (cacheme::asio::ShardedCacheme); each replays the keys it owns "
                    "with workers/threads workers (default: one engine on libevent)");
  app->add_option("--load-latency", o.load_latency, "How long the loader waits (e.g. 100ms, 0.1s)")->capture_default_str();
  app->add_option("--ttl", o.ttl, "TTL of cached entries (default: none)");
  app->add_option("--stale-for", o.stale_for, "Fail-safe grace period: serve expired values while the source fails");
  app->add_option("--soft-timeout", o.soft_timeout, "With a stale value, answer it after this long; the load goes on");
  app->add_option("--early-refresh", o.early_refresh, "XFetch beta: refresh hot keys before they expire (0: off)")
      ->check(CLI::Range(0.0, 1000.0));
  app->add_option("--negative-ttl", o.negative_ttl, "Cache the source's not-found for this long");
  app->add_option("--max-loads", o.max_loads, "Loads running at once, at most (0: no limit)");
  app->add_option("--load-error-rate", o.load_error_rate, "Each load fails with this probability")
      ->check(CLI::Range(0.0, 1.0));
  app->add_option("--source-down-after", o.source_down_after, "Every load fails from this long after the start");
  app->add_option("--missing-rate", o.missing_rate, "Share of the keys the source does not have (not found)")
      ->check(CLI::Range(0.0, 1.0));
  app->add_flag("--flush,!--no-flush", o.flush, "Delete the benchmark's own keys (under --prefix) first")->capture_default_str();
  app->add_flag("--init", o.init, "Create missing SQL cache tables from sql/<backend>.sql (MongoDB: the TTL index of sql/mongo.js)");
  app->add_option("--prefix", o.prefix, "Key prefix of the benchmark")->capture_default_str();
  app->add_option("--pool-size", o.pool_size, "Connections per remote storage (default: the driver's)");
  app->add_option("--json", o.json, "Write JSON to FILE ('-': stdout, instead of the table)");
  app->add_option("--csv", o.csv, "Write CSV to FILE ('-': stdout, instead of the table)");
  app->add_option("--plot", o.plot, "Draw time and floor per run to FILE.svg with gnuplot");
}

Command add(CLI::App& parent, const char* name, const char* help, bool batched, bool compare) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* app = parent.add_subcommand(name, help);
  add_common_options(app, *options, batched, compare);
  if (compare) app->get_option("--chain")->required();
  return {app, [options, batched, compare] { return run(*options, batched, compare); }};
}

}  // namespace

Command add_replay_command(CLI::App& parent) {
  return add(parent, "replay", "Replay a trace through cacheme against a chain of storages (the main job)", false, false);
}
Command add_getall_command(CLI::App& parent) {
  return add(parent, "getall", "The seed's batch workload: get_all of --batch distinct keys per call", true, false);
}
Command add_compare_command(CLI::App& parent) {
  return add(parent, "compare", "One workload over several chains, side by side", false, true);
}

}  // namespace cacheme::cli

#include "sim_command.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "hit_ratio_plot.hpp"
#include "report.hpp"
#include "sim_sweep.hpp"
#include "trace.hpp"
#include "workload.hpp"

namespace cacheme::cli {

namespace {

struct SimOptions {
  std::string trace;
  std::string format;
  ZipfParams zipf;
  std::vector<std::string> workloads;
  std::vector<std::string> sweep;
  std::vector<std::string> policies{"lru", "tlfu", "opt"};
  std::vector<std::uint64_t> sizes{250, 500, 750, 1000, 1250, 1500, 1750, 2000};
  std::vector<double> percents{0.5, 1, 2, 5, 10, 20, 50, 100};
  bool sizes_given = false;
  bool policies_given = false;
  std::string json;
  std::string plot;
};

/// A trace to simulate: where it comes from and its keys.
struct SimTrace {
  std::string name;
  std::vector<std::uint64_t> keys;
};

std::string describe_zipf(const ZipfParams& z) {
  std::ostringstream text;
  text << "zipf(s=" << z.s << ", v=" << z.v << ", imax=" << z.imax << ", requests=" << z.requests
       << ", seed=" << z.seed << ")";
  return text.str();
}

/// The trace files of a `--sweep` path: the path itself, or every file of a folder (by name,
/// documentation left out).
std::vector<std::string> sweep_files(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {path};
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && !name.ends_with(".md") && !name.starts_with(".")) files.push_back(entry.path().string());
  }
  if (ec) throw TraceError(path + ": cannot list: " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

SimTrace load_file(const std::string& path, const std::string& format) {
  const auto parsed = format.empty() ? guess_trace_format(path) : *parse_trace_format(format);
  return {path, read_trace(path, parsed)};
}

/// Every trace the options name, in order: files (`--trace`, `--sweep`), then generated ones.
std::vector<SimTrace> load_traces(const SimOptions& o) {
  std::vector<SimTrace> traces;
  if (!o.trace.empty()) traces.push_back(load_file(o.trace, o.format));
  for (const auto& path : o.sweep) {
    for (const auto& file : sweep_files(path)) traces.push_back(load_file(file, ""));
  }
  for (const auto& spec : o.workloads) {
    Workload w = generate_workload(spec, o.zipf.seed);
    traces.push_back({std::move(w.name), std::move(w.keys)});
  }
  if (traces.empty()) traces.push_back({describe_zipf(o.zipf), generate_zipf(o.zipf)});
  return traces;
}

/// Prints one trace's table (and its tlfu gap); returns its results.
std::vector<HitRatio> run_trace(const SimOptions& o, const SimTrace& trace, bool relative) {
  const std::size_t distinct = count_distinct(trace.keys);
  const auto sizes = relative ? relative_sizes(distinct, o.percents) : o.sizes;
  auto results = simulate_policies(trace.keys, o.policies, sizes, o.zipf.seed);
  if (o.json == "-") {
    print_hit_ratio_json(std::cout, trace.name, trace.keys.size(), distinct, results);
    return results;
  }
  std::cout << trace.name << ": " << trace.keys.size() << " requests, " << distinct << " distinct keys; hit ratio (%)\n";
  print_hit_ratio_table(std::cout, results);
  print_tlfu_gap(std::cout, tlfu_gap(results));
  if (!o.json.empty()) {
    std::ofstream file(o.json, std::ios::app);
    print_hit_ratio_json(file, trace.name, trace.keys.size(), distinct, results);
    if (!file) throw TraceError("cannot write " + o.json);
  }
  return results;
}

int run_sim(SimOptions o) {
  const bool sweeping = !o.sweep.empty();
  if (sweeping && !o.policies_given) o.policies = {"lru", "tlfu", "lfu", "opt"};
  try {
    if (!o.json.empty() && o.json != "-") std::ofstream(o.json, std::ios::trunc);
    const auto traces = load_traces(o);
    std::vector<PlotPanel> panels;
    for (const auto& trace : traces) {
      auto results = run_trace(o, trace, sweeping && !o.sizes_given);
      panels.push_back({std::filesystem::path(trace.name).filename().string(), std::move(results)});
    }
    if (!o.plot.empty()) {
      const std::string why = write_hit_ratio_svg(o.plot, panels);
      if (!why.empty()) throw TraceError(why);
    }
  } catch (const TraceError& e) {
    std::cerr << "cacheme-bench sim: " << e.what() << '\n';
    return kUsageError;
  }
  return 0;
}

}  // namespace

Command add_sim_command(CLI::App& parent) {
  auto options = std::make_shared<SimOptions>();
  CLI::App* sim = parent.add_subcommand("sim", "Hit ratios of the local policies on traces (Belady's optimum as ceiling)");

  auto* trace = sim->add_option("--trace", options->trace, "Trace file (gzip or plain text)")->check(CLI::ExistingFile);
  sim->add_option("--format", options->format, "Trace format (default: from the file name)")
      ->check(CLI::IsMember({"arc", "lirs", "plain"}))
      ->needs(trace);
  sim->add_option("--sweep", options->sweep,
                  "Trace folder (every file in it) or file, repeatable: sizes at --percents of each trace's distinct keys "
                  "(unless --sizes), policies lru,tlfu,lfu,opt (unless --policy)")
      ->check(CLI::ExistingPath);
  sim->add_option("--workload", options->workloads,
                  "Generated trace, repeatable: zipf:s=,v=,imax=,requests= | hotshift:hot=,period=,share=,cold=,requests= "
                  "| scanzipf:s=,v=,imax=,period=,length=,requests=");
  const auto zipf = [&](const char* flag, auto& value, const char* help) {
    sim->add_option(flag, value, help)->capture_default_str()->excludes(trace);
  };
  zipf("--zipf-s", options->zipf.s, "Zipf skew s (> 1), for a generated trace");
  zipf("--zipf-v", options->zipf.v, "Zipf offset v (>= 1)");
  zipf("--zipf-imax", options->zipf.imax, "Zipf largest key");
  zipf("--requests", options->zipf.requests, "Requests of the generated trace");
  sim->add_option("--seed", options->zipf.seed, "Seed of the trace generators and the policies")->capture_default_str();
  sim->add_option("--policy", options->policies, "Policies: lru, tlfu, opt (Belady's optimum), lfu (exact counts that never age, for reference)")
      ->delimiter(',')
      ->check(CLI::IsMember({"lru", "tlfu", "opt", "lfu"}))
      ->capture_default_str()
      ->each([options](const std::string&) { options->policies_given = true; });
  sim->add_option("--sizes", options->sizes, "Cache sizes (entries)")
      ->delimiter(',')
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 31))
      ->capture_default_str()
      ->each([options](const std::string&) { options->sizes_given = true; });
  sim->add_option("--percents", options->percents, "With --sweep: sizes as percents of each trace's distinct keys")
      ->delimiter(',')
      ->check(CLI::Range(0.001, 1000.0))
      ->capture_default_str();
  sim->add_option("--json", options->json, "Also write the results as JSON to FILE, one line per trace ('-': stdout, instead of the tables)");
  sim->add_option("--plot", options->plot, "Draw hit ratio against size to FILE.svg: one line per policy, one panel per trace");

  return {sim, [options] { return run_sim(*options); }};
}

}  // namespace cacheme::cli

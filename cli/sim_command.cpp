#include "sim_command.hpp"

#include <fstream>
#include <iostream>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "cacheme/local/belady.hpp"
#include "cacheme/local/exact_lfu.hpp"
#include "cacheme/local/lru_policy.hpp"
#include "cacheme/local/tinylfu_policy.hpp"
#include "report.hpp"
#include "trace.hpp"

namespace cacheme::cli {

namespace {

struct SimOptions {
  std::string trace;
  std::string format;
  ZipfParams zipf;
  std::vector<std::string> policies{"lru", "tlfu", "opt"};
  std::vector<std::uint64_t> sizes{250, 500, 750, 1000, 1250, 1500, 1750, 2000};
  std::string json;
};

/// Hits of an online policy: look each key up, insert it on a miss.
template <class Policy>
std::uint64_t simulate(std::span<const std::uint64_t> keys, std::uint64_t size, std::uint64_t seed) {
  Policy policy(size, seed);
  std::uint64_t hits = 0;
  for (const std::uint64_t key : keys) {
    if (policy.find(key) != local::kNoNode) {
      ++hits;
    } else {
      policy.insert(key, local::NoValue{}, 1, [](std::uint32_t) {});
    }
  }
  return hits;
}

std::uint64_t hits_of(const std::string& policy, std::span<const std::uint64_t> keys, std::uint64_t size,
                      std::uint64_t seed) {
  if (policy == "lru") return simulate<local::LruPolicy<std::uint64_t>>(keys, size, seed);
  if (policy == "tlfu") return simulate<local::TinyLfuPolicy<std::uint64_t>>(keys, size, seed);
  if (policy == "lfu") return local::exact_lfu_hits(keys, size);
  return local::belady_hits(keys, size);
}

std::string describe_zipf(const ZipfParams& z) {
  std::ostringstream text;
  text << "zipf(s=" << z.s << ", v=" << z.v << ", imax=" << z.imax << ", requests=" << z.requests
       << ", seed=" << z.seed << ")";
  return text.str();
}

int run_sim(const SimOptions& options) {
  std::vector<std::uint64_t> keys;
  std::string name;
  try {
    if (options.trace.empty()) {
      keys = generate_zipf(options.zipf);
      name = describe_zipf(options.zipf);
    } else {
      const auto format = options.format.empty() ? guess_trace_format(options.trace) : *parse_trace_format(options.format);
      keys = read_trace(options.trace, format);
      name = options.trace;
    }
  } catch (const TraceError& e) {
    std::cerr << "cacheme-bench sim: " << e.what() << '\n';
    return kUsageError;
  }

  std::vector<HitRatio> results;
  for (const auto& policy : options.policies) {
    for (const auto size : options.sizes) {
      const std::uint64_t hits = hits_of(policy, keys, size, options.zipf.seed);
      results.push_back({policy, size, static_cast<double>(hits) / static_cast<double>(keys.size())});
    }
  }

  const std::size_t distinct = count_distinct(keys);
  if (options.json == "-") {
    print_hit_ratio_json(std::cout, name, keys.size(), distinct, results);
    return 0;
  }
  std::cout << name << ": " << keys.size() << " requests, " << distinct << " distinct keys; hit ratio (%)\n";
  print_hit_ratio_table(std::cout, results);
  if (!options.json.empty()) {
    std::ofstream file(options.json);
    print_hit_ratio_json(file, name, keys.size(), distinct, results);
    if (!file) {
      std::cerr << "cacheme-bench sim: cannot write " << options.json << '\n';
      return kUsageError;
    }
  }
  return 0;
}

}  // namespace

Command add_sim_command(CLI::App& parent) {
  auto options = std::make_shared<SimOptions>();
  CLI::App* sim = parent.add_subcommand("sim", "Hit ratios of the local policies on a trace (Belady's optimum as ceiling)");

  auto* trace = sim->add_option("--trace", options->trace, "Trace file (gzip or plain text)")->check(CLI::ExistingFile);
  sim->add_option("--format", options->format, "Trace format (default: from the file name)")
      ->check(CLI::IsMember({"arc", "lirs", "plain"}))
      ->needs(trace);
  const auto zipf = [&](const char* flag, auto& value, const char* help) {
    sim->add_option(flag, value, help)->capture_default_str()->excludes(trace);
  };
  zipf("--zipf-s", options->zipf.s, "Zipf skew s (> 1), for a generated trace");
  zipf("--zipf-v", options->zipf.v, "Zipf offset v (>= 1)");
  zipf("--zipf-imax", options->zipf.imax, "Zipf largest key");
  zipf("--requests", options->zipf.requests, "Requests of the generated trace");
  sim->add_option("--seed", options->zipf.seed, "Seed of the trace generator and the policies")->capture_default_str();
  sim->add_option("--policy", options->policies, "Policies: lru, tlfu, opt (Belady's optimum), lfu (exact counts that never age, for reference)")
      ->delimiter(',')
      ->check(CLI::IsMember({"lru", "tlfu", "opt", "lfu"}))
      ->capture_default_str();
  sim->add_option("--sizes", options->sizes, "Cache sizes (entries)")
      ->delimiter(',')
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 31))
      ->capture_default_str();
  sim->add_option("--json", options->json, "Also write the results as JSON to FILE ('-': stdout, instead of the table)");

  return {sim, [options] { return run_sim(*options); }};
}

}  // namespace cacheme::cli

#include "bench_common.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <iostream>

#include "cacheme/adapters/password_source.hpp"
#include "cacheme/redact.hpp"
#include "mongo_status.hpp"
#include "redis_info.hpp"

namespace cacheme::cli {
namespace {

double percentile(std::vector<std::uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; }

}  // namespace

Counts operator-(Counts after, const Counts& before) {
  // A count can go down when a cluster's master left during the run (its counts with it):
  // such a difference means nothing, it is dropped rather than wrapped around.
  for (auto& [name, count] : after) {
    auto it = before.find(name);
    if (it != before.end()) count = count > it->second ? count - it->second : 0;
  }
  std::erase_if(after, [](const auto& kv) { return kv.second == 0; });
  return after;
}

void add_server_counts(const std::string& given_url, Counts& counts, bool say_missing) {
  // With password_file= / password_env=, our own connection needs the password too.
  const std::string url = adapters::resolve_password_source(given_url).value_or(given_url);
  if (url.rfind("redis://", 0) == 0)
    for (auto& [name, count] : redis_command_stats(url)) counts[name] += count;
  if (url.rfind("mongodb://", 0) != 0) return;
  if (auto ops = mongo_opcounters(url)) {
    for (auto& [name, count] : *ops) counts[name] += count;
  } else if (say_missing) {
    std::cerr << "cacheme-bench: the MongoDB server reports no serverStatus.opcounters: no server_commands for it\n";
  }
}

Counts server_counts(const std::vector<std::string>& chain, const std::vector<bool>& is_remote, bool say_missing) {
  Counts counts;
  for (std::size_t i = 0; i < chain.size(); ++i)
    if (is_remote[i]) add_server_counts(chain[i], counts, say_missing);
  return counts;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

void set_latencies(RunResult& result, std::vector<std::uint32_t>& lat) {
  result.latency_max_us = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end());
  result.latency_p50_us = percentile(lat, 0.50);
  result.latency_p90_us = percentile(lat, 0.90);
  result.latency_p99_us = percentile(lat, 0.99);
  result.latency_p999_us = percentile(lat, 0.999);
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

Meta bench_meta(const RunOptions& options, const std::vector<std::string>& names) {
  Meta meta{.version = "v1", .caches = {}, .codec = codecs::msgpack};
  const ResilienceOptions& res = options.resilience;
  if (res.stale_for) meta.stale_for = *res.stale_for;
  if (res.soft_timeout) meta.soft_timeout = *res.soft_timeout;
  if (res.negative_ttl) meta.negative_ttl = *res.negative_ttl;
  meta.early_refresh = res.early_refresh;
  meta.max_concurrent_loads = res.max_loads;
  for (const auto& name : names) {
    std::optional<core::Duration> ttl;
    if (options.ttl) ttl = *options.ttl;
    meta.caches.push_back({name, ttl});
  }
  return meta;
}

void set_node_figures(RunResult& result, const Workload& workload, const RunOptions& options, const core::NodeStats& stats) {
  result.requests = stats.requests;
  result.calls = workload.batches.empty() ? workload.keys.size() : workload.batches.size();
  result.floor_s = static_cast<double>(workload.distinct_keys) * static_cast<double>(options.load_latency.count()) /
                   1000.0 / options.workers;
  result.hits = stats.hits;
  result.coalesced = stats.coalesced;
  result.hit_rate = stats.hit_rate();
}

std::vector<TierReport> tier_reports(const std::vector<std::string>& names, const std::vector<std::string>& urls,
                                     const core::NodeStats& stats,
                                     const std::function<std::optional<drivers::StorageHealth>(const std::string&)>& health) {
  std::vector<TierReport> tiers;
  for (std::size_t i = 0; i < names.size(); ++i) {
    TierReport t;
    t.url = redact_url(urls[i]);
    if (i < stats.tiers.size()) {
      t.errors = stats.tiers[i].errors;
      t.timeouts = stats.tiers[i].timeouts;
      t.overloaded = stats.tiers[i].overloaded;
    }
    t.health = health(names[i]);
    tiers.push_back(std::move(t));
  }
  return tiers;
}

}  // namespace cacheme::cli

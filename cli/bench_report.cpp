#include "bench_report.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "report.hpp"

namespace cacheme::cli {
namespace {

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

double requests_per_second(const RunResult& r) { return r.time_s > 0 ? double(r.requests) / r.time_s : 0; }

std::set<std::string> command_names(const std::vector<RunResult>& runs, bool server) {
  std::set<std::string> names;
  for (const auto& r : runs)
    for (const auto& [name, count] : server ? r.server_commands : r.commands) names.insert(name);
  return names;
}

std::string count_of(const std::map<std::string, std::uint64_t>& m, const std::string& name) {
  auto it = m.find(name);
  return std::to_string(it == m.end() ? 0 : it->second);
}

void json_counts(std::ostream& out, const std::map<std::string, std::uint64_t>& m) {
  out << '{';
  bool first = true;
  for (const auto& [name, count] : m) {
    out << (first ? "" : ", ") << json_string(name) << ": " << count;
    first = false;
  }
  out << '}';
}

// "a / b / c" over the run's engines.
std::string engine_list(const RunResult& r, const std::function<std::string(const EngineReport&)>& cell) {
  std::string out;
  for (const auto& e : r.engines) out += (out.empty() ? "" : " / ") + cell(e);
  return out.empty() ? "-" : out;
}

// Requests per second if every engine had a core of its own: the requests over the CPU time of
// the engine that needed most (the others finish earlier).
double cpu_bound_rate(const RunResult& r) {
  double busiest = 0;
  for (const auto& e : r.engines) busiest = std::max(busiest, e.cpu_s);
  return busiest > 0 ? double(r.requests) / busiest : 0;
}

using RowAdder = std::function<void(std::string, const std::function<std::string(const RunResult&)>&)>;

// A cell of tier `t`'s row: "-" where a run has no such tier or (for `health`) no remote storage.
std::string tier_cell(const RunResult& r, std::size_t t, const std::function<std::string(const TierReport&)>& cell) {
  return t < r.tiers.size() ? cell(r.tiers[t]) : "-";
}

std::string health_cell(const RunResult& r, std::size_t t,
                        const std::function<std::string(const drivers::StorageHealth&)>& cell) {
  return tier_cell(r, t, [&](const TierReport& tier) { return tier.health ? cell(*tier.health) : "-"; });
}

// Per tier: the node's timeouts and overloads there, and the storage's health after the run.
void add_tier_rows(const std::vector<RunResult>& runs, const RowAdder& row) {
  std::size_t tiers = 0;
  for (const auto& r : runs) tiers = std::max(tiers, r.tiers.size());
  for (std::size_t t = 0; t < tiers; ++t) {
    const std::string p = "tier" + std::to_string(t) + " ";
    row(p + "errors", [t](const RunResult& r) { return tier_cell(r, t, [](const TierReport& x) { return std::to_string(x.errors); }); });
    row(p + "timeouts", [t](const RunResult& r) { return tier_cell(r, t, [](const TierReport& x) { return std::to_string(x.timeouts); }); });
    row(p + "overloaded", [t](const RunResult& r) { return tier_cell(r, t, [](const TierReport& x) { return std::to_string(x.overloaded); }); });
    auto health = [&](const std::string& label, std::function<std::string(const drivers::StorageHealth&)> cell) {
      row(p + label, [t, cell](const RunResult& r) { return health_cell(r, t, cell); });
    };
    health("connections up", [](const auto& h) { return std::to_string(h.connections_up) + "/" + std::to_string(h.connections); });
    health("outstanding", [](const auto& h) { return std::to_string(h.outstanding); });
    health("reconnects", [](const auto& h) { return std::to_string(h.reconnects); });
    health("conn. timeouts", [](const auto& h) { return std::to_string(h.connection_timeouts); });
    health("abandoned", [](const auto& h) { return std::to_string(h.abandoned); });
    health("refused (overload)", [](const auto& h) { return std::to_string(h.overloaded); });
  }
}

void json_health(std::ostream& out, const std::optional<drivers::StorageHealth>& h) {
  if (!h) {
    out << "null";
    return;
  }
  out << "{\"connections\": " << h->connections << ", \"connections_up\": " << h->connections_up
      << ", \"outstanding\": " << h->outstanding << ", \"reconnects\": " << h->reconnects
      << ", \"connection_timeouts\": " << h->connection_timeouts << ", \"abandoned\": " << h->abandoned
      << ", \"overloaded\": " << h->overloaded << '}';
}

void json_tiers(std::ostream& out, const std::vector<TierReport>& tiers) {
  out << '[';
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const TierReport& t = tiers[i];
    out << (i ? ", " : "") << "{\"url\": " << json_string(t.url) << ", \"errors\": " << t.errors
        << ", \"timeouts\": " << t.timeouts << ", \"overloaded\": " << t.overloaded << ", \"health\": ";
    json_health(out, t.health);
    out << '}';
  }
  out << ']';
}

}  // namespace

void print_run_table(std::ostream& out, const std::vector<RunResult>& runs) {
  std::vector<std::pair<std::string, std::vector<std::string>>> rows;
  auto row = [&](std::string label, const std::function<std::string(const RunResult&)>& cell) {
    std::vector<std::string> cells;
    for (const auto& r : runs) cells.push_back(cell(r));
    rows.emplace_back(std::move(label), std::move(cells));
  };
  row("chain", [](const RunResult& r) { return r.chain; });
  if (std::any_of(runs.begin(), runs.end(), [](const RunResult& r) { return r.threads > 0; }))
    row("threads (engines)", [](const RunResult& r) { return r.threads ? std::to_string(r.threads) : "1 (libevent)"; });
  row("workers", [](const RunResult& r) { return std::to_string(r.workers); });
  row("requests", [](const RunResult& r) { return std::to_string(r.requests); });
  row("distinct keys", [](const RunResult& r) { return std::to_string(r.distinct_keys); });
  row("time (s)", [](const RunResult& r) { return fixed(r.time_s, 3); });
  row("floor (s)", [](const RunResult& r) { return fixed(r.floor_s, 3); });
  row("time / floor", [](const RunResult& r) { return r.floor_s > 0 ? fixed(r.time_s / r.floor_s, 2) : "-"; });
  row("requests/s", [](const RunResult& r) { return fixed(requests_per_second(r), 0); });
  row("CPU user+sys (s)", [](const RunResult& r) { return fixed(r.cpu_s, 3); });
  row("CPU per request (us)", [](const RunResult& r) { return r.requests ? fixed(r.cpu_s * 1e6 / double(r.requests), 3) : "-"; });
  if (std::any_of(runs.begin(), runs.end(), [](const RunResult& r) { return !r.engines.empty(); })) {
    row("engines: requests", [](const RunResult& r) { return engine_list(r, [](const EngineReport& e) { return std::to_string(e.requests); }); });
    row("engines: thread CPU (s)", [](const RunResult& r) { return engine_list(r, [](const EngineReport& e) { return fixed(e.cpu_s, 3); }); });
    row("requests / busiest engine CPU-s", [](const RunResult& r) { return r.engines.empty() ? "-" : fixed(cpu_bound_rate(r), 0); });
  }
  row("loads", [](const RunResult& r) { return std::to_string(r.loads); });
  row("hits", [](const RunResult& r) { return std::to_string(r.hits); });
  row("coalesced", [](const RunResult& r) { return std::to_string(r.coalesced); });
  row("hit rate", [](const RunResult& r) { return fixed(r.hit_rate * 100, 2) + "%"; });
  row("errors", [](const RunResult& r) { return std::to_string(r.errors); });
  for (const auto& name : command_names(runs, false))
    row("sent " + name, [&](const RunResult& r) { return count_of(r.commands, name); });
  for (const auto& name : command_names(runs, true))
    row("server " + name, [&](const RunResult& r) { return count_of(r.server_commands, name); });
  if (std::any_of(runs.begin(), runs.end(), [](const RunResult& r) { return r.resilience.shown; })) {
    row("waited after fill", [](const RunResult& r) { return std::to_string(r.resilience.waited_after_fill); });
    row("failed after fill", [](const RunResult& r) { return std::to_string(r.resilience.failed_after_fill); });
    row("not found", [](const RunResult& r) { return std::to_string(r.resilience.not_found); });
    row("loads failed", [](const RunResult& r) { return std::to_string(r.resilience.failed_loads); });
    row("loads of missing keys", [](const RunResult& r) { return std::to_string(r.resilience.missing_loads); });
    row("stale served", [](const RunResult& r) { return std::to_string(r.resilience.stale_served); });
    row("fail-safe", [](const RunResult& r) { return std::to_string(r.resilience.fail_safe); });
    row("early refreshes", [](const RunResult& r) { return std::to_string(r.resilience.early_refreshes); });
    row("negative hits", [](const RunResult& r) { return std::to_string(r.resilience.negative_hits); });
    row("loads queued", [](const RunResult& r) { return std::to_string(r.resilience.loads_queued); });
  }
  row("latency p50 (us)", [](const RunResult& r) { return fixed(r.latency_p50_us, 0); });
  row("latency p90 (us)", [](const RunResult& r) { return fixed(r.latency_p90_us, 0); });
  row("latency p99 (us)", [](const RunResult& r) { return fixed(r.latency_p99_us, 0); });
  row("latency p99.9 (us)", [](const RunResult& r) { return fixed(r.latency_p999_us, 0); });
  row("latency max (us)", [](const RunResult& r) { return fixed(r.latency_max_us, 0); });
  add_tier_rows(runs, row);

  std::size_t label_width = 0;
  std::vector<std::size_t> widths(runs.size(), 0);
  for (const auto& [label, cells] : rows) {
    label_width = std::max(label_width, label.size());
    for (std::size_t i = 0; i < cells.size(); ++i) widths[i] = std::max(widths[i], cells[i].size());
  }
  for (const auto& [label, cells] : rows) {
    out << std::left << std::setw(static_cast<int>(label_width)) << label;
    for (std::size_t i = 0; i < cells.size(); ++i) out << "  " << std::right << std::setw(static_cast<int>(widths[i])) << cells[i];
    out << '\n';
  }
}

void print_run_json(std::ostream& out, const RunResult& r) {
  out << "{\"chain\": " << json_string(r.chain) << ", \"workload\": " << json_string(r.workload)
      << ", \"requests\": " << r.requests << ", \"calls\": " << r.calls << ", \"distinct_keys\": " << r.distinct_keys
      << ", \"workers\": " << r.workers << ", \"threads\": " << std::max(r.threads, 1)
      << ", \"load_latency_ms\": " << r.load_latency_ms
      << ", \"time_s\": " << fixed(r.time_s, 4) << ", \"floor_s\": " << fixed(r.floor_s, 4)
      << ", \"requests_per_s\": " << fixed(requests_per_second(r), 1) << ", \"cpu_s\": " << fixed(r.cpu_s, 4)
      << ", \"loads\": " << r.loads
      << ", \"hits\": " << r.hits << ", \"coalesced\": " << r.coalesced << ", \"errors\": " << r.errors
      << ", \"hit_rate\": " << fixed(r.hit_rate, 6);
  if (r.resilience.shown) {
    const ResilienceResult& x = r.resilience;
    out << ", \"resilience\": {\"waited_after_fill\": " << x.waited_after_fill
        << ", \"failed_after_fill\": " << x.failed_after_fill << ", \"not_found\": " << x.not_found
        << ", \"failed_loads\": " << x.failed_loads << ", \"missing_loads\": " << x.missing_loads
        << ", \"stale_served\": " << x.stale_served << ", \"fail_safe\": " << x.fail_safe
        << ", \"early_refreshes\": " << x.early_refreshes << ", \"negative_hits\": " << x.negative_hits
        << ", \"loads_queued\": " << x.loads_queued << "}";
  }
  if (!r.engines.empty()) {
    out << ", \"engines\": [";
    for (std::size_t i = 0; i < r.engines.size(); ++i)
      out << (i ? ", " : "") << "{\"requests\": " << r.engines[i].requests << ", \"cpu_s\": " << fixed(r.engines[i].cpu_s, 4) << '}';
    out << "], \"requests_per_busiest_engine_cpu_s\": " << fixed(cpu_bound_rate(r), 1);
  }
  out << ", \"commands\": ";
  json_counts(out, r.commands);
  out << ", \"server_commands\": ";
  json_counts(out, r.server_commands);
  out << ", \"latency_us\": {\"p50\": " << fixed(r.latency_p50_us, 0) << ", \"p90\": " << fixed(r.latency_p90_us, 0)
      << ", \"p99\": " << fixed(r.latency_p99_us, 0) << ", \"p999\": " << fixed(r.latency_p999_us, 0) << ", \"max\": " << fixed(r.latency_max_us, 0) << "}, \"tiers\": ";
  json_tiers(out, r.tiers);
  out << '}';
}

void print_runs_json(std::ostream& out, const std::vector<RunResult>& runs) {
  out << '[';
  for (std::size_t i = 0; i < runs.size(); ++i) {
    out << (i ? ",\n " : "");
    print_run_json(out, runs[i]);
  }
  out << "]\n";
}

void print_runs_csv(std::ostream& out, const std::vector<RunResult>& runs) {
  const auto names = command_names(runs, false);
  out << "chain,workers,requests,distinct_keys,time_s,floor_s,loads,hits,coalesced,hit_rate,errors,p50_us,p99_us,max_us,"
         "threads,cpu_s,p90_us,p999_us";
  for (const auto& n : names) out << ",sent_" << n;
  out << '\n';
  for (const auto& r : runs) {
    out << '"' << r.chain << "\"," << r.workers << ',' << r.requests << ',' << r.distinct_keys << ',' << fixed(r.time_s, 4)
        << ',' << fixed(r.floor_s, 4) << ',' << r.loads << ',' << r.hits << ',' << r.coalesced << ','
        << fixed(r.hit_rate, 6) << ',' << r.errors << ',' << fixed(r.latency_p50_us, 0) << ','
        << fixed(r.latency_p99_us, 0) << ',' << fixed(r.latency_max_us, 0) << ',' << std::max(r.threads, 1) << ','
        << fixed(r.cpu_s, 4) << ',' << fixed(r.latency_p90_us, 0) << ',' << fixed(r.latency_p999_us, 0);
    for (const auto& n : names) out << ',' << count_of(r.commands, n);
    out << '\n';
  }
}

bool write_to(const std::string& target, const std::function<void(std::ostream&)>& write) {
  if (target == "-") {
    write(std::cout);
    return static_cast<bool>(std::cout);
  }
  std::ofstream file(target);
  if (!file) return false;
  write(file);
  return static_cast<bool>(file);
}

}  // namespace cacheme::cli

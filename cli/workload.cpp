#include "workload.hpp"

#include <charconv>
#include <iomanip>
#include <map>
#include <sstream>
#include <string_view>

#include "cacheme/local/random.hpp"
#include "cacheme/local/zipf.hpp"
#include "trace.hpp"

namespace cacheme::cli {

namespace {

/// A spec's parameters: the defaults of its kind, overridden by `key=value` pairs.
using Params = std::map<std::string, double>;

Params defaults_of(const std::string& kind) {
  if (kind == "zipf") return {{"s", 1.0001}, {"v", 10}, {"imax", 50'000'000}, {"requests", 1'000'000}};
  if (kind == "hotshift") {
    return {{"hot", 1000}, {"period", 50'000}, {"share", 0.8}, {"cold", 1'000'000}, {"requests", 1'000'000}};
  }
  if (kind == "scanzipf") {
    return {{"s", 1.0001}, {"v", 10}, {"imax", 1'000'000}, {"period", 20'000}, {"length", 5000}, {"requests", 1'000'000}};
  }
  throw TraceError("workload: unknown kind '" + kind + "' (zipf, hotshift, scanzipf)");
}

Params parse_params(const std::string& kind, std::string_view list) {
  Params params = defaults_of(kind);
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    const std::size_t eq = item.find('=');
    const std::string name(item.substr(0, eq));
    double value = 0;
    const char* end = item.data() + item.size();
    if (eq == std::string_view::npos || !params.contains(name) ||
        std::from_chars(item.data() + eq + 1, end, value).ptr != end || value < 0) {
      throw TraceError("workload: bad parameter '" + std::string(item) + "' for " + kind);
    }
    params[name] = value;
  }
  if (params["requests"] < 1 || params["requests"] > 1e9) throw TraceError("workload: requests must be 1..1e9");
  return params;
}

std::uint64_t whole(const Params& params, const std::string& name) {
  const double value = params.at(name);
  if (value < 1) throw TraceError("workload: " + name + " must be at least 1");
  return static_cast<std::uint64_t>(value);
}

std::vector<std::uint64_t> zipf_keys(const Params& p, std::uint64_t seed) {
  return generate_zipf({p.at("s"), p.at("v"), whole(p, "imax"), whole(p, "requests"), seed});
}

// Hot keys are numbered from 2^40 up (a new range per move), cold keys from 0: never the same.
std::vector<std::uint64_t> hotshift_keys(const Params& p, std::uint64_t seed) {
  const std::uint64_t hot = whole(p, "hot"), period = whole(p, "period"), cold = whole(p, "cold");
  const double share = p.at("share");
  if (share > 1) throw TraceError("workload: share must be in [0, 1]");
  local::Xoshiro256 random(seed);
  std::vector<std::uint64_t> keys(whole(p, "requests"));
  for (std::uint64_t i = 0; i < keys.size(); ++i) {
    const std::uint64_t base = (std::uint64_t{1} << 40) + (i / period) * hot;
    keys[i] = random.next_double() < share ? base + random.next() % hot : random.next() % cold;
  }
  return keys;
}

// Scan keys are numbered from 2^40 up and never repeat: each scan is a burst of one-hit wonders.
std::vector<std::uint64_t> scanzipf_keys(const Params& p, std::uint64_t seed) {
  const std::uint64_t period = whole(p, "period"), length = whole(p, "length");
  std::vector<std::uint64_t> zipf = zipf_keys(p, seed);
  std::vector<std::uint64_t> keys;
  keys.reserve(zipf.size());
  std::uint64_t next_scan_key = std::uint64_t{1} << 40;
  std::size_t z = 0;
  while (keys.size() < zipf.size()) {
    for (std::uint64_t i = 0; i < period && keys.size() < zipf.size(); ++i) keys.push_back(zipf[z++]);
    for (std::uint64_t i = 0; i < length && keys.size() < zipf.size(); ++i) keys.push_back(next_scan_key++);
  }
  return keys;
}

std::string describe(const std::string& kind, const Params& params) {
  std::ostringstream text;
  text << std::setprecision(12) << kind << ':';
  const char* separator = "";
  for (const auto& [name, value] : params) {
    text << separator << name << '=' << value;
    separator = ",";
  }
  return text.str();
}

}  // namespace

Workload generate_workload(const std::string& spec, std::uint64_t seed) {
  const std::size_t colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const Params params = parse_params(kind, colon == std::string::npos ? std::string_view{} : std::string_view(spec).substr(colon + 1));
  Workload workload{describe(kind, params), {}};
  if (kind == "zipf") workload.keys = zipf_keys(params, seed);
  if (kind == "hotshift") workload.keys = hotshift_keys(params, seed);
  if (kind == "scanzipf") workload.keys = scanzipf_keys(params, seed);
  return workload;
}

}  // namespace cacheme::cli

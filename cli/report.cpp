#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>

namespace cacheme::cli {

namespace {

template <class T>
void add_unique(std::vector<T>& items, const T& item) {
  if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(item);
}

}  // namespace

void print_hit_ratio_table(std::ostream& out, const std::vector<HitRatio>& results) {
  std::vector<std::string> policies;
  std::vector<std::uint64_t> sizes;
  for (const auto& r : results) {
    add_unique(policies, r.policy);
    add_unique(sizes, r.size);
  }
  constexpr int kPolicyWidth = 8;
  constexpr int kColumnWidth = 8;
  out << std::left << std::setw(kPolicyWidth) << "policy" << std::right;
  for (const auto size : sizes) out << std::setw(kColumnWidth) << size;
  out << '\n';
  for (const auto& policy : policies) {
    out << std::left << std::setw(kPolicyWidth) << policy << std::right << std::fixed << std::setprecision(2);
    for (const auto size : sizes) {
      const auto it = std::find_if(results.begin(), results.end(),
                                   [&](const HitRatio& r) { return r.policy == policy && r.size == size; });
      if (it == results.end()) {
        out << std::setw(kColumnWidth) << "-";
      } else {
        out << std::setw(kColumnWidth) << it->hit_ratio * 100;
      }
    }
    out << '\n';
  }
}

std::string json_string(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      quoted += escaped;
    } else {
      quoted += c;
    }
  }
  return quoted + '"';
}

void print_hit_ratio_json(std::ostream& out, const std::string& trace, std::uint64_t requests,
                          std::uint64_t distinct, const std::vector<HitRatio>& results) {
  out << "{\"trace\": " << json_string(trace) << ", \"requests\": " << requests << ", \"distinct\": " << distinct
      << ", \"results\": [";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    out << (i == 0 ? "" : ", ") << "{\"policy\": " << json_string(r.policy) << ", \"size\": " << r.size
        << ", \"hit_ratio\": " << std::setprecision(6) << std::defaultfloat << r.hit_ratio << '}';
  }
  out << "]}\n";
}

}  // namespace cacheme::cli

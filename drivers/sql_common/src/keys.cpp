// Key ranges and key filtering common to the SQL drivers.
#include "cacheme/drivers/sql/keys.hpp"

#include <unordered_set>

namespace cacheme::drivers::sql {

std::optional<std::string> prefix_successor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(s.back());
    if (last != 0xff) {
      ++last;
      return s;
    }
    s.pop_back();
  }
  return std::nullopt;
}

std::vector<std::string> distinct_valid_keys(const std::vector<std::string>& keys) {
  std::vector<std::string> out;
  std::unordered_set<std::string_view> seen;
  out.reserve(keys.size());
  for (const auto& k : keys)
    if (k.size() <= kMaxKeyBytes && seen.insert(k).second) out.push_back(k);
  return out;
}

std::int64_t unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace cacheme::drivers::sql

#include <cstdio>
#include <string>

namespace cacheme::drivers::sql {

void log_message(std::string_view backend, std::string_view message) {
  std::string line = "cacheme[";
  line.append(backend).append("]: ").append(message).push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace cacheme::drivers::sql

// Sums Prometheus texts sample by sample. The input is cacheme's own output (metrics.cpp):
// `# HELP`, `# TYPE`, then the family's samples `name{labels} value`, one per line.
#include "cacheme/adapters/metrics_merge.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <string_view>
#include <vector>

namespace cacheme::adapters {
namespace {

/// One family: its comment lines and its samples, in first-seen order, summed.
struct Family {
  std::vector<std::string> comments;
  std::vector<std::string> order;        ///< sample keys (`name{labels}`)
  std::map<std::string, double> values;  ///< by key
  std::set<std::string, std::less<>> verbatim;  ///< lines that are no sample, kept as they are
};

std::string format(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc{} ? std::string(buf, end) : "0";
}

// The family a `# HELP name ...` or `# TYPE name ...` line names.
std::string_view family_of_comment(std::string_view line) {
  line.remove_prefix(7);  // "# HELP " or "# TYPE "
  return line.substr(0, line.find(' '));
}

class Merger {
 public:
  void add(std::string_view text) {
    Family* current = nullptr;
    while (!text.empty()) {
      const std::size_t nl = text.find('\n');
      const std::string_view line = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
      if (line.empty()) continue;
      if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
        current = &family(family_of_comment(line));
        if (std::find(current->comments.begin(), current->comments.end(), line) == current->comments.end())
          current->comments.emplace_back(line);
        continue;
      }
      Family& f = current ? *current : family("");
      const std::size_t space = line.rfind(' ');
      double v = 0;
      if (space == std::string_view::npos ||
          std::from_chars(line.data() + space + 1, line.data() + line.size(), v).ec != std::errc{}) {
        if (f.verbatim.emplace(line).second) f.order.emplace_back(line);
        continue;  // not a sample: kept once, as it is
      }
      const std::string key(line.substr(0, space));
      auto [it, fresh] = f.values.emplace(key, 0.0);
      if (fresh) f.order.push_back(key);
      it->second += v;
    }
  }

  std::string text() const {
    std::string out;
    for (const auto& name : order_) {
      const Family& f = families_.at(name);
      for (const auto& c : f.comments) out += c + '\n';
      for (const auto& key : f.order) {
        out += key;
        if (!f.verbatim.count(key)) out += ' ' + format(f.values.at(key));
        out += '\n';
      }
    }
    return out;
  }

 private:
  Family& family(std::string_view name) {
    auto [it, fresh] = families_.try_emplace(std::string(name));
    if (fresh) order_.emplace_back(name);
    return it->second;
  }

  std::map<std::string, Family, std::less<>> families_;
  std::vector<std::string> order_;
};

}  // namespace

std::string merge_metrics_text(std::span<const std::string> texts) {
  Merger m;
  for (const auto& t : texts) m.add(t);
  return m.text();
}

}  // namespace cacheme::adapters

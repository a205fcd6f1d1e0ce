#include "hit_ratio_plot.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace cacheme::cli {

namespace {

constexpr double kPanelWidth = 420;
constexpr double kPanelHeight = 300;
constexpr double kMarginLeft = 50, kMarginRight = 15, kMarginTop = 30, kMarginBottom = 40;
constexpr int kColumns = 3;
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#7f7f7f", "#9467bd", "#ff7f0e"};

std::string escape_xml(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

/// Maps sizes to the panel's x pixels: logarithmic when the sizes span more than 4x.
struct XAxis {
  double low, high;
  bool log;
  double operator()(double size, double left, double width) const {
    const double a = log ? std::log(low) : low, b = log ? std::log(high) : high, v = log ? std::log(size) : size;
    return left + (b > a ? (v - a) / (b - a) : 0.5) * width;
  }
};

XAxis x_axis_of(const std::vector<HitRatio>& results) {
  double low = 1e300, high = 0;
  for (const auto& r : results) {
    low = std::min(low, static_cast<double>(r.size));
    high = std::max(high, static_cast<double>(r.size));
  }
  return {low, high, high > 4 * low};
}

std::vector<std::string> policies_of(const std::vector<HitRatio>& results) {
  std::vector<std::string> policies;
  for (const auto& r : results) {
    if (std::find(policies.begin(), policies.end(), r.policy) == policies.end()) policies.push_back(r.policy);
  }
  return policies;
}

void draw_frame(std::ostream& svg, double left, double top, double width, double height) {
  svg << "<rect x='" << left << "' y='" << top << "' width='" << width << "' height='" << height
      << "' fill='none' stroke='#444'/>\n";
  for (int percent = 0; percent <= 100; percent += 20) {
    const double y = top + height * (1 - percent / 100.0);
    svg << "<line x1='" << left << "' y1='" << y << "' x2='" << left + width << "' y2='" << y << "' stroke='#ddd'/>"
        << "<text x='" << left - 6 << "' y='" << y + 4 << "' text-anchor='end'>" << percent << "</text>\n";
  }
}

void draw_panel(std::ostream& svg, const PlotPanel& panel, double origin_x, double origin_y) {
  const double left = origin_x + kMarginLeft, top = origin_y + kMarginTop;
  const double width = kPanelWidth - kMarginLeft - kMarginRight, height = kPanelHeight - kMarginTop - kMarginBottom;
  svg << "<text x='" << origin_x + kPanelWidth / 2 << "' y='" << origin_y + 18 << "' text-anchor='middle' font-weight='bold'>"
      << escape_xml(panel.title) << "</text>\n";
  draw_frame(svg, left, top, width, height);
  const XAxis x = x_axis_of(panel.results);
  const auto policies = policies_of(panel.results);
  std::vector<std::uint64_t> sizes;
  for (std::size_t p = 0; p < policies.size(); ++p) {
    const char* color = kColors[p % std::size(kColors)];
    svg << "<polyline fill='none' stroke='" << color << "' stroke-width='1.5' points='";
    for (const auto& r : panel.results) {
      if (r.policy != policies[p]) continue;
      if (p == 0) sizes.push_back(r.size);
      svg << x(static_cast<double>(r.size), left, width) << ',' << top + height * (1 - r.hit_ratio) << ' ';
    }
    svg << "'/>\n<text x='" << left + 8 << "' y='" << top + 14 + 14 * static_cast<double>(p) << "' fill='" << color
        << "'>" << escape_xml(policies[p]) << "</text>\n";
  }
  for (const auto size : sizes) {
    svg << "<text x='" << x(static_cast<double>(size), left, width) << "' y='" << top + height + 14
        << "' text-anchor='middle' font-size='9'>" << size << "</text>\n";
  }
  svg << "<text x='" << left + width / 2 << "' y='" << top + height + 30 << "' text-anchor='middle'>cache size (entries"
      << (x.log ? ", log scale" : "") << "), hit ratio %</text>\n";
}

}  // namespace

std::string write_hit_ratio_svg(const std::string& path, const std::vector<PlotPanel>& panels) {
  const int columns = std::min<int>(kColumns, std::max<int>(1, static_cast<int>(panels.size())));
  const int rows = (static_cast<int>(panels.size()) + columns - 1) / columns;
  std::ostringstream svg;
  svg << std::fixed << std::setprecision(1);
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << columns * kPanelWidth << "' height='"
      << std::max(rows, 1) * kPanelHeight << "' font-family='sans-serif' font-size='11'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n";
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const auto column = static_cast<double>(i % static_cast<std::size_t>(columns));
    const auto row = static_cast<double>(i / static_cast<std::size_t>(columns));
    draw_panel(svg, panels[i], column * kPanelWidth, row * kPanelHeight);
  }
  svg << "</svg>\n";
  std::ofstream file(path);
  file << svg.str();
  return file ? "" : "cannot write " + path;
}

}  // namespace cacheme::cli

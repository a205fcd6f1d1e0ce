/// @file hit_ratio_plot.hpp
/// `sim --plot FILE.svg`: hit ratio against cache size, one line per policy, one panel per
/// trace (the chart Caffeine's and Otter's READMEs show). Written as SVG directly, so it needs
/// no plotting program.
#pragma once

#include <string>
#include <vector>

#include "report.hpp"

namespace cacheme::cli {

/// One trace's results, titled.
struct PlotPanel {
  std::string title;
  std::vector<HitRatio> results;
};

/// Writes `panels` to `path` (sizes on a log scale when they span more than 4x); returns an
/// empty string, or why it could not.
std::string write_hit_ratio_svg(const std::string& path, const std::vector<PlotPanel>& panels);

}  // namespace cacheme::cli

/// @file sim_command.hpp
/// `cacheme-bench sim`: hit ratios of the local policies (and Belady's optimum) on a trace.
#pragma once

#include "command.hpp"

namespace cacheme::cli {

/// Adds the `sim` subcommand to `parent`:
/// `sim (--trace FILE [--format arc|lirs|plain] | --zipf-s S --zipf-v V --zipf-imax N
///  --requests N --seed N) --policy lru,tlfu,opt --sizes 250,500,... [--json FILE|-]`.
Command add_sim_command(CLI::App& parent);

}  // namespace cacheme::cli

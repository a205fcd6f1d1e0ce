/// @file sim_command.hpp
/// `cacheme-bench sim`: hit ratios of the local policies (and Belady's optimum) on traces.
#pragma once

#include "command.hpp"

namespace cacheme::cli {

/// Adds the `sim` subcommand to `parent`:
/// `sim [--trace FILE [--format arc|lirs|plain]] [--sweep DIR|FILE]... [--workload SPEC]...
///  [--zipf-s S --zipf-v V --zipf-imax N --requests N] [--seed N] [--policy lru,tlfu,lfu,opt]
///  [--sizes 250,500,... | --percents 0.5,1,...] [--json FILE|-] [--plot FILE.svg]`.
/// Without --trace, --sweep or --workload it simulates the --zipf-* trace.
Command add_sim_command(CLI::App& parent);

}  // namespace cacheme::cli

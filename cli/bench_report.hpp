/// @file bench_report.hpp
/// Reports of benchmark runs: an aligned table (one column per run), JSON, CSV, a gnuplot SVG.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "bench_run.hpp"

namespace cacheme::cli {

/// Rows of figures, one column per run.
void print_run_table(std::ostream& out, const std::vector<RunResult>& runs);

/// One run as a JSON object (the fields of DESIGN.md §8).
void print_run_json(std::ostream& out, const RunResult& run);

/// Several runs as a JSON array.
void print_runs_json(std::ostream& out, const std::vector<RunResult>& runs);

/// A header line and one line per run.
void print_runs_csv(std::ostream& out, const std::vector<RunResult>& runs);

/// Draws into `svg_path` with gnuplot (bench_plot.cpp): time and floor per run on an axis from
/// 0, and the latency percentiles p50, p90, p99, p99.9 per run on a log scale. Returns an
/// empty string on success, else one line saying why not (gnuplot missing, ...).
std::string plot_runs(const std::string& svg_path, const std::vector<RunResult>& runs);

/// Writes with `write` to `target`: "-" is stdout, anything else a file. False if unwritable.
bool write_to(const std::string& target, const std::function<void(std::ostream&)>& write);

}  // namespace cacheme::cli

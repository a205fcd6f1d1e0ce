// `--plot FILE.svg` of replay/compare: gnuplot draws two panels, one above the other. The
// first compares each run's time with its load-bound floor, on an axis that starts at 0 (an
// axis that starts near the floor makes a floor bar look empty and any gap look huge). The
// second shows each run's request latency percentiles (p50, p90, p99, p99.9) on a log scale,
// where a tail a thousand times the median still fits beside it.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench_report.hpp"

namespace cacheme::cli {
namespace {

bool has_gnuplot() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && ::access((std::filesystem::path(dir) / "gnuplot").c_str(), X_OK) == 0) return true;
  return false;
}

// A run's label under its bars: the chain, its workers and (with --threads) its engines.
std::string label(const RunResult& r) {
  std::string text = r.chain + " (" + std::to_string(r.workers) + " workers";
  if (r.threads > 0) text += ", " + std::to_string(r.threads) + " threads";
  std::string quoted;
  for (char c : text + ")") quoted += c == '"' ? '\'' : c;  // the data file quotes labels
  return quoted;
}

// One line per run: index, label, time, floor, then the latency percentiles in microseconds
// (at least 1: a log axis has no 0).
void write_data(const std::filesystem::path& file, const std::vector<RunResult>& runs) {
  std::ofstream data(file);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunResult& r = runs[i];
    data << i << " \"" << label(r) << "\" " << r.time_s << ' ' << r.floor_s;
    for (double us : {r.latency_p50_us, r.latency_p90_us, r.latency_p99_us, r.latency_p999_us}) data << ' ' << std::max(us, 1.0);
    data << '\n';
  }
}

void write_script(const std::filesystem::path& file, const std::string& svg_path, const std::string& data) {
  std::ofstream gp(file);
  gp << "set terminal svg size 1000,900 dynamic font 'sans,11'\nset output '" << svg_path << "'\n"
     << "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
     << "set xtics rotate by -15 nomirror\nset key outside right top\nset grid ytics\n"
     << "set multiplot layout 2,1 title 'cacheme-bench'\n"
     << "set title 'time and load-bound floor'\nset ylabel 'seconds'\nset yrange [0:*]\n"
     << "plot '" << data << "' using 3:xtic(2) title 'time', '' using 4 title 'floor'\n"
     << "set title 'request latency (log scale)'\nset ylabel 'microseconds'\nset logscale y\nset yrange [1:*]\n"
     << "plot '" << data << "' using 5:xtic(2) title 'p50', '' using 6 title 'p90', '' using 7 title 'p99', "
     << "'' using 8 title 'p99.9'\n"
     << "unset multiplot\n";
}

}  // namespace

std::string plot_runs(const std::string& svg_path, const std::vector<RunResult>& runs) {
  if (!has_gnuplot()) return "gnuplot is not installed (apt install gnuplot-nox); no plot written";
  if (svg_path.find('\'') != std::string::npos) return "the plot's file name may not contain a quote: " + svg_path;
  const auto dir = std::filesystem::temp_directory_path() / ("cacheme-plot-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  write_data(dir / "runs.dat", runs);
  write_script(dir / "plot.gp", svg_path, (dir / "runs.dat").string());
  const std::string command = "gnuplot '" + (dir / "plot.gp").string() + "' 2>&1";
  const int status = std::system(command.c_str());
  std::filesystem::remove_all(dir);
  return status == 0 ? "" : "gnuplot failed to draw " + svg_path;
}

}  // namespace cacheme::cli

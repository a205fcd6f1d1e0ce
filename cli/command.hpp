/// @file command.hpp
/// How a subcommand plugs into cacheme-bench's `main`.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace cacheme::cli {

/// Exit status of a run that failed for its inputs (bad trace, nonsense options).
inline constexpr int kUsageError = 2;

/// A registered subcommand: its CLI11 app (parsed when chosen) and what runs it after parsing.
/// `run` returns the exit status; it reports its own errors on stderr in one line.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

}  // namespace cacheme::cli

/// @file replay_command.hpp
/// `cacheme-bench replay`, `getall` and `compare`: workloads through the real stack.
#pragma once

#include "command.hpp"

namespace cacheme::cli {

Command add_replay_command(CLI::App& parent);
Command add_getall_command(CLI::App& parent);
Command add_compare_command(CLI::App& parent);

}  // namespace cacheme::cli

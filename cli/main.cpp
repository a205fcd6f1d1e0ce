// cacheme-bench: the benchmark and trace tool. Each subcommand lives in its own file and is
// registered here; parse errors give one line on stderr and exit status 2.
#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>

#include "cacheme/redact.hpp"
#include "command.hpp"
#include "replay_command.hpp"
#include "sim_command.hpp"

int main(int argc, char** argv) {
  using namespace cacheme::cli;
  CLI::App app{"cacheme-bench: benchmarks and trace simulations for cacheme"};
  app.require_subcommand(1);

  std::vector<Command> commands;
  commands.push_back(add_replay_command(app));
  commands.push_back(add_getall_command(app));
  commands.push_back(add_compare_command(app));
  commands.push_back(add_sim_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);  // --help
    // The parser may echo an argument, a URL with its password among them.
    std::cerr << "cacheme-bench: " << cacheme::redact_text(e.what()) << " (see --help)\n";
    return kUsageError;
  }
  for (const auto& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return kUsageError;
}

// RESP encoding of a command, written into a caller's buffer (reused across commands: no
// allocation once it has grown), instead of hiredis's formatter, which allocates twice per
// command.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace cacheme::drivers::redis::detail {

/// Appends `args` (the command name first) to `out` as a RESP array of bulk strings.
void append_command(std::string& out, std::span<const std::string_view> args);

}  // namespace cacheme::drivers::redis::detail

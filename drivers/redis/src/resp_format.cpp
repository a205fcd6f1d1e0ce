#include "resp_format.hpp"

#include <charconv>

namespace cacheme::drivers::redis::detail {
namespace {

// Appends `prefix`, then `n` in decimal, then CRLF.
void append_header(std::string& out, char prefix, std::size_t n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.push_back(prefix);
  out.append(digits, end);
  out.append("\r\n", 2);
}

}  // namespace

void append_command(std::string& out, std::span<const std::string_view> args) {
  append_header(out, '*', args.size());
  for (const std::string_view arg : args) {
    append_header(out, '$', arg.size());
    out.append(arg);
    out.append("\r\n", 2);
  }
}

}  // namespace cacheme::drivers::redis::detail

// Our RESP formatter writes exactly what hiredis's own formatter writes, binary bytes included.
#include <catch2/catch.hpp>

#include <hiredis/hiredis.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "resp_format.hpp"

using cacheme::drivers::redis::detail::append_command;

namespace {

std::string hiredis_format(std::span<const std::string_view> args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const std::string_view a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  const int n = redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), argv.data(), lens.data());
  std::string out(cmd, static_cast<std::size_t>(n));
  redisFreeCommand(cmd);
  return out;
}

}  // namespace

TEST_CASE("append_command writes the RESP array hiredis writes", "[redis][resp]") {
  const std::string binary("a\r\nb\0c", 6);
  const std::string large(100000, 'x');
  const std::vector<std::vector<std::string_view>> commands = {
      {"GET", "cacheme:user:1:v1"},
      {"SET", "k", binary, "PX", "60000"},
      {"SET", "", ""},
      {"MGET", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"},
      {"SET", "big", large},
  };
  for (const auto& args : commands) {
    std::string out;
    append_command(out, args);
    CHECK(out == hiredis_format(args));
  }
}

TEST_CASE("append_command appends after what the buffer holds", "[redis][resp]") {
  std::string out = "*1\r\n$4\r\nPING\r\n";
  const std::array<std::string_view, 2> args{"GET", "k"};
  append_command(out, args);
  CHECK(out == "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
}

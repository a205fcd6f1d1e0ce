// Your own codec: the Point codec of point_codec.hpp (a hand-written binary format, user codec
// id 200) registered at start-up, then named by a node whose values live in SQLite.
//
//   user_codec_example [SQLITE_FILE]     (default: a file in the current folder, removed after)
//
// Exits 0 when a second cache read the value back from SQLite through the codec.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "cacheme/asio/cacheme.hpp"
#include "point_codec.hpp"

using namespace std::chrono_literals;

int loads = 0;

struct PointNode {
  int id;
  std::string key() const { return "point:" + std::to_string(id); }
  asio::awaitable<point::Point> load() const {
    ++loads;
    co_return point::Point{id, -id, "point " + std::to_string(id)};
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"sqlite", 1h}}, .codec = point::kCodecId}; }
};

// One cache's turn: the first writes the value (a miss, loaded, encoded by point::encode), the
// second, a fresh cache on the same file, reads it back (decoded by point::decode).
asio::awaitable<point::Point> turn(cacheme::asio::Cacheme& cm, std::string file, bool first) {
  co_await cm.register_storage("sqlite", "sqlite://" + file + "?init=1");
  if (first) co_await cm.invalidate(PointNode{7});
  auto p = co_await cm.get(PointNode{7});
  if (first) {
    // The write-back to SQLite is asynchronous (it follows the reply): let it land before this
    // cache goes away, or the second cache would find nothing.
    asio::steady_timer settle(co_await asio::this_coro::executor, 300ms);
    co_await settle.async_wait(asio::use_awaitable);
  }
  const auto stats = cm.stats<PointNode>();
  std::printf("%s cache: get(7) -> (%d, %d, \"%s\"), sqlite hits=%llu misses=%llu, loads so far %d\n",
              first ? "first " : "second", p->x, p->y, p->label.c_str(), (unsigned long long)stats.tiers[0].hits,
              (unsigned long long)stats.tiers[0].misses, loads);
  co_return *p;
}

// Runs one turn on a cache of its own; the value, or nullopt on an error.
std::optional<point::Point> run_turn(const std::string& file, bool first) {
  asio::io_context io;
  cacheme::asio::Cacheme cm(io);
  std::optional<point::Point> out;
  asio::co_spawn(io, turn(cm, file, first), [&](std::exception_ptr e, point::Point p) {
    io.stop();
    if (!e) out = std::move(p);
  });
  io.run_for(30s);
  return out;
}

int main(int argc, char** argv) {
  // Before any node names the codec: registration is refused if the id or name is taken.
  if (auto ok = point::register_codec(); !ok) {
    std::fprintf(stderr, "register_codec: %s\n", ok.error().message().c_str());
    return 1;
  }
  const std::string file = argc > 1 ? argv[1] : "user_codec_example.db";
  const auto written = run_turn(file, true);
  const auto read = run_turn(file, false);
  const int status = written && read && *written == *read && loads == 1 ? 0 : 1;
  if (argc < 2) std::filesystem::remove(file);
  return status;
}

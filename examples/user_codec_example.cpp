// Your own codec: the Point codec of point_codec.hpp (a hand-written binary format, user codec
// id 200) registered at start-up, then named by a node whose values live in SQLite.
//
//   user_codec_example [SQLITE_FILE]     (default: a file in the current folder, removed after)
//
// Exits 0 when the second get read the value back from SQLite through the codec.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
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

asio::awaitable<int> serve(cacheme::asio::Cacheme& cm, std::string file) {
  co_await cm.register_storage("sqlite", "sqlite://" + file + "?init=1");
  co_await cm.invalidate(PointNode{7});
  auto first = co_await cm.get(PointNode{7});   // a miss: loaded, encoded by point::encode
  auto second = co_await cm.get(PointNode{7});  // read back from SQLite, decoded by point::decode
  std::printf("get(7) -> (%d, %d, \"%s\"), again -> (%d, %d, \"%s\"), loads %d\n", first->x, first->y,
              first->label.c_str(), second->x, second->y, second->label.c_str(), loads);
  const auto stats = cm.stats<PointNode>();
  std::printf("sqlite tier: hits=%llu misses=%llu errors=%llu\n", (unsigned long long)stats.tiers[0].hits,
              (unsigned long long)stats.tiers[0].misses, (unsigned long long)stats.tiers[0].errors);
  co_return *first == *second && loads == 1 && stats.tiers[0].hits == 1 ? 0 : 1;
}

int main(int argc, char** argv) {
  // Before any node names the codec: registration is refused if the id or name is taken.
  if (auto ok = point::register_codec(); !ok) {
    std::fprintf(stderr, "register_codec: %s\n", ok.error().message().c_str());
    return 1;
  }
  const std::string file = argc > 1 ? argv[1] : "user_codec_example.db";
  int status = 1;
  {
    asio::io_context io;
    cacheme::asio::Cacheme cm(io);
    asio::co_spawn(io, serve(cm, file), [&](std::exception_ptr e, int result) {
      io.stop();
      status = e ? 1 : result;
      if (e) std::fprintf(stderr, "user_codec_example: the cache failed\n");
    });
    io.run_for(30s);
  }
  if (argc < 2) std::filesystem::remove(file);
  return status;
}

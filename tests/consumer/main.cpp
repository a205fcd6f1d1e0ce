// A service using an installed (or vendored) cacheme: one get through the local tier, one
// through SQLite, each a miss loaded from the source and then a hit. Exits 0 when right.
//   consumer SQLITE_FILE
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include "cacheme/asio/cacheme.hpp"
#include "cacheme/build_config.hpp"

using namespace std::chrono_literals;

int loads = 0;

// Two nodes: the same value, cached in the local tier or in SQLite.
template <const char* Storage>
struct Greeting {
  int id;
  std::string key() const { return std::string(Storage) + ":greeting:" + std::to_string(id); }
  asio::awaitable<std::string> load() const {
    ++loads;
    co_return "hello " + std::to_string(id);
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{Storage, 1h}}, .codec = cacheme::codecs::msgpack}; }
};
constexpr char kLocal[] = "local";
constexpr char kSqlite[] = "sqlite";

template <class N>
asio::awaitable<bool> miss_then_hit(cacheme::asio::Cacheme& cm, const char* what) {
  const int before = loads;
  auto first = co_await cm.get(N{7});
  auto second = co_await cm.get(N{7});
  const bool ok = *first == "hello 7" && *second == "hello 7" && loads == before + 1;
  std::printf("%-6s get -> \"%s\", again -> \"%s\", loads %d: %s\n", what, first->c_str(), second->c_str(),
              loads - before, ok ? "ok" : "WRONG");
  co_return ok;
}

asio::awaitable<int> serve(cacheme::asio::Cacheme& cm, std::string sqlite_file) {
  co_await cm.register_storage("local", "local://lru?size=100");
  co_await cm.register_storage("sqlite", "sqlite://" + sqlite_file + "?init=1");
  const bool local_ok = co_await miss_then_hit<Greeting<kLocal>>(cm, "local");
  const bool sqlite_ok = co_await miss_then_hit<Greeting<kSqlite>>(cm, "sqlite");
  co_return local_ok && sqlite_ok ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer SQLITE_FILE\n");
    return 2;
  }
  static_assert(CACHEME_HAVE_ASIO && CACHEME_HAVE_SQLITE, "the consumer needs the asio adapter and SQLite");
  asio::io_context io;
  cacheme::asio::Cacheme cm(io);
  int status = 1;
  asio::co_spawn(io, serve(cm, argv[1]), [&](std::exception_ptr e, int result) {
    io.stop();
    status = e ? 1 : result;
    if (e) std::fprintf(stderr, "consumer: the cache failed\n");
  });
  io.run_for(30s);
  return status;
}

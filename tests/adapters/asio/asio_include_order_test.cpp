// Asio included before any other header: the allocator configuration of this translation unit
// must agree with the library's (cacheme::asio exports it). Under AddressSanitizer a mismatch
// aborts with alloc-dealloc-mismatch when memory recycled by one side is freed by the other.
#include <asio.hpp>
// (nothing above this line on purpose)
#include <catch2/catch.hpp>

#include "cacheme/asio/cacheme.hpp"

namespace {

struct EchoNode {
  int n = 0;
  std::string key() const { return "echo:" + std::to_string(n); }
  asio::awaitable<int> load() const { co_return n; }
  static cacheme::Meta meta() { return {.version = "v1", .caches = {{"local", std::chrono::seconds(10)}}}; }
};

TEST_CASE("asio: a translation unit that includes Asio first shares the library's allocator", "[asio]") {
  // Asio's config decided this translation unit's allocator before any standard header was
  // seen; without the exported definitions it differs from the library's.
#if defined(ASIO_HAS_STD_ALIGNED_ALLOC)
  constexpr bool here = true;
#else
  constexpr bool here = false;
#endif
  CHECK(cacheme::adapters::asio::AsioReactor::built_with_std_aligned_alloc() == here);
  asio::io_context io;
  cacheme::asio::Cacheme cm(io);
  cm.register_storage("local", {"local://lru?size=100"}, [](std::error_code) {});
  int sum = 0;
  for (int i = 0; i < 200; ++i) {
    cm.get(EchoNode{i % 50}, [&](std::error_code ec, std::shared_ptr<const int> v) { sum += ec ? 0 : *v; });
    asio::post(io, [] {});
  }
  io.run();
  CHECK(sum == 4 * (49 * 50 / 2));
}

}  // namespace

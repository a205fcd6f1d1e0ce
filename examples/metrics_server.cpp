// Serves cacheme's metrics on /metrics (Prometheus text format 0.0.4) with Asio, beside a
// small workload that keeps the counters moving.
//
//   metrics_server [--port N] [--scrapes N] [STORAGE_URL...]
//
// Storages default to `local://tlfu?size=1000`; with several URLs the node's chain is their
// order. `--port 0` picks a free port; the program prints "listening on 127.0.0.1:PORT".
// `--scrapes N` exits after serving N requests (tests); otherwise it serves until killed.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cacheme/adapters/metrics.hpp"
#include "cacheme/asio/cacheme.hpp"

using namespace std::chrono_literals;

std::vector<cacheme::Cache> g_chain;

struct Square {
  int n = 0;
  std::string key() const { return "square:" + std::to_string(n); }
  asio::awaitable<int> load() const {
    asio::steady_timer t(co_await asio::this_coro::executor, 2ms);  // a source that takes a moment
    co_await t.async_wait(asio::use_awaitable);
    co_return n * n;
  }
  static cacheme::Meta meta() { return {.version = "v1", .caches = g_chain}; }
};

// Some traffic: gets over 200 keys, with an invalidate now and then.
asio::awaitable<void> workload(cacheme::asio::Cacheme& cm) {
  for (int i = 0;; ++i) {
    co_await cm.get(Square{(i * 7919) % 200});
    if (i % 50 == 0) co_await cm.invalidate(Square{i % 200});
    if (i % 100 == 99) {
      asio::steady_timer t(co_await asio::this_coro::executor, 10ms);
      co_await t.async_wait(asio::use_awaitable);
    }
  }
}

// One HTTP/1.0 exchange: any GET of /metrics gets the text, anything else a 404.
asio::awaitable<void> serve_one(asio::ip::tcp::socket socket, cacheme::asio::Cacheme& cm) {
  asio::streambuf request;
  co_await asio::async_read_until(socket, request, "\r\n\r\n", asio::use_awaitable);
  std::string head(asio::buffers_begin(request.data()), asio::buffers_end(request.data()));
  const bool metrics = head.rfind("GET /metrics ", 0) == 0 || head.rfind("GET /metrics?", 0) == 0;
  const std::string body = metrics ? cacheme::metrics_text(cm.runtime()) : "not found\n";
  const std::string response = std::string(metrics ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.0 404 Not Found\r\n") +
                               "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n" +
                               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  co_await asio::async_write(socket, asio::buffer(response), asio::use_awaitable);
}

asio::awaitable<void> serve(asio::io_context& io, asio::ip::tcp::acceptor& acceptor, cacheme::asio::Cacheme& cm,
                            long scrapes) {
  for (long served = 0; scrapes <= 0 || served < scrapes; ++served) {
    auto socket = co_await acceptor.async_accept(asio::use_awaitable);
    try {
      co_await serve_one(std::move(socket), cm);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "metrics_server: %s\n", e.what());
    }
  }
  io.stop();
}

asio::awaitable<void> start(cacheme::asio::Cacheme& cm, std::vector<std::string> urls) {
  for (std::size_t i = 0; i < urls.size(); ++i) {
    const std::string name = "tier" + std::to_string(i);
    co_await cm.register_storage(name, {urls[i]});
    g_chain.push_back({name, 1h});
  }
  co_await workload(cm);
}

int main(int argc, char** argv) {
  unsigned short port = 9464;
  long scrapes = 0;
  std::vector<std::string> urls;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      port = static_cast<unsigned short>(std::atoi(argv[++i]));
    } else if (arg == "--scrapes" && i + 1 < argc) {
      scrapes = std::atol(argv[++i]);
    } else {
      urls.push_back(arg);
    }
  }
  if (urls.empty()) urls.push_back("local://tlfu?size=1000");
  asio::io_context io;
  cacheme::asio::Cacheme cm(io);
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
  std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);
  asio::co_spawn(io, start(cm, urls), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "metrics_server: %s\n", ex.what());
      std::exit(1);
    }
  });
  asio::co_spawn(io, serve(io, acceptor, cm, scrapes), asio::detached);
  io.run();
  return 0;
}

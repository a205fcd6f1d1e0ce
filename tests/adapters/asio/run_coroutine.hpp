// Runs a test body as a coroutine on a fresh io_context and Cacheme (shared by the Asio suites).
#pragma once

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <exception>

#include "cacheme/asio/cacheme.hpp"

namespace cacheme::test {

/// Runs `body(cm)` until it finishes (at most 20 s); rethrows its exception.
template <class Body>
void run(Body body) {
  ::asio::io_context io;
  std::exception_ptr error;
  bool finished = false;
  {
    cacheme::asio::Cacheme cm(io);
    ::asio::co_spawn(io, body(cm), [&](std::exception_ptr e) {
      error = e;
      finished = true;
    });
    io.run_for(std::chrono::seconds(20));
  }
  REQUIRE(finished);
  if (error) std::rethrow_exception(error);
}

}  // namespace cacheme::test

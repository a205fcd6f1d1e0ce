// The ring-buffer FIFO behind the engine's effects and the runtime's replies: order kept
// through wrap-around and growth, and a moved-from queue left empty.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "cacheme/core/fifo_queue.hpp"

using cacheme::core::detail::FifoQueue;

namespace {

// Pops everything, oldest first.
std::vector<int> drain(FifoQueue<std::unique_ptr<int>>& q) {
  std::vector<int> out;
  while (!q.empty()) {
    out.push_back(*q.front());
    q.pop_front();
  }
  return out;
}

}  // namespace

TEST_CASE("fifo queue: first in, first out through wrap-around and growth", "[fifo]") {
  FifoQueue<std::unique_ptr<int>> q;  // move-only elements
  CHECK(q.empty());
  int next_in = 0, next_out = 0;
  // Interleaved pushes and pops move the head around the ring; the queue grows while wrapped.
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < round % 7 + 1; ++i) q.emplace_back(std::make_unique<int>(next_in++));
    for (int i = 0; i < round % 5 && !q.empty(); ++i) {
      CHECK(*q.front() == next_out++);
      q.pop_front();
    }
    CHECK(q.size() == static_cast<std::size_t>(next_in - next_out));
  }
  std::vector<int> expected;
  for (int v = next_out; v < next_in; ++v) expected.push_back(v);
  CHECK(drain(q) == expected);
  CHECK(q.empty());
  q.push_back(std::make_unique<int>(7));  // still usable after draining
  CHECK(drain(q) == std::vector<int>{7});
}

TEST_CASE("fifo queue: a moved-from queue is empty, the new one holds everything", "[fifo]") {
  FifoQueue<std::unique_ptr<int>> a;
  for (int i = 0; i < 20; ++i) a.emplace_back(std::make_unique<int>(i));
  a.pop_front();
  FifoQueue<std::unique_ptr<int>> b = std::move(a);
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  CHECK(a.size() == 0);
  a.emplace_back(std::make_unique<int>(100));
  CHECK(drain(a) == std::vector<int>{100});
  CHECK(b.size() == 19);
  FifoQueue<std::unique_ptr<int>> c;
  c.emplace_back(std::make_unique<int>(-1));
  c = std::move(b);
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
  std::vector<int> expected;
  for (int i = 1; i < 20; ++i) expected.push_back(i);
  CHECK(drain(c) == expected);
}

namespace {

using Queue = FifoQueue<std::unique_ptr<int>>;

// Fills `q` with `n` elements, then empties it.
void burst(Queue& q, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) q.emplace_back(std::make_unique<int>(static_cast<int>(i)));
  while (!q.empty()) q.pop_front();
}

}  // namespace

TEST_CASE("fifo queue: keeps a small buffer from one drain to the next", "[fifo]") {
  Queue q;
  for (int round = 0; round < 3; ++round) {
    burst(q, 5);
    CHECK(q.capacity() == 8);
  }
}

TEST_CASE("fifo queue: a queue filled in bursts keeps the buffer its bursts need", "[fifo]") {
  Queue q;
  const std::size_t big = Queue::kKeptSlots * 4;
  burst(q, big);
  const std::size_t grown = q.capacity();
  CHECK(grown >= big);
  // Many small drains between bursts, more than one review period in all: each review saw a
  // burst, so the buffer stays (giving it back at every drain made every burst regrow it).
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < Queue::kReviewDrains / 2; ++i) burst(q, 3);
    burst(q, big);
    CHECK(q.capacity() == grown);
  }
}

TEST_CASE("fifo queue: gives a spike's buffer back once a review period did not need it", "[fifo]") {
  Queue q;
  const std::size_t spike = Queue::kKeptSlots * 16;
  for (std::size_t i = 0; i < spike; ++i) q.emplace_back(std::make_unique<int>(static_cast<int>(i)));
  for (std::size_t i = 0; i + 1 < spike; ++i) q.pop_front();
  CHECK(q.capacity() >= spike);  // nothing given back while something is queued
  CHECK(*q.front() == static_cast<int>(spike - 1));
  q.pop_front();
  // The review that follows the spike saw it; the next one did not and cuts the buffer.
  for (std::size_t i = 0; i < 2 * Queue::kReviewDrains; ++i) burst(q, 10);
  CHECK(q.capacity() == Queue::kKeptSlots);
  q.emplace_back(std::make_unique<int>(1));
  CHECK(drain(q) == std::vector<int>{1});
}

#include "cluster_node.hpp"

#include <utility>

namespace cacheme::drivers::redis::detail {
namespace {

// A node whose first connect failed is tried again no sooner than this: in between, its users
// fail at once (the core goes on to the next tier) instead of each waiting for a refused connect.
constexpr std::chrono::milliseconds kRetryAfter{100};

}  // namespace

ClusterNode::ClusterNode(Reactor& reactor, RedisUrl url, std::size_t pool_size, CommandCounts& counts,
                         ClusterNodeListener& listener)
    : reactor_(reactor), url_(std::move(url)), pool_size_(pool_size), counts_(counts), listener_(listener) {}

ClusterNode::~ClusterNode() { close(); }

void ClusterNode::with_connection(Use use, std::string_view key) {
  if (closed_) return use(nullptr);
  if (state_ == State::up) return use(pick(key));
  if (state_ == State::idle) {
    if (std::chrono::steady_clock::now() - failed_at_ < kRetryAfter) return use(nullptr);
    start_pool();
  }
  waiting_.push_back(Waiter{std::move(use), std::string(key)});
}

void ClusterNode::start_pool() {
  if (pool_) retired_.push_back(std::move(pool_));
  pool_ = std::make_unique<Pool>(reactor_, url_, pool_size_, counts_, static_cast<PoolListener&>(*this));
  state_ = State::connecting;
  pool_->start();
}

Connection* ClusterNode::pick(std::string_view key) {
  Connection* c = !pool_ ? nullptr : key.empty() ? pool_->pick() : pool_->pick_for(key);
  if (!c) listener_.node_unreachable();
  return c;
}

void ClusterNode::on_first_connect(std::error_code ec) {
  // Possibly inside hiredis: sending commands is fine there (they are only buffered).
  if (ec) {
    state_ = State::idle;
    failed_at_ = std::chrono::steady_clock::now();
    listener_.node_unreachable();
  } else {
    state_ = State::up;
  }
  auto waiting = std::exchange(waiting_, {});
  for (auto& w : waiting) w.use(ec ? nullptr : pick(w.key));
  listener_.flush_soon();  // also retires the failed pool from a clean stack
}

void ClusterNode::flush() {
  retired_.clear();
  if (pool_) pool_->flush();
}

void ClusterNode::close() {
  if (closed_) return;
  closed_ = true;
  auto waiting = std::exchange(waiting_, {});
  for (auto& w : waiting) w.use(nullptr);
  if (pool_) pool_->close();
  for (auto& p : retired_) p->close();
}

}  // namespace cacheme::drivers::redis::detail

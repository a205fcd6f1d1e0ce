// Cross-process invalidation over Redis pub/sub: a subscribed RespSocket and a publishing one.
#include <hiredis/hiredis.h>

#include <array>
#include <cstdio>
#include <deque>
#include <random>

#include "cacheme/drivers/redis_invalidation.hpp"
#include "cacheme/errc.hpp"
#include "redis_url.hpp"
#include "resp_socket.hpp"

namespace cacheme::drivers {
namespace redis::detail {
namespace {

constexpr std::size_t kOriginSize = 16;  // hex digits of the origin id, then one space

std::string random_origin() {
  std::random_device rd;
  const std::uint64_t v = (std::uint64_t{rd()} << 32) ^ rd();
  std::array<char, kOriginSize + 1> buf{};
  std::snprintf(buf.data(), buf.size(), "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf.data(), kOriginSize);
}

std::string_view text_of(const redisReply& r) { return {r.str, r.len}; }

bool is_string(const redisReply& r) { return r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS; }

class Channel final : public InvalidationChannel {
 public:
  Channel(Reactor& reactor, const RedisUrl& url, std::string name, InvalidationEvents events)
      : name_(std::move(name)),
        origin_(random_origin()),
        events_(std::move(events)),
        subscriber_(reactor, target(url), {[this] { subscribe(); }, [this](const redisReply& r) { on_push(r); },
                                           [this](std::string_view why) { lost("subscriber", why); }}),
        publisher_(reactor, target(url), {[this] { drain_queue(); }, [](const redisReply&) {},
                                          [this](std::string_view why) { lost("publisher", why); }}) {
    subscriber_.start();
    publisher_.start();
  }

  void publish(std::string_view full_key) override {
    std::string message = origin_;
    message.append(1, ' ').append(full_key);
    if (!queue_.empty() || !send(message)) {
      if (queue_.size() >= kMaxQueuedInvalidations) {
        ++counts_.dropped;
        return;
      }
      queue_.push_back(std::move(message));
    }
  }

  InvalidationCounts counts() const override {
    InvalidationCounts c = counts_;
    c.queued = queue_.size();
    c.subscribed = subscribed_;
    return c;
  }

  const std::string& name() const override { return name_; }

 private:
  static RespTarget target(const RedisUrl& url) { return {url.seeds, url.user, url.password}; }

  bool send(const std::string& message) {
    const std::array<std::string_view, 3> args{"PUBLISH", name_, message};
    if (!publisher_.send(args)) return false;
    ++counts_.published;
    return true;
  }

  void drain_queue() {
    while (!queue_.empty() && send(queue_.front())) queue_.pop_front();
  }

  void subscribe() {
    const std::array<std::string_view, 2> args{"SUBSCRIBE", name_};
    subscriber_.send(args);
  }

  // A subscribed connection receives ["subscribe", channel, n] once, then ["message", channel, data].
  void on_push(const redisReply& r) {
    if (r.type != REDIS_REPLY_ARRAY || r.elements != 3 || !is_string(*r.element[0])) return;
    const std::string_view kind = text_of(*r.element[0]);
    if (kind == "subscribe") {
      subscribed_ = true;
      ++counts_.subscriptions;
      if (events_.resubscribed) events_.resubscribed();
      return;
    }
    if (kind != "message" || !is_string(*r.element[2])) return;
    const std::string_view data = text_of(*r.element[2]);
    if (data.size() <= kOriginSize || data[kOriginSize] != ' ') {
      ++counts_.malformed;
      return;
    }
    if (data.substr(0, kOriginSize) == origin_) {
      ++counts_.own;
      return;
    }
    ++counts_.received;
    if (events_.erased) events_.erased(data.substr(kOriginSize + 1));
  }

  void lost(const char* which, std::string_view why) {
    if (std::string_view(which) == "subscriber") subscribed_ = false;
    std::fprintf(stderr, "cacheme: redis: invalidation %s of channel %s lost (%.*s); reconnecting\n", which,
                 name_.c_str(), static_cast<int>(why.size()), why.data());
  }

  std::string name_;
  std::string origin_;
  InvalidationEvents events_;
  InvalidationCounts counts_;
  std::deque<std::string> queue_;
  bool subscribed_ = false;
  RespSocket subscriber_;
  RespSocket publisher_;
};

}  // namespace
}  // namespace redis::detail

std::string invalidation_channel_name(std::string_view prefix) {
  return std::string("cacheme-invalidation:").append(prefix);
}

Result<std::unique_ptr<InvalidationChannel>> open_invalidation_channel(Reactor& reactor, std::string_view url,
                                                                      std::string_view prefix,
                                                                      InvalidationEvents events) {
  auto parsed = redis::detail::parse_redis_url(url);
  if (!parsed) return fail(parsed.error());
  return std::unique_ptr<InvalidationChannel>(std::make_unique<redis::detail::Channel>(
      reactor, *parsed, invalidation_channel_name(prefix), std::move(events)));
}

}  // namespace cacheme::drivers

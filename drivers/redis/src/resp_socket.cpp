#include "resp_socket.hpp"
#include "resp_format.hpp"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cacheme::drivers::redis::detail {
namespace {

constexpr std::chrono::milliseconds kMaxBackoff{2000};
constexpr std::chrono::milliseconds kConnectTimeout{3000};

// A non-blocking TCP socket connecting to host:port; -1 when the name does not resolve or
// the connect fails at once.
int start_connect(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) return -1;
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd >= 0) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // a publish must not wait
  }
  return fd;
}

}  // namespace

RespSocket::RespSocket(Reactor& reactor, RespTarget target, RespListener listener)
    : reactor_(reactor), target_(std::move(target)), listener_(std::move(listener)) {}

RespSocket::~RespSocket() {
  *alive_ = false;
  if (timer_) reactor_.cancel(timer_);
  close_socket();
}

void RespSocket::start() { connect_next(); }

void RespSocket::connect_next() {
  timer_ = 0;
  if (target_.seeds.empty()) return fail("no host");
  const auto& [host, port] = target_.seeds[next_seed_++ % target_.seeds.size()];
  fd_ = start_connect(host, port);
  if (fd_ < 0) return fail("cannot connect");
  reader_ = redisReaderCreate();
  state_ = State::connecting;
  std::weak_ptr<bool> alive = alive_;
  timer_ = reactor_.call_after(kConnectTimeout, [this, alive] {
    if (!alive.lock()) return;
    timer_ = 0;
    if (state_ == State::connecting || state_ == State::handshake) fail("connect timed out");
  });
  reactor_.watch(fd_, Interest::write, [this](Interest ready) { on_ready(ready); });
}

void RespSocket::on_ready(Interest ready) {
  if (state_ == State::connecting) return on_connected();
  if (any(ready & Interest::read)) read_some();
  if (fd_ >= 0 && any(ready & Interest::write)) write_some();
}

void RespSocket::on_connected() {
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) return fail(std::strerror(error));
  const bool needs_auth = !target_.password.empty();
  if (needs_auth) {
    state_ = State::handshake;
    std::vector<std::string_view> auth{"AUTH"};
    if (!target_.user.empty()) auth.push_back(target_.user);
    auth.push_back(target_.password);
    queue(auth);
  }
  update_interest();
  if (!needs_auth) become_up();
}

void RespSocket::become_up() {
  state_ = State::up;
  if (timer_) reactor_.cancel(std::exchange(timer_, 0));
  backoff_ = std::chrono::milliseconds{50};
  if (was_up_) ++reconnects_;
  was_up_ = true;
  listener_.up();
}

bool RespSocket::send(std::span<const std::string_view> args) {
  if (state_ != State::up) return false;
  queue(args);
  write_some();  // at once: the caller wants the message out now, and the socket rarely blocks
  return true;
}

void RespSocket::queue(std::span<const std::string_view> args) { append_command(out_, args); }

void RespSocket::write_some() {
  while (!out_.empty()) {
    const ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    return fail(std::strerror(errno));
  }
  update_interest();
}

void RespSocket::read_some() {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return fail("connection closed by the server");
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return fail(std::strerror(errno));
    }
    if (redisReaderFeed(reader_, buf, static_cast<std::size_t>(n)) != REDIS_OK) return fail("bad reply");
    if (static_cast<std::size_t>(n) < sizeof buf) break;
  }
  std::weak_ptr<bool> alive = alive_;
  for (;;) {
    void* r = nullptr;
    if (redisReaderGetReply(reader_, &r) != REDIS_OK) return fail("bad reply");
    if (!r) break;
    auto* reply = static_cast<redisReply*>(r);
    const int fd = fd_;
    handle(*reply);
    freeReplyObject(reply);
    // The listener may have destroyed us, or a failure closed the socket.
    if (!alive.lock() || fd_ != fd) return;
  }
}

void RespSocket::handle(redisReply& reply) {
  if (state_ == State::handshake) {
    if (reply.type == REDIS_REPLY_ERROR) return fail("AUTH refused");
    return become_up();
  }
  listener_.reply(reply);
}

void RespSocket::update_interest() {
  if (fd_ < 0) return;
  reactor_.watch(fd_, out_.empty() ? Interest::read : Interest::read_write, [this](Interest ready) { on_ready(ready); });
}

void RespSocket::close_socket() {
  if (fd_ >= 0) {
    reactor_.unwatch(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  if (reader_) {
    redisReaderFree(reader_);
    reader_ = nullptr;
  }
  out_.clear();
}

// Closes the socket, tells the listener (after an `up`), and tries the next seed after the backoff.
void RespSocket::fail(std::string_view why) {
  const bool report = state_ == State::up || state_ == State::handshake;
  close_socket();
  state_ = State::waiting;
  if (timer_) reactor_.cancel(std::exchange(timer_, 0));
  std::weak_ptr<bool> alive = alive_;
  timer_ = reactor_.call_after(backoff_, [this, alive] {
    if (alive.lock()) connect_next();
  });
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  if (report) listener_.down(why);
}

}  // namespace cacheme::drivers::redis::detail

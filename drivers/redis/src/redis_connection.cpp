#include "redis_connection.hpp"
#include "reply_blocks.hpp"
#include "resp_format.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <sys/socket.h>

// hiredis 0.14's sds.h declares its functions without C linkage (hiredis.h, which includes it,
// only wraps its own): included first, here, so that sdsclear and sdsrange link.
extern "C" {
#include <hiredis/sds.h>
}
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace cacheme::drivers::redis::detail {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{2000};
// hiredis 0.14 has no connect timeout: a silent peer would hold the first connect forever.
constexpr std::chrono::milliseconds kConnectTimeout{3000};
// Command records kept for reuse per connection: a pipeline's worth and then some.
constexpr std::size_t kSpareRequests = 64;
// Bytes of read buffer a connection keeps between bursts of replies.
constexpr std::size_t kReadBufferKept = 64 * 1024;
// Room a connection's read buffer starts with (sds doubles it: 32 KiB): one 16 KiB read of
// hiredis's and the partial reply left before it.
constexpr std::size_t kReadBufferStart = 16 * 1024;

Connection* self_of(void* p) { return static_cast<Connection*>(p); }

}  // namespace

/// The privdata of one command: freed by on_reply, which hiredis calls exactly once per command
/// (with nullptr when the context is freed first).
struct Connection::Request {
  Connection* conn;
  ReplyFn fn;
};

Connection::Connection(Reactor& reactor, const RedisUrl& url, net::HostAddress& address, ConnectionListener& listener,
                       CommandCounts& counts)
    : reactor_(reactor), url_(url), address_(address), listener_(listener), counts_(counts), backoff_(kFirstBackoff) {}

Connection::~Connection() {
  state_ = State::closed;
  cancel_timers();
  free_context();
}

void Connection::connect() {
  cancel_timers();
  if (state_ == State::closed || ac_) return;
  tcp_connected_ = false;
  drop_requested_ = false;
  last_error_.clear();
  client_id_.reset();

  redisAsyncContext* ac = redisAsyncConnect(address_.current().c_str(), url_.port);
  if (!ac || ac->err) {
    last_error_ = ac ? ac->errstr : "out of memory";
    if (ac) redisAsyncFree(ac);  // no hooks attached yet: nothing calls back
    report_down_later();
    return;
  }
  // A peer that vanished without a FIN or RST (a partition, a dead host) is noticed by the
  // kernel's keepalive probes (15 s idle, then 3 probes 5 s apart: hiredis's defaults).
  redisEnableKeepAlive(&ac->c);
  ac->c.reader->fn = &reply_block_functions();  // one block per reply, reused (reply_blocks.hpp)
  // hiredis frees an idle read buffer past 16 KiB and grows a new one on the next burst of
  // replies (large blocks, each a malloc_consolidate); keep up to 64 KiB per connection.
  ac->c.reader->maxbuf = kReadBufferKept;
  // hiredis reads 16 KiB at a time into a buffer that starts empty and doubles as it fills: its
  // first bursts of replies would grow it in large steps mid-run, each a malloc_consolidate
  // over every small block the run has freed so far. Grown now, it costs a cheap one.
  if (sds grown = sdsMakeRoomFor(ac->c.reader->buf, kReadBufferStart)) ac->c.reader->buf = grown;
  ac_ = ac;
  fd_ = ac->c.fd;
  state_ = State::connecting;
  ac->data = this;
  ac->ev.data = this;
  ac->ev.addRead = &Connection::ev_add_read;
  ac->ev.delRead = &Connection::ev_del_read;
  ac->ev.addWrite = &Connection::ev_add_write;
  ac->ev.delWrite = &Connection::ev_del_write;
  ac->ev.cleanup = &Connection::ev_cleanup;
  redisAsyncSetConnectCallback(ac, &Connection::on_connect);  // also asks for write readiness
  send_handshake();  // buffered by hiredis until the socket is connected
  connect_timer_ = reactor_.call_after(kConnectTimeout, [this] {
    connect_timer_ = 0;
    if (state_ != State::connecting) return;
    last_error_ = "connect timed out";
    free_context();
    listener_.after_io();
  });
}

void Connection::reconnect_later() {
  if (state_ == State::closed || ac_) return;
  cancel_timers();
  state_ = State::waiting;
  const auto delay = backoff_;
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  reconnect_timer_ = reactor_.call_after(delay, [this] {
    reconnect_timer_ = 0;
    connect();
  });
}

void Connection::close() {
  state_ = State::closed;
  cancel_timers();
  if (in_hiredis_ > 0) {
    drop_requested_ = true;  // on_ready frees it once hiredis has returned
    return;
  }
  free_context();
}

void Connection::abort(std::string why) {
  if (!ac_ || state_ == State::closed || state_ == State::dying) return;
  last_error_ = std::move(why);
  if (in_hiredis_ > 0) {
    drop_requested_ = true;  // on_ready / flush frees it once hiredis has returned
    return;
  }
  free_context();  // the cleanup hook reports on_down: the listener reconnects
}

bool Connection::send(std::span<const std::string_view> args, ReplyFn fn) {
  if (!ac_ || args.empty() || state_ == State::dying || state_ == State::closed) return false;
  if (state_ == State::up && !kills_.empty()) send_kills();  // never inside the handshake
  command_.clear();
  append_command(command_, args);
  std::unique_ptr<Request> req = take_request();
  req->fn = std::move(fn);
  // Fails when hiredis is disconnecting or freeing the context; fn is then never called.
  if (redisAsyncFormattedCommand(ac_, &Connection::on_reply, req.get(), command_.data(), command_.size()) != REDIS_OK) {
    req->fn = nullptr;
    recycle(std::move(req));
    return false;
  }
  req.release();
  ++in_flight_;
  sent_at_.push_back(std::chrono::steady_clock::now());
  if (const auto it = counts_.find(args[0]); it != counts_.end())
    ++it->second;
  else
    counts_.emplace(std::string(args[0]), 1);
  return true;
}

void Connection::send_handshake() {
  handshake_left_ = 0;
  const auto on_reply = [this](const redisReply* r) { handshake_reply(r); };
  if (!url_.password.empty()) {
    if (url_.user.empty()) {
      const std::array<std::string_view, 2> args{"AUTH", url_.password};
      handshake_left_ += send(args, on_reply) ? 1 : 0;
    } else {
      const std::array<std::string_view, 3> args{"AUTH", url_.user, url_.password};
      handshake_left_ += send(args, on_reply) ? 1 : 0;
    }
  }
  if (url_.db != 0) {
    const std::string db = std::to_string(url_.db);
    const std::array<std::string_view, 2> args{"SELECT", db};
    handshake_left_ += send(args, on_reply) ? 1 : 0;
  }
  // The id a fence kills (see `fence`). Also, up only once the server answered: a connection
  // to a stalled server takes no commands (that could not be fenced).
  const std::array<std::string_view, 2> args{"CLIENT", "ID"};
  handshake_left_ += send(args, [this](const redisReply* r) { client_id_reply(r); }) ? 1 : 0;
}

void Connection::client_id_reply(const redisReply* r) {
  if (!r) return;  // the context is going away; the cleanup hook reports it
  // An error (a server or proxy without CLIENT ID): no id, no fence, the connection still works.
  if (r->type == REDIS_REPLY_INTEGER) client_id_ = r->integer;
  if (--handshake_left_ == 0 && tcp_connected_ && !drop_requested_) become_up();
}

void Connection::send_kills() {
  for (const long long id : std::exchange(kills_, {})) {
    const std::string text = std::to_string(id);
    const std::array<std::string_view, 4> args{"CLIENT", "KILL", "ID", text};
    send(args, [](const redisReply*) {});  // "No such client" when it is gone already: fine
  }
}

void Connection::handshake_reply(const redisReply* r) {
  if (!r) return;  // the context is going away; the cleanup hook reports it
  if (r->type == REDIS_REPLY_ERROR) {
    // Wrong password, unknown database, ...: keep the first message, drop the connection once
    // hiredis has returned (never free a context inside its own callback).
    if (last_error_.empty()) last_error_.assign(r->str, r->len);
    drop_requested_ = true;
    return;
  }
  if (--handshake_left_ == 0 && tcp_connected_ && !drop_requested_) become_up();
}

void Connection::become_up() {
  if (state_ != State::connecting) return;
  state_ = State::up;
  backoff_ = kFirstBackoff;
  ++ups_;
  if (connect_timer_) reactor_.cancel(connect_timer_);
  connect_timer_ = 0;
  listener_.on_up(*this);
}

void Connection::free_context() {
  if (!ac_) return;
  if (state_ != State::closed) state_ = State::dying;
  // Runs every pending callback with nullptr, then ev_cleanup (which clears ac_), then frees.
  redisAsyncFree(ac_);
}

void Connection::cancel_timers() {
  if (reconnect_timer_) reactor_.cancel(reconnect_timer_);
  if (connect_timer_) reactor_.cancel(connect_timer_);
  reconnect_timer_ = connect_timer_ = 0;
}

void Connection::report_down_later() {
  // Never report from inside connect(): the caller may be the pool itself.
  state_ = State::idle;
  reconnect_timer_ = reactor_.call_after(std::chrono::milliseconds(0), [this] {
    reconnect_timer_ = 0;
    listener_.on_down(*this, last_error_);
    listener_.after_io();
  });
}

void Connection::set_interest(Interest interest) {
  if (interest == interest_ || fd_ < 0) return;
  interest_ = interest;
  reactor_.watch(fd_, interest, [this](Interest ready) { on_ready(ready); });
}

void Connection::on_ready(Interest ready) {
  ++in_hiredis_;
  // Reading may end in a disconnect that frees the context (ac_ becomes nullptr).
  if (any(ready & Interest::read) && ac_) redisAsyncHandleRead(ac_);
  if (any(ready & Interest::write) && ac_) handle_write();
  --in_hiredis_;
  if (drop_requested_ && ac_) {
    drop_requested_ = false;
    free_context();
  }
  listener_.after_io();  // last: completions may close (or even destroy) the storage
}

void Connection::on_reply(redisAsyncContext*, void* reply, void* privdata) noexcept {
  std::unique_ptr<Request> req(static_cast<Request*>(privdata));
  Connection* c = req->conn;
  --c->in_flight_;
  if (!c->sent_at_.empty()) c->sent_at_.pop_front();
  // A nullptr reply means the context is being freed: pick this connection no more.
  if (!reply && c->state_ == State::up) c->state_ = State::dying;
  req->fn(static_cast<const redisReply*>(reply));
  req->fn = nullptr;  // its captures go now, not when the record is reused
  c->recycle(std::move(req));  // a connection is never destroyed inside one of its replies
}

// A command's record, from the spare ones when there are (one allocation less per command).
std::unique_ptr<Connection::Request> Connection::take_request() {
  if (spare_requests_.empty()) return std::make_unique<Request>(Request{this, nullptr});
  std::unique_ptr<Request> req = std::move(spare_requests_.back());
  spare_requests_.pop_back();
  return req;
}

void Connection::recycle(std::unique_ptr<Request> req) {
  if (spare_requests_.size() < kSpareRequests) spare_requests_.push_back(std::move(req));
}

void Connection::on_connect(const redisAsyncContext* ac, int status) noexcept {
  Connection* c = self_of(ac->data);
  if (status != REDIS_OK) {
    // hiredis frees the context right after this; the cleanup hook reports it.
    if (c->last_error_.empty()) c->last_error_ = ac->errstr ? ac->errstr : "connect failed";
    return;
  }
  c->tcp_connected_ = true;
  if (c->handshake_left_ == 0) c->become_up();
}

void Connection::ev_add_read(void* self) noexcept { self_of(self)->set_interest(self_of(self)->interest_ | Interest::read); }

void Connection::ev_del_read(void* self) noexcept {
  auto* c = self_of(self);
  c->set_interest(without(c->interest_, Interest::read));
}

// hiredis asks for writability whenever a command is buffered. While up, we rather flush at the
// end of the pump: one write for the whole batch, no epoll change, no extra loop iteration.
void Connection::ev_add_write(void* self) noexcept {
  auto* c = self_of(self);
  if (c->state_ == State::up && !c->flushing_ && c->in_hiredis_ == 0) {
    if (!c->write_pending_) {
      c->write_pending_ = true;
      c->listener_.want_flush(*c);
    }
    return;
  }
  c->set_interest(c->interest_ | Interest::write);
}

bool Connection::flush() {
  if (!write_pending_ || !ac_) {
    write_pending_ = false;
    return true;
  }
  if (in_hiredis_ > 0) return false;
  write_pending_ = false;
  flushing_ = true;
  ++in_hiredis_;
  handle_write();
  --in_hiredis_;
  flushing_ = false;
  if (drop_requested_ && ac_) {
    drop_requested_ = false;
    free_context();
  }
  return true;
}

// hiredis frees its output buffer each time a write empties it (redisBufferWrite) and grows a
// new one for the next batch: a pipeline of more than 1 KiB made one large allocation per
// flush, and each large allocation makes glibc's malloc merge all its free small blocks
// (malloc_consolidate), walking memory long out of the caches. Written here, the buffer is
// emptied and kept, also when the socket takes a burst in several writes. Before the connection
// is established, and on a failed write, hiredis's own handler runs: it completes the connect,
// or records the error and disconnects as usual.
Connection::Written Connection::write_buffer() {
  redisContext& c = ac_->c;
  if (!(c.flags & REDIS_CONNECTED) || c.err) return Written::hiredis;
  const std::size_t len = sdslen(c.obuf);
  if (len == 0) return Written::all;
  const ssize_t n = ::send(c.fd, c.obuf, len, MSG_NOSIGNAL);
  if (n == static_cast<ssize_t>(len)) {
    sdsclear(c.obuf);
    return Written::all;
  }
  if (n > 0) {
    sdsrange(c.obuf, n, -1);
    return Written::part;
  }
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? Written::part : Written::hiredis;
}

// What redisAsyncHandleWrite does once connected: watch writability while bytes remain, stop
// when none do, and always read after writing.
void Connection::handle_write() {
  switch (write_buffer()) {
    case Written::all:
      set_interest(without(interest_, Interest::write) | Interest::read);
      return;
    case Written::part:
      set_interest(interest_ | Interest::write | Interest::read);
      return;
    case Written::hiredis:
      redisAsyncHandleWrite(ac_);  // a failed write disconnects: callbacks get nullptr, ac_ clears
      return;
  }
}

void Connection::ev_del_write(void* self) noexcept {
  auto* c = self_of(self);
  c->set_interest(without(c->interest_, Interest::write));
}

void Connection::ev_cleanup(void* self) noexcept {
  // The context is being freed (by hiredis on an error, or by us): hiredis closes the fd right
  // after this returns, so stop watching it now.
  auto* c = self_of(self);
  if (c->ac_ && c->ac_->err && c->last_error_.empty()) c->last_error_ = c->ac_->errstr;
  if (c->fd_ >= 0) c->reactor_.unwatch(c->fd_);
  c->fd_ = -1;
  c->interest_ = Interest::none;
  c->ac_ = nullptr;
  if (c->connect_timer_) c->reactor_.cancel(c->connect_timer_);
  c->connect_timer_ = 0;
  if (c->state_ == State::closed) return;
  c->state_ = State::idle;
  c->listener_.on_down(*c, c->last_error_.empty() ? std::string_view("connection closed") : c->last_error_);
}

}  // namespace cacheme::drivers::redis::detail

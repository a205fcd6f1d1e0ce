// A libpq connection on the Reactor. Callbacks from the reactor hold the connection alive
// (weak_ptr locked for the duration), so a callback may make the pool close it.
#include "connection.hpp"

namespace cacheme::drivers::postgres {

void Connection::connect(const std::vector<std::pair<std::string, std::string>>& params,
                         std::chrono::milliseconds timeout, ConnectFn done) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (const auto& [k, v] : params) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  on_connect_ = std::move(done);
  state_ = State::connecting;
  conn_ = PQconnectStartParams(keys.data(), values.data(), 0);
  if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD) {
    const std::string error = conn_ ? PQerrorMessage(conn_) : "out of memory";
    std::weak_ptr<Connection> weak = weak_from_this();
    reactor_.post([weak, error] {
      if (auto self = weak.lock()) self->fail_connect(error);
    });
    return;
  }
  std::weak_ptr<Connection> weak = weak_from_this();
  timer_ = reactor_.call_after(timeout, [weak] {
    if (auto self = weak.lock()) {
      self->timer_ = 0;
      self->fail_connect("connect timed out");
    }
  });
  poll_connect();
}

void Connection::poll_connect() {
  const PostgresPollingStatusType status = PQconnectPoll(conn_);
  switch (status) {
    case PGRES_POLLING_READING: watch(Interest::read); return;
    case PGRES_POLLING_WRITING: watch(Interest::write); return;
    case PGRES_POLLING_OK: {
      if (PQsetnonblocking(conn_, 1) != 0) return fail_connect(PQerrorMessage(conn_));
      if (timer_) reactor_.cancel(timer_);
      timer_ = 0;
      state_ = State::idle;
      watch(Interest::read);  // notices a server that goes away while idle
      auto done = std::move(on_connect_);
      on_connect_ = nullptr;
      if (done) done(true, {});
      return;
    }
    default: fail_connect(PQerrorMessage(conn_)); return;
  }
}

void Connection::fail_connect(const std::string& error) {
  if (state_ != State::connecting) return;
  auto done = std::move(on_connect_);
  on_connect_ = nullptr;
  close();
  if (done) done(false, error);
}

void Connection::watch(Interest interest) {
  const int fd = PQsocket(conn_);
  if (fd != fd_ && fd_ >= 0) reactor_.unwatch(fd_);  // libpq may switch sockets while connecting
  fd_ = fd;
  if (fd_ < 0) return;
  std::weak_ptr<Connection> weak = weak_from_this();
  reactor_.watch(fd_, interest, [weak](Interest ready) {
    if (auto self = weak.lock()) self->on_ready(ready);
  });
}

void Connection::send(const Query& query, ResultFn done) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const auto& p : query.params) {
    values.push_back(p.data());
    lengths.push_back(static_cast<int>(p.size()));
    formats.push_back(query.text_params ? 0 : 1);
  }
  on_result_ = std::move(done);
  last_.reset();
  state_ = State::busy;
  const int n = static_cast<int>(query.params.size());
  if (!PQsendQueryParams(conn_, query.sql.c_str(), n, query.types.empty() ? nullptr : query.types.data(),
                         values.data(), lengths.data(), formats.data(), 1)) {
    const std::string error = PQerrorMessage(conn_);
    std::weak_ptr<Connection> weak = weak_from_this();
    reactor_.post([weak, error] {  // never complete from inside the caller's call
      if (auto self = weak.lock()) self->break_statement(error);
    });
    return;
  }
  const int flushed = PQflush(conn_);
  if (flushed < 0) {
    const std::string error = PQerrorMessage(conn_);
    std::weak_ptr<Connection> weak = weak_from_this();
    reactor_.post([weak, error] {
      if (auto self = weak.lock()) self->break_statement(error);
    });
    return;
  }
  flushing_ = flushed == 1;
  watch(flushing_ ? Interest::read_write : Interest::read);
}

void Connection::break_statement(const std::string& error) {
  auto done = std::move(on_result_);
  on_result_ = nullptr;
  close();
  if (done) done(nullptr, error);
}

void Connection::on_ready(Interest ready) {
  if (state_ == State::connecting) return poll_connect();
  if (state_ == State::broken) return;
  if (any(ready & Interest::read) && !PQconsumeInput(conn_)) {
    if (state_ == State::idle) return close();  // the server went away while idle
    return break_statement(PQerrorMessage(conn_));
  }
  if (state_ == State::idle) {
    if (PQstatus(conn_) == CONNECTION_BAD) return close();
    // Drop whatever arrived unasked (notices are handled inside libpq).
    while (!PQisBusy(conn_)) {
      PgResult r(PQgetResult(conn_));
      if (!r) break;
    }
    return;
  }
  if (flushing_) {
    const int flushed = PQflush(conn_);
    if (flushed < 0) return break_statement(PQerrorMessage(conn_));
    if (flushed == 0) {
      flushing_ = false;
      watch(Interest::read);
    }
  }
  // Collect every result of the statement; the last one decides.
  while (!PQisBusy(conn_)) {
    PgResult r(PQgetResult(conn_));
    if (!r) {
      state_ = State::idle;
      auto done = std::move(on_result_);
      on_result_ = nullptr;
      auto result = std::move(last_);
      if (done) done(std::move(result), PQerrorMessage(conn_));
      return;
    }
    last_ = std::move(r);
  }
}

void Connection::close() {
  if (timer_) reactor_.cancel(timer_);
  timer_ = 0;
  if (fd_ >= 0) reactor_.unwatch(fd_);
  fd_ = -1;
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  state_ = State::broken;
  last_.reset();
}

}  // namespace cacheme::drivers::postgres

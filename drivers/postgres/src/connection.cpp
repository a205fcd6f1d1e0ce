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
      if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1)
        return fail_connect(PQerrorMessage(conn_));
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
  // Once connected the socket stays: no reactor call per statement. (While connecting libpq may
  // close a socket and open another under the same number, so it is registered every time.)
  if (state_ != State::connecting && fd == fd_ && interest == watched_) return;
  if (fd != fd_ && fd_ >= 0) reactor_.unwatch(fd_);  // libpq may switch sockets while connecting
  fd_ = fd;
  watched_ = interest;
  if (fd_ < 0) return;
  std::weak_ptr<Connection> weak = weak_from_this();
  reactor_.watch(fd_, interest, [weak](Interest ready) {
    if (auto self = weak.lock()) self->on_ready(ready);
  });
}

void Connection::send(const Query& query, ResultFn done) {
  state_ = State::busy;
  const bool queued = queue_statement(query);
  pending_.push_back(Pending{std::move(done), {}, nullptr, false});
  if (!queued) return break_later(PQerrorMessage(conn_));
  const int flushed = PQflush(conn_);
  if (flushed < 0) return break_later(PQerrorMessage(conn_));
  flushing_ = flushed == 1;
  watch(flushing_ ? Interest::read_write : Interest::read);
}

// Appends the statement (after a Parse the first time a prepared one is sent) and its Sync to
// libpq's output buffer.
bool Connection::queue_statement(const Query& query) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const auto& p : query.params) {
    values.push_back(p.data());
    lengths.push_back(static_cast<int>(p.size()));
    formats.push_back(query.text_params ? 0 : 1);
  }
  const int n = static_cast<int>(query.params.size());
  const Oid* types = query.types.empty() ? nullptr : query.types.data();
  if (!query.prepare)
    return PQsendQueryParams(conn_, query.sql.c_str(), n, types, values.data(), lengths.data(), formats.data(), 1) &&
           PQpipelineSync(conn_);
  auto it = prepared_.find(query.sql);
  if (it == prepared_.end()) {
    // The Parse has a Sync of its own: if it fails, the statement after it fails alone.
    const std::string name = "cacheme_" + std::to_string(statements_named_++);
    if (!PQsendPrepare(conn_, name.c_str(), query.sql.c_str(), n, types) || !PQpipelineSync(conn_)) return false;
    pending_.push_back(Pending{nullptr, query.sql, nullptr, false});
    it = prepared_.emplace(query.sql, name).first;
  }
  return PQsendQueryPrepared(conn_, it->second.c_str(), n, values.data(), lengths.data(), formats.data(), 1) &&
         PQpipelineSync(conn_);
}

// Fails every statement in flight from a posted call (never inside the caller's call).
void Connection::break_later(const std::string& error) {
  std::weak_ptr<Connection> weak = weak_from_this();
  reactor_.post([weak, error] {
    if (auto self = weak.lock()) self->break_all(error);
  });
}

void Connection::break_all(const std::string& error) {
  auto pending = std::move(pending_);
  close();
  for (auto& p : pending)
    if (p.done) p.done(nullptr, error);
}

void Connection::on_ready(Interest ready) {
  if (state_ == State::connecting) return poll_connect();
  if (state_ == State::broken) return;
  if (any(ready & Interest::read) && !PQconsumeInput(conn_)) {
    if (pending_.empty()) return close();  // the server went away while idle
    return break_all(PQerrorMessage(conn_));
  }
  if (pending_.empty()) {
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
    if (flushed < 0) return break_all(PQerrorMessage(conn_));
    if (flushed == 0) {
      flushing_ = false;
      watch(Interest::read);
    }
  }
  collect_results();
}

// Reads every complete answer: a statement's results end with a null result, then comes its
// Sync's PGRES_PIPELINE_SYNC, which completes it. A callback may send more or close us.
void Connection::collect_results() {
  int nulls = 0;  // two in a row: libpq has nothing more for now
  while (!pending_.empty() && state_ != State::broken && !PQisBusy(conn_)) {
    PgResult r(PQgetResult(conn_));
    Pending& front = pending_.front();
    if (!r) {
      if (++nulls == 2) break;
      front.results_done = true;
      continue;
    }
    nulls = 0;
    if (!front.results_done) {
      if (!front.result || PQresultStatus(front.result.get()) != PGRES_FATAL_ERROR) front.result = std::move(r);
      continue;
    }
    if (PQresultStatus(r.get()) != PGRES_PIPELINE_SYNC) continue;  // nothing else is expected here
    Pending done = std::move(front);
    pending_.pop_front();
    if (pending_.empty()) state_ = State::idle;
    complete(std::move(done));
  }
}

void Connection::complete(Pending pending) {
  if (pending.done) return pending.done(std::move(pending.result), PQerrorMessage(conn_));
  const auto status = pending.result ? PQresultStatus(pending.result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK) prepared_.erase(pending.prepares);  // a later send prepares it again
}

void Connection::close() {
  if (timer_) reactor_.cancel(timer_);
  timer_ = 0;
  if (fd_ >= 0) reactor_.unwatch(fd_);
  fd_ = -1;
  watched_ = Interest::none;
  flushing_ = false;
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
  state_ = State::broken;
  pending_.clear();
  prepared_.clear();
}

}  // namespace cacheme::drivers::postgres

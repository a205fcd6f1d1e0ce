// A MariaDB connection on the Reactor. Every *_start call is continued with *_cont when the
// socket (or Connector/C's own timeout) says so; reactor callbacks hold the connection alive.
#include "connection.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstdio>

#include "sigpipe_blocked.hpp"

namespace cacheme::drivers::mysql {
namespace {

constexpr unsigned kClientErrorBase = 2000;  // CR_* codes: the connection itself failed
constexpr std::size_t kMinColumnBuffer = 64;

int wait_bits(Interest ready) {
  int bits = 0;
  if (any(ready & Interest::read)) bits |= MYSQL_WAIT_READ;
  if (any(ready & Interest::write)) bits |= MYSQL_WAIT_WRITE;
  return bits;
}

}  // namespace

void Connection::later(std::function<void(Connection&)> fn) {
  std::weak_ptr<Connection> weak = weak_from_this();
  reactor_.post([weak, fn = std::move(fn)] {
    if (auto self = weak.lock()) fn(*self);
  });
}

void Connection::connect(const ConnectParams& params, std::chrono::milliseconds timeout, ConnectFn done) {
  on_connect_ = std::move(done);
  state_ = State::connecting;
  mysql_ = mysql_init(nullptr);
  if (!mysql_) {
    return later([](Connection& c) {
      c.connected_ = nullptr;
      c.on_connected();
    });
  }
  set_options(params, timeout);
  std::weak_ptr<Connection> weak = weak_from_this();
  connect_timer_ = reactor_.call_after(timeout, [weak] {
    auto self = weak.lock();
    if (!self || self->state_ != State::connecting) return;
    self->connect_timer_ = 0;
    auto fn = std::move(self->on_connect_);
    self->on_connect_ = nullptr;
    self->close();
    if (fn) fn(false, "connect timed out");
  });
  const int status = mysql_real_connect_start(&connected_, mysql_, params.host.c_str(), params.user.c_str(),
                                              params.has_password ? params.password.c_str() : nullptr,
                                              params.database.empty() ? nullptr : params.database.c_str(),
                                              params.port, nullptr, 0);
  drive(
      status, [this](int ready) { return mysql_real_connect_cont(&connected_, mysql_, ready); },
      [this] { on_connected(); });
}

void Connection::set_options(const ConnectParams& params, std::chrono::milliseconds timeout) {
  mysql_options(mysql_, MYSQL_OPT_NONBLOCK, nullptr);
  const unsigned seconds = static_cast<unsigned>(std::max<std::int64_t>(1, (timeout.count() + 999) / 1000));
  mysql_options(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &seconds);
  mysql_options(mysql_, MYSQL_SET_CHARSET_NAME, "binary");
  if (params.statement_timeout.count() > 0) {
    // The server aborts a statement past the storage timeout, so a slow one frees its connection.
    const auto ms = params.statement_timeout.count();
    char init[96];
    std::snprintf(init, sizeof init, "SET SESSION max_statement_time=%lld.%03lld", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000));
    mysql_options(mysql_, MYSQL_INIT_COMMAND, init);  // copied by Connector/C
  }
  if (params.ssl_mode.empty() || params.ssl_mode == "disable") return;
  if (!params.ssl_ca.empty()) mysql_options(mysql_, MYSQL_OPT_SSL_CA, params.ssl_ca.c_str());
  if (!params.ssl_cert.empty()) mysql_options(mysql_, MYSQL_OPT_SSL_CERT, params.ssl_cert.c_str());
  if (!params.ssl_key.empty()) mysql_options(mysql_, MYSQL_OPT_SSL_KEY, params.ssl_key.c_str());
  my_bool on = 1;
  mysql_options(mysql_, MYSQL_OPT_SSL_ENFORCE, &on);
  // Connector/C 3.3 checks the chain and the host name together: verify-ca acts as verify-full.
  if (params.ssl_mode != "require") mysql_options(mysql_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
}

void Connection::on_connected() {
  if (connect_timer_) reactor_.cancel(connect_timer_);
  connect_timer_ = 0;
  auto done = std::move(on_connect_);
  on_connect_ = nullptr;
  if (!connected_) {
    const std::string error = mysql_ ? mysql_error(mysql_) : "out of memory";
    close();
    if (done) done(false, error);
    return;
  }
  state_ = State::idle;
  drive(MYSQL_WAIT_READ, nullptr, nullptr);  // notices a server that goes away while idle
  if (done) done(true, {});
}

void Connection::drive(int status, Cont cont, std::function<void()> then) {
  if (wait_timer_) reactor_.cancel(wait_timer_);
  wait_timer_ = 0;
  if (status == 0) {
    cont_ = nullptr;
    then_ = nullptr;
    if (then) then();
    return;
  }
  cont_ = std::move(cont);
  then_ = std::move(then);
  const int fd = static_cast<int>(mysql_get_socket(mysql_));
  if (fd != fd_ && fd_ >= 0) reactor_.unwatch(fd_);
  fd_ = fd;
  std::weak_ptr<Connection> weak = weak_from_this();
  if (fd_ >= 0) {
    Interest interest = Interest::none;
    if (status & MYSQL_WAIT_READ) interest = interest | Interest::read;
    if (status & MYSQL_WAIT_WRITE) interest = interest | Interest::write;
    reactor_.watch(fd_, interest, [weak](Interest ready) {
      if (auto self = weak.lock()) self->on_ready(wait_bits(ready));
    });
  }
  if (status & MYSQL_WAIT_TIMEOUT) {
    wait_timer_ = reactor_.call_after(std::chrono::milliseconds(mysql_get_timeout_value_ms(mysql_)), [weak] {
      if (auto self = weak.lock()) {
        self->wait_timer_ = 0;
        self->on_ready(MYSQL_WAIT_TIMEOUT);
      }
    });
  }
}

void Connection::on_ready(int ready) {
  if (state_ == State::broken) return;
  if (!cont_) {  // idle: the server closed the connection (or sent something unasked)
    close();
    return;
  }
  const int status = cont_(ready);
  drive(status, std::move(cont_), std::move(then_));
}

void Connection::execute(Statement statement, OutcomeFn done) {
  state_ = State::busy;
  current_ = std::move(statement);
  on_outcome_ = std::move(done);
  outcome_ = Outcome{};
  if (!current_.prepared) {
    const int status = mysql_real_query_start(&ret_, mysql_, current_.sql.data(), current_.sql.size());
    drive(
        status, [this](int ready) { return mysql_real_query_cont(&ret_, mysql_, ready); },
        [this] {
          if (ret_ != 0) return finish(false, mysql_error(mysql_));
          finish(true);
        });
    return;
  }
  if (auto it = statements_.find(current_.sql); it != statements_.end()) {
    stmt_ = it->second;
    return bind_and_execute();
  }
  stmt_ = mysql_stmt_init(mysql_);
  if (!stmt_) return later([](Connection& c) { c.finish(false, "mysql_stmt_init failed"); });
  prepare();
}

void Connection::prepare() {
  const int status = mysql_stmt_prepare_start(&ret_, stmt_, current_.sql.data(), current_.sql.size());
  drive(
      status, [this](int ready) { return mysql_stmt_prepare_cont(&ret_, stmt_, ready); },
      [this] {
        if (ret_ != 0) return statement_error(stmt_);
        my_bool update_max_length = 1;  // store_result sizes every column: exact buffers
        mysql_stmt_attr_set(stmt_, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max_length);
        statements_.emplace(current_.sql, stmt_);
        bind_and_execute();
      });
}

void Connection::bind_and_execute() {
  const std::size_t n = current_.params.size();
  binds_.assign(n, MYSQL_BIND{});
  lengths_.assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    MYSQL_BIND& b = binds_[i];
    if (auto* s = std::get_if<std::string>(&current_.params[i])) {
      b.buffer_type = MYSQL_TYPE_BLOB;
      b.buffer = s->data();
      b.buffer_length = s->size();
      lengths_[i] = s->size();
      b.length = &lengths_[i];
    } else if (auto* v = std::get_if<std::int64_t>(&current_.params[i])) {
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = v;
    } else {
      b.buffer_type = MYSQL_TYPE_NULL;
    }
  }
  if (n > 0 && mysql_stmt_bind_param(stmt_, binds_.data())) return later([](Connection& c) {
      c.statement_error(c.stmt_);
    });
  const int status = mysql_stmt_execute_start(&ret_, stmt_);
  drive(
      status, [this](int ready) { return mysql_stmt_execute_cont(&ret_, stmt_, ready); },
      [this] {
        if (ret_ != 0) return statement_error(stmt_);
        if (mysql_stmt_field_count(stmt_) > 0) return store_result();
        outcome_.affected = mysql_stmt_affected_rows(stmt_);
        finish(true);
      });
}

void Connection::store_result() {
  const int status = mysql_stmt_store_result_start(&ret_, stmt_);
  drive(
      status, [this](int ready) { return mysql_stmt_store_result_cont(&ret_, stmt_, ready); },
      [this] {
        if (ret_ != 0) return statement_error(stmt_);
        read_rows();
      });
}

// The rows are in memory after store_result: fetching them does no I/O.
void Connection::read_rows() {
  MYSQL_RES* meta = mysql_stmt_result_metadata(stmt_);
  if (!meta) return statement_error(stmt_);
  const unsigned n = mysql_num_fields(meta);
  MYSQL_FIELD* fields = mysql_fetch_fields(meta);
  std::vector<std::string> buffers(n);
  binds_.assign(n, MYSQL_BIND{});
  lengths_.assign(n, 0);
  nulls_.assign(n, 0);
  for (unsigned i = 0; i < n; ++i) {
    buffers[i].resize(std::max<std::size_t>(fields[i].max_length, kMinColumnBuffer));
    binds_[i].buffer_type = MYSQL_TYPE_STRING;
    binds_[i].buffer = buffers[i].data();
    binds_[i].buffer_length = buffers[i].size();
    binds_[i].length = &lengths_[i];
    binds_[i].is_null = &nulls_[i];
  }
  mysql_free_result(meta);
  bool ok = mysql_stmt_bind_result(stmt_, binds_.data()) == 0;
  int rc = 0;
  while (ok && (rc = mysql_stmt_fetch(stmt_)) == 0) {
    std::vector<std::string> row(n);
    for (unsigned i = 0; i < n; ++i)
      if (!nulls_[i]) row[i].assign(buffers[i].data(), std::min<std::size_t>(lengths_[i], buffers[i].size()));
    outcome_.rows.push_back(std::move(row));
  }
  ok = ok && rc == MYSQL_NO_DATA;
  const std::string error = ok ? std::string() : mysql_stmt_error(stmt_);
  mysql_stmt_free_result(stmt_);
  finish(ok, error);
}

void Connection::statement_error(MYSQL_STMT* stmt) {
  const unsigned code = mysql_stmt_errno(stmt);
  const std::string error = mysql_stmt_error(stmt);
  // A failed statement handle is not reused.
  for (auto it = statements_.begin(); it != statements_.end(); ++it)
    if (it->second == stmt) {
      statements_.erase(it);
      break;
    }
  mysql_stmt_close(stmt);
  stmt_ = nullptr;
  if (code >= kClientErrorBase) {  // the connection is gone
    auto done = std::move(on_outcome_);
    on_outcome_ = nullptr;
    close();
    Outcome outcome;
    outcome.error = error;
    if (done) done(std::move(outcome));
    return;
  }
  finish(false, error);
}

void Connection::finish(bool ok, std::string error) {
  outcome_.ok = ok;
  outcome_.error = std::move(error);
  state_ = State::idle;
  current_ = Statement{};
  drive(MYSQL_WAIT_READ, nullptr, nullptr);
  auto done = std::move(on_outcome_);
  on_outcome_ = nullptr;
  if (done) done(std::move(outcome_));
}

void Connection::close() {
  if (mysql_ && state_ != State::idle) {
    // A statement or handshake in flight: the server may be stalled with our socket buffer full.
    // After shutdown, COM_STMT_CLOSE and COM_QUIT fail at once rather than block the loop.
    const auto socket = mysql_get_socket(mysql_);
    if (static_cast<int>(socket) >= 0) ::shutdown(static_cast<int>(socket), SHUT_RDWR);
  }
  SigpipeBlocked quiet;  // a write on the shut-down socket, through TLS, would raise SIGPIPE
  if (connect_timer_) reactor_.cancel(connect_timer_);
  if (wait_timer_) reactor_.cancel(wait_timer_);
  connect_timer_ = wait_timer_ = 0;
  if (fd_ >= 0) reactor_.unwatch(fd_);
  fd_ = -1;
  cont_ = nullptr;
  then_ = nullptr;
  bool cached = false;
  for (auto& [sql, stmt] : statements_) {
    cached = cached || stmt == stmt_;
    mysql_stmt_close(stmt);
  }
  statements_.clear();
  if (stmt_ && !cached) mysql_stmt_close(stmt_);  // one being prepared
  stmt_ = nullptr;
  if (mysql_) mysql_close(mysql_);
  mysql_ = nullptr;
  state_ = State::broken;
}

}  // namespace cacheme::drivers::mysql

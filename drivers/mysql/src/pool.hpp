// A pool of MySQL connections, grown on demand up to pool_size, serving a FIFO of operations.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "cacheme/drivers/sql/keys.hpp"
#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/drivers/storage.hpp"
#include "connection.hpp"
#include "queries.hpp"

namespace cacheme::drivers::mysql {

/// One storage operation: its statements run in order on one connection.
struct Operation {
  core::IoId id;
  bool is_fetch = false;
  bool is_sweep = false;
  std::vector<std::string> keys;  // a fetch's requested keys, in order
  std::vector<Statement> steps;   // empty: nothing to ask the server
  std::size_t next = 0;           // the next step to run
  core::IoStatus preset = core::IoStatus::ok;  // the outcome when there are no steps
  const char* command = "";       // counted per statement
  std::vector<std::vector<std::string>> rows;  // gathered from every step
  std::uint64_t affected = 0;
};

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  Pool(Reactor& reactor, CompletionSink sink, sql::Settings settings, ConnectParams params)
      : reactor_(reactor), sink_(std::move(sink)), settings_(std::move(settings)), params_(std::move(params)),
        queries_(settings_.table) {}

  /// Opens the first connection and checks (or creates) the table; `done` runs from a callback.
  void open(std::function<void(std::error_code)> done);

  void fetch(core::FetchRequest req);
  void store(core::StoreRequest req);
  void erase(core::EraseRequest req);
  void flush_prefix(core::IoId id, std::string prefix);

  std::map<std::string, std::uint64_t> counts() const { return counts_; }

  /// Closes every connection; queued and running operations complete with backend_error (posted).
  void close();

 private:
  void submit(Operation op);
  void schedule_pump();
  void pump();
  void grow();
  void run(const std::shared_ptr<Connection>& conn, Operation op);
  void step(const std::shared_ptr<Connection>& conn);
  void finish(Operation& op, bool ok);
  void fail_all_queued();
  void post_failures(std::vector<Operation> ops);
  void ensure_schema(const std::shared_ptr<Connection>& conn, std::function<void(std::error_code)> done);
  void apply_schema(const std::shared_ptr<Connection>& conn, std::size_t index,
                    std::function<void(std::error_code)> done);

  Reactor& reactor_;
  CompletionSink sink_;
  sql::Settings settings_;
  ConnectParams params_;
  Queries queries_;
  std::vector<std::shared_ptr<Connection>> conns_;
  std::map<Connection*, Operation> running_;
  std::deque<Operation> queue_;
  std::map<std::string, std::uint64_t> counts_;
  sql::SweepSchedule sweep_;
  bool pump_scheduled_ = false;
  bool closed_ = false;
};

}  // namespace cacheme::drivers::mysql

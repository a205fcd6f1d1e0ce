// A pool of MySQL connections (sql::LazyPool): the statements each operation runs, in order, on one
// connection, and the table check at open.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "cacheme/drivers/sql/lazy_pool.hpp"
#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/drivers/storage.hpp"
#include "connection.hpp"
#include "queries.hpp"

namespace cacheme::drivers::mysql {

/// One storage operation: its statements run in order on one connection. A fetch's or a store's
/// statements are built when it leaves the queue, over its riders too.
struct Operation : sql::PoolOperation {
  std::vector<Statement> steps;  // an erase's, a prefix flush's or a sweep's (empty: nothing to ask)
  std::size_t next = 0;          // the next step to run
  std::vector<std::vector<std::string>> rows;  // gathered from every step
  std::uint64_t affected = 0;
  std::vector<Operation> riders;  // batched with this one (see sql::LazyPool)
};

class Pool : public sql::LazyPool<Pool, Connection, Operation, ConnectParams> {
 public:
  Pool(Reactor& reactor, CompletionSink sink, sql::Settings settings, ConnectParams params)
      : LazyPool("mysql", sql::Dialect::mysql, reactor, std::move(sink), std::move(settings), std::move(params)),
        queries_(settings_.table) {}

  void fetch(core::FetchRequest req);
  void store(core::StoreRequest req);
  void erase(core::EraseRequest req);
  void flush_prefix(core::IoId id, std::string prefix);

 private:
  friend LazyPool;

  bool needs_server(const Operation& op) const;
  /// Connector/C's non-blocking API runs one command at a time on a connection.
  std::size_t pipeline_depth() const { return 1; }
  std::vector<Statement> statements(const Operation& op) const;
  void prepare_sweep(Operation& op) { op.steps.push_back(queries_.sweep()); }
  void run(const std::shared_ptr<Connection>& conn, Operation op);
  void step(const std::shared_ptr<Connection>& conn);
  void finish(Operation& op, bool ok);
  void check_table(const std::shared_ptr<Connection>& conn, TableFn done);
  void execute_ddl(const std::shared_ptr<Connection>& conn, const std::string& sql, DdlFn done);

  Queries queries_;
};

}  // namespace cacheme::drivers::mysql

// A pool of PostgreSQL connections (sql::LazyPool): the one query each operation sends, its
// result, and the table check at open.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "cacheme/drivers/sql/lazy_pool.hpp"
#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/drivers/storage.hpp"
#include "connection.hpp"
#include "queries.hpp"

namespace cacheme::drivers::postgres {

/// One storage operation waiting for, or running on, a connection. A fetch's or a store's query
/// is built when it leaves the queue, over its riders too.
struct Operation : sql::PoolOperation {
  std::optional<Query> query;     // an erase's, a prefix flush's or a sweep's (absent: nothing to ask)
  std::vector<Operation> riders;  // batched with this one (see sql::LazyPool)
};

/// libpq connection keywords and values.
using ConnectParams = std::vector<std::pair<std::string, std::string>>;

class Pool : public sql::LazyPool<Pool, Connection, Operation, ConnectParams> {
 public:
  using Params = ConnectParams;

  Pool(Reactor& reactor, CompletionSink sink, sql::Settings settings, Params params)
      : LazyPool("postgres", sql::Dialect::postgresql, reactor, std::move(sink), std::move(settings),
                 std::move(params)),
        queries_(settings_.table) {}

  void fetch(core::FetchRequest req);
  void store(core::StoreRequest req);
  void erase(core::EraseRequest req);
  void flush_prefix(core::IoId id, std::string prefix);

 private:
  friend LazyPool;

  bool needs_server(const Operation& op) const;
  std::size_t pipeline_depth() const { return settings_.pipeline; }
  Query query_for(Operation& op) const;
  void prepare_sweep(Operation& op) { op.query = queries_.sweep(); }
  void run(const std::shared_ptr<Connection>& conn, Operation op);
  void finish(Operation& op, PgResult result);
  void check_table(const std::shared_ptr<Connection>& conn, TableFn done);
  void execute_ddl(const std::shared_ptr<Connection>& conn, const std::string& sql, DdlFn done);

  Queries queries_;
};

}  // namespace cacheme::drivers::postgres

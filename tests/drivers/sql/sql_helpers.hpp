// Direct (blocking) access to the test databases, to look behind a storage's back: count rows,
// drop tables. Never used by the drivers themselves.
#pragma once

#include <string>
#include <vector>

#include "cacheme/drivers/storage.hpp"

namespace cacheme::test::sql {

enum class Backend { sqlite, postgres, mysql };

/// One database the suite runs against.
struct Target {
  Backend backend;
  std::string name;  ///< "sqlite", "postgres", "mysql"
  std::string url;   ///< without a query
};

/// The built backends whose server is configured; `missing` gets those whose URL is unset.
std::vector<Target> targets(std::vector<std::string>& missing);

/// `target.url` with `?table=<table>` and `extra` ("&init=1", ...).
std::string url_for(const Target& target, const std::string& table, const std::string& extra = "");

/// A table name unique to this process and call.
std::string unique_table();

/// Rows in `table`, or -1 on an error.
long long count_rows(const Target& target, const std::string& table);

/// Runs `statement` (no parameters: test-made table names only); false on an error.
bool execute(const Target& target, const std::string& statement);

/// Calls the `connect_*` of `backend`; false when that driver is not built.
bool connect_storage(Backend backend, drivers::Reactor& reactor, const std::string& url,
                     const drivers::StorageOptions& options, drivers::CompletionSink sink, drivers::ConnectDone done);

}  // namespace cacheme::test::sql

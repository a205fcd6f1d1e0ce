#include "sql_helpers.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "cacheme/drivers/sql/url.hpp"

#if CACHEME_TEST_SQLITE
#include <sqlite3.h>

#include "cacheme/drivers/sqlite.hpp"
#endif
#if CACHEME_TEST_POSTGRES
#include <libpq-fe.h>

#include "cacheme/drivers/postgres.hpp"
#endif
#if CACHEME_TEST_MYSQL
#include <mysql.h>

#include "cacheme/drivers/mysql.hpp"
#endif

namespace cacheme::test::sql {
namespace {

// A temporary folder for the SQLite files, removed at exit.
struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("cacheme-sql-test-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

const std::filesystem::path& temp_dir() {
  static TempDir dir;
  return dir.path;
}

[[maybe_unused]] std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

#if CACHEME_TEST_SQLITE
long long sqlite_query(const Target& t, const std::string& statement, bool count) {
  sqlite3* db = nullptr;
  const std::string path = t.url.substr(std::string("sqlite://").size());
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    sqlite3_close(db);
    return -1;
  }
  sqlite3_busy_timeout(db, 5000);
  long long result = -1;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, statement.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    const int rc = sqlite3_step(st);
    if (count && rc == SQLITE_ROW) result = sqlite3_column_int64(st, 0);
    if (!count && (rc == SQLITE_DONE || rc == SQLITE_ROW)) result = 0;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return result;
}
#endif

#if CACHEME_TEST_POSTGRES
long long postgres_query(const Target& t, const std::string& statement, bool count) {
  PGconn* conn = PQconnectdb(t.url.c_str());
  long long result = -1;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* r = PQexec(conn, statement.c_str());
    const auto status = PQresultStatus(r);
    if (count && status == PGRES_TUPLES_OK && PQntuples(r) == 1) result = std::atoll(PQgetvalue(r, 0, 0));
    if (!count && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) result = 0;
    PQclear(r);
  }
  PQfinish(conn);
  return result;
}
#endif

#if CACHEME_TEST_MYSQL
long long mysql_run(const Target& t, const std::string& statement, bool count) {
  auto url = drivers::sql::parse_url(t.url);
  if (!url) return -1;
  MYSQL* m = mysql_init(nullptr);
  long long result = -1;
  const std::string db = url->path.size() > 1 ? url->path.substr(1) : "";
  if (mysql_real_connect(m, url->host.c_str(), url->user.c_str(), url->password ? url->password->c_str() : nullptr,
                         db.c_str(), url->port.value_or(3306), nullptr, 0)) {
    if (mysql_real_query(m, statement.data(), statement.size()) == 0) {
      MYSQL_RES* res = mysql_store_result(m);
      if (count && res) {
        MYSQL_ROW row = mysql_fetch_row(res);
        if (row && row[0]) result = std::atoll(row[0]);
      }
      if (!count) result = 0;
      if (res) mysql_free_result(res);
    }
  }
  mysql_close(m);
  return result;
}
#endif

long long run(const Target& t, const std::string& statement, bool count) {
  switch (t.backend) {
#if CACHEME_TEST_SQLITE
    case Backend::sqlite: return sqlite_query(t, statement, count);
#endif
#if CACHEME_TEST_POSTGRES
    case Backend::postgres: return postgres_query(t, statement, count);
#endif
#if CACHEME_TEST_MYSQL
    case Backend::mysql: return mysql_run(t, statement, count);
#endif
    default: return -1;
  }
}

}  // namespace

std::vector<Target> targets([[maybe_unused]] std::vector<std::string>& missing) {
  std::vector<Target> out;
#if CACHEME_TEST_SQLITE
  out.push_back({Backend::sqlite, "sqlite", "sqlite://" + (temp_dir() / "cache.db").string()});
#endif
#if CACHEME_TEST_POSTGRES
  if (auto url = env("CACHEME_TEST_POSTGRES_URL"); !url.empty())
    out.push_back({Backend::postgres, "postgres", url});
  else
    missing.push_back("CACHEME_TEST_POSTGRES_URL");
#endif
#if CACHEME_TEST_MYSQL
  if (auto url = env("CACHEME_TEST_MYSQL_URL"); !url.empty())
    out.push_back({Backend::mysql, "mysql", url});
  else
    missing.push_back("CACHEME_TEST_MYSQL_URL");
#endif
  return out;
}

std::string url_for(const Target& target, const std::string& table, const std::string& extra) {
  return target.url + "?table=" + table + extra;
}

std::string unique_table() {
  static std::atomic<int> counter{0};
  return "cache_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

long long count_rows(const Target& target, const std::string& table) {
  return run(target, "SELECT COUNT(*) FROM " + table, true);
}

bool execute(const Target& target, const std::string& statement) { return run(target, statement, false) == 0; }

bool connect_storage([[maybe_unused]] Backend backend, [[maybe_unused]] drivers::Reactor& reactor,
                     [[maybe_unused]] const std::string& url, [[maybe_unused]] const drivers::StorageOptions& options,
                     [[maybe_unused]] drivers::CompletionSink sink, [[maybe_unused]] drivers::ConnectDone done) {
  switch (backend) {
#if CACHEME_TEST_SQLITE
    case Backend::sqlite: drivers::connect_sqlite(reactor, url, options, std::move(sink), std::move(done)); return true;
#endif
#if CACHEME_TEST_POSTGRES
    case Backend::postgres:
      drivers::connect_postgres(reactor, url, options, std::move(sink), std::move(done));
      return true;
#endif
#if CACHEME_TEST_MYSQL
    case Backend::mysql: drivers::connect_mysql(reactor, url, options, std::move(sink), std::move(done)); return true;
#endif
    default: return false;
  }
}

}  // namespace cacheme::test::sql

// The SQL storages under a stalled, locked or restarted server (label integration): PostgreSQL
// and MariaDB on servers of the test's own (scripts/services.sh), stalled with SIGSTOP under
// load, then stopped and started again, then reached by a host name that moves; SQLite with its
// file locked by another connection; TLS against the shared test servers and their throwaway CA.
#include <catch2/catch.hpp>

#if CACHEME_TEST_SQLITE
#include <sqlite3.h>
#endif

#include <cstdlib>
#include <string>
#include <tuple>

#include "cacheme/errc.hpp"
#include "load_client.hpp"
#include "reactor_loops.hpp"
#if CACHEME_TEST_POSTGRES || CACHEME_TEST_MYSQL
#include "follow_the_name.hpp"
#endif
#include "service_instance.hpp"
#include "sql_helpers.hpp"
#include "storage_client.hpp"

namespace {

using namespace std::chrono_literals;
using cacheme::test::sql::Backend;
using cacheme::test::sql::LoadClient;
using cacheme::test::sql::rss_kib;
using cacheme::test::sql::ServiceInstance;
using Loop = std::tuple_element_t<0, cacheme::test::Loops>;  // one reactor: each run starts a server
using Clock = std::chrono::steady_clock;

constexpr auto kTimeout = 300ms;
constexpr std::size_t kCap = 200;
constexpr int kPerStep = 1000;  // operations started every ~5 ms while stalled: ~200,000 a second
// Without the cap, 3 s of that queue ~600,000 operations (hundreds of MiB); with it, nothing grows.
constexpr long kRssCeilingKib = 48 * 1024;

[[maybe_unused]] bool may_run(const char* url_variable) {  // unused when no server backend is built
  const char* require = std::getenv("CACHEME_REQUIRE_SERVERS");
  if (require && std::string(require) == "1") return true;
  if (std::getenv(url_variable)) return true;
  WARN(url_variable << " is not set: the server test did not run");
  return false;
}

std::string options(const std::string& table) {
  return "?table=" + table + "&init=1&pool_size=4&timeout=" + std::to_string(kTimeout.count()) +
         "&max_outstanding=" + std::to_string(kCap);
}

// Load until `until`, checking the cap on every step; returns the highest RSS seen.
long load_for(LoadClient<Loop>& c, Clock::duration length, int per_step) {
  long peak = rss_kib();
  const auto until = Clock::now() + length;
  while (Clock::now() < until) {
    c.issue(per_step);
    c.step();
    REQUIRE(c.storage->health().outstanding <= kCap);
    peak = std::max(peak, rss_kib());
  }
  return peak;
}

// What every stall must show once it is over and the client drained: nothing came back for an
// abandoned operation, refusals were immediate, memory stayed flat, the storage served again
// within a second, and its health counted what happened.
void check_stall(LoadClient<Loop>& c, const cacheme::drivers::StorageHealth& during, long before, long peak,
                 Clock::duration recovered) {
  INFO("RSS before " << before << " KiB, peak " << peak << " KiB; recovered in "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(recovered).count() << " ms; ok " << c.ok
                     << ", errors " << c.errors << ", abandoned " << c.abandoned);
  CHECK(c.late == 0);
  CHECK(c.overloaded > 0);
  CHECK(c.slowest_refusal < 100ms);
  CHECK(peak - before < kRssCeilingKib);
  CHECK(recovered < 1s);
  CHECK(during.abandoned > 0);
  CHECK(c.storage->health().overloaded == c.overloaded);
  CHECK(c.storage->health().outstanding == 0);
}

// SIGSTOP under load for 3 s: refusals are immediate, nothing comes back for an abandoned
// operation, memory stays flat, stalled connections are closed, and after SIGCONT the pool
// serves again within a second.
void stall_under_load(ServiceInstance& server, LoadClient<Loop>& c) {
  load_for(c, 300ms, 20);  // warm: connections up, the process's memory at its working size
  REQUIRE(c.ok > 0);
  const long before = rss_kib();
  REQUIRE(server.signal("STOP"));
  const long peak = load_for(c, 3s, kPerStep);
  const auto during = c.storage->health();
  REQUIRE(server.signal("CONT"));
  const auto woke = Clock::now();
  const auto ok_before = c.ok;
  while (c.ok == ok_before && Clock::now() - woke < 5s) {
    c.issue(5);
    c.step();
  }
  const auto recovered = *c.last_ok - woke;
  c.drain();
  check_stall(c, during, before, peak, recovered);
  CHECK(during.connection_timeouts >= 1);
}

// The server stopped: operations fail promptly (no wait for the timeout), then the pool
// reconnects once it is back.
void restart(ServiceInstance& server, LoadClient<Loop>& c) {
  const auto reconnects = c.storage->health().reconnects;
  REQUIRE(server.stop());
  load_for(c, 300ms, 5);  // the pool notices
  const auto abandoned = c.abandoned;
  const auto errors = c.errors;
  load_for(c, 1s, 5);
  c.drain();
  CHECK(c.errors > errors);
  CHECK(c.abandoned == abandoned);  // every operation failed before its timeout
  REQUIRE(server.resume());
  const auto back = Clock::now();
  const auto ok_before = c.ok;
  while (c.ok == ok_before && Clock::now() - back < 5s) {
    c.issue(5);
    c.step();
  }
  CHECK(c.ok > ok_before);
  c.drain();
  CHECK(c.late == 0);
  CHECK(c.storage->health().reconnects > reconnects);
  CHECK(c.storage->health().connections_up >= 1);
}

[[maybe_unused]] void stall_and_restart(const char* kind, Backend backend) {
  ServiceInstance server(kind);
  REQUIRE(server.start());
  LoadClient<Loop> c(kTimeout);
  REQUIRE(c.connect(backend, server.url() + options("stall")) == std::error_code{});
  stall_under_load(server, c);
  restart(server, c);
#if CACHEME_TEST_POSTGRES || CACHEME_TEST_MYSQL
  cacheme::test::sql::follow_the_name(server, backend);  // the server at hand: another costs 30 s to start
#endif
}

}  // namespace

#if CACHEME_TEST_POSTGRES
TEST_CASE("postgres: stalled by SIGSTOP under load, then restarted", "[sql][stall][postgres]") {
  if (may_run("CACHEME_TEST_POSTGRES_URL")) stall_and_restart("pg", Backend::postgres);
}
#endif

#if CACHEME_TEST_POSTGRES
// Six statements pipelined on the one connection while its backend is stopped, then the backend is
// killed (the postmaster restarts the whole server): the six fail at once, in order, and the pool
// connects again once the server is back.
TEST_CASE("postgres: a server restart in the middle of a pipeline", "[sql][pipeline][postgres]") {
  if (!may_run("CACHEME_TEST_POSTGRES_URL")) return;
  ServiceInstance server("pg");
  REQUIRE(server.start());
  const cacheme::test::sql::Target target{Backend::postgres, "postgres", server.url()};
  cacheme::test::sql::Client<Loop> c;
  REQUIRE(c.connect(target, server.url() + "?table=pipe&init=1&pool_size=1&batch=1&pipeline=8&timeout=5000") ==
          std::error_code{});
  REQUIRE(c.set("r:1", "one") == cacheme::core::IoStatus::ok);
  // The server runs with synchronous_commit=off: let the WAL writer flush the table and the row
  // before the crash, so that recovery keeps them.
  c.loop.run_for(700ms);
  REQUIRE(server.signal_backends(SIGSTOP) == 1);
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(c.id().v);
    c.storage->start(cacheme::core::FetchRequest{{ids.back()}, {1}, {"r:1"}});
  }
  REQUIRE(c.loop.run_until([&] { return c.storage->command_counts()["SELECT"] == 6; }, 5s));
  c.completed.clear();
  REQUIRE(server.signal_backends(SIGKILL) == 1);
  const auto killed = Clock::now();
  REQUIRE(c.loop.run_until([&] { return c.completed.size() == ids.size(); }, 5s));
  CHECK(Clock::now() - killed < 2s);  // not the 5 s timeout: the connection broke
  CHECK(c.completed == ids);
  for (auto id : ids) CHECK(c.fetched[id].status == cacheme::core::IoStatus::backend_error);
  // Back after the restart (crash recovery), on a new connection.
  std::optional<std::string> value;
  const auto deadline = Clock::now() + 15s;
  while (!value && Clock::now() < deadline) {
    // Not c.fetch (5 s): a fetch queued behind a connect to the recovering server completes only
    // when that connect times out (connect_timeout, 5 s by default).
    const auto io = c.id();
    c.storage->start(cacheme::core::FetchRequest{io, {1}, {"r:1"}});
    REQUIRE(c.loop.run_until([&] { return c.fetched.count(io.v) > 0; }, 15s));
    const auto& r = c.fetched[io.v];
    if (r.status == cacheme::core::IoStatus::ok) value = r.values.at(0).value_or("(miss)");
    else c.loop.run_for(100ms);
  }
  CHECK(value == "one");
  CHECK(c.storage->health().reconnects >= 1);
}
#endif

#if CACHEME_TEST_MYSQL
TEST_CASE("mysql: stalled by SIGSTOP under load, then restarted", "[sql][stall][mysql]") {
  if (may_run("CACHEME_TEST_MYSQL_URL")) stall_and_restart("maria", Backend::mysql);
}
#endif

#if CACHEME_TEST_SQLITE
TEST_CASE("sqlite: the file locked by another connection under load", "[sql][stall][sqlite]") {
  std::vector<std::string> missing;
  const auto targets = cacheme::test::sql::targets(missing);
  const auto& target = targets.front();
  REQUIRE(target.backend == Backend::sqlite);
  LoadClient<Loop> c(kTimeout);
  const std::string table = cacheme::test::sql::unique_table();
  REQUIRE(c.connect(Backend::sqlite, target.url + options(table)) == std::error_code{});
  load_for(c, 300ms, 20);
  REQUIRE(c.ok > 0);
  const long before = rss_kib();

  sqlite3* locker = nullptr;
  REQUIRE(sqlite3_open(target.url.substr(std::string("sqlite://").size()).c_str(), &locker) == SQLITE_OK);
  REQUIRE(sqlite3_exec(locker, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
  const long peak = load_for(c, 2s, kPerStep);
  const auto during = c.storage->health();
  REQUIRE(sqlite3_exec(locker, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(locker);
  // WAL: the lock stops writers only, so recovery is the first store that succeeds.
  const auto unlocked = Clock::now();
  while ((!c.last_ok_store || *c.last_ok_store < unlocked) && Clock::now() - unlocked < 5s) {
    c.issue(8);
    c.step();
  }
  REQUIRE(c.last_ok_store);
  const auto recovered = *c.last_ok_store - unlocked;
  c.drain();
  check_stall(c, during, before, peak, recovered);
  CHECK(during.connections_up == 0);  // its writes fail behind the lock
  c.loop.run_for(2 * kTimeout);  // health's memory of the last failure
  CHECK(c.storage->health().connections_up == 1);
  CHECK(c.storage->health().outstanding == 0);
}
#endif

// TLS with the throwaway CA of scripts/services.sh (CACHEME_TEST_TLS_DIR): verified connections
// work, a wrong CA fails the handshake, bad options are clear errors at registration.
TEST_CASE("postgres, mysql: TLS options from the URL", "[sql][tls]") {
  std::vector<std::string> missing;
  const auto targets = cacheme::test::sql::targets(missing);
  const char* dir = std::getenv("CACHEME_TEST_TLS_DIR");
  if (!dir) {
    const char* require = std::getenv("CACHEME_REQUIRE_SERVERS");
    if (require && std::string(require) == "1") FAIL("CACHEME_TEST_TLS_DIR is not set");
    WARN("CACHEME_TEST_TLS_DIR is not set: TLS did not run");
    return;
  }
  const std::string tls = dir;
  for (const auto& t : targets) {
    if (t.backend == Backend::sqlite) continue;
    INFO("backend: " << t.name);
    const std::string table = cacheme::test::sql::unique_table();
    const std::string client = "&sslcert=" + tls + "/client.crt&sslkey=" + tls + "/client.key";
    {
      LoadClient<Loop> c(1000ms);
      REQUIRE(c.connect(t.backend, t.url + options(table) + "&sslmode=verify-full&sslrootcert=" + tls + "/ca.crt" +
                                       client) == std::error_code{});
      c.issue(8);
      c.drain();
      CHECK(c.ok == 8);
    }
    LoadClient<Loop> c(1000ms);
    // The client certificate is not a CA: the server's certificate cannot be verified.
    CHECK(c.connect(t.backend, t.url + options(table) + "&sslmode=verify-ca&sslrootcert=" + tls + "/client.crt") ==
          make_error_code(cacheme::errc::connect_failed));
    CHECK(c.connect(t.backend, t.url + options(table) + "&sslmode=require") == std::error_code{});
    for (const std::string& bad : std::vector<std::string>{"&sslmode=sometimes", "&sslmode=verify-full",
                                                          "&sslrootcert=/nonexistent/ca.crt",
                                  "&sslcert=" + tls + "/client.crt", "&max_outstanding=0"}) {
      INFO(bad);
      CHECK(c.connect(t.backend, t.url + options(table) + bad) == make_error_code(cacheme::errc::bad_option));
    }
    cacheme::test::sql::execute(t, "DROP TABLE IF EXISTS " + table);
  }
}

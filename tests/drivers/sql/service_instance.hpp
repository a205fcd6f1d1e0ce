// A PostgreSQL or MariaDB server of the test's own, through the project's scripts/services.sh
// (a throwaway SVC_BASE and a free port), for the tests that stall, stop and restart it: the
// servers other tests share are never touched.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/redis_server.hpp"  // free_port

namespace cacheme::test::sql {

class ServiceInstance {
 public:
  /// `kind`: "pg" or "maria".
  explicit ServiceInstance(std::string kind) : kind_(std::move(kind)) {}
  ~ServiceInstance() {
    if (started_) run("stop " + kind_);
    std::error_code ec;
    if (!base_.empty()) std::filesystem::remove_all(base_, ec);
  }
  ServiceInstance(const ServiceInstance&) = delete;
  ServiceInstance& operator=(const ServiceInstance&) = delete;

  /// Creates and starts the server (a fresh data directory); false on a failure.
  bool start() {
    char tmpl[] = "/tmp/cacheme-svc-XXXXXX";
    if (!::mkdtemp(tmpl)) return false;
    base_ = tmpl;
    std::filesystem::permissions(base_, std::filesystem::perms(0755));  // postgres and mysql enter it
    port_ = test_support::free_port();
    started_ = run("start " + kind_);
    return started_;
  }
  /// `services.sh signal STOP|CONT`: stalls or wakes every process of the server.
  bool signal(const std::string& sig) { return run("signal " + sig + " " + kind_); }
  /// PostgreSQL: sends `sig` to the backends serving the test database (the postmaster's
  /// children with "appdb" on their command line), not to the server itself; how many got it.
  int signal_backends(int sig) const {
    std::ifstream pid_file(base_ + "/pg/postmaster.pid");
    std::string postmaster;
    std::getline(pid_file, postmaster);
    int sent = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string pid = entry.path().filename();
      if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      std::getline(stat, line);
      std::istringstream fields(line.substr(line.rfind(')') + 1));  // after "pid (comm)"
      std::string state, parent;
      fields >> state >> parent;
      std::ifstream cmdline(entry.path() / "cmdline");
      const std::string command((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
      if (parent != postmaster || command.find("appdb") == std::string::npos) continue;
      if (::kill(std::stoi(pid), sig) == 0) ++sent;
    }
    return sent;
  }
  /// Stops the server, keeping its data; `resume` starts it again on the same port.
  bool stop() { return run("stop " + kind_); }
  bool resume() { return run("resume " + kind_); }

  /// The storage URL of the server's test database.
  std::string url() const {
    const std::string port = std::to_string(port_);
    if (kind_ == "pg") return "postgresql://postgres@127.0.0.1:" + port + "/appdb";
    return "mysql://app:apppw@127.0.0.1:" + port + "/appdb";
  }

 private:
  bool run(const std::string& args) const {
    const std::string port_var = kind_ == "pg" ? "PG_PORT" : "MARIA_PORT";
    const std::string command = "SVC_BASE=" + base_ + " " + port_var + "=" + std::to_string(port_) + " " +
                                CACHEME_SERVICES_SCRIPT_PATH + " " + args + " >" + base_ + "/services.log 2>&1";
    return std::system(command.c_str()) == 0;
  }

  std::string kind_;
  std::string base_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace cacheme::test::sql

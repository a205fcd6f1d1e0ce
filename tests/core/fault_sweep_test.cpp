// Fault sweep (cf. Boost.MySQL's check_network_errors): one scenario replayed with each I/O step
// in turn failing, then timing out; every request must get exactly one reply and the engine
// must end with no flight, no pending operation and no deadline. A storage fault never costs a
// get its value (rule 5), and the late completion of a timed-out operation changes nothing.
#include <map>
#include <set>

#include "core/harness.hpp"

namespace cacheme::test {
namespace {

enum class Fault { none, fail, timeout };

struct SweepRun {
  int steps = 0;                         // I/O steps seen
  std::map<std::uint64_t, int> replies;  // ticket -> replies received
  std::vector<core::Ticket> tickets;     // every ticket issued
  std::set<std::uint64_t> value_tickets;  // those of get and get_all
  int value_errors = 0;                  // failed values in their replies
  int immediate = 0;                     // requests answered at once
  bool load_fault = false;               // the faulty step was a load
};

SweepRun run_scenario(int fault_step, Fault fault) {
  Harness h;
  h.local("local");
  auto r1 = h.remote("r1", 50ms);
  h.remote("r2", 50ms);
  auto n = h.node({{"local", std::nullopt}, {"r1", std::nullopt}, {"r2", std::nullopt}});
  SweepRun run;
  auto track = [&](core::Submitted s) {
    if (s.answered()) {
      ++run.immediate;
    } else {
      run.tickets.push_back(s.ticket);
      run.value_tickets.insert(s.ticket.v);
    }
  };
  const std::string k1 = "k1";
  const core::SourceRef src = source_of(k1);

  // Wave 1: concurrent gets, a get_all with duplicates overlapping them.
  for (int i = 0; i < 3; ++i) track(h.get(n, "k1"));
  run.tickets.push_back(h.get_all(n, {"k1", "k2", "k3", "k2"}));
  run.value_tickets.insert(run.tickets.back().v);
  track(h.get(n, "k3"));
  bool wave2 = false;

  std::vector<Effect> held;  // operations left to time out, completed at the very end
  while (true) {
    if (h.effects.empty()) {
      if (!wave2) {  // wave 2: refresh and invalidate while wave-1 write-backs may be pending
        wave2 = true;
        run.tickets.push_back(h.engine.refresh(n, "k1", src, h.now));
        run.tickets.push_back(h.engine.invalidate(n, "k2", h.now));
        track(h.get(n, "k2"));
        h.drain();
        continue;
      }
      if (h.engine.next_deadline()) {
        h.advance(60ms);
        continue;
      }
      break;
    }
    Effect e = std::move(h.effects.front());
    h.effects.pop_front();
    if (auto* reply = std::get_if<Reply>(&e)) {
      ++run.replies[reply->ticket.v];
      if (run.value_tickets.count(reply->ticket.v)) {
        for (auto& v : reply->values) run.value_errors += !v;
      }
      continue;
    }
    const bool faulty = run.steps++ == fault_step;
    if (faulty && fault == Fault::timeout && !std::holds_alternative<LoadRequest>(e)) {
      held.push_back(std::move(e));
      continue;
    }
    if (auto* f = std::get_if<FetchRequest>(&e)) {
      if (faulty) {
        h.fetch_failed(*f);
        continue;
      }
      std::vector<std::optional<std::string>> values;
      for (auto& key : f->keys)  // r2 holds k3; r1 holds nothing
        values.push_back(f->tier != r1 && key == Harness::key("k3") ? std::optional(entry("K3")) : std::nullopt);
      h.fetched(*f, values);
    } else if (auto* s = std::get_if<StoreRequest>(&e)) {
      h.written(s->id, faulty ? core::IoStatus::backend_error : core::IoStatus::ok);
    } else if (auto* er = std::get_if<EraseRequest>(&e)) {
      h.written(er->id, faulty ? core::IoStatus::backend_error : core::IoStatus::ok);
    } else if (auto* l = std::get_if<LoadRequest>(&e)) {
      if (faulty) {  // loads have no core timeout: a fault is a failure
        run.load_fault = true;
        h.load_failed(*l);
        continue;
      }
      std::vector<std::string> values;
      for (auto& key : l->keys) values.push_back("V(" + key + ")");
      h.loaded(*l, values);
    }
  }
  CHECK(h.engine.flights() == 0);
  CHECK(h.engine.pending_operations() == 0);
  CHECK(h.engine.next_deadline() == std::nullopt);
  // The timed-out operation's reply arrives after all: the engine has forgotten it.
  for (const Effect& e : held) {
    if (auto* f = std::get_if<FetchRequest>(&e)) {
      std::vector<std::optional<std::string>> values(f->keys.size(), entry("late"));
      CHECK(h.engine.complete_fetch(f->id, {core::IoStatus::ok, std::move(values)}, h.now) == errc::unknown_io);
    } else {
      const core::IoId id = std::holds_alternative<StoreRequest>(e) ? std::get<StoreRequest>(e).id : std::get<EraseRequest>(e).id;
      CHECK(h.engine.complete_write(id, core::IoStatus::ok, h.now) == errc::unknown_io);
    }
  }
  h.drain();
  CHECK(h.effects.empty());
  CHECK(h.engine.flights() == 0);
  auto st = h.engine.stats(n);
  CHECK(st.requests == st.hits + st.miss_count());
  return run;
}

TEST_CASE("fault sweep: every request gets exactly one reply, the in-flight table ends empty", "[engine][fault]") {
  const SweepRun clean = run_scenario(-1, Fault::none);
  REQUIRE(clean.steps > 5);
  for (Fault fault : {Fault::fail, Fault::timeout}) {
    for (int step = 0; step < clean.steps; ++step) {
      INFO("fault " << (fault == Fault::fail ? "fail" : "timeout") << " at I/O step " << step);
      const SweepRun run = run_scenario(step, fault);
      for (core::Ticket t : run.tickets) CHECK(run.replies.count(t.v) == 1);
      for (auto& [ticket, count] : run.replies) CHECK(count == 1);
      CHECK(run.replies.size() == run.tickets.size());
      if (!run.load_fault) CHECK(run.value_errors == 0);  // a storage fault falls through (rule 5)
    }
  }
}

}  // namespace
}  // namespace cacheme::test

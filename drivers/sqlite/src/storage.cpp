// The SQLite Storage: queues effects for the worker thread and delivers its completions on the
// loop thread through Reactor::post.
#include <memory>

#include "cacheme/drivers/sql/schema.hpp"
#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/drivers/sqlite.hpp"
#include "cacheme/errc.hpp"
#include "worker.hpp"

namespace cacheme::drivers {
namespace sqlite {
namespace {

// Loop-thread state the worker's posts reach; they hold it weakly, so a destroyed storage
// receives nothing.
struct Shared {
  CompletionSink sink;
};

void deliver(const CompletionSink& sink, std::vector<Completion>& completions) {
  for (auto& c : completions) {
    if (c.is_fetch) {
      if (sink.fetched) sink.fetched(c.id, std::move(c.fetch));
    } else if (sink.written) {
      sink.written(c.id, c.status);
    }
  }
}

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(Reactor& reactor, CompletionSink sink, std::string path, const sql::Settings& settings)
      : reactor_(reactor),
        shared_(std::make_shared<Shared>(Shared{std::move(sink)})),
        worker_(std::move(path), settings.table, settings.init) {}
  ~SqliteStorage() override { close(); }

  // Starts the worker; `opened` runs on the loop thread.
  void open(std::function<void(Result<void>)> opened) {
    Reactor& reactor = reactor_;
    std::weak_ptr<Shared> weak = shared_;
    worker_.start(
        [&reactor, opened = std::move(opened)](Result<void> r) { reactor.post([opened, r] { opened(r); }); },
        [&reactor, weak](std::vector<Completion> done) {
          reactor.post([weak, done = std::move(done)]() mutable {
            if (auto shared = weak.lock()) deliver(shared->sink, done);
          });
        });
  }

  void start(core::FetchRequest req) override { submit(std::move(req)); }
  void start(core::StoreRequest req) override { submit(std::move(req)); }
  void start(core::EraseRequest req) override { submit(std::move(req)); }
  void flush_prefix(core::IoId id, std::string prefix) override { submit(FlushRequest{id, std::move(prefix)}); }

  std::map<std::string, std::uint64_t> command_counts() const override { return worker_.counts(); }

  void close() override {
    if (closed_) return;
    closed_ = true;
    auto left = worker_.stop();
    if (left.empty()) return;
    std::vector<Completion> failed;
    for (auto& op : left) failed.push_back(failure(op));
    std::weak_ptr<Shared> weak = shared_;
    reactor_.post([weak, failed = std::move(failed)]() mutable {
      if (auto shared = weak.lock()) deliver(shared->sink, failed);
    });
  }

 private:
  static Completion failure(const Operation& op) {
    Completion c;
    c.id = std::visit([](const auto& r) { return r.id; }, op);
    c.is_fetch = std::holds_alternative<core::FetchRequest>(op);
    c.fetch.status = core::IoStatus::backend_error;
    c.status = core::IoStatus::backend_error;
    return c;
  }

  void submit(Operation op) {
    if (!closed_) {
      worker_.submit(std::move(op));
      return;
    }
    std::vector<Completion> failed{failure(op)};  // never from inside start: post it
    std::weak_ptr<Shared> weak = shared_;
    reactor_.post([weak, failed = std::move(failed)]() mutable {
      if (auto shared = weak.lock()) deliver(shared->sink, failed);
    });
  }

  Reactor& reactor_;
  std::shared_ptr<Shared> shared_;
  Worker worker_;
  bool closed_ = false;
};

}  // namespace
}  // namespace sqlite

void connect_sqlite(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                    ConnectDone done) {
  auto fail_later = [&reactor, &done](std::error_code ec) {
    reactor.post([done = std::move(done), ec] { done(fail(ec)); });
  };
  auto parsed = sql::parse_url(url);
  if (!parsed) return fail_later(parsed.error());
  if (parsed->scheme != "sqlite" || parsed->target.empty()) return fail_later(make_error_code(errc::bad_url));
  auto settings = sql::resolve_settings(*parsed, options, 1);
  if (!settings) return fail_later(settings.error());

  // `sqlite:///abs/path` and `sqlite://rel/path`: the target is the file name as given.
  auto storage = std::make_shared<std::unique_ptr<sqlite::SqliteStorage>>(
      std::make_unique<sqlite::SqliteStorage>(reactor, std::move(sink), parsed->target, *settings));
  sqlite::SqliteStorage& ref = **storage;
  ref.open([storage, done = std::move(done)](Result<void> r) {
    std::unique_ptr<sqlite::SqliteStorage> owned = std::move(*storage);
    if (!r) {
      owned.reset();  // joins the worker, which has already returned
      done(fail(r.error()));
      return;
    }
    done(std::unique_ptr<Storage>(std::move(owned)));
  });
}

}  // namespace cacheme::drivers

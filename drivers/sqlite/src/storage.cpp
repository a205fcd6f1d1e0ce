// The SQLite Storage: queues effects for the worker thread and delivers its completions on the
// loop thread through Reactor::post.
#include <memory>

#include "cacheme/drivers/sql/outstanding.hpp"
#include "cacheme/drivers/sql/schema.hpp"
#include "cacheme/drivers/sql/url.hpp"
#include "cacheme/drivers/sqlite.hpp"
#include "cacheme/errc.hpp"
#include "worker.hpp"

namespace cacheme::drivers {
namespace sqlite {
namespace {

// The cap on outstanding operations when the URL sets none: SQLite answers from the local disk,
// so a deep queue is normal under many workers (the CLI's default storage at 10,000 workers);
// 65,536 small operations are a few MiB.
constexpr std::size_t kDefaultMaxOutstanding = 65'536;

using Shared = sql::WorkerShared;
using sql::deliver;
using sql::report;

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(Reactor& reactor, CompletionSink sink, std::string path, const sql::Settings& settings)
      : reactor_(reactor),
        shared_(std::make_shared<Shared>(Shared{
            std::move(sink),
            sql::Outstanding(settings.max_outstanding ? settings.max_outstanding : kDefaultMaxOutstanding)})),
        worker_(std::move(path), settings.table, settings.init, settings.timeout),
        timeout_(settings.timeout) {}
  ~SqliteStorage() override { close(); }

  // Starts the worker; `opened` runs on the loop thread.
  void open(std::function<void(Result<void>)> opened) {
    Reactor& reactor = reactor_;
    std::weak_ptr<Shared> weak = shared_;
    worker_.start(
        [&reactor, opened = std::move(opened)](Result<void> r) { reactor.post([opened, r] { opened(r); }); },
        [&reactor, weak](std::vector<Completion> done) {
          reactor.post([weak, done = std::move(done)]() mutable {
            if (auto shared = weak.lock()) deliver(*shared, done);
          });
        });
  }

  void start(core::FetchRequest&& req) override { submit(std::move(req)); }
  void start(core::StoreRequest req) override { submit(std::move(req)); }
  void start(core::EraseRequest req) override { submit(std::move(req)); }
  void flush_prefix(core::IoId id, std::string prefix) override { submit(FlushRequest{id, std::move(prefix)}); }

  std::map<std::string, std::uint64_t> command_counts() const override { return worker_.counts(); }

  void abandon(core::IoId id) override {
    if (shared_->outstanding.abandon(id)) worker_.abandon(id);
  }

  // One connection, on the worker; down while its batches fail or one runs past the timeout (a
  // lock held by another connection, a stalled disk).
  StorageHealth health() const override {
    StorageHealth h = shared_->outstanding.health();
    h.connections = closed_ ? 0 : 1;
    h.connections_up = h.connections > 0 && worker_.usable(timeout_) ? 1 : 0;
    return h;
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    auto left = worker_.stop();
    if (left.empty()) return;
    std::vector<Completion> failed;
    for (auto& op : left) failed.push_back(failure(op));
    std::weak_ptr<Shared> weak = shared_;
    reactor_.post([weak, failed = std::move(failed)]() mutable {
      if (auto shared = weak.lock()) deliver(*shared, failed);
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
    const core::IoId id = std::visit([](const auto& r) { return r.id; }, op);
    if (!closed_ && shared_->outstanding.admit(id)) {
      worker_.submit(std::move(op));
      return;
    }
    // Closed or overloaded: never answered from inside start, so posted.
    Completion c = failure(op);
    if (!closed_) c.status = c.fetch.status = core::IoStatus::overloaded;
    sql::post_refusal(reactor_, shared_, std::move(c));
  }

  Reactor& reactor_;
  std::shared_ptr<Shared> shared_;
  Worker worker_;
  std::chrono::milliseconds timeout_;
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

// The MongoDB Storage: queues effects for the worker threads and delivers their completions on
// the loop thread through Reactor::post (the SQLite driver's pattern, with a pool of workers).
#include <memory>

#include "cacheme/drivers/mongo.hpp"
#include "cacheme/drivers/sql/outstanding.hpp"
#include "cacheme/errc.hpp"
#include "mongo_url.hpp"
#include "workers.hpp"

namespace cacheme::drivers {
namespace mongo {
namespace {

using Shared = sql::WorkerShared;
using sql::deliver;
using sql::report;

void post_completions(Reactor& reactor, const std::weak_ptr<Shared>& weak, std::vector<Completion> done) {
  reactor.post([weak, done = std::move(done)]() mutable {
    if (auto shared = weak.lock()) deliver(*shared, done);
  });
}

class MongoStorage final : public Storage {
 public:
  MongoStorage(Reactor& reactor, CompletionSink sink, Settings settings)
      : reactor_(reactor),
        shared_(std::make_shared<Shared>(Shared{std::move(sink), sql::Outstanding(settings.max_outstanding)})),
        workers_(std::move(settings), [&reactor, weak = std::weak_ptr<Shared>(shared_)](std::vector<Completion> done) {
          post_completions(reactor, weak, std::move(done));
        }) {}
  ~MongoStorage() override { close(); }

  // Starts the first worker; `opened` runs on the loop thread.
  void open(std::function<void(Result<void>)> opened) {
    Reactor& reactor = reactor_;
    workers_.open([&reactor, opened = std::move(opened)](Result<void> r) { reactor.post([opened, r] { opened(r); }); });
  }

  void start(core::FetchRequest&& req) override { submit(std::move(req)); }
  void start(core::StoreRequest req) override { submit(std::move(req)); }
  void start(core::EraseRequest req) override { submit(std::move(req)); }
  void flush_prefix(core::IoId id, std::string prefix) override { submit(FlushRequest{id, std::move(prefix)}); }

  std::map<std::string, std::uint64_t> command_counts() const override { return workers_.counts(); }

  void abandon(core::IoId id) override {
    if (shared_->outstanding.abandon(id)) workers_.abandon(id);
  }

  // Connections: the worker threads (one pooled client each); all count as up, libmongoc hides
  // its sockets.
  StorageHealth health() const override {
    StorageHealth h = shared_->outstanding.health();
    h.connections = h.connections_up = closed_ ? 0 : workers_.threads().first;
    return h;
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    std::vector<Completion> failed;
    for (auto& op : workers_.stop()) failed.push_back(failure(op));
    if (!failed.empty()) post_completions(reactor_, shared_, std::move(failed));
  }

 private:
  void submit(Operation op) {
    const core::IoId id = std::visit([](const auto& r) { return r.id; }, op);
    if (!closed_ && shared_->outstanding.admit(id)) return workers_.submit(std::move(op));
    // Closed or overloaded: never answered from inside start, so posted.
    Completion c = failure(op);
    if (!closed_) c.status = c.fetch.status = core::IoStatus::overloaded;
    sql::post_refusal(reactor_, shared_, std::move(c));
  }

  Reactor& reactor_;
  std::shared_ptr<Shared> shared_;
  Workers workers_;
  bool closed_ = false;
};

}  // namespace
}  // namespace mongo

void connect_mongo(Reactor& reactor, std::string_view url, const StorageOptions& options, CompletionSink sink,
                   ConnectDone done) {
  auto settings = mongo::parse_url(url, options);
  if (!settings) {
    reactor.post([done = std::move(done), ec = settings.error()] { done(fail(ec)); });
    return;
  }
  auto storage = std::make_shared<std::unique_ptr<mongo::MongoStorage>>(
      std::make_unique<mongo::MongoStorage>(reactor, std::move(sink), std::move(*settings)));
  mongo::MongoStorage& ref = **storage;
  ref.open([storage, done = std::move(done)](Result<void> r) {
    std::unique_ptr<mongo::MongoStorage> owned = std::move(*storage);
    if (!r) {
      owned.reset();  // joins the first worker, which has already returned
      done(fail(r.error()));
      return;
    }
    done(std::unique_ptr<Storage>(std::move(owned)));
  });
}

}  // namespace cacheme::drivers

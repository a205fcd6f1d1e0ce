// The SQLite worker thread and its group commit.
#include "worker.hpp"

#include <algorithm>

#include "cacheme/drivers/sql/keys.hpp"
#include "database.hpp"

namespace cacheme::drivers::sqlite {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

bool is_write(const Operation& op) { return !std::holds_alternative<core::FetchRequest>(op); }

core::IoId id_of(const Operation& op) {
  return std::visit([](const auto& r) { return r.id; }, op);
}

}  // namespace

void Worker::start(OpenedFn opened, DeliverFn deliver) {
  thread_ = std::thread([this, opened = std::move(opened), deliver = std::move(deliver)]() mutable {
    run(std::move(opened), std::move(deliver));
  });
}

void Worker::submit(Operation op) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(op));
  }
  wake_.notify_one();
}

void Worker::abandon(core::IoId id) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(queue_.begin(), queue_.end(), [id](const Operation& op) { return id_of(op) == id; });
  if (it != queue_.end())
    queue_.erase(it);
  else
    abandoned_.insert(id.v);  // in the running batch: skipped unless already started
}

bool Worker::take_abandoned(core::IoId id) {
  std::lock_guard lock(mutex_);
  return abandoned_.erase(id.v) > 0;
}

void Worker::note_failure() {
  last_failure_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

bool Worker::usable(std::chrono::milliseconds timeout) const {
  const std::chrono::steady_clock::duration failed(last_failure_.load(std::memory_order_relaxed));
  // Twice the timeout: a batch behind a lock waits about one timeout before it fails again.
  const bool failing =
      failed.count() != 0 && std::chrono::steady_clock::now().time_since_epoch() - failed <= 2 * timeout;
  return !failing && busy_for() <= timeout;
}

std::chrono::steady_clock::duration Worker::busy_for() const {
  const auto started = batch_started_.load(std::memory_order_relaxed);
  if (started == 0) return {};
  return std::chrono::steady_clock::now().time_since_epoch() - std::chrono::steady_clock::duration(started);
}

std::vector<Operation> Worker::stop() {
  std::vector<Operation> left;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    left.swap(queue_);
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    // The last reference to the storage may, in a rare race, be dropped on this very thread.
    if (thread_.get_id() == std::this_thread::get_id())
      thread_.detach();
    else
      thread_.join();
  }
  return left;
}

std::map<std::string, std::uint64_t> Worker::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

void Worker::count(const char* name, std::uint64_t n) {
  std::lock_guard lock(mutex_);
  counts_[name] += n;
}

void Worker::run(OpenedFn opened, DeliverFn deliver) {
  auto db = Database::open(path_, table_, init_, busy_timeout_);
  if (!db) {
    opened(fail(db.error()));
    return;
  }
  opened({});
  for (;;) {
    std::vector<Operation> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      batch.swap(queue_);
    }
    batch_started_.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    auto done = execute(*db, batch);
    const bool failed = std::any_of(done.begin(), done.end(), [](const Completion& c) {
      return (c.is_fetch ? c.fetch.status : c.status) != core::IoStatus::ok;
    });
    if (failed) note_failure();
    batch_started_.store(0, std::memory_order_relaxed);
    {
      std::lock_guard lock(mutex_);
      abandoned_.clear();  // those of this batch that had already run
    }
    deliver(std::move(done));
  }
}

// Runs `batch` in queue order inside one transaction, so reads see earlier writes of the batch
// and the whole batch costs one commit.
std::vector<Completion> Worker::execute(Database& db, std::vector<Operation>& batch) {
  const std::int64_t now = sql::unix_now_ms();
  const auto steady = std::chrono::steady_clock::now();
  const bool sweep = sweep_.due(steady);
  const bool writes = std::any_of(batch.begin(), batch.end(), is_write);
  bool transaction = (writes || sweep) && db.begin();
  if ((writes || sweep) && !transaction) note_failure();  // locked elsewhere, even if all is abandoned
  std::vector<Completion> out;
  out.reserve(batch.size());
  std::vector<std::size_t> written;  // indexes in `out` of writes that succeeded so far

  auto write_result = [&](Completion& c, bool ok) {
    if (ok && !transaction) ok = false;
    if (!ok && transaction && !db.in_transaction()) {  // SQLite rolled everything back
      for (auto i : written) out[i].status = core::IoStatus::backend_error;
      written.clear();
      transaction = db.begin();
    }
    c.status = ok ? core::IoStatus::ok : core::IoStatus::backend_error;
    if (ok) written.push_back(out.size());
  };

  for (auto& op : batch) {
    Completion c;
    c.id = id_of(op);
    // Given up by the core while the batch waited (a lock held elsewhere: each statement may wait
    // up to the busy timeout): skipped, so a stuck batch does not wait once per operation.
    if (take_abandoned(c.id)) continue;
    std::visit(Overloaded{
                   [&](core::FetchRequest& r) {
                     c.is_fetch = true;
                     const auto keys = sql::distinct_valid_keys(r.keys);
                     std::optional<std::unordered_map<std::string, std::string>> found;
                     if (!keys.empty()) {
                       count("SELECT");
                       found = db.fetch(keys, now);
                     } else {
                       found.emplace();
                     }
                     if (!found) {
                       c.fetch.status = core::IoStatus::backend_error;
                       return;
                     }
                     c.fetch.values.reserve(r.keys.size());
                     for (const auto& k : r.keys) {
                       auto it = found->find(k);
                       c.fetch.values.push_back(it == found->end() ? std::nullopt
                                                                   : std::optional<std::string>(it->second));
                     }
                   },
                   [&](core::StoreRequest& r) {
                     const bool valid = std::all_of(r.entries.begin(), r.entries.end(), [](const auto& e) {
                       return e.key.size() <= sql::kMaxKeyBytes;
                     });
                     bool ok = valid && transaction;
                     for (std::size_t i = 0; ok && i < r.entries.size(); ++i) {
                       count("UPSERT");
                       ok = db.upsert(r.entries[i], now);
                     }
                     write_result(c, ok);
                   },
                   [&](core::EraseRequest& r) {
                     bool ok = transaction;
                     for (std::size_t i = 0; ok && i < r.keys.size(); ++i) {
                       if (r.keys[i].size() > sql::kMaxKeyBytes) continue;  // cannot exist
                       count("DELETE");
                       ok = db.erase(r.keys[i]);
                     }
                     write_result(c, ok);
                   },
                   [&](FlushRequest& r) {
                     count("DELETE_PREFIX");
                     write_result(c, transaction && db.erase_prefix(r.prefix));
                   },
               },
               op);
    out.push_back(std::move(c));
  }

  if (transaction) {
    // Expired rows go in bounded batches, inside the batch's own commit.
    if (sweep) {
      sweep_.started(steady);
      count("DELETE_EXPIRED");
      sweep_.swept(db.sweep(now));
    }
    count("COMMIT");
    if (!db.commit()) {
      db.rollback();
      for (auto i : written) out[i].status = core::IoStatus::backend_error;
    }
  }
  return out;
}

}  // namespace cacheme::drivers::sqlite
